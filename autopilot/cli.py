"""The local command line: run Registry Autopilot's handlers and workflows with no AWS account.

Verbs:
  invoke HANDLER EVENT_FILE   one handler, one event, on a fresh local backend
  replay EVENT_FILE...        events through the synthesized rules until nothing changes
  plan EVENT_FILE             dry run against your AWS account: real reads, no write sent
  demo                        the whole lifecycle on the embedded backend, with a simulated clock
  cost                        per version, fixed per month, shadow instances per approved version

Exit status: 0 on success, 2 when the input is invalid (the message names the problem), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


class InvalidInput(Exception):
    """Input the user can fix: an unreadable event file, an unknown handler, an invalid event."""


def load_event(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def load_objects(pairs: list[str], event_files: list[Path], events: list[Any]) -> dict[str, bytes]:
    """S3 objects to stage: each `--object s3://bucket/key=FILE`, then what the manifest beside a
    sample event names (its evaluation report). An explicit `--object` wins over the manifest."""
    from autopilot.local import s3_object, sample_objects

    objects: dict[str, bytes] = {}
    for path, event in zip(event_files, events, strict=True):
        for uri, fixture in sample_objects(path, event).items():
            objects[uri] = _read_bytes(fixture)
            print(f"staged {uri} from {fixture}", file=sys.stderr)
    for pair in pairs:
        uri, sep, file = pair.partition("=")
        if not sep or s3_object(uri) is None or not file:
            raise InvalidInput(f"--object {pair!r}: expected s3://bucket/key=FILE")
        objects[uri] = _read_bytes(Path(file))
    return objects


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


def _print(payload: Any, as_json: bool, human: str) -> None:
    if as_json:
        print(json.dumps(payload, indent=2, sort_keys=True, default=str))
    else:
        print(human)


def _run_on_aws(args: argparse.Namespace, event: Any, handler: str | None, dry_run: bool) -> int:
    from autopilot.aws import run_on_aws
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    try:
        runs = run_on_aws(event, handler=handler, dry_run=dry_run, region=args.region, profile=args.profile)
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected: {exc}") from None
    if not runs:
        _print({"runs": []}, args.json, "no rule matches this event: nothing would run")
        return EXIT_OK
    _print({"runs": [run.as_dict() for run in runs]}, args.json, "\n\n".join(r.render() for r in runs))
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    return _run_on_aws(args, load_event(args.event_file), handler=None, dry_run=True)


def cmd_invoke(args: argparse.Namespace) -> int:
    from autopilot.local import available_handlers, invoke_handler

    event = load_event(args.event_file)
    if args.handler not in available_handlers():
        raise InvalidInput(
            f"unknown handler {args.handler!r}; choose one of: {', '.join(available_handlers())}"
        )
    if args.aws or args.dry_run:
        return _run_on_aws(args, event, handler=args.handler, dry_run=args.dry_run)
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    try:
        outcome = invoke_handler(args.handler, event, load_objects(args.object, [args.event_file], [event]))
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected by {args.handler}: {exc}") from None
    except Exception as exc:  # the handler failed the way a Lambda invocation would
        print(f"error: {args.handler} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _print(outcome.as_dict(), args.json, outcome.render())
    return EXIT_OK


def _progress(delivered: int, queued: int) -> None:
    print(f"\rdelivered {delivered}, queued {queued} ", end="", file=sys.stderr, flush=True)


def cmd_replay(args: argparse.Namespace) -> int:
    from autopilot.replay import replay

    # Unreadable or non-JSON files are the user's to fix: exit 2 before any work.
    events = [load_event(path) for path in args.event_files]
    if args.repeat < 1:
        raise InvalidInput("--repeat must be at least 1")
    if args.rounds < 0:
        raise InvalidInput("--rounds must be 0 or more")
    report = replay(
        args.event_files,
        repeat=args.repeat,
        shuffle=args.shuffle,
        seed=args.seed,
        watch=args.watch,
        objects=load_objects(args.object, args.event_files, events),
        schedule_rounds=args.rounds,
        progress=_progress if sys.stderr.isatty() else None,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    _print(report.as_dict(), args.json, report.render())
    return EXIT_FAILED if report.stopped_early else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from autopilot.demo import HEADER, Step, run_demo

    if args.json:
        report = run_demo()
        _print(report.as_dict(), True, "")
        return EXIT_OK

    def show(step: Step) -> None:  # the timeline as it happens: the demo runs for seconds
        print(step.render(), flush=True)

    print(HEADER, end="\n\n", flush=True)
    report = run_demo(on_step=show)
    print(report.render(timeline=False))
    return EXIT_OK


def _add_object_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--object",
        action="append",
        default=[],
        metavar="S3_URI=FILE",
        help="put FILE at S3_URI in the local S3 first, e.g. an evaluation report the event's "
        "ModelMetrics names (repeatable; samples from events/ get theirs from the manifest)",
    )


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: your configuration's)")
    parser.add_argument("--profile", help="AWS profile (default: your configuration's)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autopilot",
        description="Run Registry Autopilot locally on the embedded backend (no AWS account needed).",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    invoke = verbs.add_parser(
        "invoke",
        help="run one handler on one event",
        description=(
            "Run one Lambda handler on one event on a fresh local backend, seeded with the model "
            "package the event names. Prints the handler's typed result, every AWS write it made, "
            "and the resulting state of the model package."
        ),
    )
    invoke.add_argument("handler", help="handler name, e.g. plan or attach (see the README)")
    invoke.add_argument("event_file", type=Path, help="a JSON event, e.g. one from events/")
    invoke.add_argument("--json", action="store_true", help="machine-readable output")
    invoke.add_argument(
        "--aws", action="store_true", help="run against AWS with your credentials, writes included"
    )
    invoke.add_argument(
        "--dry-run",
        action="store_true",
        help="run against AWS with your credentials: real reads, every write recorded and not sent",
    )
    _add_object_option(invoke)
    _add_aws_options(invoke)
    invoke.set_defaults(run=cmd_invoke)

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
    _add_aws_options(plan)
    plan.set_defaults(run=cmd_plan)

    replay = verbs.add_parser(
        "replay",
        help="push events through the synthesized rules until nothing changes",
        description=(
            "Deliver events as EventBridge would: through the synthesized rules' event patterns into "
            "the synthesized state machines and functions, then deliver every event our own writes "
            "cause, until nothing changes. Prints the final state of the model package versions and "
            "experiments, every write made, and every event rejected and why."
        ),
    )
    replay.add_argument("event_files", type=Path, nargs="+", metavar="EVENT_FILE")
    replay.add_argument("--repeat", type=int, default=1, help="deliver each event N times (at-least-once)")
    replay.add_argument("--shuffle", action="store_true", help="deliver in a random order")
    replay.add_argument("--seed", type=int, default=0, help="random seed for --shuffle (default 0)")
    replay.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="GROUP",
        help="treat GROUP as watched with the default policy (one ml_c5 target, manual approval)",
    )
    replay.add_argument(
        "--rounds",
        type=int,
        default=0,
        metavar="N",
        help="after the events settle, run up to N scheduled roller rounds, the clock advancing by "
        "the roller's rate before each, until no shadow test is left in progress",
    )
    _add_object_option(replay)
    replay.add_argument("--json", action="store_true", help="machine-readable output")
    replay.set_defaults(run=cmd_replay)

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

    cost = verbs.add_parser("cost", help="what the configured stack costs (autopilot/cost.py)")
    cost.add_argument("--hourly-price", type=float, help="USD per instance-hour of the shadow instance type")
    cost.add_argument("--json", action="store_true", help="machine-readable output")
    cost.set_defaults(run=cmd_cost)
    return parser


def cmd_cost(args: argparse.Namespace) -> int:
    from autopilot.cost import cost_report, render_json

    report = cost_report(hourly_price=args.hourly_price)
    print(render_json(report) if args.json else report.render())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A handler that raises before recording a metric makes Powertools warn at flush; the CLI reports
    # the failure itself, so the warning is noise on the user's terminal.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        return int(args.run(args))
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
