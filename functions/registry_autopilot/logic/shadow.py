"""Starting a shadow test: names, the inference specification to serve, and the requests to send.

Pure: the caller passes what it read (the version, the endpoint, the owned experiments on the
endpoint) and the clock; `plan_start` answers with the whole start: the refusal to record, or the
experiments to supersede, the model and experiment to create and the record to write.

Limits (SageMaker API Reference):
- CreateModel.ModelName: 1-63 chars, ^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$; a model made from a
  package names it in ContainerDefinition.ModelPackageName, and ContainerDefinition
  .InferenceSpecificationName picks one of the version's additional inference specifications.
- CreateInferenceExperiment.Name: 1-120 chars, ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$; Type ShadowMode;
  ModelVariants 1-2 ModelVariantConfig {ModelName, VariantName, InfrastructureConfig}; ShadowModeConfig
  with exactly one shadow variant; Schedule at most 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from registry_autopilot.logic import naming
from registry_autopilot.logic.rollout import Progress, describe_progress
from registry_autopilot.models.config import ShadowConfig, shadow_exclusion
from registry_autopilot.models.shadow import (
    ContainerView,
    EndpointView,
    ExperimentView,
    ProductionVariant,
    ShadowVersion,
    StartResult,
)

PREFIX = "autopilot-"  # IAM scopes models and experiments to <type>/autopilot-*
MAX_MODEL_NAME = 63
MAX_EXPERIMENT_NAME = 120
OWNER_TAG_KEY = "registry-autopilot:owner"
VERSION_TAG_KEY = "registry-autopilot:model-package"
GROUP_TAG_KEY = "registry-autopilot:group"
ENDPOINT_TAG_KEY = "registry-autopilot:endpoint"
EXPERIMENT_KEY = "autopilot:shadow:experiment"
OUTCOME_KEY = "autopilot:shadow:outcome"
TITLE = "Registry Autopilot shadow test"


def experiment_name(group: str, version: int, endpoint: str) -> str:
    """Same group, version and endpoint -> same name: a duplicate event finds the experiment it
    already started instead of starting a second one."""
    suffix = naming._digest(group.lower(), str(version), endpoint.lower())
    stem = f"{group.lower()}-v{version}"
    return PREFIX + naming._fit_name(stem, suffix, MAX_EXPERIMENT_NAME - len(PREFIX))


def model_name(group: str, version: int, spec: str | None, instance_type: str) -> str:
    suffix = naming._digest(group.lower(), str(version), spec or "", instance_type)
    stem = f"{group.lower()}-v{version}"
    return PREFIX + naming._fit_name(stem, suffix, MAX_MODEL_NAME - len(PREFIX))


# The one place the shadow variant's name is made (docs cite it: docs/SHADOW_VARIANT.md). A running
# experiment names it in DescribeInferenceExperiment: ShadowModeConfig.ShadowModelVariants[0]
# .ShadowModelVariantName.
SHADOW_VARIANT_PREFIX = "shadow-v"
SHADOW_VARIANT_CLASH_SUFFIX = "-candidate"  # when the production variant already has the name


def shadow_variant_name(version: int, production_variant: str) -> str:
    """`shadow-v<VERSION>`, or `shadow-v<VERSION>-candidate` when the production variant is so named."""
    name = f"{SHADOW_VARIANT_PREFIX}{version}"
    return name if name != production_variant else f"{name}{SHADOW_VARIANT_CLASH_SUFFIX}"


def pick_inference_spec(version: ShadowVersion, instance_type: str) -> str | None:
    """The additional specification to serve on `instance_type`: one of ours (`neo-*`) first, then any
    other that lists the type; None means the version's primary specification."""
    fitting = [
        spec.Name
        for spec in version.AdditionalInferenceSpecifications
        if instance_type in spec.SupportedRealtimeInferenceInstanceTypes
    ]
    ours = [name for name in fitting if name.startswith(naming.SPEC_PREFIX)]
    candidates = ours or fitting
    return candidates[0] if candidates else None


# -- eligibility -------------------------------------------------------------------------------------
# Developer Guide, "Shadow tests" > "Exclusions"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses
# any of the following features you cannot use shadow tests on your endpoint, and your request to setup
# shadow tests will lead to validation errors. Serverless inference; Asynchronous inference; Marketplace
# containers; Multiple-containers endpoints; Multi-model endpoints; Endpoints that use Inf1
# (Inferentia-based) instances; Amazon Elastic Inference endpoints."
# "Create a shadow test": "For an endpoint with a shadow variant, there can be a maximum of one
# production variant."
INELIGIBLE = "INELIGIBLE"


