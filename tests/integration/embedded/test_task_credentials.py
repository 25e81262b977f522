"""A state machine task with `Credentials` runs as the role it names, assumed by the state machine's role.

Step Functions Developer Guide, "Accessing resources in other AWS accounts in Step Functions": a task
state's `Credentials` field names the role "to assume for the task"; the state machine's execution
role must be allowed to assume it, and that role's trust policy must allow the execution role
(IAM User Guide, "Cross-account policy evaluation logic": "In IAM, you can attach a resource-based
policy to an IAM role to allow principals in other accounts to assume that role.").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.stepfunctions import execute
from autopilot.embedded.synth import SynthesizedApp, synthesize

AUTOMATION, REGISTRY, REGION = "111111111111", "222222222222", "us-east-1"
COMPILE_ROLE = f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/registry-autopilot-access"


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


def _granting_assume_role(app: SynthesizedApp) -> SynthesizedApp:
    """The app with its state machine's role also allowed sts:AssumeRole on the registry role."""
    changed = copy.copy(app)
    changed.template = copy.deepcopy(app.template)
    machine = next(iter(app.state_machines))
    role = changed.template["Resources"][machine]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    policy = next(
        r
        for r in changed.template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    )
    policy["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": COMPILE_ROLE}
    )
    return changed


def _run(stack: EmbeddedStack, arn: str) -> Any:
    definition = {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage",
                "Credentials": {"RoleArn": COMPILE_ROLE},
                "Parameters": {"ModelPackageName": arn},
                "ResultSelector": {"status.$": "$.ModelApprovalStatus"},
                "End": True,
            }
        },
    }
    return execute(definition, {}, invoke=stack.route_lambda, name="credentials", region=REGION)


def _registry_role(stack: EmbeddedStack) -> None:
    iam = stack.backend.client("iam", account=REGISTRY)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": stack.state_machine_role().arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        RoleName="registry-autopilot-access",
        Path="/registry-autopilot/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )
    iam.put_role_policy(
        RoleName="registry-autopilot-access",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sagemaker:DescribeModelPackage", "Resource": "*"}
                ],
            }
        ),
    )


@pytest.fixture
def granted(app: SynthesizedApp) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(_granting_assume_role(app), account_id=AUTOMATION, region=REGION) as stack:
        yield stack


def test_a_task_with_credentials_acts_in_the_account_of_the_role_it_names(granted: EmbeddedStack) -> None:
    arn = granted.backend.seed_model_package("churn", account=REGISTRY)
    _registry_role(granted)

    result = _run(granted, arn)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"status": "PendingManualApproval"}
    call = next(c for c in granted.backend.calls if c.operation == "DescribeModelPackage")
    assert call.account == REGISTRY


def test_without_sts_assume_role_in_the_state_machines_role_the_task_fails_naming_the_grant(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app, account_id=AUTOMATION, region=REGION) as stack:
        arn = stack.backend.seed_model_package("churn", account=REGISTRY)
        _registry_role(stack)

        result = _run(stack, arn)

    assert result.status == "FAILED"
    assert f"sts:AssumeRole on resource: {COMPILE_ROLE}" in str(result.cause)
