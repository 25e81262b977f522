from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stepfunctions import LocalLambdaContext
from registry_autopilot.adapters.clients import reset_clients
from registry_autopilot.settings import reset_settings
from tests.compile_fixtures import function_environment, write_config


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBackend]:
    for key, value in function_environment(write_config(tmp_path)).items():
        monkeypatch.setenv(key, value)
    reset_settings()
    reset_clients()
    with LocalBackend() as local:
        with local.unrecorded():
            local.client("sns").create_topic(Name="registry-autopilot-notifications")
        yield local
    reset_clients()
    reset_settings()


def _handler(module: str) -> Any:
    loaded: ModuleType = importlib.import_module(f"registry_autopilot.handlers.{module}")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        context = LocalLambdaContext(
            function_name=module,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{module}",
        )
        result: dict[str, Any] = loaded.handler(event, context)
        return result

    return invoke


@pytest.fixture
def plan_handler(backend: LocalBackend) -> Any:
    return _handler("plan")


@pytest.fixture
def attach_handler(backend: LocalBackend) -> Any:
    return _handler("attach")
