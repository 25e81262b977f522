"""The e2e world's clean-up at the real account's edges, on moto's S3 and SageMaker (LocalBackend).

- DeleteEndpoint (SageMaker API Reference) is asynchronous and "Do not delete or revoke the permissions
  for your ExecutionRoleArn, otherwise SageMaker cannot delete these resources": the stack that owns the
  role is kept until the endpoint is gone.
- InferenceExperiment Status "Creating | Created | Updating | Running | Starting | Stopping | Completed
  | Cancelled" (botocore's model): one still Creating is waited for, never reported deleted.
- ListObjectVersions and ListInferenceExperiments page (NextToken / MaxResults): every page is read.
- DeleteBucket: "All objects (including all object versions and delete markers) in the bucket must be
  deleted before the bucket itself can be deleted" (S3 API Reference); late objects are emptied again.
- A recorded resource that no longer exists is done ("already gone"), never refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.e2e import world
from autopilot.e2e.world import Resource, ResourceRecord, StillBusy, cleanup, world_name
from autopilot.embedded.backend import LocalBackend

WORLD = "edges1"


class Account:
    """The world's Account on the local backend (no stack deployment here)."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.account_id = backend.account_id
        self.region = backend.region
        self.deleted_stacks: list[str] = []

    def client(self, service: str) -> Any:
        return self.backend.client(service)

    def deploy(self, config: Any) -> dict[str, str]:
        raise NotImplementedError

    def delete_stack(self, name: str) -> None:
        self.deleted_stacks.append(name)


@pytest.fixture
def account() -> Iterator[Account]:
    with LocalBackend() as backend:
        yield Account(backend)


def record(tmp_path: Path, account: Account, *resources: tuple[str, str]) -> ResourceRecord:
    kept = ResourceRecord(tmp_path / "resources.json", WORLD, account.account_id, account.region)
    for kind, name in resources:
        kept.add(kind, name)
    return kept


def test_a_recorded_bucket_that_no_longer_exists_is_done_not_refused(
    tmp_path: Path, account: Account
) -> None:
    kept = record(tmp_path, account, ("bucket", f"{world_name(WORLD)}-{account.account_id}"))

    report = cleanup(account, kept)

    assert report.ok
    assert report.deleted == [f"bucket {world_name(WORLD)}-{account.account_id} (already gone)"]
    assert ResourceRecord.load(kept.path).resources == []


def test_a_versioned_bucket_with_more_than_one_page_and_late_objects_is_emptied_and_deleted(
    tmp_path: Path, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = account.client("s3")
    bucket = f"{world_name(WORLD)}-{account.account_id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": world.TAG_KEY, "Value": WORLD}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for index in range(1100):  # ListObjectVersions returns at most 1000 per page
        s3.put_object(Bucket=bucket, Key=f"k{index % 3}", Body=b"x")
    real_delete_bucket = s3.delete_bucket.__func__
    late = {"done": False}

    def access_log_arrives_first(self: Any, **kwargs: Any) -> Any:
        if not late["done"]:
            late["done"] = True
            self.put_object(Bucket=bucket, Key="logs/late", Body=b"log")
        return real_delete_bucket(self, **kwargs)

    monkeypatch.setattr(type(s3), "delete_bucket", access_log_arrives_first)
    monkeypatch.setattr(
        account, "client", lambda service: s3 if service == "s3" else account.backend.client(service)
    )

    report = cleanup(account, record(tmp_path, account, ("bucket", bucket)))

    assert report.ok, report.failed
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


