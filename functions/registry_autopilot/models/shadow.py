"""What the shadow-test functions read (experiments, versions, endpoint variants, metrics) and return.

Read models follow the SageMaker API Reference (DescribeInferenceExperiment, DescribeModelPackage,
DescribeEndpointConfig); unknown response fields are ignored because responses grow over time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# DescribeInferenceExperiment.Status (SageMaker API Reference).
ExperimentStatus = Literal[
    "Creating", "Created", "Updating", "Starting", "Running", "Stopping", "Completed", "Cancelled"
]
TERMINAL_STATUSES: frozenset[str] = frozenset({"Completed", "Cancelled"})
# UpdateInferenceExperiment: "The status of the inference experiment has to be either Created, Running".
UPDATABLE_STATUSES: frozenset[str] = frozenset({"Created", "Running"})
# Every StopInferenceExperiment Reason Registry Autopilot sends starts with this; SageMaker reports it as
# the experiment's StatusReason ("the client-specified Reason from the StopInferenceExperiment API").
STOP_REASON_PREFIX = "Registry Autopilot: "


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VariantView(_Read):
    """One of the experiment's ModelVariants (ModelVariantConfig: model, name, real-time capacity)."""

    variant_name: str
    model_name: str
    instance_type: str | None = None
    instance_count: int | None = None

    @classmethod
    def from_config(cls, variant: dict[str, Any]) -> VariantView:
        realtime = (variant.get("InfrastructureConfig") or {}).get("RealTimeInferenceConfig") or {}
        return cls(
            variant_name=variant["VariantName"],
            model_name=variant["ModelName"],
            instance_type=realtime.get("InstanceType"),
            instance_count=realtime.get("InstanceCount"),
        )


class ExperimentView(_Read):
    """One inference experiment as DescribeInferenceExperiment + ListTags report it."""

    name: str
    arn: str
    status: ExperimentStatus
    start_time: datetime
    end_time: datetime
    creation_time: datetime | None = None
    completion_time: datetime | None = None
    description: str = ""
    endpoint_name: str
    source_variant: str
    shadow_variant: str
    sampling_percentage: int
    variant_names: list[str] = Field(default_factory=list)
    variants: list[VariantView] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_describe(cls, response: dict[str, Any], tags: dict[str, str]) -> ExperimentView:
        shadow_config = response["ShadowModeConfig"]
        (shadow,) = shadow_config["ShadowModelVariants"]  # ShadowModeConfig: exactly one shadow variant
        schedule = response.get("Schedule") or {}
        return cls(
            name=response["Name"],
            arn=response["Arn"],
            status=response["Status"],
            start_time=schedule["StartTime"],
            end_time=schedule["EndTime"],
            creation_time=response.get("CreationTime"),
            completion_time=response.get("CompletionTime"),
            description=response.get("Description") or "",
            endpoint_name=(response.get("EndpointMetadata") or {}).get("EndpointName", ""),
            source_variant=shadow_config["SourceModelVariantName"],
            shadow_variant=shadow["ShadowModelVariantName"],
            sampling_percentage=int(shadow["SamplingPercentage"]),
            variant_names=[variant["VariantName"] for variant in response.get("ModelVariants") or []],
            variants=[VariantView.from_config(variant) for variant in response.get("ModelVariants") or []],
            tags=tags,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def variant(self, name: str) -> VariantView | None:
        return next((item for item in self.variants if item.variant_name == name), None)


class ContainerView(_Read):
    """ModelPackageContainerDefinition: `ProductId` marks an AWS Marketplace model package."""

    Image: str | None = None
    ProductId: str | None = None


class SpecView(_Read):
    Name: str
    Containers: list[ContainerView] = Field(default_factory=list)
    SupportedRealtimeInferenceInstanceTypes: list[str] = Field(default_factory=list)


class PrimarySpecView(_Read):
    Containers: list[ContainerView] = Field(default_factory=list)
    SupportedRealtimeInferenceInstanceTypes: list[str] = Field(default_factory=list)


class ShadowVersion(_Read):
    """The parts of DescribeModelPackage the shadow start decides on."""

    ModelPackageArn: str
    ModelPackageGroupName: str | None = None
    ModelPackageVersion: int | None = None
    ModelPackageStatus: str
    ModelApprovalStatus: str | None = None
    InferenceSpecification: PrimarySpecView | None = None
    AdditionalInferenceSpecifications: list[SpecView] = Field(default_factory=list)
    CustomerMetadataProperties: dict[str, str] = Field(default_factory=dict)


class ProductionVariant(_Read):
    """The endpoint's production variant (DescribeEndpointConfig.ProductionVariants[])."""

    variant_name: str
    model_name: str
    instance_type: str
    instance_count: int


class EndpointVariantView(_Read):
    """One production variant of the endpoint's current config (DescribeEndpointConfig) and what its
    model's containers show (DescribeModel: PrimaryContainer or Containers, each with a Mode)."""

    variant_name: str
    model_name: str
    instance_type: str | None = None  # None: a serverless variant
    instance_count: int = 1
    accelerator_type: str | None = None  # Elastic Inference
    serverless: bool = False
    container_count: int = 1
    multi_model: bool = False


class EndpointView(_Read):
    """What decides whether the endpoint can take a shadow test: its production variants and whether
    its config is asynchronous (DescribeEndpointConfig.AsyncInferenceConfig)."""

    name: str
    config_name: str
    variants: list[EndpointVariantView]
    asynchronous: bool = False


class HealthReading(_Read):
    """CloudWatch endpoint invocation metrics of both variants over the roller's window
    (namespace AWS/SageMaker, dimensions EndpointName + VariantName). None: no datapoint."""

    shadow_invocations: float | None = None
    shadow_5xx: float | None = None
    shadow_latency: float | None = None  # ModelLatency average, microseconds
    production_latency: float | None = None


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StartResult(_Result):
    """What the shadow start did for one Approved event."""

    model_package_arn: str
    started: bool
    experiment: str | None = None
    model: str | None = None
    inference_specification: str | None = None  # None: the version's primary specification
    sampling_percentage: int | None = None
    superseded: list[str] = Field(default_factory=list)
    # Why AWS would refuse a shadow test of this version on the endpoint (Developer Guide, "Shadow
    # tests" > "Exclusions"); recorded on the version as autopilot:shadow:outcome = INELIGIBLE: ...
    ineligible: list[str] = Field(default_factory=list)
    reason: str


RoundOutcome = Literal[
    "updated", "concluded", "recorded", "unchanged", "skipped", "conflict", "dropped", "failed"
]


class ExperimentRound(_Result):
    experiment: str
    status: str | None = None
    outcome: RoundOutcome
    reason: str
    changes: dict[str, Any] = Field(default_factory=dict)


class RollResult(_Result):
    """One roller round: every owned experiment's outcome; `failures` counts the ones that raised."""

    experiments: list[ExperimentRound] = Field(default_factory=list)
    failures: int = 0


class ScheduledEvent(_Read):
    """EventBridge "Scheduled Event" (source aws.events, detail {}) that starts a roller round."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    source: Literal["aws.events"]
    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    time: datetime
    resources: list[str] = Field(default_factory=list)
