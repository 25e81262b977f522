"""One boto3 client per service per container, created on first use with explicit retries."""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

# Standard mode retries throttling and transient 5xx errors with exponential backoff and jitter.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared client for `service` (boto3 is imported on first use to keep cold starts short)."""
    existing = _clients.get(service)
    if existing is not None:
        return existing
    with _lock:
        if service not in _clients:
            import boto3  # type: ignore[import-untyped, unused-ignore]

            _clients[service] = boto3.client(service, config=RETRY_CONFIG)
        return _clients[service]


def reset_clients() -> None:
    """Drop every cached client (tests start a fresh mocked backend per case)."""
    with _lock:
        _clients.clear()
