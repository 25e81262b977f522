"""The user's configuration, as one typed model.

It is written as the `autopilot` object in `cdk.json` context (camelCase keys), validated at synth by
`infra/config.py`, and shipped inside the Lambda code asset as `autopilot_config.json`, so the
functions decide with exactly the configuration that was deployed. Unknown keys are errors.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

# AWS-documented limits (SageMaker API Reference).
MAX_ADDITIONAL_INFERENCE_SPECS = 15  # UpdateModelPackage: at most 15 per model version
MAX_EXPERIMENT_DAYS = 30  # InferenceExperimentSchedule: at most 30 days

# SageMaker's EntityName (1-63 chars); group, endpoint, compilation job and life-cycle names all use it
# (SageMaker API Reference: CreateModelPackageGroup, CreateEndpoint, CreateCompilationJob, ModelLifeCycle).
ENTITY_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
GROUP_NAME_PATTERN = ENTITY_NAME_PATTERN
# IAM role ARN in any partition; path allowed.
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
# Short target label: used inside spec names (<= 63 chars) and compilation job names.
TARGET_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,23}$"
ENDPOINT_NAME_PATTERN = ENTITY_NAME_PATTERN
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$"
STACK_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"
# CloudWatch Logs accepts only these retention periods (days).
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+\.[a-z0-9]+$"
# An S3 bucket (naming rules: 3-63 lower-case letters, digits, dots, hyphens) with an optional prefix.
REPORT_LOCATION_PATTERN = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^*?]*)?$"

GroupName = Annotated[str, StringConstraints(pattern=GROUP_NAME_PATTERN)]
RoleArn = Annotated[str, StringConstraints(pattern=ROLE_ARN_PATTERN)]
InstanceType = Annotated[str, StringConstraints(pattern=INSTANCE_TYPE_PATTERN)]


class _Model(BaseModel):
    # camelCase keys in cdk.json, snake_case in Python; unknown keys are errors, not silently ignored.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class TargetPlatform(_Model):
    """Neo `OutputConfig.TargetPlatform`."""

    os: Literal["LINUX", "ANDROID"]
    arch: Literal["X86_64", "X86", "ARM64", "ARM_EABI", "ARM_EABIHF"]
    accelerator: Literal["INTEL_GRAPHICS", "MALI", "NVIDIA", "NNA"] | None = None


class NeoTarget(_Model):
    """One SageMaker Neo compilation target: exactly one of `targetDevice` or `targetPlatform`."""

    # The pattern bounds letters and digits (24), not hyphens: 47 is the longest name with single
    # hyphens, and keeps `neo-<name>` within a spec name's 63 characters.
    name: Annotated[str, StringConstraints(pattern=TARGET_NAME_PATTERN, max_length=47)]
    target_device: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,40}$")] | None = None
    target_platform: TargetPlatform | None = None
    compiler_options: Annotated[str, StringConstraints(min_length=3, max_length=1024)] | None = None
    # Real-time instance types the compiled artifact can serve on; defaults from the device family.
    instance_types: list[InstanceType] | None = None

    @model_validator(mode="after")
    def _one_target_kind(self) -> Self:
        if (self.target_device is None) == (self.target_platform is None):
            raise ValueError("set exactly one of 'targetDevice' or 'targetPlatform'")
        platform = self.target_platform
        if platform and platform.accelerator == "NVIDIA" and not self.compiler_options:
            # CreateCompilationJob: NVIDIA platforms require CompilerOptions (gpu-code, trt-ver, cuda-ver).
            raise ValueError("'compilerOptions' is required when targetPlatform.accelerator is NVIDIA")
        if self.compiler_options is not None:
            try:
                json.loads(self.compiler_options)
            except json.JSONDecodeError as exc:
                raise ValueError(f"'compilerOptions' must be a JSON string: {exc.msg}") from exc
        return self


class CompileInput(_Model):
    """Builds Neo `InputConfig` from the version's primary container instead of passing
    `ModelPackageVersionArn` (needed when the version lacks framework metadata Neo can read)."""

    framework: Literal[
        "TENSORFLOW", "KERAS", "MXNET", "ONNX", "PYTORCH", "XGBOOST", "TFLITE", "DARKNET", "SKLEARN"
    ]
    framework_version: Annotated[str, StringConstraints(pattern=r"^[0-9]\.[0-9]+(\.[0-9]+)?$")] | None = None
    data_input_config: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None


class MetricCheck(_Model):
    """A threshold on a value in an evaluation report referenced from `ModelMetrics`."""

    report: Literal[
        "ModelQuality.Statistics",
        "ModelQuality.Constraints",
        "ModelDataQuality.Statistics",
        "ModelDataQuality.Constraints",
        "Bias.Report",
        "Explainability.Report",
    ] = "ModelQuality.Statistics"
    path: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
    operator: Literal["<=", ">=", "<", ">"]
    threshold: float

    @field_validator("threshold")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("threshold must be a finite number")
        return value


class CompareToApproved(_Model):
    """Reject when worse than the group's currently approved version by more than `margin`."""

    metric: MetricCheck
    margin: Annotated[float, Field(ge=0)] = 0.0


