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
from typing import IO, Any


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


def share_service_models() -> None:
    """Each boto3 session has its own botocore loader, which parses a service's JSON model again (the
    SageMaker model alone is megabytes): the local stack makes many sessions. Within this process a
    service model is parsed once and shared, as one session's loader already shares it between its
    clients (botocore's `instance_cache`). The model is read-only to botocore."""
    from botocore import loaders

    if getattr(loaders.Loader, "_autopilot_shared_models", False):
        return
    original = loaders.Loader.load_service_model
    shared: dict[tuple[Any, ...], Any] = {}

    def load_service_model(
        self: Any, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        key = (tuple(self.search_paths), service_name, type_name, api_version)
        if key not in shared:
            shared[key] = original(self, service_name, type_name, api_version)
        return shared[key]

    loaders.Loader.load_service_model = load_service_model
    loaders.Loader._autopilot_shared_models = True
