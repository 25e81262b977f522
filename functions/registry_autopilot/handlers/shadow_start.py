"""Shadow start: target of the version-approved rule. Input: the EventBridge state-change event of a
version that became Approved. Output: StartResult (experiment, model, spec, superseded, reason)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from registry_autopilot import clock
from registry_autopilot.handlers.inputs import parse_input
from registry_autopilot.models.events import parse_state_change
from registry_autopilot.observability import capture_lambda_handler, logger, metrics
from registry_autopilot.settings import get_settings
from registry_autopilot.usecases import shadow

get_settings()  # validate the environment and the deployed configuration at cold start


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_input(parse_state_change, event)
    settings = get_settings()
    result = shadow.start(change, shadow.default_ports(settings), settings, now=clock.now())
    logger.info("shadow start", extra={"result": result.model_dump(mode="json")})
    return result.model_dump(mode="json")
