"""What travels between the compile workflow's states (task inputs and outputs).

Kept small on purpose: Step Functions caps state payloads at 256 KB and charges by transition, not
size, but readable execution histories are what a person debugging a failure reads first.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    """Attach's input: Plan's output with the Map results added under `results`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model_package_arn: str
    group: str
    version: int
    results: list[TargetOutcome]


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
