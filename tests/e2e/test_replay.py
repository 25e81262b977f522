"""`python -m autopilot replay`: at-least-once, out-of-order delivery through the synthesized rules,
with the events our own writes cause fed back until nothing changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded.replay import replay

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGISTERED = EVENTS / "version-registered.json"
PYTORCH = EVENTS / "version-registered-pytorch-input-config.json"


def test_three_shuffled_deliveries_end_like_one_in_order_delivery_with_no_extra_writes() -> None:
    # EventBridge delivers at least once and in no guaranteed order (EventBridge User Guide,
    # "Amazon EventBridge events": retries and duplicate delivery).
    once = replay([REGISTERED, PYTORCH])
    thrice = replay([REGISTERED, PYTORCH], repeat=3, shuffle=True, seed=7)

    assert _without_run_stamps(thrice.versions) == _without_run_stamps(once.versions)
    assert len(thrice.writes) == len(once.writes)


def _without_run_stamps(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The approval audit keys name the execution and the time that decided, which differ between
    two runs of the same decision; everything else must be equal."""
    per_run = {"autopilot:approval:decided-at", "autopilot:approval:execution"}
    return [{**v, "metadata": {k: x for k, x in v["metadata"].items() if k not in per_run}} for v in versions]


def test_the_state_change_our_write_causes_is_delivered_and_ends_without_a_write() -> None:
    report = replay([REGISTERED])

    feedback = [d for d in report.deliveries if "after our write" in d.source]
    assert feedback, "SageMaker emits a state change for our UpdateModelPackage"
    assert all(d.outcome == "ran" for d in feedback)
    assert not report.stopped_early
    # Ours: the decision, then the model card in its own write; the feedback writes nothing.
    updates = [w for w in report.writes if w["operation"] == "UpdateModelPackage"]
    assert len(updates) == 2
    assert set(updates[1]["params"]) == {"ModelPackageArn", "ModelCard", "ClientToken"}


def test_an_invalid_event_is_reported_as_rejected_naming_the_field_and_writes_nothing() -> None:
    report = replay([EVENTS / "invalid-missing-model-package-arn.json"])

    assert [d.outcome for d in report.deliveries] == ["rejected"]
    assert "detail.ModelPackageArn: Field required" in report.deliveries[0].detail
    assert report.writes == []


def test_json_that_is_not_an_eventbridge_event_is_rejected_before_any_rule(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{"source": "aws.sagemaker"}]))

    report = replay([listed])

    assert report.deliveries[0].outcome == "rejected"
    assert "not an EventBridge event" in report.deliveries[0].detail


def test_an_unwatched_group_compiles_once_it_is_watched_from_the_command_line() -> None:
    unwatched = EVENTS / "version-in-unwatched-group.json"

    ignored = replay([unwatched])
    watched = replay([unwatched], watch=["marketing-uplift"])

    assert [d.outcome for d in ignored.deliveries] == ["no rule matched"]
    version = next(v for v in watched.versions if v["version"] == "marketing-uplift/2")
    assert version["specs"] == ["neo-ml-c5"]


def test_the_cli_prints_deliveries_state_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(REGISTERED), "--json"])

    payload = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert payload["deliveries"][0]["outcome"] == "ran"
    assert {"service", "operation", "params"} <= set(payload["writes"][0])
    # Each write names the account it was made in and the principal that made it (one account here:
    # the event's).
    event_account = json.loads(REGISTERED.read_text())["account"]
    assert {w["account"] for w in payload["writes"]} == {event_account}
    # A function's write names its role's session; the state machine's own SDK tasks (CreateCompilationJob)
    # run as the account locally (they are not held to its role: docs/FIDELITY.md).
    principals = {w["operation"]: w["principal"] for w in payload["writes"]}
    assert principals["UpdateModelPackage"].startswith(f"arn:aws:sts::{event_account}:assumed-role/")
    assert principals["CreateCompilationJob"] == f"arn:aws:iam::{event_account}:root"


def test_the_cli_rejects_a_file_that_is_not_json_before_doing_anything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")

    code = main(["replay", str(REGISTERED), str(broken)])

    assert code == EXIT_INVALID
    assert "is not JSON" in capsys.readouterr().err


def test_the_cli_rejects_a_repeat_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(REGISTERED), "--repeat", "0"])

    assert code == EXIT_INVALID
    assert "--repeat must be at least 1" in capsys.readouterr().err


