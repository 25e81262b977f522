"""Which account each call goes to, and the role names both sides of an account boundary agree on
(docs/ACCOUNTS.md).

IAM API Reference, CreateRole: RoleName "Length Constraints: Minimum length of 1. Maximum length of 64."
Path: "Length Constraints: Minimum length of 1. Maximum length of 512." IAM User Guide, "IAM ARNs":
"arn:aws:iam::account:role/role-name-with-path".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from registry_autopilot.logic import accounts
from registry_autopilot.logic.compile_watch import Wait, needs_read, next_step, parse_key
from registry_autopilot.logic.plan import PlanContext, plan_compilation
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.models.registry import ModelPackage
from tests.compile_fixtures import ARTIFACTS_BUCKET, config_dict, describe_output

AUTOMATION, REGISTRY, ENDPOINTS = "111111111111", "222222222222", "333333333333"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def three_accounts(**top: Any) -> AutopilotConfig:
    raw = config_dict()
    raw["account"] = AUTOMATION
    raw["groups"]["churn-xgboost"]["accountId"] = REGISTRY
    raw["groups"]["churn-xgboost"]["shadow"]["endpointAccountId"] = ENDPOINTS
    return AutopilotConfig.model_validate(raw | top)


def test_given_long_stack_names_then_every_role_name_fits_iams_64_characters_and_stays_distinct() -> None:
    names = {accounts.access_role_name("A" * n + "x") for n in range(40, 128)}

    assert all(1 <= len(name) <= accounts.MAX_ROLE_NAME for name in names)
    assert len(names) == len(range(40, 128))
    assert accounts.access_role_name("RegistryAutopilot") == "RegistryAutopilot-access"
    assert accounts.access_role_arn("aws-cn", REGISTRY, "RegistryAutopilot") == (
        f"arn:aws-cn:iam::{REGISTRY}:role/registry-autopilot/RegistryAutopilot-access"
    )


def test_given_one_account_then_every_call_is_made_as_the_functions_own_role() -> None:
    access = accounts.AccountAccess(own=None, stack_name="RegistryAutopilot")

    assert access.role_for(REGISTRY) is None
    assert access.role_for_arn(f"arn:aws:sagemaker:us-east-1:{REGISTRY}:model-package/g/1") is None


def test_given_another_account_then_calls_about_its_resources_are_made_as_its_access_role() -> None:
    access = accounts.AccountAccess(own=AUTOMATION, stack_name="RegistryAutopilot")

    assert access.role_for(AUTOMATION) is None
    assert access.role_for(REGISTRY) == accounts.access_role_arn("aws", REGISTRY, "RegistryAutopilot")


def test_given_a_group_in_another_account_then_the_configuration_needs_the_automation_account() -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["accountId"] = REGISTRY

    with pytest.raises(ValueError, match="set 'account'"):
        AutopilotConfig.model_validate(raw)


def test_given_three_accounts_then_each_group_knows_its_registry_and_endpoint_account() -> None:
    config = three_accounts()

    assert config.registry_account("churn-xgboost") == REGISTRY
    assert config.endpoint_account("churn-xgboost") == ENDPOINTS
    assert config.registry_account("fraud-pytorch") == AUTOMATION
    assert config.other_accounts() == [REGISTRY, ENDPOINTS]
    assert config.registry_accounts() == [REGISTRY]
    assert config.endpoint_accounts() == [ENDPOINTS]


def test_given_a_version_of_another_account_than_its_groups_then_it_is_foreign() -> None:
    arn = f"arn:aws:sagemaker:us-east-1:{ENDPOINTS}:model-package/churn-xgboost/1"

    assert "configured in account 222222222222" in (accounts.foreign_version(REGISTRY, arn) or "")
    assert accounts.foreign_version(ENDPOINTS, arn) is None
    assert accounts.foreign_version(None, arn) is None


def test_given_a_version_in_a_registry_account_then_it_compiles_there_with_its_neo_role() -> None:
    config = three_accounts()
    described = describe_output()
    described["ModelPackageArn"] = described["ModelPackageArn"].replace("123456789012", REGISTRY)
    package = ModelPackage.from_describe(described)

    targets = plan_compilation(
        package, PlanContext(config=config, artifacts_bucket=ARTIFACTS_BUCKET, now=NOW)
    ).targets

    assert targets
    for target in targets:
        assert target.access_role_arn == accounts.access_role_arn("aws", REGISTRY, config.stack_name)
        assert target.neo_role_arn == f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/RegistryAutopilot-neo"
        assert target.wait_job == f"{REGISTRY}/{target.job_name}"
        # The compiled artifacts still go to the automation stack's bucket.
        assert target.request["OutputConfig"]["S3OutputLocation"].startswith(f"s3://{ARTIFACTS_BUCKET}/")


def test_given_a_version_in_the_automation_account_then_the_plan_is_as_in_one_account() -> None:
    config = three_accounts()
    described = describe_output(group="fraud-pytorch")
    described["ModelPackageArn"] = described["ModelPackageArn"].replace("123456789012", AUTOMATION)

    targets = plan_compilation(
        ModelPackage.from_describe(described),
        PlanContext(config=config, artifacts_bucket=ARTIFACTS_BUCKET, now=NOW),
    ).targets

    assert [(t.access_role_arn, t.neo_role_arn, t.wait_job) for t in targets] == [
        (None, None, t.job_name) for t in targets
    ]


def test_given_a_wait_of_a_job_in_another_account_then_the_watcher_knows_where_to_describe_it() -> None:
    key = f"compile-waits/{REGISTRY}/autopilot-churn-v1-ml-c5-0a1b2c3d/2026-12-07T14:00:00Z/exec-1"
    metadata = {"target": "ml-c5", "deadline": "2026-12-07T14:00:00+00:00"}

    listed = parse_key(key)
    wait = Wait.parse(key, '"token"', metadata)

    assert listed is not None
    assert listed.account == REGISTRY
    assert wait.account == REGISTRY
    assert wait.job_name == "autopilot-churn-v1-ml-c5-0a1b2c3d"
    assert wait.ref == f"{REGISTRY}/autopilot-churn-v1-ml-c5-0a1b2c3d"
    # The same job name in flight in the watcher's own account is another job.
    own = {"autopilot-churn-v1-ml-c5-0a1b2c3d": "INPROGRESS"}
    assert needs_read(listed, own, NOW)
    assert next_step(wait, own, NOW) == "describe"
    theirs = {wait.ref: "INPROGRESS"}
    assert not needs_read(listed, theirs, NOW)
    assert next_step(wait, theirs, NOW) == "wait"


def test_given_a_wait_written_before_accounts_then_it_reads_as_the_watchers_own_account() -> None:
    key = "compile-waits/autopilot-churn-v1-ml-c5-0a1b2c3d/2026-12-07T14:00:00Z/exec-1"

    listed = parse_key(key)

    assert listed is not None
    assert listed.account is None
    assert listed.ref == "autopilot-churn-v1-ml-c5-0a1b2c3d"


def test_given_account_alone_then_the_configuration_is_one_account_and_nothing_is_assumed() -> None:
    raw = config_dict() | {"account": AUTOMATION}
    config = AutopilotConfig.model_validate(raw)
    described = describe_output()  # a version of another account than `account`: a local run's

    targets = plan_compilation(
        ModelPackage.from_describe(described),
        PlanContext(config=config, artifacts_bucket=ARTIFACTS_BUCKET, now=NOW),
    ).targets

    assert config.registry_account("churn-xgboost") is None
    assert {t.access_role_arn for t in targets} == {None}
