"""The compile watch: how a workflow waiting for a compilation job learns how it ended.

Each target's branch of the compile workflow creates its job, then waits on a task token kept in a
small S3 object (the wait): key `compile-waits/[<account>/]<job name>/<deadline>/<execution name>` (the
account when the job runs in another account than the watcher's; docs/ACCOUNTS.md), body the token
as JSON text (the way Step Functions stores an AWS SDK integration's blob parameter: a string keeps its
quotes), metadata the target, the deadline and the execution. Once a minute the compile watcher lists
the jobs in flight; a wait whose job is no longer in flight has ended: the job is described once and
the branch resumed (SendTaskSuccess) with the target's outcome. Past the deadline a job still in flight
is stopped and reported TIMED_OUT. Pure decisions here; the reads and writes are the watcher's
(`usecases.compile_watch`).

What a round needs to know of a wait is in its key (the job and the deadline), so a wait is read (one
GetObject) only when its job has ended or its deadline has passed: a round's reads grow with the jobs
that ended, not with the waits. Waits written before the deadline went into the key
(`compile-waits/<job name>/<execution name>`) are still read every round until they drain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

from registry_autopilot.logic import naming
from registry_autopilot.models.workflow import TargetOutcome

# SageMaker API Reference, CompilationJobStatus: INPROGRESS | COMPLETED | FAILED | STARTING |
# STOPPING | STOPPED. A job in one of these has not ended.
IN_FLIGHT = ("STARTING", "INPROGRESS", "STOPPING")
# A job in one of these has ended: DeleteCompilationJob, "You can delete a compilation job only if its
# current status is COMPLETED, FAILED, or STOPPED". Together with IN_FLIGHT, every CompilationJobStatus
# (tests/unit/functions/test_api_model_literals.py compares both with the API model).
ENDED = ("COMPLETED", "FAILED", "STOPPED")
# The wait's metadata keys, as the workflow writes them (S3 keeps user-defined keys in lowercase).
TARGET_KEY = "target"
DEADLINE_KEY = "deadline"
EXECUTION_KEY = "execution"  # the execution's ARN; absent from waits written before it was added
_EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$")
# The deadline as the workflow writes it (Plan's TIMESTAMP_FORMAT, UTC).
_KEY_DEADLINE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"
# `<account>/` before the job: a job running in another account (docs/ACCOUNTS.md).
_WAIT_KEY = re.compile(
    rf"^{re.escape(naming.COMPILE_WAITS_PREFIX)}(?:(?P<account>[0-9]{{12}})/)?(?P<job>[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}})/"
    rf"(?:(?P<deadline>{_KEY_DEADLINE})/)?(?P<execution>[^/]+)$"
)


class MalformedWait(ValueError):
    """An object under the waits prefix that does not hold what the workflow writes."""


@dataclass(frozen=True)
class Wait:
    """One workflow branch waiting for its compilation job, read from its wait object."""

    key: str
    token: str
    job_name: str
    target: str
    deadline: datetime
    execution: str | None = None
    account: str | None = None  # the job runs in this other account

    @property
    def ref(self) -> str:
        """The job as the round's listing names it: `<account>/<job>` in another account."""
        return job_ref(self.job_name, self.account)

    @classmethod
    def parse(cls, key: str, body: str, metadata: Mapping[str, str]) -> Wait:
        match = _WAIT_KEY.match(key)
        if match is None:
            raise MalformedWait(f"{key}: not {naming.COMPILE_WAITS_PREFIX}<job name>/<execution name>")
        job_name = match["job"]
        token = task_token(key, body)
        target = metadata.get(TARGET_KEY, "")
        if not target:
            raise MalformedWait(f"{key}: no {TARGET_KEY} in its metadata")
        try:
            deadline = datetime.fromisoformat(metadata.get(DEADLINE_KEY, ""))
        except ValueError:
            raise MalformedWait(f"{key}: metadata {DEADLINE_KEY} is not a timestamp") from None
        if deadline.tzinfo is None:
            raise MalformedWait(f"{key}: metadata {DEADLINE_KEY} has no time zone")
        execution = metadata.get(EXECUTION_KEY) or None
        if execution is not None and not _EXECUTION_ARN.match(execution):
            raise MalformedWait(f"{key}: metadata {EXECUTION_KEY} is not an execution ARN")
        return cls(
            key=key,
            token=token,
            job_name=job_name,
            target=target,
            deadline=deadline,
            execution=execution,
            account=match["account"],
        )


