"""A version whose targets meet the account's quota on concurrent compilation jobs: the synthesized
workflow waits and creates again, so the targets end compiled, not failed.

CreateCompilationJob declares ResourceLimitExceeded: "You have exceeded an SageMaker resource limit. For
example, you might have too many training jobs created." (SageMaker API Reference, CreateCompilationJob,
Errors: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html). Through
the AWS SDK integration it is named `SageMaker.ResourceLimitExceededException` (Step Functions Developer
Guide, "AWS SDK service integrations": "the resulting Error field will be composed of the service name
and the error name, separated by a period"). The embedded account enforces the quota
(tests/integration/embedded/test_compilation_job_quota.py); its default value is not in the
documentation we hold (docs/FIDELITY.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.synth import SynthesizedApp
from infra.constructs.compile_workflow import QUOTA_ERROR, QUOTA_WAIT_CAPS
from registry_autopilot.logic import naming
from tests.compile_fixtures import event_for
from tests.e2e.test_compile_workflow import describe, run, seed
from tests.e2e.test_sdk_errors import failed_task_errors


def quota_waits(entered: list[str]) -> list[str]:
    return [state for state in entered if state.endswith("QuotaWait")]


def test_three_targets_under_a_quota_of_one_job_compile_one_after_another_and_all_attach(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    backend.compilation_jobs.concurrent_quota = 1
    backend.compilation_jobs.default_script = ["INPROGRESS", "INPROGRESS", "INPROGRESS", "COMPLETED"]
    arn = seed(backend)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    package = describe(backend, arn)
    assert [s["Name"] for s in package["AdditionalInferenceSpecifications"]] == ["neo-ml-c5", "neo-ml-m5"]
    assert package["CustomerMetadataProperties"][naming.metadata_key("graviton")].startswith("COMPILED: ")
    assert {r["status"] for r in result.output["results"]} == {"COMPLETED"}
    # Two of the three creates met the full quota at least once, and each waited before trying again.
    refusals = failed_task_errors(result)
    assert refusals
    assert set(refusals) == {QUOTA_ERROR}
    assert backend.compilation_jobs.refused_for_quota == len(refusals)
    assert len(quota_waits(result.states_entered())) == len(refusals)
    # Every wait lies within its cap (the first at most QUOTA_WAIT_CAPS[0], none above the last).
    assert result.waits
    assert all(QUOTA_WAIT_CAPS[0] // 2 <= w <= QUOTA_WAIT_CAPS[-1] for w in result.waits)


def test_a_quota_still_full_at_the_deadline_records_the_target_failed_with_the_quota_message(
    synthesized: SynthesizedApp, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.compilation_jobs.concurrent_quota = 0  # nothing may compile: the quota is full for good
    arn = seed(backend)
    started = backend.clock.now()
    deadline = timedelta(minutes=synthesized.config.compile_timeout_minutes)
    check = backend.compilation_jobs.check_quota

    def late(job_name: str, jobs: list[Any]) -> None:
        # The first refusal comes near the deadline, so the run needs a few waits, not a hundred.
        if backend.clock.now() - started < deadline - timedelta(minutes=10):
            backend.clock.advance((deadline - timedelta(minutes=10)).total_seconds())
        check(job_name, jobs)

    monkeypatch.setattr(backend.compilation_jobs, "check_quota", late)

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    records = describe(backend, arn)["CustomerMetadataProperties"]
    for target in ("ml-c5", "ml-m5", "graviton"):
        recorded = records[naming.metadata_key(target)]
        assert recorded.startswith("FAILED: the account quota on concurrent compilation jobs was still full")
        assert "Number of concurrent compilation jobs" in recorded
    # It waited until the deadline (compileTimeoutMinutes after Plan), and no create came after it.
    assert backend.clock.now() - started >= deadline
    entered = result.states_entered()
    assert entered.count("RecordQuotaMet") == 3
    assert len(quota_waits(entered)) >= 3


def test_the_quota_is_no_longer_retried_by_the_bounded_retry_rule(synthesized: SynthesizedApp) -> None:
    rules: list[dict[str, Any]] = []
    catches: list[dict[str, Any]] = []

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            walk((state.get("ItemProcessor") or {}).get("States", {}))
            if str(state.get("Resource", "")).endswith(":sagemaker:createCompilationJob"):
                rules.extend(state.get("Retry", []))
                catches.extend(state.get("Catch", []))

    for definition in synthesized.state_machines.values():
        walk(definition["States"])
    assert rules
    assert not [rule for rule in rules if QUOTA_ERROR in rule["ErrorEquals"]]
    assert [c["Next"] for c in catches if c["ErrorEquals"] == [QUOTA_ERROR]]
