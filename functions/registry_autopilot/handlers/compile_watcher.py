"""Compile watcher: target of a schedule rule (every minute). Input: the EventBridge "Scheduled
Event". Output: the round's summary (waits seen, workflows resumed, jobs stopped at their deadline).
Resumes each compile workflow whose jobs have all ended, with how each ended."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from registry_autopilot import clock
from registry_autopilot.handlers.inputs import parse_input
from registry_autopilot.models.shadow import ScheduledEvent
from registry_autopilot.observability import logger
from registry_autopilot.settings import get_settings
from registry_autopilot.usecases import compile_watch

get_settings()  # validate the environment and the deployed configuration at cold start


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # No custom metric: a failed round raises (the function's Errors alarm), the rest is in the log.
    parse_input(ScheduledEvent.model_validate, event)
    settings = get_settings()
    # Not traced: a round a minute, nearly all of them idle, would be most of the stack's traces.
    return compile_watch.watch(compile_watch.default_ports(settings), settings, now=clock.now()).as_dict()