# ModelLifeCycle.Stage and .StageStatus: 1-63 chars, pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
# (SageMaker API Reference, ModelLifeCycle).
LIFECYCLE_NAME_PATTERN = ENTITY_NAME_PATTERN
LifecycleName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=LIFECYCLE_NAME_PATTERN)]


class LifecycleStage(_Model):
    """`ModelLifeCycle` written with the decision (Stage and StageStatus are required by AWS)."""

    stage: LifecycleName
    approved_status: LifecycleName = "Approved"
    rejected_status: LifecycleName = "Rejected"


class ApprovalPolicy(_Model):
    """How a compiled version is decided (auto | manual | reject-only)."""

    mode: Literal["auto", "manual", "reject-only"] = "manual"
    # Target names that must be attached before a version may be approved; "all" = every target.
    required_targets: list[str] | Literal["all"] = "all"
    metric_checks: list[MetricCheck] = Field(default_factory=list)
    compare_to_approved: CompareToApproved | None = None
    lifecycle: LifecycleStage | None = None
    # What an unusable evaluation report (missing object, access denied, not JSON, metric absent,
    # NaN/infinite, not a number) leads to in `auto` and `reject-only` modes: leave the version
    # PendingManualApproval for a person (with the reason and a notification), or reject it.
    on_unusable_report: Literal["leave-pending", "reject"] = "leave-pending"


class RolloutStep(_Model):
    sampling_percentage: Annotated[int, Field(ge=0, le=100)]
    min_dwell_minutes: Annotated[int, Field(ge=0, le=MAX_EXPERIMENT_DAYS * 24 * 60)]


class HealthGates(_Model):
    # Explicit alias: the generator would spell it `maxShadow5XxRate`, not the documented key.
    max_shadow_5xx_rate: Annotated[float | None, Field(ge=0, le=1, alias="maxShadow5xxRate")] = None
    max_latency_ratio: Annotated[float, Field(gt=0)] | None = None


class DataCapture(_Model):
    destination_s3_uri: Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9.\-]{3,63}(/.*)?$")]
    kms_key_arn: Annotated[str, StringConstraints(pattern=KMS_KEY_ARN_PATTERN)] | None = None


EntityName = Annotated[str, StringConstraints(pattern=ENTITY_NAME_PATTERN)]


class ShadowLifecycle(_Model):
    """`ModelLifeCycle` written on the version when its shadow test ends (UpdateModelPackage:
    Stage and StageStatus required, each 1-63 chars matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)."""

    stage: EntityName
    completed_status: EntityName = "ShadowTestCompleted"
    incomplete_status: EntityName = "ShadowTestIncomplete"
    superseded_status: EntityName = "ShadowTestSuperseded"


