"""The user's configuration, as one typed model.

It is written as the `autopilot` object in `cdk.json` context (camelCase keys), validated at synth by
`infra/config.py`, and shipped inside the Lambda code asset as `autopilot_config.json`, so the
functions decide with exactly the configuration that was deployed. Unknown keys are errors.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Literal, Self, TypeGuard

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

# AWS-documented limits (SageMaker API Reference).
MAX_ADDITIONAL_INFERENCE_SPECS = 15  # UpdateModelPackage: at most 15 per model version
MAX_EXPERIMENT_DAYS = 30  # InferenceExperimentSchedule: at most 30 days
# CreateCompilationJob StoppingCondition.MaxRuntimeInSeconds: "For compilation jobs, if the job does not
# complete during this time, a TimeOut error is generated. We recommend starting with 900 seconds and
# increasing as necessary based on your model." (SageMaker API Reference, StoppingCondition). Our upper
# bound is the longest workflow deadline (compileTimeoutMinutes <= 1440), which must outlive the job.
DEFAULT_COMPILE_MAX_RUNTIME_SECONDS = 900
MAX_COMPILE_RUNTIME_SECONDS = 24 * 60 * 60

# InputConfig (SageMaker API Reference): "FrameworkVersion ... This API field is only supported for the
# MXNet, PyTorch, TensorFlow and TensorFlow Lite frameworks."
FRAMEWORKS_WITH_VERSION = frozenset({"MXNET", "PYTORCH", "TENSORFLOW", "TFLITE"})
# InputConfig.DataInputConfig: "TensorFlow: You must specify the name and shape", "KERAS: You must
# specify ...", "MXNET/ONNX/DARKNET: You must specify ..."; "XGBOOST: input data name and shape are not
# needed". PyTorch: required unless Neo derives it (PyTorch 2.0 or later, cloud instance targets only).
FRAMEWORKS_REQUIRING_DATA_INPUT = frozenset({"TENSORFLOW", "KERAS", "MXNET", "ONNX", "DARKNET"})

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
# The start of a SageMaker name (groupNamePrefix, endpointNamePrefix): 1-62 characters of an EntityName,
# which may end in a hyphen ("team-") because more of the name follows.
NAME_PREFIX_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,61}$"
# CloudWatch Logs accepts only these retention periods (days).
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+\.[a-z0-9]+$"
# An S3 bucket (naming rules: 3-63 lower-case letters, digits, dots, hyphens) with an optional prefix.
REPORT_LOCATION_PATTERN = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^*?]*)?$"

GroupName = Annotated[str, StringConstraints(pattern=GROUP_NAME_PATTERN)]
CompileRuntimeSeconds = Annotated[int, Field(ge=1, le=MAX_COMPILE_RUNTIME_SECONDS)]
RoleArn = Annotated[str, StringConstraints(pattern=ROLE_ARN_PATTERN)]
InstanceType = Annotated[str, StringConstraints(pattern=INSTANCE_TYPE_PATTERN)]
# A 12-digit AWS account ID.
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]


def is_account_id(value: object) -> TypeGuard[str]:
    """An AWS account ID as the configuration accepts it: 12 digits."""
    return isinstance(value, str) and re.fullmatch(ACCOUNT_ID_PATTERN, value) is not None


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
    # This target's StoppingCondition.MaxRuntimeInSeconds; unset: the group's compileMaxRuntimeSeconds.
    compile_max_runtime_seconds: CompileRuntimeSeconds | None = None

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

    @model_validator(mode="after")
    def _version_only_where_accepted(self) -> Self:
        if self.framework_version is not None and self.framework not in FRAMEWORKS_WITH_VERSION:
            raise ValueError(
                f"'frameworkVersion' is accepted only for {', '.join(sorted(FRAMEWORKS_WITH_VERSION))}, "
                f"not {self.framework} (SageMaker API Reference, InputConfig)"
            )
        if self.data_input_config is None and self.framework in FRAMEWORKS_REQUIRING_DATA_INPUT:
            raise ValueError(
                f"'dataInputConfig' is required for {self.framework}: Neo needs the name and shape of "
                "the model's inputs (SageMaker API Reference, InputConfig)"
            )
        return self

    def derives_data_input(self) -> bool:
        """Neo derives the input shape itself: PyTorch 2.0 or later (and XGBoost), cloud targets only."""
        if self.framework != "PYTORCH" or self.framework_version is None:
            return False
        return int(self.framework_version.split(".", maxsplit=1)[0]) >= 2


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


# Developer Guide, "Shadow tests" > "Exclusions": "If your endpoint uses any of the following features you
# cannot use shadow tests on your endpoint, and your request to setup shadow tests will lead to validation
# errors." Among them: "Endpoints that use Inf1 (Inferentia-based) instances" and "Amazon Elastic
# Inference endpoints". These prefixes are the instance families the configuration can show.
SHADOW_EXCLUDED_INSTANCE_PREFIXES: dict[str, str] = {
    "ml.inf1.": "Inf1 (Inferentia 1) instances",
    "ml.eia": "Elastic Inference accelerators",
}


def shadow_exclusion(instance_type: str) -> str | None:
    """Why AWS refuses a shadow test on `instance_type`, or None when it does not."""
    for prefix, why in SHADOW_EXCLUDED_INSTANCE_PREFIXES.items():
        if instance_type.startswith(prefix):
            return f"shadow tests exclude {why} ({instance_type})"
    return None


def _shadow_instance_type(value: str) -> str:
    why = shadow_exclusion(value)
    if why is not None:
        raise ValueError(f"{why}; choose another instance type")
    return value


ShadowInstanceType = Annotated[InstanceType, AfterValidator(_shadow_instance_type)]


class PromotionCapacity(_Model):
    """Custom capacity for the promoted variant (the console's "Custom instance settings")."""

    instance_type: ShadowInstanceType
    instance_count: Annotated[int, Field(ge=1, le=10)] = 1


def _promotion_kind(value: object) -> str:
    return "custom" if isinstance(value, dict | PromotionCapacity) else "named"


# One error per bad value, under `promotionCapacity` (named) or `promotionCapacity.custom.<key>`.
Promotion = Annotated[
    Annotated[Literal["production", "shadow"], Tag("named")] | Annotated[PromotionCapacity, Tag("custom")],
    Discriminator(_promotion_kind),
]


class ShadowConfig(_Model):
    """Shadow test of each approved version against the group's production endpoint."""

    endpoint_name: Annotated[str, StringConstraints(pattern=ENDPOINT_NAME_PATTERN)]
    # None: the endpoint's only production variant (an endpoint under a shadow test has at most one).
    production_variant: Annotated[str, StringConstraints(pattern=ENDPOINT_NAME_PATTERN)] | None = None
    instance_type: ShadowInstanceType
    instance_count: Annotated[int, Field(ge=1, le=10)] = 1
    rollout_plan: Annotated[list[RolloutStep], Field(min_length=1, max_length=20)]
    duration_days: Annotated[int, Field(ge=1, le=MAX_EXPERIMENT_DAYS)] = 7
    end_action: Literal["Promote", "Remove", "Retain"] = "Remove"
    # With endAction Promote: the promoted variant's capacity (StopInferenceExperiment
    # DesiredModelVariants): the production variant's instance type and count (AWS's recommendation),
    # the shadow variant's, or a custom one.
    promotion_capacity: Promotion = "production"
    data_capture: DataCapture | None = None
    health_gates: HealthGates | None = None
    lifecycle: ShadowLifecycle | None = None
    # The account of the production endpoint (docs/ACCOUNTS.md). Unset: the group's account.
    endpoint_account_id: AccountId | None = None

    @model_validator(mode="after")
    def _promotion_consistent(self) -> Self:
        if self.end_action != "Promote" and self.promotion_capacity != "production":
            raise ValueError("'promotionCapacity' applies only with endAction 'Promote'")
        if self.end_action == "Promote" and self.production_variant is not None:
            raise ValueError(
                "'productionVariant' cannot be set with endAction 'Promote': a promotion replaces the "
                "production variant with the shadow variant, under the shadow variant's name, so the "
                "next shadow test would not find it; leave it unset to use the endpoint's only "
                "production variant"
            )
        return self

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
    # StoppingCondition.MaxRuntimeInSeconds of the group's compilation jobs (a target may override it).
    compile_max_runtime_seconds: CompileRuntimeSeconds = DEFAULT_COMPILE_MAX_RUNTIME_SECONDS
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    shadow: ShadowConfig | None = None
    # A version registered as `Logged` (ModelPackageRegistrationType) is skipped unless this is true;
    # then it is first changed to `Registered` with UpdateModelPackage and handled like any other.
    register_logged: bool = False
    # The account whose registry holds the group (docs/ACCOUNTS.md). Unset: the automation stack's account.
    account_id: AccountId | None = None

    def max_runtime_seconds(self, target: NeoTarget) -> int:
        """The job limit of `target`: its own `compileMaxRuntimeSeconds`, else the group's."""
        own = target.compile_max_runtime_seconds
        return own if own is not None else self.compile_max_runtime_seconds

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
        self._pytorch_input_shape_known()
        return self

    def _pytorch_input_shape_known(self) -> None:
        """PyTorch: DataInputConfig is required unless Neo derives it, which it does for PyTorch 2.0 or
        later on cloud instance targets only (SageMaker API changes, 2023-09-05: "SageMaker Neo now
        supports data input shape derivation for Pytorch 2.0 and XGBoost compilation job for cloud
        instance targets. You can skip DataInputConfig field during compilation job creation.")."""
        compile_input = self.compile_input
        if compile_input is None or compile_input.framework != "PYTORCH" or compile_input.data_input_config:
            return
        if not compile_input.derives_data_input():
            raise ValueError(
                "compileInput.dataInputConfig is required for PYTORCH unless compileInput.frameworkVersion "
                "is 2.0 or later (Neo derives the input shape only for PyTorch 2.0+)"
            )
        not_cloud = [
            target.name
            for target in self.neo_targets
            if target.target_device is None or not target.target_device.startswith("ml_")
        ]
        if not_cloud:
            raise ValueError(
                "compileInput.dataInputConfig is required for PYTORCH with targets that are not cloud "
                f"instances ({', '.join(not_cloud)}): Neo derives the input shape for ml_* targets only"
            )


class AutopilotConfig(_Model):
    """The whole configuration (context key `autopilot` in cdk.json)."""

    stack_name: Annotated[str, StringConstraints(pattern=STACK_NAME_PATTERN)] = "RegistryAutopilot"
    groups: Annotated[dict[GroupName, GroupConfig], Field(min_length=1)]
    # Watch by naming convention (docs/CONFIGURATION.md, "Many groups"): the event patterns match group
    # names by this prefix and the IAM grants name `model-package/<prefix>*`, so the template stays the
    # same size whatever the number of groups. Every configured group must carry the prefix; a group
    # that carries it but is not configured gets events, and the functions skip it (they act only on
    # the groups configured here).
    group_name_prefix: Annotated[str, StringConstraints(pattern=NAME_PREFIX_PATTERN)] | None = None
    # The settings of a group that carries `groupNamePrefix` and has no entry in `groups`: a new team's
    # group is watched from its first version, with no deploy (docs/CONFIGURATION.md, "Many groups").
    # No `shadow` (a shadow test needs the group's own production endpoint) and no `accountId`.
    group_defaults: GroupConfig | None = None
    # The same for the production endpoints of shadow tests: `endpoint/<prefix>*` and their log groups.
    endpoint_name_prefix: Annotated[str, StringConstraints(pattern=NAME_PREFIX_PATTERN)] | None = None
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
    # Customer-managed KMS keys that encrypt watched versions (SecurityConfig.KmsKeyId) or their model
    # cards: the functions get kms:Decrypt (and kms:GenerateDataKey to write the card) on these keys only.
    # A version under another key is recorded and notified, not handled (DescribeModelPackage's default
    # IncludedData AllData "requires kms:Decrypt permission on the customer-managed key").
    model_kms_key_arns: list[Annotated[str, StringConstraints(pattern=KMS_KEY_ARN_PATTERN)]] = Field(
        default_factory=list
    )
    # The AWS account this configuration is for; `cdk synth` for another account refuses it.
    # With groups or endpoints in other accounts it is required: the companion stacks name it (trust,
    # forwarding target) and `cdk synth` needs no credentials to know it (docs/ACCOUNTS.md).
    account: AccountId | None = None
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

    @model_validator(mode="after")
    def _names_carry_their_prefix(self) -> Self:
        """Grants and patterns name only the prefixes: a name without its prefix would be configured
        and never reached."""
        problems = []
        if self.group_name_prefix is not None:
            problems += [
                f"group {name!r} does not start with groupNamePrefix {self.group_name_prefix!r}"
                for name in sorted(self.groups)
                if not name.startswith(self.group_name_prefix)
            ]
        endpoint_prefix = self.endpoint_name_prefix
        if endpoint_prefix is not None:
            problems += [
                f"groups.{name}.shadow.endpointName {group.shadow.endpoint_name!r} does not start with "
                f"endpointNamePrefix {endpoint_prefix!r}"
                for name, group in sorted(self.groups.items())
                if group.shadow is not None and not group.shadow.endpoint_name.startswith(endpoint_prefix)
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _defaults_apply_by_prefix(self) -> Self:
        defaults = self.group_defaults
        if defaults is None:
            return self
        problems = []
        if self.group_name_prefix is None:
            problems.append(
                "groupDefaults applies to the groups that carry groupNamePrefix: set groupNamePrefix"
            )
        if defaults.shadow is not None:
            problems.append(
                "groupDefaults.shadow: a shadow test needs the group's own production endpoint; configure "
                "the group in 'groups' to shadow-test it"
            )
        if defaults.account_id is not None:
            problems.append("groupDefaults.accountId: configure a group of another account in 'groups'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def group(self, name: str) -> GroupConfig | None:
        """The settings of group `name`: its entry in `groups`, else `groupDefaults` when the name
        carries `groupNamePrefix`; None for a group that is not watched."""
        configured = self.groups.get(name)
        if configured is not None:
            return configured
        prefix = self.group_name_prefix
        if self.group_defaults is not None and prefix is not None and name.startswith(prefix):
            return self.group_defaults
        return None

    def settings_by_key(self) -> dict[str, GroupConfig]:
        """Every group settings object with its key in the configuration (`groups.<name>`,
        `groupDefaults`), for the checks synthesis makes on each."""
        found = {f"groups.{name}": group for name, group in self.groups.items()}
        if self.group_defaults is not None:
            found["groupDefaults"] = self.group_defaults
        return found

    @model_validator(mode="after")
    def _automation_account_known(self) -> Self:
        """Companion stacks in other accounts trust and forward to the automation account by number."""
        if self.account is None and self.named_accounts():
            raise ValueError(
                "groups name other accounts (accountId, shadow.endpointAccountId): set 'account' to the "
                "12-digit account the automation stack is deployed in"
            )
        return self

    @model_validator(mode="after")
    def _defaults_name_no_account(self) -> Self:
        """A group matched by groupNamePrefix alone lives in the automation account: the companion
        stacks list the groups they forward and share, so a group of another account is listed."""
        defaults = self.group_defaults
        if defaults is not None and (
            defaults.account_id is not None
            or (defaults.shadow is not None and defaults.shadow.endpoint_account_id is not None)
        ):
            raise ValueError(
                "groupDefaults cannot set accountId or shadow.endpointAccountId: list the groups of other "
                "accounts under groups (docs/ACCOUNTS.md)"
            )
        return self

    def named_accounts(self) -> set[str]:
        """Every account a group (or groupDefaults) or its endpoint names explicitly."""
        settings = list(self.settings_by_key().values())
        named = {g.account_id for g in settings if g.account_id is not None}
        named |= {
            g.shadow.endpoint_account_id
            for g in settings
            if g.shadow is not None and g.shadow.endpoint_account_id is not None
        }
        return named

    def registry_account(self, group: str) -> str | None:
        """The account whose registry holds `group`; None: the automation stack's own (unknown)."""
        settings = self.group(group)
        own = settings.account_id if settings is not None else None
        # `account` alone (no group names another) only guards the deploy: one account, never checked.
        return own or (self.account if self.named_accounts() else None)

    def endpoint_account(self, group: str) -> str | None:
        """The account of `group`'s production endpoint; None: the automation stack's own (unknown)."""
        settings = self.group(group)
        shadow = settings.shadow if settings is not None else None
        own = shadow.endpoint_account_id if shadow is not None else None
        return own or self.registry_account(group)

    def other_accounts(self) -> list[str]:
        """The accounts other than the automation account that hold a group or an endpoint, sorted: one
        companion stack each (docs/ACCOUNTS.md)."""
        return sorted(self.named_accounts() - {self.account} if self.account else self.named_accounts())

    def registry_accounts(self) -> list[str]:
        """The other accounts that hold watched groups (they forward events and share versions)."""
        settings = self.settings_by_key().values()
        return sorted({a for g in settings if (a := g.account_id or self.account) and a != self.account})

    def endpoint_accounts(self) -> list[str]:
        """The other accounts that hold production endpoints (shadow tests run there)."""
        return sorted(
            {
                a
                for g in self.settings_by_key().values()
                if g.shadow is not None
                and (a := g.shadow.endpoint_account_id or g.account_id or self.account)
                and a != self.account
            }
        )
