"""One boto3 client per service per container, created on first use with explicit retries.

botocore is imported with the first client, not when a handler module is imported: it is most of
boto3's import time, and the function's first AWS call needs it anyway (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

# Standard mode retries throttling and transient 5xx errors with exponential backoff and jitter;
# `max_attempts` counts the retries, so a call makes at most six attempts.
RETRIES = {"mode": "standard", "max_attempts": 5}
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30

_clients: dict[str, Any] = {}
_lock = threading.Lock()


@cache
def retry_config() -> Any:
    """The botocore Config every client is created with."""
    from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

    return Config(
        retries=dict(RETRIES), connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS
    )


def client(service: str) -> Any:
    """The shared client for `service` (boto3 is imported on first use to keep cold starts short)."""
    existing = _clients.get(service)
    if existing is not None:
        return existing
    with _lock:
        if service not in _clients:
            import boto3  # type: ignore[import-untyped, unused-ignore]

            _clients[service] = boto3.client(service, config=retry_config())
        return _clients[service]


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError (its `response`), "" for any other exception."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(exc: Exception) -> str:
    """The service's own message (botocore's str() wraps it in "An error occurred (...) when ...")."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message") or exc)


def reset_clients() -> None:
    """Drop every cached client (tests start a fresh mocked backend per case)."""
    with _lock:
        _clients.clear()