@dataclass(frozen=True)
class Eligibility:
    """The production variant to test against, or the reasons AWS would refuse the shadow test."""

    production: ProductionVariant | None
    reasons: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons


def serving_containers(version: ShadowVersion, spec: str | None) -> list[ContainerView]:
    """The containers the shadow model would run: the picked additional specification's, or the
    primary specification's."""
    if spec is not None:
        for item in version.AdditionalInferenceSpecifications:
            if item.Name == spec:
                return list(item.Containers)
    return list(version.InferenceSpecification.Containers) if version.InferenceSpecification else []


def version_exclusions(version: ShadowVersion, spec: str | None) -> list[str]:
    containers = serving_containers(version, spec)
    where = f"inference specification {spec!r}" if spec else "primary inference specification"
    reasons = []
    if len(containers) > 1:
        reasons.append(f"the version's {where} has {len(containers)} containers (multi-container)")
    products = sorted({item.ProductId for item in containers if item.ProductId})
    if products:
        reasons.append(f"the version is an AWS Marketplace model package (ProductId {', '.join(products)})")
    return reasons


def check_eligibility(
    endpoint: EndpointView, configured_variant: str | None, version: ShadowVersion, spec: str | None
) -> Eligibility:
    """Everything the account shows that AWS excludes from shadow tests (see the comment above)."""
    reasons: list[str] = []
    name = endpoint.name
    if endpoint.asynchronous:
        reasons.append(f"endpoint {name} uses asynchronous inference (AsyncInferenceConfig)")
    variants = endpoint.variants
    if len(variants) > 1:
        names = ", ".join(item.variant_name for item in variants)
        reasons.append(
            f"endpoint {name} has {len(variants)} production variants ({names}); an endpoint with a "
            "shadow variant can have at most one"
        )
    chosen = [item for item in variants if configured_variant in (None, item.variant_name)]
    if configured_variant is not None and not chosen:
        reasons.append(
            f"shadow.productionVariant: endpoint {name} has no production variant {configured_variant!r}"
        )
    if not variants:
        reasons.append(f"endpoint {name} has no production variant")
    for item in chosen:
        where = f"{name}/{item.variant_name}"
        if item.serverless or item.instance_type is None:
            reasons.append(f"{where} is serverless (ServerlessConfig)")
        elif (why := shadow_exclusion(item.instance_type)) is not None:
            reasons.append(f"{where}: {why}")
        if item.accelerator_type:
            reasons.append(f"{where} uses Elastic Inference ({item.accelerator_type})")
        if item.multi_model:
            reasons.append(f"{where} serves a multi-model endpoint (container Mode MultiModel)")
        if item.container_count > 1:
            reasons.append(f"{where} serves {item.container_count} containers (multi-container endpoint)")
    reasons.extend(version_exclusions(version, spec))
    production = None
    if not reasons:
        (item,) = chosen
        assert item.instance_type is not None
        production = ProductionVariant(
            variant_name=item.variant_name,
            model_name=item.model_name,
            instance_type=item.instance_type,
            instance_count=item.instance_count,
        )
    return Eligibility(production=production, reasons=tuple(reasons))


def owner_tags(owner: str, version: ShadowVersion, group: str, endpoint: str) -> list[dict[str, str]]:
    return [
        {"Key": OWNER_TAG_KEY, "Value": owner},
        {"Key": GROUP_TAG_KEY, "Value": group},
        {"Key": VERSION_TAG_KEY, "Value": version.ModelPackageArn},
        {"Key": ENDPOINT_TAG_KEY, "Value": endpoint},
    ]


def create_model_request(
    name: str, version: ShadowVersion, spec: str | None, role_arn: str, tags: list[dict[str, str]]
) -> dict[str, Any]:
    container: dict[str, Any] = {"ModelPackageName": version.ModelPackageArn}
    if spec is not None:
        container["InferenceSpecificationName"] = spec
    return {"ModelName": name, "ExecutionRoleArn": role_arn, "PrimaryContainer": container, "Tags": tags}


