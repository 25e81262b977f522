from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.synth import SynthesizedApp, synthesize
from infra.outputs import ARTIFACTS_BUCKET as ARTIFACTS_BUCKET_OUTPUT
from registry_autopilot.adapters.clients import reset_clients
from registry_autopilot.settings import reset_settings
from tests.compile_fixtures import function_environment, make_config, write_config


@pytest.fixture(scope="session")
def synthesized() -> SynthesizedApp:
    """The real stack, synthesized once (with an empty staged dependency layer)."""
    return synthesize(make_config())


@pytest.fixture
def backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthesized: SynthesizedApp
) -> Iterator[LocalBackend]:
    for key, value in function_environment(write_config(tmp_path, synthesized.config)).items():
        monkeypatch.setenv(key, value)
    # The bucket the synthesized state machine writes its compile waits to, as the functions see it.
    bucket = str(synthesized.outputs[ARTIFACTS_BUCKET_OUTPUT])
    monkeypatch.setenv("ARTIFACTS_BUCKET", bucket)
    reset_settings()
    reset_clients()
    with LocalBackend() as local:
        with local.unrecorded():
            local.client("sns").create_topic(Name="registry-autopilot-notifications")
            local.client("s3").create_bucket(Bucket=bucket)
        yield local
    reset_clients()
    reset_settings()


@pytest.fixture(autouse=True)
def _local_world_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`replay` and `demo` keep the local world in a file: the tests' goes to their own tmp_path."""
    monkeypatch.setenv("AUTOPILOT_LOCAL_WORLD", str(tmp_path / "local-world" / "world.json"))
