"""Removing `"sample": true` alone does not make the sample deployable: `cdk synth` for a real account
(app.py with CDK_DEFAULT_ACCOUNT, as the CDK CLI runs it: AWS CDK v2 Developer Guide, "Environments")
stops with one message naming what to change, and writes no template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infrastructure.synthesis import REPO_ROOT, cdk_json_context, quiet_cdk_environment

pytestmark = pytest.mark.slow


def test_given_only_the_sample_flag_removed_when_synthesized_for_an_account_then_app_py_refuses(
    tmp_path: Path,
) -> None:
    context = cdk_json_context()
    del context["autopilot"]["sample"]
    env = os.environ | quiet_cdk_environment() | {"CDK_DEFAULT_ACCOUNT": "111122223333"}

    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env | {"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "the sample configuration with only `sample: true` removed" in result.stderr
    assert "autopilot.groups.churn-xgboost.shadow.endpointName: 'churn-prod'" in result.stderr
    assert "autopilot.notificationEmail: unset" in result.stderr
    assert not list(tmp_path.glob("*.template.json"))
