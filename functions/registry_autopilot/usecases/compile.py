"""The compile workflow's Lambda steps: read current state, decide with pure logic, write once."""

from __future__ import annotations

from datetime import datetime

from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.reports import EvaluationReports
from registry_autopilot.adapters.sagemaker import SageMakerRegistry, SageMakerThrottled
from registry_autopilot.logic import decision
from registry_autopilot.logic.accounts import foreign_version
from registry_autopilot.logic.plan import PlanContext, key_refusal, plan_compilation, plan_with_registration
from registry_autopilot.models.approval import ApprovalOutcome, ApprovedBaseline, ReportRead
from registry_autopilot.models.errors import ModelKeyNotReadable
from registry_autopilot.models.events import ModelPackageStateChangeEvent
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import AttachInput, AttachResult, PlanResult
from registry_autopilot.observability import CustomMetric, count, logger
from registry_autopilot.settings import Settings
from registry_autopilot.usecases.model_card import write_card


def plan(
    change: ModelPackageStateChangeEvent,
    registry: SageMakerRegistry,
    settings: Settings,
    now: datetime,
    notifier: Notifier | None = None,
) -> PlanResult:
    detail = change.detail
    group = detail.ModelPackageGroupName
    not_ours = (
        f"group {group!r} is not watched"
        if settings.config.group(group) is None
        else foreign_version(settings.config.registry_account(group), detail.ModelPackageArn)
    )
    if not_ours is not None:
        # Decided from config alone: no read for groups (or accounts) the rule should not have matched.
        result = PlanResult(
            model_package_arn=detail.ModelPackageArn,
            group=group,
            version=detail.ModelPackageVersion,
            has_work=False,
            reason=not_ours,
        )
    else:
        # The event is a hint; the version's current state decides (events arrive late and twice).
        try:
            package = registry.describe_model_package(detail.ModelPackageArn)
        except ModelKeyNotReadable as refused:
            return _key_not_configured(change, refused, registry, settings, notifier)
        context = PlanContext(config=settings.config, artifacts_bucket=settings.artifacts_bucket, now=now)
        planned = plan_with_registration(package, context)
        result = planned.plan
        if planned.registration is not None:
            # registerLogged: checked first; a version that will be compiled becomes Registered, then
            # is planned again on the version as it now is.
            registry.update_model_package(planned.registration)
            package = registry.describe_model_package(detail.ModelPackageArn)
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


def _key_not_configured(
    change: ModelPackageStateChangeEvent,
    refused: ModelKeyNotReadable,
    registry: SageMakerRegistry,
    settings: Settings,
    notifier: Notifier | None,
) -> PlanResult:
    """A version under a KMS key the functions may not use: recorded on it and notified, not failed."""
    detail = change.detail
    why, record = key_refusal(detail.ModelPackageArn, refused.key, settings.config.model_kms_key_arns)
    logger.warning("model key not readable", extra={"model_package_arn": detail.ModelPackageArn, "why": why})
    try:
        registry.update_model_package(record)
    except SageMakerThrottled:
        raise
    except Exception as exc:  # recording may need the key too (docs/FIDELITY.md): the notice still goes
        logger.warning("not recorded on the version", extra={"error": str(exc)})
    if notifier is not None:
        notifier.publish(
            subject=f"Registry Autopilot: {detail.ModelPackageGroupName} v{detail.ModelPackageVersion} "
            "not handled",
            message={"model_package_arn": detail.ModelPackageArn, "reason": why, "error": refused.reason},
        )
    return PlanResult(
        model_package_arn=detail.ModelPackageArn,
        group=detail.ModelPackageGroupName,
        version=detail.ModelPackageVersion,
        has_work=False,
        reason=why,
    )


def attach(
    request: AttachInput,
    registry: SageMakerRegistry,
    reports: EvaluationReports,
    notifier: Notifier,
    settings: Settings,
    *,
    now: datetime,
) -> AttachResult:
    """Attach the compiled targets and write the approval decision in ONE UpdateModelPackage call, then
    the model card in its own: read the evidence, decide once (logic/decision.py), write, notify."""
    group = settings.config.group(request.group)
    foreign = foreign_version(settings.config.registry_account(request.group), request.model_package_arn)
    if group is not None and foreign is not None:
        # Plan skips such a version; a direct invocation must not write to it either.
        logger.warning("version of another account; nothing attached", extra={"reason": foreign})
        return AttachResult(model_package_arn=request.model_package_arn, updated=False)
    first = registry.describe_model_package(request.model_package_arn)
    if group is None:
        logger.warning("group no longer configured; nothing attached", extra={"group": request.group})
        return AttachResult(model_package_arn=first.ModelPackageArn, updated=False)
    wanted = decision.evidence_to_read(first, group, request)
    evaluation, baseline = _read_reports(wanted, first, request.group, registry, reports)
    # Re-read just before writing: a person may have decided while the workflow (or the reads) ran.
    package = registry.describe_model_package(request.model_package_arn)
    decided = decision.decide(
        decision.AttachEvidence(
            request=request,
            group=group,
            package=package,
            reports=evaluation,
            baseline=baseline,
            artifacts_bucket=settings.artifacts_bucket,
            region=settings.region,
            now=now,
        )
    )
    if decided.card is not None:
        logger.info(
            "model card", extra={"model_package_arn": package.ModelPackageArn, "card": decided.card.reason}
        )
    if decided.request is not None:
        registry.update_model_package(decided.request)
        write_card(registry, notifier, decided.card_requests, what="the decision and the Neo results")
    if decided.review is not None:
        notifier.publish_text(decided.review.subject, decided.review.text)
    _record_metrics(decided.result, decided.outcome)
    if decided.problem is not None:
        notifier.publish(subject=decided.problem.subject, message=decided.problem.message)
    logger.info("attach result", extra={"result": decided.result.model_dump(mode="json")})
    return decided.result


def _read_reports(
    wanted: decision.EvidenceToRead,
    package: ModelPackage,
    group: str,
    registry: SageMakerRegistry,
    reports: EvaluationReports,
) -> tuple[dict[str, ReportRead] | None, ApprovedBaseline | None]:
    """The evaluation reports (and the approved version's) the policy needs, read only when it decides."""
    if not wanted.due:
        return None, None
    reads = {uri: reports.read(uri) for uri in wanted.report_uris}
    baseline: ApprovedBaseline | None = None
    if wanted.baseline_report is not None:
        approved = registry.latest_approved(group, exclude_arn=package.ModelPackageArn)
        if approved is not None:
            uri = approved.report_uri(wanted.baseline_report)
            baseline = ApprovedBaseline(
                arn=approved.ModelPackageArn,
                version=approved.ModelPackageVersion,
                report=reports.read(uri) if uri else None,
            )
    return reads, baseline


def _record_metrics(result: AttachResult, outcome: ApprovalOutcome) -> None:
    """Only what needs a person (registry_autopilot.custom_metrics); the decision and the targets of
    every version are in the 'attach result' log line, which the dashboard counts per group."""
    count(CustomMetric.TARGETS_FAILED, len(result.failed))
    count(CustomMetric.TARGETS_NOT_ATTACHED, len(result.not_attached))
    if outcome.action == "decided" and outcome.status == "PendingManualApproval":
        count(CustomMetric.VERSIONS_LEFT_FOR_REVIEW)
