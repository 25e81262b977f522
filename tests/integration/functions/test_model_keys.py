"""Versions encrypted with a customer-managed KMS key.

SageMaker API Reference, DescribeModelPackage, IncludedData: "AllData: Returns the full model package
response, including the unredacted ModelCard.ModelCardContent. This option requires kms:Decrypt
permission on the customer-managed key, if one is associated with the embedded model card. This is the
default." and "MetadataOnly: ... This option does not require kms:Decrypt permission."
ModelPackageSecurityConfig.KmsKeyId: "The AWS KMS Key ID (KMSKeyId) used for encryption of model package
information." The local backend holds a function's calls to its role (here a role that may do all it
needs but kms:Decrypt, unless granted), and refuses AllData without kms:Decrypt on the version's key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.iam import RolePolicy
from registry_autopilot.logic.plan import KEY_RECORD
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.settings import reset_settings
from tests.compile_fixtures import config_dict, event_for, write_config
from tests.integration.functions.test_approval_handlers import describe, published

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FUNCTION_ROLE = (("sagemaker:*", ("*",)), ("sns:publish", ("*",)), ("s3:*", ("*",)))


def encrypted_version(backend: LocalBackend) -> str:
    arn = backend.seed_model_package("churn-xgboost", framework="XGBOOST", framework_version="1.7")
    backend.model_packages._extras[arn]["SecurityConfig"] = {"KmsKeyId": KEY}  # CreateModelPackage's member
    return arn


def configure_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: list[str]) -> None:
    raw = config_dict()
    raw["modelKmsKeyArns"] = keys
    path = write_config(tmp_path, AutopilotConfig.model_validate(raw))
    monkeypatch.setenv("AUTOPILOT_CONFIG_FILE", str(path))
    reset_settings()


def test_the_backend_refuses_all_data_without_kms_decrypt_and_answers_metadata_only(
    backend: LocalBackend,
) -> None:
    arn = encrypted_version(backend)
    sagemaker = backend.client("sagemaker")
    backend.principal = RolePolicy(role="Plan", grants=FUNCTION_ROLE)
    try:
        with pytest.raises(Exception, match="kms:Decrypt"):
            sagemaker.describe_model_package(ModelPackageName=arn)
        metadata = sagemaker.describe_model_package(ModelPackageName=arn, IncludedData="MetadataOnly")
    finally:
        backend.principal = None

    assert metadata["SecurityConfig"]["KmsKeyId"] == KEY


def test_a_version_under_a_key_not_configured_is_recorded_and_notified_and_the_plan_does_not_fail(
    backend: LocalBackend, plan_handler: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_keys(tmp_path, monkeypatch, [])
    arn = encrypted_version(backend)
    backend.clear_records()
    backend.principal = RolePolicy(role="Plan", grants=FUNCTION_ROLE)
    try:
        plan = plan_handler(event_for(arn))
    finally:
        backend.principal = None

    assert plan["has_work"] is False
    assert KEY in plan["reason"]
    assert "modelKmsKeyArns" in plan["reason"]
    assert describe(backend, arn)["CustomerMetadataProperties"][KEY_RECORD].startswith("SKIPPED")
    assert any("not handled" in message.get("Subject", "") for message in published(backend))


def test_a_version_under_a_configured_key_granted_to_the_function_is_planned(
    backend: LocalBackend, plan_handler: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_keys(tmp_path, monkeypatch, [KEY])
    arn = encrypted_version(backend)
    backend.principal = RolePolicy(role="Plan", grants=(*FUNCTION_ROLE, ("kms:decrypt", (KEY,))))
    try:
        plan = plan_handler(event_for(arn))
    finally:
        backend.principal = None

    assert plan["has_work"] is True
    assert plan["targets"]
