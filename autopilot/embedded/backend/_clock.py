"""A controllable clock: every timestamp the fidelity layer creates comes from here."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC wall clock that only moves when told to (``advance``) or set (``set``)."""

    def __init__(self, start: datetime | None = None) -> None:
        # Whole seconds keep epoch round-trips through the JSON protocol exact.
        begin = start if start is not None else datetime.now(UTC)
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=UTC)
        self._now = begin.astimezone(UTC).replace(microsecond=0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            if when < self._now:
                raise ValueError("the clock only moves forward")
            self._now = when.astimezone(UTC)
            return self._now

    def naive_utc(self) -> datetime:
        """The time as moto stores it (naive UTC)."""
        return self.now().replace(tzinfo=None)
