"""`demo`: the whole lifecycle on the embedded account with a simulated clock (the scenario itself is
`autopilot.embedded.demo`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from autopilot.cli.output import EXIT_OK, emit


def cmd_demo(args: argparse.Namespace) -> int:
    from autopilot.embedded.demo import HEADER, Step, run_demo
    from autopilot.embedded.synth import shipped_config

    shipped_config()  # an invalid cdk.json is reported before the header is printed
    if args.json:
        report = run_demo()
        _keep_world()
        emit(report.as_dict(), True, "")
        return EXIT_OK

    def show(step: Step) -> None:  # the timeline as it happens: the demo runs for seconds
        print(step.render(), flush=True)

    print(HEADER, end="\n\n", flush=True)
    report = run_demo(on_step=show)
    _keep_world()
    print(report.render(timeline=False))
    return EXIT_OK


def _keep_world() -> None:
    """The demo's world becomes the local world `status --local`, `retry --local`, `doctor --local` read."""
    from autopilot.embedded import world

    world.keep_demo()
    print(world.kept_note(), file=sys.stderr)


def add_parser(verbs: Any) -> None:
    demo = verbs.add_parser(
        "demo",
        help="the whole lifecycle on the embedded backend, in seconds",
        description=(
            "Synthesize the stack and run the lifecycle through it on the embedded backend with a "
            "simulated clock: versions registered, compiled (one Neo target fails), attached, decided "
            "by the approval policy, the approved one shadow-tested and rolled to its conclusion by "
            "the schedule; duplicates and our own state changes delivered too. A timeline, then tables."
        ),
    )
    demo.add_argument("--json", action="store_true", help="machine-readable output")
    demo.set_defaults(run=cmd_demo)
