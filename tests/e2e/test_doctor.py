"""`python -m autopilot doctor` against seeded account state on the embedded backend.

AWS rules the checks rely on:
- IAM API Reference, EvaluationResult: "EvalDecision ... Valid Values: allowed | explicitDeny |
  implicitDeny" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
- IAM API Reference, SimulatePrincipalPolicy: "CallerArn is required if you include a ResourcePolicy
  and the PolicySourceArn is not the ARN for an IAM user" (so a bucket policy's grant to a role is
  read from the bucket policy itself).
- SageMaker Developer Guide, "Exclusions" (shadow tests,
  https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint
  uses any of the following features you cannot use shadow tests on your endpoint ... Serverless
  inference, Asynchronous inference, Marketplace containers, Multiple-containers endpoints,
  Multi-model endpoints, Endpoints that use Inf1 (Inferentia-based) instances, Amazon Elastic
  Inference endpoints".
- SageMaker Developer Guide, "Create a shadow test": "For an endpoint with a shadow variant, there can
  be a maximum of one production variant."
- EventBridge User Guide, "Using dead-letter queues to process undelivered events": "you can resolve
  the issue that resulted in the failed event delivery and process the events at a later time."
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from autopilot.account.doctor import DoctorReport, run_doctor
from autopilot.cli.main import main
from autopilot.embedded.deployed import deploy_locally
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, shipped_config, synthesize

COMPILE_ROLE = "RegistryAutopilotNeoCompile"
ENDPOINT = "churn-prod"


# Roles a team brings (cdk.json's groups and endpoint, with compileRoleArn/experimentRoleArn set): most
# checks below are about such roles; the stack-owned ones are checked at the end.
BROUGHT_ROLES = {
    "autopilot.compileRoleArn": f"arn:aws:iam::123456789012:role/{COMPILE_ROLE}",
    "autopilot.experimentRoleArn": "arn:aws:iam::123456789012:role/RegistryAutopilotShadowTests",
}


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize(shipped_config(BROUGHT_ROLES))


@pytest.fixture(scope="module")
def owned_roles_app() -> SynthesizedApp:
    return synthesize()  # cdk.json as shipped: the stack creates both roles


@pytest.fixture
def stack(app: SynthesizedApp) -> Iterator[EmbeddedStack]:
    """An account ready for the configuration: stack deployed, roles, a version per group, endpoint."""
    with EmbeddedStack(app) as local:
        deploy_locally(local)
        local.backend.seed_model_package("churn-xgboost")
        local.backend.seed_model_package("fraud-pytorch")
        local.seed_shadow_endpoint("churn-xgboost")
        yield local


def doctor(stack: EmbeddedStack) -> DoctorReport:
    return run_doctor(stack.app.config, stack.backend.client, stack.backend.region)


def results(report: DoctorReport, result: str) -> list[str]:
    return [f"{c.area} | {c.name} | {c.detail}" for c in report.checks if c.result == result]


def replace_endpoint(stack: EmbeddedStack, variants: list[dict[str, Any]], **config: Any) -> None:
    sagemaker = stack.backend.client("sagemaker")
    sagemaker.delete_endpoint(EndpointName=ENDPOINT)
    sagemaker.create_endpoint_config(EndpointConfigName="other", ProductionVariants=variants, **config)
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="other")


def variant(**overrides: Any) -> dict[str, Any]:
    base = {
        "VariantName": "AllTraffic",
        "ModelName": f"{ENDPOINT}-production",
        "InstanceType": "ml.c5.xlarge",
        "InitialInstanceCount": 1,
    }
    return base | overrides


def test_given_a_ready_account_when_doctor_runs_then_nothing_fails_and_it_exits_0(
    stack: EmbeddedStack,
) -> None:
    report = doctor(stack)

    assert results(report, "FAIL") == []
    assert report.exit_code == 0
    passed = results(report, "PASS")
    assert any("compile role reads the latest model artifact" in line for line in passed)
    assert any("bucket policy grants s3:PutObject" in line for line in passed)
    assert any("shadow model pulls" in line for line in passed)
    assert any("eligible for shadow tests" in line for line in passed)
    assert any("Dead-letter queues" in line for line in passed)


def test_the_sample_account_and_names_are_flagged(stack: EmbeddedStack) -> None:
    warned = results(doctor(stack), "WARN")

    assert any("compileRoleArn" in line and "123456789012" in line for line in warned)
    assert any("churn-prod, churn-xgboost, fraud-pytorch" in line for line in warned)


def test_given_another_account_the_sample_role_is_a_failure(app: SynthesizedApp) -> None:
    with EmbeddedStack(app, account_id="111122223333") as local:
        report = doctor(local)

    failed = results(report, "FAIL")
    assert any("compileRoleArn" in line and "placeholder" in line for line in failed)
    assert report.exit_code == 1


def test_a_role_sagemaker_cannot_assume_fails_the_trust_check(stack: EmbeddedStack) -> None:
    iam = stack.backend.client("iam")
    other = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.update_assume_role_policy(RoleName=COMPILE_ROLE, PolicyDocument=json.dumps(other))

    failed = results(doctor(stack), "FAIL")

    assert failed == ["Role: compile | trust | does not trust sagemaker.amazonaws.com"]


def test_a_compile_role_that_cannot_read_the_artifact_fails_with_the_exact_object(
    stack: EmbeddedStack,
) -> None:
    stack.backend.client("iam").delete_role_policy(RoleName=COMPILE_ROLE, PolicyName="registry-autopilot")

    failed = results(doctor(stack), "FAIL")

    assert any(
        "compile role reads the latest model artifact" in line
        and "churn-xgboost/1/model.tar.gz: s3:GetObject implicitDeny" in line
        for line in failed
    )


def test_an_explicit_deny_on_the_compiled_prefix_fails_even_with_the_bucket_policy_grant(
    stack: EmbeddedStack,
) -> None:
    deny = {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/compiled/*"}
    stack.backend.client("iam").put_role_policy(
        RoleName=COMPILE_ROLE,
        PolicyName="deny",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )

    failed = results(doctor(stack), "FAIL")

    assert any(
        "writes the compiled prefix" in line and "s3:PutObject explicitDeny" in line for line in failed
    )


def test_a_missing_role_fails_and_its_permission_checks_are_not_run(stack: EmbeddedStack) -> None:
    iam = stack.backend.client("iam")
    iam.delete_role_policy(RoleName=COMPILE_ROLE, PolicyName="registry-autopilot")
    iam.delete_role(RoleName=COMPILE_ROLE)

    report = doctor(stack)

    assert any("compile | exists" in line and "does not exist" in line for line in results(report, "FAIL"))
    assert not any("compile role" in c.name for c in report.checks)


def test_a_watched_group_that_does_not_exist_fails(app: SynthesizedApp) -> None:
    with EmbeddedStack(app) as local:
        deploy_locally(local)
        local.backend.seed_model_package("churn-xgboost")
        local.seed_shadow_endpoint("churn-xgboost")
        failed = results(doctor(local), "FAIL")

    assert any(line.startswith("Group: fraud-pytorch | exists") for line in failed)


@pytest.mark.parametrize(
    ("variants", "config", "reason"),
    [
        ([variant(), variant(VariantName="Second")], {}, "2 production variants"),
        ([variant(InstanceType="ml.inf1.xlarge")], {}, "runs on Inf1"),
        ([variant(AcceleratorType="ml.eia2.medium")], {}, "Elastic Inference"),
        (
            [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": f"{ENDPOINT}-production",
                    "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
                }
            ],
            {},
            "is serverless",
        ),
        (
            [variant()],
            {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://out/async/"}}},
            "asynchronous inference",
        ),
    ],
)
def test_an_endpoint_shadow_tests_exclude_fails_eligibility(
    stack: EmbeddedStack, variants: list[dict[str, Any]], config: dict[str, Any], reason: str
) -> None:
    replace_endpoint(stack, variants, **config)

    failed = results(doctor(stack), "FAIL")

    assert any("eligible for shadow tests" in line and reason in line for line in failed)


def test_a_multi_model_production_variant_fails_eligibility(stack: EmbeddedStack) -> None:
    sagemaker = stack.backend.client("sagemaker")
    sagemaker.create_model(
        ModelName="multi",
        ExecutionRoleArn=stack.app.config.compile_role_arn,
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "Mode": "MultiModel",
            "ModelDataUrl": "s3://models/",
        },
    )
    replace_endpoint(stack, [variant(ModelName="multi")])

    failed = results(doctor(stack), "FAIL")

    assert any("multi-model endpoint" in line for line in failed)


def test_a_production_variant_name_that_differs_from_the_configuration_fails(stack: EmbeddedStack) -> None:
    replace_endpoint(stack, [variant(VariantName="Blue")])

    failed = results(doctor(stack), "FAIL")

    assert any("production variant | AllTraffic not among Blue" in line for line in failed)


def test_a_missing_endpoint_fails(stack: EmbeddedStack) -> None:
    stack.backend.client("sagemaker").delete_endpoint(EndpointName=ENDPOINT)

    failed = results(doctor(stack), "FAIL")

    assert any(line.startswith("Endpoint: churn-prod (churn-xgboost) | exists") for line in failed)


def test_a_disabled_rule_fails_with_the_command_that_enables_it(stack: EmbeddedStack) -> None:
    events = stack.backend.client("events")
    name = next(r["Name"] for r in events.list_rules()["Rules"] if "VersionRegistered" in r["Name"])
    events.disable_rule(Name=name)

    report = doctor(stack)

    (check,) = [c for c in report.checks if c.result == "FAIL"]
    assert check.detail == f"{name} is DISABLED"
    assert check.fix == f"aws events enable-rule --name {name}"


def test_a_dead_letter_queue_with_messages_fails_with_the_count_and_how_to_redrive(
    stack: EmbeddedStack,
) -> None:
    sqs = stack.backend.client("sqs")
    url = next(u for u in sqs.list_queues()["QueueUrls"] if "TargetDeadLetters" in u)
    for _ in range(3):
        sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps({"detail-type": "SageMaker Model Package State Change"})
        )

    report = doctor(stack)

    (check,) = [c for c in report.checks if c.result == "FAIL"]
    assert check.detail == f"3 message(s) waiting in {url}"
    assert f"aws sqs receive-message --queue-url {url}" in check.fix
    assert "aws stepfunctions start-execution" in check.fix


def test_an_alarm_in_alarm_fails_with_its_reason(stack: EmbeddedStack) -> None:
    cloudwatch = stack.backend.client("cloudwatch")
    name = next(
        a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"] if "PlanErrors" in a["AlarmName"]
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="1 error in 5 minutes")

    failed = results(doctor(stack), "FAIL")

    assert failed == [f"Alarms | {name} | in ALARM: 1 error in 5 minutes"]


def test_before_deploy_the_stack_checks_are_skipped_with_a_warning(app: SynthesizedApp) -> None:
    with EmbeddedStack(app) as local:
        report = doctor(local)

    assert any("Stack | RegistryAutopilot | not deployed" in line for line in results(report, "WARN"))
    assert not any(c.area in ("Dead-letter queues", "Alarms") for c in report.checks)


def test_without_credentials_doctor_says_so_in_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    code = main(["doctor", "--region", "eu-west-1"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: doctor cannot run: no AWS credentials found: run `aws configure`")


def test_an_unknown_profile_is_named_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    code = main(["doctor", "--profile", "nope", "--region", "eu-west-1"])

    assert code == 2
    assert "AWS profile 'nope' (from --profile) is not in your AWS config" in capsys.readouterr().err


class _Denying:
    """A client whose `operation` is refused, as for a caller without that permission."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client, self._operation = client, operation

    def __getattr__(self, name: str) -> Any:
        if name == self._operation:

            def refuse(**_: Any) -> Any:
                from botocore.exceptions import ClientError

                error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
                raise ClientError(error, name)

            return refuse
        return getattr(self._client, name)


