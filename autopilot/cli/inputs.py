"""What a verb reads: event files (bounded in size and depth, errors that name the file) and the S3
objects to stage beside them (`--object s3://bucket/key=FILE`, or a sample's manifest)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from autopilot.errors import InvalidInput

# What one input file may weigh and how deep its JSON may nest. EventBridge takes entries of at most
# 256 KB (PutEvents), and a Step Functions state's input is limited to 256 KiB; the depth is this
# tool's own bound (AWS documents none; docs/FIDELITY.md), far above any event's.
MAX_INPUT_BYTES = 256 * 1024
MAX_JSON_DEPTH = 64


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
    if text.startswith("\ufeff"):
        raise InvalidInput(
            f"{path} starts with a UTF-8 byte order mark (BOM), which JSON does not allow: save it as "
            "UTF-8 without BOM"
        )
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


def add_object_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--object",
        action="append",
        default=[],
        metavar="S3_URI=FILE",
        help="put FILE at S3_URI in the local S3 first, e.g. an evaluation report the event's "
        "ModelMetrics names (repeatable; samples from events/ get theirs from the manifest)",
    )
