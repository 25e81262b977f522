"""`replay EVENT_FILE...`: events through the synthesized rules on the embedded account until nothing
changes (the delivery itself is `autopilot.embedded.replay`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from autopilot.cli.inputs import add_object_option, load_event, load_objects
from autopilot.cli.output import emit
from autopilot.errors import InvalidInput

MAX_DELIVERIES = 1_000  # autopilot.embedded.replay.MAX_DELIVERIES, without importing the backend for --help


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
    if args.max_deliveries < 1:
        raise InvalidInput("--max-deliveries must be at least 1")
    objects = load_objects(args.object, args.event_files, events)
    report = replay(
        args.event_files,
        repeat=args.repeat,
        shuffle=args.shuffle,
        seed=args.seed,
        watch=args.watch,
        objects=objects,
        schedule_rounds=args.rounds,
        progress=_progress if sys.stderr.isatty() else None,
        events=events,
        max_deliveries=args.max_deliveries,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    _keep_world(args, events, objects)
    emit(report.as_dict(), args.json, report.render())
    return report.exit_status


def _keep_world(args: argparse.Namespace, events: list[Any], objects: dict[str, bytes]) -> None:
    """The replay becomes the local world `status --local`, `retry --local` and `doctor --local` read."""
    from autopilot.embedded import world

    options = {
        "repeat": args.repeat,
        "shuffle": args.shuffle,
        "seed": args.seed,
        "watch": args.watch,
        "rounds": args.rounds,
    }
    world.keep_replay(args.event_files, events, objects, options)
    print(world.kept_note(), file=sys.stderr)


def add_parser(verbs: Any) -> None:
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
    replay.add_argument(
        "--max-deliveries",
        type=int,
        default=MAX_DELIVERIES,
        metavar="N",
        help=f"stop after N deliveries (default {MAX_DELIVERIES:,}); the report says when it stopped there",
    )
    add_object_option(replay)
    replay.add_argument("--json", action="store_true", help="machine-readable output")
    replay.set_defaults(run=cmd_replay)
