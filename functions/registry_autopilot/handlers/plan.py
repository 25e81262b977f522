"""Plan: first state of the compile workflow. Input: the EventBridge event. Output: PlanResult."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from registry_autopilot import clock
from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.handlers.inputs import parse_input
from registry_autopilot.models.events import parse_state_change
from registry_autopilot.observability import capture_lambda_handler, logger
from registry_autopilot.settings import get_settings
from registry_autopilot.usecases import compile as workflow

get_settings()  # validate the environment and the deployed configuration at cold start


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_input(parse_state_change, event)
    # The deadline computed from this time is the compile watcher's, which reads the same clock.
    settings = get_settings()
    notifier = Notifier(settings.notification_topic_arn)
    result = workflow.plan(
        change, SageMakerRegistry(access=settings.access), settings, now=clock.now(), notifier=notifier
    )
    return result.model_dump(mode="json")
