"""One round of the compile watcher (EventBridge schedule, every minute).

Each wait is handled on its own: an error with one (throttling, a job that cannot be read) is logged
and that wait tried again next round, and the round fails at its end so the function's Errors alarm
sees it. Every step can be repeated: a wait is deleted only after its branch was resumed, or after
Step Functions said the branch no longer waits (TaskTimedOut, TaskDoesNotExist, or an execution that no
longer runs); a report sent twice reaches the workflow once. An object that is not a wait is set aside
once (moved out of the prefix, and the round fails once), not read again every round.

A round makes one S3 listing per 1,000 waits and one ListCompilationJobs page per 100 jobs in flight
and status; then it reads, describes, answers and deletes only the waits whose job ended or whose
deadline passed (the key carries both: logic/compile_watch.needs_read), at most ANSWERS_PER_ROUND of
them, earliest deadline first, so a round stays within its timeout when a burst of jobs ends at once.
Throttling is answered by the clients' standard-mode retries (adapters/clients.RETRIES), with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registry_autopilot.adapters.clients import error_code, error_message
from registry_autopilot.adapters.compile_watch import Callbacks, CompilationJobs, CompileWaits
from registry_autopilot.logic import naming
from registry_autopilot.logic.compile_watch import (
    JOB_GONE_CODE,
    JobEnd,
    MalformedWait,
    RoundResult,
    Wait,
    gone,
    next_step,
    outcome,
    timed_out,
    timed_out_reason,
    to_read,
    unread_reason,
)
from registry_autopilot.models.workflow import TargetOutcome
from registry_autopilot.observability import logger
from registry_autopilot.settings import Settings


class WatchRoundFailed(RuntimeError):
    """Some waits could not be handled this round; they are tried again next round."""


@dataclass(frozen=True)
class WatchPorts:
    waits: CompileWaits
    jobs: CompilationJobs
    callbacks: Callbacks


def default_ports(settings: Settings) -> WatchPorts:
    return WatchPorts(
        waits=CompileWaits(settings.artifacts_bucket, naming.COMPILE_WAITS_PREFIX),
        # The jobs of versions in other accounts run there (docs/ACCOUNTS.md): listed there too.
        jobs=CompilationJobs(access=settings.access, accounts=settings.config.registry_accounts()),
        callbacks=Callbacks(),
    )


def watch(ports: WatchPorts, settings: Settings, *, now: datetime) -> RoundResult:
    result = RoundResult()
    keys = ports.waits.keys()
    result.waits = len(keys)
    if not keys:
        return result  # nothing waits: an idle round makes one S3 call
    in_flight = ports.jobs.in_flight(naming.JOB_PREFIX)
    ends: dict[str, JobEnd | None] = {}
    # A wait whose job runs and whose deadline is ahead is decided from its key: nothing read. At most
    # ANSWERS_PER_ROUND of the others are handled, earliest deadline first; the rest next round.
    reading, result.deferred = to_read(keys, in_flight, now)
    for key in reading:
        try:
            result.read += 1
            _handle(key, ports, settings, _Round(in_flight, ends, now, result))
        except Exception as exc:
            logger.exception("compile wait not handled", extra={"key": key, "error_code": error_code(exc)})
            result.failed.append(key)
    logger.info("compile watch round", extra=result.as_dict())
    problems = result.problems()
    if problems:
        raise WatchRoundFailed("; ".join(problems))
    return result


@dataclass(frozen=True)
class _Round:
    in_flight: dict[str, str]  # job reference -> status, of every job listed in flight this round
    ends: dict[str, JobEnd | None]  # one describe per job per round (duplicate executions share one)
    now: datetime
    result: RoundResult


def _handle(key: str, ports: WatchPorts, settings: Settings, this: _Round) -> None:
    in_flight, ends, now, result = this.in_flight, this.ends, this.now, this.result
    read = ports.waits.read(key)
    if read is None:
        return  # deleted since the listing
    try:
        wait = Wait.parse(key, *read)
    except MalformedWait as exc:
        moved_to = ports.waits.set_aside(key, naming.SET_ASIDE_WAITS_PREFIX, *read, reason=str(exc))
        logger.error(
            "malformed compile wait set aside", extra={"key": key, "moved_to": moved_to, "reason": str(exc)}
        )
        result.set_aside.append(key)
        return
    step = next_step(wait, in_flight, now)
    if step == "wait":
        return
    report: TargetOutcome
    if step == "describe":
        if wait.ref not in ends:
            try:
                ends[wait.ref] = ports.jobs.end(wait.ref)
            except Exception as exc:
                if error_code(exc) == JOB_GONE_CODE:
                    # Deleted (or never created): no later round can read it, so answer the branch now.
                    _resume(ports, wait, gone(wait, _cause(exc)[:900]), result)
                    return
                if now < wait.deadline:
                    raise  # this round fails for the wait; the next one reads the job again
                # Past the deadline the branch is answered, with what kept the job from being read.
                reason = unread_reason(settings.config.compile_timeout_minutes, _cause(exc))
                _resume(ports, wait, timed_out(wait, reason[:1024]), result)
                return
        end = ends[wait.ref]
        if end is None and now < wait.deadline:
            return  # not listed in flight, yet not ended when described: next round
        report = outcome(wait, end) if end is not None else _stop(ports.jobs, wait, settings, result)
    else:
        report = _stop(ports.jobs, wait, settings, result)
    _resume(ports, wait, report, result)


def _resume(ports: WatchPorts, wait: Wait, report: TargetOutcome, result: RoundResult) -> None:
    """Answer the branch with its outcome, then forget the wait (also when it no longer waits).
    A token Step Functions does not know while its execution runs was read wrong: the wait is kept."""
    answer = ports.callbacks.resume(wait.token, report.model_dump(mode="json", exclude_none=True))
    if answer == "invalid" and (wait.execution is None or ports.callbacks.running(wait.execution)):
        logger.error(
            "task token refused as InvalidToken", extra={"key": wait.key, "execution": wait.execution}
        )
        result.invalid_token.append(wait.key)
        return
    (result.resumed if answer == "resumed" else result.already_closed).append(wait.key)
    ports.waits.delete(wait.key)


def _cause(exc: Exception) -> str:
    return f"{error_message(exc)} ({error_code(exc) or type(exc).__name__})"


def _stop(jobs: CompilationJobs, wait: Wait, settings: Settings, result: RoundResult) -> TargetOutcome:
    """Stop a job still running at the deadline; if it ended meanwhile, report how it ended."""
    timeout = settings.config.compile_timeout_minutes
    try:
        jobs.stop(wait.ref)
    except Exception as exc:
        end = jobs.end(wait.ref)
        if end is not None:
            return outcome(wait, end)
        return timed_out(wait, timed_out_reason(timeout, _cause(exc))[:1024])
    result.stopped.append(wait.job_name)
    return timed_out(wait, timed_out_reason(timeout))
