"""`make bench`: what Registry Autopilot costs per model version, measured on the local stack.

Prints one table (the figures of docs/PERFORMANCE.md, each beside its goal) and how long each part
took, and writes the memory peaks with the commit they were measured on to bench/results.json. Four to
seven minutes on two cores (longer the first time: the scale rows synthesize three configurations,
kept in .cache/synth/); no AWS account.

    .venv/bin/python -m bench [--import-runs 5] [--warm-runs 200] [--events 1000] [--in-flight 1000]
    .venv/bin/python -m bench --only cli [--import-runs 5]    # the CLI rows alone, in about a minute
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--import-runs", type=int, default=5, help="fresh processes per module (median)")
    parser.add_argument("--warm-runs", type=int, default=200, help="events per handler after the first")
    parser.add_argument("--events", type=int, default=1000, help="events replayed for the throughput")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1000,
        help="versions registered within a minute for the versions-in-flight rows (0: skip them; the "
        "full 1,000 take the longest part of the run)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="where to write the measured memory peaks (default bench/results.json, which is committed)",
    )
    parser.add_argument(
        "--only",
        choices=["cli"],
        help="measure only these rows (cli: the CLI verbs against the import floor); nothing is written",
    )
    args = parser.parse_args(argv)
    if args.only == "cli":
        from bench.cli import measure_cli
        from bench.run import cli_rows, render_rows

        started = time.perf_counter()
        print(render_rows(cli_rows(measure_cli(args.import_runs))))
        print(f"\nFinished in {time.perf_counter() - started:.0f} s (cli).")
        return 0

    import logging

    logging.disable(logging.WARNING)  # the local stack's own chatter; the table says what happened
    from bench.results import RESULTS_FILE, measured_commit, write_results
    from bench.run import machine, run

    commit = measured_commit()  # before the run: the tree may move while it measures
    started = time.perf_counter()
    report = run(
        import_runs=args.import_runs,
        warm_runs=args.warm_runs,
        events=args.events,
        in_flight_versions=args.in_flight,
    )
    print(report.render())
    written = write_results(report.cold, machine(), args.results or RESULTS_FILE, commit)
    print(f"\nMemory peaks written to {written}.")
    parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in report.seconds.items())
    print(f"\nFinished in {time.perf_counter() - started:.0f} s ({parts}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
