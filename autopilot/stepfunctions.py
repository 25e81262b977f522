"""Run a synthesized state machine definition locally on moto's ASL interpreter.

The definition is executed as synthesized (no rewriting); the local pieces are around it:
- Lambda tasks are routed to the in-process handlers (`invoke`), so no Docker and no moto function.
- Wait states do not sleep: each wait is reported to `on_wait` (e.g. to advance the local clock).
- Where moto's interpreter differs from Step Functions, it is corrected to the documented behaviour:
  * AWS SDK integration errors are named `SageMaker.<Exception>` (Step Functions Developer Guide,
    "AWS SDK service integrations"); moto spells the service `sagemaker`.
  * The error name comes from the service's error code, with `Exception` appended when missing (same
    guide: `S3.BucketAlreadyExistsException`); moto uses botocore's class name instead, which is plain
    `ClientError` for codes the SDK does not model (ThrottlingException, InternalFailure, ...), so every
    such error would be `SageMaker.SageMakerException` and a Retry on the real name would never match.
  * Timestamp comparisons accept RFC 3339 with fractional seconds and offsets, which is what
    `$$.State.EnteredTime` holds (moto parses only `YYYY-MM-DDTHH:MM:SSZ`).

Must run inside an active moto mock (the local backend).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest import mock

LambdaRouter = Callable[[str, Any], Any]  # (function ARN, event) -> result; raises on failure

LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/RegistryAutopilotLocalStateMachine"
# AWS SDK service names whose Step Functions error prefix differs from the SDK's lower-case name.
_SDK_ERROR_SERVICE_NAMES = {"sagemaker": "SageMaker"}


@dataclass
class ExecutionResult:
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]
    waits: list[int] = field(default_factory=list)

    def states_entered(self) -> list[str]:
        """Names of the states entered, in order (each one is a billed state transition)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if event["type"].endswith("StateEntered")
        ]


@dataclass(frozen=True)
class LocalLambdaContext:
    """The attributes of a Lambda context object the handlers (and Powertools) read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def function_name_of(arn: str) -> str:
    return arn.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]


def handler_router(handlers: dict[str, str]) -> LambdaRouter:
    """Route by function: `handlers` maps function name -> handler string (`module.attribute`)."""

    def invoke(function_arn: str, event: Any) -> Any:
        name = function_name_of(function_arn)
        module_name, attribute = handlers[name].rsplit(".", maxsplit=1)
        handler = getattr(importlib.import_module(module_name), attribute)
        context = LocalLambdaContext(function_name=name, invoked_function_arn=function_arn)
        return handler(event, context)

    return invoke


def _lambda_response(invoke: LambdaRouter, parameters: dict[str, Any]) -> dict[str, Any]:
    payload = parameters.get("Payload")
    event = json.loads(payload) if payload else {}
    try:
        # A round trip through JSON, as Lambda serializes both ways.
        result = json.loads(json.dumps(invoke(parameters["FunctionName"], event), default=str))
    except Exception as exc:
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__)[-3:],
        }
        return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error}
    return {"StatusCode": 200, "Payload": result}


def _sdk_error_name(norm_service_name: str, ex: Exception) -> str:
    response = getattr(ex, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    name = f"{norm_service_name}.{code or type(ex).__name__}"
    return name if name.endswith("Exception") else f"{name}Exception"


def _parse_timestamp(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    # Step Functions requires an explicit zone (Z or an offset); naive values are not timestamps.
    return parsed if parsed.tzinfo is not None else None


@contextmanager
def local_execution(
    invoke: LambdaRouter, on_wait: Callable[[int], object] | None = None
) -> Iterator[list[int]]:
    """Patch moto's interpreter for local runs; yields the list the waits are recorded in."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations import (
        is_operator,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    waits: list[int] = []
    # moto logs every failed state at ERROR with its whole parse tree; the execution result and
    # history already say what failed, readably.
    interpreter_log = logging.getLogger("moto.stepfunctions")
    saved_level = interpreter_log.level
    interpreter_log.setLevel(logging.CRITICAL)

    def fake_wait(self: Any, env: Any, wait_seconds: int) -> None:
        waits.append(int(wait_seconds))
        if on_wait is not None:
            on_wait(int(wait_seconds))

    def retry_backoff(seconds: float) -> None:
        # Retry intervals are simulated time too: a retried task must not stall a local run.
        if on_wait is not None:
            on_wait(int(seconds))

    def fake_invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        return _lambda_response(invoke, parameters)

    with (
        mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", fake_invoke),
        mock.patch.object(WaitFunction, "_wait_interval", fake_wait),
        mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=retry_backoff)),
        mock.patch.dict(aws_sdk._SERVICE_ERROR_NAMES, _SDK_ERROR_SERVICE_NAMES),
        mock.patch.object(
            aws_sdk.StateTaskServiceAwsSdk, "_normalise_exception_name", staticmethod(_sdk_error_name)
        ),
        mock.patch.object(is_operator.IsTimestamp, "string_to_timestamp", staticmethod(_parse_timestamp)),
    ):
        try:
            yield waits
        finally:
            interpreter_log.setLevel(saved_level)


def state_machine_arn(sfn: Any, definition: dict[str, Any]) -> str:
    """The local state machine for `definition`, created on first use. Executions of one definition
    share it, as they share the deployed state machine in AWS; moto parses a definition when it is
    created, which takes longer than a whole short execution."""
    text = json.dumps(definition, sort_keys=True)
    name = f"local-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                return str(machine["stateMachineArn"])
    return str(
        sfn.create_state_machine(name=name, definition=text, roleArn=LOCAL_ROLE_ARN)["stateMachineArn"]
    )


def execute(
    definition: dict[str, Any],
    execution_input: Any,
    *,
    invoke: LambdaRouter,
    name: str,
    region: str = "us-east-1",
    on_wait: Callable[[int], object] | None = None,
    timeout_seconds: float = 60.0,
) -> ExecutionResult:
    """Start one execution named `name` of the state machine for `definition` and wait for its end."""
    import boto3  # type: ignore[import-untyped, unused-ignore]

    with local_execution(invoke, on_wait) as waits:
        sfn = boto3.client("stepfunctions", region_name=region)
        arn = state_machine_arn(sfn, definition)
        execution_arn = sfn.start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + timeout_seconds
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                sfn.stop_execution(executionArn=execution_arn, error="LocalTimeout")
                raise TimeoutError(f"execution {name} still running after {timeout_seconds} s")
            time.sleep(0.01)
        history: list[dict[str, Any]] = []
        paginator = sfn.get_paginator("get_execution_history")
        for page in paginator.paginate(executionArn=execution_arn):
            history.extend(page["events"])
    output = described.get("output")
    return ExecutionResult(
        status=described["status"],
        output=json.loads(output) if output else None,
        error=described.get("error"),
        cause=described.get("cause"),
        history=history,
        waits=waits,
    )
