"""The local command line: run Registry Autopilot's handlers and workflows with no AWS account.

Verbs:
  invoke HANDLER EVENT_FILE   one handler, one event, on a fresh local backend
  replay EVENT_FILE...        events through the synthesized rules until nothing changes
  plan EVENT_FILE             dry run against your AWS account: real reads, no write sent
  retry VERSION_ARN TARGET    compile a failed Neo target again (your account, or --local)
  demo                        the whole lifecycle on the embedded backend, with a simulated clock
  cost                        per version, fixed per month, shadow instances per approved version

Exit status: 0 on success, 2 when the input or the setup is the user's to fix (one line that names
the file and the field, or the setting, and how to fix it; never a traceback), 1 otherwise.

Adding a verb: write `add_<verb>(verbs)` that adds its sub-parser and sets `run=cmd_<verb>` (a
function `(args) -> exit status`), and list it in VERBS. A verb raises `InvalidInput` (from
`autopilot.errors`) for anything the user can fix; `main` prints it as one line and exits 2. Verbs
that talk to an account take `--profile/--region` with `autopilot.account.credentials.add_aws_options` and
get their session from `autopilot.account.credentials.resolve_aws`. With `--json`, stdout carries only the
JSON document: run functions inside `autopilot.embedded.quiet.function_output_to`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autopilot.account.credentials import add_aws_options
from autopilot.errors import InvalidInput

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2

# What one input file may weigh and how deep its JSON may nest. EventBridge takes entries of at most
# 256 KB (PutEvents), and a Step Functions state's input is limited to 256 KiB; the depth is this
# tool's own bound (AWS documents none; docs/FIDELITY.md), far above any event's.
MAX_INPUT_BYTES = 256 * 1024
MAX_JSON_DEPTH = 64
MAX_MESSAGE_CHARS = 400

__all__ = ["EXIT_FAILED", "EXIT_INVALID", "EXIT_OK", "InvalidInput", "build_parser", "load_event", "main"]


def json_depth(value: Any) -> int:
    """How deeply `value` nests (a scalar is 0, `[]` is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_event(path: Path) -> Any:
    """The JSON document in `path`; InvalidInput naming the file when it cannot be an event."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InvalidInput(
                f"{path}: {size:,} bytes; an event (EventBridge PutEvents entry) or a workflow step's "
                f"input is at most {MAX_INPUT_BYTES // 1024} KB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): "
            "an event file is JSON in UTF-8"
        ) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidInput(f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise InvalidInput(f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def load_objects(pairs: list[str], event_files: list[Path], events: list[Any]) -> dict[str, bytes]:
    """S3 objects to stage: each `--object s3://bucket/key=FILE`, then what the manifest beside a
    sample event names (its evaluation report). An explicit `--object` wins over the manifest."""
    from autopilot.embedded.stack import s3_object, sample_objects

    objects: dict[str, bytes] = {}
    for path, event in zip(event_files, events, strict=True):
        for uri, fixture in sample_objects(path, event).items():
            objects[uri] = _read_bytes(fixture)
            print(f"staged {uri} from {_shown(fixture)}", file=sys.stderr)
    for pair in pairs:
        uri, sep, file = pair.partition("=")
        if not sep or s3_object(uri) is None or not file:
            raise InvalidInput(f"--object {pair!r}: expected s3://bucket/key=FILE")
        objects[uri] = _read_bytes(Path(file))
    return objects


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is under it (as the user would type it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


def emit(payload: Any, as_json: bool, human: str) -> None:
    """A verb's result on stdout: the JSON document alone with `--json`, else the readable text."""
    if as_json:
        print(json.dumps(payload, indent=2, sort_keys=True, default=str))
    else:
        print(human)


def _run_on_aws(args: argparse.Namespace, event: Any, handler: str | None, dry_run: bool) -> int:
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
    return _run_on_aws(args, load_event(args.event_file), handler=None, dry_run=True)


def cmd_invoke(args: argparse.Namespace) -> int:
    from autopilot.embedded.stack import available_handlers, invoke_handler

    event = load_event(args.event_file)
    if args.handler not in available_handlers():
        raise InvalidInput(
            f"unknown handler {args.handler!r}; choose one of: {', '.join(available_handlers())}"
        )
    if args.aws or args.dry_run:
        return _run_on_aws(args, event, handler=args.handler, dry_run=args.dry_run)
    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

    objects = load_objects(args.object, [args.event_file], [event])
    try:
        outcome = invoke_handler(args.handler, event, objects, source=str(args.event_file))
    except RejectedEvent as exc:
        raise InvalidInput(f"{args.event_file} rejected by {args.handler}: {exc}") from None
    except InvalidInput:
        raise
    except Exception as exc:  # the handler failed the way a Lambda invocation would
        print(f"error: {args.handler} failed: {_one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return EXIT_FAILED
    emit(outcome.as_dict(), args.json, outcome.render())
    return EXIT_OK


def _progress(delivered: int, queued: int) -> None:
    print(f"\rdelivered {delivered}, queued {queued} ", end="", file=sys.stderr, flush=True)


def cmd_replay(args: argparse.Namespace) -> int:
    from autopilot.embedded.replay import replay

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
        events=events,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    emit(report.as_dict(), args.json, report.render())
    return report.exit_status


def cmd_demo(args: argparse.Namespace) -> int:
    from autopilot.embedded.demo import HEADER, Step, run_demo
    from autopilot.embedded.synth import shipped_config

    shipped_config()  # an invalid cdk.json is reported before the header is printed
    if args.json:
        report = run_demo()
        emit(report.as_dict(), True, "")
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


Verbs = Any  # argparse's sub-parsers action (a private class)


def add_invoke(verbs: Verbs) -> None:
    invoke = verbs.add_parser(
        "invoke",
        help="run one handler on one event",
        description=(
            "Run one Lambda handler on one event on a fresh local backend, seeded with the model "
            "package the event names. Prints the handler's typed result, every AWS write it made, "
            "and the resulting state of the model package."
        ),
    )
    invoke.add_argument("handler", help="handler name: plan, attach, shadow_start or roller")
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
    add_aws_options(invoke)
    invoke.set_defaults(run=cmd_invoke)


def add_plan(verbs: Verbs) -> None:
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


def add_replay(verbs: Verbs) -> None:
    replay = verbs.add_parser(
        "replay",
        help="push events through the synthesized rules until nothing changes",
        description=(
            "Deliver events as EventBridge would: through the synthesized rules' event patterns into "
            "the synthesized state machines and functions, then deliver every event our own writes "
            "cause, until nothing changes. Prints the final state of the model package versions and "
            "experiments, every write made, and every event rejected and why. Exit status: 0 when "
            "every input was delivered or matched no rule, 2 when an input was rejected as invalid "
            "(the others are still delivered), 1 when delivery had to stop or a delivery failed."
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


def add_demo(verbs: Verbs) -> None:
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


def add_retry(verbs: Verbs) -> None:
    from autopilot.account.retry import add_parser

    add_parser(verbs)


def add_doctor(verbs: Verbs) -> None:
    from autopilot.account.credentials import add_aws_options
    from autopilot.cli.doctor import register

    register(verbs, add_aws_options)


def add_status(verbs: Verbs) -> None:
    from autopilot.account.credentials import add_aws_options
    from autopilot.cli.status import register

    register(verbs, add_aws_options)


def add_cost(verbs: Verbs) -> None:
    cost = verbs.add_parser("cost", help="what the configured stack costs (autopilot/cost/report.py)")
    cost.add_argument("--hourly-price", type=float, help="USD per instance-hour of the shadow instance type")
    cost.add_argument("--json", action="store_true", help="machine-readable output")
    cost.set_defaults(run=cmd_cost)


def cmd_cost(args: argparse.Namespace) -> int:
    from autopilot.cost.report import cost_report, render_json

    report = cost_report(hourly_price=args.hourly_price)
    print(render_json(report) if args.json else report.render())
    return EXIT_OK


# One line per verb, in the order `--help` lists them.
VERBS: tuple[Callable[[Verbs], None], ...] = (
    add_invoke,
    add_replay,
    add_plan,
    add_retry,
    add_doctor,
    add_status,
    add_cost,
    add_demo,
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


def _one_line(message: str) -> str:
    """A message as one line of bounded length: a 2 MB value quoted in an error is not printed."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 15] + " ... (truncated)"


def _stdout_closed() -> int:
    """The reader of our stdout went away (`| head`): stop quietly; later flushes must not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout has no file descriptor (captured)
        pass
    print("error: stdout was closed before the output ended (e.g. piped to head)", file=sys.stderr)
    return EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    from infra.config import ConfigError

    # A handler that raises before recording a metric makes Powertools warn at flush; the CLI reports
    # the failure itself, so the warning is noise on the user's terminal.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except InvalidInput as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except ConfigError as exc:
        print(f"error: cdk.json: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return _stdout_closed()
