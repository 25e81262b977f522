"""The reliability scenarios run once per session; several tests assert on each run."""

from __future__ import annotations

import pytest

from bench.reliability import DuplicateRun, FaultRun, run_duplicate_scenario, run_fault_scenario

# The figures in docs/RELIABILITY.md come from these parameters (scripts/reliability_report.py).
VERSIONS = 50
FAULT_SHARE = 0.2
FAULT_SEED = 7
SHUFFLE_SEED = 11


@pytest.fixture(scope="session")
def fault_run() -> FaultRun:
    return run_fault_scenario(versions=VERSIONS, share=FAULT_SHARE, seed=FAULT_SEED)


@pytest.fixture(scope="session")
def duplicate_run() -> DuplicateRun:
    return run_duplicate_scenario(versions=VERSIONS, repeat=3, seed=SHUFFLE_SEED)
