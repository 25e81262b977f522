"""The EventBridge event SageMaker sends when a model package version changes.

Event shape: SageMaker Developer Guide, "Events that Amazon SageMaker sends to Amazon EventBridge",
section "Model package state change". SageMaker may send several events for one change and adds
fields over time, so unknown fields are tolerated; the fields we route on are required and typed.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from registry_autopilot.models.errors import InvalidInput

EVENT_SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"

# model-package ARN of a versioned package: .../model-package/<group>/<version>
# (SageMaker API Reference, ModelPackageSummary: ModelPackageArn pattern).
MODEL_PACKAGE_VERSION_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]{9,16}):(?P<account>[0-9]{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[0-9]+)$"
)
GROUP_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"

ModelPackageStatus = Literal["Pending", "InProgress", "Completed", "Failed", "Deleting"]
ApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]


class ModelPackageStateDetail(BaseModel):
    """The `detail` of a model package state change; only the fields we route on are declared."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ModelPackageGroupName: str = Field(pattern=GROUP_NAME)
    ModelPackageVersion: int = Field(ge=1)
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
    detail: ModelPackageStateDetail


def parse_state_change(event: Any) -> ModelPackageStateChangeEvent:
    """Validate an EventBridge event; InvalidInput names every offending field."""
    try:
        return ModelPackageStateChangeEvent.model_validate(event)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None
