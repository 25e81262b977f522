"""What travels between the compile workflow's states (task inputs and outputs).

Kept small on purpose: Step Functions caps state payloads at 256 KB and charges by transition, not
size, but readable execution histories are what a person debugging a failure reads first.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry_autopilot.models.approval import ApprovalOutcome


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompileTarget(_Data):
    """One Map item: everything the per-target branch needs, computed by Plan."""

    target: str
    spec_name: str
    job_name: str
    # The branch stops polling after this instant (ISO 8601, UTC, `Z` suffix) and records a timeout.
    deadline: str
    # Selects the CreateCompilationJob state that passes InputConfig instead of ModelPackageVersionArn.
    uses_input_config: bool
    # CreateCompilationJob request without RoleArn (the state machine adds the configured role).
    request: dict[str, Any]


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


class TargetOutcome(BaseModel):
    """What one Map branch reports (built by the state machine's Pass states)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    target: str
    job_name: str
    status: TargetStatus
    artifact: str | None = None
    reason: str | None = None


class AttachInput(BaseModel):
    """Attach-and-decide's input: Plan's output with the Map results added under `results`, and the
    execution's id (`$$.Execution.Id`) for the audit keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model_package_arn: str
    group: str
    version: int
    results: list[TargetOutcome]  # empty when nothing was left to compile
    approval_status_at_start: str | None = None  # None (direct invocation): taken as the current one
    execution_id: str | None = None


class TargetNote(_Data):
    target: str
    reason: str


class AttachResult(_Data):
    model_package_arn: str
    updated: bool
    attached: list[str] = Field(default_factory=list)  # spec names added by this call
    already_attached: list[str] = Field(default_factory=list)
    failed: list[TargetNote] = Field(default_factory=list)  # recorded as FAILED on the version
    not_attached: list[TargetNote] = Field(default_factory=list)  # did not fit the 15-spec limit
    approval: ApprovalOutcome | None = None  # what the approval policy did (None: group not configured)
