"""One boto3 client per service (and per account acted in) per container, created on first use with
explicit retries.

A client for another account acts as that account's access role (docs/ACCOUNTS.md): its credentials
come from STS AssumeRole on first use and are refreshed before they expire, for the container's life.

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


# RoleSessionName of the access roles' sessions: CloudTrail in the other account shows it.
SESSION_NAME = "registry-autopilot"


class AccountAccessDenied(PermissionError):
    """STS refused the access role of another account: the message names the role and what to deploy."""


def client(service: str, role_arn: str | None = None) -> Any:
    """The shared client for `service`, acting as `role_arn` when given (another account's access role).
    boto3 is imported on first use to keep cold starts short."""
    key = service if role_arn is None else f"{service} as {role_arn}"
    existing = _clients.get(key)
    if existing is not None:
        return existing
    with _lock:
        if key not in _clients:
            import boto3  # type: ignore[import-untyped, unused-ignore]

            if role_arn is None:
                _clients[key] = boto3.client(service, config=retry_config())
            else:
                _clients[key] = _assumed_session(role_arn).client(service, config=retry_config())
        return _clients[key]


def _assumed_session(role_arn: str) -> Any:
    """A session whose credentials are `role_arn`'s, assumed when first needed and again before they
    expire (botocore refreshes them: DeferredRefreshableCredentials)."""
    import boto3  # type: ignore[import-untyped, unused-ignore]
    import botocore.session  # type: ignore[import-untyped, unused-ignore]
    from botocore.credentials import DeferredRefreshableCredentials  # type: ignore[import-untyped, unused-ignore]

    def assume() -> dict[str, str]:
        try:
            answer = client("sts").assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)
        except Exception as exc:
            if error_code(exc) in {"AccessDenied", "AccessDeniedException"}:
                account = role_arn.split(":")[4]
                raise AccountAccessDenied(
                    f"cannot act in account {account}: sts:AssumeRole on {role_arn} was refused "
                    f"({error_message(exc)}). Its trust policy or this function's role lacks the grant: "
                    "deploy the companion stack for that account (docs/ACCOUNTS.md)"
                ) from exc
            raise
        credentials = answer["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    core = botocore.session.get_session()
    # The default session's loader: service models are read and parsed once per container, not once
    # per account acted in.
    core.register_component("data_loader", _default_loader())
    core._credentials = DeferredRefreshableCredentials(refresh_using=assume, method="sts-assume-role")
    return boto3.Session(botocore_session=core)


def _default_loader() -> Any:
    import boto3  # type: ignore[import-untyped, unused-ignore]

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION._session.get_component("data_loader")


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
