"""The tools that talk to a real AWS account: credentials and region (`credentials`), the runner
behind `plan` and `invoke --aws` (`runner`), the readiness checks (`doctor`), what happened to a
version (`status`), and the retry of a failed Neo target (`retry`).

May import `autopilot.embedded` (the synthesized wiring, the event matcher, the Lambda context) and
`autopilot.errors`; never the CLI.
"""
