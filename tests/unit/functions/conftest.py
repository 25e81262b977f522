from __future__ import annotations

import pytest

from registry_autopilot.models.config import AutopilotConfig
from tests.compile_fixtures import make_config


@pytest.fixture
def config() -> AutopilotConfig:
    return make_config()
