"""The small things that each cost a newcomer minutes, run as the newcomer runs them: the command,
its output, its exit status."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_make_help_lists_every_target_the_makefile_declares() -> None:
    makefile = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.+)$", makefile, flags=re.MULTILINE)

    listed = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout

    shown = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert set(phony.split()) == shown
    assert {"e2e-aws", "e2e-aws-plan", "e2e-aws-clean"} <= shown


def test_demo_piped_to_head_ends_quietly() -> None:
    # The shell's pipeline, as the README writes it: head takes three lines and goes away.
    err = ROOT / ".cache" / "demo-head.err"
    err.parent.mkdir(exist_ok=True)
    script = f"{sys.executable} -m autopilot demo 2>{err} | head -3; echo status=${{PIPESTATUS[0]}}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )

    lines = done.stdout.splitlines()
    assert len(lines) == 4
    assert lines[-1] == "status=0"
    assert err.read_text() == ""  # no traceback, no "Exception ignored", no message


def test_invoke_help_lists_every_handler_the_stack_deploys(capsys: pytest.CaptureFixture[str]) -> None:
    from autopilot.embedded.stack import available_handlers

    with pytest.raises(SystemExit):
        main(["invoke", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert f"the handler to run: {', '.join(available_handlers())}" in text


@pytest.mark.parametrize("price", ["-1", "nan", "inf"])
def test_a_negative_or_meaningless_hourly_price_is_refused(
    capsys: pytest.CaptureFixture[str], price: str
) -> None:
    code, out, err = _run(capsys, ["cost", "--hourly-price", price])

    assert (code, out) == (EXIT_INVALID, "")
    assert err.startswith(f"error: --hourly-price {price}: a price is USD per hour, 0 or more")


def test_an_event_file_with_a_utf8_bom_gets_a_plain_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    event = tmp_path / "exported.json"
    event.write_bytes(b"\xef\xbb\xbf" + (EVENTS / "version-registered.json").read_bytes())

    code, out, err = _run(capsys, ["invoke", "plan", str(event)])

    assert (code, out) == (EXIT_INVALID, "")
    assert err == (
        f"error: {event} starts with a UTF-8 byte order mark (BOM), which JSON does not allow: save it "
        "as UTF-8 without BOM\n"
    )


def test_json_output_on_error_is_a_json_document_not_an_empty_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"

    code, out, err = _run(capsys, ["replay", str(missing), "--json"])

    assert code == EXIT_INVALID
    assert err == f"error: cannot read {missing}: No such file or directory\n"
    assert json.loads(out) == {"error": f"cannot read {missing}: No such file or directory", "exit_status": 2}


def test_doctor_tells_a_network_failure_from_bad_credentials_in_the_words_plan_uses(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9 (discard) here: the connection is refused, as with no network.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    doctor_code, doctor_out, doctor_err = _run(capsys, ["doctor", "--region", "us-east-1"])
    plan_code, _, plan_err = _run(capsys, ["plan", "churn-xgboost/3", "--region", "us-east-1"])

    unreachable = 'cannot reach AWS: Could not connect to the endpoint URL: "http://127.0.0.1:9/"'
    assert (doctor_code, doctor_out, plan_code) == (EXIT_INVALID, "", EXIT_INVALID)
    assert doctor_err.startswith(f"error: doctor cannot run: {unreachable} (check the network")
    assert plan_err.startswith(f"error: {unreachable} (check the network")
    assert "credentials" not in doctor_err
