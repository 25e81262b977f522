"""The approval decision's data: check results, report reads, and what the attach-and-decide step did.

Statuses are SageMaker's `ModelApprovalStatus` values (SageMaker API Reference, UpdateModelPackage:
Approved | Rejected | PendingManualApproval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]
PENDING: ApprovalStatus = "PendingManualApproval"
# PASS / FAIL: the check ran; UNUSABLE: the evaluation data could not be used (missing object,
# access denied, not JSON, metric absent, NaN or infinite, not a number).
CheckStatus = Literal["PASS", "FAIL", "UNUSABLE"]
# decided: the policy's status was written; human-changed: a person changed the approval status
# while the workflow ran (recorded, nothing decided); skipped: no decision due (see `reason`).
ApprovalAction = Literal["decided", "human-changed", "skipped"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckResult(_Data):
    name: str  # what was checked, e.g. "binary_classification_metrics.auc.value >= 0.8"
    status: CheckStatus
    detail: str  # the value against the threshold, or why the data is unusable
    # The evidence in structured form, for the version's model card (None: not applicable or unread).
    value: float | None = None
    threshold: float | None = None
    operator: str | None = None
    report_uri: str | None = None  # the ModelMetrics S3 URI the value was read from
    baseline: str | None = None  # compareToApproved: the approved version compared with
    baseline_value: float | None = None


class ApprovalOutcome(_Data):
    """The decision part of the attach-and-decide step's result."""

    action: ApprovalAction
    reason: str
    mode: str
    policy_digest: str
    status: ApprovalStatus | None = None  # the status written (decided) or found (human-changed)
    checks: list[CheckResult] = Field(default_factory=list)
    notified: bool = False


@dataclass(frozen=True)
class ReportRead:
    """One evaluation report read from S3: the parsed JSON, or why it could not be used."""

    uri: str
    document: Any = None
    error: str | None = None


@dataclass(frozen=True)
class ApprovedBaseline:
    """The group's latest Approved version (for `compareToApproved`) and its report, if any."""

    arn: str
    version: int | None
    report: ReportRead | None  # None: that version names no such ModelMetrics report
