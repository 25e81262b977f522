"""50 versions across 3 groups while a fifth of the SageMaker, S3, SNS and CloudWatch attempts fail
(ThrottlingException, InternalFailure 500, ServiceUnavailable 503, ConflictException where the API
documents it, read and connect timeouts): every version ends in its correct final state, retries stay
within the configured bounds, and whatever fails for good says why. Fault model:
autopilot/embedded/backend/faults.py.
"""

from __future__ import annotations

import pytest

from autopilot.embedded.backend.faults import FaultPlan
from bench.reliability import (
    MAX_SPECS,
    FaultRun,
    names_an_injected_fault,
    readable_cause,
    run_fault_scenario,
)

pytestmark = pytest.mark.slow


def test_faults_of_every_kind_were_injected(fault_run: FaultRun) -> None:
    codes = fault_run.plan.by_code()

    assert fault_run.versions == 50
    assert fault_run.groups == 3
    assert {"ThrottlingException", "InternalFailure", "ServiceUnavailable", "ConflictException"} <= set(codes)
    assert {"ReadTimeoutError", "ConnectTimeoutError"} <= set(codes)
    assert 0.15 < fault_run.faults_injected / fault_run.attempts < 0.25


def test_every_version_ends_with_every_target_attached_or_recorded_with_its_cause(
    fault_run: FaultRun,
) -> None:
    for arn, outcome in fault_run.after_redrive.items():
        assert outcome.complete, (arn, outcome)
        expected = fault_run.expected[arn]
        for target, reason in outcome.recorded.items():
            if target in expected.attached:  # compiles without faults: the fault must be named
                assert names_an_injected_fault(reason), (arn, target, reason)
            else:
                assert reason == expected.recorded[target] or names_an_injected_fault(reason), (arn, reason)


def test_without_a_failed_execution_the_faulted_run_ends_like_the_fault_free_one(fault_run: FaultRun) -> None:
    failed = {arn for arn, _ in fault_run.delivered.failed_executions}
    recorded_by_faults = fault_run.recorded_fault_failures()
    for arn, outcome in fault_run.outcomes.items():
        if arn in failed or arn in recorded_by_faults:
            continue
        assert outcome == fault_run.expected[arn], arn


def test_no_spec_is_duplicated_and_no_version_exceeds_fifteen(fault_run: FaultRun) -> None:
    for outcome in (*fault_run.outcomes.values(), *fault_run.after_redrive.values()):
        assert outcome.duplicate_specs == ()
        assert outcome.spec_count <= MAX_SPECS


def test_sdk_retries_stay_within_the_functions_retry_configuration(fault_run: FaultRun) -> None:
    # adapters/clients.py: standard mode, max_attempts=5 retries -> 6 attempts per call (botocore
    # "Retries" guide: standard mode retries throttling, 5xx and connection errors).
    calls = [c for c in fault_run.plan.calls if c.retrying_client]

    assert calls
    assert fault_run.client_attempt_limit == 6
    assert max(c.attempts for c in calls) <= fault_run.client_attempt_limit
    assert any(c.attempts > 1 for c in calls), "some calls needed a retry"


def test_state_machine_retries_stay_within_the_synthesized_retry_policy(fault_run: FaultRun) -> None:
    from bench.reliability import longest_failure_runs

    calls = [c for c in fault_run.plan.calls if not c.retrying_client]

    assert calls
    assert all(c.attempts == 1 for c in calls), "Step Functions' SDK calls are not retried by an SDK"
    assert 1 < longest_failure_runs(fault_run.plan, retrying_client=False) <= fault_run.sfn_attempt_bound


def test_attempts_per_operation_are_bounded_by_calls_times_the_attempt_limit(fault_run: FaultRun) -> None:
    per_operation: dict[str, tuple[int, int]] = {}
    for call in fault_run.plan.calls:
        key = f"{call.service}:{call.operation}"
        attempts, bound = per_operation.get(key, (0, 0))
        limit = call.limit if call.retrying_client else 1
        per_operation[key] = (attempts + call.attempts, bound + limit)

    assert per_operation
    for operation, (attempts, bound) in per_operation.items():
        assert attempts <= bound, operation


def test_nothing_is_lost_silently(fault_run: FaultRun) -> None:
    assert fault_run.silent_losses() == []
    for _, execution in fault_run.delivered.failed_executions:
        assert readable_cause(execution), execution
    # The compile rule targets a state machine; a failed async function target would be listed here and
    # go to its dead-letter queue after EventBridge's retries.
    assert fault_run.delivered.function_failures == []
    assert not fault_run.delivered.stopped_early
    assert not fault_run.redriven.stopped_early


def test_an_update_that_fails_on_every_attempt_fails_the_execution_with_its_cause_and_redrive_completes() -> (
    None
):
    run = run_fault_scenario(
        versions=3, share=1.0, seed=1, kinds=("throttling",), operations=("UpdateModelPackage",)
    )

    causes = [readable_cause(execution) or "" for _, execution in run.delivered.failed_executions]
    assert len(causes) == 3
    assert all("ThrottlingException" in cause and "UpdateModelPackage" in cause for cause in causes), causes
    assert all(outcome.missing for outcome in run.outcomes.values())
    assert run.after_redrive == run.expected


def test_a_poll_that_fails_on_every_attempt_is_recorded_on_the_version_with_the_fault() -> None:
    run = run_fault_scenario(
        versions=3, share=1.0, seed=1, kinds=("unavailable",), operations=("DescribeCompilationJob",)
    )

    assert run.delivered.failed_executions == []
    for outcome in run.outcomes.values():
        assert not outcome.attached
        assert not outcome.missing
        assert all(names_an_injected_fault(reason) for reason in outcome.recorded.values()), outcome.recorded


def test_a_plan_refuses_a_share_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="share"):
        FaultPlan(share=1.5)
