"""Keep jsii and the CDK quiet, whoever starts the app: `npx cdk ...` (cdk.json's "app" runs app.py),
`make synth`, or the local tools that synthesize in-process.

jsii prints an end-of-life banner unless JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION names the
running Node.js major version (e.g. `20`), so the variable is computed, not fixed. It must be set
before `aws_cdk` is imported (the import starts jsii's Node.js process): this module imports nothing
that imports `aws_cdk`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def quiet_cdk_environment() -> dict[str, str]:
    node = shutil.which("node")
    major = ""
    if node:
        major = subprocess.run(
            [node, "-p", "process.versions.node.split('.')[0]"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    listed = os.environ.get("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "")
    return {
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": ",".join(v for v in (listed, major) if v),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": os.environ.get(
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(REPO_ROOT / ".cache" / "jsii")
        ),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        # cdk-nag's event bus rule (AwsSolutions-EVB1) reads CfnEventBusPolicy's deprecated `principal`
        # property, which would print a deprecation warning on every multi-account synth.
        "JSII_DEPRECATED": os.environ.get("JSII_DEPRECATED", "quiet"),
    }


def quiet() -> None:
    """Apply the variables to this process (and so to jsii's Node.js process it starts)."""
    os.environ.update(quiet_cdk_environment())
