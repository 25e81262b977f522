"""What travels between the compile workflow's states (task inputs and outputs).

Kept small on purpose: Step Functions caps state payloads at 256 KB and charges by transition, not
size, but readable execution histories are what a person debugging a failure reads first.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from registry_autopilot.models.approval import ApprovalOutcome
from registry_autopilot.models.config import ENTITY_NAME_PATTERN
from registry_autopilot.models.events import (
    GROUP_NAME,
    MAX_VERSION,
    MODEL_PACKAGE_VERSION_ARN,
    ApprovalStatus,
)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompileTarget(_Data):
    """One Map item: everything the per-target branch needs, computed by Plan."""

    target: str
    spec_name: str
    job_name: str
    # The compile watcher stops the job still running at this instant (ISO 8601, UTC, `Z` suffix) and
    # reports a timeout.
    deadline: str
    # Selects the CreateCompilationJob state that passes InputConfig instead of ModelPackageVersionArn.
    uses_input_config: bool
    # CreateCompilationJob request without RoleArn (the state machine adds the configured role).
    request: dict[str, Any]
    # The job's name in its wait's key: `<account>/<job>` when it runs in another account (the compile
    # watcher describes it there), else the job's name.
    wait_job: str = ""
    # A version in another account (docs/ACCOUNTS.md): the job is created there, as that account's
    # access role (the task's Credentials), with its Neo role; None in the automation account.
    access_role_arn: str | None = None
    neo_role_arn: str | None = None


class SkippedTarget(_Data):
    target: str
    reason: str


class PlanResult(_Data):
    """Plan's output, which becomes the state machine's data from then on."""

    model_package_arn: str
    group: str
    version: int
    has_work: bool
    targets: list[CompileTarget] = Field(default_factory=list)
    skipped: list[SkippedTarget] = Field(default_factory=list)
    # Why the whole version was skipped (Logged registration, not watched, ...), if it was.
    reason: str | None = None
    # ModelApprovalStatus when the workflow started: the decision step compares it with the status it
    # reads just before writing, so a person's decision made meanwhile is never overwritten.
    approval_status_at_start: str | None = None
    # The approval policy still has to decide this version (even when nothing is left to compile).
    needs_decision: bool = False


TargetStatus = Literal["COMPLETED", "FAILED", "TIMED_OUT"]


# A serving image in an ECR repository (DescribeCompilationJob.InferenceImage).
ECR_IMAGE = (
    r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+"
    r"(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})$"
)


class TargetOutcome(BaseModel):
    """What one Map branch reports: the compile watcher's report of how the target's job ended
    (SendTaskSuccess output), or the state machine's record when the job could not be created or no
    report came."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    target: str = Field(min_length=1, max_length=64)
    job_name: str = Field(pattern=ENTITY_NAME_PATTERN)  # CreateCompilationJob.CompilationJobName
    status: TargetStatus
    # COMPLETED: ModelArtifacts.S3ModelArtifacts and InferenceImage, as DescribeCompilationJob gave them.
    artifact: str | None = Field(default=None, pattern=r"^s3://", max_length=1024)
    image: str | None = Field(default=None, pattern=ECR_IMAGE, max_length=255)
    reason: str | None = None


class AttachInput(BaseModel):
    """Attach-and-decide's input: Plan's output with the Map results added under `results`, and the
    execution's id (`$$.Execution.Id`) for the audit keys. Checked as strictly as an event: the step
    writes to the version it names."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model_package_arn: str
    group: str = Field(pattern=GROUP_NAME)
    version: StrictInt = Field(ge=1, le=MAX_VERSION)
    results: list[TargetOutcome] = Field(max_length=64)  # empty when nothing was left to compile
    approval_status_at_start: ApprovalStatus | None = None  # None (direct invocation): the current one
    execution_id: str | None = Field(default=None, max_length=2048)

    @model_validator(mode="after")
    def _one_version_one_outcome_per_target(self) -> Self:
        match = MODEL_PACKAGE_VERSION_ARN.match(self.model_package_arn)
        if match is None:
            raise ValueError(
                f"model_package_arn {self.model_package_arn!r} is not a versioned model-package ARN"
            )
        if match["group"].lower() != self.group.lower() or int(match["version"]) != self.version:
            raise ValueError(
                f"model_package_arn names {match['group']}/{match['version']}, "
                f"but group/version is {self.group}/{self.version}"
            )
        targets = [outcome.target for outcome in self.results]
        duplicates = sorted({target for target in targets if targets.count(target) > 1})
        if duplicates:
            raise ValueError(f"results list target(s) {', '.join(duplicates)} more than once")
        return self


class TargetNote(_Data):
    target: str
    reason: str


class AttachResult(_Data):
    model_package_arn: str
    updated: bool
    attached: list[str] = Field(default_factory=list)  # spec names added by this call
    already_attached: list[str] = Field(default_factory=list)
    failed: list[TargetNote] = Field(default_factory=list)  # recorded as FAILED on the version
    # Compiled but not attached: over the 15-spec limit, or no serving image for a cloud target.
    not_attached: list[TargetNote] = Field(default_factory=list)
    # Compiled for a target no SageMaker endpoint serves: the artifact's URI, recorded on the version.
    recorded: list[TargetNote] = Field(default_factory=list)
    approval: ApprovalOutcome | None = None  # what the approval policy did (None: group not configured)