def job_ref(job_name: str, account: str | None) -> str:
    return f"{account}/{job_name}" if account else job_name


def split_ref(ref: str) -> tuple[str | None, str]:
    """(account or None, job name) of a job reference."""
    account, _, job = ref.rpartition("/")
    return account or None, job


def task_token(key: str, body: str) -> str:
    """The token the workflow wrote: `"Body.$": "$$.Task.Token"` is stored as the JSON text of the
    string, quotes included (Step Functions serializes an AWS SDK integration's blob parameter as JSON;
    see docs/FIDELITY.md). Sending the text with its quotes answers InvalidToken."""
    if not body.strip():
        raise MalformedWait(f"{key}: no task token in the object")
    try:
        token = json.loads(body)
    except ValueError:
        raise MalformedWait(
            f"{key}: the body is not JSON text; the workflow writes the task token as a JSON string"
        ) from None
    if not isinstance(token, str) or not token.strip():
        raise MalformedWait(f"{key}: no task token in the object: the body is JSON, but not a string")
    return token


Step = Literal["wait", "describe", "stop"]


@dataclass(frozen=True)
class WaitKey:
    """What a wait's key says: the job, and the deadline (None for a wait written before it was there)."""

    job_name: str
    deadline: datetime | None
    account: str | None = None

    @property
    def ref(self) -> str:
        return job_ref(self.job_name, self.account)


def parse_key(key: str) -> WaitKey | None:
    """The key's job and deadline; None for a key the workflow does not write (read and set aside)."""
    match = _WAIT_KEY.match(key)
    if match is None:
        return None
    deadline = match["deadline"]
    return WaitKey(
        job_name=match["job"],
        deadline=datetime.fromisoformat(deadline) if deadline is not None else None,
        account=match["account"],
    )


def needs_read(listed: WaitKey, in_flight: Mapping[str, str], now: datetime) -> bool:
    """Whether this round must read the wait: its job ended (or is not listed yet), or its deadline
    passed, or the key does not carry the deadline. A job in flight before its deadline: no read."""
    if listed.ref not in in_flight or listed.deadline is None:
        return True
    return now >= listed.deadline


# A round answers at most this many waits; the others are answered by the next rounds, earliest
# deadline first. Each answer costs four calls (GetObject, DescribeCompilationJob, SendTaskSuccess,
# DeleteObject): 100 of them take about 40 s at 100 ms a call, within the round's one-minute timeout
# with room for the listings (docs/PERFORMANCE.md, "At scale").
ANSWERS_PER_ROUND = 100


def to_read(
    keys: list[str], in_flight: Mapping[str, str], now: datetime, limit: int = ANSWERS_PER_ROUND
) -> tuple[list[str], int]:
    """The waits this round reads, earliest deadline first (keys without one, or not ours, before
    all), at most `limit`; and how many more needed reading and are left for the next round."""
    needed: list[tuple[datetime, str]] = []
    for key in keys:
        listed = parse_key(key)
        if listed is None or listed.deadline is None:
            needed.append((datetime.min.replace(tzinfo=UTC), key))
        elif needs_read(listed, in_flight, now):
            needed.append((listed.deadline, key))
    needed.sort()
    return [key for _, key in needed[:limit]], max(0, len(needed) - limit)


