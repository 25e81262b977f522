"""`python -m autopilot`: the verbs a user runs first, through the synthesized stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded.stack import EmbeddedStack, invoke_handler
from registry_autopilot.models.errors import InvalidInput

EVENTS = Path(__file__).resolve().parents[2] / "events"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_invoke_plan_on_a_new_version_prints_the_plan_and_makes_no_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "invoke", "plan", str(EVENTS / "version-registered.json"), "--json")

    payload = json.loads(out)
    assert code == EXIT_OK
    assert [t["target"] for t in payload["result"]["targets"]] == ["ml-c5", "ml-m5", "graviton"]
    assert payload["writes"] == []
    assert payload["state"]["ModelApprovalStatus"] == "PendingManualApproval"


def test_invoke_attach_writes_the_specs_and_records_the_failed_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        "invoke",
        "attach",
        str(EVENTS / "task-inputs" / "attach-input-with-failed-target.json"),
        "--json",
    )

    payload = json.loads(out)
    operations = [(w["service"], w["operation"]) for w in payload["writes"]]
    assert code == EXIT_OK
    assert operations.count(("sagemaker", "UpdateModelPackage")) == 2  # the attach's, then the card's
    assert payload["state"]["AdditionalInferenceSpecifications"] == ["neo-ml-c5", "neo-graviton"]
    assert payload["state"]["CustomerMetadataProperties"]["autopilot:neo:ml-m5"].startswith("FAILED:")


def test_invoke_prints_a_readable_summary_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "invoke", "plan", str(EVENTS / "version-in-unwatched-group.json"))

    assert code == EXIT_OK
    assert "handler: plan" in out
    assert "AWS writes: 0" in out


@pytest.mark.parametrize(
    ("event_file", "named"),
    [
        ("invalid-missing-model-package-arn.json", "detail.ModelPackageArn: Field required"),
        ("invalid-wrong-source.json", "source: Input should be 'aws.sagemaker'"),
    ],
)
def test_invoke_rejects_an_invalid_event_with_status_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], event_file: str, named: str
) -> None:
    code, out, err = run(capsys, "invoke", "plan", str(EVENTS / event_file))

    assert code == EXIT_INVALID
    assert named in err
    assert out == ""


def test_an_invalid_event_causes_no_aws_write() -> None:
    event = json.loads((EVENTS / "invalid-missing-model-package-arn.json").read_text())

    with EmbeddedStack() as stack:
        stack.backend.clear_records()
        with pytest.raises(InvalidInput):
            stack.invoke_function(stack.function_for_handler("plan"), event)
        assert stack.backend.writes == []


def test_invoke_rejects_a_file_that_is_not_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"source": ')

    code, _, err = run(capsys, "invoke", "plan", str(broken))

    assert code == EXIT_INVALID
    assert "is not JSON" in err


def test_invoke_rejects_an_unknown_handler_and_lists_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "invoke", "deploy", str(EVENTS / "version-registered.json"))

    assert code == EXIT_INVALID
    assert "unknown handler 'deploy'" in err
    assert "plan" in err


def test_invoke_answers_as_the_account_and_region_the_event_comes_from() -> None:
    event = json.loads((EVENTS / "version-registered.json").read_text())
    event["account"], event["region"] = "210987654321", "eu-west-1"
    arn = "arn:aws:sagemaker:eu-west-1:210987654321:model-package/churn-xgboost/3"
    event["resources"] = [arn]
    event["detail"]["ModelPackageArn"] = arn

    outcome = invoke_handler("plan", event)

    assert outcome.result["model_package_arn"] == arn


def test_the_demo_runs_the_whole_lifecycle_through_the_synthesized_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "demo", "--json")

    report = json.loads(out)
    versions = {v["version"]: v for v in report["versions"]}
    assert code == EXIT_OK
    approved, rejected = versions["churn-xgboost/1"], versions["churn-xgboost/2"]
    assert approved["approval"] == "Approved"
    assert approved["specs"] == ["neo-ml-c5", "neo-ml-m5"]
    assert approved["failed_targets"] == ["graviton"]
    assert approved["shadow"].startswith("COMPLETED")
    assert rejected["approval"] == "Rejected"
    assert versions["fraud-pytorch/1"]["approval"] == "PendingManualApproval"
    assert versions["fraud-pytorch/1"]["specs"] == ["neo-ml-g4dn", "neo-ml-inf2"]
    assert [(e["status"], e["sampling"]) for e in report["experiments"]] == [("Completed", 100)]
    duplicate = next(s for s in report["timeline"] if "same registration again" in s["title"])
    assert "AWS writes: 0" in duplicate["details"]


def test_the_demo_on_a_terminal_streams_its_timeline_then_prints_the_tables(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autopilot.embedded import demo

    streamed: list[str] = []
    real_run = demo.run_demo

    def run_and_watch(on_step: Any = None) -> Any:
        def watch(step: Any) -> None:
            streamed.append(step.title)  # what has been printed when each step arrives
            on_step(step)

        return real_run(on_step=watch)

    monkeypatch.setattr(demo, "run_demo", run_and_watch)
    code, out, _ = run(capsys, "demo")

    assert code == EXIT_OK
    assert out.startswith(demo.HEADER)
    assert streamed[0] == "a data scientist registers churn-xgboost/1"
    assert len(streamed) == out.count("\n[")  # every timeline step printed once, as it completed
    assert out.index("the roller's scheduled round") < out.index("Final state of the model versions:")


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("invoke", "replay", "demo"):
        with pytest.raises(SystemExit) as exited:
            main([verb, "--help"])
        assert exited.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_a_logged_version_is_skipped_with_its_reason_and_no_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "invoke", "plan", str(EVENTS / "version-registered-as-logged.json"), "--json")

    payload = json.loads(out)
    assert code == EXIT_OK
    assert payload["result"]["has_work"] is False
    assert "Logged" in payload["result"]["reason"]
    assert payload["writes"] == []
