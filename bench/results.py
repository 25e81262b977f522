"""The figures `make bench` writes to a committed file, for the tests that hold the stack to them.

`bench/results.json` records the peak RSS of each handler (item 7) with the commit it was measured on:
`tests/infrastructure/test_capacity.py` checks each function's memory size against these peaks, not
against the constants the stack reads. Re-run `make bench` and commit the file when a handler's code or
its dependencies change (docs/PERFORMANCE.md, "Memory sizes and their measurement").
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path
from typing import Any

from autopilot.cost.lifecycle import HANDLERS
from autopilot.embedded.synth import REPO_ROOT
from bench.coldstart import LARGEST_REPORT, ColdStarts

RESULTS_FILE = REPO_ROOT / "bench" / "results.json"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def measured_commit() -> dict[str, Any]:
    """The commit the measurement ran on, and whether the code it measured differed from it."""
    changed = _git("status", "--porcelain", "--", "functions", "requirements-lambda.txt", "infra", "cdk.json")
    return {"commit": _git("rev-parse", "HEAD") or "unknown", "uncommitted_changes": bool(changed)}


def memory_results(cold: ColdStarts) -> dict[str, dict[str, Any]]:
    """Item 7's rows: each probe's function, peak RSS (MB) and the memory size it ran with."""
    rows: dict[str, dict[str, Any]] = {}
    for probe in (*HANDLERS, LARGEST_REPORT):
        function = "attach" if probe == LARGEST_REPORT else probe
        rows[probe] = {
            "function": function,
            "peak_rss_mb": round(cold.peak_rss_mb(probe), 1),
            "memory_size_mb": cold.memory_sizes[function],
        }
    return rows


def write_results(
    cold: ColdStarts, machine: str, path: Path = RESULTS_FILE, commit: dict[str, Any] | None = None
) -> Path:
    """`commit`: `measured_commit()` taken when the measurement started (the tree can move during a run)."""
    results = {
        **(commit or measured_commit()),
        "measured_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine,
        "memory": memory_results(cold),
    }
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return path
