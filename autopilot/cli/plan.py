"""`plan EVENT_FILE|VERSION_ARN|GROUP/VERSION`: a dry run against your AWS account, and the runner
`invoke --aws` shares. A version (ARN or GROUP/VERSION) becomes the state-change event its current
state would make, read with DescribeModelPackage (`autopilot.account.versions`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autopilot.account.credentials import add_aws_options
from autopilot.cli.inputs import load_event
from autopilot.cli.output import EXIT_OK, emit
from autopilot.errors import InvalidInput


def is_version(source: Path) -> bool:
    """`source` names a model package version (ARN or GROUP/VERSION), not an event file."""
    from autopilot.account.versions import parse_version_ref

    return parse_version_ref(str(source)) is not None and not source.exists()


def event_and_target(args: argparse.Namespace) -> tuple[Any, Any]:
    """(event, AwsTarget) for `args.event_file`: the file's event, or the version's state change."""
    from autopilot.account.credentials import resolve_aws
    from autopilot.account.versions import require_version_ref, target_for, version_event

    if not is_version(args.event_file):
        event = load_event(args.event_file)
        return event, resolve_aws(args.profile, args.region)  # missing setup: not the event's fault
    ref = require_version_ref(str(args.event_file))
    target = target_for(ref, args.profile, args.region)
    return version_event(target, ref), target


def run_on_aws(
    args: argparse.Namespace, event: Any, handler: str | None, dry_run: bool, target: Any = None
) -> int:
    from autopilot.account.credentials import resolve_aws
    from autopilot.account.runner import run_on_aws
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    target = target or resolve_aws(args.profile, args.region)  # missing setup: not the event's fault
    try:
        runs = run_on_aws(event, handler=handler, dry_run=dry_run, target=target)
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected: {exc}") from None
    if not runs:
        from autopilot.embedded.silence import why_no_rule
        from autopilot.embedded.synth import synthesize

        why = why_no_rule(synthesize(), event)
        emit({"runs": [], "why": why}, args.json, f"no rule matches this event: nothing would run ({why})")
        return EXIT_OK
    emit({"runs": [run.as_dict() for run in runs]}, args.json, "\n\n".join(r.render() for r in runs))
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    event, target = event_and_target(args)
    return run_on_aws(args, event, handler=None, dry_run=True, target=target)


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
    plan.add_argument(
        "event_file",
        type=Path,
        metavar="EVENT_FILE|VERSION_ARN|GROUP/VERSION",
        help="a JSON event, e.g. one exported from your account, or a model package version (its ARN, "
        "or GROUP/VERSION): its state-change event is built from DescribeModelPackage; with no region "
        "configured, the ARN's region is used",
    )
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    add_aws_options(plan)
    plan.set_defaults(run=cmd_plan)
