"""Run a synthesized state machine definition locally on moto's ASL interpreter.

The definition is executed as synthesized (no rewriting); the local pieces are around it:
- Lambda tasks are routed to the in-process handlers (`invoke`), so no Docker and no moto function.
- Wait states do not sleep: each wait is reported to `on_wait` (e.g. to advance the local clock).
- A task waiting for a callback (`.waitForTaskToken`) does not wait in real time when `on_token_wait`
  is given: while the execution waits on a token, the runner calls it (e.g. to advance the local clock
  and run a schedule that may answer with SendTaskSuccess); the seconds it returns count against the
  task's TimeoutSeconds, and past them the task times out (`States.Timeout`) as in Step Functions.
- Where moto's interpreter differs from Step Functions, it is corrected to the documented behaviour:
  * AWS SDK integration errors are named `SageMaker.<Exception>` (Step Functions Developer Guide,
    "AWS SDK service integrations": "The target service's API reference documentation lists potential
    error names"); moto spells the service `sagemaker`.
  * An error the service declares (botocore's error shapes: ResourceInUse, ResourceNotFound, ...) is
    named after it, with `Exception` appended when missing (same guide: `S3.BucketAlreadyExistsException`).
    Any other code (ValidationException, AccessDeniedException, ThrottlingException, InternalFailure,
    ServiceUnavailable) surfaces under the service's generic name, `SageMaker.SageMakerException`, as it
    does in AWS: only the cause tells them apart (aws/aws-step-functions-data-science-sdk-python#191:
    "I want to retry only if there is a 'ThrottlingException'. I cannot do it because the retry policy
    only looks at the error name, in this case, 'SageMaker.AmazonSageMakerException'"). The cause reads
    `<message> (Service: SageMaker, Status Code: <code>, Request ID: <id>)`, built by moto.
  * A task token answers once: a second SendTaskSuccess answers TaskTimedOut (moto takes it and
    replaces the first answer).
  * An AWS SDK integration's blob parameter (botocore shape type `blob`, e.g. S3 PutObject `Body`) that
    is not already bytes is sent as its compact JSON text: a string keeps its quotes, an object, list,
    bool or number is its JSON (AWS, as recorded by LocalStack's `test_s3_put_object` snapshots,
    validated against AWS: `"text data"` is stored as `"text data"`, ContentLength 11). moto sends a
    string as it is. See `sdk_parameters`.
  * Timestamp comparisons accept RFC 3339 with fractional seconds and offsets, which is what
    `$$.State.EnteredTime` holds (moto parses only `YYYY-MM-DDTHH:MM:SSZ`).
  * `$$.State.EnteredTime` is the backend's simulated time (moto takes the machine's), so a state that
    compares it with a deadline sees the time the rest of the run sees.

Must run inside an active moto mock (the local backend).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
    history: list[dict[str, Any]] | None  # None when the run did not keep it
    waits: list[int] = field(default_factory=list)

    def states_entered(self) -> list[str]:
        """Names of the states entered, in order (each one is a billed state transition)."""
        if self.history is None:
            raise ValueError("this execution was run without keeping its history")
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


@functools.cache
def _declared_errors(sdk_service_name: str) -> frozenset[str]:
    """Error codes the service's API model declares (the SDK's modeled exceptions)."""
    import botocore.session  # type: ignore[import-untyped, unused-ignore]

    model = botocore.session.get_session().get_service_model(sdk_service_name)
    return frozenset(shape.name for shape in model.error_shapes)


def _sdk_error_name(norm_service_name: str, ex: Exception) -> str:
    response = getattr(ex, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    sdk_names = {error_name: sdk for sdk, error_name in _SDK_ERROR_SERVICE_NAMES.items()}
    sdk_service = sdk_names.get(norm_service_name)
    if code and sdk_service is not None and code not in _declared_errors(sdk_service):
        code = None  # not declared: the service's generic exception
    name = f"{norm_service_name}.{code or norm_service_name}"
    return name if name.endswith("Exception") else f"{name}Exception"


def _parse_timestamp(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    # Step Functions requires an explicit zone (Z or an offset); naive values are not timestamps.
    return parsed if parsed.tzinfo is not None else None


@functools.cache
def _operation_input(sdk_service_name: str, action: str) -> Any:
    """The botocore input shape of `action` (the SDK's snake_case method name) of the service."""
    import botocore.session  # type: ignore[import-untyped, unused-ignore]
    from botocore import xform_name  # type: ignore[import-untyped, unused-ignore]

    model = botocore.session.get_session().get_service_model(sdk_service_name)
    for operation in model.operation_names:
        if xform_name(operation) == action:
            return model.operation_model(operation).input_shape
    raise ValueError(f"{sdk_service_name} has no operation {action!r}")


def sdk_parameters(value: Any, shape: Any) -> Any:
    """The parameters of an AWS SDK integration task as Step Functions sends them: every blob member
    that is not bytes becomes its JSON text, compact (`{"a":1}`), quotes kept for a string. Other
    members pass as they are; botocore then validates them as the SDK would."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "blob":
        if isinstance(value, bytes | bytearray):
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    if kind == "structure" and isinstance(value, dict):
        return {key: sdk_parameters(item, shape.members.get(key)) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [sdk_parameters(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: sdk_parameters(item, shape.value) for key, item in value.items()}
    return value


@dataclass
class TokenWait:
    """A task waiting for its callback, with the simulated seconds left before its TimeoutSeconds."""

    endpoint: Any  # moto's CallbackEndpoint
    remaining: float
    expired: bool = False


@dataclass
class Sleeper:
    """A Wait state or a retry's interval of a run with many executions: it sleeps until the clock
    reaches `due` (released by the run, which moves the clock)."""

    due: dt.datetime
    event: threading.Event = field(default_factory=threading.Event)


@dataclass
class TokenWaits:
    """The tasks of the running executions that wait for a callback (`.waitForTaskToken`), and, for a
    run of many executions at once (`clock` set), the Wait states and retry intervals that sleep on the
    simulated clock instead of moving it."""

    simulated: bool = False  # count TimeoutSeconds in simulated seconds (`elapse`), not in real time
    pending: list[TokenWait] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Map workers launched and not yet out of jobs: time may pass only when every one of them waits on
    # a token, so a branch still creating its job is never overtaken by the clock.
    running_iterations: int = 0
    # Executions started and not ended (`alive`), and those of them not waiting on their Map's branches
    # (`running`): an execution's own thread counts until it waits for its branches.
    executions_alive: int = 0
    executions_running: int = 0
    # With a clock, Wait states and retry intervals sleep until the run moves the clock past them.
    clock: Any = None
    sleepers: list[Sleeper] = field(default_factory=list)

    def elapse(self, seconds: float) -> None:
        """`seconds` of simulated time passed: a callback not answered within its TimeoutSeconds
        expires (its task fails with States.Timeout)."""
        with self.lock:
            for wait in self.pending:
                wait.remaining -= seconds
                if wait.remaining <= 0 and not wait.endpoint._notify_event.is_set():
                    wait.expired = True
                    wait.endpoint._notify_event.set()  # wakes the task; a late answer is TaskTimedOut

    def waiting(self) -> bool:
        """Every running branch and execution waits (for a callback that has not come, SendTaskSuccess
        sets it at once, within its TimeoutSeconds; or for the clock), and at least one does: nothing
        else can happen until time passes."""
        with self.lock:
            waiting = sum(1 for wait in self.pending if not wait.endpoint._notify_event.is_set())
            waiting += sum(1 for sleeper in self.sleepers if not sleeper.event.is_set())
            return waiting > 0 and waiting >= self.running_iterations + self.executions_running

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of simulated time (a run with a clock): until `release` passes them."""
        sleeper = Sleeper(due=self.clock.now() + dt.timedelta(seconds=seconds))
        with self.lock:
            self.sleepers.append(sleeper)
        sleeper.event.wait()

    def next_due(self) -> dt.datetime | None:
        with self.lock:
            return min((s.due for s in self.sleepers if not s.event.is_set()), default=None)

    def release(self) -> None:
        """Wake the sleepers whose time has come on the clock."""
        now = self.clock.now()
        with self.lock:
            due = [s for s in self.sleepers if s.due <= now]
            self.sleepers = [s for s in self.sleepers if s.due > now]
        for sleeper in due:
            sleeper.event.set()

    def execution_started(self) -> None:
        with self.lock:
            self.executions_alive += 1
            self.executions_running += 1

    def execution_ended(self) -> None:
        with self.lock:
            self.executions_alive -= 1
            self.executions_running -= 1

    def execution_blocked(self, blocked: bool) -> None:
        with self.lock:
            self.executions_running += -1 if blocked else 1

    def iteration_started(self) -> None:
        with self.lock:
            self.running_iterations += 1

    def iteration_ended(self) -> None:
        with self.lock:
            self.running_iterations -= 1


def _batch_status_alone() -> None:
    """moto's interpreter imports `moto.batch.utils` for one enum, the status of a Batch job (for
    Batch tasks, which our state machines do not have). Importing it runs the `moto.batch` package,
    which loads moto's Batch and EC2 backends: more than the rest of the interpreter, and most of a
    short replay's time. The enum's module and the one it imports are loaded on their own instead
    (the same files); `moto.batch` still loads in full, later, for anything that asks for it."""
    import importlib.util
    import sys

    if "moto.batch.utils" in sys.modules:
        return
    import moto

    folder = Path(moto.__file__).parent / "batch"
    for name in ("exceptions", "utils"):  # utils imports .exceptions
        spec = importlib.util.spec_from_file_location(f"moto.batch.{name}", folder / f"{name}.py")
        if spec is None or spec.loader is None:
            return  # moto's layout changed: import as moto does
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[spec.name]
            return


@contextmanager
def local_execution(
    invoke: LambdaRouter, on_wait: Callable[[int], object] | None = None, tokens: TokenWaits | None = None
) -> Iterator[list[int]]:
    """Patch moto's interpreter for local runs; yields the list the waits are recorded in."""
    _batch_status_alone()
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations import (
        is_operator,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    waits: list[int] = []
    # moto logs every failed state at ERROR with its whole parse tree; the execution result and
    # history already say what failed, readably.
    interpreter_log = logging.getLogger("moto.stepfunctions")
    saved_level = interpreter_log.level
    interpreter_log.setLevel(logging.CRITICAL)

    def fake_wait(self: Any, env: Any, wait_seconds: int) -> None:
        waits.append(int(wait_seconds))
        if tokens is not None and tokens.clock is not None:
            tokens.sleep(int(wait_seconds))
        elif on_wait is not None:
            on_wait(int(wait_seconds))

    def retry_backoff(seconds: float) -> None:
        # Retry intervals are simulated time too: a retried task must not stall a local run.
        if tokens is not None and tokens.clock is not None:
            tokens.sleep(int(seconds))
        elif on_wait is not None:
            on_wait(int(seconds))

    def fake_invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        return _lambda_response(invoke, parameters)

    with (
        _entered_time_simulated(),
        mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", fake_invoke),
        mock.patch.object(WaitFunction, "_wait_interval", fake_wait),
        _token_waits_simulated(tokens),
        _callbacks_answer_once(),
        _sdk_blobs_as_json(aws_sdk.StateTaskServiceAwsSdk),
        _iterations_counted(tokens),
        _executions_counted(tokens),
        mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", _parsed_program),
        _keyword_path_keys(),
        mock.patch.object(
            BaseExecutionWorkerCommunication,
            "terminated",
            _ended_noted(BaseExecutionWorkerCommunication.terminated),
        ),
        mock.patch.object(
            StepFunctionsParserBackend,
            "_validate_definition",
            staticmethod(_validated_once(StepFunctionsParserBackend._validate_definition)),
        ),
        mock.patch.object(aws_sdk, "boto_client_for", _sdk_client(aws_sdk.boto_client_for)),  # type: ignore[attr-defined]
        mock.patch.object(
            StateTask, "_eval_state_credentials", _explicit_credentials(StateTask._eval_state_credentials)
        ),
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


@contextmanager
def _entered_time_simulated() -> Iterator[None]:
    """States entered get `$$.State.EnteredTime` from the active backend's clock."""
    from moto.stepfunctions.parser.asl.component.state import state as state_module

    from autopilot.embedded.backend.core import active_clock

    class _SimulatedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            clock = active_clock()
            if clock is None:
                return dt.datetime.now(tz)
            return clock.now().astimezone(tz) if tz is not None else clock.now()

    module = SimpleNamespace(datetime=_SimulatedDatetime, timezone=dt.timezone)
    with mock.patch.object(state_module, "datetime", module):
        yield


@contextmanager
def _token_waits_simulated(tokens: TokenWaits | None) -> Iterator[None]:
    """A task waiting for its callback waits on the simulated clock when `tokens.simulated`: its
    TimeoutSeconds count the seconds `tokens.elapse` reports, not real ones."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_service,
    )

    original_token_wait = callback_service.StateTaskServiceCallback._wait_for_task_token_timeout

    def token_wait(self: Any, timeout_seconds: int, callback_endpoint: Any) -> Any:
        if tokens is None or not tokens.simulated:
            return original_token_wait(self, timeout_seconds, callback_endpoint)
        wait = TokenWait(callback_endpoint, float(timeout_seconds))
        with tokens.lock:
            tokens.pending.append(wait)
        try:
            # SendTaskSuccess sets the event, and so does `elapse` when TimeoutSeconds have passed on
            # the simulated clock: no polling (thousands of waiting branches waking each second kept
            # the interpreter's lock busy), so a waiting branch costs nothing.
            callback_endpoint._notify_event.wait()
            return None if wait.expired else callback_endpoint.get_outcome()  # None: States.Timeout
        finally:
            with tokens.lock:
                tokens.pending.remove(wait)

    with mock.patch.object(
        callback_service.StateTaskServiceCallback, "_wait_for_task_token_timeout", token_wait
    ):
        yield


CLOSED_TASK_MESSAGE = (
    "The task token has either expired or the task associated with the token has already been closed."
)


@contextmanager
def _sdk_blobs_as_json(task_class: Any) -> Iterator[None]:
    """AWS SDK integration tasks send their blob parameters as JSON text (`sdk_parameters`)."""
    original = task_class._eval_service_task

    def eval_service_task(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], **rest: Any
    ) -> Any:
        shape = _operation_input(self._get_boto_service_name(), self._get_boto_service_action())
        parameters = sdk_parameters(normalised_parameters, shape)
        return original(self, env, resource_runtime_part, parameters, **rest)

    with mock.patch.object(task_class, "_eval_service_task", eval_service_task):
        yield


@contextmanager
def _callbacks_answer_once() -> Iterator[None]:
    """A token answers once: "The task token has either expired or the task associated with the token
    has already been closed" (SendTaskSuccess, TaskTimedOut). moto takes a second answer and replaces
    the first. A token once answered stays closed after its execution has ended too (moto then looks
    for it only among running executions and answers InvalidToken, which the compile watcher must take
    as "read wrong")."""
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.api import TaskTimedOut
    from moto.stepfunctions.parser.asl.eval.callback import callback as pool

    original = pool.CallbackPoolManager.notify
    original_success = models.StepFunctionsParserBackend.send_task_success

    def notify_once(self: Any, callback_id: Any, outcome: Any) -> bool:
        endpoint = self._pool.get(callback_id, None)
        if endpoint is not None and endpoint._notify_event.is_set():
            raise TaskTimedOut(CLOSED_TASK_MESSAGE, exception_type="TaskTimedOut")
        return bool(original(self, callback_id, outcome))

    def send_task_success(self: Any, task_token: str, outcome: str) -> Any:
        if task_token in _ANSWERED_TOKENS:
            raise TaskTimedOut(CLOSED_TASK_MESSAGE, exception_type="TaskTimedOut")
        answer = original_success(self, task_token, outcome)
        _ANSWERED_TOKENS.add(task_token)
        return answer

    with (
        mock.patch.object(pool.CallbackPoolManager, "notify", notify_once),
        mock.patch.object(models.StepFunctionsParserBackend, "send_task_success", send_task_success),
    ):
        yield


# Tokens answered with SendTaskSuccess in this process (tokens are unique): a second answer, even after
# the execution has ended, is TaskTimedOut as in Step Functions.
_ANSWERED_TOKENS: set[str] = set()


@contextmanager
def _executions_counted(tokens: TokenWaits | None) -> Iterator[None]:
    """Count the executions started and not ended, and whether each one's own thread runs or waits
    for its Map's branches (which are counted themselves)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import JobPool
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_start: Callable[[Any], None] = ExecutionWorker.start
    original_logic: Callable[[Any], None] = ExecutionWorker._execution_logic
    original_await: Callable[[Any], None] = JobPool.await_jobs

    def start(self: Any) -> None:
        if tokens is not None:
            tokens.execution_started()
        original_start(self)

    def execution_logic(self: Any) -> None:
        try:
            original_logic(self)
        finally:
            if tokens is not None:
                tokens.execution_ended()

    def await_jobs(self: Any) -> None:
        if tokens is not None:
            tokens.execution_blocked(True)
        try:
            original_await(self)
        finally:
            if tokens is not None:
                tokens.execution_blocked(False)

    with (
        mock.patch.object(ExecutionWorker, "start", start),
        mock.patch.object(ExecutionWorker, "_execution_logic", execution_logic),
        mock.patch.object(JobPool, "await_jobs", await_jobs),
    ):
        yield


@contextmanager
def _iterations_counted(tokens: TokenWaits | None) -> Iterator[None]:
    """Count the Map workers that may still run a branch: from the moment a worker is launched (before
    its thread takes its first job, which on a loaded machine can come late) until it finds no job left.
    Counting only jobs taken let time pass while a launched worker had not yet taken its job."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        inline_iteration_component as inline,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker as workers,
    )

    original_launch = inline.InlineIterationComponent._launch_worker
    original_eval = workers.IterationWorker.eval

    def launch_worker(self: Any, env: Any, eval_input: Any, job_pool: Any) -> Any:
        if tokens is not None:
            tokens.iteration_started()
        return original_launch(self, env, eval_input, job_pool)

    def worker_eval(self: Any) -> None:
        try:
            original_eval(self)
        finally:
            if tokens is not None:
                tokens.iteration_ended()

    with (
        mock.patch.object(inline.InlineIterationComponent, "_launch_worker", launch_worker),
        mock.patch.object(workers.IterationWorker, "eval", worker_eval),
    ):
        yield


# Parsed programs by definition text: moto parses the definition again for every execution, and its
# parser takes longer than a whole short execution. The parsed program holds no execution state (Map
# iterations of one execution already share it); each execution gets its own environment.
_PROGRAMS: dict[str, Any] = {}
# One Step Functions client per region: creating a client costs more than a short execution.
_CLIENTS: dict[str, Any] = {}
_SDK_CLIENTS: dict[tuple[str, str], Any] = {}


def state_machine_arn(sfn: Any, definition: dict[str, Any], known: dict[str, str] | None = None) -> str:
    """The local state machine for `definition`, created on first use. Executions of one definition
    share it, as they share the deployed state machine in AWS; moto parses a definition when it is
    created, which takes longer than a whole short execution. `known` remembers the ARNs for the life
    of one backend, so an execution does not list every state machine first."""
    text = json.dumps(definition, sort_keys=True)
    name = f"local-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    known = {} if known is None else known
    if name in known:
        return known[name]
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                known[name] = str(machine["stateMachineArn"])
                return known[name]
    created = sfn.create_state_machine(name=name, definition=text, roleArn=LOCAL_ROLE_ARN)
    known[name] = str(created["stateMachineArn"])
    return known[name]


# A task with `Credentials` (`RoleArn`) runs as that role, which the state machine's role assumes
# (Step Functions Developer Guide, "Accessing resources in other AWS accounts": a task's Credentials
# field names the role to assume). moto ignores the field; the running stack sets this to make the
# client: (region, service, role ARN) -> a client whose calls are that role's session.
TASK_CREDENTIALS: list[Callable[[str, str, str], Any]] = []


def _sdk_client(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto creates a new client for every AWS SDK task; one per region and service serves them all
    (the clients carry the interpreter's fixed test credentials and no state)."""

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto gives every task the execution's role when it names none: only a task's own
        # `Credentials` (marked by `_explicit_credentials`) switches roles.
        role_arn = getattr(state_credentials, "role_arn", None)
        if role_arn and getattr(state_credentials, "explicit", False):
            if TASK_CREDENTIALS:
                return TASK_CREDENTIALS[-1](region, service, str(role_arn))
            return _assumed_client(original, region, service, str(role_arn))
        key = (region, service)
        if key not in _SDK_CLIENTS:
            _SDK_CLIENTS[key] = original(region, service, state_credentials)
        return _SDK_CLIENTS[key]

    return client_for


@contextmanager
def _keyword_path_keys() -> Iterator[None]:
    """A Parameters key that is also an ASL field name with `.$` (`"RoleArn.$"`, which a task with
    Credentials passes to CreateCompilationJob) is a path like any other key ending in `.$` (States
    Language, "Parameters": "the name of a key-value pair ... ends with .$"); the local interpreter's
    grammar reads it as a literal key. Bind it as the path it is."""
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadbinding import (
        payload_binding as bindings,
    )
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringContextPath,
        StringJsonPath,
    )
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = Preprocessor.visitPayload_binding_value

    def visit(self: Any, ctx: Any) -> Any:
        binding = original(self, ctx)
        value = getattr(getattr(binding, "payload_value", None), "val", None)
        field = str(getattr(binding, "field", ""))
        if field.endswith(".$") and isinstance(value, str) and value.startswith("$"):
            path = StringContextPath(value) if value.startswith("$$") else StringJsonPath(value)
            return bindings.PayloadBindingStringExpressionSimple(
                field=field[:-2], string_expression_simple=path
            )
        return binding

    with mock.patch.object(Preprocessor, "visitPayload_binding_value", visit):
        yield


def _explicit_credentials(original: Callable[..., Any]) -> Callable[..., Any]:
    """Mark the credentials a task state names itself (its `Credentials` field)."""

    def evaluate(self: Any, env: Any) -> Any:
        credentials = original(self, env)
        if self.credentials:
            credentials.explicit = True
        return credentials

    return evaluate


def _assumed_client(original: Callable[..., Any], region: str, service: str, role_arn: str) -> Any:
    """A task with `Credentials` runs as that role (Step Functions API Reference, TaskCredentials: "The
    ARN of an IAM role that Step Functions assumes for the task. The role can allow cross-account access
    to resources."): the role is assumed through STS, so its trust policy decides, and the call is made
    with the session's credentials, so it is served in the role's account."""
    import boto3

    sts = original(region, "sts", None)
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="states-task")["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
    )


def _parsed_program(worker: Any) -> Any:
    return parsed_program(worker._evaluation_details.state_machine_details.definition)


# Parsed programs are also kept on disk, so a new process (each CLI verb is one) does not parse the
# same definition again: parsing the compile workflow takes a third of a second, loading it a
# millisecond. The key is the definition's text with the versions of moto and Python that parsed it, so
# a changed definition, or another interpreter, is parsed afresh; nothing else is read from the file.
PROGRAM_CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "asl"


def _program_file(text: str) -> Path:
    import sys

    from moto import __version__ as moto_version

    key = f"{moto_version}\n{sys.version}\n{text}".encode()
    return PROGRAM_CACHE_DIR / f"{hashlib.sha256(key).hexdigest()[:32]}.pickle"


def parsed_program(text: str) -> Any:
    """moto's evaluation program for the definition `text`, parsed once (per process, and on disk).
    A definition that does not parse raises as moto's parser does, and is not kept."""
    if text in _PROGRAMS:
        return _PROGRAMS[text]
    import pickle

    _batch_status_alone()  # before unpickling imports moto's interpreter
    path = _program_file(text)
    try:
        _PROGRAMS[text] = pickle.loads(path.read_bytes())  # written below, under .cache/
        return _PROGRAMS[text]
    except Exception:  # absent, or unreadable: parse again
        pass
    _batch_status_alone()
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program = AmazonStateLanguageParser.parse(text)[0]
    try:
        blob = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)  # before any execution uses it
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(blob)
        temporary.replace(path)
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        pass  # kept in this process only
    _PROGRAMS[text] = program
    return program


