"""Evaluation reports in S3 (the only module that reads S3).

A report that cannot be used is an answer, not an exception: the policy turns it into an UNUSABLE
check with the reason in the approval description. Only errors that a later attempt may not see
(throttling, S3 5xx after botocore's retries) raise `ReportTemporarilyUnavailable`, which the state
machine retries a bounded number of times.

S3 error codes (Amazon S3 API Reference, "Error responses"; GetObject): NoSuchKey, NoSuchBucket,
AccessDenied (also what a missing object answers without s3:ListBucket, and what an SSE-KMS object
answers without kms:Decrypt), InvalidObjectState (archived), InvalidBucketName.
"""

from __future__ import annotations

import json
import re
from typing import Any

from registry_autopilot.adapters.clients import client, error_code
from registry_autopilot.models.approval import ReportRead

MAX_REPORT_BYTES = 5 * 1024 * 1024  # an evaluation report is small; a larger object is not one
S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>.+)$")
UNREADABLE = {
    "NoSuchKey": "the object does not exist",
    "NoSuchBucket": "the bucket does not exist",
    "AccessDenied": "access denied (the object is missing, or the function may not read it or its KMS key)",
    "403": "access denied",
    "404": "the object does not exist",
    "InvalidObjectState": "the object is archived",
    "InvalidBucketName": "not a valid bucket name",
    "AllAccessDisabled": "access to the bucket is disabled",
}


class ReportTemporarilyUnavailable(RuntimeError):
    """S3 did not answer usefully after botocore's retries; the step may be retried."""


class EvaluationReports:
    """Reports are read in the version's account: as its access role when `role_arn` is given (a
    version in another account; docs/ACCOUNTS.md)."""

    def __init__(self, s3: Any | None = None, role_arn: str | None = None) -> None:
        self._s3 = s3
        self._role_arn = role_arn

    @property
    def _client(self) -> Any:
        return self._s3 or client("s3", self._role_arn)

    def read(self, uri: str) -> ReportRead:
        match = S3_URI.match(uri)
        if match is None:
            return ReportRead(uri=uri, error=f"{uri} is not an s3://bucket/key URI")
        try:
            response = self._client.get_object(Bucket=match["bucket"], Key=match["key"])
        except Exception as exc:
            code = error_code(exc)
            if code in UNREADABLE:
                return ReportRead(uri=uri, error=f"{uri} cannot be read: {UNREADABLE[code]} ({code})")
            if code:
                raise ReportTemporarilyUnavailable(f"{uri}: {code}: {exc}") from exc
            raise
        if int(response.get("ContentLength") or 0) > MAX_REPORT_BYTES:
            return ReportRead(uri=uri, error=f"{uri} is larger than {MAX_REPORT_BYTES} bytes")
        body = response["Body"].read(MAX_REPORT_BYTES + 1)
        try:
            # json accepts NaN and Infinity literals; the policy reports them as not finite.
            document = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return ReportRead(uri=uri, error=f"{uri} is not UTF-8 text")
        except json.JSONDecodeError as exc:
            return ReportRead(uri=uri, error=f"{uri} is not JSON ({exc.msg} at line {exc.lineno})")
        return ReportRead(uri=uri, document=document)