def next_step(wait: Wait, in_flight: Mapping[str, str], now: datetime) -> Step:
    """`in_flight`: job reference -> status of every job listed in flight this round."""
    if wait.ref not in in_flight:
        return "describe"  # ended (or not listed yet: the describe tells)
    return "stop" if now >= wait.deadline else "wait"


def timed_out_reason(timeout_minutes: int, stop_error: str | None = None) -> str:
    """Why a job still running at the deadline is not attached (the reason recorded on the version).
    Plain words: a metadata value keeps only letters, digits, spaces and _.:/=+-@."""
    still_running = (
        f"still running after {timeout_minutes} minutes: the workflow deadline compileTimeoutMinutes passed"
    )
    if stop_error is None:
        return f"{still_running} and the job was stopped"
    return f"{still_running}. StopCompilationJob failed: {stop_error}"


def unread_reason(timeout_minutes: int, read_error: str) -> str:
    """Why a job the watcher could not read by the deadline is not attached."""
    return (
        f"not read within {timeout_minutes} minutes: the workflow deadline compileTimeoutMinutes passed. "
        f"DescribeCompilationJob failed: {read_error}"
    )


@dataclass(frozen=True)
class JobEnd:
    """What DescribeCompilationJob says of an ended job."""

    status: str  # COMPLETED, FAILED or STOPPED
    artifact: str | None = None
    image: str | None = None
    reason: str | None = None


def outcome(wait: Wait, end: JobEnd) -> TargetOutcome:
    """The branch's result for a job that ended."""
    base = {"target": wait.target, "job_name": wait.job_name}
    if end.status == "COMPLETED":
        return TargetOutcome(**base, status="COMPLETED", artifact=end.artifact, image=end.image)
    reason = end.reason or f"the compilation job ended {end.status}"
    return TargetOutcome(**base, status="FAILED", reason=reason)


# DescribeCompilationJob's one declared error: the job does not exist (deleted, which "You can delete a
# compilation job only if its current status is COMPLETED, FAILED, or STOPPED" allows once it ended).
JOB_GONE_CODE = "ResourceNotFound"


def gone(wait: Wait, cause: str) -> TargetOutcome:
    """The branch's result for a job SageMaker no longer knows: it cannot be read in any later round."""
    reason = f"the compilation job can no longer be described, so it was deleted or never created: {cause}"
    return TargetOutcome(target=wait.target, job_name=wait.job_name, status="FAILED", reason=reason)


def timed_out(wait: Wait, reason: str) -> TargetOutcome:
    return TargetOutcome(target=wait.target, job_name=wait.job_name, status="TIMED_OUT", reason=reason)


@dataclass
class RoundResult:
    """One watcher round, for its log line and the function's result."""

    waits: int = 0
    resumed: list[str] = field(default_factory=list)  # wait keys whose branch was resumed
    already_closed: list[str] = field(default_factory=list)  # the branch had stopped waiting
    stopped: list[str] = field(default_factory=list)  # jobs stopped at their deadline
    failed: list[str] = field(default_factory=list)  # wait keys that failed this round: tried again
    # Step Functions did not know the token while its execution still runs: we read it wrong. Kept.
    invalid_token: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)  # malformed waits moved out of the prefix, once
    read: int = 0  # waits read (GetObject) this round: those whose job ended or whose deadline passed
    deferred: int = 0  # waits that needed reading beyond ANSWERS_PER_ROUND: the next round reads them

    def problems(self) -> list[str]:
        """What makes the round fail (and the watcher's Errors alarm fire), in words."""
        found = []
        if self.failed:
            found.append(f"{len(self.failed)} of {self.waits} compile waits failed: {self.failed}")
        if self.invalid_token:
            found.append(
                f"{len(self.invalid_token)} task tokens refused as InvalidToken while their executions run "
                f"(kept): {self.invalid_token}"
            )
        if self.set_aside:
            found.append(f"{len(self.set_aside)} malformed waits set aside: {self.set_aside}")
        return found

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
