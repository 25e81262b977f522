"""Load and validate the user's configuration from `cdk.json` context.

Everything lives under the context key `autopilot`. It can be overridden from the command line:
`cdk synth -c autopilot='{"groups": {...}}'` replaces the whole object, and
`cdk synth -c autopilot.<key>=<value>` replaces one top-level key (the value is parsed as JSON when
it is valid JSON, so `-c autopilot.logRetentionDays=90` is a number and strings need no quotes).

Invalid configuration fails synthesis with a message naming every offending key. The model itself
lives with the functions (`registry_autopilot.models.config`), which read the same configuration at
run time.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import ValidationError

from infra import functions_path  # noqa: F401  (puts functions/ on sys.path)
from registry_autopilot.logic import targets
from registry_autopilot.models.config import (
    EMAIL_PATTERN,
    GROUP_NAME_PATTERN,
    INSTANCE_TYPE_PATTERN,
    NAME_PREFIX_PATTERN,
    ROLE_ARN_PATTERN,
    TARGET_NAME_PATTERN,
    AutopilotConfig,
    PromotionCapacity,
)

CONTEXT_KEY = "autopilot"
# The compile watcher's round: it learns that a job ended at most this long after (EventBridge's
# finest schedule is a minute). Kept here because the deadline check below reasons on it.
WATCHER_ROUND_SECONDS = 60
# A branch waits this long past the deadline for the watcher's report (which comes at the deadline)
# before it records TIMED_OUT on its own: the backstop for a watcher that cannot run.
WATCHER_GRACE_MINUTES = 10


class ConfigError(ValueError):
    """Configuration that cannot be deployed; the message names every offending key."""


def _parse_override(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def merge_context(base: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply `-c autopilot=...` and `-c autopilot.<key>=...` overrides onto the cdk.json object."""
    merged = _parse_override(overrides.get(CONTEXT_KEY, base))
    if merged is None:
        raise ConfigError(f"missing context key '{CONTEXT_KEY}' (set it in cdk.json or with -c)")
    if not isinstance(merged, dict):
        raise ConfigError(f"'{CONTEXT_KEY}': expected a JSON object, got {type(merged).__name__}")
    merged = dict(merged)
    prefix = f"{CONTEXT_KEY}."
    for key, value in overrides.items():
        if key.startswith(prefix):
            merged[key[len(prefix) :]] = _parse_override(value)
    return merged


# Readable names for the patterns above, used in error messages instead of the raw regex.
_PATTERN_MEANING = {
    # Group, endpoint and variant names share one pattern in the SageMaker API.
    GROUP_NAME_PATTERN: f"a SageMaker name (letters, digits, hyphens; 1-63) matching {GROUP_NAME_PATTERN}",
    ROLE_ARN_PATTERN: "an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
    TARGET_NAME_PATTERN: f"a short target name matching {TARGET_NAME_PATTERN}",
    EMAIL_PATTERN: "an e-mail address",
    INSTANCE_TYPE_PATTERN: "a SageMaker instance type such as ml.c5.xlarge",
    NAME_PREFIX_PATTERN: (
        f"the start of a SageMaker name (1-62 letters, digits, hyphens) matching {NAME_PREFIX_PATTERN}"
    ),
}


def _location(loc: tuple[int | str, ...]) -> str:
    path = CONTEXT_KEY
    for part in loc:
        if part == "[key]":
            continue  # pydantic's marker for a dict key: the key itself is already in the path
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "string_pattern_mismatch":
            pattern = str(item.get("ctx", {}).get("pattern", ""))
            meaning = _PATTERN_MEANING.get(pattern, f"a value matching {pattern}")
            message = f"{item['input']!r} is not {meaning}"
        lines.append(f"  {_location(tuple(item['loc']))}: {message}")
    return "invalid configuration in cdk.json context:\n" + "\n".join(lines)


