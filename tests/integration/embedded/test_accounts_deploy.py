"""Templates deployed into their accounts, and events that cross accounts only through the grants.

The companion template here is written by hand in the shape the companion stacks take (an access
role trusted by the automation account's function roles, a forwarding rule whose target is the
automation account's default bus, a shared group); the automation side adds its bus policy.

EventBridge User Guide, "Permissions for event buses in Amazon EventBridge": "The default event bus
in your AWS account only allows events from one account. You can grant additional permissions to an
event bus by attaching a resource-based policy to it." ("Example policy: Send events to the default
bus in a different account": `events:PutEvents` for the other account's root principal.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.deployed import deploy_accounts, deploy_template
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, synthesize
from tests.grants import grants, without

AUTOMATION, REGISTRY = "111111111111", "222222222222"
REGION = "us-east-1"
BUS = f"arn:aws:events:{REGION}:{AUTOMATION}:event-bus/default"
STACK = "registry-autopilot"
FUNCTIONS = f"arn:aws:iam::{AUTOMATION}:role/registry-autopilot/{STACK}/*"
EVENTS = Path(__file__).resolve().parents[3] / "events"

COMPANION: dict[str, Any] = {
    "Resources": {
        "AccessRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": f"{STACK}-access",
                "Path": "/registry-autopilot/",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AutomationFunctions",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::" + AUTOMATION + ":root"}
                            },
                            "Action": "sts:AssumeRole",
                            "Condition": {"ArnLike": {"aws:PrincipalArn": FUNCTIONS}},
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "registry",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "Versions",
                                    "Effect": "Allow",
                                    "Action": [
                                        "sagemaker:DescribeModelPackage",
                                        "sagemaker:UpdateModelPackage",
                                    ],
                                    "Resource": {
                                        "Fn::Join": [
                                            "",
                                            [
                                                "arn:aws:sagemaker:",
                                                {"Ref": "AWS::Region"},
                                                ":",
                                                {"Ref": "AWS::AccountId"},
                                                ":model-package/churn/*",
                                            ],
                                        ]
                                    },
                                }
                            ],
                        },
                    }
                ],
            },
        },
        "Group": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {
                "ModelPackageGroupName": "churn",
                "ModelPackageGroupPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EndpointAccount",
                            "Effect": "Allow",
                            "Principal": {"AWS": "333333333333"},
                            "Action": "sagemaker:DescribeModelPackage",
                            "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/churn/*",
                        }
                    ],
                },
            },
        },
        "Forward": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Model Package State Change"],
                },
                "Targets": [{"Id": "automation", "Arn": BUS}],
            },
        },
    }
}
BUS_POLICY: dict[str, Any] = {
    "Resources": {
        "FromRegistry": {
            "Type": "AWS::Events::EventBusPolicy",
            "Properties": {
                "EventBusName": "default",
                "StatementId": f"from-{REGISTRY}",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
                    "Action": "events:PutEvents",
                    "Resource": BUS,
                    # The event's own keys: only SageMaker's state changes are admitted.
                    "Condition": {
                        "StringEquals": {
                            "events:source": "aws.sagemaker",
                            "events:detail-type": "SageMaker Model Package State Change",
                        }
                    },
                },
            },
        }
    }
}


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


@pytest.fixture
def stack(app: SynthesizedApp) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(app, account_id=AUTOMATION, region=REGION) as running:
        yield running


def _event(name: str) -> dict[str, Any]:
    """A sample event as the registry account's SageMaker emits it."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event["account"] = REGISTRY
    detail = event["detail"]
    detail["ModelPackageArn"] = detail["ModelPackageArn"].replace(":123456789012:", f":{REGISTRY}:")
    event["resources"] = [detail["ModelPackageArn"]]
    return event


def _deploy(
    stack: EmbeddedStack, companion: dict[str, Any] = COMPANION, bus: dict[str, Any] = BUS_POLICY
) -> None:
    deploy_accounts(stack, [(REGISTRY, f"{STACK}-{REGISTRY}", companion)])
    deploy_template(stack.backend, AUTOMATION, "bus-policy", bus)


