"""The approval policy's "required Neo targets" check counts a compiled artifact recorded on the version
as delivered: a successful compile for a target no SageMaker endpoint serves (an edge device, a
platform) is never what rejects a version (logic/targets.py says why such an artifact is recorded, not
attached: UpdateModelPackage's additional specifications hold "artifacts based on this model package
that can be used on inference endpoints")."""

from __future__ import annotations

from typing import Any

from registry_autopilot.logic import approval, naming
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from tests.compile_fixtures import describe_output

GROUP = GroupConfig.model_validate(
    {
        "neoTargets": [
            {"name": "ml-c5", "targetDevice": "ml_c5"},
            {"name": "jetson", "targetDevice": "jetson_nano"},
        ],
        "approval": {"mode": "auto", "requiredTargets": "all"},
    }
)
ARTIFACT = "COMPILED: s3://bucket/compiled/churn-xgboost/3/jetson/model-jetson_nano.tar.gz job j"


def package(**overrides: Any) -> ModelPackage:
    return ModelPackage.from_describe(describe_output(**overrides))


def test_given_an_edge_artifact_recorded_in_this_write_then_the_required_targets_pass() -> None:
    check = approval.targets_check(package(), GROUP, {"neo-ml-c5"}, compiled=["jetson"])

    assert check.status == "PASS"
    assert check.detail == "attached: ml-c5; compiled artifact recorded: jetson"


def test_given_an_edge_artifact_recorded_earlier_then_the_required_targets_pass() -> None:
    recorded = package(CustomerMetadataProperties={naming.metadata_key("jetson"): ARTIFACT})

    assert approval.targets_check(recorded, GROUP, {"neo-ml-c5"}).status == "PASS"


def test_given_a_failed_edge_compile_then_the_required_targets_fail_naming_it() -> None:
    failed = package(CustomerMetadataProperties={naming.metadata_key("jetson"): "FAILED: unsupported op"})

    check = approval.targets_check(failed, GROUP, {"neo-ml-c5"})

    assert check.status == "FAIL"
    assert "jetson (FAILED: unsupported op)" in check.detail
