"""Silence explains itself: an event no rule takes says why, as the user sees it (the command, its
output, its exit status). EventBridge delivers an event to a rule's targets only when it matches the
rule's pattern (EventBridge User Guide, "Event pattern syntax",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html: "For an event
pattern to match an event, the event must contain all the field names listed in the event pattern.")
and the values listed for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_OK

EVENTS = Path(__file__).resolve().parents[2] / "events"
UNWATCHED = EVENTS / "version-in-unwatched-group.json"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_plan_of_an_event_no_rule_takes_says_why(account: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(UNWATCHED), "--region", "us-east-1"])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert out == (
        "no rule matches this event: nothing would run (group 'marketing-uplift' is not watched (not in "
        "cdk.json's groups): add it to cdk.json's groups)\n"
    )


def test_plan_json_carries_the_reason(account: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["plan", str(EVENTS / "version-approved-while-deleting.json"), "--region", "us-east-1", "--json"]
    )

    payload = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert payload["runs"] == []
    assert payload["why"].startswith("status Deleting with approval Approved is a state no rule acts on")


def test_invoke_of_an_unwatched_group_says_so_on_stderr_and_still_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["invoke", "plan", str(UNWATCHED)])

    captured = capsys.readouterr()
    assert code == EXIT_OK
    assert captured.err.splitlines()[-1] == (
        "note: group 'marketing-uplift' is not watched (not in cdk.json's groups): deployed, no rule "
        "would deliver this event to plan; running it anyway"
    )
    assert captured.out.startswith("handler: plan\n")


def test_invoke_of_a_watched_group_prints_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["invoke", "plan", str(EVENTS / "version-registered.json")])

    assert code == EXIT_OK
    assert "not watched" not in capsys.readouterr().err
