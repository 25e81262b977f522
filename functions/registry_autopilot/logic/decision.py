"""The attach-and-decide step's whole decision (pure), computed in one place.

Attach reads its evidence (the version, the targets' outcomes, the evaluation reports, the group's
approved version) and calls `decide` once. The answer is everything the step then does: the one
UpdateModelPackage of the decision (specs to add, approval status and description, audit records,
superseded records to remove), the model card written after it in its own call (so a refused card never
takes the decision with it), the notifications and the result. The pieces come from
`logic.attach` (specs), `logic.approval` (the policy), `logic.audit` (the trail) and
`logic.model_card` (the card); only this module puts them together.

Two reads happen before the decision and one just before it (docs/AUDIT.md): the policy's reports are
read only when a decision is due on the version as first read (`evidence_to_read`), and the decision is
made on the version re-read just before writing, so a person's decision made meanwhile is never
overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry_autopilot.logic import approval, audit, model_card, naming
from registry_autopilot.logic.attach import (
    AttachPlan,
    CompiledJob,
    compiled_jobs,
    plan_attach,
    retry_command,
    update_request,
)
from registry_autopilot.models.approval import ApprovalOutcome, ApprovalStatus, ApprovedBaseline, ReportRead
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import AttachInput, AttachResult


# -- what to read --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceToRead:
    """The evaluation evidence the policy needs. Nothing is read when no decision is due."""

    due: bool
    report_uris: tuple[str, ...] = ()  # the version's ModelMetrics reports, in order, without repeats
    # compareToApproved: which ModelMetrics report of the group's latest Approved version to read.
    baseline_report: str | None = None


def evidence_to_read(package: ModelPackage, group: GroupConfig, request: AttachInput) -> EvidenceToRead:
    """What to read for the decision, from the version as first read."""
    gate = approval.gate(package, request.approval_status_at_start, request.execution_id)
    if not gate.decide:
        return EvidenceToRead(due=False)
    policy = group.approval
    compare = policy.compare_to_approved
    return EvidenceToRead(
        due=True,
        report_uris=tuple(approval.report_uris(package, policy)),
        baseline_report=compare.metric.report if compare is not None else None,
    )


@dataclass(frozen=True)
class AttachEvidence:
    """Everything the decision depends on, as Attach read it."""

    request: AttachInput  # the targets' outcomes, the status at the workflow's start, the execution
    group: GroupConfig
    package: ModelPackage  # the version as re-read just before writing
    # The reports `evidence_to_read` named, by URI; None: not read, no decision was due at the first read.
    reports: Mapping[str, ReportRead] | None
    baseline: ApprovedBaseline | None  # the group's latest Approved version, when compared with
    artifacts_bucket: str
    region: str
    now: datetime


# -- what is decided -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewNotice:
    """The "waiting for a person" notification: the checks and the exact approve/reject commands."""

    subject: str
    text: str


@dataclass(frozen=True)
class ProblemNotice:
    """The notification for targets that failed or were compiled but not attached."""

    subject: str
    message: dict[str, Any]


@dataclass(frozen=True)
class AttachDecision:
    """The whole decision: what the one UpdateModelPackage carries, who is told, what is reported."""

    specs: tuple[dict[str, Any], ...]  # AdditionalInferenceSpecificationsToAdd
    status: ApprovalStatus | None  # ModelApprovalStatus written (None: not the policy's to write)
    description: str | None  # ApprovalDescription written with it
    lifecycle: dict[str, str] | None  # ModelLifeCycle written with it
    audit: dict[str, str]  # who decided what, when, in which execution: kept first at the 50-key limit
    records: dict[str, str]  # per-target records and the history line (docs/AUDIT.md)
    remove: tuple[str, ...]  # superseded records (CustomerMetadataPropertiesToRemove)
    card: model_card.CardWrite | None  # our model card entries; None when nothing is written at all
    request: dict[str, Any] | None  # all of the above but the card as one request; None: nothing changes
    # The card's own UpdateModelPackage, after `request`: in one call, or content then status in two
    # (for an account that refuses both in one call); empty when no card is written.
    card_requests: tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]
    outcome: ApprovalOutcome
    result: AttachResult
    review: ReviewNotice | None
    problem: ProblemNotice | None


def _policy_decision(
    evidence: AttachEvidence, attach_plan: AttachPlan, gate: approval.Gate
) -> approval.Decision | None:
    """The policy's part, from the version as re-read just before writing."""
    package, group, request = evidence.package, evidence.group, evidence.request
    if gate.human_changed:
        return approval.human_change(
            package, group, gate.reason, now=evidence.now, execution_id=request.execution_id
        )
    if not gate.decide or evidence.reports is None:
        return None  # not due (or the reports were not read because it was not due a moment ago)
    attached = package.attached_spec_names | set(attach_plan.result.attached)
    checks = approval.evaluate(
        package, group, attached, evidence.reports, evidence.baseline, compiled=attach_plan.compiled
    )
    return approval.decision(group, checks, now=evidence.now, execution_id=request.execution_id)


