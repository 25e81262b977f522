"""The compile watcher's decisions and one round of it, against fakes of its three adapters.

AWS behaviour relied on:
- ListCompilationJobs filters by StatusEquals (INPROGRESS | COMPLETED | FAILED | STARTING | STOPPING |
  STOPPED) and its CompilationJobSummary carries no FailureReason, ModelArtifacts or InferenceImage
  (SageMaker API Reference, ListCompilationJobs, CompilationJobSummary): an ended job is described once.
- SendTaskSuccess answers TaskTimedOut when "The task token has either expired or the task associated
  with the token has already been closed" (Step Functions API Reference, SendTaskSuccess): the branch
  no longer waits, so the wait is deleted. InvalidToken ("The provided token is not valid.") for a
  token we read means we read it wrong: the wait is kept unless DescribeExecution says the execution no
  longer runs ("RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE", DescribeExecution).
- The wait's body is the task token as JSON text: Step Functions serializes an AWS SDK integration's
  blob parameter as JSON, a string with its quotes (recorded against AWS: LocalStack
  tests/aws/services/stepfunctions/v2/services/test_aws_sdk_task_service.snapshot.json,
  test_s3_put_object[str]: `"Body": "text data"` reads back as `"\"text data\""`).
- "When it receives a StopCompilationJob request, Amazon SageMaker AI changes the CompilationJobStatus
  of the job to Stopping" (SageMaker API Reference, StopCompilationJob).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from registry_autopilot.logic.compile_watch import ANSWERS_PER_ROUND, JobEnd, MalformedWait, Wait, next_step
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.settings import Settings
from registry_autopilot.usecases import compile_watch
from tests.compile_fixtures import ARTIFACTS_BUCKET, TOPIC_ARN

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(minutes=30)
JOB = "autopilot-churn-xgboost-v3-ml-c5-1a2b3c4d"
KEY = f"compile-waits/{JOB}/exec-1"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileStateMachine:exec-1"


def body(token: str) -> str:
    """The wait's body as Step Functions writes it: the token's JSON text."""
    return json.dumps(token)


def metadata(
    deadline: datetime = DEADLINE, target: str = "ml-c5", execution: str | None = EXECUTION
) -> dict[str, str]:
    found = {"target": target, "deadline": deadline.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return found if execution is None else {**found, "execution": execution}


class NotAuthorized(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


@dataclass
class FakeWaits:
    objects: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return sorted(self.objects)

    def read(self, key: str) -> tuple[str, dict[str, str]] | None:
        self.reads.append(key)
        return self.objects.get(key)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def set_aside(self, key: str, to_prefix: str, body: str, metadata: dict[str, str], reason: str) -> str:
        new_key = to_prefix + key.removeprefix("compile-waits/")
        self.set_aside_objects[new_key] = (body, {**metadata, "reason": reason})
        self.delete(key)
        return new_key

    set_aside_objects: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)


@dataclass
class FakeJobs:
    running: dict[str, str] = field(default_factory=dict)
    ended: dict[str, JobEnd] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    refuse_stop: Exception | None = None

    def in_flight(self, name_contains: str) -> dict[str, str]:
        return {name: status for name, status in self.running.items() if name_contains in name}

    def end(self, job_name: str) -> JobEnd | None:
        self.described.append(job_name)
        return self.ended.get(job_name)

    def stop(self, job_name: str) -> None:
        if self.refuse_stop is not None:
            raise self.refuse_stop
        self.stopped.append(job_name)


@dataclass
class FakeCallbacks:
    """Step Functions as the watcher sees it: tokens it knows, once each; executions and their status."""

    closed: set[str] = field(default_factory=set)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    known: set[str] | None = None  # None: every token is known
    executions: dict[str, str] = field(default_factory=dict)  # ARN -> status
    described: list[str] = field(default_factory=list)

    def resume(self, token: str, output: dict[str, Any]) -> str:
        if self.known is not None and token not in self.known:
            return "invalid"
        if token in self.closed:
            return "closed"
        self.sent.append((token, output))
        self.closed.add(token)  # a token answers once
        return "resumed"

    def running(self, execution_arn: str) -> bool:
        self.described.append(execution_arn)
        return self.executions.get(execution_arn) == "RUNNING"


@pytest.fixture
def settings(config: AutopilotConfig) -> Settings:
    return Settings(
        notification_topic_arn=TOPIC_ARN,
        artifacts_bucket=ARTIFACTS_BUCKET,
        region="us-east-1",
        config_file=Path("autopilot_config.json"),
        config=config,
    )


def ports(waits: FakeWaits, jobs: FakeJobs, callbacks: FakeCallbacks) -> compile_watch.WatchPorts:
    return compile_watch.WatchPorts(waits=waits, jobs=jobs, callbacks=callbacks)  # type: ignore[arg-type]


def test_given_a_job_in_flight_before_its_deadline_then_the_wait_goes_on() -> None:
    wait = Wait.parse(KEY, body("token-1"), metadata())

    assert next_step(wait, {JOB: "INPROGRESS"}, NOW) == "wait"
    assert next_step(wait, {JOB: "INPROGRESS"}, DEADLINE) == "stop"
    assert next_step(wait, {}, NOW) == "describe"


@pytest.mark.parametrize(
    ("key", "body", "meta", "problem"),
    [
        ("compile-waits/not a job/exec-1", "token", metadata(), "not compile-waits/<job name>"),
        (KEY, "  ", metadata(), "no task token"),
        (KEY, "token-1", metadata(), "not JSON text"),
        (KEY, '{"token": "token-1"}', metadata(), "not a string"),
        (KEY, '""', metadata(), "no task token"),
        (KEY, body("t"), {**metadata(), "execution": "exec-1"}, "not an execution ARN"),
        (KEY, body("token"), {"deadline": "2026-11-29T12:00:00Z"}, "no target"),
        (KEY, body("token"), {"target": "ml-c5", "deadline": "tomorrow"}, "not a timestamp"),
        (KEY, body("token"), {"target": "ml-c5", "deadline": "2026-11-29T12:00:00"}, "no time zone"),
    ],
)
def test_given_an_object_the_workflow_did_not_write_then_it_is_refused_naming_what_is_wrong(
    key: str, body: str, meta: dict[str, str], problem: str
) -> None:
    with pytest.raises(MalformedWait, match=problem):
        Wait.parse(key, body, meta)


def test_given_nothing_waits_then_the_round_reads_nothing_else(settings: Settings) -> None:
    jobs = FakeJobs(running={JOB: "INPROGRESS"})

    result = compile_watch.watch(ports(FakeWaits(), jobs, FakeCallbacks()), settings, now=NOW)

    assert result.waits == 0
    assert jobs.described == []


def test_given_a_completed_job_then_its_branch_is_resumed_with_artifact_and_image_and_the_wait_deleted(
    settings: Settings,
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    artifact = f"s3://{ARTIFACTS_BUCKET}/compiled/churn-xgboost/3/ml-c5/model-ml_c5.tar.gz"
    image = "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact=artifact, image=image)})
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert callbacks.sent == [
        (
            "token-1",
            {"target": "ml-c5", "job_name": JOB, "status": "COMPLETED", "artifact": artifact, "image": image},
        )
    ]
    assert result.resumed == [KEY]
    assert waits.objects == {}


def test_given_a_failed_job_then_its_reason_is_reported(settings: Settings) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("FAILED", reason="ClientError: unsupported operator")})
    callbacks = FakeCallbacks()

    compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert callbacks.sent[0][1]["status"] == "FAILED"
    assert callbacks.sent[0][1]["reason"] == "ClientError: unsupported operator"


def test_given_two_executions_waiting_for_one_job_then_it_is_described_once_and_both_resume(
    settings: Settings,
) -> None:
    """A duplicate event starts a second execution; its CreateCompilationJob meets ResourceInUse and
    it waits for the same job under its own key."""
    second = f"compile-waits/{JOB}/exec-2"
    waits = FakeWaits({KEY: (body("token-1"), metadata()), second: (body("token-2"), metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("STOPPED")})
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert jobs.described == [JOB]
    assert [token for token, _ in callbacks.sent] == ["token-1", "token-2"]
    assert callbacks.sent[0][1]["reason"] == "the compilation job ended STOPPED"
    assert sorted(result.resumed) == sorted([KEY, second])


def test_given_a_branch_that_no_longer_waits_then_the_wait_is_deleted_without_a_report(
    settings: Settings,
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact="s3://b/k.tar.gz")})
    callbacks = FakeCallbacks(closed={"token-1"})

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert result.already_closed == [KEY]
    assert waits.objects == {}


def test_given_the_deadline_passed_with_the_job_in_flight_then_it_is_stopped_and_reported_timed_out(
    settings: Settings,
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata(deadline=NOW - timedelta(seconds=1)))})
    jobs = FakeJobs(running={JOB: "STARTING"})
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert jobs.stopped == [JOB]
    assert result.stopped == [JOB]
    minutes = settings.config.compile_timeout_minutes
    assert callbacks.sent[0][1] == {
        "target": "ml-c5",
        "job_name": JOB,
        "status": "TIMED_OUT",
        "reason": f"still running after {minutes} minutes: the workflow deadline compileTimeoutMinutes "
        "passed and the job was stopped",
    }


def test_given_a_stop_refused_at_the_deadline_then_the_timeout_names_the_refusal(settings: Settings) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata(deadline=NOW))})
    jobs = FakeJobs(
        running={JOB: "INPROGRESS"},
        refuse_stop=NotAuthorized("AccessDeniedException", "not authorized to perform StopCompilationJob"),
    )
    callbacks = FakeCallbacks()

    compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    reason = callbacks.sent[0][1]["reason"]
    assert reason.endswith(
        "StopCompilationJob failed: not authorized to perform StopCompilationJob (AccessDeniedException)"
    )


def test_given_a_job_not_listed_yet_but_not_ended_then_the_wait_goes_on_until_the_deadline(
    settings: Settings,
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs()  # not in flight in the listing, and the describe says it has not ended
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert callbacks.sent == []
    assert waits.objects != {}
    assert result.resumed == []


def test_given_a_stray_object_under_the_prefix_then_it_is_set_aside_once_and_the_round_fails_once(
    settings: Settings,
) -> None:
    other_job = "autopilot-churn-xgboost-v3-ml-m5-9f8e7d6c"
    waits = FakeWaits(
        {
            "compile-waits/garbage": ("x", {}),
            f"compile-waits/{other_job}/exec-1": (body("token-2"), metadata(target="ml-m5")),
        }
    )
    jobs = FakeJobs(ended={other_job: JobEnd("FAILED", reason="ClientError: no")})
    callbacks = FakeCallbacks()

    with pytest.raises(compile_watch.WatchRoundFailed, match="1 malformed waits set aside"):
        compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)
    second = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert [token for token, _ in callbacks.sent] == ["token-2"]
    assert waits.objects == {}
    ((moved, (moved_body, moved_metadata)),) = waits.set_aside_objects.items()
    assert moved == "compile-waits-set-aside/garbage"
    assert moved_body == "x"
    assert "not compile-waits/<job name>/<execution name>" in moved_metadata["reason"]
    assert second.set_aside == []  # reported once


def test_given_a_wait_body_as_step_functions_writes_it_then_the_token_is_sent_without_its_quotes(
    settings: Settings,
) -> None:
    """The body holds `"token-1"` (JSON text). The watcher before this fix stripped whitespace only and
    sent the quotes too; Step Functions knows only the token, so it answered InvalidToken."""
    waits = FakeWaits({KEY: ('"token-1"\n', metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact="s3://b/k.tar.gz")})
    callbacks = FakeCallbacks(known={"token-1"})

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert [token for token, _ in callbacks.sent] == ["token-1"]
    assert result.resumed == [KEY]


def test_given_a_token_refused_as_invalid_while_its_execution_runs_then_the_wait_is_kept_and_the_round_fails(
    settings: Settings,
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact="s3://b/k.tar.gz")})
    callbacks = FakeCallbacks(known=set(), executions={EXECUTION: "RUNNING"})

    with pytest.raises(compile_watch.WatchRoundFailed, match="1 task tokens refused as InvalidToken"):
        compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert list(waits.objects) == [KEY]
    assert callbacks.described == [EXECUTION]


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", None])
def test_given_a_token_refused_as_invalid_and_its_execution_ended_then_the_wait_is_closed(
    settings: Settings, status: str | None
) -> None:
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact="s3://b/k.tar.gz")})
    executions = {} if status is None else {EXECUTION: status}  # None: the execution no longer exists
    callbacks = FakeCallbacks(known=set(), executions=executions)

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert result.already_closed == [KEY]
    assert waits.objects == {}


def test_given_a_token_refused_as_invalid_on_a_wait_without_its_execution_then_the_wait_is_kept(
    settings: Settings,
) -> None:
    """A wait written before the workflow recorded its execution cannot prove the execution ended."""
    waits = FakeWaits({KEY: (body("token-1"), metadata(execution=None))})
    jobs = FakeJobs(ended={JOB: JobEnd("COMPLETED", artifact="s3://b/k.tar.gz")})
    callbacks = FakeCallbacks(known=set())

    with pytest.raises(compile_watch.WatchRoundFailed, match="InvalidToken"):
        compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    assert list(waits.objects) == [KEY]
    assert callbacks.described == []


def test_given_a_job_that_no_longer_exists_then_its_branch_is_answered_failed_at_once_with_the_reason(
    settings: Settings,
) -> None:
    """DeleteCompilationJob: "You can delete a compilation job only if its current status is COMPLETED,
    FAILED, or STOPPED"; DescribeCompilationJob then answers ResourceNotFound, its one declared error
    (SageMaker API Reference). No later round could read it: the target is FAILED now, with the reason,
    instead of failing every round until the deadline."""
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs()
    jobs.end = lambda job_name: (_ for _ in ()).throw(  # type: ignore[method-assign]
        NotAuthorized("ResourceNotFound", f"Could not find compilation job '{job_name}'.")
    )
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, jobs, callbacks), settings, now=NOW)

    (sent,) = callbacks.sent
    assert sent[1]["status"] == "FAILED"
    assert sent[1]["reason"] == (
        "the compilation job can no longer be described, so it was deleted or never created: "
        f"Could not find compilation job '{JOB}'. (ResourceNotFound)"
    )
    assert result.resumed == [KEY]
    assert waits.objects == {}


def keyed(job: str, execution: str = "exec-1", deadline: datetime = DEADLINE) -> str:
    """The key the workflow writes now: job, deadline, execution."""
    return f"compile-waits/{job}/{deadline.strftime('%Y-%m-%dT%H:%M:%SZ')}/{execution}"


def many_waits(count: int, deadline: datetime = DEADLINE) -> tuple[FakeWaits, list[str]]:
    jobs = [f"autopilot-team-{index:04d}-v1-ml-c5-1a2b3c4d" for index in range(count)]
    waits = FakeWaits(
        {keyed(job, deadline=deadline): (body(f"token-{job}"), metadata(deadline=deadline)) for job in jobs}
    )
    return waits, jobs


def test_given_waits_whose_jobs_run_before_their_deadline_then_the_round_reads_none_of_them(
    settings: Settings,
) -> None:
    waits, jobs = many_waits(1_000)

    result = compile_watch.watch(
        ports(waits, FakeJobs(running=dict.fromkeys(jobs, "INPROGRESS")), FakeCallbacks()), settings, now=NOW
    )

    assert result.waits == 1_000
    assert result.read == 0
    assert waits.reads == []


def test_given_1000_waits_of_which_10_jobs_ended_then_only_those_10_are_read_described_and_answered(
    settings: Settings,
) -> None:
    waits, jobs = many_waits(1_000)
    ended = jobs[::100]
    fake_jobs = FakeJobs(
        running={job: "INPROGRESS" for job in jobs if job not in ended},
        ended={job: JobEnd(status="COMPLETED", artifact=f"s3://b/{job}.tar.gz") for job in ended},
    )
    callbacks = FakeCallbacks()

    result = compile_watch.watch(ports(waits, fake_jobs, callbacks), settings, now=NOW)

    assert result.read == 10
    assert sorted(waits.reads) == sorted(keyed(job) for job in ended)
    assert sorted(fake_jobs.described) == sorted(ended)
    assert len(callbacks.sent) == 10
    assert len(waits.objects) == 990


def test_given_the_deadline_in_the_key_passed_with_the_job_in_flight_then_it_is_read_and_stopped(
    settings: Settings,
) -> None:
    key = keyed(JOB)
    waits = FakeWaits({key: (body("token-1"), metadata())})
    jobs = FakeJobs(running={JOB: "INPROGRESS"})

    result = compile_watch.watch(ports(waits, jobs, FakeCallbacks()), settings, now=DEADLINE)

    assert waits.reads == [key]
    assert jobs.stopped == [JOB]
    assert result.read == 1


def test_a_wait_written_before_the_deadline_was_in_its_key_is_still_read_every_round(
    settings: Settings,
) -> None:
    """Waits the previous workflow wrote (`compile-waits/<job>/<execution>`) keep working until they drain."""
    waits = FakeWaits({KEY: (body("token-1"), metadata())})
    jobs = FakeJobs(running={JOB: "INPROGRESS"})

    for _ in range(2):
        compile_watch.watch(ports(waits, jobs, FakeCallbacks()), settings, now=NOW)

    assert waits.reads == [KEY, KEY]
    assert KEY in waits.objects
    assert jobs.stopped == []


def test_the_longest_wait_key_stays_far_within_s3_s_1024_byte_key_limit() -> None:
    """Amazon S3 User Guide, "Naming Amazon S3 objects": "The object key name consists of a sequence of
    Unicode characters encoded in UTF-8, with a maximum length of 1,024 bytes". A job name is at most
    63 characters (SageMaker EntityName), the deadline 20, an execution name at most 80 (Step Functions
    StartExecution `name`, "1-80 characters")."""
    from registry_autopilot.logic.compile_watch import parse_key

    key = keyed("j" * 63, execution="e" * 80)

    assert len(key.encode()) < 1_024 // 4
    assert parse_key(key) is not None


def test_given_more_ended_jobs_than_a_round_answers_then_earliest_deadlines_first_and_the_rest_next_round(
    settings: Settings,
) -> None:
    jobs = [f"autopilot-team-{index:04d}-v1-ml-c5-1a2b3c4d" for index in range(ANSWERS_PER_ROUND + 20)]
    # Later jobs have earlier deadlines: the round takes them first, whatever the listing's order.
    deadlines = {job: DEADLINE - timedelta(seconds=index) for index, job in enumerate(jobs)}
    waits = FakeWaits(
        {
            keyed(job, deadline=deadlines[job]): (body(f"t-{job}"), metadata(deadline=deadlines[job]))
            for job in jobs
        }
    )
    fake_jobs = FakeJobs(
        ended={job: JobEnd(status="COMPLETED", artifact=f"s3://b/{job}.tar.gz") for job in jobs}
    )

    first = compile_watch.watch(ports(waits, fake_jobs, FakeCallbacks()), settings, now=NOW)

    assert first.read == ANSWERS_PER_ROUND
    assert first.deferred == 20
    assert first.problems() == []  # deferring is not a failure: the Errors alarm stays quiet
    assert sorted(fake_jobs.described) == sorted(jobs[20:])
    second = compile_watch.watch(ports(waits, fake_jobs, FakeCallbacks()), settings, now=NOW)
    assert (second.read, second.deferred) == (20, 0)
    assert waits.objects == {}
