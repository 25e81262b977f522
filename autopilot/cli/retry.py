"""`retry VERSION_ARN TARGET`: compile a failed Neo target again, in your account or, with `--local
EVENT_FILE...`, on the embedded account after replaying the events (`autopilot.account.retry`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from autopilot.account.credentials import account_profiles, add_account_profiles, add_aws_options
from autopilot.cli.inputs import load_event
from autopilot.cli.output import EXIT_INVALID, EXIT_OK, emit


def _local_arn(ref: Any, stack: Any = None) -> str:
    """GROUP/VERSION in the embedded account (the stack's, else the embedded default the samples use)."""
    region, account = (
        (stack.backend.region, stack.backend.account_id) if stack else ("us-east-1", "123456789012")
    )
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{ref.group}/{ref.version}"


def cmd_retry(args: argparse.Namespace) -> int:
    from autopilot.account.retry import retry_locally, retry_on_aws
    from autopilot.account.versions import require_version_ref

    if args.local is not None:
        from autopilot.embedded import world

        ref = require_version_ref(args.version_arn)
        if args.local:  # EVENT_FILE...: replay them first; they become the local world
            arn = ref.arn() if ref.account else _local_arn(ref)
            events = [load_event(path) for path in args.local]
            outcome, report = retry_locally(arn, args.target, args.local, events)
            world.keep_replay(args.local, events, {}, {})
            world.add_retry(arn, args.target)
            emit(
                {"retry": outcome.as_dict(), "replay": report.as_dict()},
                args.json,
                outcome.render() + "\n\n" + report.render(),
            )
            return EXIT_OK
        from autopilot.account.local_world import on_world
        from autopilot.account.retry import retry_in_embedded_stack

        record = world.load()
        print(world.describe(record), file=sys.stderr)
        outcomes: list[Any] = []

        def retry_there(stack: Any) -> None:
            there = ref.arn() if ref.account else _local_arn(ref, stack)
            outcomes.append(retry_in_embedded_stack(stack, there, args.target))

        outcome = on_world(record, lambda stack: outcomes[0], extra=retry_there)
        if record is None:
            world.keep_demo()
        world.add_retry(outcome.model_package_arn, args.target)
        emit({"retry": outcome.as_dict()}, args.json, outcome.render())
        return EXIT_OK
    try:
        profiles = account_profiles(args.account_profile)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    outcome = retry_on_aws(args.version_arn, args.target, args.profile, args.region, profiles)
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
        nargs="*",
        type=Path,
        metavar="EVENT_FILE",
        help="run on the local world (no AWS account): the one the last `replay` or `demo` left "
        "behind, or, with EVENT_FILE..., these events replayed first; the retry is kept in the world",
    )
    retry.add_argument("--json", action="store_true", help="machine-readable output")
    add_account_profiles(retry, "a version of that account is read and marked RETRY there")
    add_aws_options(retry)
    retry.set_defaults(run=cmd_retry)
