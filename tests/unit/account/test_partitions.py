"""ARNs in the account's partition, never a hard-coded `arn:aws:`.

AWS General Reference, "Amazon Resource Names (ARNs)": "arn:partition:service:region:account-id:...";
the partition is "aws" in standard Regions, "aws-cn" in the China Regions and "aws-us-gov" in AWS
GovCloud (US) (botocore's endpoint data holds the same mapping).
"""

from __future__ import annotations

import pytest

from autopilot.account.arns import partition_for_region, partition_of
from autopilot.account.doctor import Doctor, _ecr_repository_arn, _s3_arn
from autopilot.embedded.synth import shipped_config


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
    ],
)
def test_the_partition_comes_from_the_region(region: str, partition: str) -> None:
    assert partition_for_region(region) == partition


def test_the_partition_comes_from_an_arn() -> None:
    assert partition_of("arn:aws-cn:sns:cn-north-1:123456789012:topic") == "aws-cn"
    assert partition_of("not an arn") == "aws"


def test_doctor_builds_its_arns_in_the_regions_partition() -> None:
    doctor = Doctor(config=shipped_config(), client=lambda service: None, region="cn-north-1")

    assert doctor.partition == "aws-cn"
    assert (
        _s3_arn("s3://models/churn/model.tar.gz", doctor.partition)
        == "arn:aws-cn:s3:::models/churn/model.tar.gz"
    )
    image = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/xgboost:1.7-1"
    assert _ecr_repository_arn(image) == "arn:aws-cn:ecr:cn-north-1:123456789012:repository/xgboost"
    assert Doctor.is_s3("arn:aws-us-gov:s3:::bucket/key")
