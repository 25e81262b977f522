"""Keep what the functions print (Powertools logs and metrics) off the CLI's stdout.

In Lambda, Powertools writes log lines and the metrics' EMF blob to stdout, where CloudWatch Logs
picks them up. On the command line stdout carries the verb's output (with `--json`, only JSON), so
while a function runs locally its output goes to a buffer instead.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import IO


def _stdout_handlers(stdout: IO[str]) -> list[logging.StreamHandler[IO[str]]]:
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    found = []
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (stdout, sys.__stdout__):
                found.append(handler)
    return found


@contextlib.contextmanager
def function_output_to(buffer: IO[str]) -> Iterator[None]:
    """Inside: print() and every logging handler that writes to stdout (Powertools' Logger keeps
    the stream it was created with) write to `buffer`."""
    handlers = _stdout_handlers(sys.stdout)
    saved = [handler.setStream(buffer) for handler in handlers]
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        for handler, stream in zip(handlers, saved, strict=True):
            if stream is not None:
                handler.setStream(stream)