def _infrastructure(instance_type: str, count: int) -> dict[str, Any]:
    return {
        "InfrastructureType": "RealTimeInference",
        "RealTimeInferenceConfig": {"InstanceType": instance_type, "InstanceCount": count},
    }


@dataclass(frozen=True)
class ExperimentPlan:
    name: str
    shadow_variant: str
    request: dict[str, Any]


def create_experiment_request(
    *,
    name: str,
    group: str,
    version: int,
    shadow: ShadowConfig,
    production: ProductionVariant,
    shadow_model: str,
    role_arn: str,
    tags: list[dict[str, str]],
    now: datetime,
) -> ExperimentPlan:
    variant = shadow_variant_name(version, production.variant_name)
    first = shadow.rollout_plan[0].sampling_percentage
    description = describe_progress(f"{TITLE} of {group} v{version}", shadow, Progress(step=0, since=now))
    request: dict[str, Any] = {
        "Name": name,
        "Type": "ShadowMode",
        "Description": description,
        "RoleArn": role_arn,
        "EndpointName": shadow.endpoint_name,
        # Starts now and lasts the configured duration (at most 30 days: InferenceExperimentSchedule).
        "Schedule": {"StartTime": now, "EndTime": now + timedelta(days=shadow.duration_days)},
        "ModelVariants": [
            {
                "ModelName": production.model_name,
                "VariantName": production.variant_name,
                "InfrastructureConfig": _infrastructure(production.instance_type, production.instance_count),
            },
            {
                "ModelName": shadow_model,
                "VariantName": variant,
                "InfrastructureConfig": _infrastructure(shadow.instance_type, shadow.instance_count),
            },
        ],
        "ShadowModeConfig": {
            "SourceModelVariantName": production.variant_name,
            "ShadowModelVariants": [{"ShadowModelVariantName": variant, "SamplingPercentage": first}],
        },
        "Tags": tags,
    }
    if shadow.data_capture is not None:
        storage: dict[str, Any] = {"Destination": shadow.data_capture.destination_s3_uri}
        if shadow.data_capture.kms_key_arn is not None:
            storage["KmsKey"] = shadow.data_capture.kms_key_arn
        request["DataStorageConfig"] = storage
    return ExperimentPlan(name=name, shadow_variant=variant, request=request)


def version_number(arn: str) -> int | None:
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def newer_experiment(active: list[ExperimentView], group: str, version: int) -> ExperimentView | None:
    """An active owned experiment on the endpoint for a newer version of the same group, if any."""
    for experiment in active:
        other = version_number(experiment.tags.get(VERSION_TAG_KEY, ""))
        if experiment.tags.get(GROUP_TAG_KEY) == group and other is not None and other > version:
            return experiment
    return None


def outcome_request(
    version_arn: str,
    experiment: str,
    status: str,
    reason: str,
    *,
    shadow: ShadowConfig | None,
    lifecycle_status: str | None = None,
) -> dict[str, Any]:
    """UpdateModelPackage recording the shadow test on the version (only these fields change)."""
    reason = reason.replace("%", " percent")  # '%' is not in the metadata value pattern
    request: dict[str, Any] = {
        "ModelPackageArn": version_arn,
        "CustomerMetadataProperties": {
            EXPERIMENT_KEY: experiment,
            OUTCOME_KEY: naming.metadata_value(status, reason),
        },
    }
    lifecycle = shadow.lifecycle if shadow is not None else None
    if lifecycle is not None and lifecycle_status is not None:
        request["ModelLifeCycle"] = {
            "Stage": lifecycle.stage,
            "StageStatus": lifecycle_status,
            "StageDescription": naming.metadata_value(status, reason),
        }
    return request


def recorded_outcome(metadata: dict[str, str], experiment: str) -> str | None:
    """The final outcome recorded for `experiment`, if one is (a started record is not final)."""
    if metadata.get(EXPERIMENT_KEY) != experiment:
        return None
    value = metadata.get(OUTCOME_KEY)
    if value is None or value.startswith("STARTED"):
        return None
    return value


def already_refused(metadata: dict[str, str], experiment: str) -> bool:
    """True when the version already records that `experiment` could not start. Whatever the reasons
    said (SageMaker's own message may differ from call to call), the record is written and notified
    once: the state change it causes comes back to the start, and the loop must end there."""
    return metadata.get(EXPERIMENT_KEY) == experiment and metadata.get(OUTCOME_KEY, "").startswith(
        f"{INELIGIBLE}:"
    )


