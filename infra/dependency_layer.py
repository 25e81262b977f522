"""The Lambda dependency layer, built by CDK's asset bundling when the stack is synthesized.

Compiled wheels (pydantic-core) must match Lambda's Python version and CPU architecture, not the
machine running the synthesis, so they are resolved for the target platform, binary wheels only,
and never imported here. The layer layout is `<asset>/python/...`, which Lambda puts on `sys.path`.

How the asset is built, first that works:
1. locally, with uv (installed by `make install` next to the Python running the app) or pip:
   `--python-platform aarch64-manylinux2014 --python-version 3.13 --only-binary :all:`. uv is asked
   to stay offline first, so a synthesis whose wheels are in uv's cache needs no network; only a
   first synthesis on a fresh machine downloads them (from PyPI, as `make install` does);
2. in the Lambda build image, where a Docker engine exists (CDK's container bundling), when neither
   tool is present.

The asset hash is the hash of what decides the layer's content (the pinned requirements, the target
Python and platform, this module's build command), so CDK finds `cdk.out/asset.<hash>` from an
earlier synthesis and does not build an unchanged layer again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO_ROOT / "requirements-lambda.txt"
# Must match the runtime and architecture in infra/constants.py.
PYTHON_VERSION = "3.13"
PLATFORM = "aarch64-manylinux2014"
PIP_PLATFORM = "manylinux2014_aarch64"
# Files a function never needs at run time: dropping them keeps the layer small.
PRUNE_DIRS = ("__pycache__", "tests")
PRUNE_SUFFIXES = (".pyi",)


class LayerBuildError(RuntimeError):
    """The layer could not be built; the message says what was run and what to do."""


def _uv() -> str | None:
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else shutil.which("uv")


def _commands(target: Path, requirements: Path) -> list[list[str]]:
    """Candidate build commands, tried in order."""
    common = ["--no-deps", "--target", str(target), "-r", str(requirements)]
    commands = []
    uv = _uv()
    if uv:
        uv_install = [
            uv,
            "pip",
            "install",
            "--quiet",
            "--only-binary",
            ":all:",
            "--python-version",
            PYTHON_VERSION,
            "--python-platform",
            PLATFORM,
            *common,
        ]
        commands += [[*uv_install, "--offline"], uv_install]
    pip_install = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--platform",
        PIP_PLATFORM,
        *common,
    ]
    commands.append(pip_install)
    return commands


def _prune(target: Path) -> None:
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNE_DIRS:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in PRUNE_SUFFIXES:
            path.unlink()


def build(out: Path, requirements: Path = REQUIREMENTS) -> Path:
    """Install the pinned requirements for Lambda into `<out>/python`; raise LayerBuildError."""
    target = out / "python"
    failures = []
    env = os.environ | {"UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(REPO_ROOT / ".cache" / "uv"))}
    for command in _commands(target, requirements):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode == 0:
            _prune(target)
            return target
        failures.append(f"$ {' '.join(command[:3])} ...: {result.stderr.strip().splitlines()[-1:]}")
    raise LayerBuildError(
        "Could not build the Lambda dependency layer (Python 3.13, arm64, from requirements-lambda.txt); "
        "the first synthesis downloads the wheels from PyPI. Tried:\n  " + "\n  ".join(failures)
    )


@jsii.implements(ILocalBundling)
class _LocalLayerBuild:
    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        try:
            build(Path(output_dir))
        except LayerBuildError:
            if shutil.which("docker"):
                return False  # CDK builds it in the Lambda build image instead
            raise
        return True


def layer_hash(requirements: Path = REQUIREMENTS) -> str:
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    digest.update(f"{PYTHON_VERSION}|{PLATFORM}".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def bundled_layer_code() -> lambda_.Code:
    """The layer asset, built by CDK's bundling (locally, else in the Lambda build image)."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_hash(),
        bundling=BundlingOptions(
            image=constants.LAMBDA_RUNTIME.bundling_image,
            platform="linux/arm64",
            command=[
                "bash",
                "-c",
                "pip install --no-deps --only-binary=:all: -r /asset-input/requirements-lambda.txt "
                "-t /asset-output/python",
            ],
            local=_LocalLayerBuild(),
        ),
    )
