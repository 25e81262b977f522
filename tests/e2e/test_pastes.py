"""Every output pasted in README.md and docs/*.md equals a fresh run of the command its
`<!-- paste: COMMAND -->` comment names (scripts/pastes.py), up to the masks that page names: the
wall time a run reports, the machine clock's timestamps and the random ids of the state-change events
our own writes cause. `scripts/pastes.py --update` rewrites them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scripts import pastes

PASTES = pastes.collect()


@pytest.mark.slow
@pytest.mark.parametrize("paste", PASTES, ids=[f"{p.id} {p.command}" for p in PASTES])
def test_the_pasted_output_equals_a_fresh_run_of_its_command(paste: pastes.Paste) -> None:
    diff = pastes.difference(paste)

    assert diff == "", f"run `make pastes` (scripts/pastes.py --update):\n{diff}"


def test_the_docs_paste_every_output_the_issue_names() -> None:
    """The demo transcript, doctor --local, status --local, cost, replay and the e2e plan."""
    commands = {p.command.split(" | ")[0] for p in PASTES}

    assert {
        ".venv/bin/python -m autopilot demo",
        ".venv/bin/python -m autopilot doctor --local",
        ".venv/bin/python -m autopilot status churn-xgboost/1 --local",
        ".venv/bin/python -m autopilot status churn-xgboost --local",
        ".venv/bin/python -m autopilot cost",
        ".venv/bin/python -m autopilot replay events/*.json --repeat 3 --shuffle",
        ".venv/bin/python scripts/e2e_aws.py --dry-run",
    } <= commands


def test_only_wall_time_the_machine_clock_and_random_event_ids_are_masked() -> None:
    masked = pastes.mask(
        "finished in 4.6 s.\n  local-0002  SUCCEEDED  started 2026-11-30 01:04:46.994000+00:00\n"
        "  state change of churn-xgboost/7 after our write [b262c1ea] ran\n"
        "  version-registered.json [17bf578e] ran\n"
        "[Mon 09:03:00] 46 AWS writes, 2026-01-05T09:03:00Z"
    )

    assert masked == (
        "finished in <wall time> s.\n  local-0002  SUCCEEDED  started <machine clock>\n"
        "  state change of churn-xgboost/7 after our write [<event id>] ran\n"
        "  version-registered.json [17bf578e] ran\n"
        "[Mon 09:03:00] 46 AWS writes, 2026-01-05T09:03:00Z"
    )
    assert [name for name, _, _ in pastes.MASKS] == [
        "wall time",
        "machine clock",
        "event id of a state change our write caused",
    ]


def test_a_changed_paste_is_reported_as_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pastes, "_run", lambda command, expected_exit: "73 deliveries:\nAWS writes: 88\n")
    paste = pastes.Paste(
        path=pastes.ROOT / "README.md",
        line=1,
        command="true",
        expected_exit=0,
        prompt=None,
        body="73 deliveries:\nAWS writes: 87\n",
        start=0,
        end=0,
    )

    same = dataclasses.replace(paste, body="73 deliveries:\nAWS writes: 88\n")

    assert "+AWS writes: 88" in pastes.difference(paste)
    assert pastes.difference(same) == ""


def test_update_writes_nothing_when_a_command_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "PAGE.md"
    original = "<!-- paste: echo one -->\n```text\nold\n```\n\n<!-- paste: exit 3 -->\n```text\nold\n```\n"
    page.write_text(original)
    (tmp_path / "README.md").write_text("# nothing pasted\n")
    monkeypatch.setattr(pastes, "ROOT", tmp_path)
    pastes._run.cache_clear()

    with pytest.raises(pastes.PasteError, match="exited 3"):
        pastes.update(tmp_path)

    assert page.read_text() == original


def test_update_rewrites_what_changed_and_keeps_what_differs_only_in_masked_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "PAGE.md"
    page.write_text(
        "<!-- paste: echo 88; echo finished in 9.9 s -->\n```text\n$ make it\n87\nfinished in 1.0 s\n```\n\n"
        "<!-- paste: echo finished in 9.9 s -->\n```text\nfinished in 1.0 s\n```\n"
    )
    (tmp_path / "README.md").write_text("# nothing pasted\n")
    monkeypatch.setattr(pastes, "ROOT", tmp_path)
    pastes._run.cache_clear()

    changed = pastes.update(tmp_path)

    assert [p.line for p in changed] == [1]
    assert page.read_text() == (
        "<!-- paste: echo 88; echo finished in 9.9 s -->\n```text\n$ make it\n88\nfinished in 9.9 s\n```\n\n"
        "<!-- paste: echo finished in 9.9 s -->\n```text\nfinished in 1.0 s\n```\n"
    )
