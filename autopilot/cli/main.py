"""The local command line: run Registry Autopilot's handlers and workflows with no AWS account.

Verbs:
  invoke HANDLER EVENT_FILE   one handler, one event, on a fresh local backend
  replay EVENT_FILE...        events through the synthesized rules until nothing changes
  plan EVENT_FILE             dry run against your AWS account: real reads, no write sent
  retry VERSION_ARN TARGET    compile a failed Neo target again (your account, or --local)
  doctor                      preflight: is the account ready for the configuration in cdk.json?
  status VERSION_ARN|GROUP    what happened to a model version, or a group's recent versions
  demo                        the whole lifecycle on the embedded backend, with a simulated clock
  cost                        per version, fixed per month, shadow instances per approved version

Exit status: 0 on success, 2 when the input or the setup is the user's to fix (one line that names
the file and the field, or the setting, and how to fix it; never a traceback), 1 otherwise.

Adding a verb: write `autopilot/cli/<verb>.py` with `add_parser(verbs)`, which adds its sub-parser
and sets `run=cmd_<verb>` (a function `(args) -> exit status`), and list it in VERBS. A verb reads
its input (`autopilot.cli.inputs`), calls the package that does the work, and prints with
`autopilot.cli.output.emit`. It raises `InvalidInput` (from `autopilot.errors`) for anything the
user can fix; `main` prints it as one line and exits 2. Verbs that talk to an account take
`--profile/--region` with `autopilot.account.credentials.add_aws_options` and get their session from
`autopilot.account.credentials.resolve_aws`. With `--json`, stdout carries only the JSON document:
run functions inside `autopilot.embedded.quiet.function_output_to`.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from autopilot.cli import cost, demo, doctor, invoke, plan, replay, retry, status
from autopilot.cli.output import EXIT_INVALID, EXIT_OK, one_line
from autopilot.errors import InvalidInput

# One line per verb, in the order `--help` lists them.
VERBS: tuple[Callable[[Any], None], ...] = (
    invoke.add_parser,
    replay.add_parser,
    plan.add_parser,
    retry.add_parser,
    doctor.add_parser,
    status.add_parser,
    cost.add_parser,
    demo.add_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autopilot",
        description="Run Registry Autopilot locally on the embedded backend (no AWS account needed).",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for add in VERBS:
        add(verbs)
    return parser


def _stdout_closed() -> int:
    """The reader of our stdout went away (`| head`): it has what it wanted, so stop quietly (no
    message, exit 0, as `head`'s own pipeline shows it); later flushes must not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout has no file descriptor (captured)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the interpreter exits
    return EXIT_OK


def _refuse(message: str, as_json: bool) -> int:
    """A mistake the user can fix: one line on stderr, exit 2; with `--json` also a JSON document on
    stdout, so `--json > out.json` never leaves an empty file behind."""
    line = one_line(message)
    print(f"error: {line}", file=sys.stderr)
    if as_json:
        import json

        print(json.dumps({"error": line, "exit_status": EXIT_INVALID}, indent=2))
    return EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    from infra.config import ConfigError

    # A handler that raises before recording a metric makes Powertools warn at flush; the CLI reports
    # the failure itself, so the warning is noise on the user's terminal.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except InvalidInput as exc:
        return _refuse(str(exc), as_json)
    except ConfigError as exc:
        return _refuse(f"cdk.json: {exc}", as_json)
    except BrokenPipeError:
        return _stdout_closed()
