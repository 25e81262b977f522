"""Least privilege, cdk-nag AwsSolutions and cfn-lint on the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow

READ_ONLY_PREFIXES = ("describe", "list", "get", "search")
WATCHED = ("churn-xgboost", "fraud-pytorch")


def policy_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    statements = []
    for resource in synthesized.template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy":
            statements += properties["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                statements += policy["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def sagemaker_writes(statement: dict[str, Any]) -> list[str]:
    return [
        action
        for action in as_list(statement["Action"])
        if action.lower().startswith("sagemaker:")
        and not action.lower().removeprefix("sagemaker:").startswith(READ_ONLY_PREFIXES)
    ]


def test_no_sagemaker_write_is_allowed_on_every_resource(synthesized: Synthesized) -> None:
    """The one exception: tagging an inference experiment while creating it. AddTags lists no
    inference-experiment resource type in the Service Authorization Reference, so only '*' can match;
    the statement is limited to that creation by `sagemaker:TaggingAction` ("Filters access by the API
    actions to which a user can apply tags")."""
    writes = [s for s in policy_statements(synthesized) if sagemaker_writes(s)]

    assert writes, "the compile path writes to SageMaker, so some statement must grant it"
    for statement in writes:
        if "*" in as_list(statement["Resource"]):
            assert sagemaker_writes(statement) == ["sagemaker:AddTags"], statement
            assert statement["Condition"] == {
                "StringEquals": {"sagemaker:TaggingAction": "CreateInferenceExperiment"}
            }


def render(value: Any) -> str:
    """An ARN from the template as text, intrinsic references as `<Name>`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    separator, parts = value["Fn::Join"]
    return str(separator).join(render(part) for part in parts)


# SageMaker actions that can only be granted on "*" for what Registry Autopilot does (Service
# Authorization Reference for SageMaker): ListInferenceExperiments has no resource type; ListTags and
# AddTags list no inference-experiment resource type (AddTags only while creating one, see above).
UNSCOPABLE_SAGEMAKER_ACTIONS = {
    "sagemaker:ListInferenceExperiments",
    "sagemaker:ListTags",
    "sagemaker:AddTags",
    "sagemaker:ListCompilationJobs",  # the compile watcher's listing: no resource type
}


def test_sagemaker_statements_name_only_the_watched_groups_or_prefixed_resources(
    synthesized: Synthesized,
) -> None:
    prefix = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:"
    endpoints = {group.shadow.endpoint_name for group in synthesized.config.groups.values() if group.shadow}
    allowed = {
        *(f"{prefix}model-package/{group}/*" for group in WATCHED),
        *(f"{prefix}model-package-group/{group}" for group in WATCHED),
        f"{prefix}compilation-job/autopilot-*",
        f"{prefix}model/autopilot-*",
        f"{prefix}inference-experiment/autopilot-*",
        f"{prefix}endpoint-config/*",
        f"{prefix}model/*",  # read-only: see the test below
        *(f"{prefix}endpoint/{name}" for name in endpoints),
    }
    for statement in policy_statements(synthesized):
        actions = {a for a in as_list(statement["Action"]) if a.lower().startswith("sagemaker:")}
        if not actions:
            continue
        if as_list(statement["Resource"]) == ["*"]:
            assert actions <= UNSCOPABLE_SAGEMAKER_ACTIONS, statement
        else:
            assert {render(r) for r in as_list(statement["Resource"])} <= allowed, statement


def test_only_read_actions_reach_endpoint_configs_of_other_owners(synthesized: Synthesized) -> None:
    for statement in policy_statements(synthesized):
        if not any(a.lower().startswith("sagemaker:") for a in as_list(statement["Action"])):
            continue
        resources = {render(r) for r in as_list(statement["Resource"])}
        if any(r.endswith(":endpoint-config/*") for r in resources):
            assert as_list(statement["Action"]) == ["sagemaker:DescribeEndpointConfig"], statement


def test_only_describe_reaches_models_of_other_owners(synthesized: Synthesized) -> None:
    """The shadow start reads the production endpoint's model (multi-model mode, containers), which
    AWS excludes from shadow tests; it may never change a model it did not create."""
    for statement in policy_statements(synthesized):
        if not any(a.lower().startswith("sagemaker:") for a in as_list(statement["Action"])):
            continue
        resources = {render(r) for r in as_list(statement["Resource"])}
        if any(r.endswith(":model/*") for r in resources):
            assert as_list(statement["Action"]) == ["sagemaker:DescribeModel"], statement


def roles_in_use(synthesized: Synthesized) -> list[Any]:
    """The compile and experiment roles the stack uses (owned or configured), from its Outputs."""
    outputs = synthesized.template["Outputs"]
    return [outputs[key]["Value"] for key in ("CompileRoleArn", "ExperimentRoleArn") if key in outputs]


def test_pass_role_names_only_our_roles_and_only_towards_sagemaker(synthesized: Synthesized) -> None:
    ours = roles_in_use(synthesized)
    passes = [s for s in policy_statements(synthesized) if "iam:PassRole" in as_list(s["Action"])]

    assert passes
    for statement in passes:
        assert all(resource in ours for resource in as_list(statement["Resource"])), statement
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_cdk_nag_aws_solutions_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    findings = [
        f"{violation['ruleName']} at {[c['constructPath'] for c in violation['violatingConstructs']]}"
        for plugin in synthesized.report["pluginReports"]
        for violation in plugin["violations"]
    ]

    assert synthesized.synth_error is None, "\n".join(findings) or synthesized.synth_error
    assert findings == []
    assert "AwsSolutions" in {plugin["pluginName"] for plugin in synthesized.report["pluginReports"]}


def test_every_acknowledgement_names_its_finding_and_gives_a_reason(synthesized: Synthesized) -> None:
    acknowledgements = {
        (path, rule): reason
        for path, entries in synthesized.metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    }

    assert acknowledgements
    for (path, rule), reason in acknowledgements.items():
        assert rule.startswith("AwsSolutions::AwsSolutions-"), (path, rule)
        assert len(reason.strip()) >= 20, (path, rule)


def test_cfn_lint_finds_no_error_in_the_template(synthesized: Synthesized) -> None:
    from cfnlint.api import lint

    matches = lint(json.dumps(synthesized.template), regions=["us-east-1", "eu-west-1"])
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.severity == "error"]

    assert errors == []


# -- issue 7: least privilege, from the configuration rather than a fixed list ------------------------
def test_no_statement_grants_a_service_wildcard_or_every_action(synthesized: Synthesized) -> None:
    for statement in policy_statements(synthesized):
        for action in as_list(statement["Action"]):
            assert action != "*", statement
            assert not action.endswith(":*"), statement


def test_model_package_writes_name_only_configured_groups(synthesized: Synthesized) -> None:
    # IAM: "sagemaker:UpdateModelPackage" on model-package/<group>/* for watched groups (and their
    # lower-cased spelling, which SageMaker uses in ARNs), nothing else.
    prefix = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/"
    groups = set(synthesized.config.groups) | {g.lower() for g in synthesized.config.groups}
    updates = [
        s for s in policy_statements(synthesized) if "sagemaker:UpdateModelPackage" in as_list(s["Action"])
    ]

    assert updates
    for statement in updates:
        resources = {render(r) for r in as_list(statement["Resource"])}
        assert resources, statement
        assert resources <= {f"{prefix}{g}/*" for g in groups}, statement


def test_compilation_jobs_are_created_only_under_the_autopilot_prefix(synthesized: Synthesized) -> None:
    # IAM action names are case-insensitive; the SDK task grants `sagemaker:createCompilationJob`.
    creates = [
        s
        for s in policy_statements(synthesized)
        if "sagemaker:createcompilationjob" in {a.lower() for a in as_list(s["Action"])}
    ]

    assert creates
    for statement in creates:
        assert {render(r).rsplit(":", 1)[-1] for r in as_list(statement["Resource"])} == {
            "compilation-job/autopilot-*"
        }


def test_pass_role_is_never_granted_on_every_role(synthesized: Synthesized) -> None:
    for statement in policy_statements(synthesized):
        if "iam:PassRole" in as_list(statement["Action"]):
            assert "*" not in as_list(statement["Resource"]), statement
            assert "iam:PassedToService" in statement["Condition"]["StringEquals"]


def test_the_compile_workflow_may_pass_only_the_compile_role(synthesized: Synthesized) -> None:
    roles = {
        logical_id: resource
        for logical_id, resource in synthesized.template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy"
        and any(
            "StateMachine" in str(role) and "Compile" in str(role)
            for role in resource["Properties"].get("Roles", [])
        )
    }
    passes = [
        statement
        for policy in roles.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "iam:PassRole" in as_list(statement["Action"])
    ]

    assert passes
    for statement in passes:
        assert as_list(statement["Resource"]) == [synthesized.template["Outputs"]["CompileRoleArn"]["Value"]]


def test_every_event_rule_listens_only_to_sagemaker_itself(synthesized: Synthesized) -> None:
    # Customers cannot put events with an `aws.` source on a bus (docs/SECURITY.md), so a rule that
    # requires source aws.sagemaker cannot be triggered by a forged PutEvents call.
    rules = [
        r["Properties"]
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]
    ]

    assert rules
    for rule in rules:
        assert rule["EventPattern"]["source"] == ["aws.sagemaker"]
        assert rule["EventPattern"]["detail"]["ModelPackageGroupName"]
