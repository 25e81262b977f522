"""The local state machine runner and tasks that wait for a callback (`.waitForTaskToken`).

AWS behaviour relied on:
- AWS SDK integrations support the callback pattern in Standard workflows (Step Functions Developer
  Guide, "Service integration patterns", https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html:
  "Call a service with a task token and have Step Functions wait until that token is returned with a
  payload"; the AWS SDK integrations row: Wait for Callback (.waitForTaskToken): Standard).
- SendTaskSuccess "report[s] that the task identified by the taskToken completed successfully" with its
  `output` (Step Functions API Reference, SendTaskSuccess).
- "The Timeout of a task, defined in the state machine's Amazon States Language definition, is its
  maximum allowed duration" (Step Functions API Reference, SendTaskHeartbeat); past it the task fails
  with States.Timeout, which a Catch can handle.

The runner does not wait in real time: while a task waits for its callback it calls `on_token_wait`,
which lets simulated time pass (and may answer), and the task's TimeoutSeconds counts those seconds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stepfunctions import execute

BUCKET = "callback-tokens"
TIMEOUT_SECONDS = 300
DEFINITION = {
    "StartAt": "AwaitCallback",
    "States": {
        "AwaitCallback": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken",
            "Parameters": {
                "Bucket": BUCKET,
                "Key.$": "States.Format('waits/{}', $$.Execution.Name)",
                "Body.$": "$$.Task.Token",
            },
            "TimeoutSeconds": TIMEOUT_SECONDS,
            "ResultPath": "$.outcome",
            "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}],
            "End": True,
        },
        "TimedOut": {"Type": "Pass", "End": True},
    },
}


def no_lambda(function_arn: str, event: Any) -> Any:
    raise AssertionError(f"no function is invoked here: {function_arn}")


def stored_token(backend: LocalBackend, execution: str) -> str:
    """The token, decoded from the JSON text the task stored (see the serialization tests below)."""
    with backend.unrecorded():
        body = backend.client("s3").get_object(Bucket=BUCKET, Key=f"waits/{execution}")["Body"].read()
    token = json.loads(body)
    assert isinstance(token, str)
    return token


def test_given_a_task_waiting_on_a_token_when_the_answer_comes_after_three_minutes_then_it_resumes_with_it(
    local_backend: LocalBackend,
) -> None:
    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    rounds: list[int] = []

    def watcher_round() -> float:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 3:
            local_backend.client("stepfunctions").send_task_success(
                taskToken=stored_token(local_backend, "exec-1"), output=json.dumps({"jobs": "ended"})
            )
        return 60.0

    result = execute(DEFINITION, {"version": 1}, invoke=no_lambda, name="exec-1", on_token_wait=watcher_round)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"version": 1, "outcome": {"jobs": "ended"}}
    assert rounds == [1, 2, 3]
    assert "TimedOut" not in result.states_entered()


def test_given_no_answer_when_timeout_seconds_pass_on_the_simulated_clock_then_the_task_times_out(
    local_backend: LocalBackend,
) -> None:
    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    rounds: list[int] = []

    def watcher_round() -> float:
        rounds.append(1)
        return 60.0

    result = execute(DEFINITION, {"version": 2}, invoke=no_lambda, name="exec-2", on_token_wait=watcher_round)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["error"]["Error"] == "States.Timeout"
    assert result.states_entered() == ["AwaitCallback", "TimedOut"]
    assert len(rounds) == TIMEOUT_SECONDS // 60  # five simulated minutes, no real wait


def test_given_a_token_already_answered_when_answered_again_then_the_task_no_longer_waits_for_it(
    local_backend: LocalBackend,
) -> None:
    """SendTaskSuccess on a closed task answers TaskTimedOut ("The task token has either expired or the
    task associated with the token has already been closed", Step Functions API Reference,
    SendTaskSuccess): the first answer stands. (moto took the second and replaced the first; once the
    execution is gone it answers InvalidToken.) The compile watcher takes TaskTimedOut and
    TaskDoesNotExist as "no longer waits" and deletes the wait; InvalidToken only once DescribeExecution
    says the execution has ended."""
    from registry_autopilot.adapters.compile_watch import CLOSED_TOKEN_CODES, Callbacks

    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    answers: list[str] = []

    def watcher_round() -> float:
        callbacks = Callbacks(local_backend.client("stepfunctions"))
        token = stored_token(local_backend, "exec-3")
        answers.extend([callbacks.resume(token, {"n": 1}), callbacks.resume(token, {"n": 2})])
        return 60.0

    result = execute(DEFINITION, {}, invoke=no_lambda, name="exec-3", on_token_wait=watcher_round)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"outcome": {"n": 1}}
    assert answers == ["resumed", "closed"]
    assert {"TaskTimedOut", "TaskDoesNotExist"} == CLOSED_TOKEN_CODES


# Step Functions stores an AWS SDK integration's blob parameter as its JSON text. Recorded against AWS
# (LocalStack, tests/aws/services/stepfunctions/v2/services/test_aws_sdk_task_service.snapshot.json,
# TestTaskServiceAwsSdk::test_s3_put_object[str|dict|list|bool|num], recorded 13-12-2024): the object's
# content ("s3-object-content-body") and the PutObject ETag, for each Body the state passed.
RECORDED_PUT_OBJECT = [
    ("text data", b'"text data"', "2b5df3712557f503a9977a8ea893b2c9"),
    ({"Dict": "Value"}, b'{"Dict":"Value"}', "49e31cee5aec8faf3345893addb14346"),
    (["List", "Data"], b'["List","Data"]', "6b23860357f6e63a0272b7f1143a663a"),
    (False, b"false", "68934a3e9455fa72420237eb05902327"),
    (0, b"0", "cfcd208495d565ef66e7dff9f98764da"),
]
PUT_OBJECT = {
    "StartAt": "S3PutObject",
    "States": {
        "S3PutObject": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": BUCKET, "Key.$": "$.Key", "Body.$": "$.Body"},
            "End": True,
        }
    },
}


@pytest.mark.parametrize(
    ("body", "stored", "etag"), RECORDED_PUT_OBJECT, ids=["str", "dict", "list", "bool", "num"]
)
def test_given_an_sdk_put_object_task_then_its_body_is_stored_as_json_text_as_aws_stores_it(
    local_backend: LocalBackend, body: Any, stored: bytes, etag: str
) -> None:
    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    key = f"file-key-{type(body).__name__}"

    result = execute(
        PUT_OBJECT, {"Key": key, "Body": body}, invoke=no_lambda, name=f"put-{type(body).__name__}"
    )

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ETag"] == f'"{etag}"'
    with local_backend.unrecorded():
        read = local_backend.client("s3").get_object(Bucket=BUCKET, Key=key)
    assert read["Body"].read() == stored
    assert read["ContentLength"] == len(stored)


def test_given_the_token_text_as_stored_when_sent_with_its_quotes_then_step_functions_refuses_it(
    local_backend: LocalBackend,
) -> None:
    """What the watcher did before it decoded the body: the quoted text is no token Step Functions
    knows, "The provided token is not valid." (SendTaskSuccess, InvalidToken)."""
    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    errors: list[str] = []

    def watcher_round() -> float:
        with local_backend.unrecorded():
            raw = local_backend.client("s3").get_object(Bucket=BUCKET, Key="waits/exec-q")["Body"].read()
        try:
            local_backend.client("stepfunctions").send_task_success(
                taskToken=raw.decode().strip(), output="{}"
            )
        except Exception as exc:
            errors.append(exc.response["Error"]["Code"])  # type: ignore[attr-defined]
        return 60.0

    result = execute(DEFINITION, {}, invoke=no_lambda, name="exec-q", on_token_wait=watcher_round)

    assert result.output["error"]["Error"] == "States.Timeout"
    assert errors == ["InvalidToken"] * (TIMEOUT_SECONDS // 60)