# -- the start, decided in one place --------------------------------------------------------------------
@dataclass(frozen=True)
class StartEvidence:
    """What the shadow start read before deciding."""

    model_package_arn: str  # as the event names the version
    group: str
    version_number: int
    version: ShadowVersion  # Approved, as read after the event
    shadow: ShadowConfig
    endpoint: EndpointView
    # Our experiments still running on the endpoint, none for a newer version: concluded by this start.
    active: tuple[ExperimentView, ...]
    owner: str  # the stack's name, tagged on what the start creates
    role_arn: str
    now: datetime


@dataclass(frozen=True)
class Refusal:
    """Why the version cannot be shadow-tested, the record that says so on it, and the notification."""

    reasons: tuple[str, ...]
    record: dict[str, Any]  # UpdateModelPackage: autopilot:shadow:outcome = INELIGIBLE: <reasons>
    # Already on the version: nothing is written or notified again, so the state change the record
    # causes ends here.
    recorded: bool
    subject: str
    result: StartResult


def refusal(version: ShadowVersion, experiment: str, shadow: ShadowConfig, reasons: list[str]) -> Refusal:
    arn = version.ModelPackageArn
    text = "; ".join(reasons)
    return Refusal(
        reasons=tuple(reasons),
        record=outcome_request(arn, experiment, INELIGIBLE, text, shadow=shadow),
        recorded=already_refused(version.CustomerMetadataProperties, experiment),
        subject=f"Registry Autopilot: {arn.rsplit(':model-package/', 1)[-1]} cannot be shadow-tested",
        result=StartResult(
            model_package_arn=arn,
            started=False,
            ineligible=reasons,
            reason=f"not eligible for a shadow test on {shadow.endpoint_name}: {text}",
        ),
    )


@dataclass(frozen=True)
class StartPlan:
    """The experiments to conclude first, then the model and the experiment to create, and the record
    written once the experiment is created."""

    model_package_arn: str
    experiment: str
    supersede: tuple[ExperimentView, ...]
    model: str
    inference_specification: str | None  # None: the version's primary specification
    create_model: dict[str, Any]  # CreateModel
    create_experiment: dict[str, Any]  # CreateInferenceExperiment
    started_record: dict[str, Any]  # UpdateModelPackage: autopilot:shadow:outcome = STARTED: ...
    sampling_percentage: int

    def result(self, created: bool) -> StartResult:
        """`created` False: the experiment was there already (created concurrently)."""
        return StartResult(
            model_package_arn=self.model_package_arn,
            started=created,
            experiment=self.experiment,
            model=self.model,
            inference_specification=self.inference_specification,
            sampling_percentage=self.sampling_percentage,
            superseded=[older.name for older in self.supersede],
            reason="started" if created else "already started (created concurrently)",
        )


def plan_start(evidence: StartEvidence) -> Refusal | StartPlan:
    """Eligibility first: an endpoint or version AWS excludes from shadow tests is refused before
    anything is written, and the experiment under test keeps running."""
    version, shadow, group, number = (
        evidence.version,
        evidence.shadow,
        evidence.group,
        evidence.version_number,
    )
    name = experiment_name(group, number, shadow.endpoint_name)
    spec = pick_inference_spec(version, shadow.instance_type)
    eligibility = check_eligibility(evidence.endpoint, shadow.production_variant, version, spec)
    if eligibility.production is None:
        return refusal(version, name, shadow, list(eligibility.reasons))
    model = model_name(group, number, spec, shadow.instance_type)
    tags = owner_tags(evidence.owner, version, group, shadow.endpoint_name)
    experiment = create_experiment_request(
        name=name,
        group=group,
        version=number,
        shadow=shadow,
        production=eligibility.production,
        shadow_model=model,
        role_arn=evidence.role_arn,
        tags=tags,
        now=evidence.now,
    )
    first = shadow.rollout_plan[0].sampling_percentage
    started = f"shadow test on {shadow.endpoint_name} at {first}%"
    return StartPlan(
        model_package_arn=evidence.model_package_arn,
        experiment=name,
        supersede=evidence.active,
        model=model,
        inference_specification=spec,
        create_model=create_model_request(model, version, spec, evidence.role_arn, tags),
        create_experiment=experiment.request,
        started_record=outcome_request(evidence.model_package_arn, name, "STARTED", started, shadow=shadow),
        sampling_percentage=first,
    )
