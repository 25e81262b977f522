"""The command line (`python -m autopilot VERB`): argument parsing, one module per verb, what a verb
reads (`inputs`) and prints (`output`, text or JSON); `main` is the entry point.

A verb reads its input, calls the package that does the work, and prints. It may import every other
package of autopilot/; none of them imports it.
"""
