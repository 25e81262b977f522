"""Shared set-up for the compile workflow's tests: configuration, environment, sample events."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from registry_autopilot.models.config import AutopilotConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS = REPO_ROOT / "events"
ACCOUNT = "123456789012"
REGION = "us-east-1"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:registry-autopilot-notifications"
ARTIFACTS_BUCKET = "registryautopilot-compiled-artifacts"
# The shadow-test role the stack owns, as CloudFormation hands its ARN to the shadow functions.
EXPERIMENT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/RegistryAutopilotShadowTests"

# The tests cover both kinds of Neo target, whatever a user puts in cdk.json: the "graviton" target
# is a TargetPlatform here, which no SageMaker endpoint serves: its artifact is recorded on the version,
# not attached (logic/targets.py).
GRAVITON_TARGET = {
    "name": "graviton",
    "targetPlatform": {"os": "LINUX", "arch": "ARM64"},
}


def config_dict() -> dict[str, Any]:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["autopilot"]
    raw = copy.deepcopy(context)
    raw["groups"]["churn-xgboost"]["neoTargets"] = [
        {"name": "ml-c5", "targetDevice": "ml_c5"},
        {"name": "ml-m5", "targetDevice": "ml_m5"},
        GRAVITON_TARGET,
    ]
    return dict(raw)


def make_config() -> AutopilotConfig:
    return AutopilotConfig.model_validate(config_dict())


def write_config(directory: Path, config: AutopilotConfig | None = None) -> Path:
    path = directory / "autopilot_config.json"
    path.write_text((config or make_config()).model_dump_json(by_alias=True))
    return path


def function_environment(config_file: Path) -> dict[str, str]:
    return {
        "AUTOPILOT_CONFIG_FILE": str(config_file),
        "NOTIFICATION_TOPIC_ARN": TOPIC_ARN,
        "ARTIFACTS_BUCKET": ARTIFACTS_BUCKET,
        "EXPERIMENT_ROLE_ARN": EXPERIMENT_ROLE_ARN,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "RegistryAutopilot",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def event_for(arn: str, name: str = "version-registered.json") -> dict[str, Any]:
    """A sample event re-pointed at a version the local backend created."""
    event = load_event(name)
    group, version = arn.rsplit("/", 2)[-2:]
    event["resources"] = [arn]
    event["detail"].update(ModelPackageArn=arn, ModelPackageGroupName=group, ModelPackageVersion=int(version))
    return event


def describe_output(group: str = "churn-xgboost", version: int = 3, **overrides: Any) -> dict[str, Any]:
    """A DescribeModelPackage response for a freshly registered version (what AWS returns)."""
    response: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/{version}",
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
        "ApprovalDescription": "registered by the training pipeline",
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"s3://churn-models-{ACCOUNT}/{group}/{version}/model.tar.gz",
                    "Framework": "XGBOOST",
                    "FrameworkVersion": "1.7",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CustomerMetadataProperties": {"team": "retention"},
    }
    response.update(overrides)
    return response
