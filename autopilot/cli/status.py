"""The `status` verb: argument parsing and output (the reading lives in autopilot.account.status)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from autopilot.account.credentials import account_profiles, add_account_profiles, add_aws_options
from autopilot.cli.output import EXIT_INVALID, EXIT_OK, emit


def cmd_status(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from autopilot.account.doctor import CannotRun, aws_client_factory
    from autopilot.account.status import GroupStatus, NotFound, VersionStatus, read_status

    if args.clear:
        from autopilot.embedded import world

        cleared = world.clear()
        print(f"{'cleared' if cleared else 'no local world kept in'} {world.shown()}")
        return EXIT_OK
    if not args.target:
        print("error: status: name a VERSION_ARN, GROUP/VERSION or GROUP", file=sys.stderr)
        return EXIT_INVALID
    try:
        if args.local:
            from autopilot.account.local_world import on_world
            from autopilot.embedded import world

            record = world.load()
            print(world.describe(record), file=sys.stderr)
            report: VersionStatus | GroupStatus = on_world(
                record,
                lambda stack: read_status(
                    args.target, stack.app.config, stack.backend.client, stack.backend.region
                ),
            )
        else:
            from autopilot.account.versions import client_factory, parse_version_ref, target_for
            from autopilot.embedded.synth import shipped_config

            profiles = account_profiles(args.account_profile)
            ref = parse_version_ref(args.target)
            if ref is None:  # a group: the region is the configured one
                client, region = aws_client_factory(args.profile, args.region)
                elsewhere = {a: aws_client_factory(name, region)[0] for a, name in profiles.items()}
                report = read_status(args.target, shipped_config(), client, region, elsewhere)
            else:  # a version: with no region configured, the ARN's
                target = target_for(ref, args.profile, args.region)
                elsewhere = {a: aws_client_factory(name, target.region)[0] for a, name in profiles.items()}
                report = read_status(
                    ref.arn(target), shipped_config(), client_factory(target), target.region, elsewhere
                )
    except (CannotRun, NotFound, ValueError) as exc:
        print(f"error: status: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (ClientError, BotoCoreError) as exc:  # expired credentials, access denied on a read, ...
        print(f"error: status: cannot read the account: {exc}", file=sys.stderr)
        return EXIT_INVALID
    emit(report.as_dict(), args.json, report.render())
    return EXIT_OK


def add_parser(verbs: Any) -> None:
    status = verbs.add_parser(
        "status",
        help="what happened to a model version, or a group's recent versions",
        description=(
            "Read what the account holds about a model version (VERSION_ARN, or GROUP/VERSION) or a "
            "group's recent versions (GROUP): each Neo target's job, status, failure reason and retry "
            "command, the attached specifications, the approval decision, who made it and when, the "
            "audit keys, the compile workflow's executions with console links, the shadow test and "
            "its outcome, and the model card's status. Read-only."
        ),
    )
    status.add_argument(
        "target", nargs="?", metavar="VERSION_ARN|GROUP", help="a version ARN, GROUP/VERSION, or GROUP"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--local",
        action="store_true",
        help="read the local world instead: the one the last `replay` or `demo` left behind (kept in "
        ".cache/local-world/), or the demo's when none is kept",
    )
    status.add_argument(
        "--clear", action="store_true", help="forget the local world the last replay or demo left, and stop"
    )
    add_account_profiles(status, "a version, its jobs and its experiment are read in their accounts")
    add_aws_options(status)
    status.set_defaults(run=cmd_status)
