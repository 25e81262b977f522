"""The benchmark's counting and simulations (`make bench`) measure what docs/PERFORMANCE.md says they
do. Nothing here is timed: speed is measured by the benchmark, not asserted by tests."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from autopilot.cost.lifecycle import (
    HANDLERS,
    LAG_STEP_SECONDS,
    Lifecycle,
    compile_to_attach_lags,
    handler_module,
    representative,
    run_lifecycle,
)
from autopilot.embedded.synth import synthesize
from bench.bursts import TaskRetry, simulate_burst
from bench.coldstart import lambda_environments, probe, stage


@pytest.fixture(scope="module")
def lifecycle() -> Lifecycle:
    """One version through the whole lifecycle, rolled until the roller lets go of its experiment."""
    return run_lifecycle()


def test_attach_and_decision_cost_one_update_and_the_card_one_more(lifecycle: Lifecycle) -> None:
    assert lifecycle.final_approval == "Approved"
    # The specs and the decision in one; the model card in its own, after it (a refused card never takes
    # the decision with it).
    assert lifecycle.count("UpdateModelPackage", "attach") == 2


def test_the_lifecycle_runs_every_step_once_per_target(lifecycle: Lifecycle) -> None:
    assert lifecycle.targets == 3
    assert lifecycle.count("CreateCompilationJob", "state machine") == lifecycle.targets
    assert lifecycle.count("CreateInferenceExperiment") == 1
    assert lifecycle.count("StopInferenceExperiment", "roller") == 1


def test_calls_are_attributed_to_the_function_that_made_them(lifecycle: Lifecycle) -> None:
    stages = lifecycle.by_stage()

    assert set(stages) == {"state machine", *HANDLERS}
    assert stages["plan"] == {"DescribeModelPackage": 1}
    # The workflow creates the jobs and writes its waits; the compile watcher lists and describes them
    # (each ended job once), so Attach describes none.
    assert stages["state machine"] == {"CreateCompilationJob": 3, "PutObject": 3}
    assert stages["compile_watcher"]["DescribeCompilationJob"] == 3
    assert stages["compile_watcher"]["SendTaskSuccess"] == 3
    assert "DescribeCompilationJob" not in stages["attach"]
    assert "ListTags" not in stages["shadow_start"]  # "already started?" needs the status alone


def test_the_roller_stops_looking_at_an_experiment_once_it_concluded_it(lifecycle: Lifecycle) -> None:
    # The experiment's StatusReason carries our stop reason, so later rounds do not describe it again.
    assert lifecycle.rounds_to_conclude > 1
    assert lifecycle.rounds_looking == lifecycle.rounds_to_conclude
    # One read of the version, when the conclusion is recorded: its model card is merged, not overwritten.
    assert lifecycle.count("DescribeModelPackage", "roller") == 1


class _PlainData(pickle.Unpickler):
    """Loads what the probe process can load: plain data and datetimes (with dateutil's time zones, as
    botocore parses them), no class of this project's or moto's."""

    def find_class(self, module: str, name: str) -> Any:
        if module not in {"datetime", "dateutil.tz.tz"}:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


def test_every_invocation_keeps_the_answers_its_probe_replays(lifecycle: Lifecycle) -> None:
    attach = representative(lifecycle, "attach")

    data = _PlainData(io.BytesIO(pickle.dumps(attach.stub_data()))).load()

    assert [call["method"] for call in data["calls"]][-1] == "update_model_package"
    assert data["event"] == attach.event


def test_a_probe_replays_the_recorded_calls_in_a_fresh_process_without_site_packages(
    lifecycle: Lifecycle, tmp_path: Path
) -> None:
    app = synthesize()
    staged = stage(tmp_path, app.config)
    invocation = tmp_path / "shadow_start.invocation"
    invocation.write_bytes(pickle.dumps(representative(lifecycle, "shadow_start").stub_data()))
    environment = lambda_environments(app, staged, xray_port=2000)["shadow_start"]

    # The Stubber in the probe fails the run if the handler makes other calls than it made here.
    result = probe(
        handler_module("shadow_start"),
        environment,
        staged,
        bytecode=False,
        invocation=invocation,
        warm_runs=2,
    )

    assert result["calls"] == len(representative(lifecycle, "shadow_start").calls)
    assert len(result["warm_seconds"]) == len(result["warm_sdk_seconds"]) == 2
    assert result["peak_rss_kb"] > 0
    assert not any(path.name == "__pycache__" for path in staged.asset.rglob("*"))


def test_a_burst_beyond_the_write_rate_is_throttled_and_absorbed_by_the_client_retries() -> None:
    burst = simulate_burst(20, per_second=10.0)

    assert burst.throttled_attempts > 0
    assert burst.failed == 0
    assert burst.seconds > 0
    assert simulate_burst(20, per_second=10.0) == burst  # a run is repeatable


def test_reserved_concurrency_and_the_state_machine_retry_drain_a_burst_without_failure() -> None:
    retry = TaskRetry(interval=5, backoff=2, max_attempts=10, max_delay=60, full_jitter=True)

    capped = simulate_burst(60, reserved=3, before_write=0.5, throttle_retry=retry)
    unretried = simulate_burst(60, reserved=3, before_write=0.5, throttle_retry=None)

    assert capped.failed == capped.not_run == 0
    assert capped.task_retries > 0
    assert unretried.not_run > 0  # without the retry, Lambda's throttling loses invocations


def test_given_compiles_of_several_lengths_then_the_lag_is_the_time_to_the_watchers_next_round() -> None:
    """No EventBridge event exists for compilation jobs, so the compile watcher learns that a job ended
    at its next round, each minute from the job's creation (an EventBridge schedule's finest rate is a
    minute): a job ending s seconds after its creation is attached at the next whole minute."""
    lags = compile_to_attach_lags(seconds=(60, 61, 90, 119, 600))

    by_compile = {lag.compile_seconds: lag.seconds for lag in lags}

    assert by_compile == {60: 0.0, 61: 59.0, 90: 30.0, 119: 1.0, 600: 0.0}


def test_the_lag_is_taken_over_every_compile_length_a_job_of_the_group_may_run() -> None:
    """A job past its StoppingCondition.MaxRuntimeInSeconds fails with TimeOut ("For compilation jobs,
    if the job does not complete during this time, a TimeOut error is generated", SageMaker API
    Reference, StoppingCondition): longer compiles never reach Attach compiled, so they are left out."""
    app = synthesize()
    group = next(group for group in app.config.groups.values() if group.shadow is not None)
    longest = min(group.max_runtime_seconds(target) for target in group.neo_targets)

    lags = compile_to_attach_lags(app)

    assert [lag.compile_seconds for lag in lags] == list(range(60, longest + 1, LAG_STEP_SECONDS))
    assert all(0 <= lag.seconds < 60 for lag in lags)


def test_the_memory_peaks_are_written_with_their_function_size_and_the_commit_measured(
    tmp_path: Path,
) -> None:
    import json
    import re

    from bench.coldstart import LARGEST_REPORT, ColdStarts
    from bench.results import write_results

    probes = {name: {"peak_rss_kb": 1024 * (70 + i)} for i, name in enumerate((*HANDLERS, LARGEST_REPORT))}
    sizes = dict.fromkeys(HANDLERS, 128) | {"attach": 192}
    cold = ColdStarts(imports={}, probes=probes, memory_sizes=sizes)

    written = json.loads(write_results(cold, "a machine", tmp_path / "results.json").read_text())

    assert re.fullmatch(r"[0-9a-f]{40}", written["commit"])
    assert isinstance(written["uncommitted_changes"], bool)
    assert written["machine"] == "a machine"
    assert written["memory"][LARGEST_REPORT] == {
        "function": "attach",
        "peak_rss_mb": float(70 + len(HANDLERS)),
        "memory_size_mb": 192,
    }
    assert written["memory"]["plan"] == {"function": "plan", "peak_rss_mb": 70.0, "memory_size_mb": 128}
