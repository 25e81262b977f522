"""The compile watcher's schedule for tests that run the synthesized state machine directly: while a
branch waits for its job, a minute passes and the watcher's round runs (its handler, in process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stepfunctions import handler_router
from autopilot.embedded.synth import SynthesizedApp
from infra.config import WATCHER_ROUND_SECONDS

WATCHER_HANDLER = "registry_autopilot.handlers.compile_watcher.handler"


def watcher_function(app: SynthesizedApp) -> str:
    (logical_id,) = [name for name, handler in app.functions.items() if handler == WATCHER_HANDLER]
    return logical_id


def scheduled_event(backend: LocalBackend) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "00000000-0000-4000-8000-000000000001",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": backend.account_id,
        "time": backend.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": backend.region,
        "resources": [f"arn:aws:events:{backend.region}:{backend.account_id}:rule/CompileWatcherSchedule"],
        "detail": {},
    }


def watch_rounds(
    app: SynthesizedApp, backend: LocalBackend, rounds: list[dict[str, Any]] | None = None
) -> Callable[[], float]:
    """`on_token_wait` for `execute`: each call lets a minute pass and runs one watcher round (its
    result, or `{"error": ...}` for a round that raised, appended to `rounds` when given). A round
    that raises is a failed scheduled invocation: the next one, a minute later, goes on."""
    invoke = handler_router(app.functions)
    arn = app.function_arn(watcher_function(app))

    def one_round() -> float:
        backend.clock.advance(WATCHER_ROUND_SECONDS)
        try:
            with backend.recorded():
                result = invoke(arn, scheduled_event(backend))
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        if rounds is not None:
            rounds.append(result)
        return float(WATCHER_ROUND_SECONDS)

    return one_round
