"""The compile workflow's Lambda steps: read current state, decide with pure logic, write once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.reports import EvaluationReports
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.logic import approval, audit, model_card, naming
from registry_autopilot.logic.attach import (
    AttachPlan,
    CompiledJob,
    compiled_jobs,
    plan_attach,
    retry_command,
    update_request,
)
from registry_autopilot.logic.plan import PlanContext, plan_compilation, registration_request
from registry_autopilot.models.approval import ApprovalOutcome, ApprovedBaseline, ReportRead
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.events import ModelPackageStateChangeEvent
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import AttachInput, AttachResult, PlanResult
from registry_autopilot.observability import CustomMetric, count, logger
from registry_autopilot.settings import Settings

# Metadata that differs between two runs of the same decision: left out of the ClientToken.


def plan(
    change: ModelPackageStateChangeEvent, registry: SageMakerRegistry, settings: Settings, now: datetime
) -> PlanResult:
    detail = change.detail
    if detail.ModelPackageGroupName not in settings.config.groups:
        # Decided from config alone: no read for groups the rule should not have matched.
        result = PlanResult(
            model_package_arn=detail.ModelPackageArn,
            group=detail.ModelPackageGroupName,
            version=detail.ModelPackageVersion,
            has_work=False,
            reason=f"group {detail.ModelPackageGroupName!r} is not watched",
        )
    else:
        # The event is a hint; the version's current state decides (events arrive late and twice).
        package = registry.describe_model_package(detail.ModelPackageArn)
        registration = registration_request(package, settings.config.groups[detail.ModelPackageGroupName])
        if registration is not None:
            # registerLogged: the Logged version becomes Registered first, then is planned as any other.
            registry.update_model_package(registration)
            package = registry.describe_model_package(detail.ModelPackageArn)
        context = PlanContext(config=settings.config, artifacts_bucket=settings.artifacts_bucket, now=now)
        result = plan_compilation(package, context)
    logger.info(
        "compile plan",
        extra={
            "model_package_arn": result.model_package_arn,
            "targets": [target.job_name for target in result.targets],
            "skipped": [item.model_dump() for item in result.skipped],
            "reason": result.reason,
        },
    )
    return result


def attach(
    request: AttachInput,
    registry: SageMakerRegistry,
    reports: EvaluationReports,
    notifier: Notifier,
    settings: Settings,
    *,
    now: datetime,
) -> AttachResult:
    """Attach the compiled targets and write the approval decision in ONE UpdateModelPackage call."""
    first = registry.describe_model_package(request.model_package_arn)
    group = settings.config.groups.get(request.group)
    if group is None:
        logger.warning("group no longer configured; nothing attached", extra={"group": request.group})
        return AttachResult(model_package_arn=first.ModelPackageArn, updated=False)

    # The image and artifact as the compile watcher read them from DescribeCompilationJob.
    location = naming.compiled_location(settings.artifacts_bucket, request.group, request.version)
    jobs = compiled_jobs(request.results, location)
    evidence = _read_evidence(first, request, group, registry, reports)

    # Re-read just before writing: a person may have decided while the workflow (or the reads) ran.
    package = registry.describe_model_package(request.model_package_arn)
    attach_plan = plan_attach(package, group, request.results, jobs, settings.region)
    gate = approval.gate(package, request.approval_status_at_start, request.execution_id)
    decided = _decide(package, request, group, attach_plan, gate=gate, evidence=evidence, now=now)
    update = _update(package, group, attach_plan, decided=decided, request=request, jobs=jobs, now=now)
    if update is not None:
        registry.update_model_package(update)
    decision = decided.outcome if decided else approval.skipped(group, gate.reason)
    if decided is not None and decided.notify and update is not None:
        # Left for a person: the check summary and the exact approve/reject commands.
        subject, text = approval.review_message(package, request.group, decision, settings.region)
        notifier.publish_text(subject, text)
        decision = decision.model_copy(update={"notified": True})
    result = attach_plan.result.model_copy(update={"updated": update is not None, "approval": decision})
    _record_metrics(result, decision)
    if result.failed or result.not_attached:
        message = result.model_dump(mode="json")
        if result.failed:
            failed = [note.target for note in result.failed]
            message["retry_command"] = retry_command(result.model_package_arn, settings.region, failed)
        notifier.publish(
            subject=f"Registry Autopilot: Neo targets not attached to {request.group} v{request.version}",
            message=message,
        )
    logger.info("attach result", extra={"result": result.model_dump(mode="json")})
    return result


@dataclass(frozen=True)
class _Evidence:
    gate: approval.Gate
    reports: dict[str, ReportRead]
    baseline: ApprovedBaseline | None


def _read_evidence(
    package: ModelPackage,
    request: AttachInput,
    group: GroupConfig,
    registry: SageMakerRegistry,
    reports: EvaluationReports,
) -> _Evidence:
    """The evaluation reports (and the approved version's) the policy needs, read only when it decides."""
    gate = approval.gate(package, request.approval_status_at_start, request.execution_id)
    if not gate.decide:
        return _Evidence(gate=gate, reports={}, baseline=None)
    policy = group.approval
    reads = {uri: reports.read(uri) for uri in approval.report_uris(package, policy)}
    baseline: ApprovedBaseline | None = None
    if policy.compare_to_approved is not None:
        approved = registry.latest_approved(request.group, exclude_arn=package.ModelPackageArn)
        if approved is not None:
            uri = approved.report_uri(policy.compare_to_approved.metric.report)
            baseline = ApprovedBaseline(
                arn=approved.ModelPackageArn,
                version=approved.ModelPackageVersion,
                report=reports.read(uri) if uri else None,
            )
    return _Evidence(gate=gate, reports=reads, baseline=baseline)


def _decide(
    package: ModelPackage,
    request: AttachInput,
    group: GroupConfig,
    attach_plan: AttachPlan,
    *,
    gate: approval.Gate,
    evidence: _Evidence,
    now: datetime,
) -> approval.Decision | None:
    """The decision to write with the attach, from the version as read just before writing."""
    if gate.human_changed:
        return approval.human_change(package, group, gate.reason, now=now, execution_id=request.execution_id)
    if not (gate.decide and evidence.gate.decide):
        return None  # not due (or the reports were not read because it was not due a moment ago)
    attached = package.attached_spec_names | set(attach_plan.result.attached)
    checks = approval.evaluate(
        package, group, attached, evidence.reports, evidence.baseline, compiled=attach_plan.compiled
    )
    return approval.decision(group, checks, now=now, execution_id=request.execution_id)


def _update(
    package: ModelPackage,
    group: GroupConfig,
    attach_plan: AttachPlan,
    *,
    decided: approval.Decision | None,
    request: AttachInput,
    jobs: dict[str, CompiledJob],
    now: datetime,
) -> dict[str, Any] | None:
    """The one UpdateModelPackage: specs, decision, audit trail (superseded records removed, history)
    and, when anything is written at all, the version's model card (docs/AUDIT.md)."""
    trail = audit.supersede(package, attach_plan.notes, decided, now)

    def build(card: dict[str, Any] | None = None) -> dict[str, Any] | None:
        fields = {**(decided.fields if decided else {}), **({"ModelCard": card} if card else {})}
        return update_request(
            package,
            attach_plan.specs,
            {**trail.notes, **trail.history},
            fields=fields,
            first_metadata=decided.metadata if decided else None,
            remove=trail.remove,
        )

    update = build()
    if update is None:
        return None
    card = model_card.attach_card(
        package, group, attach_plan, decided=decided, outcomes=request.results, jobs=jobs
    )
    logger.info("model card", extra={"model_package_arn": package.ModelPackageArn, "card": card.reason})
    if card.model_card is None:
        return update
    # The token is a digest of the whole request, card included: one token, one request.
    return build(card.model_card)


def _record_metrics(result: AttachResult, outcome: ApprovalOutcome) -> None:
    """Only what needs a person (registry_autopilot.custom_metrics); the decision and the targets of
    every version are in the 'attach result' log line, which the dashboard counts per group."""
    count(CustomMetric.TARGETS_FAILED, len(result.failed))
    count(CustomMetric.TARGETS_NOT_ATTACHED, len(result.not_attached))
    if outcome.action == "decided" and outcome.status == "PendingManualApproval":
        count(CustomMetric.VERSIONS_LEFT_FOR_REVIEW)