def test_each_template_is_deployed_in_its_own_account(stack: EmbeddedStack) -> None:
    _deploy(stack)
    iam = stack.backend.client("iam", account=REGISTRY)

    role = iam.get_role(RoleName=f"{STACK}-access")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/{STACK}-access"
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{AUTOMATION}:root"}
    policy = json.loads(
        stack.backend.client("sagemaker", account=REGISTRY).get_model_package_group_policy(
            ModelPackageGroupName="churn"
        )["ResourcePolicy"]
    )
    assert policy["Statement"][0]["Sid"] == "EndpointAccount"
    with pytest.raises(ClientError):
        stack.backend.client("iam").get_role(RoleName=f"{STACK}-access")  # not in the automation account
    names = [
        s["StackName"]
        for s in stack.backend.client("cloudformation", account=REGISTRY).describe_stacks()["Stacks"]
    ]
    assert names == [f"{STACK}-{REGISTRY}"]


def test_the_stacks_can_be_given_as_synthesized_stacks_with_their_accounts(stack: EmbeddedStack) -> None:
    from dataclasses import dataclass

    @dataclass
    class Synthesized:
        stack_name: str
        account: str | None
        automation: bool
        template: dict[str, Any]

    deploy_accounts(
        stack,
        [
            Synthesized(STACK, AUTOMATION, True, stack.app.template),
            Synthesized(f"{STACK}-{REGISTRY}", REGISTRY, False, COMPANION),
        ],
    )

    assert stack.companion_accounts == {REGISTRY: f"{STACK}-{REGISTRY}"}
    assert stack.backend.client("iam", account=REGISTRY).get_role(RoleName=f"{STACK}-access")["Role"]


def test_an_event_of_the_registry_account_reaches_the_automation_rules_through_its_forwarding_rule(
    stack: EmbeddedStack,
) -> None:
    _deploy(stack)

    routed = stack.send_event(_event("version-in-unwatched-group.json"))

    assert [rule.split(":", 1)[0] for rule in routed.forwarded_by] == [REGISTRY]
    assert routed.undelivered == []


def test_without_the_forwarding_rule_an_event_of_the_registry_account_reaches_no_rule(
    stack: EmbeddedStack,
) -> None:
    companion = copy.deepcopy(COMPANION)
    del companion["Resources"]["Forward"]
    _deploy(stack, companion)

    routed = stack.send_event(_event("version-registered.json"))

    assert routed.matched_rules == []
    assert routed.undelivered == [
        f"no rule on the default event bus of account {REGISTRY} matches the event and targets {BUS}"
    ]


def test_without_the_bus_policy_the_forwarded_event_is_refused_naming_the_bus_policy(
    stack: EmbeddedStack,
) -> None:
    _deploy(stack, bus={"Resources": {}})

    routed = stack.send_event(_event("version-registered.json"))

    assert routed.matched_rules == []
    (reason,) = routed.undelivered
    assert (
        f"arn:aws:iam::{REGISTRY}:root is not authorized to perform: events:PutEvents on resource: {BUS}"
        in reason
    )
    assert f"resource policy of event bus default in account {AUTOMATION} does not allow it" in reason


def test_an_event_the_bus_policys_conditions_do_not_admit_is_refused(stack: EmbeddedStack) -> None:
    _deploy(stack)
    event = _event("version-registered.json")
    event["source"] = "com.example.registry"
    companion_rule = stack.backend.client("events", account=REGISTRY)
    companion_rule.put_rule(Name="all", EventPattern=json.dumps({"account": [REGISTRY]}))
    companion_rule.put_targets(Rule="all", Targets=[{"Id": "bus", "Arn": BUS}])

    routed = stack.send_event(event)

    assert routed.forwarded_by == []
    assert (
        "resource policy of event bus default in account 111111111111 does not allow it"
        in routed.undelivered[0]
    )


def test_a_forwarded_event_of_a_watched_group_matches_the_automation_stacks_rule(
    stack: EmbeddedStack,
) -> None:
    _deploy(stack)
    stack.keep_history = False

    routed = stack.send_event(_event("version-registered.json"))

    assert routed.matched_rules, routed.undelivered


