"""Plan: from a version's current state and its group's config, the compilations still to run.

Pure: the caller passes DescribeModelPackage output, config and the clock. A target is still to do
when its spec is not attached and no outcome is recorded for it in CustomerMetadataProperties, so
a duplicate event, a retry or the event our own update produces all plan only what is left. A record
a person set to `RETRY` plans the target again, under a job name of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from registry_autopilot.logic import accounts, approval, naming
from registry_autopilot.logic.accounts import AccountAccess
from registry_autopilot.models.config import AutopilotConfig, GroupConfig, NeoTarget
from registry_autopilot.models.registry import ModelPackage, PackageContainer
from registry_autopilot.models.workflow import CompileTarget, PlanResult, SkippedTarget

OWNER_TAG_KEY = "registry-autopilot:owner"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class PlanContext:
    config: AutopilotConfig
    artifacts_bucket: str
    now: datetime  # timezone-aware UTC


def _version_skip_reason(package: ModelPackage, group: GroupConfig | None) -> str | None:
    if group is None:
        return f"group {package.ModelPackageGroupName!r} is not watched"
    if package.ModelPackageStatus != "Completed":
        return f"ModelPackageStatus is {package.ModelPackageStatus}; only Completed versions are compiled"
    if package.ModelApprovalStatus == "Rejected":
        return "the version is Rejected"
    if package.ModelPackageRegistrationType == "Logged" and not group.register_logged:
        return (
            "the version is registered as Logged (a tracked model, not a deployable one); "
            "set registerLogged: true on the group to register and handle it"
        )
    spec = package.InferenceSpecification
    if spec is None or not spec.Containers:
        return "the version has no InferenceSpecification containers to compile"
    return _not_compilable(spec.Containers)


def _not_compilable(containers: list[PackageContainer]) -> str | None:
    """Why Neo cannot compile this version's model, if it cannot (SageMaker API Reference: a
    compilation job takes one model, a single gzip-compressed tar archive; InputConfig.S3Uri and
    ModelPackageContainerDefinition.ModelDataUrl)."""
    if len(containers) > 1:
        return (
            f"the version is an inference pipeline of {len(containers)} containers; Neo compiles one "
            "model, and a one-container specification would drop the rest of the pipeline"
        )
    marketplace = [index for index, container in enumerate(containers) if container.ProductId]
    if marketplace:
        return (
            f"container(s) {marketplace} come from AWS Marketplace (ProductId "
            f"{containers[marketplace[0]].ProductId}); Neo does not compile Marketplace models"
        )
    checkpoints = [index for index, container in enumerate(containers) if container.IsCheckpoint]
    if checkpoints:
        return f"container(s) {checkpoints} are marked IsCheckpoint (a training checkpoint, not a model)"
    primary = containers[0]
    source = primary.ModelDataSource.S3DataSource if primary.ModelDataSource else None
    if not primary.ModelDataUrl and source is not None and source.CompressionType != "Gzip":
        return (
            f"the model is uncompressed ModelDataSource ({source.S3DataType or 'S3'} {source.S3Uri}, "
            "CompressionType None); Neo compiles a single gzip-compressed tar archive (.tar.gz)"
        )
    if not primary.ModelDataUrl and source is None:
        return "the container names no model artifact (ModelDataUrl or ModelDataSource) to compile"
    return None


def registration_request(package: ModelPackage, group: GroupConfig | None) -> dict[str, Any] | None:
    """UpdateModelPackage that turns a `Logged` version of a group with `registerLogged` into a
    `Registered` one (UpdateModelPackage: ModelPackageRegistrationType Logged | Registered); None when
    there is nothing to change. Only this member is named, so nothing else on the version changes."""
    if group is None or not group.register_logged or package.ModelPackageRegistrationType != "Logged":
        return None
    return {"ModelPackageArn": package.ModelPackageArn, "ModelPackageRegistrationType": "Registered"}


@dataclass(frozen=True)
class RegistrationPlan:
    """What Plan does with a version: the registration to write first (or None), and the plan."""

    registration: dict[str, Any] | None
    plan: PlanResult


def plan_with_registration(package: ModelPackage, ctx: PlanContext) -> RegistrationPlan:
    """registerLogged checks first, converts after: a `Logged` version is planned as if it were
    `Registered`, and the conversion is written only when that plan compiles something. A Logged
    inference pipeline, Marketplace container or uncompressed model (or one with nothing left to
    compile) stays Logged, with the reason."""
    group = ctx.config.group(package.ModelPackageGroupName or "")
    registration = registration_request(package, group)
    if registration is None:
        return RegistrationPlan(None, plan_compilation(package, ctx))
    planned = plan_compilation(package.model_copy(update={"ModelPackageRegistrationType": "Registered"}), ctx)
    if planned.targets:
        return RegistrationPlan(registration, planned)
    why = planned.reason or "; ".join(f"{s.target}: {s.reason}" for s in planned.skipped) or "no target"
    left = planned.model_copy(
        update={
            "has_work": False,
            "reason": f"left Logged (registerLogged registers only a version it then compiles): {why}",
        }
    )
    return RegistrationPlan(None, left)


KEY_RECORD = "autopilot:kms"  # on the version: why it was not handled (its KMS key)


def key_refusal(arn: str, key: str | None, configured: list[str]) -> tuple[str, dict[str, Any]]:
    """Why a version under a key the configuration does not name is not handled, and the request that
    records it on the version (UpdateModelPackage, CustomerMetadataProperties only)."""
    named = key or "a customer-managed KMS key"
    if key and key in configured:
        why = f"SKIPPED: encrypted with {named}; the function was refused kms:Decrypt on it (key policy?)"
    else:
        why = f"SKIPPED: encrypted with {named}, not in modelKmsKeyArns (cdk.json); add it, deploy, retry"
    value = naming.metadata_text(why)  # only characters the metadata value pattern allows, <= 256
    request = {"ModelPackageArn": arn, "CustomerMetadataProperties": {KEY_RECORD: value}}
    return why, {**request, "ClientToken": naming.client_token(json.dumps(request, sort_keys=True))}


def _output_config(target: NeoTarget, location: str) -> dict[str, Any]:
    output: dict[str, Any] = {"S3OutputLocation": location}
    if target.target_device is not None:
        output["TargetDevice"] = target.target_device
    elif target.target_platform is not None:
        platform = target.target_platform
        output["TargetPlatform"] = {"Os": platform.os, "Arch": platform.arch}
        if platform.accelerator is not None:
            output["TargetPlatform"]["Accelerator"] = platform.accelerator
    if target.compiler_options is not None:
        output["CompilerOptions"] = target.compiler_options
    return output


def compilation_request(
    package: ModelPackage, group: GroupConfig, target: NeoTarget, ctx: PlanContext, *, retry: bool = False
) -> dict[str, Any]:
    """CreateCompilationJob request without RoleArn (SageMaker API Reference: CreateCompilationJob).

    Input is the version itself (ModelPackageVersionArn) unless the group configures `compileInput`,
    then InputConfig built from the primary container's artifact. The two are mutually exclusive.
    """
    group_name = package.ModelPackageGroupName or ""
    version = package.ModelPackageVersion or 0
    # A retry's job is named after the RETRY write (the version's LastModifiedTime): duplicates of
    # that write's event read the same time and resume one job; a later retry gets another.
    attempt = _retry_attempt(package) if retry else ""
    job_name = naming.compilation_job_name(group_name, version, target, attempt)
    location = naming.compiled_location(ctx.artifacts_bucket, group_name, version, target.name)
    request: dict[str, Any] = {
        "CompilationJobName": job_name,
        "OutputConfig": _output_config(target, location),
        # Past it the job fails with TimeOut (SageMaker API Reference, StoppingCondition).
        "StoppingCondition": {"MaxRuntimeInSeconds": group.max_runtime_seconds(target)},
        "Tags": [{"Key": OWNER_TAG_KEY, "Value": ctx.config.stack_name}],
    }
    compile_input = group.compile_input
    if compile_input is None:
        request["ModelPackageVersionArn"] = package.ModelPackageArn
        return request
    artifact = _model_archive(package.primary_container)
    if artifact is None:
        raise ValueError("the primary container has no ModelDataUrl to build InputConfig from")
    input_config: dict[str, Any] = {"S3Uri": artifact, "Framework": compile_input.framework}
    if compile_input.framework_version is not None:
        input_config["FrameworkVersion"] = compile_input.framework_version
    if compile_input.data_input_config is not None:
        input_config["DataInputConfig"] = compile_input.data_input_config
    request["InputConfig"] = input_config
    return request


def _model_archive(container: PackageContainer | None) -> str | None:
    """The model's .tar.gz: ModelDataUrl, or a ModelDataSource naming one gzip-compressed S3 object."""
    if container is None:
        return None
    if container.ModelDataUrl:
        return container.ModelDataUrl
    source = container.ModelDataSource.S3DataSource if container.ModelDataSource else None
    if source is not None and source.CompressionType == "Gzip" and source.S3DataType == "S3Object":
        return source.S3Uri
    return None