class ShadowConfig(_Model):
    """Shadow test of each approved version against the group's production endpoint."""

    endpoint_name: Annotated[str, StringConstraints(pattern=ENDPOINT_NAME_PATTERN)]
    production_variant: Annotated[str, StringConstraints(pattern=ENDPOINT_NAME_PATTERN)] = "AllTraffic"
    instance_type: InstanceType
    instance_count: Annotated[int, Field(ge=1, le=10)] = 1
    rollout_plan: Annotated[list[RolloutStep], Field(min_length=1, max_length=20)]
    duration_days: Annotated[int, Field(ge=1, le=MAX_EXPERIMENT_DAYS)] = 7
    end_action: Literal["Promote", "Remove", "Retain"] = "Remove"
    data_capture: DataCapture | None = None
    health_gates: HealthGates | None = None
    lifecycle: ShadowLifecycle | None = None

    @model_validator(mode="after")
    def _plan_fits_duration(self) -> Self:
        dwell = sum(step.min_dwell_minutes for step in self.rollout_plan)
        if dwell > self.duration_days * 24 * 60:
            raise ValueError(
                f"rolloutPlan dwell times add up to {dwell} minutes, more than durationDays "
                f"({self.duration_days} days; AWS caps an experiment at {MAX_EXPERIMENT_DAYS} days)"
            )
        return self


class GroupConfig(_Model):
    """Everything Registry Autopilot does for one model package group."""

    neo_targets: Annotated[list[NeoTarget], Field(min_length=1, max_length=MAX_ADDITIONAL_INFERENCE_SPECS)]
    compile_input: CompileInput | None = None
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    shadow: ShadowConfig | None = None

    @model_validator(mode="after")
    def _targets_consistent(self) -> Self:
        names = [target.name for target in self.neo_targets]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"neoTargets names must be unique; repeated: {', '.join(duplicates)}")
        required = self.approval.required_targets
        if required != "all":
            unknown = sorted(set(required) - set(names))
            if unknown:
                raise ValueError(f"approval.requiredTargets names unknown targets: {', '.join(unknown)}")
        return self


class AutopilotConfig(_Model):
    """The whole configuration (context key `autopilot` in cdk.json)."""

    stack_name: Annotated[str, StringConstraints(pattern=STACK_NAME_PATTERN)] = "RegistryAutopilot"
    groups: Annotated[dict[GroupName, GroupConfig], Field(min_length=1)]
    # Roles SageMaker assumes for Neo compilation jobs and for shadow models and experiments. Unset: the
    # stack creates them (infra/constructs/sagemaker_roles.py); set: the stack uses yours as they are.
    compile_role_arn: RoleArn | None = None
    experiment_role_arn: RoleArn | None = None
    # Where the watched groups' model artifacts (the versions' ModelDataUrl) live, for the roles the stack
    # owns: `s3://bucket` or `s3://bucket/prefix`. Unset: any bucket owned by the stack's account.
    model_artifact_locations: (
        Annotated[
            list[Annotated[str, StringConstraints(pattern=REPORT_LOCATION_PATTERN)]], Field(min_length=1)
        ]
        | None
    ) = None
    # The AWS account this configuration is for; `cdk synth` for another account refuses it.
    account: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")] | None = None
    # Marks the sample configuration shipped in cdk.json: local runs and tests use it, and `cdk synth`
    # for a real account refuses it (infra/deployable.py) until it is edited and this key removed.
    sample: bool = False
    create_model_package_groups: bool = False
    # Reserve concurrency for Attach, ShadowStart and Roller (docs/PERFORMANCE.md, "Bursts"). Needs an
    # account concurrency quota of at least 100 plus their sum; a fresh account may have less.
    reserve_concurrency: bool = True
    notification_email: Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)] | None = None
    log_retention_days: LogRetentionDays = 30
    roller_schedule_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    compile_max_concurrency: Annotated[int, Field(ge=1, le=15)] = 4
    compile_timeout_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 120
    # Where evaluation reports (ModelMetrics S3 URIs) may be read from: `s3://bucket` or
    # `s3://bucket/prefix`. Unset: any bucket owned by the stack's account (s3:ResourceAccount).
    evaluation_report_locations: (
        Annotated[
            list[Annotated[str, StringConstraints(pattern=REPORT_LOCATION_PATTERN)]], Field(min_length=1)
        ]
        | None
    ) = None
