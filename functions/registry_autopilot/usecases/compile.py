"""The compile workflow's Lambda steps: read current state, decide with pure logic, write once."""

from __future__ import annotations

from datetime import datetime

from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.logic.attach import CompiledJob, plan_attach
from registry_autopilot.logic.plan import PlanContext, plan_compilation
from registry_autopilot.models.events import ModelPackageStateChangeEvent
from registry_autopilot.models.workflow import AttachInput, AttachResult, PlanResult
from registry_autopilot.observability import MetricUnit, logger, metrics
from registry_autopilot.settings import Settings


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
        context = PlanContext(config=settings.config, artifacts_bucket=settings.artifacts_bucket, now=now)
        result = plan_compilation(package, context)
    metrics.add_metric(name="TargetsPlanned", unit=MetricUnit.Count, value=len(result.targets))
    if not result.has_work:
        metrics.add_metric(name="VersionsWithNothingToCompile", unit=MetricUnit.Count, value=1)
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
    request: AttachInput, registry: SageMakerRegistry, notifier: Notifier, settings: Settings
) -> AttachResult:
    package = registry.describe_model_package(request.model_package_arn)
    group = settings.config.groups.get(request.group)
    if group is None:
        logger.warning("group no longer configured; nothing attached", extra={"group": request.group})
        return AttachResult(model_package_arn=package.ModelPackageArn, updated=False)

    jobs: dict[str, CompiledJob] = {}
    for outcome in request.results:
        if outcome.status == "COMPLETED":
            # Read back the finished job: the image and artifact come from SageMaker, not state data.
            job = registry.describe_compilation_job(outcome.job_name)
            if job is not None:
                jobs[outcome.job_name] = job

    decision = plan_attach(package, group, request.results, jobs, settings.region)
    if decision.request is not None:
        registry.update_model_package(decision.request)
    result = decision.result
    metrics.add_metric(name="TargetsAttached", unit=MetricUnit.Count, value=len(result.attached))
    metrics.add_metric(name="TargetsFailed", unit=MetricUnit.Count, value=len(result.failed))
    metrics.add_metric(name="TargetsNotAttached", unit=MetricUnit.Count, value=len(result.not_attached))
    if result.failed or result.not_attached:
        notifier.publish(
            subject=f"Registry Autopilot: Neo targets not attached to {request.group} v{request.version}",
            message=result.model_dump(mode="json"),
        )
    logger.info("attach result", extra={"result": result.model_dump(mode="json")})
    return result
