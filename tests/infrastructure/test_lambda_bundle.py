"""The real dependency layer, built by CDK's asset bundling as `cdk synth` builds it: for Lambda's
Python 3.13 on arm64, holding every third-party package the handlers import, and not built again
when nothing it depends on changed. Wheels built for another Python cannot be imported here, so the
layer is inspected as files, never imported."""

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


def synthesize_layer(outdir: Path) -> Path:
    """A stack with only the layer, synthesized into `outdir`; the staged asset's `python/`."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_lambda as lambda_

    from infra import constants
    from infra.constructs.lambda_function import dependency_layer_code

    app = App(outdir=str(outdir))
    stack = Stack(app, "Layer")
    lambda_.LayerVersion(
        stack,
        "Dependencies",
        code=dependency_layer_code(None),
        compatible_runtimes=[constants.LAMBDA_RUNTIME],
    )
    app.synth()
    (staged,) = [path for path in outdir.glob("asset.*") if (path / "python").is_dir()]
    return staged / "python"


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk.out")


@pytest.fixture(scope="module")
def layer(outdir: Path) -> Path:
    return synthesize_layer(outdir)


def test_given_an_unchanged_layer_when_synthesized_again_then_it_is_not_rebuilt(
    layer: Path, outdir: Path
) -> None:
    # CDK skips bundling when `cdk.out/asset.<hash>` exists; the hash is the layer's inputs.
    marker = layer / "built-once"
    marker.write_text("")

    again = synthesize_layer(outdir)

    assert again == layer
    assert marker.exists()


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
