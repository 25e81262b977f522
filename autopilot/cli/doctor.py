"""The `doctor` verb: argument parsing and output (the checks live in autopilot.account.doctor)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from autopilot.account.credentials import account_profiles, add_account_profiles, add_aws_options
from autopilot.cli.output import EXIT_INVALID, emit

EXIT_CANNOT_RUN = EXIT_INVALID


def cmd_doctor(args: argparse.Namespace) -> int:
    from autopilot.account.doctor import CannotRun, DoctorReport, aws_client_factory, run_doctor

    if args.local:
        from autopilot.account.local_world import on_world
        from autopilot.embedded import world

        record = world.load()
        print(world.describe(record), file=sys.stderr)
        report: DoctorReport = on_world(
            record, lambda stack: run_doctor(stack.app.config, stack.backend.client, stack.backend.region)
        )
    else:
        from autopilot.embedded.synth import shipped_config

        try:
            profiles = account_profiles(args.account_profile)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID
        try:
            client, region = aws_client_factory(args.profile, args.region)
            others = {account: aws_client_factory(name, region)[0] for account, name in profiles.items()}
            report = run_doctor(shipped_config(), client, region, others)
        except CannotRun as exc:
            print(f"error: doctor cannot run: {exc}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    emit(report.as_dict(), args.json, report.render())
    return report.exit_code


def add_parser(verbs: Any) -> None:
    doctor = verbs.add_parser(
        "doctor",
        help="preflight: is the account ready for the configuration in cdk.json?",
        description=(
            "Check the configuration in cdk.json against the account, before and after `cdk deploy`: "
            "sample placeholders, the watched groups, the compile and experiment roles (trust, and "
            "permissions through IAM's policy simulator), the shadow endpoints, and the deployed "
            "stack's rules, state machine, dead-letter queues and alarms. Read-only. Each check "
            "prints PASS, WARN or FAIL with the fix. Exit status: 0 when nothing fails, 1 when a "
            "check fails, 2 when the checks cannot run (no credentials, no region)."
        ),
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument(
        "--local",
        action="store_true",
        help="check the local world instead: the one the last `replay` or `demo` left behind, with the "
        "stack deployed locally (the demo's when none is kept)",
    )
    add_account_profiles(doctor, "its access role, forwarding rule and group policies are checked")
    add_aws_options(doctor)
    doctor.set_defaults(run=cmd_doctor)
