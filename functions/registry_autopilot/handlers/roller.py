"""Roller: target of the schedule rule (rate from `rollerScheduleMinutes`). Input: the EventBridge
"Scheduled Event". Output: RollResult (one entry per owned experiment, and the failure count)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from registry_autopilot import clock
from registry_autopilot.handlers.inputs import parse_input
from registry_autopilot.models.shadow import ScheduledEvent
from registry_autopilot.observability import capture_lambda_handler, logger, metrics
from registry_autopilot.settings import get_settings
from registry_autopilot.usecases import shadow

get_settings()  # validate the environment and the deployed configuration at cold start


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick = parse_input(ScheduledEvent.model_validate, event)
    settings = get_settings()
    logger.append_keys(scheduled_at=tick.time.isoformat())
    # Decided with the current time, not the tick's: a retried tick must not act in the past.
    return shadow.roll(shadow.default_ports(settings), settings, now=clock.now()).model_dump(mode="json")