def test_a_sample_gets_its_evaluation_report_from_the_manifest_and_ends_with_its_decision(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = EVENTS / "version-registered-report-fails.json"

    code = main(["replay", str(sample), "--json"])

    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    version = next(v for v in payload["versions"] if v["version"] == "churn-xgboost/8")
    assert code == EXIT_OK
    assert "staged s3://churn-models-123456789012/churn-xgboost/8/failing.json" in captured.err
    assert version["approval"] == "Rejected"


def test_an_object_given_on_the_command_line_replaces_the_manifests_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sample = EVENTS / "version-registered-report-fails.json"
    passing = EVENTS / "reports" / "churn-xgboost-passing.json"
    uri = "s3://churn-models-123456789012/churn-xgboost/8/failing.json"

    code = main(["replay", str(sample), "--object", f"{uri}={passing}", "--json"])

    payload = json.loads(capsys.readouterr().out)
    version = next(v for v in payload["versions"] if v["version"] == "churn-xgboost/8")
    assert code == EXIT_OK
    assert version["approval"] == "Approved"


@pytest.mark.parametrize(
    "bad", ["no-equals-sign", "https://bucket/key=file.json", "s3://bucket-only=file.json"]
)
def test_a_malformed_object_option_exits_2_naming_the_expected_form(
    capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code = main(["replay", str(EVENTS / "version-registered.json"), "--object", bad])

    assert code == EXIT_INVALID
    assert "expected s3://bucket/key=FILE" in capsys.readouterr().err


def test_rounds_roll_the_approved_versions_shadow_test_to_its_conclusion() -> None:
    report = replay([EVENTS / "version-approved-by-human.json"], schedule_rounds=500)

    assert [e["status"] for e in report.experiments] == ["Completed"]
    assert report.schedule_rounds < 500  # stopped once nothing was left in progress
    operations = [w["operation"] for w in report.writes]
    assert operations.count("StopInferenceExperiment") == 1
    assert operations.count("UpdateInferenceExperiment") >= 1


def test_a_scheduled_event_reaches_the_schedule_rule_it_names_and_only_it() -> None:
    report = replay(
        [EVENTS / "scheduled-roller-tick.json", EVENTS / "invalid-roller-event-wrong-source.json"]
    )

    outcomes = [(d.source, d.outcome, d.rules) for d in report.deliveries]
    assert outcomes == [
        ("scheduled-roller-tick.json", "ran", ["ShadowRolloutRollerSchedule"]),
        ("invalid-roller-event-wrong-source.json", "no rule matched", []),
    ]


def _replay_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["replay", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_all_samples_shuffled_and_repeated_end_as_one_in_order_delivery_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's `replay events/*.json --repeat 3 --shuffle`: each sample's outcome shows, the
    versions end as after one in-order delivery with the same writes, and the invalid samples make
    the exit status 2 (Lambda retries the shadow start that first finds the older test still
    Creating: "by default Lambda attempts to run it two more times, with a one-minute wait between
    the first two attempts, and two minutes between the second and third attempts", Lambda Developer
    Guide, "How Lambda handles errors and retries with asynchronous invocation")."""
    samples = [str(path) for path in sorted(EVENTS.glob("*.json"))]

    once_code, once = _replay_json(capsys, *samples)
    thrice_code, thrice = _replay_json(capsys, *samples, "--repeat", "3", "--shuffle")

    assert once_code == thrice_code == EXIT_INVALID
    assert _without_run_stamps(thrice["versions"]) == _without_run_stamps(once["versions"])
    assert len(thrice["writes"]) == len(once["writes"])
    approval = {v["version"]: v["approval"] for v in once["versions"]}
    assert approval["churn-xgboost/7"] == "Approved"
    assert approval["churn-xgboost/8"] == "Rejected"
    assert approval["churn-xgboost/9"] == approval["churn-xgboost/10"] == "PendingManualApproval"
    assert {e["name"].split("-")[-2] for e in once["experiments"]} == {"v11", "v12"}
    rejected = {d["source"] for d in thrice["rejected"]}
    assert rejected == {
        "invalid-missing-model-package-arn.json",
        "invalid-approved-event-from-another-region.json",
    }


def test_an_invalid_input_among_valid_ones_is_reported_and_the_others_are_delivered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, payload = _replay_json(
        capsys, str(EVENTS / "invalid-missing-model-package-arn.json"), str(REGISTERED)
    )

    assert code == EXIT_INVALID
    assert [d["outcome"] for d in payload["deliveries"] if d["input"]] == ["rejected", "ran"]
    assert payload["exit_status"] == EXIT_INVALID


def test_an_event_that_matches_no_rule_is_a_success(capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = _replay_json(capsys, str(EVENTS / "version-in-unwatched-group.json"))

    assert code == EXIT_OK
    assert [d["outcome"] for d in payload["deliveries"]] == ["no rule matched"]


def test_a_replay_stopped_at_the_cap_says_it_was_the_cap_and_names_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["replay", str(REGISTERED), "--max-deliveries", "1"])

    out = capsys.readouterr().out
    assert code == 1
    assert (
        # The decision and the model card are two writes, each a state change SageMaker reports.
        "stopped at the cap of 1 deliveries with 2 events still queued: raise it with --max-deliveries N"
        in out
    )
    assert "exit status 1: delivery had to stop at the cap (--max-deliveries)" in out


def test_the_cap_is_the_module_default_and_the_clis(capsys: pytest.CaptureFixture[str]) -> None:
    from autopilot.cli import replay as replay_verb
    from autopilot.embedded import replay as replay_module

    assert replay_verb.MAX_DELIVERIES == replay_module.MAX_DELIVERIES
    assert main(["replay", str(REGISTERED), "--max-deliveries", "0"]) == EXIT_INVALID
    assert capsys.readouterr().err == "error: --max-deliveries must be at least 1\n"


def test_no_rule_matched_says_why_for_each_of_the_three_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = _replay_json(
        capsys,
        str(EVENTS / "version-in-unwatched-group.json"),
        str(EVENTS / "invalid-wrong-source.json"),
        str(EVENTS / "version-approved-while-deleting.json"),
    )

    assert code == EXIT_OK
    why = {d["source"]: d["detail"] for d in payload["deliveries"] if d["input"]}
    assert why["version-in-unwatched-group.json"] == (
        "group 'marketing-uplift' is not watched (not in cdk.json's groups): add it to cdk.json's "
        "groups, or replay with --watch marketing-uplift"
    )
    assert why["invalid-wrong-source.json"].startswith("source ")
    assert "are not SageMaker's: the rules take source aws.sagemaker" in why["invalid-wrong-source.json"]
    assert why["version-approved-while-deleting.json"].startswith(
        "status Deleting with approval Approved is a state no rule acts on for group 'churn-xgboost'; "
        "the rules act on: Completed with PendingManualApproval (the compile workflow); "
        "Completed with Approved (shadow_start)"
    )


def test_the_version_table_says_why_each_version_ended_where_it_did_in_number_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logged = EVENTS / "version-registered-as-logged.json"
    passes = EVENTS / "version-registered-report-passes.json"

    code = main(["replay", str(logged), str(passes)])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    table = out.split(
        "model package versions (approval; attached specs; failed targets; shadow test; why):\n"
    )[1]
    rows = [line.strip() for line in table.splitlines() if line.startswith("  churn-xgboost/")]
    assert [row.split(":")[0] for row in rows] == ["churn-xgboost/5", "churn-xgboost/7"]  # 5 before 7, 10...
    assert "; -; the version is registered as Logged (a tracked model, not a deployable one)" in rows[0]
    assert "; Registry Autopilot auto policy " in rows[1]  # the approval description's first line
    assert "Approved: 2/2 checks passed" in rows[1]


def test_a_function_target_that_fails_is_retried_as_lambda_retries_and_fails_for_good_after_two(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autopilot.embedded.stack import EmbeddedStack

    calls: list[str] = []
    real = EmbeddedStack.invoke_function

    def failing_shadow_start(self: EmbeddedStack, logical_id: str, event: Any) -> Any:
        if "ShadowStart" in logical_id:
            calls.append(self.backend.clock.now().isoformat())
            raise RuntimeError("endpoint busy")
        return real(self, logical_id, event)

    monkeypatch.setattr(EmbeddedStack, "invoke_function", failing_shadow_start)

    report = replay([EVENTS / "version-approved-by-human.json"])

    outcomes = [(d.source, d.outcome) for d in report.deliveries]
    assert outcomes == [
        ("version-approved-by-human.json", "retrying"),
        ("version-approved-by-human.json (Lambda retry 1)", "retrying"),
        ("version-approved-by-human.json (Lambda retry 2)", "failed"),
    ]
    assert len(calls) == 3
    assert report.exit_status == 1
