"""Attach and decide: last state of the compile workflow. Input: PlanResult + `results` (one
TargetOutcome per target) + `execution_id`. Output: AttachResult (with the approval outcome).
One UpdateModelPackage call per version carries the specs and the approval decision together."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from registry_autopilot import clock
from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.reports import EvaluationReports
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.handlers.inputs import parse_input
from registry_autopilot.models.workflow import AttachInput
from registry_autopilot.observability import capture_lambda_handler, logger, metrics
from registry_autopilot.settings import get_settings
from registry_autopilot.usecases import compile as workflow

get_settings()  # validate the environment and the deployed configuration at cold start


@logger.inject_lambda_context(correlation_id_path="model_package_arn")
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_input(AttachInput.model_validate, event)
    settings = get_settings()
    notifier = Notifier(settings.notification_topic_arn)
    # Reads and writes go to the version's account (its access role when it is another's).
    registry = SageMakerRegistry(access=settings.access)
    reports = EvaluationReports(role_arn=settings.access.role_for_arn(request.model_package_arn))
    result = workflow.attach(request, registry, reports, notifier, settings, now=clock.now())
    return result.model_dump(mode="json")