def _validated_once(original: Callable[[str], None]) -> Callable[[str], None]:
    """moto validates a definition by parsing it when the state machine is created, then parses it
    again for every execution: one parse serves both. A definition that does not parse gets moto's
    own InvalidDefinition."""

    def validate(definition: str) -> None:
        try:
            parsed_program(definition)
        except Exception:
            original(definition)
            raise

    return validate


def wait_for_end(
    sfn: Any,
    execution_arn: str,
    *,
    tokens: TokenWaits,
    on_token_wait: Callable[[], float] | None,
    timeout_seconds: float,
) -> dict[str, Any]:
    """Wait (in real time, at most `timeout_seconds`) for the execution to end; while one of its tasks
    waits for a callback, call `on_token_wait` (the simulated seconds it returns count against the
    task's TimeoutSeconds) instead of waiting. The execution's DescribeExecution at its end."""
    deadline = time.monotonic() + timeout_seconds
    described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
    while described["status"] == "RUNNING":
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution_arn, error="LocalTimeout")
            raise TimeoutError(f"execution {execution_arn} still running after {timeout_seconds} s")
        if on_token_wait is not None and tokens.waiting():
            tokens.elapse(on_token_wait())
        else:
            # Woken as soon as an execution's worker ends (`_ended_noted`); asking for the status again
            # at most every 10 ms otherwise, in case an execution ends some other way.
            with _ENDED:
                _ENDED.wait(0.01)
        described = sfn.describe_execution(executionArn=execution_arn)
    return described


