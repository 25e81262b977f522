"""The EventBridge event SageMaker sends when a model package version changes.

Event shape: SageMaker Developer Guide, "Events that Amazon SageMaker sends to Amazon EventBridge",
section "Model package state change". SageMaker may send several events for one change and adds
fields over time, so unknown fields are tolerated; the fields we route on are required and typed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, Self

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from registry_autopilot.models.config import GROUP_NAME_PATTERN
from registry_autopilot.models.errors import InvalidInput

EVENT_SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"

# model-package ARN of a versioned package: .../model-package/<group>/<version>
# (SageMaker API Reference, ModelPackageSummary: ModelPackageArn pattern).
MODEL_PACKAGE_VERSION_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]{9,16}):(?P<account>[0-9]{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9][0-9]{0,9})$"
)
GROUP_NAME = GROUP_NAME_PATTERN
ACCOUNT_ID = r"^[0-9]{12}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-[0-9]$"
# ModelPackageVersion is an Integer (SageMaker API Reference, ModelPackage): 1 .. 2^31 - 1.
MAX_VERSION = 2**31 - 1
# EventBridge delivers events of at most 256 KB (PutEvents: "The maximum size for a PutEvents event
# entry is 256 KB"); anything larger did not come through a rule.
MAX_EVENT_BYTES = 256 * 1024
# "PutEvents will only process nested JSON up to 1100 levels deep" (EventBridge API Reference, PutEvents).
MAX_EVENT_DEPTH = 1100

ModelPackageStatus = Literal["Pending", "InProgress", "Completed", "Failed", "Deleting"]
ApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]


class ModelPackageStateDetail(BaseModel):
    """The `detail` of a model package state change; only the fields we route on are declared."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ModelPackageGroupName: str = Field(pattern=GROUP_NAME)
    ModelPackageVersion: StrictInt = Field(ge=1, le=MAX_VERSION)
    ModelPackageArn: str
    ModelPackageStatus: ModelPackageStatus
    ModelApprovalStatus: ApprovalStatus | None = None

    @model_validator(mode="after")
    def _arn_names_the_group(self) -> Self:
        match = MODEL_PACKAGE_VERSION_ARN.match(self.ModelPackageArn)
        if match is None:
            raise ValueError(
                f"ModelPackageArn {self.ModelPackageArn!r} is not a versioned model-package ARN "
                "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)"
            )
        # SageMaker lower-cases resource names inside ARNs, so compare without case.
        if match["group"].lower() != self.ModelPackageGroupName.lower():
            raise ValueError(
                f"ModelPackageArn names group {match['group']!r}, "
                f"but ModelPackageGroupName is {self.ModelPackageGroupName!r}"
            )
        if int(match["version"]) != self.ModelPackageVersion:
            raise ValueError(
                f"ModelPackageArn names version {match['version']}, "
                f"but ModelPackageVersion is {self.ModelPackageVersion}"
            )
        return self


class ModelPackageStateChangeEvent(EventBridgeModel):
    """`SageMaker Model Package State Change` from `aws.sagemaker`, with a typed detail."""

    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Model Package State Change"] = Field(alias="detail-type")
    account: str = Field(pattern=ACCOUNT_ID)
    region: str = Field(pattern=REGION)
    detail: ModelPackageStateDetail

    @model_validator(mode="after")
    def _arn_in_the_events_account_and_region(self) -> Self:
        # SageMaker sends a resource's events to the default bus of the resource's own account and
        # region, so a detail naming another account's or region's version was not sent by SageMaker
        # about this account: we never read or write on its word.
        match = MODEL_PACKAGE_VERSION_ARN.match(self.detail.ModelPackageArn)
        assert match is not None  # checked by the detail's own validator
        if match["account"] != self.account:
            raise ValueError(
                f"detail.ModelPackageArn is in account {match['account']}, but the event comes from "
                f"account {self.account}"
            )
        if match["region"] != self.region:
            raise ValueError(
                f"detail.ModelPackageArn is in region {match['region']}, but the event comes from "
                f"region {self.region}"
            )
        return self


def _depth(value: Any) -> int:
    """How deeply containers nest in `value` (iterative: hostile input must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _size_problem(event: Any) -> str | None:
    depth = _depth(event)
    if depth > MAX_EVENT_DEPTH:
        return (
            f"(root): the event is nested {depth} levels deep; "
            f"EventBridge processes at most {MAX_EVENT_DEPTH}"
        )
    try:
        size = len(json.dumps(event, default=str).encode())
    except (TypeError, ValueError) as exc:  # pragma: no cover - Lambda hands us parsed JSON
        return f"(root): the event is not JSON-serializable ({exc})"
    if size > MAX_EVENT_BYTES:
        return f"(root): the event is {size} bytes; EventBridge delivers at most {MAX_EVENT_BYTES} bytes"
    return None


def parse_state_change(event: Any) -> ModelPackageStateChangeEvent:
    """Validate an EventBridge event; InvalidInput names every offending field."""
    problem = _size_problem(event)
    if problem is not None:
        raise InvalidInput(problem)
    try:
        return ModelPackageStateChangeEvent.model_validate(event)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None
