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
# What the deployed configuration (autopilot_config.json in the function package) may weigh.
CONFIG_ALLOWANCE_BYTES = 1_000_000


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


def tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def test_the_layer_and_the_largest_function_package_unzipped_fit_lambda_s_250_mb(layer: Path) -> None:
    """Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
    "Deployment package (.zip file archive) size: 250 MB (unzipped)", which counts the function's
    layers ("The maximum size of a function's deployment package and layers when they're extracted",
    Lambda API Reference, AccountLimit.CodeSizeUnzipped). Every function ships the same package: the
    `registry_autopilot` folder and the deployed configuration (0.7 MB at 500 groups; test_quotas.py
    holds it under the 1 MB allowed for it here). "250 MB" is read as 250 x 10^6 bytes (the smaller
    reading)."""
    package = tree_bytes(REPO_ROOT / "functions" / "registry_autopilot") + CONFIG_ALLOWANCE_BYTES
    unzipped = tree_bytes(layer) + package

    assert tree_bytes(layer) > 1_000_000  # the real layer, not an empty stand-in
    assert unzipped <= 250 * 10**6, f"{unzipped:,} bytes"