def plan_compilation(package: ModelPackage, ctx: PlanContext) -> PlanResult:
    group_name = package.ModelPackageGroupName or ""
    version = package.ModelPackageVersion or 0
    group = ctx.config.group(group_name)
    base: dict[str, Any] = {
        "model_package_arn": package.ModelPackageArn,
        "group": group_name,
        "version": version,
    }

    base["approval_status_at_start"] = package.ModelApprovalStatus
    reason = _version_skip_reason(package, group)
    if reason is not None or group is None:
        return PlanResult(**base, has_work=False, reason=reason)
    base["needs_decision"] = approval.needs_decision(package)

    attached = package.attached_spec_names
    recorded = package.CustomerMetadataProperties
    deadline = (ctx.now + timedelta(minutes=ctx.config.compile_timeout_minutes)).strftime(TIMESTAMP_FORMAT)
    targets: list[CompileTarget] = []
    skipped: list[SkippedTarget] = []
    for target in group.neo_targets:
        spec = naming.spec_name(target.name)
        key = naming.metadata_key(target.name)
        if spec in attached:
            skipped.append(SkippedTarget(target=target.name, reason=f"already attached as {spec}"))
            continue
        retry = naming.is_retry_request(recorded.get(key))
        if key in recorded and not retry:
            skipped.append(SkippedTarget(target=target.name, reason=f"recorded in {key}: {recorded[key]}"))
            continue
        try:
            request = compilation_request(package, group, target, ctx, retry=retry)
        except ValueError as exc:
            skipped.append(SkippedTarget(target=target.name, reason=str(exc)))
            continue
        targets.append(
            CompileTarget(
                target=target.name,
                spec_name=spec,
                job_name=request["CompilationJobName"],
                deadline=deadline,
                uses_input_config="InputConfig" in request,
                request=request,
                **_where_it_compiles(package.ModelPackageArn, request["CompilationJobName"], ctx),
            )
        )
    return PlanResult(
        **base,
        has_work=bool(targets),
        targets=targets,
        skipped=skipped,
        reason=None if targets else _nothing_to_compile(base["needs_decision"]),
    )


def _where_it_compiles(arn: str, job: str, ctx: PlanContext) -> dict[str, str | None]:
    """A version in another account is compiled there (it can read its own model artifacts), as its
    access role, with its Neo role; its wait names the account so the watcher describes it there."""
    access = AccountAccess.of(ctx.config, accounts.partition_of_arn(arn))
    role = access.role_for_arn(arn)
    if role is None:
        return {"wait_job": job, "access_role_arn": None, "neo_role_arn": None}
    account = accounts.account_of(arn)
    neo = accounts.role_arn(access.partition, account, accounts.neo_role_name(ctx.config.stack_name))
    return {"wait_job": f"{account}/{job}", "access_role_arn": role, "neo_role_arn": neo}


def _retry_attempt(package: ModelPackage) -> str:
    modified = package.LastModifiedTime
    return f"retry-{modified.isoformat()}" if modified is not None else "retry"


def _nothing_to_compile(needs_decision: bool) -> str:
    reason = "every configured target is attached or recorded"
    return f"{reason}; the approval policy decides next" if needs_decision else reason