def _problem(result: AttachResult, request: AttachInput, region: str) -> ProblemNotice | None:
    if not (result.failed or result.not_attached):
        return None
    message = result.model_dump(mode="json")
    if result.failed:
        failed = [note.target for note in result.failed]
        message["retry_command"] = retry_command(result.model_package_arn, region, failed)
    return ProblemNotice(
        subject=f"Registry Autopilot: Neo targets not attached to {request.group} v{request.version}",
        message=message,
    )


def decide(evidence: AttachEvidence) -> AttachDecision:
    """The specs, the approval decision and the audit trail in one request (or none); the card after it."""
    package, group, request = evidence.package, evidence.group, evidence.request
    # The image and artifact as the compile watcher read them from DescribeCompilationJob.
    location = naming.compiled_location(evidence.artifacts_bucket, request.group, request.version)
    jobs: dict[str, CompiledJob] = compiled_jobs(request.results, location)
    attach_plan = plan_attach(package, group, request.results, jobs, evidence.region)
    gate = approval.gate(package, request.approval_status_at_start, request.execution_id)
    decided = _policy_decision(evidence, attach_plan, gate)
    trail = audit.supersede(package, attach_plan.notes, decided, evidence.now)
    fields = decided.fields if decided else {}
    audit_keys = decided.metadata if decided else {}
    records = {**trail.notes, **trail.history}

    update = update_request(
        package,
        attach_plan.specs,
        records,
        fields=dict(fields),
        first_metadata=audit_keys,
        remove=trail.remove,
    )
    # The card goes only with a write that happens anyway, in its own call after the decision's.
    card = None
    card_requests: tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]] = ((), ())
    if update is not None:
        card = model_card.attach_card(
            package, group, attach_plan, decided=decided, outcomes=request.results, jobs=jobs
        )
        if card.model_card is not None:
            together, apart = model_card.card_requests(package.ModelPackageArn, card.model_card)
            card_requests = (tuple(together), tuple(apart))

    outcome = decided.outcome if decided else approval.skipped(group, gate.reason)
    review = None
    if decided is not None and decided.notify and update is not None:
        # Left for a person: the check summary and the exact approve/reject commands. The result is
        # returned only once the notification is published, so it can say so already.
        subject, text = approval.review_message(package, request.group, outcome, evidence.region)
        review = ReviewNotice(subject=subject, text=text)
        outcome = outcome.model_copy(update={"notified": True})
    result = attach_plan.result.model_copy(update={"updated": update is not None, "approval": outcome})
    return AttachDecision(
        specs=tuple(attach_plan.specs),
        status=fields.get("ModelApprovalStatus"),
        description=fields.get("ApprovalDescription"),
        lifecycle=fields.get("ModelLifeCycle"),
        audit=dict(audit_keys),
        records=records,
        remove=trail.remove,
        card=card,
        request=update,
        card_requests=card_requests,
        outcome=outcome,
        result=result,
        review=review,
        problem=_problem(result, request, evidence.region),
    )
