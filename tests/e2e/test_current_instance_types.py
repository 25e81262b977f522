"""A shadow instance type the API model lists works in every local verb, as `cdk synth` accepts it.

ProductionVariant.InstanceType takes the ProductionVariantInstanceType values (SageMaker API Reference,
ProductionVariant: "Valid Values: ml.t2.medium | ... | ml.g5.xlarge | ..."); the shadow variant's
RealTimeInferenceConfig.InstanceType takes the same enum (InferenceExperiment RealTimeInferenceConfig).
The embedded account checks the enum of the model botocore ships, the one `cdk synth` checks the
configuration against (infra/config.py), so a current type runs end to end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded import synth
from autopilot.embedded.backend.api_model import enum
from autopilot.embedded.replay import replay
from autopilot.embedded.stack import EmbeddedStack

ROOT = Path(__file__).resolve().parents[2]
APPROVED = ROOT / "events" / "version-approved-by-human.json"
GROUP = "churn-xgboost"  # the sample group with a shadow test (cdk.json)
CURRENT = "ml.g5.xlarge"


def _cdk_json_with_shadow_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance_type: str) -> None:
    raw = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    raw["context"]["autopilot"]["groups"][GROUP]["shadow"]["instanceType"] = instance_type
    path = tmp_path / "cdk.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(synth, "CDK_JSON", path)


def test_an_approved_version_is_shadow_tested_on_a_current_instance_type_to_its_conclusion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CURRENT in enum("ProductionVariantInstanceType")
    _cdk_json_with_shadow_type(tmp_path, monkeypatch, CURRENT)
    shadow_types: list[str] = []

    def shadow_variant_types(stack: EmbeddedStack) -> None:
        sagemaker: Any = stack.backend.client("sagemaker")
        for summary in sagemaker.list_inference_experiments()["InferenceExperiments"]:
            described = sagemaker.describe_inference_experiment(Name=summary["Name"])
            shadow_types.extend(
                v["InfrastructureConfig"]["RealTimeInferenceConfig"]["InstanceType"]
                for v in described["ModelVariants"]
                if v["VariantName"] != described["ShadowModeConfig"]["SourceModelVariantName"]
            )

    report = replay([APPROVED], schedule_rounds=500, then=shadow_variant_types)

    assert report.exit_status == EXIT_OK
    assert shadow_types == [CURRENT]
    assert [e["status"] for e in report.experiments] == ["Completed"]


@pytest.mark.parametrize(
    "argv",
    [
        ["demo"],
        ["cost"],
        ["doctor", "--local"],
        ["replay", str(APPROVED)],
        ["invoke", "shadow_start", str(APPROVED)],
    ],
)
def test_every_local_verb_runs_with_a_current_shadow_instance_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _cdk_json_with_shadow_type(tmp_path, monkeypatch, CURRENT)

    code = main(argv)

    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "Traceback" not in captured.err
    assert "cannot exist in SageMaker" not in captured.out + captured.err


def test_a_shadow_instance_type_the_api_model_does_not_list_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # ml.t3.medium: AWS refuses it for an endpoint ("Value 'ml.t3.medium' at
    # 'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum
    # value set"), and the model does not list it; the configuration check names the key before anything runs.
    assert "ml.t3.medium" not in enum("ProductionVariantInstanceType")
    _cdk_json_with_shadow_type(tmp_path, monkeypatch, "ml.t3.medium")

    code = main(["replay", str(APPROVED)])

    captured = capsys.readouterr()
    assert code == EXIT_INVALID
    assert "Traceback" not in captured.err
    assert f"groups.{GROUP}.shadow.instanceType: 'ml.t3.medium' is not a SageMaker real-time" in captured.err
