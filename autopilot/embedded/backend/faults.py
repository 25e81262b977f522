"""Seeded fault injection for the local backend: AWS calls that fail the way AWS calls fail.

Set ``backend.faults = FaultPlan(share=0.2, seed=7)`` and a share of the calls to the chosen services
fails, on each attempt independently, with one of:

=================  ===========================================  ==========================================
kind               what the caller sees                         where it applies
=================  ===========================================  ==========================================
throttling         ``ThrottlingException`` (HTTP 400);          every operation
                   S3: ``SlowDown`` (503)
internal           ``InternalFailure`` (500);                   every operation
                   S3: ``InternalError`` (500)
unavailable        ``ServiceUnavailable`` (503)                 every operation
conflict           ``ConflictException`` (400)                  operations whose model lists it
                                                                (UpdateModelPackage, ...)
read-timeout       botocore ``ReadTimeoutError``: the request   clients that retry (the functions'); the
                   WAS processed, the response was lost         request is served first, then dropped
connect-timeout    botocore ``ConnectTimeoutError``: the        clients that retry (the functions')
                   request never arrived
=================  ===========================================  ==========================================

The codes and statuses are AWS's common errors (every service's API Reference, "Common Errors":
ThrottlingException 400, InternalFailure 500, ServiceUnavailable 503; Amazon S3 API Reference,
"Error responses": SlowDown 503, InternalError 500). ConflictException is injected only where the
operation's own model documents it, so no caller meets an error AWS cannot return there.

How the faults surface: the backend injects them in botocore's ``before-send`` step, which runs once
per *attempt*, inside botocore's retry loop. So the functions' clients (standard retry mode, 6 attempts)
retry them exactly as they would retry AWS, and the Step Functions interpreter's client (which never
retries, like the service integration) hands them to the state machine's Retry and Catch as
``SageMaker.<Code>Exception`` errors. Timeouts are not injected into the interpreter's calls: a Step
Functions service integration never reports a client-side socket timeout (its errors are the
service's errors and ``States.*``), so there is nothing faithful to surface.

Determinism: whether attempt *n* of a call fails is a hash of (seed, service, operation, the call's
identifying parameters, n), not a draw from a shared random stream, so the same plan fails the same
attempts whatever order parallel Map branches run in. Retry back-off sleeps of botocore are skipped
while a plan is active (they are recorded in ``backoff_seconds``).

Rate limits: ``FaultPlan(share=0.0, rate_limits=(RateLimit("sagemaker", "UpdateModelPackage", 10.0),),
clock=backend.clock)`` refuses attempts beyond 10 per second of the backend's simulated clock with
``ThrottlingException``, whatever the share: a token bucket holding ``burst`` tokens (one second's worth
by default) that refills at the rate. AWS documents that its APIs throttle above account- and
operation-level rates but not SageMaker's rate for each operation, so the rate is the caller's
assumption. With a rate limit, a client's back-off moves the simulated clock on (the caller waited, so
the bucket refills as it would); without one, the clock never moves for back-off.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from autopilot.embedded.backend._clock import Clock

FaultKind = Literal["throttling", "internal", "unavailable", "conflict", "read-timeout", "connect-timeout"]
ALL_KINDS: tuple[FaultKind, ...] = (
    "throttling",
    "internal",
    "unavailable",
    "conflict",
    "read-timeout",
    "connect-timeout",
)
TIMEOUT_KINDS: frozenset[FaultKind] = frozenset({"read-timeout", "connect-timeout"})
DEFAULT_SERVICES = frozenset({"sagemaker", "s3", "sns", "cloudwatch"})

# Parameters that name what a call is about; a call's identity is made of those it carries.
_IDENTIFYING = (
    "ModelPackageName",
    "ModelPackageArn",
    "ModelPackageGroupName",
    "CompilationJobName",
    "Name",
    "EndpointName",
    "ModelName",
    "EndpointConfigName",
    "ResourceArn",
    "Bucket",
    "Key",
    "TopicArn",
    "Subject",
    "Namespace",
    "MetricDataQueries",
)


@dataclass(frozen=True)
class ErrorSpec:
    """An AWS error as it comes back on the wire."""

    code: str
    status: int
    message: str


_ERRORS: dict[str, ErrorSpec] = {
    "throttling": ErrorSpec("ThrottlingException", 400, "Rate exceeded"),
    "internal": ErrorSpec(
        "InternalFailure", 500, "The request processing has failed because of an unknown error."
    ),
    "unavailable": ErrorSpec("ServiceUnavailable", 503, "The request has failed due to a temporary failure."),
    "conflict": ErrorSpec("ConflictException", 400, "There was a conflict when you attempted to modify it."),
}
# Amazon S3 spells its errors its own way (S3 API Reference, "Error responses").
_S3_ERRORS: dict[str, ErrorSpec] = {
    "throttling": ErrorSpec("SlowDown", 503, "Please reduce your request rate."),
    "internal": ErrorSpec("InternalError", 500, "We encountered an internal error. Please try again."),
    "unavailable": ErrorSpec("ServiceUnavailable", 503, "Service is unable to handle request."),
}


def error_for(kind: FaultKind, service: str) -> ErrorSpec | None:
    """The AWS error a kind stands for in a service; None for timeouts (they are not responses)."""
    if service == "s3" and kind in _S3_ERRORS:
        return _S3_ERRORS[kind]
    return _ERRORS.get(kind)


@dataclass(frozen=True)
class InjectedFault:
    service: str
    operation: str
    identity: str
    attempt: int  # 1-based attempt number of this call identity
    kind: FaultKind
    code: str  # the AWS error code, or the botocore exception name for timeouts


@dataclass(frozen=True)
class Attempt:
    """One attempt of a call while the plan was active, and the fault it met (None: none)."""

    service: str
    operation: str
    identity: str
    retrying_client: bool
    kind: FaultKind | None


@dataclass(frozen=True)
class CallAttempts:
    """One client call (what botocore's caller sees as one call) and how many attempts it took."""

    service: str
    operation: str
    attempts: int
    limit: int  # the client's total attempts (retry config)
    retrying_client: bool


def call_identity(params: dict[str, Any]) -> str:
    named = {key: params[key] for key in _IDENTIFYING if key in params}
    return json.dumps(named or params, sort_keys=True, default=str)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class RateLimit:
    """At most `per_second` attempts of one operation per simulated second, with room for `burst` at
    once (default: one second's worth): a token bucket on the backend's clock."""

    service: str
    operation: str
    per_second: float
    burst: float | None = None
    _tokens: float | None = field(default=None, init=False, repr=False)
    _refilled: datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.per_second <= 0 or (self.burst is not None and self.burst < 1):
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else max(self.per_second, 1.0)

    def admit(self, now: datetime) -> bool:
        """Take a token at `now` if one is left (callers hold the plan's lock)."""
        if self._tokens is None or self._refilled is None:
            self._tokens, self._refilled = self.capacity, now
        elapsed = max((now - self._refilled).total_seconds(), 0.0)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.per_second)
        self._refilled = max(now, self._refilled)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class FaultPlan:
    """Which calls fail, and how: a seeded, deterministic share of attempts per call identity."""

    share: float
    kinds: tuple[FaultKind, ...] = ALL_KINDS
    services: frozenset[str] = DEFAULT_SERVICES
    operations: frozenset[str] | None = None  # None: every operation of the chosen services
    seed: int = 0
    rate_limits: tuple[RateLimit, ...] = ()
    clock: Clock | None = None  # the backend's; rate limits read and back-off moves it
    injected: list[InjectedFault] = field(default_factory=list)
    calls: list[CallAttempts] = field(default_factory=list)
    attempt_log: list[Attempt] = field(default_factory=list)
    backoff_seconds: float = 0.0
    _attempts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("share must be between 0 and 1")
        unknown = set(self.kinds) - set(ALL_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"kinds must be a non-empty subset of {ALL_KINDS}; unknown: {sorted(unknown)}")
        self.services = frozenset(self.services)
        if self.operations is not None:
            self.operations = frozenset(self.operations)
        self.rate_limits = tuple(self.rate_limits)
        if self.rate_limits and self.clock is None:
            raise ValueError("rate limits need the backend's clock: FaultPlan(..., clock=backend.clock)")

    def applies_to(self, service: str, operation: str) -> bool:
        if self._rate_limit(service, operation) is not None:
            return True
        return service in self.services and (self.operations is None or operation in self.operations)

    def _rate_limit(self, service: str, operation: str) -> RateLimit | None:
        return next((r for r in self.rate_limits if (r.service, r.operation) == (service, operation)), None)

    def draw(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        modeled_errors: Iterable[str] = (),
        retrying_client: bool = True,
    ) -> FaultKind | None:
        """Decide this attempt: the fault to inject, or None. Counts the attempt either way."""
        if not self.applies_to(service, operation):
            return None
        identity = call_identity(params)
        with self._lock:
            self._attempts[(service, operation, identity)] += 1
            attempt = self._attempts[(service, operation, identity)]
        if self._over_rate(service, operation):
            self._inject(service, operation, identity, attempt, "throttling")
            with self._lock:
                self.attempt_log.append(Attempt(service, operation, identity, retrying_client, "throttling"))
            return "throttling"
        kind = self._decide(
            service=service,
            operation=operation,
            identity=identity,
            attempt=attempt,
            modeled=set(modeled_errors),
            retrying_client=retrying_client,
        )
        with self._lock:
            self.attempt_log.append(Attempt(service, operation, identity, retrying_client, kind))
        return kind

    def _decide(
        self,
        *,
        service: str,
        operation: str,
        identity: str,
        attempt: int,
        modeled: set[str],
        retrying_client: bool,
    ) -> FaultKind | None:
        if _unit(self.seed, "fail", service, operation, identity, attempt) >= self.share:
            return None
        candidates = [
            kind
            for kind in self.kinds
            if (kind != "conflict" or "ConflictException" in modeled)
            and (kind not in TIMEOUT_KINDS or retrying_client)
        ]
        if not candidates:
            return None
        pick = _unit(self.seed, "kind", service, operation, identity, attempt)
        kind = candidates[min(int(pick * len(candidates)), len(candidates) - 1)]
        self._inject(service, operation, identity, attempt, kind)
        return kind

    def _over_rate(self, service: str, operation: str) -> bool:
        limit = self._rate_limit(service, operation)
        if limit is None or self.clock is None:
            return False
        with self._lock:
            return not limit.admit(self.clock.now())

    def _inject(self, service: str, operation: str, identity: str, attempt: int, kind: FaultKind) -> None:
        error = error_for(kind, service)
        code = (
            error.code if error else ("ReadTimeoutError" if kind == "read-timeout" else "ConnectTimeoutError")
        )
        with self._lock:
            self.injected.append(InjectedFault(service, operation, identity, attempt, kind, code))

    def record_call(self, call: CallAttempts) -> None:
        with self._lock:
            self.calls.append(call)

    def add_backoff(self, seconds: float) -> None:
        with self._lock:
            self.backoff_seconds += seconds
        if self.rate_limits and self.clock is not None:
            self.clock.advance(seconds)  # the throttled caller waited; the buckets refill meanwhile

    # -- summaries -----------------------------------------------------------------------------
    def by_code(self) -> Counter[str]:
        return Counter(fault.code for fault in self.injected)

    def by_operation(self) -> Counter[str]:
        return Counter(f"{fault.service}:{fault.operation}" for fault in self.injected)


