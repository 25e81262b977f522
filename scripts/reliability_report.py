"""Print the reliability figures of docs/RELIABILITY.md: the same scenarios, with the same parameters,
that tests/reliability asserts on. Takes about a minute and a half; no AWS account.

    .venv/bin/python scripts/reliability_report.py [--versions 50] [--share 0.2] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    lines = [f"### {title}", "", f"| {'measure':<{width}} | value |", f"| {'-' * width} | ----- |"]
    lines += [f"| {label:<{width}} | {value} |" for label, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--share", type=float, default=0.2, help="share of attempts that fail (0-1)")
    parser.add_argument("--seed", type=int, default=7, help="fault seed")
    parser.add_argument("--shuffle-seed", type=int, default=11)
    args = parser.parse_args(argv)

    import logging

    logging.disable(logging.WARNING)
    from bench.reliability import run_duplicate_scenario, run_fault_scenario
    from tests.reliability.hostile_events import hostile_events

    faults = run_fault_scenario(versions=args.versions, share=args.share, seed=args.seed)
    duplicates = run_duplicate_scenario(versions=args.versions, repeat=3, seed=args.shuffle_seed)
    print(_table("Faults", faults.table()))
    print()
    print(_table("Duplicates and disorder", duplicates.table()))
    print()
    print(
        _table(
            "Bad input",
            [("hostile events (tests/reliability/hostile_events.py)", str(len(hostile_events())))],
        )
    )
    ok = (
        not faults.silent_losses()
        and all(o.complete for o in faults.after_redrive.values())
        and not duplicates.differing()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
