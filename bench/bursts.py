"""Bursts of UpdateModelPackage writers under a simulated rate limit (`make bench`, item 6).

The local backend's fault plan limits UpdateModelPackage to a rate on its simulated clock (a token
bucket; `autopilot/embedded/backend/faults.py`). Writers run as threads, one at a time in simulated-time order
(`VirtualTime`), each with its own client configured as the functions' clients are, so botocore's own
retry loop and back-off decide when each attempt comes. `simulate_burst` can add the deployed
smoothing: the function's reserved concurrency and the state machine's retry of throttled steps.
"""

from __future__ import annotations

import functools
import heapq
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

from autopilot.embedded.backend import Clock, LocalBackend
from autopilot.embedded.backend.faults import FaultPlan, RateLimit
from autopilot.embedded.synth import SynthesizedApp

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WRITE_LIMIT_PER_SECOND = 10.0
BURST_INVOCATIONS = 1_000
BURST_SEED = 7


class VirtualTime:
    """Runs writer threads one at a time in simulated-time order: a discrete-event simulation in which
    each writer runs until botocore sleeps between its attempts (`sleep`, patched in for time.sleep)
    or it ends; then the writer due earliest runs, with the backend's clock set to its time. Ties go
    to the lower writer number, so a run is repeatable."""

    def __init__(self, clock: Clock, writers: int) -> None:
        self._clock = clock
        self._start = clock.now()
        self._due: list[tuple[float, int]] = [(0.0, writer) for writer in range(writers)]
        self._at = [0.0] * writers
        self._go = [threading.Event() for _ in range(writers)]
        self._lock = threading.Lock()
        self._local = threading.local()

    def start(self) -> None:
        """Let the first writer run (every writer thread must be started first)."""
        self._hand_over()

    def run(self, writer: int, work: Callable[[], None]) -> None:
        """A writer thread's body."""
        self._wait(writer)
        try:
            work()
        finally:
            self._hand_over()

    def sleep(self, seconds: float) -> None:
        writer: int = self._local.writer
        with self._lock:
            heapq.heappush(self._due, (self._at[writer] + seconds, writer))
        self._hand_over()
        self._wait(writer)

    @property
    def elapsed(self) -> float:
        return max(self._at)

    def _wait(self, writer: int) -> None:
        self._go[writer].wait()
        self._go[writer].clear()
        self._local.writer = writer

    def _hand_over(self) -> None:
        with self._lock:
            if not self._due:
                return
            at, writer = heapq.heappop(self._due)
            self._at[writer] = at
            self._clock.set(self._start + timedelta(seconds=at))
        self._go[writer].set()


@dataclass
class Burst:
    """`writers` UpdateModelPackage callers at the same instant, each with its own client (its own
    Lambda execution environment), retrying as the functions' clients do."""

    writers: int
    failed: int  # writes that failed with ThrottlingException after the client's last attempt
    throttled_attempts: int
    seconds: float  # simulated time until the last writer was done
    not_run: int = 0  # invocations Lambda still throttled after the state machine's last retry
    task_retries: int = 0  # the state machine's retries of the step (each a billed transition)


@dataclass(frozen=True)
class TaskRetry:
    """A Step Functions Retry rule (interval, backoff, attempts, cap, full jitter or none)."""

    interval: float
    backoff: float
    max_attempts: int
    max_delay: float | None
    full_jitter: bool

    def delay(self, retry: int, draw: Callable[[], float]) -> float:
        """Before retry number `retry` (1-based), as the Step Functions Developer Guide describes
        ("Handling errors": IntervalSeconds x BackoffRate^(n-1), MaxDelaySeconds, JitterStrategy FULL)."""
        wait = self.interval * self.backoff ** (retry - 1)
        if self.max_delay is not None:
            wait = min(wait, self.max_delay)
        return wait * draw() if self.full_jitter else wait


def task_retry(app: SynthesizedApp, state: str, error: str) -> TaskRetry | None:
    """The synthesized definition's Retry rule of `state` that names `error`, if any."""
    (definition,) = app.state_machines.values()
    for rule in definition["States"][state].get("Retry", []):
        if error in rule["ErrorEquals"]:
            return TaskRetry(
                interval=float(rule.get("IntervalSeconds", 1)),
                backoff=float(rule.get("BackoffRate", 2.0)),
                max_attempts=int(rule.get("MaxAttempts", 3)),
                max_delay=float(rule["MaxDelaySeconds"]) if "MaxDelaySeconds" in rule else None,
                full_jitter=rule.get("JitterStrategy") == "FULL",
            )
    return None


