"""`retry VERSION_ARN TARGET`: compile a failed Neo target again, in your account or, with `--local
EVENT_FILE...`, on the embedded account after replaying the events (`autopilot.account.retry`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autopilot.account.credentials import add_aws_options
from autopilot.cli.inputs import load_event
from autopilot.cli.output import EXIT_OK, emit


def cmd_retry(args: argparse.Namespace) -> int:
    from autopilot.account.retry import retry_locally, retry_on_aws

    if args.local:
        events = [load_event(path) for path in args.local]
        outcome, report = retry_locally(args.version_arn, args.target, args.local, events)
        emit(
            {"retry": outcome.as_dict(), "replay": report.as_dict()},
            args.json,
            outcome.render() + "\n\n" + report.render(),
        )
        return EXIT_OK
    outcome = retry_on_aws(args.version_arn, args.target, args.profile, args.region)
    emit({"retry": outcome.as_dict()}, args.json, outcome.render())
    return EXIT_OK


def add_parser(verbs: Any) -> None:
    retry = verbs.add_parser(
        "retry",
        help="compile a failed Neo target of a version again",
        description=(
            "Set the target's record on the version to RETRY and start the compile workflow directly, "
            "under a name derived from the version, the target and the RETRY write (a second call is "
            "the same execution). Against your account with --profile/--region, or on the embedded "
            "backend with --local EVENT_FILE... (the events are replayed first)."
        ),
    )
    retry.add_argument(
        "version_arn",
        metavar="VERSION_ARN|GROUP/VERSION",
        help="the model package version: its ARN (its region is used when none is configured), "
        "or GROUP/VERSION",
    )
    retry.add_argument("target", metavar="TARGET", help="the Neo target's name in cdk.json, e.g. graviton")
    retry.add_argument(
        "--local",
        nargs="+",
        type=Path,
        metavar="EVENT_FILE",
        help="run on the embedded backend after replaying these events (no AWS account)",
    )
    retry.add_argument("--json", action="store_true", help="machine-readable output")
    add_aws_options(retry)
    retry.set_defaults(run=cmd_retry)
