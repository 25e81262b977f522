"""At-least-once, out-of-order delivery at scale: every registration of 50 versions delivered 3 times
in a shuffled order ends in the same final state as one in-order delivery, with no more writes
(EventBridge User Guide: events can be delivered more than once and in no guaranteed order)."""

from __future__ import annotations

import pytest

from bench.reliability import DuplicateRun

pytestmark = pytest.mark.slow


def test_three_shuffled_deliveries_end_in_the_state_of_one_in_order_delivery(
    duplicate_run: DuplicateRun,
) -> None:
    assert len(duplicate_run.once_states) == 50
    assert set(duplicate_run.many_states) == set(duplicate_run.once_states)
    # Equal but for audit values naming which execution decided, and when (VersionState.comparable).
    assert duplicate_run.differing() == []


def test_three_shuffled_deliveries_make_no_more_writes_than_one(duplicate_run: DuplicateRun) -> None:
    assert duplicate_run.many_writes == duplicate_run.once_writes


def test_every_delivery_ends_and_none_fails(duplicate_run: DuplicateRun) -> None:
    for run in (duplicate_run.once, duplicate_run.many):
        assert not run.stopped_early
        assert run.failed_executions == []
        assert run.function_failures == []
    assert duplicate_run.many.deliveries > duplicate_run.once.deliveries
