"""Attach: one UpdateModelPackage request from the finished compilations (pure).

AWS rules applied here (SageMaker API Reference):
- UpdateModelPackage leaves every field the request does not name unchanged, so the request names
  only AdditionalInferenceSpecificationsToAdd, CustomerMetadataProperties and ClientToken.
- AdditionalInferenceSpecificationsToAdd: 1-15 items, at most 15 per version in total, names unique
  within the version (AdditionalInferenceSpecificationDefinition).
- CustomerMetadataProperties: at most 50 entries per version, keys <= 128, values <= 256 chars.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry_autopilot.logic import naming, targets
from registry_autopilot.models.config import GroupConfig, NeoTarget
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import AttachResult, TargetNote, TargetOutcome

MAX_ADDITIONAL_SPECS = 15
MAX_METADATA_ENTRIES = 50
MAX_DESCRIPTION = 1024
FRAMEWORK_VERSION = re.compile(r"^[0-9]\.[A-Za-z0-9.-]+$")  # ModelPackageContainerDefinition, 3-10 chars


@dataclass(frozen=True)
class CompiledJob:
    """The fields of DescribeCompilationJob that attach needs, read after the job COMPLETED."""

    job_name: str
    artifact: str
    inference_image: str | None = None


@dataclass
class AttachPlan:
    request: dict[str, Any] | None  # attach alone; `update_request` adds the decision to it
    result: AttachResult
    # Outcomes this call records as failures, for metrics and the notification.
    new_failures: list[TargetNote] = field(default_factory=list)
    specs: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # per-target metadata (failed, not attached)
    compiled: list[str] = field(default_factory=list)  # targets this call records as COMPILED


def _framework(package: ModelPackage, group: GroupConfig) -> tuple[str | None, str | None]:
    primary = package.primary_container
    if group.compile_input is not None:
        framework: str | None = group.compile_input.framework
        version = group.compile_input.framework_version
    else:
        framework = primary.Framework if primary else None
        version = primary.FrameworkVersion if primary else None
    if version is not None and not (3 <= len(version) <= 10 and FRAMEWORK_VERSION.match(version)):
        version = None
    return framework, version


def build_spec(
    package: ModelPackage, group: GroupConfig, target: NeoTarget, job: CompiledJob, image: str
) -> dict[str, Any]:
    """One AdditionalInferenceSpecificationDefinition for a compiled target."""
    framework, framework_version = _framework(package, group)
    container: dict[str, Any] = {"Image": image, "ModelDataUrl": job.artifact}
    if framework is not None:
        container["Framework"] = framework
    if framework_version is not None:
        container["FrameworkVersion"] = framework_version
    primary = package.primary_container
    if primary is not None and primary.Environment:
        # The serving script's settings (SAGEMAKER_PROGRAM, ...) apply to the compiled model too.
        container["Environment"] = dict(primary.Environment)
    description = (f"SageMaker Neo build for {targets.describe(target)} from compilation job {job.job_name}")[
        :MAX_DESCRIPTION
    ]
    spec: dict[str, Any] = {
        "Name": naming.spec_name(target.name),
        "Description": description,
        "Containers": [container],
    }
    instance_types = targets.instance_types_for(target)
    if instance_types:
        spec["SupportedRealtimeInferenceInstanceTypes"] = instance_types
    primary_spec = package.InferenceSpecification
    if primary_spec is not None and primary_spec.SupportedContentTypes:
        spec["SupportedContentTypes"] = list(primary_spec.SupportedContentTypes)
    if primary_spec is not None and primary_spec.SupportedResponseMIMETypes:
        spec["SupportedResponseMIMETypes"] = list(primary_spec.SupportedResponseMIMETypes)
    return spec


def _image_or_why_not(
    package: ModelPackage, group: GroupConfig, target: NeoTarget, job: CompiledJob, region: str
) -> str | tuple[str, str]:
    """The serving image for the compiled artifact (Neo's, else a published one that fits the
    target), or the result bucket and the note saying why the artifact is recorded instead."""
    if not targets.is_servable(target):
        return "recorded", f"built for {targets.describe(target)}, which no SageMaker endpoint serves"
    if job.inference_image:
        return job.inference_image
    framework, framework_version = _framework(package, group)
    image = targets.fallback_image(region, framework, framework_version, target)
    if image is not None:
        return image
    note = (
        f"not attached: Neo named no serving image and none is published for {framework} "
        f"{framework_version or ''} on {target.target_device} in {region}"
    )
    return "not_attached", note.replace("  ", " ")


def artifact_record(job: CompiledJob, note: str) -> str:
    """`COMPILED: <artifact> job <name> <note>` within the metadata limits, the artifact's URI kept
    whole (a value cut short must never name another object): when it cannot be, the job is named
    instead (DescribeCompilationJob's ModelArtifacts gives the URI)."""
    whole = naming.metadata_value(naming.COMPILED, f"{job.artifact} job {job.job_name}")
    if job.artifact in whole:
        return naming.metadata_value(naming.COMPILED, f"{job.artifact} job {job.job_name}; {note}")
    instead = f"job {job.job_name} (its ModelArtifacts name the artifact); {note}"
    return naming.metadata_value(naming.COMPILED, instead)


def compiled_jobs(outcomes: list[TargetOutcome], artifact_location: str) -> dict[str, CompiledJob]:
    """The COMPLETED outcomes' jobs, with the artifact and image the compile watcher read from
    DescribeCompilationJob; an artifact outside the version's own compiled location is not taken
    (Plan sent every job's output there), so no input can make Attach register someone else's file."""
    return {
        outcome.job_name: CompiledJob(
            job_name=outcome.job_name, artifact=outcome.artifact, inference_image=outcome.image
        )
        for outcome in outcomes
        if outcome.status == "COMPLETED"
        and outcome.artifact is not None
        and outcome.artifact.startswith(artifact_location)
    }


def plan_attach(
    package: ModelPackage,
    group: GroupConfig,
    outcomes: list[TargetOutcome],
    jobs: Mapping[str, CompiledJob],
    region: str,
) -> AttachPlan:
    """Decide the single UpdateModelPackage call (or none) for these outcomes.

    `jobs` maps job name -> artifact and image for the COMPLETED outcomes (`compiled_jobs`). Targets
    already attached or already recorded are left alone, so running this twice writes once.
    """
    by_name = {target.name: target for target in group.neo_targets}
    order = {target.name: index for index, target in enumerate(group.neo_targets)}
    attached = package.attached_spec_names
    recorded = package.CustomerMetadataProperties
    room = max(0, MAX_ADDITIONAL_SPECS - len(attached))

    specs: list[dict[str, Any]] = []
    metadata: dict[str, str] = {}
    result: dict[str, list[Any]] = {
        "attached": [],
        "already_attached": [],
        "failed": [],
        "not_attached": [],
        "recorded": [],
    }

    def record(target_name: str, status: str, reason: str, bucket: str) -> None:
        key = naming.metadata_key(target_name)
        metadata[key] = naming.metadata_value(status, reason)
        result[bucket].append(TargetNote(target=target_name, reason=reason))

    handled: set[str] = set()
    for outcome in sorted(outcomes, key=lambda item: order.get(item.target, len(order))):
        target = by_name.get(outcome.target)
        if target is None or target.name in handled:
            # Removed from the config since Plan ran, or reported twice: one decision per target.
            continue
        handled.add(target.name)
        spec_name = naming.spec_name(target.name)
        if spec_name in attached:
            result["already_attached"].append(spec_name)
            continue
        retry = naming.is_retry_request(recorded.get(naming.metadata_key(target.name)))
        if naming.metadata_key(target.name) in recorded and not retry:
            continue
        if outcome.status != "COMPLETED":
            reason = outcome.reason or "compilation did not complete"
            record(target.name, outcome.status, f"{reason} (job {outcome.job_name})", "failed")
            continue
        job = jobs.get(outcome.job_name)
        if job is None:
            unread = (
                f"job {outcome.job_name} reported COMPLETED without an artifact in the version's "
                "compiled location"
            )
            record(target.name, "FAILED", unread, "failed")
            continue
        image = _image_or_why_not(package, group, target, job, region)
        if isinstance(image, tuple):  # compiled, and the artifact recorded on the version instead
            bucket, note = image
            metadata[naming.metadata_key(target.name)] = artifact_record(job, note)
            result[bucket].append(TargetNote(target=target.name, reason=f"{note} ({job.artifact})"))
            continue
        if len(specs) >= room:
            record(
                target.name,
                "NOT_ATTACHED",
                f"the version already has {MAX_ADDITIONAL_SPECS} additional inference specifications "
                f"(compiled artifact {job.artifact})",
                "not_attached",
            )
            continue
        specs.append(build_spec(package, group, target, job, image))
        result["attached"].append(spec_name)
        if retry:  # the RETRY request is answered: keep what happened in its place
            key = naming.metadata_key(target.name)
            metadata[key] = naming.metadata_value(
                "ATTACHED", f"retried as {spec_name} (job {outcome.job_name})"
            )

    request = update_request(package, specs, metadata)
    return AttachPlan(
        request=request,
        result=AttachResult(model_package_arn=package.ModelPackageArn, updated=request is not None, **result),
        new_failures=list(result["failed"]),
        specs=specs,
        notes=metadata,
        compiled=[
            target.name
            for target in group.neo_targets
            if naming.is_compiled_record(metadata.get(naming.metadata_key(target.name)))
        ],
    )


def retry_command(model_package_arn: str, region: str, targets: list[str]) -> str:
    """The command a person runs to have failed targets compiled again (README, "Retry a failed Neo
    target"): the `retry` verb writes the RETRY record and starts the compile workflow itself, so it
    does not depend on an event for a metadata-only update (AWS documents the state-change event as
    a change of status)."""
    return " && ".join(
        f"python -m autopilot retry {model_package_arn} {target} --region {region}" for target in targets
    )


def update_request(
    package: ModelPackage,
    specs: list[dict[str, Any]],
    metadata: dict[str, str],
    *,
    fields: dict[str, Any] | None = None,
    first_metadata: dict[str, str] | None = None,
    remove: tuple[str, ...] = (),
) -> dict[str, Any] | None:
    """The one UpdateModelPackage request naming only what changes; None when nothing does.

    `fields` adds top-level members (the approval decision); `first_metadata` are entries kept
    before `metadata` when the 50-entry limit bites (the audit keys); `remove` names records a later
    one supersedes, removed in the same call (CustomerMetadataPropertiesToRemove). The ClientToken is a
    digest of every other member of the request, so one token always carries byte-for-byte the same
    request and a request that differs in anything (a later decision time included) carries another token.
    """
    existing = package.CustomerMetadataProperties
    removed = sorted(key for key in set(remove) if key in existing)  # superseded records (docs/AUDIT.md)
    free = MAX_METADATA_ENTRIES - len(existing) + len(removed)
    merged: dict[str, str] = {}
    for key, value in [*(first_metadata or {}).items(), *metadata.items()]:
        if key in merged:
            continue
        if key not in existing:
            if free <= 0:
                continue  # at most 50 entries per version: keep what fits, in priority order
            free -= 1
        merged[key] = value
    if not specs and not merged and not fields and not removed:
        return None
    request: dict[str, Any] = {"ModelPackageArn": package.ModelPackageArn}
    if specs:
        request["AdditionalInferenceSpecificationsToAdd"] = specs
    request.update(fields or {})
    if merged:
        request["CustomerMetadataProperties"] = merged
    if removed:
        request["CustomerMetadataPropertiesToRemove"] = removed
    request["ClientToken"] = naming.client_token(json.dumps(request, sort_keys=True))
    return request
