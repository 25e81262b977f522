"""The functions' clock: UTC now, from one place so local runs can drive it.

Lambda always uses the system clock. The local runner (`autopilot/embedded/stack.py`) points `source` at its
simulated clock for the duration of a run, so schedules and dwell times follow simulated time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


source: Callable[[], datetime] = _system_now


def now() -> datetime:
    return source()


def use(new_source: Callable[[], datetime] | None) -> None:
    """Drive the clock from `new_source` (None: back to the system clock)."""
    global source  # noqa: PLW0603
    source = new_source or _system_now
