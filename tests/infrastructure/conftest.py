"""One synthesized app per test session: the real app wiring (config, stack, cdk-nag), offline.

The dependency layer is replaced by an empty staged folder, the way `cdk synth -c
lambdaDependenciesDir=...` does it; the real layer is checked by test_lambda_bundle.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized, cdk_json_context, synthesize_app


@pytest.fixture(scope="session")
def staged_dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    deps = tmp_path_factory.mktemp("lambda-deps")
    (deps / "python").mkdir()
    return deps


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, staged_dependencies: Path) -> Synthesized:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    context = cdk_json_context() | {DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies)}
    return synthesize_app(tmp_path_factory.mktemp("cdk-out"), context)


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized.template)
