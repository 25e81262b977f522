"""`make bench` rows `cli invoke plan / import` and `cli replay one event / import`: each command runs
as a user runs it (a fresh process, exit status 0 or the measurement fails), against the floor
`python -c "import boto3, moto"`."""

from __future__ import annotations

from bench.cli import COMMANDS, GOALS, measure_cli


def test_the_cli_rows_time_both_commands_against_the_import_floor() -> None:
    times = measure_cli(runs=1)

    assert set(times.commands) == set(GOALS) == {"cli invoke plan / import", "cli replay one event / import"}
    assert len(times.floor) == 1
    for name in COMMANDS:
        assert len(times.commands[name]) == 1
        assert times.ratio(name) > 1  # each does the import and more