# Notified when an execution's worker thread has recorded its end (its status is no longer RUNNING).
_ENDED = threading.Condition()


def _ended_noted(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def terminated(self: Any) -> None:
        try:
            original(self)
        finally:
            with _ENDED:
                _ENDED.notify_all()

    return terminated


def execute(
    definition: dict[str, Any],
    execution_input: Any,
    *,
    invoke: LambdaRouter,
    name: str,
    region: str = "us-east-1",
    on_wait: Callable[[int], object] | None = None,
    timeout_seconds: float = 60.0,
    keep_history: bool = True,
    machines: dict[str, str] | None = None,
    on_token_wait: Callable[[], float] | None = None,
) -> ExecutionResult:
    """Start one execution named `name` of the state machine for `definition` and wait for its end.
    Without `keep_history` the result carries no history (reading it costs more than a short run);
    `machines` keeps the state machines' ARNs between executions on one backend. While a task waits for
    its callback, `on_token_wait` is called (it returns the simulated seconds it let pass)."""
    import boto3  # type: ignore[import-untyped, unused-ignore]

    tokens = TokenWaits(simulated=on_token_wait is not None)
    with local_execution(invoke, on_wait, tokens) as waits:
        if region not in _CLIENTS:
            _CLIENTS[region] = boto3.client("stepfunctions", region_name=region)
        sfn = _CLIENTS[region]
        arn = state_machine_arn(sfn, definition, machines)
        execution_arn = sfn.start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        described = wait_for_end(
            sfn, execution_arn, tokens=tokens, on_token_wait=on_token_wait, timeout_seconds=timeout_seconds
        )
        history: list[dict[str, Any]] | None = None
        if keep_history:
            history = []
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
