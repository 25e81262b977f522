"""`make bench` rows `cli invoke plan / import` and `cli replay one event / import`: each command runs
as a user runs it (a fresh process, exit status 0 or the measurement fails), against the floor
`python -c "import boto3, moto"`. `python -m bench --only cli` measures these rows alone."""

from __future__ import annotations

import pytest

from bench.__main__ import main as bench_main
from bench.cli import COMMANDS, FLOOR, GOALS, CliTimes, measure_cli
from bench.run import cli_rows


def test_the_cli_rows_time_both_commands_against_the_import_floor() -> None:
    times = measure_cli(runs=1)

    assert set(times.commands) == set(GOALS) == {"cli invoke plan / import", "cli replay one event / import"}
    assert len(times.floor) == 1
    for name in COMMANDS:
        assert len(times.commands[name]) == 1
        assert times.ratio(name) > 1  # each does the import and more


def test_the_goals_are_the_issues_and_the_floor_imports_boto3_and_moto() -> None:
    assert GOALS == {"cli invoke plan / import": 1.6, "cli replay one event / import": 2.5}
    assert FLOOR[1:] == ["-c", "import boto3, moto"]
    assert [argv[2:4] for argv in COMMANDS.values()] == [["autopilot", "invoke"], ["autopilot", "replay"]]


@pytest.mark.parametrize(
    ("seconds", "verdict"),
    [((1.6, 2.5), "met"), ((1.61, 2.51), "MISSED")],
)
def test_a_row_is_met_only_at_or_under_its_goal(seconds: tuple[float, float], verdict: str) -> None:
    invoke, replay = seconds
    times = CliTimes(
        runs=1,
        floor=[1.0],
        commands={"cli invoke plan / import": [invoke], "cli replay one event / import": [replay]},
    )

    rows = cli_rows(times)

    assert [row[4] for row in rows] == [verdict, verdict]
    assert [row[3] for row in rows] == ["<= 1.6x", "<= 2.5x"]


def test_bench_only_cli_prints_the_two_rows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    measured = CliTimes(runs=3, floor=[0.3], commands={name: [0.6] for name in GOALS})
    monkeypatch.setattr("bench.cli.measure_cli", lambda runs: measured)

    assert bench_main(["--only", "cli", "--import-runs", "3"]) == 0

    out = capsys.readouterr().out
    assert "cli invoke plan / import (median of 3)" in out
    assert "cli replay one event / import (median of 3)" in out
    assert "2.00x: 0.60 s; import boto3, moto 0.30 s" in out
