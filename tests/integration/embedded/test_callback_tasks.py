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
    with backend.unrecorded():
        body = backend.client("s3").get_object(Bucket=BUCKET, Key=f"waits/{execution}")["Body"].read()
    return str(body.decode())


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
    execution is gone it answers InvalidToken.) The compile watcher takes TaskTimedOut, InvalidToken
    and TaskDoesNotExist as "no longer waits" and deletes the wait."""
    from registry_autopilot.adapters.compile_watch import CLOSED_TOKEN_CODES, Callbacks

    local_backend.client("s3").create_bucket(Bucket=BUCKET)
    answers: list[bool] = []

    def watcher_round() -> float:
        callbacks = Callbacks(local_backend.client("stepfunctions"))
        token = stored_token(local_backend, "exec-3")
        answers.extend([callbacks.resume(token, {"n": 1}), callbacks.resume(token, {"n": 2})])
        return 60.0

    result = execute(DEFINITION, {}, invoke=no_lambda, name="exec-3", on_token_wait=watcher_round)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"outcome": {"n": 1}}
    assert answers == [True, False]
    assert {"TaskTimedOut", "InvalidToken"} <= CLOSED_TOKEN_CODES
