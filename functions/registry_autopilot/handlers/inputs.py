"""The one way a handler turns its raw input into a typed model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from registry_autopilot.models.errors import InvalidInput

Parsed = TypeVar("Parsed")


def parse_input(parse: Callable[[Any], Parsed], event: Any) -> Parsed:
    """`parse(event)`; a rejection is raised as InvalidInput naming every offending field, before the
    handler makes any AWS call. The raise fails the invocation, so Lambda's own `Errors` metric (free)
    and the function's `Errors` alarm count it: no custom metric."""
    try:
        return parse(event)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None
