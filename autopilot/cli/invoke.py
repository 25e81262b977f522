"""`invoke HANDLER EVENT_FILE`: one handler, one event, on a fresh embedded account (or, with `--aws`
or `--dry-run`, against your AWS account)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from autopilot.account.credentials import add_aws_options
from autopilot.cli.inputs import add_object_option, load_event, load_objects
from autopilot.cli.output import EXIT_FAILED, EXIT_OK, emit, one_line
from autopilot.cli.plan import event_and_target, is_version, run_on_aws
from autopilot.errors import InvalidInput


def _say_if_unwatched(handler: str, event: Any) -> None:
    """`invoke` runs the handler it is told to; deployed, no rule would deliver this event to it."""
    from autopilot.embedded.silence import is_unwatched
    from autopilot.embedded.synth import shipped_config

    group = is_unwatched(shipped_config().groups, event)
    if group is not None:
        print(
            f"note: group {group!r} is not watched (not in cdk.json's groups): deployed, no rule would "
            f"deliver this event to {handler}; running it anyway",
            file=sys.stderr,
        )


def deployed_handlers() -> list[str]:
    """The handler modules, read from the package without importing them (fast for --help);
    `available_handlers()` (the stack's functions) is the check when one is named."""
    from pathlib import Path

    from registry_autopilot import handlers

    folder = Path(handlers.__file__).parent
    return sorted(
        path.stem
        for path in folder.glob("*.py")
        if not path.stem.startswith("_") and "\ndef handler(" in path.read_text(encoding="utf-8")
    )


def cmd_invoke(args: argparse.Namespace) -> int:
    from autopilot.embedded.stack import available_handlers, invoke_handler

    if args.handler not in available_handlers():
        raise InvalidInput(
            f"unknown handler {args.handler!r}; choose one of: {', '.join(available_handlers())}"
        )
    if args.aws or args.dry_run:
        event, target = event_and_target(args)
        _say_if_unwatched(args.handler, event)
        return run_on_aws(args, event, handler=args.handler, dry_run=args.dry_run, target=target)
    if is_version(args.event_file):
        raise InvalidInput(
            f"{args.event_file}: a version is read from your AWS account: add --dry-run (real reads, "
            "no write sent) or --aws, or pass an event file"
        )
    event = load_event(args.event_file)
    _say_if_unwatched(args.handler, event)
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    objects = load_objects(args.object, [args.event_file], [event])
    try:
        outcome = invoke_handler(args.handler, event, objects, source=str(args.event_file))
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected by {args.handler}: {exc}") from None
    except InvalidInput:
        raise
    except Exception as exc:  # the handler failed the way a Lambda invocation would
        print(f"error: {args.handler} failed: {one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return EXIT_FAILED
    emit(outcome.as_dict(), args.json, outcome.render())
    return EXIT_OK


def add_parser(verbs: Any) -> None:
    invoke = verbs.add_parser(
        "invoke",
        help="run one handler on one event",
        description=(
            "Run one Lambda handler on one event on a fresh local backend, seeded with the model "
            "package the event names. Prints the handler's typed result, every AWS write it made, "
            "and the resulting state of the model package."
        ),
    )
    invoke.add_argument("handler", help=f"the handler to run: {', '.join(deployed_handlers())}")
    invoke.add_argument(
        "event_file",
        type=Path,
        metavar="EVENT_FILE|VERSION_ARN|GROUP/VERSION",
        help="a JSON event, e.g. one from events/; with --dry-run or --aws also a model package "
        "version (its ARN, or GROUP/VERSION), read with DescribeModelPackage",
    )
    invoke.add_argument("--json", action="store_true", help="machine-readable output")
    invoke.add_argument(
        "--aws", action="store_true", help="run against AWS with your credentials, writes included"
    )
    invoke.add_argument(
        "--dry-run",
        action="store_true",
        help="run against AWS with your credentials: real reads, every write recorded and not sent",
    )
    add_object_option(invoke)
    add_aws_options(invoke)
    invoke.set_defaults(run=cmd_invoke)
