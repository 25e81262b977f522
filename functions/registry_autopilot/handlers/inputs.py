"""The one way a handler turns its raw input into a typed model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from registry_autopilot.models.errors import InvalidInput
from registry_autopilot.observability import MetricUnit, metrics

Parsed = TypeVar("Parsed")


def parse_input(
    parse: Callable[[Any], Parsed], event: Any, *, metric: str | None = "InvalidEvents"
) -> Parsed:
    """`parse(event)`; a rejection is counted in `metric` (unless None) and raised as InvalidInput
    naming every offending field, before the handler makes any AWS call."""
    try:
        return parse(event)
    except ValidationError as exc:
        _count(metric)
        raise InvalidInput.from_validation(exc) from None
    except InvalidInput:
        _count(metric)
        raise


def _count(metric: str | None) -> None:
    if metric is not None:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
