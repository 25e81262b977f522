"""Memory, reserved concurrency and throttling retries in the synthesized template, as chosen from the
figures of docs/PERFORMANCE.md (`make bench`).

- Reserved concurrency caps a function's concurrent executions; invocations beyond it are throttled
  (Lambda Developer Guide, "Configuring reserved concurrency").
- A throttled Lambda task fails with Lambda.TooManyRequestsException (Step Functions Developer Guide,
  "Handle Lambda service exceptions").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import constants
from infra.constructs.compile_workflow import THROTTLED_ERRORS
from tests.infrastructure.synthesis import Synthesized, cdk_json_context, synthesize_app

pytestmark = pytest.mark.slow


def _function(synthesized: Synthesized, handler: str) -> dict[str, Any]:
    (function,) = [
        resource["Properties"]
        for resource in synthesized.template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"].get("Handler") == f"registry_autopilot.handlers.{handler}.handler"
    ]
    return function


@pytest.mark.parametrize(
    ("handler", "memory"),
    [
        ("plan", constants.PLAN_MEMORY_MB),
        ("attach", constants.ATTACH_MEMORY_MB),
        ("shadow_start", constants.SHADOW_START_MEMORY_MB),
        ("roller", constants.ROLLER_MEMORY_MB),
    ],
)
def test_each_function_has_its_measured_memory_size(
    synthesized: Synthesized, handler: str, memory: int
) -> None:
    assert _function(synthesized, handler)["MemorySize"] == memory
    assert memory >= 128
    assert memory % 64 == 0


def test_the_writers_run_within_their_reserved_concurrency(synthesized: Synthesized) -> None:
    assert _function(synthesized, "attach")["ReservedConcurrentExecutions"] == 10
    assert _function(synthesized, "shadow_start")["ReservedConcurrentExecutions"] == 1
    assert _function(synthesized, "roller")["ReservedConcurrentExecutions"] == 1
    assert "ReservedConcurrentExecutions" not in _function(synthesized, "plan")


def test_reserved_concurrency_can_be_turned_off_for_an_account_with_a_low_quota(
    tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path
) -> None:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context()
    context["autopilot"] = {**context["autopilot"], "reserveConcurrency": False}
    context[DEPENDENCIES_DIR_CONTEXT_KEY] = str(staged_dependencies)

    unreserved = synthesize_app(tmp_path_factory.mktemp("cdk-out-unreserved"), context)

    assert unreserved.synth_error is None
    for handler in ("plan", "attach", "shadow_start", "roller"):
        assert "ReservedConcurrentExecutions" not in _function(unreserved, handler)


def test_the_workflow_retries_throttled_lambda_steps_with_growing_jittered_waits(
    synthesized: Synthesized,
) -> None:
    (machine,) = [
        r
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    rule = json.dumps({"ErrorEquals": list(THROTTLED_ERRORS)}, separators=(",", ":"))[1:-1]

    assert THROTTLED_ERRORS == ("Lambda.TooManyRequestsException", "SageMakerThrottled")
    assert definition.count(rule.replace('"', '\\"')) == 2  # the Plan and Attach steps
