"""One local world: `replay` (or `demo`) leaves it in a file, `status --local`, `retry --local` and
`doctor --local` work on it, and the retry shows in the next status; cleared with a flag. Run as the
user runs it: the command, its output, its exit status.

The retry follows AWS's documented idempotency of StartExecution (see autopilot/account/retry.py);
the failing target is the sample's scripted failure (events/meta/manifest.json `failTargets`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_OK

EVENTS = Path(__file__).resolve().parents[2] / "events"
FAILS = EVENTS / "retry" / "version-registered-target-fails.json"
VERSION = "churn-xgboost/20"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _graviton(status_json: str) -> dict[str, object]:
    (target,) = [t for t in json.loads(status_json)["targets"] if t["target"] == "graviton"]
    return target


def test_replay_then_status_then_retry_then_status_shows_the_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = Path(os.environ["AUTOPILOT_LOCAL_WORLD"])

    code, _, err = _run(capsys, ["replay", str(FAILS)])
    assert code == EXIT_OK
    assert f"local world kept in {world}" in err
    assert world.is_file()

    code, out, err = _run(capsys, ["status", "--local", VERSION, "--json"])
    assert code == EXIT_OK
    assert err.startswith("local world: replay of ")
    assert f"(kept in {world} at " in err
    before = _graviton(out)
    assert before["status"] == "FAILED"
    assert "operator not supported on ml_c6g" in str(before["failure_reason"])

    code, out, err = _run(capsys, ["retry", VERSION, "graviton", "--local"])
    assert code == EXIT_OK
    assert "record: set to RETRY" in out
    assert "execution status: SUCCEEDED" in out

    code, out, err = _run(capsys, ["status", "--local", VERSION, "--json"])
    assert code == EXIT_OK
    assert ", then 1 retry (kept in " in err
    assert _graviton(out)["status"] == "ATTACHED"
    assert "neo-graviton" in json.loads(out)["specs"]


def test_doctor_local_checks_the_world_the_replay_left(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(FAILS)]) == EXIT_OK
    capsys.readouterr()

    code, out, err = _run(capsys, ["doctor", "--local", "--json"])

    assert err.startswith("local world: replay of ")
    report = json.loads(out)
    assert any(c["result"] == "PASS" and "churn-prod" in c["area"] for c in report["checks"])
    assert code in (0, 1)  # the checks ran: the replay's world holds no fraud-pytorch group


def test_status_clear_forgets_the_world(capsys: pytest.CaptureFixture[str]) -> None:
    world = Path(os.environ["AUTOPILOT_LOCAL_WORLD"])
    assert main(["replay", str(FAILS)]) == EXIT_OK
    capsys.readouterr()

    code, out, _ = _run(capsys, ["status", "--local", "--clear"])

    assert (code, out) == (EXIT_OK, f"cleared {world}\n")
    assert not world.exists()
    assert _run(capsys, ["status", "--clear"])[1] == f"no local world kept in {world}\n"