def test_a_read_the_caller_may_not_make_is_a_warning_not_a_traceback(stack: EmbeddedStack) -> None:
    def client(service: str) -> Any:
        real = stack.backend.client(service)
        return _Denying(real, "describe_rule") if service == "events" else real

    report = run_doctor(stack.app.config, client, stack.backend.region)

    assert results(report, "FAIL") == []
    assert any(
        "Stack | read | cannot read (AccessDeniedException)" in line for line in results(report, "WARN")
    )


def test_a_caller_without_the_simulator_gets_a_warning_naming_it(stack: EmbeddedStack) -> None:
    def client(service: str) -> Any:
        real = stack.backend.client(service)
        return _Denying(real, "simulate_principal_policy") if service == "iam" else real

    report = run_doctor(stack.app.config, client, stack.backend.region)

    warned = results(report, "WARN")
    assert any("cannot simulate (AccessDeniedException)" in line for line in warned)
    assert report.exit_code == 0


def test_a_deny_in_the_bucket_policy_fails_a_write_the_role_policy_allows(stack: EmbeddedStack) -> None:
    """IAM User Guide, "Policy evaluation for requests within a single account": "An explicit deny in
    any of the policies overrides the allow." """
    allow = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/compiled/*"}
    stack.backend.client("iam").put_role_policy(
        RoleName=COMPILE_ROLE,
        PolicyName="write",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    s3 = stack.backend.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("compiledartifactsbucket")
    )
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": stack.app.config.compile_role_arn},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/compiled/*",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))

    failed = results(doctor(stack), "FAIL")

    assert any(
        "writes the compiled prefix" in line and "s3:PutObject explicitDeny" in line for line in failed
    )


def test_a_version_whose_endpoint_model_serves_two_containers_fails_eligibility(stack: EmbeddedStack) -> None:
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    stack.backend.client("sagemaker").create_model(
        ModelName="pipeline",
        ExecutionRoleArn=stack.app.config.compile_role_arn,
        Containers=[{"Image": image, "ModelDataUrl": "s3://models/a.tar.gz"}, {"Image": image}],
    )
    replace_endpoint(stack, [variant(ModelName="pipeline")])

    failed = results(doctor(stack), "FAIL")

    assert any("serves 2 containers (multi-container endpoint)" in line for line in failed)


def test_doctor_and_status_have_help(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("doctor", "status"):
        with pytest.raises(SystemExit) as exited:
            main([verb, "--help"])
        assert exited.value.code == 0
        assert "--profile" in capsys.readouterr().out


def test_without_configured_roles_the_stack_owned_ones_are_found_through_its_outputs(
    stack: EmbeddedStack,
) -> None:
    config = stack.app.config.model_copy(update={"compile_role_arn": None, "experiment_role_arn": None})
    record = stack.backend.deployments._find(config.stack_name)
    record.outputs["CompileRoleArn"] = stack.app.config.compile_role_arn
    record.outputs["ExperimentRoleArn"] = str(stack.app.config.experiment_role_arn)

    report = run_doctor(config, stack.backend.client, stack.backend.region)

    passed = results(report, "PASS")
    assert f"Role: compile | exists | {stack.app.config.compile_role_arn}" in passed
    assert f"Role: experiment | exists | {stack.app.config.experiment_role_arn}" in passed
    assert results(report, "FAIL") == []


def test_with_the_roles_the_stack_owns_doctor_finds_them_through_the_deployed_outputs_and_nothing_fails(
    owned_roles_app: SynthesizedApp,
) -> None:
    with EmbeddedStack(owned_roles_app) as local:
        deploy_locally(local)
        local.backend.seed_model_package("churn-xgboost")
        local.backend.seed_model_package("fraud-pytorch")
        local.seed_shadow_endpoint("churn-xgboost")

        report = doctor(local)

    assert owned_roles_app.config.compile_role_arn is None
    passed = results(report, "PASS")
    assert f"Role: compile | exists | {owned_roles_app.compile_role_arn}" in passed
    assert f"Role: experiment | exists | {owned_roles_app.experiment_role_arn}" in passed
    assert results(report, "FAIL") == []


def test_a_group_prefix_grant_is_explained_and_the_groups_it_reaches_unlisted_are_named(
    stack: EmbeddedStack,
) -> None:
    """groupNamePrefix widens the rules and the grants to every `<prefix>*` group (docs/CONFIGURATION.md,
    "Many groups"); doctor says so, and names the account's groups the prefix reaches unconfigured."""
    from registry_autopilot.models.config import AutopilotConfig

    raw = stack.app.config.model_dump(by_alias=True, exclude_none=True)
    raw["groups"] = {"churn-xgboost": raw["groups"]["churn-xgboost"]}
    config = AutopilotConfig.model_validate(
        raw | {"groupNamePrefix": "churn-", "endpointNamePrefix": "churn-"}
    )
    stack.backend.seed_model_package("churn-newcomer")

    report = run_doctor(config, stack.backend.client, stack.backend.region)

    passed, warned = results(report, "PASS"), results(report, "WARN")
    assert any(
        line.startswith("Watching | groups by name prefix | ")
        and "model-package/churn-*" in line
        and "act only on the 1 configured group(s)" in line
        for line in passed
    )
    assert any(line.startswith("Watching | endpoints by name prefix | ") for line in passed)
    (unlisted,) = [line for line in warned if line.startswith("Watching | groups the prefix reaches")]
    assert "churn-newcomer" in unlisted
    assert "fraud-pytorch" not in unlisted
    assert "churn-xgboost" not in unlisted


def test_with_group_defaults_the_unlisted_groups_the_prefix_reaches_are_named_as_watched_not_warned(
    stack: EmbeddedStack,
) -> None:
    """With groupDefaults, a `<prefix>*` group that `groups` does not list is handled with the defaults
    (docs/CONFIGURATION.md, "Many groups"): doctor names it as watched, with no warning."""
    from registry_autopilot.models.config import AutopilotConfig

    raw = stack.app.config.model_dump(by_alias=True, exclude_none=True)
    churn = raw["groups"]["churn-xgboost"]
    raw["groups"] = {"churn-xgboost": churn}
    defaults = {"neoTargets": churn["neoTargets"], "approval": {"mode": "manual"}}
    config = AutopilotConfig.model_validate(raw | {"groupNamePrefix": "churn-", "groupDefaults": defaults})
    stack.backend.seed_model_package("churn-newcomer")

    report = run_doctor(config, stack.backend.client, stack.backend.region)

    passed, warned = results(report, "PASS"), results(report, "WARN")
    assert any("any other with groupDefaults" in line for line in passed)
    (watched,) = [line for line in passed if line.startswith("Watching | groups the prefix reaches with")]
    assert "churn-newcomer" in watched
    assert not [line for line in warned if line.startswith("Watching")]


def test_without_a_prefix_doctor_has_nothing_to_explain_about_watching(stack: EmbeddedStack) -> None:
    assert not [c for c in doctor(stack).checks if c.area == "Watching"]


# IAM API Reference, SimulatePrincipalPolicy: "To get the list of context keys that the policies require
# for correct simulation, use GetContextKeysForPrincipalPolicy." EvaluationResult.MissingContextValues:
# "A list of context keys that are required by the included input policies but that were not provided by
# one of the input parameters." Without them a conditioned grant cannot match: that is not a refusal.
@pytest.fixture
def owned_stack(owned_roles_app: SynthesizedApp) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(owned_roles_app) as local:
        deploy_locally(local)
        local.backend.seed_model_package("churn-xgboost")
        local.backend.seed_model_package("fraud-pytorch")
        local.seed_shadow_endpoint("churn-xgboost")
        yield local


def test_the_local_account_gives_the_stack_owned_roles_exactly_the_templates_policies(
    owned_stack: EmbeddedStack,
) -> None:
    iam = owned_stack.backend.client("iam")
    resources = owned_stack.app.template["Resources"]

    for arn in (owned_stack.app.compile_role_arn, owned_stack.app.experiment_role_arn):
        name = str(arn).rsplit("/", 1)[-1]
        template = resources[name]["Properties"]
        held = iam.list_role_policies(RoleName=name)["PolicyNames"]
        policy = iam.get_role_policy(RoleName=name, PolicyName="Permissions")["PolicyDocument"]
        statements = policy["Statement"]

        assert held == [p["PolicyName"] for p in template["Policies"]]
        assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
        assert [s["Sid"] for s in statements] == [
            s["Sid"] for s in template["Policies"][0]["PolicyDocument"]["Statement"]
        ]


def test_the_default_compile_roles_read_conditioned_on_the_resource_account_passes_with_the_request_context(
    owned_stack: EmbeddedStack,
) -> None:
    report = doctor(owned_stack)

    assert owned_stack.app.config.model_artifact_locations in (None, [])
    assert any("compile role reads the latest model artifact" in line for line in results(report, "PASS"))
    assert results(report, "FAIL") == []


def test_a_condition_key_doctor_cannot_know_is_a_warning_naming_it_never_a_failure(
    owned_stack: EmbeddedStack,
) -> None:
    # The artifact's bucket is not verifiably the account's: s3:ResourceAccount is left out.
    s3 = owned_stack.backend.client("s3")
    bucket = f"autopilot-local-{owned_stack.backend.account_id}"
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)

    report = doctor(owned_stack)

    warned = [line for line in results(report, "WARN") if "reads the latest model artifact" in line]
    assert warned
    assert all("s3:ResourceAccount" in line for line in warned)
    assert not any("reads the latest model artifact" in line for line in results(report, "FAIL"))


# KMS API Reference, DescribeKey: KeyMetadata.KeyState "The current status of the KMS key"; a version
# under a customer-managed key needs kms:Decrypt on it (DescribeModelPackage, IncludedData AllData).
def test_a_configured_model_key_is_checked_enabled_and_decryptable_by_the_compile_role(
    stack: EmbeddedStack,
) -> None:
    kms = stack.backend.client("kms")
    enabled = kms.create_key()["KeyMetadata"]["Arn"]
    created = kms.create_key()["KeyMetadata"]
    disabled = created["Arn"]
    kms.disable_key(KeyId=created["KeyId"])
    config = stack.app.config.model_copy(update={"model_kms_key_arns": [enabled, disabled]})

    report = run_doctor(config, stack.backend.client, stack.backend.region)

    assert f"KMS keys | {enabled} | KeyState Enabled" in results(report, "PASS")
    assert f"KMS keys | {disabled} | KeyState Disabled" in results(report, "FAIL")
    # The brought compile role in this account has no kms:Decrypt: named, with the key.
    assert any(
        line.startswith("KMS keys | compile role decrypts with it") for line in results(report, "FAIL")
    )
