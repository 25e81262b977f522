"""Memory, reserved concurrency and throttling retries in the synthesized template, as chosen from the
figures of docs/PERFORMANCE.md (`make bench`).

- Reserved concurrency caps a function's concurrent executions; invocations beyond it are throttled
  (Lambda Developer Guide, "Configuring reserved concurrency").
- A throttled Lambda task fails with Lambda.TooManyRequestsException (Step Functions Developer Guide,
  "Handle Lambda service exceptions").
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

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


# The measurement the memory sizes answer to: `make bench` writes each handler's peak RSS (after a cold
# start and its replayed event; Attach also reading the largest report it accepts) with the commit it
# measured to bench/results.json (docs/PERFORMANCE.md, "Memory sizes and their measurement").
BENCH_RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
MEASURED: dict[str, Any] = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
HEADROOM = 1.5  # memory size >= 1.5x the peak
STEP_MB = 64  # sizes are chosen in steps of 64 MB ...
LAMBDA_MIN_MB = 128  # ... from Lambda's minimum (Lambda Developer Guide, "Configure Lambda function memory")
HANDLERS = ("plan", "attach", "compile_watcher", "shadow_start", "roller")


def _measured_peak_mb(handler: str) -> float:
    """The largest peak RSS `make bench` measured for the handler's function, over its probes."""
    peaks = [row["peak_rss_mb"] for row in MEASURED["memory"].values() if row["function"] == handler]
    assert peaks, f"bench/results.json has no peak for {handler}: run `make bench` and commit the file"
    return float(max(peaks))


def _smallest_size_that_holds(peak_mb: float) -> int:
    return max(LAMBDA_MIN_MB, math.ceil(HEADROOM * peak_mb / STEP_MB) * STEP_MB)


def test_the_memory_peaks_come_from_a_measurement_of_a_named_commit() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", MEASURED["commit"])
    assert MEASURED["uncommitted_changes"] is False, "measured code that no commit holds"
    assert {row["function"] for row in MEASURED["memory"].values()} == set(HANDLERS)


def _memory_size_problems(size: int, peak_mb: float) -> list[str]:
    """At least 1.5x the measured peak, and under twice the smallest size that holds it (more than that
    is paid for on every invocation and never used), in steps of 64 MB."""
    problems = []
    holds = _smallest_size_that_holds(peak_mb)
    if size < HEADROOM * peak_mb:
        problems.append(f"{size} MB is under {HEADROOM}x the measured peak of {peak_mb} MB")
    if size >= 2 * holds:
        problems.append(f"{size} MB is twice or more the {holds} MB that hold the peak of {peak_mb} MB")
    if size % STEP_MB:
        problems.append(f"{size} MB is not a multiple of {STEP_MB} MB")
    return problems


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_function_has_its_measured_memory_size(synthesized: Synthesized, handler: str) -> None:
    size = _function(synthesized, handler)["MemorySize"]

    assert _memory_size_problems(size, _measured_peak_mb(handler)) == []


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_doubled_a_ten_gigabyte_or_a_too_small_memory_size_is_refused(
    synthesized: Synthesized, handler: str
) -> None:
    size, peak = _function(synthesized, handler)["MemorySize"], _measured_peak_mb(handler)

    assert _memory_size_problems(2 * size, peak)
    assert _memory_size_problems(10_240, peak)  # Lambda's largest size
    assert _memory_size_problems(math.floor(HEADROOM * peak) - 1, peak)


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
