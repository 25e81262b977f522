from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def local_backend() -> Iterator[LocalBackend]:
    with LocalBackend(region="us-east-1", account_id="123456789012", start_time=START) as backend:
        yield backend


@pytest.fixture
def sagemaker(local_backend: LocalBackend) -> Any:
    return local_backend.client("sagemaker")