def test_every_grant_of_a_template_can_be_removed_one_at_a_time() -> None:
    found = grants(COMPANION)
    assert [(g.logical_id, g.kind) for g in found] == [
        ("AccessRole", "trust"),
        ("AccessRole", "identity"),
        ("Group", "group"),
        ("Forward", "forward"),
    ]
    for grant in found:
        reduced = without(COMPANION, grant)
        assert grant not in grants(reduced)
        assert len(grants(reduced)) == len(found) - 1
    assert [(g.logical_id, g.kind) for g in found if g.names_account(AUTOMATION)] == [
        ("AccessRole", "trust"),
        ("Forward", "forward"),
    ]
    assert [g.kind for g in grants(BUS_POLICY)] == ["bus"]
    assert grants(without(BUS_POLICY, grants(BUS_POLICY)[0])) == []


def test_removing_the_access_roles_trust_statement_makes_its_assumption_fail(stack: EmbeddedStack) -> None:
    trust = next(g for g in grants(COMPANION) if g.kind == "trust")
    _deploy(stack, without(COMPANION, trust))
    iam = stack.backend.client("iam")
    iam.create_role(
        RoleName="fn",
        Path=f"/registry-autopilot/{STACK}/",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": AUTOMATION}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName="fn",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    function = stack.backend.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{AUTOMATION}:role/registry-autopilot/{STACK}/fn", RoleSessionName="fn"
    )["Credentials"]
    sts = stack.backend.client(
        "sts",
        aws_access_key_id=function["AccessKeyId"],
        aws_secret_access_key=function["SecretAccessKey"],
        aws_session_token=function["SessionToken"],
    )

    with pytest.raises(ClientError) as raised:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/{STACK}-access", RoleSessionName="xx"
        )

    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert f"trust policy of role registry-autopilot/{STACK}-access in account {REGISTRY}" in str(
        raised.value
    )


def test_a_write_in_another_account_is_reported_with_that_account(stack: EmbeddedStack) -> None:
    _deploy(stack)
    arn = stack.backend.seed_model_package("churn", account=REGISTRY)

    stack.backend.client("sagemaker", account=REGISTRY).update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )

    (write,) = [w for w in stack.writes() if w["operation"] == "UpdateModelPackage"]
    assert write["account"] == REGISTRY
    assert write["principal"] == f"arn:aws:iam::{REGISTRY}:root"


# -- a custom resource backed by the template's own function -----------------------------------------------
def _share_handler(event: dict[str, Any], _context: Any) -> None:
    """A custom resource handler of the companion's shape: puts a group policy for a group that
    exists already, then answers CloudFormation at the ResponseURL (as handlers do with urllib)."""
    import urllib.request

    import boto3

    status, reason = "SUCCESS", ""
    properties = event["ResourceProperties"]
    try:
        boto3.client("sagemaker").put_model_package_group_policy(
            ModelPackageGroupName=properties["Group"], ResourcePolicy=json.dumps(properties["Policy"])
        )
    except Exception as exc:  # the handler reports any failure to CloudFormation
        status, reason = "FAILED", str(exc)
    body = json.dumps(
        {"Status": status, "Reason": reason, "PhysicalResourceId": properties["Group"]}
    ).encode()
    urllib.request.urlopen(urllib.request.Request(event["ResponseURL"], data=body, method="PUT"))


def _with_custom_share(grant_put: bool) -> dict[str, Any]:
    actions = (
        ["sagemaker:PutModelPackageGroupPolicy"] if grant_put else ["sagemaker:GetModelPackageGroupPolicy"]
    )
    policy = COMPANION["Resources"]["Group"]["Properties"]["ModelPackageGroupPolicy"]
    return {
        "Resources": {
            "ShareRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "share",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                            },
                        }
                    ],
                },
            },
            "ShareFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "handler.handler", "Role": {"Fn::GetAtt": ["ShareRole", "Arn"]}},
            },
            "Share": {
                "Type": "Custom::GroupShare",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["ShareFunction", "Arn"]},
                    "Group": "existing",
                    "Policy": policy,
                },
            },
        }
    }


