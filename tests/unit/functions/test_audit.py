"""The audit trail (pure): superseded records removed in the same write, a bounded history, the limits.

AWS limits (SageMaker API Reference, UpdateModelPackage,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html):
CustomerMetadataProperties "Map Entries: Minimum number of 1 item. Maximum number of 50 items.", key
"Maximum length of 128", value "Maximum length of 256", pattern `([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)`;
"CustomerMetadataPropertiesToRemove - The metadata properties associated with the model package versions
to remove."
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from registry_autopilot.logic import approval, audit, naming
from registry_autopilot.logic.attach import update_request
from registry_autopilot.models.approval import CheckResult
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from tests.compile_fixtures import describe_output

NOW = datetime(2025, 11, 24, 12, 30, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:later"
METADATA_VALUE = re.compile(r"^[\w\s.:/=+\-@]{1,256}$")
GROUP = GroupConfig.model_validate(
    {"neoTargets": [{"name": "ml-c5", "targetDevice": "ml_c5"}], "approval": {"mode": "auto"}}
)
PASSING = [CheckResult(name="required Neo targets attached (ml-c5)", status="PASS", detail="attached")]
DECIDED_BEFORE = {
    approval.DECIDED_BY_KEY: "a person outside Registry Autopilot",
    approval.DECISION_KEY: "Rejected",
    approval.POLICY_KEY: "53319e2ad3f7",
    approval.DECIDED_AT_KEY: "2025-11-20T09:00:00Z",
    approval.EXECUTION_KEY: "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:first",
    approval.NOTE_KEY: "ModelApprovalStatus changed from PendingManualApproval to Rejected",
}


def package(metadata: dict[str, str], status: str = "PendingManualApproval") -> ModelPackage:
    extra: dict[str, Any] = {"CustomerMetadataProperties": metadata, "ModelApprovalStatus": status}
    return ModelPackage.from_describe(describe_output(**extra))


def test_the_history_is_newest_first_and_never_passes_256_characters() -> None:
    history: str | None = None
    for day in range(40):
        stamp = (NOW + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        history = audit.add_history(history, f"{stamp} decided again: Approved; (old) Rejected re-opened")

    assert history is not None
    assert METADATA_VALUE.match(history)
    assert history.startswith((NOW + timedelta(days=39)).strftime("%Y-%m-%d"))
    assert len(history) <= 256


def test_an_answered_retry_removes_its_record_and_leaves_a_history_line() -> None:
    key = naming.metadata_key("ml-c5")
    version = package({key: "RETRY"})
    notes = {key: naming.metadata_value("ATTACHED", "retried as neo-ml-c5 (job autopilot-x)")}

    trail = audit.supersede(version, notes, None, NOW)

    assert trail.remove == (key,)
    assert key not in trail.notes
    assert "neo ml-c5 RETRY done: retried as neo-ml-c5" in trail.history[audit.HISTORY_KEY]


def test_a_failed_record_that_is_not_an_answered_retry_stays() -> None:
    key = naming.metadata_key("ml-c5")
    notes = {key: "FAILED: ClientError (job autopilot-x)"}

    trail = audit.supersede(package({}), notes, None, NOW)

    assert trail == audit.Superseded(notes=notes)


def test_a_decision_a_person_reopened_is_decided_again_and_its_stale_note_removed() -> None:
    version = package(DECIDED_BEFORE)
    assert approval.reopened(version)
    assert approval.needs_decision(version)
    assert approval.gate(version, "PendingManualApproval", EXECUTION).decide
    decided = approval.decision(GROUP, PASSING, now=NOW, execution_id=EXECUTION)

    trail = audit.supersede(version, {}, decided, NOW)

    assert trail.remove == (approval.NOTE_KEY,)
    history = trail.history[audit.HISTORY_KEY]
    assert "decided again: Approved" in history
    assert "2025-11-20T09:00:00Z Rejected by a person outside Registry Autopilot re-opened" in history


def test_a_version_still_carrying_its_decision_is_not_reopened() -> None:
    assert not approval.reopened(package(DECIDED_BEFORE, status="Rejected"))
    pending = {**DECIDED_BEFORE, approval.DECISION_KEY: "PendingManualApproval"}
    assert not approval.reopened(package(pending))


def test_at_the_50_key_limit_a_reopened_decision_still_fits_with_its_history() -> None:
    person = {f"team:key{index}": "value" for index in range(50 - len(DECIDED_BEFORE))}
    version = package({**person, **DECIDED_BEFORE})
    assert len(version.CustomerMetadataProperties) == 50
    decided = approval.decision(GROUP, PASSING, now=NOW, execution_id=EXECUTION)
    trail = audit.supersede(version, {}, decided, NOW)

    request = update_request(
        version,
        [],
        {**trail.notes, **trail.history},
        fields=decided.fields,
        first_metadata=decided.metadata,
        remove=trail.remove,
    )

    assert request is not None
    written = request["CustomerMetadataProperties"]
    removed = request["CustomerMetadataPropertiesToRemove"]
    after = {**version.CustomerMetadataProperties, **written}
    for key in removed:
        after.pop(key)
    assert len(after) <= 50
    assert audit.HISTORY_KEY in after  # the removed note made room for it
    assert all(key in after for key in person)  # a person's keys are never removed
    assert all(METADATA_VALUE.match(value) and len(key) <= 128 for key, value in written.items())
