"""Every AWS-facing verb resolves credentials and region as the AWS CLI does, and a setup problem is
one line with the fix and exit status 2; the event is never blamed for it.

AWS CLI user guide, "Configuring environment variables for the AWS CLI"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html): "If you specify an
option by using a parameter on the AWS CLI command line, it overrides any value from either the
corresponding environment variable or a profile in the configuration file." and "If you specify an
option by using one of the environment variables described in this topic, it overrides any value
loaded from a profile in the configuration file."

moto stands in for the account; the faults an account can answer with (an expired token, a denied
read) are the HTTP responses AWS sends, served before the request would leave the machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from autopilot.account.credentials import AwsSetupError, resolve_aws
from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGISTERED = EVENTS / "version-registered.json"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/3"

AWS_VERBS: dict[str, list[str]] = {
    "plan": ["plan", str(REGISTERED)],
    "invoke --dry-run": ["invoke", "plan", str(REGISTERED), "--dry-run"],
    "invoke --aws": ["invoke", "plan", str(REGISTERED), "--aws"],
    "retry": ["retry", "churn-xgboost/3", "graviton"],
    "status": ["status", "churn-xgboost/3"],
}


@pytest.fixture
def no_aws_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A user with no AWS configuration at all: no variables, empty config and credentials files."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookups
    return config


def _with_profile(config: Path, name: str, region: str | None = None) -> None:
    lines = [f"[profile {name}]", "aws_access_key_id = testing", "aws_secret_access_key = testing"]
    if region:
        lines.append(f"region = {region}")
    config.write_text("\n".join(lines) + "\n")


@pytest.fixture
def account(no_aws_setup: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An account (moto) holding churn-xgboost/3, reached with keys from the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        sagemaker.create_model_package_group(ModelPackageGroupName="churn-xgboost")
        spec = json.loads(REGISTERED.read_text())["detail"]["InferenceSpecification"]
        for _ in range(3):
            sagemaker.create_model_package(
                ModelPackageGroupName="churn-xgboost",
                InferenceSpecification=spec,
                ModelApprovalStatus="PendingManualApproval",
            )
        yield sagemaker


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(
    monkeypatch: pytest.MonkeyPatch, event: str, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Every boto3 session answers `event` (e.g. before-send.sts.GetCallerIdentity) with this HTTP
    response, as AWS would, instead of moto."""

    def respond(**_: Any) -> AWSResponse:
        return AWSResponse("https://aws.invalid", status, headers, _Body(body))

    real = boto3.Session

    class AnsweringSession(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.events.register_first(event, respond)

    monkeypatch.setattr(boto3, "Session", AnsweringSession)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(code: int, out: str, err: str, *named: str) -> str:
    assert code == EXIT_INVALID, err
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for text in named:
        assert text in err
    assert "rejected" not in err  # the event is not blamed
    return err


@pytest.mark.parametrize("verb", sorted(AWS_VERBS))
def test_given_no_region_anywhere_when_an_aws_verb_runs_then_one_line_says_how_to_set_one(
    capsys: pytest.CaptureFixture[str], no_aws_setup: Path, verb: str
) -> None:
    code, out, err = _run(capsys, AWS_VERBS[verb])

    _one_line(code, out, err, "no AWS region", "--region", "AWS_REGION")


@pytest.mark.parametrize("verb", sorted(AWS_VERBS))
def test_given_no_credentials_when_an_aws_verb_runs_then_one_line_says_how_to_configure_them(
    capsys: pytest.CaptureFixture[str], no_aws_setup: Path, verb: str
) -> None:
    code, out, err = _run(capsys, [*AWS_VERBS[verb], "--region", "us-east-1"])

    _one_line(code, out, err, "no AWS credentials found", "aws configure")


@pytest.mark.parametrize("verb", sorted(AWS_VERBS))
def test_given_an_unknown_profile_when_an_aws_verb_runs_then_one_line_names_it(
    capsys: pytest.CaptureFixture[str], no_aws_setup: Path, verb: str
) -> None:
    code, out, err = _run(capsys, [*AWS_VERBS[verb], "--profile", "prod", "--region", "us-east-1"])

    _one_line(code, out, err, "AWS profile 'prod' (from --profile)", "aws configure --profile prod")


def test_given_an_unknown_profile_in_aws_profile_then_the_variable_is_named(
    capsys: pytest.CaptureFixture[str], no_aws_setup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "staging")

    code, out, err = _run(capsys, AWS_VERBS["plan"])

    _one_line(code, out, err, "AWS profile 'staging' (from AWS_PROFILE)")


def test_the_region_comes_from_the_option_then_aws_region_then_aws_default_region_then_the_profile(
    no_aws_setup: Path,
) -> None:
    _with_profile(no_aws_setup, "prod", region="ap-south-1")
    everything = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}

    def region(option: str | None, environ: dict[str, str]) -> str:
        return resolve_aws("prod", option, environ=environ, verify=False).region

    assert region("eu-central-1", everything) == "eu-central-1"
    assert region(None, everything) == "eu-west-1"
    assert region(None, {"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert region(None, {}) == "ap-south-1"


def test_the_profile_comes_from_the_option_then_aws_profile(no_aws_setup: Path) -> None:
    _with_profile(no_aws_setup, "prod", region="ap-south-1")

    assert resolve_aws(None, None, environ={"AWS_PROFILE": "prod"}, verify=False).profile == "prod"
    with pytest.raises(AwsSetupError, match="'other' \\(from --profile\\)"):
        resolve_aws("other", None, environ={"AWS_PROFILE": "prod"}, verify=False)


def test_a_region_name_that_is_not_one_is_refused_before_any_call(no_aws_setup: Path) -> None:
    _with_profile(no_aws_setup, "prod")

    with pytest.raises(AwsSetupError, match="'useast1' \\(from --region\\) is not an AWS region"):
        resolve_aws("prod", "useast1", verify=False)


def test_given_aws_region_alone_when_planning_then_the_plan_runs_in_that_region(
    capsys: pytest.CaptureFixture[str], account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    code, out, _ = _run(capsys, ["plan", str(REGISTERED)])

    assert code == EXIT_OK
    assert "writes it would make: 0" in out


def test_plan_with_json_writes_only_the_json_document_to_stdout(
    capsys: pytest.CaptureFixture[str], account: Any
) -> None:
    """Powertools' log lines and metrics (EMF) go to stdout in Lambda; here they stay off it."""
    code, out, _ = _run(capsys, ["plan", str(REGISTERED), "--region", "us-east-1", "--json"])

    assert code == EXIT_OK
    assert json.loads(out)["runs"][0]["handler"] == "plan"


def test_given_expired_credentials_when_planning_then_one_line_says_to_refresh_them(
    capsys: pytest.CaptureFixture[str], account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>ExpiredToken</Code><Message>The security token included in the request is expired"
        b"</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
    _answer(monkeypatch, "before-send.sts.GetCallerIdentity", 403, body, {})

    code, out, err = _run(capsys, ["plan", str(REGISTERED), "--region", "us-east-1"])

    _one_line(code, out, err, "AWS credentials expired (ExpiredToken", "aws sso login")


def test_given_a_denied_read_when_planning_then_one_line_names_the_operation(
    capsys: pytest.CaptureFixture[str], account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(
        {"__type": "AccessDeniedException", "Message": "not authorized: sagemaker:DescribeModelPackage"}
    ).encode()
    headers = {"x-amzn-ErrorType": "AccessDeniedException"}
    _answer(monkeypatch, "before-send.sagemaker.DescribeModelPackage", 400, body, headers)

    code, out, err = _run(capsys, ["plan", str(REGISTERED), "--region", "us-east-1"])

    _one_line(code, out, err, "access denied: DescribeModelPackage (AccessDeniedException; account ")


AnswerFactory = Callable[..., None]
