"""modelKmsKeyArns: the functions that read versions get kms:Decrypt on exactly these keys, the ones that
write the card kms:GenerateDataKey too, the compile role kms:Decrypt; no key configured, no grant.

SageMaker API Reference, DescribeModelPackage, IncludedData: "AllData ... This option requires
kms:Decrypt permission on the customer-managed key, if one is associated with the embedded model card.
This is the default."
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.iam_oracle import check_template
from tests.infrastructure.synthesis import Synthesized, cdk_json_context, synthesize_app

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context()
    context["autopilot"] = {**context["autopilot"], "modelKmsKeyArns": [KEY]}
    context[DEPENDENCIES_DIR_CONTEXT_KEY] = str(staged_dependencies)
    return synthesize_app(tmp_path_factory.mktemp("cdk-keys"), context)


def key_grants(template: dict[str, Any]) -> dict[str, set[str]]:
    """Role logical id -> the kms actions granted on KEY (role policies and inline policies)."""
    found: dict[str, set[str]] = {}
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy":
            owners = [role["Ref"] for role in props.get("Roles", [])]
            documents = [props["PolicyDocument"]]
        elif resource["Type"] == "AWS::IAM::Role":
            owners = [logical_id]
            documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        else:
            continue
        for document in documents:
            for statement in document["Statement"]:
                resources = statement.get("Resource")
                if KEY in (resources if isinstance(resources, list) else [resources]):
                    actions = (
                        statement["Action"]
                        if isinstance(statement["Action"], list)
                        else [statement["Action"]]
                    )
                    for owner in owners:
                        found.setdefault(owner, set()).update(actions)
    return found


def test_the_configured_key_is_granted_to_each_reader_and_writer_of_versions(keyed: Synthesized) -> None:
    grants = key_grants(keyed.template)

    def role(fragment: str) -> set[str]:
        return next(actions for owner, actions in grants.items() if fragment in owner)

    assert role("Plan") == {"kms:Decrypt"}
    assert role("Attach") == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert role("ShadowStart") == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert role("Roller") == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert role("CompileRole") == {"kms:Decrypt"}
    assert keyed.synth_error is None


def test_the_key_grants_match_the_service_authorization_reference(keyed: Synthesized) -> None:
    from tests.infrastructure.test_oracles import WILDCARD_GRANTS

    assert [str(f) for f in check_template(keyed.template, acknowledged_wildcards=WILDCARD_GRANTS)] == []


def test_without_configured_keys_no_function_may_decrypt_a_model_key(synthesized: Synthesized) -> None:
    assert synthesized.config.model_kms_key_arns == []
    assert key_grants(synthesized.template) == {}
