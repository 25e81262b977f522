"""The compile watcher's AWS calls: the waits in S3, the jobs in SageMaker, the callback to Step
Functions (this module and `reports.py` are the only ones that read S3).

- ListCompilationJobs filters by NameContains and StatusEquals, MaxResults 1-100, NextToken; its
  summaries carry no FailureReason, artifact or image, so an ended job is described once.
- DescribeCompilationJob always returns FailureReason and ModelArtifacts; InferenceImage only for
  cloud instance targets.
- SendTaskSuccess on a token whose task has ended answers TaskTimedOut ("The task token has either
  expired or the task associated with the token has already been closed."), or TaskDoesNotExist; a
  token it does not know InvalidToken ("The provided token is not valid."; Step Functions API
  Reference, SendTaskSuccess). A token we read and Step Functions refuses means we read it wrong, so
  InvalidToken alone does not close a wait: DescribeExecution tells whether the execution still runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from registry_autopilot.adapters.clients import client, error_code
from registry_autopilot.logic.accounts import AccountAccess
from registry_autopilot.logic.compile_watch import IN_FLIGHT, JobEnd, job_ref, split_ref

LIST_PAGE_SIZE = 100  # ListCompilationJobs.MaxResults maximum
# The task no longer waits for this token: resumed already, timed out, or its execution ended.
CLOSED_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist"})
INVALID_TOKEN_CODE = "InvalidToken"
Answer = Literal["resumed", "closed", "invalid"]


class CompileWaits:
    """The wait objects under one prefix of the artifacts bucket."""

    def __init__(self, bucket: str, prefix: str, s3: Any | None = None) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._s3 = s3

    @property
    def _client(self) -> Any:
        return self._s3 or client("s3")

    def keys(self) -> list[str]:
        keys: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._prefix
        ):
            keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        return keys

    def read(self, key: str) -> tuple[str, dict[str, str]] | None:
        """The token (the body) and the metadata; None when the object is gone (another round's)."""
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except Exception as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                return None
            raise
        body = response["Body"].read(4096).decode("ascii", errors="replace")
        return body, dict(response.get("Metadata") or {})

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key)

    def set_aside(self, key: str, to_prefix: str, body: str, metadata: dict[str, str], reason: str) -> str:
        """Move an object the watcher cannot read as a wait out of the waits prefix, with the reason in
        its metadata, so that it is reported once and not in every round. The new key."""
        new_key = to_prefix + key.removeprefix(self._prefix)
        why = reason.encode("ascii", errors="replace").decode()[:512]  # S3 user metadata is ASCII
        self._client.put_object(
            Bucket=self._bucket, Key=new_key, Body=body.encode(), Metadata={**metadata, "reason": why}
        )
        self.delete(key)
        return new_key


class CompilationJobs:
    """The compilation jobs of the watcher's own account and of `accounts` (other registry accounts,
    acted in as their access roles). A job is named by its reference: `<account>/<job>` in another
    account (logic/compile_watch.job_ref)."""

    def __init__(
        self, sagemaker: Any | None = None, access: AccountAccess | None = None, accounts: Sequence[str] = ()
    ) -> None:
        self._sagemaker = sagemaker
        self._access = access
        self._accounts = tuple(accounts)

    def _client(self, account: str | None) -> Any:
        if self._sagemaker is not None:
            return self._sagemaker
        return client("sagemaker", self._access.role_for(account) if self._access else None)

    def in_flight(self, name_contains: str) -> dict[str, str]:
        """Job reference -> status of every job whose name contains `name_contains` and has not ended."""
        found: dict[str, str] = {}
        for account in (None, *self._accounts):
            found.update(self._in_flight(name_contains, account))
        return found

    def _in_flight(self, name_contains: str, account: str | None) -> dict[str, str]:
        found: dict[str, str] = {}
        paginator = self._client(account).get_paginator("list_compilation_jobs")
        for status in IN_FLIGHT:
            pages = paginator.paginate(
                NameContains=name_contains,
                StatusEquals=status,
                PaginationConfig={"PageSize": LIST_PAGE_SIZE},
            )
            for page in pages:
                for job in page.get("CompilationJobSummaries", []):
                    name = str(job["CompilationJobName"])
                    found[job_ref(name, account)] = str(job["CompilationJobStatus"])
        return found

    def end(self, ref: str) -> JobEnd | None:
        """How the job ended; None while it has not ended. A job that does not exist raises."""
        account, job_name = split_ref(ref)
        job = self._client(account).describe_compilation_job(CompilationJobName=job_name)
        status = str(job["CompilationJobStatus"])
        if status == "COMPLETED":
            artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
            return JobEnd(status=status, artifact=artifact, image=job.get("InferenceImage") or None)
        if status in {"FAILED", "STOPPED"}:
            return JobEnd(status=status, reason=str(job.get("FailureReason") or "")[:1024] or None)
        return None

    def stop(self, ref: str) -> None:
        account, job_name = split_ref(ref)
        self._client(account).stop_compilation_job(CompilationJobName=job_name)


class Callbacks:
    """Resuming the workflow executions that wait on a task token."""

    def __init__(self, stepfunctions: Any | None = None) -> None:
        self._stepfunctions = stepfunctions

    @property
    def _client(self) -> Any:
        return self._stepfunctions or client("stepfunctions")

    def resume(self, token: str, output: dict[str, Any]) -> Answer:
        """SendTaskSuccess: "resumed"; "closed" when the task no longer waits for this token;
        "invalid" when Step Functions does not know the token."""
        try:
            self._client.send_task_success(taskToken=token, output=json.dumps(output))
        except Exception as exc:
            code = error_code(exc)
            if code in CLOSED_TOKEN_CODES:
                return "closed"
            if code == INVALID_TOKEN_CODE:
                return "invalid"
            raise
        return "resumed"

    def running(self, execution_arn: str) -> bool:
        """Whether the execution still runs (DescribeExecution); one that no longer exists does not."""
        try:
            described = self._client.describe_execution(executionArn=execution_arn)
        except Exception as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                return False
            raise
        return str(described["status"]) == "RUNNING"
