"""Deterministic names, keys and tokens, each within its documented limits.

Limits (SageMaker API Reference):
- CreateCompilationJob.CompilationJobName and AdditionalInferenceSpecificationDefinition.Name:
  1-63 chars, pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$.
- UpdateModelPackage.CustomerMetadataProperties: keys 1-128, values 1-256, both
  ([\\p{L}\\p{Z}\\p{N}_.:/=+-@]*).
- UpdateModelPackage.ClientToken: 1-36 chars, [a-zA-Z0-9-]+.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from registry_autopilot.models.config import NeoTarget

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_NAME = 63
MAX_METADATA_KEY = 128
MAX_METADATA_VALUE = 256
MAX_CLIENT_TOKEN = 36
HASH_LENGTH = 8

# IAM scopes the workflow to compilation-job/autopilot-* (infra constants.COMPILATION_JOB_PREFIX).
JOB_PREFIX = "autopilot-"
SPEC_PREFIX = "neo-"
# Where the compile workflow keeps one wait (task token) per waiting execution, in the artifacts bucket.
COMPILE_WAITS_PREFIX = "compile-waits/"
# Where the compile watcher moves an object under COMPILE_WAITS_PREFIX that it cannot read as a wait.
SET_ASIDE_WAITS_PREFIX = "compile-waits-set-aside/"
METADATA_PREFIX = "autopilot:neo:"
# A person sets a target's record to this value to have a failed target compiled again.
RETRY_REQUEST = "RETRY"
# The record of a target compiled but not attached: its artifact's URI is on the version instead.
COMPILED = "COMPILED"
_METADATA_PUNCTUATION = set("_.:/=+-@")


def _digest(*parts: str, length: int = HASH_LENGTH) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def _fit_name(stem: str, suffix: str, limit: int = MAX_NAME) -> str:
    """`stem-suffix` cut to `limit` chars without leaving a hyphen at the cut."""
    room = limit - len(suffix) - 1
    stem = re.sub(r"[^a-zA-Z0-9-]", "-", stem)[:room].strip("-")
    return f"{stem}-{suffix}" if stem else suffix


def target_fingerprint(target: NeoTarget) -> str:
    """Everything that changes what a compilation produces, in a stable form."""
    return json.dumps(target.model_dump(mode="json", exclude={"instance_types"}), sort_keys=True)


def compilation_job_name(group: str, version: int, target: NeoTarget, attempt: str = "") -> str:
    """Same group, version, target definition (and retry `attempt`) -> same job name, so a duplicate
    event or a retried execution resumes the existing job instead of starting a second one; a retry
    a person requested gets a new `attempt` and so a new job (a failed job's name cannot be reused).
    The hash covers the untruncated identity, so names cut to fit stay distinct."""
    identity = [group.lower(), str(version), target_fingerprint(target)]
    suffix = _digest(*identity, *([attempt] if attempt else []))
    return JOB_PREFIX + _fit_name(f"{group}-v{version}-{target.name}", suffix, MAX_NAME - len(JOB_PREFIX))


def compiled_location(bucket: str, group: str, version: int, target_name: str = "") -> str:
    """Where a version's compiled artifacts go (OutputConfig.S3OutputLocation, one folder a target)."""
    return f"s3://{bucket}/compiled/{group}/{version}/" + (f"{target_name}/" if target_name else "")


def spec_name(target_name: str) -> str:
    # Target names are at most 47 chars (config: pattern and max length), so this always fits in 63.
    return f"{SPEC_PREFIX}{target_name}"


def metadata_key(target_name: str) -> str:
    return f"{METADATA_PREFIX}{target_name}"


def is_retry_request(value: str | None) -> bool:
    return value is not None and value.strip().upper() == RETRY_REQUEST


def is_compiled_record(value: str | None) -> bool:
    return value is not None and value.startswith(f"{COMPILED}:")


def target_from_metadata_key(key: str) -> str | None:
    return key[len(METADATA_PREFIX) :] if key.startswith(METADATA_PREFIX) else None


def _metadata_char(char: str) -> str:
    category = unicodedata.category(char)
    if category[0] in {"L", "N"} or category[0] == "Z" or char in _METADATA_PUNCTUATION:
        return char
    return " "


def metadata_value(status: str, reason: str) -> str:
    """`STATUS: reason` using only characters the metadata value pattern allows, <= 256 chars."""
    return metadata_text(f"{status}: {reason}")


def metadata_text(value: str) -> str:
    """`value` using only characters the metadata value pattern allows, <= 256 chars."""
    text = "".join(_metadata_char(char) for char in value)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_METADATA_VALUE:
        text = text[: MAX_METADATA_VALUE - 3].rstrip() + "..."
    return text


def client_token(*parts: str) -> str:
    """Same request content -> same token, so SageMaker treats a retried call as the same call."""
    return _digest(*parts, length=32)
