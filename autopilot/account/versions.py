"""A model package version named the way users have it: its ARN, or `GROUP/VERSION`.

`plan`, `status`, `retry` and `invoke --dry-run/--aws` take either instead of an exported event:

    ref = parse_version_ref("arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3")
    target = target_for(ref, args.profile, args.region)   # the ARN's region when none is configured
    event = version_event(target, ref)                     # DescribeModelPackage -> the state change

The event is the one SageMaker sends when a version's status changes (SageMaker Developer Guide,
"Events that Amazon SageMaker AI sends to Amazon EventBridge", SageMaker model package state change,
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html): source
`aws.sagemaker`, detail-type `SageMaker Model Package State Change`, the version's ARN in
`resources`, and the version's description as `detail` with times in epoch milliseconds.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from autopilot.account.credentials import AwsSetupError, AwsTarget, aws_errors, resolve_aws
from autopilot.errors import InvalidInput

VERSION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$"
)
GROUP_VERSION = re.compile(r"^(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$")
EXPECTED = (
    "expected a model package version ARN (arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION) "
    "or GROUP/VERSION"
)


@dataclass(frozen=True)
class VersionRef:
    group: str
    version: int
    partition: str | None = None  # None for GROUP/VERSION: the resolved account and region name it
    region: str | None = None
    account: str | None = None

    def arn(self, target: AwsTarget | None = None) -> str:
        """The version's ARN; for GROUP/VERSION in `target`'s account and region."""
        region = self.region or (target.region if target else None)
        account = self.account or (target.account if target else None)
        if not region or not account:
            raise InvalidInput(f"{self.group}/{self.version}: no account or region to name it in")
        partition = self.partition or _partition(region)
        return f"arn:{partition}:sagemaker:{region}:{account}:model-package/{self.group}/{self.version}"


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_version_ref(text: str) -> VersionRef | None:
    """The version `text` names, or None when it names none (e.g. a file path)."""
    match = VERSION_ARN.match(text)
    if match:
        return VersionRef(
            match["group"], int(match["version"]), match["partition"], match["region"], match["account"]
        )
    match = GROUP_VERSION.match(text)
    if match:
        return VersionRef(match["group"], int(match["version"]))
    return None


def require_version_ref(text: str, what: str = "VERSION_ARN") -> VersionRef:
    ref = parse_version_ref(text)
    if ref is None:
        raise InvalidInput(f"{what} {text!r}: {EXPECTED}")
    return ref


def target_for(ref: VersionRef, profile: str | None, region: str | None) -> AwsTarget:
    """The account to read `ref` in: credentials and region as the AWS CLI resolves them, and, when no
    region is configured anywhere, the ARN's. A configured region other than the ARN's is refused:
    the version lives in the ARN's region and a client of another cannot describe it. (Another
    account is not refused: a group's resource policy can share its versions across accounts.)"""
    target = resolve_aws(profile, region, default_region=ref.region)
    if ref.region and target.region != ref.region:
        raise AwsSetupError(
            f"the version is in {ref.region} (its ARN) but the region resolved is {target.region}: "
            f"pass --region {ref.region}"
        )
    return target


def client_factory(target: AwsTarget) -> Any:
    """One client per service for `target` (the ClientFactory the status reader takes)."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = target.client(service)
        return clients[service]

    return client


def _millis(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {key: _millis(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_millis(item) for item in value]
    return value


def state_change_event(described: dict[str, Any], arn: str) -> dict[str, Any]:
    """The `SageMaker Model Package State Change` event for the version's current state."""
    match = VERSION_ARN.match(arn)
    if match is None:
        raise InvalidInput(f"{arn}: {EXPECTED}")
    detail = _millis({k: v for k, v in described.items() if k != "ResponseMetadata"})
    detail["ModelPackageArn"] = arn
    modified = described.get("LastModifiedTime") or described.get("CreationTime") or datetime.now(UTC)
    detail.setdefault("LastModifiedTime", _millis(modified))  # a version never updated carries none
    return state_change_envelope(
        arn=arn, account=match["account"], region=match["region"], modified=modified, detail=detail
    )


def state_change_envelope(
    *, arn: str, account: str, region: str, modified: datetime, detail: dict[str, Any]
) -> dict[str, Any]:
    """The `SageMaker Model Package State Change` event of version `arn` (in `account` and `region`)
    carrying `detail`, as of `modified`: the same state of the version gives the same id."""
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{modified.isoformat()}")),
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [arn],
        "detail": detail,
    }


def describe_version(sagemaker: Any, arn: str, *, argument: str = "") -> dict[str, Any]:
    """DescribeModelPackage of `arn`; InvalidInput naming it (and the verb's `argument`, when given)
    when the account holds no such version."""
    from botocore.exceptions import ClientError

    try:
        return dict(sagemaker.describe_model_package(ModelPackageName=arn))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("ValidationException", "ResourceNotFound", "ResourceNotFoundException"):
            named = f"{argument} {arn}" if argument else arn
            raise InvalidInput(f"{named}: no such model package version ({code})") from None
        raise


def version_event(target: AwsTarget, ref: VersionRef) -> dict[str, Any]:
    """The state-change event built from what the account holds about `ref` (one read)."""
    arn = ref.arn(target)
    with aws_errors(target):
        described = describe_version(target.client("sagemaker"), arn)
    return state_change_event(described, arn)
