"""A bucket policy that refuses plain HTTP (the stack's enforce_ssl) does not refuse the SDK's calls.

IAM User Guide, "IAM JSON policy elements: Condition operators": "Bool: Boolean matching"; AWS global
condition context keys, aws:SecureTransport: "Use this key to check whether the request was sent using
TLS." The SDK sends every call over HTTPS, so `Deny ... Bool aws:SecureTransport false` never matches
them. moto took the Bool operator as met and denied everything; the local backend evaluates it.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend

BUCKET = "policy-bucket"


def policy(secure_transport: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
                }
            ],
        }
    )


def test_given_a_deny_on_plain_http_when_the_sdk_writes_over_https_then_the_write_is_allowed(
    local_backend: LocalBackend,
) -> None:
    s3 = local_backend.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy("false"))

    s3.put_object(Bucket=BUCKET, Key="compile-waits/job/exec", Body=b"token")

    assert s3.get_object(Bucket=BUCKET, Key="compile-waits/job/exec")["Body"].read() == b"token"


def test_given_a_deny_on_https_when_the_sdk_writes_then_the_write_is_refused(
    local_backend: LocalBackend,
) -> None:
    s3 = local_backend.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy("true"))

    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
