"""Measuring code: `make bench` (bench.run) and the reliability scenarios (bench.reliability).

Kept apart from `autopilot/`, which holds only what a user runs (the CLI and the local runtime).
"""
