"""How long the CLI takes to answer, against the floor every run pays: `python -c "import boto3, moto"`.

Each command runs in a fresh process, as a user runs it, alternating with the floor so both see the
same machine load; the figure is the median of `runs` each, after one unmeasured warm-up run of each
(the first run writes the bytecode cache, kept under .cache/pycache as Python would keep __pycache__).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import boto3, moto"]
COMMANDS = {
    "cli invoke plan / import": [
        sys.executable,
        "-m",
        "autopilot",
        "invoke",
        "plan",
        "events/version-registered.json",
    ],
    "cli replay one event / import": [
        sys.executable,
        "-m",
        "autopilot",
        "replay",
        "events/version-registered.json",
    ],
}
GOALS = {"cli invoke plan / import": 1.6, "cli replay one event / import": 2.5}


@dataclass
class CliTimes:
    runs: int
    floor: list[float] = field(default_factory=list)
    commands: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.commands[name])

    def ratio(self, name: str) -> float:
        return self.median(name) / statistics.median(self.floor)


def _seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure_cli(runs: int = 5) -> CliTimes:
    with tempfile.TemporaryDirectory(prefix="autopilot-bench-cli-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {
            "PYTHONPYCACHEPREFIX": str(ROOT / ".cache" / "pycache"),
            "AUTOPILOT_LOCAL_WORLD": str(Path(tmp) / "world.json"),  # the user's world is left alone
        }
        times = CliTimes(runs=runs, commands={name: [] for name in COMMANDS})
        for argv in (FLOOR, *COMMANDS.values()):  # warm-up: bytecode written, files in the page cache
            _seconds(argv, env)
        for _ in range(runs):
            times.floor.append(_seconds(FLOOR, env))
            for name, argv in COMMANDS.items():
                times.commands[name].append(_seconds(argv, env))
        return times