def error_response(operation: Any, kind: FaultKind) -> Any:
    """The HTTP response AWS sends for this fault, in the operation's wire protocol (an AWSResponse
    botocore parses into the same ClientError a real one gives)."""
    import uuid
    from xml.sax.saxutils import escape

    from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]

    service_model = operation.service_model
    error = error_for(kind, service_model.service_name)
    if error is None:
        raise ValueError(f"{kind} is not an error response")
    request_id = str(uuid.uuid4())
    protocol = getattr(service_model, "resolved_protocol", None) or service_model.protocol
    headers = {"x-amzn-requestid": request_id}
    if protocol in ("json", "rest-json"):
        headers["content-type"] = "application/x-amz-json-1.1"
        headers["x-amzn-ErrorType"] = error.code
        body = json.dumps({"__type": error.code, "message": error.message})
    elif protocol == "rest-xml":
        headers["content-type"] = "application/xml"
        body = (
            f"<Error><Code>{error.code}</Code><Message>{escape(error.message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:  # query, ec2
        headers["content-type"] = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>{'Sender' if error.status < 500 else 'Receiver'}</Type>"
            f"<Code>{error.code}</Code><Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return AWSResponse("https://autopilot-local.invalid/fault", error.status, headers, _Body(body.encode()))


class _Body:
    """The raw-stream object AWSResponse reads a body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body
