"""Logged versions: skipped by default with the reason, registered first when a group opts in.

Sources: SageMaker API Reference, UpdateModelPackage ("ModelPackageRegistrationType - The package
registration type of the model package input.", Valid Values: Logged | Registered) and
DescribeModelPackage (the same member in the output). The documentation does not say whether the change
may go both ways; docs/FIDELITY.md records our reading: Logged -> Registered only, which the local
backend enforces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.settings import reset_settings
from tests.compile_fixtures import config_dict, event_for, write_config
from tests.integration.functions.test_approval_handlers import describe, updates


def register_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["registerLogged"] = True
    (tmp_path / "logged").mkdir(exist_ok=True)
    path = write_config(tmp_path / "logged", AutopilotConfig.model_validate(raw))
    monkeypatch.setenv("AUTOPILOT_CONFIG_FILE", str(path))
    reset_settings()


def seed_logged(backend: LocalBackend) -> str:
    return backend.seed_model_package(
        "churn-xgboost", framework="XGBOOST", framework_version="1.7", registration_type="Logged"
    )


def test_by_default_a_logged_version_is_skipped_with_the_reason_and_no_write(
    backend: LocalBackend, plan_handler: Any
) -> None:
    arn = seed_logged(backend)
    backend.clear_records()

    plan = plan_handler(event_for(arn))

    assert plan["has_work"] is False
    assert "Logged" in plan["reason"]
    assert "registerLogged" in plan["reason"]
    assert backend.writes == []


def test_with_register_logged_the_version_is_registered_then_planned_like_any_registration(
    backend: LocalBackend, plan_handler: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_logged(tmp_path, monkeypatch)
    arn = seed_logged(backend)
    backend.clear_records()

    plan = plan_handler(event_for(arn))

    assert updates(backend) == [{"ModelPackageArn": arn, "ModelPackageRegistrationType": "Registered"}]
    assert describe(backend, arn)["ModelPackageRegistrationType"] == "Registered"
    assert plan["has_work"] is True
    assert plan["targets"]


def test_a_registered_version_is_not_written_again_when_the_event_comes_twice(
    backend: LocalBackend, plan_handler: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_logged(tmp_path, monkeypatch)
    arn = seed_logged(backend)
    plan_handler(event_for(arn))
    backend.clear_records()

    plan_handler(event_for(arn))

    assert updates(backend) == []


def test_with_register_logged_an_inference_pipeline_is_checked_first_and_stays_logged_without_a_write(
    backend: LocalBackend, plan_handler: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neo compiles one model (CreateCompilationJob InputConfig.S3Uri: "a single gzip compressed tar
    archive"): a Logged pipeline would be converted to Registered and then skipped; it is not converted."""
    register_logged(tmp_path, monkeypatch)
    arn = seed_logged(backend)
    sagemaker = backend.client("sagemaker")
    with backend.unrecorded():
        spec = sagemaker.describe_model_package(ModelPackageName=arn)["InferenceSpecification"]
        first = spec["Containers"][0]
        spec["Containers"] = [{"Image": first["Image"], "ModelDataUrl": first["ModelDataUrl"]}, first]
        sagemaker.update_model_package(ModelPackageArn=arn, InferenceSpecification=spec)
    backend.clear_records()

    plan = plan_handler(event_for(arn))

    assert updates(backend) == []
    assert describe(backend, arn)["ModelPackageRegistrationType"] == "Logged"
    assert plan["has_work"] is False
    assert "inference pipeline of 2 containers" in plan["reason"]