def simulate_burst(
    invocations: int,
    *,
    reserved: int | None = None,
    before_write: float = 0.0,
    throttle_retry: TaskRetry | None = None,
    per_second: float = WRITE_LIMIT_PER_SECOND,
    seed: int = BURST_SEED,
) -> Burst:
    """`invocations` writers started at the same instant, each an invocation that runs `before_write`
    simulated seconds, then calls UpdateModelPackage with a client configured as the functions' are.

    At most `reserved` run at once (None: no limit), each execution environment keeping its client, as
    Lambda keeps it between invocations. An invocation that finds no free environment is throttled by
    Lambda; with `throttle_retry` (the state machine's Retry), it and an invocation whose write stayed
    throttled through the client's retries are tried again after the rule's delay."""
    import boto3  # type: ignore[import-untyped, unused-ignore]
    import botocore.endpoint  # type: ignore[import-untyped, unused-ignore]
    from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

    from registry_autopilot.adapters.clients import retry_config

    environments = min(invocations, reserved or invocations)
    with LocalBackend(start_time=START) as backend:
        arn = backend.seed_model_package("burst")
        session = boto3.session.Session()
        clients = [
            session.client("sagemaker", region_name=backend.region, config=retry_config())
            for _ in range(environments)
        ]
        plan = FaultPlan(
            share=0.0,
            rate_limits=(RateLimit("sagemaker", "UpdateModelPackage", per_second),),
            clock=backend.clock,
        )
        simulation = VirtualTime(backend.clock, invocations)
        free = list(range(environments))
        failed: list[int] = []  # the write stayed throttled (SageMakerThrottled)
        not_run: list[int] = []  # Lambda refused it each time (Lambda.TooManyRequestsException)
        retried: list[int] = []
        jitter = random.Random(seed)

        def invoke(invocation: int) -> None:
            retries = throttle_retry.max_attempts if throttle_retry is not None else 0
            outcome = not_run
            for attempt in range(retries + 1):
                if attempt and throttle_retry is not None:
                    retried.append(invocation)
                    simulation.sleep(throttle_retry.delay(attempt, jitter.random))
                if not free:
                    outcome = not_run
                    continue
                environment = free.pop()
                try:
                    simulation.sleep(before_write)
                    clients[environment].update_model_package(
                        ModelPackageArn=arn, CustomerMetadataProperties={"autopilot:bench": str(invocation)}
                    )
                    return
                except ClientError:
                    outcome = failed
                finally:
                    free.append(environment)
            outcome.append(invocation)

        saved = random.getstate()
        random.seed(seed)  # botocore's back-off jitter draws from the random module
        backend.faults = plan
        try:
            with mock.patch.object(
                botocore.endpoint, "time", SimpleNamespace(sleep=simulation.sleep, time=time.time)
            ):
                threads = [
                    threading.Thread(target=simulation.run, args=(i, functools.partial(invoke, i)))
                    for i in range(invocations)
                ]
                for thread in threads:
                    thread.start()
                simulation.start()
                for thread in threads:
                    thread.join()
        finally:
            backend.faults = None
            random.setstate(saved)
    return Burst(
        writers=invocations,
        failed=len(failed),
        throttled_attempts=len(plan.injected),
        seconds=simulation.elapsed,
        not_run=len(not_run),
        task_retries=len(retried),
    )


def largest_burst(
    *, per_second: float = WRITE_LIMIT_PER_SECOND, ceiling: int = 1024
) -> tuple[int, list[Burst]]:
    """The most simultaneous writers with no throttling failure: doubling, then bisecting."""
    tried: list[Burst] = []
    good, bad = 0, None
    writers = max(1, int(per_second))
    while bad is None and writers <= ceiling:
        tried.append(simulate_burst(writers, per_second=per_second))
        if tried[-1].failed:
            bad = writers
        else:
            good, writers = writers, writers * 2
    while bad is not None and bad - good > max(1, good // 20):
        middle = (good + bad) // 2
        tried.append(simulate_burst(middle, per_second=per_second))
        if tried[-1].failed:
            bad = middle
        else:
            good = middle
    return good, tried
