"""The partition of an account's ARNs, from its region or from an ARN, never assumed to be `aws`.

An ARN's second field is the partition: "aws" for standard Regions, "aws-cn" for the China Regions,
"aws-us-gov" for AWS GovCloud (US) (IAM User Guide, "IAM ARNs"; AWS General Reference, "Amazon Resource
Names (ARNs)": "arn:partition:service:region:account-id:..."). botocore's endpoint data maps a region to
its partition.
"""

from __future__ import annotations

from functools import lru_cache

from registry_autopilot.logic.accounts import PARTITION_PREFIXES as _PREFIXES
from registry_autopilot.logic.accounts import partition_of_arn


@lru_cache(maxsize=32)
def partition_for_region(region: str) -> str:
    """`aws`, `aws-cn`, `aws-us-gov`, ... for `region` (botocore's endpoint data, else its prefix)."""
    try:
        import botocore.session

        found = botocore.session.get_session().get_partition_for_region(region)
        if found:
            return str(found)
    except Exception:  # an unknown region: its prefix says the partition
        pass
    return next((partition for prefix, partition in _PREFIXES if region.startswith(prefix)), "aws")


def partition_of(arn: str, default: str = "aws") -> str:
    """The partition field of `arn` (`default` when it is not an ARN)."""
    return partition_of_arn(arn, default)
