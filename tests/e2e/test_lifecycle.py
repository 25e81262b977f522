"""The lifecycle scenarios, written once, run on two backends (tests/e2e/backends.py).

By default they run on the embedded backend (the synthesized stack of an e2e world's configuration,
simulated time). `pytest -m aws` runs them against a world `make e2e-aws` deployed in a real account
(AUTOPILOT_E2E_PROFILE, AUTOPILOT_E2E_REGION, AUTOPILOT_E2E_WORLD): the same assertions, real time.

AWS behaviour the scenarios rely on:
- SageMaker sends a "SageMaker Model Package State Change" event when a version is registered and
  when its status changes (SageMaker Developer Guide, "Automating SageMaker with EventBridge",
  https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
- EventBridge delivers events at least once: "an event might be delivered to a target more than
  once" is the reason the workflow checks the version's current state (EventBridge User Guide);
  the duplicate scenario delivers the registration twice.
- A shadow test ends with StopInferenceExperiment and the variant actions (SageMaker API Reference,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopInferenceExperiment.html).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from autopilot.e2e.world import world_config, world_name
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, synthesize
from registry_autopilot.logic import naming
from registry_autopilot.logic import shadow as shadow_logic
from tests.e2e.backends import Backend, EmbeddedBackend, aws_backend_from_environment

EMBEDDED_WORLD = "embedded"
COMPILE_MINUTES = 45  # a compile workflow with two cloud targets, generously
SHADOW_MINUTES = 60  # the run's plan (three 2-minute steps) plus endpoint updates


@pytest.fixture(scope="module")
def embedded_app() -> SynthesizedApp:
    return synthesize(world_config(EMBEDDED_WORLD))


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def world(request: pytest.FixtureRequest, embedded_app: SynthesizedApp) -> Iterator[Backend]:
    if request.param == "aws":
        yield aws_backend_from_environment()
        return
    with EmbeddedStack(embedded_app) as stack:
        yield EmbeddedBackend(stack, world_name(EMBEDDED_WORLD))


def specs(version: dict[str, Any]) -> list[str]:
    return sorted(s["Name"] for s in version.get("AdditionalInferenceSpecifications", []))


def decided(world: Backend, arn: str) -> dict[str, Any] | None:
    version = world.version(arn)
    return version if version.get("ModelApprovalStatus") != "PendingManualApproval" else None


def settled(world: Backend, arn: str) -> list[str] | None:
    """The compile executions for the version, once there is one and none is running."""
    statuses = world.compile_executions(arn)
    return statuses if statuses and "RUNNING" not in statuses else None


def test_given_a_version_whose_report_passes_when_registered_then_it_is_compiled_attached_and_approved(
    world: Backend,
) -> None:
    arn = world.register(passing=True)

    version = world.wait_until("the version is decided", lambda: decided(world, arn), COMPILE_MINUTES * 60)

    assert version["ModelApprovalStatus"] == "Approved"
    assert specs(version) == ["neo-ml-c5", "neo-ml-m5"]
    assert "binary_classification_metrics.auc.value" in version["ApprovalDescription"]


def test_given_a_version_whose_report_fails_when_registered_then_it_is_rejected_with_the_check_named(
    world: Backend,
) -> None:
    arn = world.register(passing=False)

    version = world.wait_until("the version is decided", lambda: decided(world, arn), COMPILE_MINUTES * 60)

    assert version["ModelApprovalStatus"] == "Rejected"
    assert "FAIL binary_classification_metrics.auc.value >= 0.8" in version["ApprovalDescription"]
    assert world.experiment(arn) is None  # no shadow test for a rejected version


def test_given_a_failed_target_when_a_person_retries_it_then_it_is_compiled_again_and_attached(
    world: Backend,
) -> None:
    arn = world.register(passing=True)
    world.fail_first_compilation(arn, "ml-m5")
    key = naming.metadata_key("ml-m5")
    failed = world.wait_until(
        "ml-m5 is recorded as failed",
        lambda: world.version(arn).get("CustomerMetadataProperties", {}).get(key, "").startswith("FAILED"),
        COMPILE_MINUTES * 60,
    )
    assert failed
    assert specs(world.version(arn)) == ["neo-ml-c5"]  # the other target is attached all the same

    outcome = world.retry(arn, "ml-m5")

    assert outcome.wrote_record
    assert outcome.execution == "started"
    attached = world.wait_until(
        "ml-m5 is attached after the retry",
        lambda: "neo-ml-m5" in specs(world.version(arn)),
        COMPILE_MINUTES * 60,
    )
    assert attached
    history = world.version(arn)["CustomerMetadataProperties"]["autopilot:history"]
    assert "neo ml-m5 RETRY done" in history


def test_given_a_person_rejects_a_version_before_the_workflow_decides_then_the_decision_stands(
    world: Backend,
) -> None:
    arn = world.register(passing=True)  # the policy alone would approve it
    world.decide_as_person(arn, "Rejected", "held back by the release manager")

    world.wait_until("the compile workflow has run", lambda: settled(world, arn), COMPILE_MINUTES * 60)

    version = world.version(arn)
    assert version["ModelApprovalStatus"] == "Rejected"
    assert version["ApprovalDescription"] == "held back by the release manager"
    assert world.experiment(arn) is None


def test_given_an_approved_version_then_its_shadow_test_ramps_through_the_plan_to_its_conclusion(
    world: Backend,
) -> None:
    arn = world.register(passing=True)
    world.wait_until("the version is decided", lambda: decided(world, arn), COMPILE_MINUTES * 60)
    seen: list[int] = []

    def concluded() -> dict[str, Any] | None:
        world.run_roller()
        experiment = world.experiment(arn)
        if experiment is None:
            return None
        variants = experiment["ShadowModeConfig"]["ShadowModelVariants"]
        sampling = int(variants[0]["SamplingPercentage"])
        if not seen or seen[-1] != sampling:
            seen.append(sampling)
        return experiment if experiment["Status"] in {"Completed", "Cancelled"} else None

    experiment = world.wait_until("the shadow test concludes", concluded, SHADOW_MINUTES * 60)

    assert experiment["Status"] == "Completed"
    assert seen == [5, 50, 100]  # the plan's steps, in order, none skipped
    outcome = world.version(arn)["CustomerMetadataProperties"][shadow_logic.OUTCOME_KEY]
    assert outcome.startswith("COMPLETED")


def test_given_a_decided_version_when_its_registration_is_delivered_again_then_nothing_changes(
    world: Backend,
) -> None:
    arn = world.register(passing=False)
    before = world.wait_until("the version is decided", lambda: decided(world, arn), COMPILE_MINUTES * 60)
    runs = len(world.compile_executions(arn))

    world.deliver_duplicate(arn)

    world.wait_until(
        "the duplicate's execution has ended",
        lambda: len(world.compile_executions(arn)) > runs and settled(world, arn),
        COMPILE_MINUTES * 60,
    )
    after = world.version(arn)
    assert after["LastModifiedTime"] == before["LastModifiedTime"]  # no write at all
    assert specs(after) == specs(before)
    assert after["ModelApprovalStatus"] == "Rejected"
