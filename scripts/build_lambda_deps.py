"""Build the Lambda dependency layer for the runtime's Python version and CPU architecture.

Compiled wheels (pydantic-core, wrapt) must match Lambda, not the machine running the build, so
they are resolved with uv for the target platform, binary wheels only, and never imported here.
The layer layout is `<out>/python/...`, which Lambda puts on `sys.path`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

# Files a function never needs at run time: dropping them keeps the layer small.
PRUNE_DIRS = ("__pycache__", "tests")
PRUNE_SUFFIXES = (".pyi",)


def build(requirements: Path, out: Path, python_version: str, platform: str) -> Path:
    target = out / "python"
    target.mkdir(parents=True, exist_ok=True)
    uv = Path(sys.executable).with_name("uv")
    cmd = [
        str(uv) if uv.exists() else "uv",
        "pip",
        "install",
        "--quiet",
        "--no-deps",  # requirements-lambda.txt is fully resolved for the target already
        "--only-binary",
        ":all:",
        "--python-version",
        python_version,
        "--python-platform",
        platform,
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]
    subprocess.run(cmd, check=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNE_DIRS:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in PRUNE_SUFFIXES:
            path.unlink()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requirements", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--python-version", required=True)
    parser.add_argument("--platform", required=True)
    args = parser.parse_args()
    target = build(args.requirements, args.out, args.python_version, args.platform)
    print(f"Lambda dependency layer built in {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
