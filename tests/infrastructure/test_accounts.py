"""Three accounts: automation 111111111111, registry 222222222222, endpoint 333333333333 (issue 25).

The configuration is `three_accounts.json` beside this file, the example docs/ACCOUNTS.md shows. One
synthesis of the real app (app.build, cdk-nag) shared by the module; each test asserts one grant across
the boundary. AWS behaviour relied on, as the documentation states it:
- IAM User Guide, "Cross-account policy evaluation logic": "To allow cross-account access, you attach a
  resource-based policy to the resource that you want to share. You must also attach an identity-based
  policy to the identity that acts as the principal in the request."
- IAM User Guide, "AWS global condition context keys", aws:PrincipalArn: "Use this key to compare the
  Amazon Resource Name (ARN) of the principal that made the request with the ARN that you specify in the
  policy. For IAM roles, the request context returns the ARN of the role, not the ARN of the user that
  assumed the role."
- EventBridge User Guide, "Permissions for event buses": "The default event bus in your AWS account only
  allows events from one account. You can grant additional permissions to an event bus by attaching a
  resource-based policy to it." and "We recommend always using IAM roles when the target of a rule is an
  event bus."
- EventBridge User Guide, "Sending and receiving events between AWS accounts": "On the receiver account,
  set up one or more rules that match events from the sender account."
- SageMaker Developer Guide, "Set up discoverability": the model owner attaches a resource policy
  allowing "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
  "sagemaker:DescribeModelPackageGroup" on the group's ARN and `model-package/<group>/*`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import quotas
from infra.accounts import cdk_deploy_role_name, share_sid
from infra.constructs.sagemaker_access import WILDCARD_GRANTS
from infra.group_policy.handler import share_statements
from tests.iam_oracle import check_statement, check_template
from tests.infrastructure.synthesis import Synthesized, cdk_json_context, synthesize_app

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "three_accounts.json"
AUTOMATION, REGISTRY, ENDPOINT = "111111111111", "222222222222", "333333333333"
STACK = "RegistryAutopilot"
ACCESS_ROLE = "RegistryAutopilot-access"


def three_accounts() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(FIXTURE.read_text())
    return config


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context() | {
        "autopilot": three_accounts(),
        DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies),
    }
    return synthesize_app(tmp_path_factory.mktemp("cdk-out-accounts"), context)


def template(app: Synthesized, account: str) -> dict[str, Any]:
    name = STACK if account == AUTOMATION else f"{STACK}-{account}"
    return app.stacks[name][1]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def text(value: Any) -> str:
    """A template value as text, with `${AWS::Partition}` and friends as `<Name>`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return json.dumps([text(item) for item in value])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(text(part) for part in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps({key: text(item) for key, item in value.items()})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def access_role_arn(account: str) -> str:
    return f"arn:<AWS::Partition>:iam::{account}:role/registry-autopilot/{ACCESS_ROLE}"


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of a role: inline policies and the AWS::IAM::Policy resources naming it."""
    statements = [
        s
        for p in template["Resources"][role_id]["Properties"].get("Policies", [])
        for s in p["PolicyDocument"]["Statement"]
    ]
    for policy in of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


# --- the stacks ------------------------------------------------------------------------------------
def test_three_accounts_synthesize_into_the_automation_stack_and_one_companion_per_other_account(
    app: Synthesized,
) -> None:
    assert app.synth_error is None
    assert {name: account for name, (account, _, _) in app.stacks.items()} == {
        STACK: AUTOMATION,
        f"{STACK}-{REGISTRY}": REGISTRY,
        f"{STACK}-{ENDPOINT}": ENDPOINT,
    }


def test_every_stack_is_deployed_in_its_own_account_per_the_cloud_assembly(app: Synthesized) -> None:
    manifest = json.loads((app.outdir / "manifest.json").read_text())
    environments = {
        name: artifact["environment"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }

    assert environments == {
        STACK: f"aws://{AUTOMATION}/unknown-region",
        f"{STACK}-{REGISTRY}": f"aws://{REGISTRY}/unknown-region",
        f"{STACK}-{ENDPOINT}": f"aws://{ENDPOINT}/unknown-region",
    }


def test_the_deploy_role_doctor_checks_is_the_one_the_cloud_assembly_tells_cdk_deploy_to_assume(
    app: Synthesized,
) -> None:
    """The manifest's `assumeRoleArn` is the role `cdk deploy` assumes in the stack's account (the
    synthesizer's DEFAULT_DEPLOY_ROLE_ARN); doctor and `make e2e-aws` check its trust by this name."""
    manifest = json.loads((app.outdir / "manifest.json").read_text())
    roles = {
        name: artifact["properties"]["assumeRoleArn"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }

    for name, (account, _, _) in app.stacks.items():
        expected = cdk_deploy_role_name(account, "${AWS::Region}")
        assert roles[name] == f"arn:${{AWS::Partition}}:iam::{account}:role/{expected}"


def test_cdk_nag_finds_nothing_unacknowledged_and_every_acknowledgement_gives_its_reason(
    app: Synthesized,
) -> None:
    violations = [v for plugin in app.report["pluginReports"] for v in plugin["violations"]]
    acknowledgements = [
        (name, path, rule, reason)
        for name, (_, _, metadata) in app.stacks.items()
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    ]

    assert violations == []
    assert {name for name, *_ in acknowledgements} == set(app.stacks)
    for name, path, rule, reason in acknowledgements:
        assert rule.startswith("AwsSolutions::AwsSolutions-"), (name, path, rule)
        assert len(reason.strip()) >= 20, (name, path, rule)


@pytest.mark.parametrize("account", [AUTOMATION, REGISTRY, ENDPOINT])
def test_cfn_lint_finds_no_error_in_the_stack_of(app: Synthesized, account: str) -> None:
    from cfnlint.api import lint

    matches = lint(json.dumps(template(app, account)), regions=["us-east-1", "eu-west-1"])

    assert [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.severity == "error"] == []


@pytest.mark.parametrize("account", [AUTOMATION, REGISTRY, ENDPOINT])
def test_every_iam_statement_of_the_stack_of_matches_the_service_authorization_reference(
    app: Synthesized, account: str
) -> None:
    findings = check_template(template(app, account), acknowledged_wildcards=WILDCARD_GRANTS)

    assert [str(f) for f in findings] == []


@pytest.mark.parametrize("account", [AUTOMATION, REGISTRY, ENDPOINT])
def test_the_stack_of_fits_every_deploy_time_quota(app: Synthesized, account: str) -> None:
    (path,) = [
        p for p in app.outdir.glob("*.template.json") if json.loads(p.read_text()) == template(app, account)
    ]

    assert quotas.template_problems(template(app, account), path.stat().st_size) == []


def test_the_documented_example_is_this_configuration() -> None:
    page = (HERE.parents[1] / "docs" / "ACCOUNTS.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", page, flags=re.DOTALL)

    assert three_accounts() in [json.loads(block) for block in blocks]


# --- trust -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("account", [REGISTRY, ENDPOINT])
def test_the_access_role_of_trusts_only_the_automation_stack_s_roles(app: Synthesized, account: str) -> None:
    (role,) = [
        r["Properties"]
        for r in of_type(template(app, account), "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == ACCESS_ROLE
    ]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]

    assert role["Path"] == "/registry-autopilot/"
    assert statement["Action"] == "sts:AssumeRole"
    assert text(statement["Principal"]["AWS"]) == f"arn:<AWS::Partition>:iam::{AUTOMATION}:root"
    assert {k: {kk: text(vv) for kk, vv in v.items()} for k, v in statement["Condition"].items()} == {
        "ArnLike": {
            "aws:PrincipalArn": f"arn:<AWS::Partition>:iam::{AUTOMATION}:role/registry-autopilot/{STACK}/*"
        }
    }


def test_the_roles_the_access_roles_trust_are_exactly_the_ones_that_call_into_other_accounts(
    app: Synthesized,
) -> None:
    roles = of_type(template(app, AUTOMATION), "AWS::IAM::Role")
    under_path = {
        re.sub(r"[0-9A-F]{8}$", "", lid)
        for lid, r in roles.items()
        if r["Properties"].get("Path") == f"/registry-autopilot/{STACK}/"
    }

    assert under_path == {
        "CompileWorkflowPlanRole",
        "CompileWorkflowAttachRole",
        "CompileWorkflowStateMachineRole",
        "CompileWorkflowWatcherCompileWatcherRole",
        "ShadowRolloutShadowStartRole",
        "ShadowRolloutRollerRole",
    }


def test_sts_assume_role_names_exactly_the_access_roles_each_function_needs(app: Synthesized) -> None:
    automation = template(app, AUTOMATION)
    assumed = {
        re.sub(r"[0-9A-F]{8}$", "", role_id): sorted(
            text(resource)
            for statement in role_statements(automation, role_id)
            if "sts:AssumeRole" in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        )
        for role_id in of_type(automation, "AWS::IAM::Role")
    }
    registry_only = [access_role_arn(REGISTRY)]
    both = [access_role_arn(REGISTRY), access_role_arn(ENDPOINT)]

    assert {role: arns for role, arns in assumed.items() if arns} == {
        "CompileWorkflowPlanRole": registry_only,
        "CompileWorkflowAttachRole": registry_only,
        "CompileWorkflowStateMachineRole": registry_only,
        "CompileWorkflowWatcherCompileWatcherRole": registry_only,
        "ShadowRolloutShadowStartRole": both,
        "ShadowRolloutRollerRole": both,
    }


def test_with_every_group_in_another_account_no_automation_role_acts_on_a_version_of_its_own_account(
    app: Synthesized,
) -> None:
    """Least privilege: the automation stack's roles reach the registry account's versions through its
    access role only; a grant on `model-package/...` in the automation account would name versions
    that are not there (the three-account example keeps no group in 111111111111)."""
    automation = template(app, AUTOMATION)
    own_versions = [
        (role_id, text(resource))
        for role_id in of_type(automation, "AWS::IAM::Role")
        for statement in role_statements(automation, role_id)
        for resource in as_list(statement.get("Resource", []))
        if f":{AUTOMATION}:model-package/" in text(resource)
        or ":<AWS::AccountId>:model-package/" in text(resource)
    ]

    assert own_versions == []


# --- events ----------------------------------------------------------------------------------------
def test_the_automation_bus_admits_put_events_from_exactly_the_registry_accounts(app: Synthesized) -> None:
    (policy,) = of_type(template(app, AUTOMATION), "AWS::Events::EventBusPolicy").values()
    statement = policy["Properties"]["Statement"]

    assert policy["Properties"]["EventBusName"] == "default"
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    assert [text(p) for p in as_list(statement["Principal"]["AWS"])] == [
        f"arn:<AWS::Partition>:iam::{REGISTRY}:root"
    ]
    # EventBridge User Guide, "Example policy: Send events to a custom bus in a different account": the
    # events:source and events:detail-type conditions under "ForAllValues:StringEquals" (a PutEvents
    # request carries one or more entries, so both keys are multivalued).
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {
            "events:source": "aws.sagemaker",
            "events:detail-type": "SageMaker Model Package State Change",
        }
    }
    resources = {"Resources": {}}
    assert check_statement("bus", statement, resources["Resources"]) == []


def test_the_automation_rules_accept_events_of_exactly_the_accounts_holding_groups(app: Synthesized) -> None:
    patterns = [
        r["Properties"]["EventPattern"]
        for r in of_type(template(app, AUTOMATION), "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]

    assert len(patterns) == 2
    assert {json.dumps(p["account"]) for p in patterns} == {json.dumps([REGISTRY])}


def test_the_registry_account_forwards_its_groups_state_changes_to_the_automation_bus_with_a_role(
    app: Synthesized,
) -> None:
    registry = template(app, REGISTRY)
    (rule,) = [r["Properties"] for r in of_type(registry, "AWS::Events::Rule").values()]
    (target,) = rule["Targets"]
    bus = f"arn:<AWS::Partition>:events:<AWS::Region>:{AUTOMATION}:event-bus/default"

    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": ["churn-xgboost", "fraud-pytorch"],
            "ModelPackageStatus": ["Completed"],
        },
    }
    assert text(target["Arn"]) == bus
    queue_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    (alarm,) = [
        a["Properties"]
        for a in of_type(registry, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Dimensions"]
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    ]
    (topic_id,) = of_type(registry, "AWS::SNS::Topic")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]  # the failure reaches the notification topic
    assert "KmsMasterKeyId" in registry["Resources"][queue_id]["Properties"]
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    assert [(s["Action"], text(s["Resource"])) for s in role_statements(registry, role_id)] == [
        ("events:PutEvents", bus)
    ]
    trust = registry["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]


def test_the_endpoint_account_holds_no_forwarding_rule(app: Synthesized) -> None:
    assert of_type(template(app, ENDPOINT), "AWS::Events::Rule") == {}


# --- group policies --------------------------------------------------------------------------------
def test_one_custom_resource_shares_the_registry_account_s_existing_groups_with_their_endpoint_accounts(
    app: Synthesized,
) -> None:
    (resource,) = of_type(template(app, REGISTRY), "Custom::ModelPackageGroupPolicies").values()
    properties = resource["Properties"]

    assert properties["Groups"] == {"churn-xgboost": [ENDPOINT]}  # fraud-pytorch has no shadow test
    assert properties["Sid"] == share_sid(STACK)
    assert properties["Owner"] == REGISTRY
    assert properties["RolePath"] == "/registry-autopilot/"


def test_the_shared_statements_grant_the_discoverability_page_s_actions_to_the_endpoint_roles() -> None:
    versions, group = share_statements(
        sid=share_sid(STACK),
        partition="aws",
        region="us-east-1",
        owner=REGISTRY,
        group="churn-xgboost",
        accounts=[ENDPOINT],
        role_path="/registry-autopilot/",
    )

    assert sorted([*versions["Action"], *group["Action"]]) == [
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages",
    ]
    assert versions["Resource"] == f"arn:aws:sagemaker:us-east-1:{REGISTRY}:model-package/churn-xgboost/*"
    assert group["Resource"] == f"arn:aws:sagemaker:us-east-1:{REGISTRY}:model-package-group/churn-xgboost"
    for statement in (versions, group):
        assert statement["Sid"].startswith(share_sid(STACK))
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ENDPOINT}:root"}
        assert statement["Condition"] == {
            "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ENDPOINT}:role/registry-autopilot/*"}
        }
        assert check_statement("group policy", statement, {}) == []


def test_the_group_policy_writer_may_touch_only_the_shared_groups(app: Synthesized) -> None:
    registry = template(app, REGISTRY)
    (function,) = [
        f
        for f in of_type(registry, "AWS::Lambda::Function").values()
        if "shares model package groups" in f["Properties"]["Description"]
    ]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    sagemaker = [s for s in role_statements(registry, role_id) if str(s["Action"]).count("sagemaker:")]

    assert [text(r) for s in sagemaker for r in as_list(s["Resource"])] == [
        f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:{REGISTRY}:model-package-group/churn-xgboost"
    ]


# --- the artifacts bucket --------------------------------------------------------------------------
def test_the_artifacts_bucket_admits_the_neo_roles_writing_and_the_shadow_roles_reading_compiled_artifacts(
    app: Synthesized,
) -> None:
    automation = template(app, AUTOMATION)
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in of_type(automation, "AWS::S3::BucketPolicy").values()
        if "CompiledArtifactsBucket" in p["Properties"]["Bucket"]["Ref"]
    ]
    cross = {s["Sid"]: s for s in policy if "Sid" in s}
    neo = f"arn:<AWS::Partition>:iam::{REGISTRY}:role/registry-autopilot/RegistryAutopilot-neo"
    shadow = f"arn:<AWS::Partition>:iam::{ENDPOINT}:role/registry-autopilot/RegistryAutopilot-shadow"

    assert set(cross) == {
        "NeoWritesCompiledModels",
        "NeoLocatesCompiledModels",
        "ShadowModelsReadCompiledModels",
    }
    write, locate, read = (
        cross[sid]
        for sid in ("NeoWritesCompiledModels", "NeoLocatesCompiledModels", "ShadowModelsReadCompiledModels")
    )
    assert text(write["Principal"]["AWS"]) == f"arn:<AWS::Partition>:iam::{REGISTRY}:root"
    assert sorted(write["Action"]) == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    assert text(write["Resource"]).endswith("/compiled/*")
    assert text(write["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == neo
    assert sorted(locate["Action"]) == ["s3:GetBucketLocation", "s3:ListBucket"]
    assert text(locate["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == neo
    assert text(read["Principal"]["AWS"]) == f"arn:<AWS::Partition>:iam::{ENDPOINT}:root"
    assert read["Action"] == "s3:GetObject"
    assert text(read["Resource"]).endswith("/compiled/*")
    assert text(read["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == shadow


def test_the_artifacts_bucket_stays_sse_s3_so_no_key_policy_needs_the_other_accounts(
    app: Synthesized,
) -> None:
    """Amazon S3 User Guide, "Protecting data with server-side encryption": with SSE-S3 "each object is
    encrypted with a unique key" managed by S3; a reader needs no KMS permission (docs/FIDELITY.md)."""
    buckets = of_type(template(app, AUTOMATION), "AWS::S3::Bucket")
    encryption = {
        lid: b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]
        for lid, b in buckets.items()
    }

    assert {e["SSEAlgorithm"] for e in encryption.values()} == {"AES256"}


def test_the_companion_roles_carry_the_names_the_functions_compute(app: Synthesized) -> None:
    from registry_autopilot.logic.accounts import access_role_name, neo_role_name, shadow_role_name

    names = {
        account: sorted(
            (r["Properties"]["RoleName"], r["Properties"]["Path"])
            for r in of_type(template(app, account), "AWS::IAM::Role").values()
            if "RoleName" in r["Properties"]
        )
        for account in (REGISTRY, ENDPOINT)
    }

    assert names == {
        REGISTRY: sorted(
            [
                (access_role_name(STACK), "/registry-autopilot/"),
                (neo_role_name(STACK), "/registry-autopilot/"),
            ]
        ),
        ENDPOINT: sorted(
            [
                (access_role_name(STACK), "/registry-autopilot/"),
                (shadow_role_name(STACK), "/registry-autopilot/"),
            ]
        ),
    }


def test_the_registry_access_role_compiles_with_the_neo_role_and_passes_nothing_else(
    app: Synthesized,
) -> None:
    registry = template(app, REGISTRY)
    (role_id,) = [
        lid
        for lid, r in of_type(registry, "AWS::IAM::Role").items()
        if r["Properties"].get("RoleName") == ACCESS_ROLE
    ]
    statements = role_statements(registry, role_id)
    passes = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    actions = {a for s in statements for a in as_list(s["Action"])}

    assert [text(s["Resource"]) for s in passes] == [
        f"arn:<AWS::Partition>:iam::{REGISTRY}:role/registry-autopilot/RegistryAutopilot-neo"
    ]
    assert passes[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert {
        "sagemaker:CreateCompilationJob",
        "sagemaker:UpdateModelPackage",
        "sagemaker:DescribeModelPackage",
    } <= actions
    assert not any(a.startswith("sagemaker:") and "InferenceExperiment" in a for a in actions)


def test_the_endpoint_access_role_reads_the_shared_versions_and_runs_shadow_tests_only(
    app: Synthesized,
) -> None:
    endpoint = template(app, ENDPOINT)
    (role_id,) = [
        lid
        for lid, r in of_type(endpoint, "AWS::IAM::Role").items()
        if r["Properties"].get("RoleName") == ACCESS_ROLE
    ]
    statements = {s.get("Sid"): s for s in role_statements(endpoint, role_id)}
    actions = {a for s in statements.values() for a in as_list(s["Action"])}

    assert [text(r) for r in as_list(statements["ReadSharedVersions"]["Resource"])] == [
        f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:{REGISTRY}:model-package/churn-xgboost/*"
    ]
    assert "sagemaker:UpdateModelPackage" not in actions
    assert "sagemaker:CreateCompilationJob" not in actions
    assert text(statements["ReadProductionEndpoints"]["Resource"]) == (
        f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:{ENDPOINT}:endpoint/churn-prod"
    )


def test_stack_templates_lists_every_stack_with_its_account(
    app: Synthesized, tmp_path: Path, staged_dependencies: Path
) -> None:
    """The helper local runs use to deploy each template into its account."""
    from aws_cdk import App

    import app as app_module
    from infra.assembly import stack_templates
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    cdk_app = App(
        outdir=str(tmp_path),
        context=cdk_json_context()
        | {"autopilot": three_accounts(), DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies)},
    )
    stack = app_module.build(cdk_app)
    listed = stack_templates(cdk_app.synth(), stack)

    assert [(s.stack_name, s.account, s.automation) for s in listed] == [
        (STACK, AUTOMATION, True),
        (f"{STACK}-{REGISTRY}", REGISTRY, False),
        (f"{STACK}-{ENDPOINT}", ENDPOINT, False),
    ]
    assert [s.template for s in listed] == [template(app, a) for a in (AUTOMATION, REGISTRY, ENDPOINT)]


def test_the_companions_are_deployed_after_the_automation_stack(app: Synthesized) -> None:
    manifest = json.loads((app.outdir / "manifest.json").read_text())

    for account in (REGISTRY, ENDPOINT):
        assert STACK in manifest["artifacts"][f"{STACK}-{account}"]["dependencies"]


# --- deployable, and what one account keeps ---------------------------------------------------------
def test_synthesizing_for_the_automation_account_is_allowed_and_for_another_refused_naming_account() -> None:
    """`cdk deploy --all` runs with the automation account's credentials: CDK_DEFAULT_ACCOUNT is it."""
    from infra.config import load_config
    from infra.deployable import deployment_problems

    config = load_config(three_accounts())

    assert deployment_problems(config, AUTOMATION) == []
    assert deployment_problems(config, REGISTRY) == [
        f"  autopilot.account: {AUTOMATION} -> {REGISTRY}, or synthesize with that account"
    ]


def test_a_group_naming_the_automation_account_itself_makes_no_companion() -> None:
    from infra.accounts import AccountPlan
    from infra.config import load_config

    raw = three_accounts()
    for group in raw["groups"].values():
        group["accountId"] = AUTOMATION
        group.get("shadow", {}).pop("endpointAccountId", None)

    assert not AccountPlan(load_config(raw)).multi_account


def test_the_single_account_sample_is_one_stack_with_nothing_cross_account(synthesized: Synthesized) -> None:
    """cdk.json's sample: the same stack as before issue 25 (no account in the patterns, no role path, no
    bus policy, no group policy writer, no companion)."""
    resources = synthesized.template["Resources"].values()

    assert list(synthesized.stacks) == [STACK]
    assert not [
        r
        for r in resources
        if r["Type"] in ("AWS::Events::EventBusPolicy", "Custom::ModelPackageGroupPolicies")
    ]
    assert not [r for r in resources if r["Type"] == "AWS::IAM::Role" and "Path" in r["Properties"]]
    assert not [r for r in resources if "account" in r["Properties"].get("EventPattern", {})]
    assert "sts:AssumeRole" not in json.dumps([r for r in resources if r["Type"] == "AWS::IAM::Policy"])


# --- the central registry: the automation account holds the groups, created by the stack ------------
def central_registry() -> dict[str, Any]:
    raw = three_accounts()
    for group in raw["groups"].values():
        group.pop("accountId")
    return raw | {"createModelPackageGroups": True}


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context() | {
        "autopilot": central_registry(),
        DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies),
    }
    return synthesize_app(tmp_path_factory.mktemp("cdk-out-central"), context)


def test_a_central_registry_shares_the_groups_it_creates_through_their_own_policy(
    central: Synthesized,
) -> None:
    automation = central.stacks[STACK][1]
    groups = {
        g["Properties"]["ModelPackageGroupName"]: g["Properties"].get("ModelPackageGroupPolicy")
        for g in of_type(automation, "AWS::SageMaker::ModelPackageGroup").values()
    }

    assert central.synth_error is None
    assert list(central.stacks) == [STACK, f"{STACK}-{ENDPOINT}"]
    assert groups["fraud-pytorch"] is None  # no shadow test elsewhere: not shared
    statements = groups["churn-xgboost"]["Statement"]
    assert [s["Sid"] for s in statements] == [f"{share_sid(STACK)}Versions", f"{share_sid(STACK)}Group"]
    assert {text(s["Principal"]["AWS"]) for s in statements} == {f"arn:<AWS::Partition>:iam::{ENDPOINT}:root"}
    assert of_type(automation, "Custom::ModelPackageGroupPolicies") == {}
    for statement in statements:
        assert check_statement("group policy", statement, automation["Resources"]) == []


def test_a_central_registry_needs_no_bus_policy_and_its_rules_accept_its_own_account_only(
    central: Synthesized,
) -> None:
    automation = central.stacks[STACK][1]
    patterns = [
        r["Properties"]["EventPattern"]
        for r in of_type(automation, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]

    assert of_type(automation, "AWS::Events::EventBusPolicy") == {}
    assert [p["account"] for p in patterns] == [[AUTOMATION], [AUTOMATION]]


def test_the_endpoint_account_reads_the_central_registry_s_versions(central: Synthesized) -> None:
    endpoint = central.stacks[f"{STACK}-{ENDPOINT}"][1]
    (role_id,) = [
        lid
        for lid, r in of_type(endpoint, "AWS::IAM::Role").items()
        if r["Properties"].get("RoleName") == ACCESS_ROLE
    ]
    statements = {s.get("Sid"): s for s in role_statements(endpoint, role_id)}

    assert [text(r) for r in as_list(statements["ReadSharedVersions"]["Resource"])] == [
        f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:{AUTOMATION}:model-package/churn-xgboost/*"
    ]
    assert check_template(endpoint, acknowledged_wildcards=WILDCARD_GRANTS) == []
    assert central.report["pluginReports"][0]["violations"] == []
