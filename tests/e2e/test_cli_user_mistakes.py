"""Every user mistake ends with exit status 2, one line that names the file and the field (or the
setting), no traceback and no write, in every verb that reads files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autopilot.cli.inputs import MAX_INPUT_BYTES
from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded import synth

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGISTERED = EVENTS / "version-registered.json"

# The verbs that read an event file, as argv builders; `plan` runs against an account and is covered
# below for the mistakes it shares (it never gets to the account with a bad file).
FILE_VERBS: dict[str, Callable[[Path], list[str]]] = {
    "invoke": lambda path: ["invoke", "plan", str(path)],
    "replay": lambda path: ["replay", str(path)],
    "plan": lambda path: ["plan", str(path), "--region", "us-east-1"],
    "retry --local": lambda path: [
        "retry",
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/3",
        "graviton",
        "--local",
        str(path),
    ],
}


def _registered_with(**detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(REGISTERED.read_text())
    event["detail"].update(detail)
    return event


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# name -> (file content, what the one-line message must name)
MISTAKES: dict[str, tuple[bytes, str]] = {
    "binary file": (bytes(range(256)) * 4, "is not UTF-8 text"),
    "non-UTF-8 text": ('{"source": "caf\u00e9"}'.encode("latin-1"), "is not UTF-8 text"),
    "deeply nested JSON": (_nested(100_000).encode(), "nested deeper than"),
    "moderately nested JSON": (_nested(200).encode(), "nested deeper than"),
    "2 MB event": (
        json.dumps(_registered_with(ModelPackageDescription="x" * 2_000_000)).encode(),
        f"at most {MAX_INPUT_BYTES // 1024} KB",
    ),
}

# Events that describe a version SageMaker would not create: the embedded backend refuses to seed
# them as CreateModelPackage would (botocore's service model: enums, lengths, list minimums,
# patterns), and the verb says which field.
UNSEEDABLE: dict[str, tuple[dict[str, Any], str]] = {
    "an approval status AWS does not have": (
        _registered_with(ModelApprovalStatus="Maybe"),
        "ModelApprovalStatus",
    ),
    "a description over its limit": (
        _registered_with(ModelPackageDescription="d" * 1025),
        "ModelPackageDescription",
    ),
    "an empty container list": (
        _registered_with(
            InferenceSpecification={"Containers": [], "SupportedContentTypes": ["text/csv"]},
        ),
        "Containers",
    ),
    # CreateModelPackage's ModelDataUrl pattern admits s3:// and https:// only.
    "a model URL that is neither S3 nor HTTPS": (
        _registered_with(
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                        "ModelDataUrl": "gs://models/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            }
        ),
        "ModelDataUrl",
    ),
}


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_clean_line(code: int, out: str, err: str, *named: str) -> None:
    assert code == EXIT_INVALID
    assert out == ""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert len(err) < 1_000  # a 2 MB value is never echoed
    for text in named:
        assert text in lines[0]


@pytest.mark.parametrize("verb", sorted(FILE_VERBS))
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_given_a_file_that_cannot_be_an_event_when_any_verb_reads_it_then_one_line_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str, mistake: str
) -> None:
    content, named = MISTAKES[mistake]
    path = tmp_path / "event.json"
    path.write_bytes(content)

    code, out, err = _run(capsys, FILE_VERBS[verb](path))

    _assert_one_clean_line(code, out, err, str(path), named)


@pytest.mark.parametrize("verb", ["invoke", "replay", "retry --local"])
@pytest.mark.parametrize("case", sorted(UNSEEDABLE))
def test_given_an_event_describing_a_version_aws_would_not_create_when_a_local_verb_seeds_it_then_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str, case: str
) -> None:
    event, field = UNSEEDABLE[case]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))

    code, out, err = _run(capsys, FILE_VERBS[verb](path))

    _assert_one_clean_line(code, out, err, str(path), field)


INVALID_CDK_JSON = {
    "not JSON": ("{not json", "cdk.json: not JSON"),
    "no context": ('{"app": "python3 app.py"}', "cdk.json: 'context'"),
    "an invalid group name": (
        '{"context": {"autopilot": {"groups": {"bad name!": {}}}}}',
        "autopilot.groups.bad name!",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_CDK_JSON))
@pytest.mark.parametrize("argv", [["replay", str(REGISTERED)], ["invoke", "plan", str(REGISTERED)], ["demo"]])
def test_given_an_invalid_cdk_json_when_a_local_verb_runs_then_exit_2_naming_cdk_json(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    case: str,
    argv: list[str],
) -> None:
    content, named = INVALID_CDK_JSON[case]
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(content)
    monkeypatch.setattr(synth, "CDK_JSON", cdk_json)

    code, out, err = _run(capsys, argv)

    _assert_one_clean_line(code, out, err, named)


def test_given_an_invalid_watch_name_when_replaying_then_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, ["replay", str(REGISTERED), "--watch", "not a group!"])

    _assert_one_clean_line(code, out, err, "--watch 'not a group!'")


def test_invoke_offers_only_the_handlers_the_stack_deploys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["invoke", "inputs", str(REGISTERED)])

    _assert_one_clean_line(code, out, err, "unknown handler 'inputs'")
    offered = err.split("choose one of:", 1)[1]
    assert [name.strip() for name in offered.split(",")] == [
        "attach",
        "compile_watcher",
        "plan",
        "roller",
        "shadow_start",
    ]


class _ClosedPipe:
    """A stdout whose reader went away, as `| head` leaves it."""

    def write(self, _: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_given_output_piped_to_head_when_the_reader_closes_then_it_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())

    code = main(["invoke", "plan", str(REGISTERED)])

    assert code == EXIT_OK
    assert capsys.readouterr().err == ""
