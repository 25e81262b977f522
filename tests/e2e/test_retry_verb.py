"""`python -m autopilot retry VERSION_ARN TARGET`: a failed Neo target compiled again without relying
on an event for a metadata-only update, end to end on the embedded backend (the synthesized compile
state machine and the real handlers).

Step Functions API reference, StartExecution, `name`: "When you make multiple StartExecution calls
with the same name, the new execution doesn't run and the following rules apply: When the original
execution is open and the execution input from the new call is different, the ExecutionAlreadyExists
message is returned. When the original execution is open and the execution input from the new call
is identical, the Success message is returned. When the original execution is closed, the
ExecutionAlreadyExists message is returned regardless of input."
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from autopilot.account.retry import (
    compile_state_machine_id,
    execution_name,
    retry_in_embedded_stack,
    retry_target,
)
from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.stepfunctions import TokenWaits, local_execution, state_machine_arn, wait_for_end
from autopilot.embedded.synth import SynthesizedApp, synthesize
from registry_autopilot.logic import naming

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGISTERED = EVENTS / "version-registered.json"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/3"
GRAVITON = naming.metadata_key("graviton")


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


def _with_graviton_failed(stack: EmbeddedStack) -> None:
    """Deliver the registration with the graviton compilation scripted to fail, as the demo does."""
    event = json.loads(REGISTERED.read_text())
    graviton = next(t for t in stack.app.config.groups["churn-xgboost"].neo_targets if t.name == "graviton")
    job = naming.compilation_job_name("churn-xgboost", 3, graviton)
    stack.backend.compilation_jobs.script(job, ["FAILED"], "ClientError: operator not supported")
    stack.seed_from_event(event)
    stack.send_event(event)
    assert _record(stack).startswith("FAILED")
    stack.backend.clear_records()


def _record(stack: EmbeddedStack) -> str:
    with stack.backend.unrecorded():
        described = stack.backend.client("sagemaker").describe_model_package(ModelPackageName=ARN)
    return str(described["CustomerMetadataProperties"].get(GRAVITON, ""))


def _history(stack: EmbeddedStack) -> str:
    with stack.backend.unrecorded():
        described = stack.backend.client("sagemaker").describe_model_package(ModelPackageName=ARN)
    return str(described["CustomerMetadataProperties"].get("autopilot:history", ""))


def _operations(stack: EmbeddedStack) -> list[str]:
    return [f"{call.service}:{call.operation}" for call in stack.backend.writes]


def test_given_a_failed_target_when_retried_then_the_workflow_compiles_and_attaches_it_with_no_event(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        _with_graviton_failed(stack)

        outcome = retry_in_embedded_stack(stack, ARN, "graviton")

        assert outcome.wrote_record
        assert outcome.execution == "started"
        assert outcome.status == "SUCCEEDED"
        # A RETRY answered: the record is removed in the same write and the history keeps it (docs/AUDIT.md).
        assert _record(stack) == ""
        assert "neo graviton RETRY done: retried as neo-graviton" in _history(stack)
        # The verb started the workflow itself (no event of our write was delivered to start it).
        operations = _operations(stack)
        assert operations[:2] == ["sagemaker:UpdateModelPackage", "stepfunctions:StartExecution"]
        assert operations.count("sagemaker:CreateCompilationJob") == 1


def test_given_a_target_that_timed_out_when_retried_then_it_is_compiled_again_and_attached(
    app: SynthesizedApp,
) -> None:
    """A job still queued at the workflow's deadline is stopped and its target recorded TIMED_OUT
    (SageMaker API Reference, StopCompilationJob); it is retried like a failed one."""
    event = json.loads(REGISTERED.read_text())
    with EmbeddedStack(app) as stack:
        graviton = next(t for t in app.config.groups["churn-xgboost"].neo_targets if t.name == "graviton")
        job = naming.compilation_job_name("churn-xgboost", 3, graviton)
        stack.backend.compilation_jobs.script(job, ["STARTING"])  # never leaves the queue
        stack.seed_from_event(event)
        stack.send_event(event)
        assert _record(stack).startswith("TIMED_OUT: still running after")

        outcome = retry_in_embedded_stack(stack, ARN, "graviton")

        assert outcome.wrote_record
        assert outcome.status == "SUCCEEDED"
        assert _record(stack) == ""
        assert "neo graviton RETRY done: retried as neo-graviton" in _history(stack)


def test_given_a_retry_already_started_when_called_again_then_it_is_the_same_execution_and_no_write(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        _with_graviton_failed(stack)
        sagemaker, sfn = stack.backend.client("sagemaker"), stack.backend.client("stepfunctions")
        machine = state_machine_arn(sfn, app.state_machines[compile_state_machine_id(app)])
        call = {"state_machine_arn": machine, "arn": ARN, "target": "graviton", "config": app.config}

        tokens = TokenWaits(simulated=True)  # the branches wait for the compile watcher's rounds
        with local_execution(stack.route_lambda, stack.backend.clock.advance, tokens):
            first = retry_target(sagemaker, sfn, **call)
            second = retry_target(sagemaker, sfn, **call)
            wait_for_end(
                sfn,
                first.execution_arn,
                tokens=tokens,
                on_token_wait=stack.compile_watch_round,
                timeout_seconds=60,
            )

        assert first.wrote_record
        assert not second.wrote_record
        assert first.execution_name == second.execution_name
        assert second.execution_arn == first.execution_arn
        executions = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert [e["name"] for e in executions].count(first.execution_name) == 1
        assert _operations(stack).count("sagemaker:UpdateModelPackage") >= 1
        retry_writes = [
            c
            for c in stack.backend.writes
            if c.params.get("CustomerMetadataProperties") == {GRAVITON: "RETRY"}
        ]
        assert len(retry_writes) == 1
        assert _operations(stack).count("sagemaker:CreateCompilationJob") == 1


def test_given_the_retry_finished_when_called_again_then_there_is_nothing_to_retry(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        _with_graviton_failed(stack)
        retry_in_embedded_stack(stack, ARN, "graviton")
        stack.backend.clear_records()

        again = retry_in_embedded_stack(stack, ARN, "graviton")

        assert again.execution == "nothing to retry"
        assert stack.backend.writes == []


def test_the_execution_name_is_deterministic_valid_and_changes_with_the_retry_write() -> None:
    from datetime import UTC, datetime

    first = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    name = execution_name(ARN, "graviton", first)

    assert name == execution_name(ARN, "graviton", first)
    assert name != execution_name(ARN, "graviton", first.replace(minute=5))
    assert len(name) <= 80
    assert not set(name) & set(' <>{}[]?*"#%\\^|~`$&,;:/')


def test_the_embedded_backend_applies_step_functions_rule_for_reused_execution_names() -> None:
    """Same name and input while open: success, same execution; different input while open, or any
    input once closed: ExecutionAlreadyExists (the rule quoted at the top of this module)."""
    definition = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 1, "End": True}}}
    with LocalBackend() as backend:
        sfn = backend.client("stepfunctions")
        machine = state_machine_arn(sfn, definition)
        started = sfn.start_execution(stateMachineArn=machine, name="retry-x", input='{"a": 1}')

        again = sfn.start_execution(stateMachineArn=machine, name="retry-x", input='{"a": 1}')
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=machine, name="retry-x", input='{"a": 2}')
        _wait(sfn, started["executionArn"])
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=machine, name="retry-x", input='{"a": 1}')

        assert again["executionArn"] == started["executionArn"]


def _wait(sfn: Any, execution_arn: str) -> None:
    deadline = time.monotonic() + 60
    while sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_the_retry_verb_on_the_embedded_backend_reports_when_there_is_nothing_to_retry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["retry", ARN, "graviton", "--local", str(REGISTERED), "--json"])

    payload = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert payload["retry"]["execution"] == "nothing to retry"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["retry", "arn:aws:s3:::bucket", "graviton"], "VERSION_ARN 'arn:aws:s3:::bucket'"),
        (["retry", ARN, "nope", "--local", str(REGISTERED)], "TARGET 'nope': not a Neo target"),
        (
            ["retry", ARN.replace("churn-xgboost", "unwatched"), "graviton", "--local", str(REGISTERED)],
            "group 'unwatched' is not watched",
        ),
    ],
)
def test_the_retry_verb_names_what_is_wrong_with_its_arguments(
    capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    code = main(argv)

    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    assert named in err