def _service_enum(shape: str) -> frozenset[str]:
    """An enum from the pinned SDK's SageMaker service model (kept out of the config model so the
    accepted values follow the SDK instead of a copy that drifts)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.shape_for(shape).enum)


def _check_against_service_model(config: AutopilotConfig) -> None:
    """Values AWS validates against an enum: Neo devices (CreateCompilationJob OutputConfig.TargetDevice)
    and real-time instance types (ProductionVariantInstanceType)."""
    devices = _service_enum("TargetDevice")
    instance_types = _service_enum("ProductionVariantInstanceType")
    problems = []
    for key, group_config in config.settings_by_key().items():
        where = f"{CONTEXT_KEY}.{key}"
        for index, target in enumerate(group_config.neo_targets):
            if target.target_device is not None and target.target_device not in devices:
                problems.append(
                    f"  {where}.neoTargets[{index}].targetDevice: {target.target_device!r} is not a "
                    f"SageMaker Neo target device (one of: {', '.join(sorted(devices))})"
                )
            for position, instance_type in enumerate(target.instance_types or []):
                if instance_type not in instance_types:
                    problems.append(
                        f"  {where}.neoTargets[{index}].instanceTypes[{position}]: {instance_type!r} "
                        "is not a SageMaker real-time inference instance type"
                    )
        shadow = group_config.shadow
        if shadow is not None and shadow.instance_type not in instance_types:
            problems.append(
                f"  {where}.shadow.instanceType: {shadow.instance_type!r} is not a SageMaker "
                "real-time inference instance type"
            )
        promoted = getattr(shadow, "promotion_capacity", None)
        if isinstance(promoted, PromotionCapacity) and promoted.instance_type not in instance_types:
            problems.append(
                f"  {where}.shadow.promotionCapacity.instanceType: {promoted.instance_type!r} is not a "
                "SageMaker real-time inference instance type"
            )
    if problems:
        raise ConfigError("invalid configuration in cdk.json context:\n" + "\n".join(problems))


def _check_workflow_outlives_jobs(config: AutopilotConfig) -> None:
    """Every target's compilation job ends (completes, or fails with TimeOut at its MaxRuntimeInSeconds)
    and the compile watcher has seen it end before the workflow's own deadline (`compileTimeoutMinutes`
    after Plan).

    Targets run `compileMaxConcurrency` at a time, so a group's last batch starts only when the ones
    before it have ended: the deadline must cover every batch at the longest job limit plus one poll.
    """
    deadline = config.compile_timeout_minutes * 60
    problems = []
    for where, group_config in config.settings_by_key().items():
        targets = group_config.neo_targets
        limits = {target.name: group_config.max_runtime_seconds(target) for target in targets}
        batches = math.ceil(len(targets) / config.compile_max_concurrency)
        longest = max(limits.values())
        needed = batches * (longest + WATCHER_ROUND_SECONDS)
        if needed <= deadline:
            continue
        slowest = next(i for i, target in enumerate(targets) if limits[target.name] == longest)
        key = (
            f"{where}.neoTargets[{slowest}].compileMaxRuntimeSeconds"
            if targets[slowest].compile_max_runtime_seconds is not None
            else f"{where}.compileMaxRuntimeSeconds"
        )
        label = where.replace("groups.", "group ", 1)
        problems.append(
            f"  {CONTEXT_KEY}.compileTimeoutMinutes: {config.compile_timeout_minutes} minutes do not outlive "
            f"{label}'s compilation jobs: {len(targets)} target(s) at compileMaxConcurrency "
            f"{config.compile_max_concurrency} run in {batches} batch(es) of up to {longest} s ({key}) "
            f"plus {WATCHER_ROUND_SECONDS} s for the compile watcher's next round, "
            f"{math.ceil(needed / 60)} minutes in all; raise "
            f"compileTimeoutMinutes to at least {math.ceil(needed / 60)} or lower {key}"
        )
    if problems:
        raise ConfigError("invalid configuration in cdk.json context:\n" + "\n".join(problems))


def _check_neo_instance_types(config: AutopilotConfig) -> None:
    """What a Neo target advertises in SupportedRealtimeInferenceInstanceTypes: only values of the SDK's
    ProductionVariantInstanceType enum (derived ones included), only the instance family the target was
    compiled for ("When you deploy a compiled model, you need to use the same instance for the target
    that you used for compilation", Developer Guide, Neo, "Deploy a Model"), and nothing at all for a
    target no SageMaker endpoint serves (edge devices, targetPlatform, ml_eia2)."""
    enum = _service_enum("ProductionVariantInstanceType")
    problems = []
    for key, group_config in config.settings_by_key().items():
        for index, target in enumerate(group_config.neo_targets):
            where = f"  {CONTEXT_KEY}.{key}.neoTargets[{index}]"
            family = targets.serving_family(target)
            if family is None:
                if target.instance_types:
                    device = target.target_device
                    kind = f"targetDevice {device!r}" if device else "a targetPlatform"
                    problems.append(
                        f"{where}.instanceTypes: {kind} is not served by a SageMaker endpoint (an edge "
                        "device, a platform, or Elastic Inference, which is no longer available); its "
                        "compiled artifact is recorded on the version, so remove 'instanceTypes'"
                    )
                continue
            for position, instance_type in enumerate(target.instance_types or []):
                if instance_type in enum and not targets.instance_type_fits(target, instance_type):
                    problems.append(
                        f"{where}.instanceTypes[{position}]: {instance_type!r} does not fit targetDevice "
                        f"{target.target_device!r}: a Neo-compiled model is served on the instance family "
                        f"it was compiled for (ml.{family}.*)"
                    )
            if not target.instance_types:
                unknown = [name for name in targets.instance_types_for(target) if name not in enum]
                if unknown:
                    problems.append(
                        f"{where}: the instance types derived for {target.target_device!r} "
                        f"({', '.join(unknown)}) are not in this SDK's ProductionVariantInstanceType; "
                        "set 'instanceTypes'"
                    )
    if problems:
        raise ConfigError("invalid configuration in cdk.json context:\n" + "\n".join(problems))


def load_config(raw: Any) -> AutopilotConfig:
    """Validate the merged `autopilot` context object; raise ConfigError naming each bad key."""
    try:
        config = AutopilotConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc)) from None
    _check_against_service_model(config)
    _check_workflow_outlives_jobs(config)
    _check_neo_instance_types(config)
    return config


def config_from_context(get_context: Any, context_keys: dict[str, Any]) -> AutopilotConfig:
    """Read the config from a CDK node: `get_context(key)` plus every `autopilot.*` key given."""
    overrides = {
        key: value
        for key, value in context_keys.items()
        if key == CONTEXT_KEY or key.startswith(f"{CONTEXT_KEY}.")
    }
    return load_config(merge_context(get_context(CONTEXT_KEY), overrides))
