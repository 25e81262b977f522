"""app.py and the pinned CDK CLI: bad configuration stops synthesis with a readable message, and
`npx cdk synth` works offline and quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.synthesis import REPO_ROOT, cdk_json_context, quiet_cdk_environment

pytestmark = pytest.mark.slow

NOISE = ("telemetry", "NOTICES", "end-of-life", "!!!!", "Traceback")


def broken_config() -> dict[str, Any]:
    """One configuration with every kind of error the issue lists, each under its own key."""
    config: dict[str, Any] = json.loads(json.dumps(cdk_json_context()["autopilot"]))
    config["compileRole"] = "typo"  # unknown key
    config["compileRoleArn"] = "arn:aws:iam::123456789012:user/not-a-role"
    groups = config["groups"]
    groups["churn_v2"] = groups["fraud-pytorch"]  # underscore: not a SageMaker name
    groups["fraud-pytorch"] = {**groups["fraud-pytorch"], "neoTargets": []}
    groups["many"] = {
        "neoTargets": [{"name": f"t{i}", "targetDevice": "ml_c5"} for i in range(16)],
    }
    return config


def run_app(context: dict[str, Any], outdir: Path) -> subprocess.CompletedProcess[str]:
    env = (
        os.environ
        | quiet_cdk_environment()
        | {"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    )
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_app_py_rejects_bad_configuration_naming_every_key_without_a_traceback(tmp_path: Path) -> None:
    result = run_app({**cdk_json_context(), "autopilot": broken_config()}, tmp_path)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for key in (
        "autopilot.compileRole: unknown key",
        "autopilot.compileRoleArn: 'arn:aws:iam::123456789012:user/not-a-role' is not an IAM role ARN",
        "autopilot.groups.churn_v2",
        "autopilot.groups.fraud-pytorch.neoTargets",
        "autopilot.groups.many.neoTargets",
    ):
        assert key in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_the_pinned_cdk_cli_synthesizes_offline_and_quietly(
    tmp_path: Path, staged_dependencies: Path
) -> None:
    # Plain `npx cdk synth`, as a user types it: none of the variables the Makefile exports. app.py
    # silences jsii itself. `sample=false` so credentials on the machine running the tests (which make
    # the CLI name an account) do not turn this into the refusal tested below.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JSII_", "CDK_DISABLE")) and key != "CDK_DEFAULT_ACCOUNT"
    }
    result = subprocess.run(
        [
            "npx",
            "--no-install",
            "cdk",
            "synth",
            "--quiet",
            "--output",
            str(tmp_path / "cdk.out"),
            "-c",
            f"lambdaDependenciesDir={staged_dependencies}",
            "-c",
            "autopilot.logRetentionDays=90",
            "-c",
            "autopilot.sample=false",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    for noise in NOISE:
        assert noise not in output, output
    template = json.loads((tmp_path / "cdk.out" / "RegistryAutopilot.template.json").read_text())
    retention = {
        r["Properties"]["RetentionInDays"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    assert retention == {90}


def test_given_credentials_for_a_real_account_when_the_sample_is_synthesized_then_app_py_refuses_it(
    tmp_path: Path,
) -> None:
    env = os.environ | quiet_cdk_environment() | {"CDK_DEFAULT_ACCOUNT": "111122223333"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env | {"CDK_CONTEXT_JSON": json.dumps(cdk_json_context()), "CDK_OUTDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "refusing to synthesize it for account 111122223333" in result.stderr
    assert "autopilot.sample: true -> remove it" in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_given_groups_listed_by_name_past_a_quota_when_synthesized_then_app_py_refuses_naming_the_quota(
    tmp_path: Path, staged_dependencies: Path
) -> None:
    """32 groups of 63 characters without groupNamePrefix: each rule's pattern lists every name and
    passes EventBridge's 2,048 characters ("Event pattern size | 2,048 | Maximum event pattern size,
    in characters", EventBridge quotas). CloudFormation would fail the deploy; app.py fails the synth."""
    from tests.infrastructure.test_quotas import organisation_config

    context = cdk_json_context() | {
        "autopilot": organisation_config(32, prefixed=False),
        "lambdaDependenciesDir": str(staged_dependencies),
    }
    result = run_app(context, tmp_path)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    patterns = [
        line for line in problems if line.startswith("  EventBridge event pattern size (characters): ")
    ]
    assert len(patterns) == 2, result.stderr
    assert all(line.endswith("for a quota of 2,048") for line in patterns)


def test_app_py_checks_the_quotas_of_every_stack_it_writes_companions_included(
    tmp_path: Path, staged_dependencies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFormation enforces its quotas on each stack it deploys, so `app.py` measures each template,
    the companion stacks of other accounts included (docs/ACCOUNTS.md)."""
    from aws_cdk import App

    import app as app_module
    from tests.infrastructure.test_accounts import three_accounts

    checked: list[str] = []
    context = cdk_json_context() | {
        "autopilot": three_accounts(),
        "lambdaDependenciesDir": str(staged_dependencies),
    }
    monkeypatch.setattr(app_module, "check_template_file", lambda path: checked.append(path.name))
    # main() builds `App()` from the CLI's environment; jsii's Node.js process is already running, so the
    # context and output directory are handed to the App directly.
    monkeypatch.setattr(app_module, "App", lambda: App(context=context, outdir=str(tmp_path)))
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)

    assert app_module.main() == 0
    assert checked == [
        "RegistryAutopilot.template.json",
        "RegistryAutopilot-222222222222.template.json",
        "RegistryAutopilot-333333333333.template.json",
    ]
