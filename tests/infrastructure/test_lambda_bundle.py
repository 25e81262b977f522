"""The real dependency layer: built for Lambda's Python 3.13 on arm64, it holds every third-party
package the handlers import. Wheels built for another Python cannot be imported here, so the layer
is inspected as files, never imported."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.infrastructure.synthesis import REPO_ROOT

pytestmark = pytest.mark.slow

FIRST_PARTY = {"registry_autopilot"}


def third_party_imports(root: Path) -> set[str]:
    names: set[str] = set()
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - FIRST_PARTY - {"__future__"}


def normalized(distribution: str) -> str:
    return distribution.lower().replace("-", "_")


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scripts.build_lambda_deps import build

    out = tmp_path_factory.mktemp("layer")
    return build(REPO_ROOT / "requirements-lambda.txt", out, "3.13", "aarch64-manylinux2014")


def test_the_layer_holds_every_third_party_package_the_functions_import(layer: Path) -> None:
    imported = third_party_imports(REPO_ROOT / "functions")
    distributions = packages_distributions()
    installed = {normalized(p.name.split("-")[0]) for p in layer.glob("*.dist-info")}

    assert "pydantic" in imported
    for name in sorted(imported):
        assert (layer / name).is_dir() or (layer / f"{name}.py").is_file(), f"{name} missing from the layer"
        for distribution in distributions.get(name, [name]):
            assert normalized(distribution) in installed, (
                f"{distribution} (for `import {name}`) not installed"
            )


def test_pydantic_core_is_the_cpython_3_13_aarch64_build(layer: Path) -> None:
    (module,) = (layer / "pydantic_core").glob("_pydantic_core.*")
    (wheel,) = layer.glob("pydantic_core-*.dist-info/WHEEL")

    assert module.name == "_pydantic_core.cpython-313-aarch64-linux-gnu.so"
    assert any(
        line.startswith("Tag: cp313-cp313-manylinux") and line.endswith("aarch64")
        for line in wheel.read_text().splitlines()
    )
