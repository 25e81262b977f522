"""State machine definitions are parsed once and kept in .cache/asl/: a new process loads the parsed
program instead of parsing it again. A changed definition is never served an older one's program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autopilot.embedded import stepfunctions
from autopilot.embedded.stepfunctions import parsed_program


def _definition(state: str) -> str:
    return json.dumps({"StartAt": state, "States": {state: {"Type": "Pass", "End": True}}})


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "fresh-clone" / ".cache" / "asl"  # absent, as in a fresh clone or on CI
    monkeypatch.setattr(stepfunctions, "PROGRAM_CACHE_DIR", folder)
    monkeypatch.setattr(stepfunctions, "_PROGRAMS", {})
    return folder


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process starts with: nothing parsed in memory, the files on disk."""
    monkeypatch.setattr(stepfunctions, "_PROGRAMS", {})


def test_a_definition_is_parsed_without_a_cache_and_kept_for_the_next_process(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = parsed_program(_definition("First"))
    _new_process(monkeypatch)

    def no_parse(text: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(
        "moto.stepfunctions.parser.asl.parse.asl_parser.AmazonStateLanguageParser.parse", no_parse
    )
    loaded = parsed_program(_definition("First"))

    assert program.start_at.start_at_name == "First"
    assert loaded.start_at.start_at_name == "First"
    assert len(list(cache_dir.glob("*.pickle"))) == 1


def test_a_changed_definition_gets_its_own_program(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed_program(_definition("Before"))
    _new_process(monkeypatch)

    program = parsed_program(_definition("After"))

    assert program.start_at.start_at_name == "After"
    assert list(program.states.states) == ["After"]
    assert len(list(cache_dir.glob("*.pickle"))) == 2


def test_an_unreadable_cache_file_is_parsed_again_and_replaced(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed_program(_definition("Kept"))
    (kept,) = cache_dir.glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    _new_process(monkeypatch)

    program = parsed_program(_definition("Kept"))

    assert program.start_at.start_at_name == "Kept"
    _new_process(monkeypatch)
    assert parsed_program(_definition("Kept")).start_at.start_at_name == "Kept"


def test_a_definition_that_does_not_parse_raises_and_is_not_kept(cache_dir: Path) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    with pytest.raises(ASLParserException):
        parsed_program('{"StartAt": "Missing", "States": {"A": {"Type": "Nope"}}}')

    assert not cache_dir.exists() or not list(cache_dir.glob("*.pickle"))
