"""What a verb prints: its result as readable text or, with `--json`, as one JSON document; the exit
statuses every verb shares; a message shortened to one bounded line."""

from __future__ import annotations

import json
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2

MAX_MESSAGE_CHARS = 400


def emit(payload: Any, as_json: bool, human: str) -> None:
    """A verb's result on stdout: the JSON document alone with `--json`, else the readable text."""
    if as_json:
        print(json.dumps(payload, indent=2, sort_keys=True, default=str))
    else:
        print(human)


def one_line(message: str) -> str:
    """A message as one line of bounded length: a 2 MB value quoted in an error is not printed."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 15] + " ... (truncated)"
