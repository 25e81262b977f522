"""Measuring code: `make bench` (bench.run) and the reliability scenarios (bench.reliability).

Kept apart from `autopilot/`, which holds only what a user runs (the CLI and the local runtime).
bench/ builds on autopilot/ (the lifecycle model and prices in `autopilot.cost`, the embedded
account); nothing in autopilot/ imports bench/.
"""