class Endpoints:
    """SageMaker whose DeleteEndpoint takes `rounds` describes to finish (as in AWS: asynchronous)."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.deleted = False

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        if self.deleted and self.rounds <= 0:
            error = {
                "Error": {
                    "Code": "ValidationException",
                    "Message": f"Could not find endpoint {EndpointName}.",
                }
            }
            raise ClientError(error, "DescribeEndpoint")
        if self.deleted:
            self.rounds -= 1
            return {"EndpointStatus": "Deleting"}
        return {"EndpointStatus": "InService"}

    def delete_endpoint(self, EndpointName: str) -> None:
        self.deleted = True


def test_an_endpoint_is_waited_for_until_gone_after_delete_endpoint() -> None:
    sagemaker = Endpoints(rounds=2)
    sagemaker.delete_endpoint(EndpointName="e")

    world._endpoint_gone(sagemaker, "e", timeout_seconds=5, poll_seconds=0)

    assert sagemaker.rounds == 0


def test_an_endpoint_still_deleting_at_the_deadline_is_still_busy() -> None:
    sagemaker = Endpoints(rounds=10**9)
    sagemaker.delete_endpoint(EndpointName="e")

    with pytest.raises(StillBusy, match="still Deleting"):
        world._endpoint_gone(sagemaker, "e", timeout_seconds=0, poll_seconds=0)


def test_the_stack_that_owns_the_endpoints_role_is_kept_while_the_endpoint_remains(
    tmp_path: Path, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, stack = f"{world_name(WORLD)}-prod", f"AutopilotE2e-{WORLD}"
    monkeypatch.setattr(world, "check_owned", lambda *args: None)

    def still_deleting(acct: Any, resource: Resource) -> None:
        if resource.kind == "endpoint":
            raise StillBusy(f"endpoint {resource.name} still Deleting")
        if resource.kind == "stack":
            acct.delete_stack(resource.name)

    monkeypatch.setattr(world, "_delete", still_deleting)

    report = cleanup(account, record(tmp_path, account, ("endpoint", endpoint), ("stack", stack)))

    assert account.deleted_stacks == []
    assert f"stack {stack}: kept until endpoint {endpoint} is gone" in report.failed
    assert {r.kind for r in ResourceRecord.load(tmp_path / "resources.json").resources} == {
        "endpoint",
        "stack",
    }


class Experiments:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.stopped = False

    def describe_inference_experiment(self, Name: str) -> dict[str, Any]:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {
            "Status": status,
            "ModelVariants": [{"VariantName": "AllTraffic"}, {"VariantName": "shadow-v1"}],
            "ShadowModeConfig": {"SourceModelVariantName": "AllTraffic"},
        }

    def stop_inference_experiment(self, **kwargs: Any) -> None:
        self.stopped = True


def test_an_experiment_still_creating_is_never_reported_deleted(
    tmp_path: Path, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiments = Experiments(["Creating"])
    monkeypatch.setattr(world, "check_owned", lambda *args: None)
    monkeypatch.setattr(account, "client", lambda service: experiments)
    monkeypatch.setattr(world, "EXPERIMENT_WAIT_SECONDS", 0.0)
    monkeypatch.setattr(world, "EXPERIMENT_POLL_SECONDS", 0.0)

    report = cleanup(account, record(tmp_path, account, ("experiment", f"autopilot-{world_name(WORLD)}-v1")))

    assert report.deleted == []
    assert report.failed
    assert "still Creating" in report.failed[0]
    assert experiments.stopped is False


def test_an_experiment_that_leaves_creating_is_then_stopped() -> None:
    experiments = Experiments(["Creating", "Created"])

    described = world._experiment_settled(experiments, "x", 5, 0)

    assert described["Status"] == "Created"


def test_a_retained_key_without_the_worlds_tag_is_deleted_when_the_worlds_stack_listed_it(
    tmp_path: Path, account: Account
) -> None:
    """CloudFormation resource tagging: "The propagation of stack-level tags to resources, including
    tags with the aws: prefix, varies by resource type." A retained key recorded from the world's own
    stack (DescribeStackResources) is the world's even if `cdk deploy --tags` did not reach it; an
    untagged key with no such provenance is refused."""
    kms = account.client("kms")
    listed = kms.create_key()["KeyMetadata"]["KeyId"]
    stranger = kms.create_key()["KeyMetadata"]["KeyId"]
    kept = record(tmp_path, account)
    kept.add("kms-key", listed, stack=f"AutopilotE2e-{WORLD}-222222222222")
    kept.add("kms-key", stranger)

    report = cleanup(account, kept)

    assert report.deleted == [f"kms-key {listed}"]
    assert report.refused == [f"kms-key {stranger}: not tagged autopilot-e2e={WORLD}"]
    assert kms.describe_key(KeyId=listed)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=stranger)["KeyMetadata"]["KeyState"] == "Enabled"
