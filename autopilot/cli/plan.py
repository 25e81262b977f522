"""`plan EVENT_FILE`: a dry run against your AWS account, and the runner `invoke --aws` shares."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autopilot.account.credentials import add_aws_options
from autopilot.cli.inputs import load_event
from autopilot.cli.output import EXIT_OK, emit
from autopilot.errors import InvalidInput


def run_on_aws(args: argparse.Namespace, event: Any, handler: str | None, dry_run: bool) -> int:
    from autopilot.account.credentials import resolve_aws
    from autopilot.account.runner import run_on_aws
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    target = resolve_aws(args.profile, args.region)  # missing region or credentials: not the event's fault
    try:
        runs = run_on_aws(event, handler=handler, dry_run=dry_run, target=target)
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected: {exc}") from None
    if not runs:
        emit({"runs": []}, args.json, "no rule matches this event: nothing would run")
        return EXIT_OK
    emit({"runs": [run.as_dict() for run in runs]}, args.json, "\n\n".join(r.render() for r in runs))
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    return run_on_aws(args, load_event(args.event_file), handler=None, dry_run=True)


def add_parser(verbs: Any) -> None:
    plan = verbs.add_parser(
        "plan",
        help="dry run against your AWS account: the writes an event would cause, none made",
        description=(
            "Route the event through the synthesized rules and run the handler it reaches against "
            "AWS with your credentials: reads are real, writes are recorded and never sent. Prints "
            "the writes it would make (and, for the compile workflow, the jobs and specs that follow)."
        ),
    )
    plan.add_argument("event_file", type=Path, help="a JSON event, e.g. one exported from your account")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    add_aws_options(plan)
    plan.set_defaults(run=cmd_plan)
