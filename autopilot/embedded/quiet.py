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
    """Each botocore loader parses a service's JSON model again (the SageMaker model alone is
    megabytes), and a local run has many: each boto3 session's, moto's own, the configuration
    check's. Within this process a model is parsed once and shared by every loader that would build it
    from the same files (the same model file and the same extras files: moto's loader adds its own
    extras for some services, so its S3 model is its own), as one loader already shares it between
    its clients (botocore's `instance_cache`); likewise the data files outside any service (the
    endpoints and partitions tables). The models are read-only to botocore and moto."""
    import os

    from botocore import loaders

    if getattr(loaders.Loader, "_autopilot_shared_models", False):
        return
    original_model = loaders.Loader.load_service_model
    original_data = loaders.Loader.load_data_with_path
    shared: dict[tuple[Any, ...], Any] = {}

    def found(self: Any, name: str) -> tuple[str, ...]:
        return tuple(p for p in self._potential_locations(name) if self.file_loader.exists(p))

    def load_service_model(
        self: Any, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        if api_version is None:
            try:
                api_version = self.determine_latest_version(service_name, type_name)
            except Exception:  # an unknown service or type: botocore's own error, as it raises it
                return original_model(self, service_name, type_name, api_version)
        name = os.path.join(service_name, api_version, type_name)
        # moto's loader looks for its extras under the name without dashes: its own key then.
        extras_name = os.path.join(service_name.replace("-", ""), api_version, type_name)
        if "-" not in service_name or type(self)._find_extras is loaders.Loader._find_extras:
            extras_name = name
        extras = tuple(found(self, f"{extras_name}.{kind}-extras") for kind in self.extras_types)
        key = ("model", found(self, name)[:1], extras, extras_name, type_name, api_version)
        if key not in shared:  # the first load checks the service as botocore does
            shared[key] = original_model(self, service_name, type_name, api_version)
        return shared[key]

    def load_data_with_path(self: Any, name: str) -> Any:
        if "/" in name:  # a service's file: its loader's own
            return original_data(self, name)
        key = ("data", found(self, name)[:1], name)
        if key not in shared:
            shared[key] = original_data(self, name)
        return shared[key]

    loaders.Loader.load_service_model = load_service_model
    loaders.Loader.load_data_with_path = load_data_with_path
    loaders.Loader._autopilot_shared_models = True
