"""How the synthesized compile workflow treats errors of its SageMaker SDK tasks and its own deadline.

Error names: Step Functions Developer Guide, "AWS SDK service integrations"
(https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html): "If an AWS SDK
integration encounters an error, the resulting Error field will be composed of the service name and the
error name, separated by a period" and "The target service's API reference documentation lists potential
error names." Errors SageMaker does not declare (validation, access denied, throttling, internal failure)
surface under the generic name, so only the cause tells them apart
(aws/aws-step-functions-data-science-sdk-python#191: "I want to retry only if there is a
'ThrottlingException'. I cannot do it because the retry policy only looks at the error name, in this
case, 'SageMaker.AmazonSageMakerException'"). The local runner names errors the same way
(autopilot/embedded/stepfunctions.py).

Time limits: SageMaker API Reference, StoppingCondition
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html): "For compilation
jobs, if the job does not complete during this time, a TimeOut error is generated." StopCompilationJob
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopCompilationJob.html): "When it receives
a StopCompilationJob request, Amazon SageMaker AI changes the CompilationJobStatus of the job to Stopping."
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend._wire import AwsError
from autopilot.embedded.stepfunctions import ExecutionResult
from autopilot.embedded.synth import SynthesizedApp
from registry_autopilot.logic import naming
from tests.compile_fixtures import event_for
from tests.e2e.test_compile_workflow import describe, run, seed

M5 = "ml-m5"


def job_name(synthesized: SynthesizedApp, arn: str, target: str) -> str:
    group = synthesized.config.groups["churn-xgboost"]
    (neo_target,) = [t for t in group.neo_targets if t.name == target]
    return naming.compilation_job_name("churn-xgboost", int(arn.rsplit("/", 1)[1]), neo_target)


def refuse_m5(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch, error: AwsError, times: int
) -> list[str]:
    """CreateCompilationJob for the ml_m5 target answers `error` its first `times` calls."""
    check = backend.compilation_jobs.check_create
    refused: list[str] = []

    def refusing(body: dict[str, Any]) -> None:
        if body["OutputConfig"].get("TargetDevice") == "ml_m5" and len(refused) < times:
            refused.append(body["CompilationJobName"])
            raise error
        check(body)

    monkeypatch.setattr(backend.compilation_jobs, "check_create", refusing)
    return refused


def creates_of(backend: LocalBackend, name: str) -> list[str | None]:
    return [
        call.error_code
        for call in backend.calls
        if call.operation == "CreateCompilationJob" and call.params.get("CompilationJobName") == name
    ]


def failed_task_errors(result: ExecutionResult) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in result.history if e["type"] == "TaskFailed"]


def record(backend: LocalBackend, arn: str, target: str) -> str:
    return str(describe(backend, arn)["CustomerMetadataProperties"][naming.metadata_key(target)])


@pytest.mark.parametrize(
    "error",
    [
        AwsError("ValidationException", "1 validation error detected: Value at 'roleArn' failed", 400),
        AwsError("AccessDeniedException", "User is not authorized to perform: sagemaker:Create", 400),
    ],
    ids=["validation", "access-denied"],
)
def test_a_permanent_error_fails_the_target_on_the_first_attempt_with_the_cause_recorded(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch, error: AwsError
) -> None:
    arn = seed(backend)
    refuse_m5(backend, monkeypatch, error, times=1_000)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    assert creates_of(backend, job_name(synthesized, arn, M5)) == [error.code]  # one call, not retried
    assert failed_task_errors(result) == ["SageMaker.SageMakerException"]  # the generic name, as in AWS
    assert not [state for state in result.states_entered() if state.endswith("Backoff")]
    # The record carries the cause (Attach keeps a record's text to plain words and punctuation).
    recorded = record(backend, arn, M5)
    assert recorded.startswith(f"FAILED: {error.message.split(':')[0]}")
    assert "Service: SageMaker Status Code: 400" in recorded
    # The other targets are unaffected: ml-c5 attached, the graviton platform build recorded (no
    # SageMaker endpoint serves a TargetPlatform build, so it is never attached).
    assert [s["Name"] for s in describe(backend, arn)["AdditionalInferenceSpecifications"]] == ["neo-ml-c5"]
    assert record(backend, arn, "graviton").startswith("COMPILED: ")


def test_a_throttled_create_is_retried_after_a_wait_and_the_target_compiles(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seed(backend)
    refused = refuse_m5(backend, monkeypatch, AwsError("ThrottlingException", "Rate exceeded", 400), times=2)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    assert creates_of(backend, job_name(synthesized, arn, M5)) == ["ThrottlingException"] * 2 + [None]
    assert len(refused) == 2
    assert failed_task_errors(result) == ["SageMaker.SageMakerException"] * 2
    entered = [state.removeprefix("CreateCompilationJobFromPackage") for state in result.states_entered()]
    assert entered.count("Backoff") == 2
    assert (
        entered.count("FirstRetry"),
        entered.count("NextRetry"),
    ) == (1, 1)
    assert "neo-ml-m5" in [s["Name"] for s in describe(backend, arn)["AdditionalInferenceSpecifications"]]


def test_a_create_throttled_past_the_bounded_retries_is_recorded_with_the_throttling_cause(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seed(backend)
    refuse_m5(backend, monkeypatch, AwsError("ThrottlingException", "Rate exceeded", 400), times=1_000)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    assert len(creates_of(backend, job_name(synthesized, arn, M5))) == 6  # the call and 5 retries
    assert record(backend, arn, M5).startswith("FAILED: Rate exceeded Service: SageMaker Status Code: 400")


def test_a_describe_that_keeps_failing_fails_that_watcher_round_and_the_next_round_reports_the_job(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seed(backend)
    describe_job = backend.compilation_jobs.describe
    failures: list[str] = []

    rounds: list[dict[str, Any]] = []

    def failing_for_a_round(job: Any, framework: str | None, version: str | None) -> dict[str, Any]:
        # Every call of the first round (the client's own retries included) fails for ml_m5.
        if job.output_config.get("TargetDevice") == "ml_m5" and not rounds:
            failures.append(job.compilation_job_name)
            raise AwsError("InternalFailure", "We encountered an internal error. Please try again.", 500)
        return describe_job(job, framework, version)

    monkeypatch.setattr(backend.compilation_jobs, "describe", failing_for_a_round)

    result = run(synthesized, backend, event_for(arn), rounds)

    assert result.status == "SUCCEEDED", result.cause
    assert failures
    # The round fails (the function's Errors alarm sees it) after resuming the other targets; the
    # next round reports ml-m5.
    assert [("error" in r, len(r.get("resumed", []))) for r in rounds] == [(True, 0), (False, 1)]
    assert [s["Name"] for s in describe(backend, arn)["AdditionalInferenceSpecifications"]] == [
        "neo-ml-c5",
        "neo-ml-m5",
    ]


def test_a_job_compiling_past_its_max_runtime_is_recorded_failed_with_the_timeout_reason(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    backend.compilation_jobs.script(job_name(synthesized, arn, M5), ["INPROGRESS"])  # never ends by itself

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    assert record(backend, arn, M5).startswith(
        "FAILED: TimeOut: the compilation job did not complete within MaxRuntimeInSeconds 900 seconds"
    )


def plan_started(hours_ago: float) -> Callable[..., datetime]:
    def now(tz: Any = None) -> datetime:
        return datetime.now(UTC) - timedelta(hours=hours_ago)

    return now


def test_a_job_still_running_at_the_workflow_deadline_is_stopped_and_recorded_with_that_cause(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seed(backend)
    name = job_name(synthesized, arn, M5)
    backend.compilation_jobs.default_script = ["COMPLETED"]  # the other targets are done when first polled
    backend.compilation_jobs.script(name, ["STARTING"])  # queued: its own time limit never starts
    # Plan ran compileTimeoutMinutes + 1 hour ago: the deadline has passed when the job is first polled.
    hours = synthesized.config.compile_timeout_minutes / 60 + 1
    monkeypatch.setattr("registry_autopilot.handlers.plan.clock", SimpleNamespace(now=plan_started(hours)))

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    stops = [c for c in backend.calls if c.operation == "StopCompilationJob"]
    assert [(c.params["CompilationJobName"], c.error_code) for c in stops] == [(name, None)]
    sagemaker = backend.client("sagemaker")
    assert sagemaker.describe_compilation_job(CompilationJobName=name)["CompilationJobStatus"] == "STOPPING"
    minutes = synthesized.config.compile_timeout_minutes
    assert record(backend, arn, M5).startswith(
        f"TIMED_OUT: still running after {minutes} minutes: the workflow deadline compileTimeoutMinutes "
        "passed and the job was stopped"
    )


def test_a_stop_that_fails_at_the_deadline_is_recorded_as_timed_out_with_the_stop_error(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seed(backend)
    name = job_name(synthesized, arn, M5)
    backend.compilation_jobs.default_script = ["COMPLETED"]
    backend.compilation_jobs.script(name, ["STARTING"])
    hours = synthesized.config.compile_timeout_minutes / 60 + 1
    monkeypatch.setattr("registry_autopilot.handlers.plan.clock", SimpleNamespace(now=plan_started(hours)))

    def refuse(job_name: str, key: str) -> None:
        raise AwsError("ValidationException", f"The compilation job {job_name} cannot be stopped.", 400)

    monkeypatch.setattr(backend.compilation_jobs, "stop", refuse)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    stops = [c.error_code for c in backend.calls if c.operation == "StopCompilationJob"]
    assert stops == ["ValidationException"]  # permanent: not retried
    recorded = record(backend, arn, M5)
    assert recorded.startswith("TIMED_OUT: still running after")
    assert f"StopCompilationJob failed: The compilation job {name} cannot be stopped." in recorded


def all_states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(states)
    for state in states.values():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found |= all_states(processor["States"])
        for branch in state.get("Branches", []):
            found |= all_states(branch["States"])
    return found


def test_no_sdk_task_retries_the_generic_sagemaker_error_and_each_one_classifies_it_by_cause(
    synthesized: SynthesizedApp,
) -> None:
    from tests.e2e.test_compile_workflow import compile_machine

    states = all_states(compile_machine(synthesized)["States"])
    sdk_tasks = {
        name: state for name, state in states.items() if ":aws-sdk:sagemaker:" in str(state.get("Resource"))
    }
    generic = {"SageMaker.SageMakerException", "SageMaker.AmazonSageMakerException"}

    # The workflow only creates jobs; the compile watcher describes and stops them.
    assert {state["Resource"].rsplit(":", 1)[1] for state in sdk_tasks.values()} == {"createCompilationJob"}
    for name, state in sdk_tasks.items():
        retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
        assert not retried & (generic | {"States.ALL", "States.TaskFailed"}), name
        (classifier,) = [c for c in state["Catch"] if set(c["ErrorEquals"]) == generic]
        assert states[classifier["Next"]]["Type"] == "Choice", name