def test_a_custom_resource_runs_its_handler_as_its_functions_role_in_its_account(
    stack: EmbeddedStack,
) -> None:
    stack.backend.client("sagemaker", account=REGISTRY).create_model_package_group(
        ModelPackageGroupName="existing"
    )

    deploy_accounts(
        stack,
        [(REGISTRY, f"{STACK}-{REGISTRY}", _with_custom_share(grant_put=True))],
        custom={"Custom::GroupShare": _share_handler},
    )

    got = stack.backend.client("sagemaker", account=REGISTRY).get_model_package_group_policy(
        ModelPackageGroupName="existing"
    )
    assert json.loads(got["ResourcePolicy"])["Statement"][0]["Sid"] == "EndpointAccount"
    # In the registry account only (the handler's clients were that account's).
    with pytest.raises(ClientError):
        stack.backend.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName="existing")


def test_a_custom_resource_whose_role_lacks_the_grant_fails_the_deployment_naming_it(
    stack: EmbeddedStack,
) -> None:
    stack.backend.client("sagemaker", account=REGISTRY).create_model_package_group(
        ModelPackageGroupName="existing"
    )

    with pytest.raises(RuntimeError) as raised:
        deploy_accounts(
            stack,
            [(REGISTRY, f"{STACK}-{REGISTRY}", _with_custom_share(grant_put=False))],
            custom={"Custom::GroupShare": _share_handler},
        )

    assert "custom resource Share failed" in str(raised.value)
    assert "sagemaker:PutModelPackageGroupPolicy" in str(raised.value)


# -- a function of the automation stack, as its template makes its role ------------------------------------
ACCESS = f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/{STACK}-access"


def _plan_role(app: SynthesizedApp, *, path: str | None, grant: bool) -> Any:
    """The Plan function's role from the template, with the IAM path and sts:AssumeRole grant the
    automation stack gives its roles in a multi-account layout."""
    from autopilot.embedded.backend.iam import RolePolicy

    template = copy.deepcopy(app.template)
    plan = next(logical for logical, handler in app.functions.items() if handler.endswith(".plan.handler"))
    role = template["Resources"][plan]["Properties"]["Role"]["Fn::GetAtt"][0]
    if path:
        template["Resources"][role]["Properties"]["Path"] = path
    if grant:
        policy = next(
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
        )
        policy["Properties"]["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ACCESS}
        )
    return RolePolicy.from_template(template, role, region=REGION, account=AUTOMATION)


def _as_function(stack: EmbeddedStack, role: Any) -> Any:
    stack.backend.principal = role
    try:
        return stack.backend.client("sts").assume_role(RoleArn=ACCESS, RoleSessionName="plan")
    finally:
        stack.backend.principal = None


def test_a_function_role_under_the_trusted_path_with_the_grant_assumes_the_access_role(
    stack: EmbeddedStack, app: SynthesizedApp
) -> None:
    _deploy(stack)

    answer = _as_function(stack, _plan_role(app, path=f"/registry-autopilot/{STACK}/", grant=True))

    assert answer["AssumedRoleUser"]["Arn"].startswith(
        f"arn:aws:sts::{REGISTRY}:assumed-role/{STACK}-access/"
    )


@pytest.mark.parametrize(
    ("path", "grant", "named"),
    [
        (None, True, "trust policy of role registry-autopilot/registry-autopilot-access"),
        (f"/registry-autopilot/{STACK}/", False, "no identity-based policy allows the sts:AssumeRole action"),
    ],
    ids=["outside the trusted path", "without the sts:AssumeRole grant"],
)
def test_a_function_role_missing_either_side_of_the_grant_cannot_assume_the_access_role(
    stack: EmbeddedStack, app: SynthesizedApp, path: str | None, grant: bool, named: str
) -> None:
    _deploy(stack)

    with pytest.raises(ClientError) as raised:
        _as_function(stack, _plan_role(app, path=path, grant=grant))

    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert named in str(raised.value)
