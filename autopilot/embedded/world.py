"""One local world: what a `replay` or the `demo` left behind, kept in a file under the project, so
`status --local`, `retry --local` and `doctor --local` work on it afterwards.

The file records how the world was made (the events delivered with their options and staged objects,
or the demo), and every `retry --local` applied to it since; a verb that reads the world builds it
again from that record. The embedded account is deterministic (a simulated clock, derived names), so
the rebuilt world is the one the earlier command printed, and a retry recorded in it shows in the
next `status --local`.

    .cache/local-world/world.json     (AUTOPILOT_LOCAL_WORLD names another file)
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autopilot.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = ROOT / ".cache" / "local-world" / "world.json"
CLEAR_HINT = "clear it with `python -m autopilot status --local --clear`"


def world_file() -> Path:
    return Path(os.environ.get("AUTOPILOT_LOCAL_WORLD") or DEFAULT_FILE)


def kept_note() -> str:
    """What `replay` and `demo` say once they have kept the world (on stderr)."""
    return (
        f"local world kept in {shown()}: `status --local`, `retry --local` and `doctor --local` "
        f"read it; {CLEAR_HINT}"
    )


def shown(path: Path | None = None) -> str:
    path = path or world_file()
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _write(record: dict[str, Any]) -> Path:
    path = world_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {**record, "recorded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
    return path


def keep_replay(
    files: list[Path], events: list[Any], objects: dict[str, bytes], options: dict[str, Any]
) -> Path:
    """Record a replay as the local world; the retries of an earlier world are dropped with it."""
    return _write(
        {
            "kind": "replay",
            "files": [str(path) for path in files],
            "events": events,
            "objects": {uri: base64.b64encode(body).decode() for uri, body in objects.items()},
            "options": options,
            "retries": [],
        }
    )


def keep_demo() -> Path:
    return _write({"kind": "demo", "retries": []})


def load() -> dict[str, Any] | None:
    path = world_file()
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInput(f"the local world in {shown(path)} cannot be read: {CLEAR_HINT}") from None
    if not isinstance(record, dict) or record.get("kind") not in ("replay", "demo"):
        raise InvalidInput(f"the local world in {shown(path)} is not one this version wrote: {CLEAR_HINT}")
    return record


def clear() -> bool:
    """Remove the local world; False when there was none."""
    path = world_file()
    if not path.is_file():
        return False
    path.unlink()
    return True


def describe(record: dict[str, Any] | None) -> str:
    """One line for stderr: which world a verb reads, and where it is kept."""
    if record is None:
        return (
            "local world: none kept yet (run `replay EVENT_FILE...` or `demo` first); using the demo's "
            "lifecycle"
        )
    made = "the demo" if record["kind"] == "demo" else "replay of " + " ".join(record["files"])
    retries = f", then {len(record['retries'])} retry" if record.get("retries") else ""
    return f"local world: {made}{retries} (kept in {shown()} at {record.get('recorded', '?')}; {CLEAR_HINT})"


def add_retry(arn: str, target: str) -> None:
    record = load()
    if record is not None:
        record["retries"].append([arn, target])
        _write(record)
