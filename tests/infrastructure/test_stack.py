"""The synthesized template: rules, targets, dead-letter queues, encryption, logs and functions.

AWS facts used here: the state-change event shape is in the SageMaker Developer Guide, "Automating
SageMaker with Amazon EventBridge" (model package state change); CloudWatch Logs retention values
are in the PutRetentionPolicy API reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow

WATCHED = ["churn-xgboost", "fraud-pytorch"]


def resources(synthesized: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in synthesized.template["Resources"].items()
        if resource["Type"] == kind
    }


def rule_with_description(synthesized: Synthesized, words: str) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in resources(synthesized, "AWS::Events::Rule").values()
        if words in r["Properties"].get("Description", "")
    ]
    return rule


def test_the_registered_rule_matches_completed_pending_versions_of_the_watched_groups_only(
    synthesized: Synthesized,
) -> None:
    rule = rule_with_description(synthesized, "registered")

    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": WATCHED,
            "ModelPackageStatus": ["Completed"],
            "ModelApprovalStatus": ["PendingManualApproval"],
        },
    }


def test_the_approved_rule_watches_only_completed_versions_of_groups_that_configure_shadow_tests(
    synthesized: Synthesized,
) -> None:
    """SageMaker API Reference, ModelPackage.ModelPackageStatus
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackage.html): "COMPLETED - The
    model package was successfully created." ... "DELETING - The model package is in the process of
    being deleted." An approved version that is being deleted (or failed) must not start a shadow test.
    """
    rule = rule_with_description(synthesized, "approved")

    assert rule["EventPattern"]["detail"] == {
        "ModelPackageGroupName": ["churn-xgboost"],
        "ModelPackageStatus": ["Completed"],
        "ModelApprovalStatus": ["Approved"],
    }


def test_the_registered_rule_starts_the_compile_state_machine(synthesized: Synthesized) -> None:
    (target,) = rule_with_description(synthesized, "registered")["Targets"]
    machines = resources(synthesized, "AWS::StepFunctions::StateMachine")

    assert target["Arn"]["Ref"] in machines


def is_watcher(logical_id: str) -> bool:
    return logical_id.startswith("CompileWorkflowWatcher")


def test_every_rule_target_has_a_dead_letter_queue_and_bounded_retries(synthesized: Synthesized) -> None:
    """Except the compile watcher's minute schedule: a round not delivered is done by the next one a
    minute later, so it is neither retried nor kept (tests/infrastructure/test_compile_watcher.py)."""
    queues = resources(synthesized, "AWS::SQS::Queue")
    targets = [
        target
        for logical_id, rule in resources(synthesized, "AWS::Events::Rule").items()
        if not is_watcher(logical_id)
        for target in rule["Properties"].get("Targets", [])
    ]

    assert targets
    for target in targets:
        assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in queues
        assert target["RetryPolicy"]["MaximumRetryAttempts"] <= 3


def test_every_asynchronously_configured_function_has_a_dead_letter_queue(synthesized: Synthesized) -> None:
    functions = resources(synthesized, "AWS::Lambda::Function")
    for config in resources(synthesized, "AWS::Lambda::EventInvokeConfig").values():
        name = config["Properties"]["FunctionName"]["Ref"]
        if is_watcher(name):
            assert config["Properties"]["MaximumRetryAttempts"] == 0  # the next round retries
            continue
        assert "DeadLetterConfig" in functions[name]["Properties"]


def test_the_rule_target_role_may_only_start_the_compile_state_machine(synthesized: Synthesized) -> None:
    (target,) = rule_with_description(synthesized, "registered")["Targets"]
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    (policy,) = [
        p
        for p in resources(synthesized, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]

    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": target["Arn"]}
    ]


def test_queues_are_encrypted_with_the_stack_key_and_refuse_plain_http(synthesized: Synthesized) -> None:
    (key_id,) = resources(synthesized, "AWS::KMS::Key")
    queues = resources(synthesized, "AWS::SQS::Queue")
    ssl_only = {
        ref["Ref"]
        for policy in resources(synthesized, "AWS::SQS::QueuePolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and statement["Effect"] == "Deny"
        for ref in policy["Properties"]["Queues"]
    }

    assert queues
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert logical_id in ssl_only


def test_the_notification_topic_is_encrypted_and_refuses_plain_http(synthesized: Synthesized) -> None:
    (key_id,) = resources(synthesized, "AWS::KMS::Key")
    ((topic_id, topic),) = resources(synthesized, "AWS::SNS::Topic").items()
    statements = [
        s
        for p in resources(synthesized, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]

    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)


def test_the_key_rotates(synthesized: Synthesized) -> None:
    (key,) = resources(synthesized, "AWS::KMS::Key").values()

    assert key["Properties"]["EnableKeyRotation"] is True


def test_every_log_group_is_encrypted_and_keeps_logs_as_configured(synthesized: Synthesized) -> None:
    (key_id,) = resources(synthesized, "AWS::KMS::Key")
    log_groups = resources(synthesized, "AWS::Logs::LogGroup")

    assert log_groups
    for log_group in log_groups.values():
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert log_group["Properties"]["RetentionInDays"] == synthesized.config.log_retention_days


def test_functions_run_python_3_13_on_arm64_traced_with_the_dependency_layer(
    synthesized: Synthesized,
) -> None:
    functions = resources(synthesized, "AWS::Lambda::Function")
    (layer_id,) = resources(synthesized, "AWS::Lambda::LayerVersion")

    assert functions
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]
        # The compile watcher runs each minute, nearly always idle: tracing it would be most traces.
        if is_watcher(logical_id):
            assert "TracingConfig" not in properties  # not traced
        else:
            assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["Layers"] == [{"Ref": layer_id}]
        assert properties["Handler"].startswith("registry_autopilot.handlers.")
        assert "LoggingConfig" in properties


def test_functions_get_powertools_settings_the_topic_and_the_config_file(synthesized: Synthesized) -> None:
    (topic_id,) = resources(synthesized, "AWS::SNS::Topic")
    for function in resources(synthesized, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "registry-autopilot"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "RegistryAutopilot"
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert variables["NOTIFICATION_TOPIC_ARN"] == {"Ref": topic_id}
        assert variables["AUTOPILOT_CONFIG_FILE"] == "/var/task/autopilot_config.json"


def test_the_code_asset_is_the_package_plus_the_validated_configuration(synthesized: Synthesized) -> None:
    (asset,) = [p for p in synthesized.outdir.glob("asset.*") if (p / "autopilot_config.json").exists()]

    assert sorted(p.name for p in asset.iterdir()) == ["autopilot_config.json", "registry_autopilot"]
    shipped = json.loads((asset / "autopilot_config.json").read_text())
    assert shipped == json.loads(synthesized.config.model_dump_json(by_alias=True))
    assert not list(asset.rglob("__pycache__"))


def test_buckets_are_encrypted_private_and_ssl_only(synthesized: Synthesized) -> None:
    buckets = resources(synthesized, "AWS::S3::Bucket")
    ssl_only = {
        policy["Properties"]["Bucket"]["Ref"]
        for policy in resources(synthesized, "AWS::S3::BucketPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }

    assert len(buckets) == 2
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
        assert properties.get("LifecycleConfiguration")
        assert logical_id in ssl_only
        assert bucket["DeletionPolicy"] == "Retain"


def test_model_package_groups_are_not_created_unless_asked(synthesized: Synthesized) -> None:
    assert not resources(synthesized, "AWS::SageMaker::ModelPackageGroup")


def test_model_package_groups_are_created_and_retained_when_asked() -> None:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from autopilot.embedded.synth import shipped_config
    from infra.constructs.model_groups import ModelPackageGroups

    config = shipped_config({"autopilot.createModelPackageGroups": "true"})
    stack = Stack(App(), "Groups")
    ModelPackageGroups(stack, "Groups", config=config)

    groups = Template.from_stack(stack).find_resources("AWS::SageMaker::ModelPackageGroup")
    assert sorted(g["Properties"]["ModelPackageGroupName"] for g in groups.values()) == WATCHED
    assert {g["DeletionPolicy"] for g in groups.values()} == {"Retain"}


def test_synthesis_without_a_built_dependency_layer_says_to_run_make_bundle(tmp_path: Path) -> None:
    from aws_cdk import App

    from autopilot.embedded.synth import shipped_config
    from infra.constructs.lambda_function import DependencyLayerMissingError
    from infra.stack import RegistryAutopilotStack

    with pytest.raises(DependencyLayerMissingError, match="make bundle"):
        RegistryAutopilotStack(
            App(), "Stack", config=shipped_config(), lambda_dependencies_dir=str(tmp_path / "missing")
        )


def test_the_approved_rule_invokes_the_shadow_start_function(synthesized: Synthesized) -> None:
    (target,) = rule_with_description(synthesized, "approved")["Targets"]
    functions = resources(synthesized, "AWS::Lambda::Function")

    function = functions[target["Arn"]["Fn::GetAtt"][0]]
    assert function["Properties"]["Handler"] == "registry_autopilot.handlers.shadow_start.handler"


def test_the_roller_runs_on_the_configured_schedule(synthesized: Synthesized) -> None:
    (rule,) = [
        r["Properties"]
        for logical_id, r in resources(synthesized, "AWS::Events::Rule").items()
        if "ScheduleExpression" in r["Properties"] and not is_watcher(logical_id)
    ]
    functions = resources(synthesized, "AWS::Lambda::Function")

    assert rule["ScheduleExpression"] == f"rate({synthesized.config.roller_schedule_minutes} minutes)"
    (target,) = rule["Targets"]
    assert (
        functions[target["Arn"]["Fn::GetAtt"][0]]["Properties"]["Handler"]
        == "registry_autopilot.handlers.roller.handler"
    )


def test_shadow_functions_send_failed_async_invocations_to_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    functions = resources(synthesized, "AWS::Lambda::Function")
    configs = resources(synthesized, "AWS::Lambda::EventInvokeConfig")
    shadow = {
        logical_id
        for logical_id, f in functions.items()
        if f["Properties"]["Handler"].split(".")[-2] in {"shadow_start", "roller"}
    }

    assert len(shadow) == 2
    for logical_id in shadow:
        assert "DeadLetterConfig" in functions[logical_id]["Properties"]
        (config,) = [c for c in configs.values() if c["Properties"]["FunctionName"] == {"Ref": logical_id}]
        assert config["Properties"]["MaximumRetryAttempts"] == 2


def test_roller_partial_failures_alarm_to_the_notification_topic(synthesized: Synthesized) -> None:
    (alarm,) = [
        a["Properties"]
        for a in resources(synthesized, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "RollerExperimentFailures"
    ]
    topics = resources(synthesized, "AWS::SNS::Topic")

    assert alarm["Namespace"] == "RegistryAutopilot"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "registry-autopilot"}]
    assert [action["Ref"] for action in alarm["AlarmActions"]] == list(topics)
