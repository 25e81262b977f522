"""Names, keys and tokens stay within the documented limits (SageMaker API Reference)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from registry_autopilot.logic import naming
from registry_autopilot.models.config import NeoTarget, TargetPlatform

# CreateCompilationJob.CompilationJobName / AdditionalInferenceSpecificationDefinition.Name:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html
ENTITY_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# UpdateModelPackage.CustomerMetadataProperties values: ([\p{L}\p{Z}\p{N}_.:/=+-@]*), 1-256 chars
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html
METADATA_PUNCTUATION = set("_.:/=+-@")

names = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,62}", fullmatch=True)
target_names = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,23}", fullmatch=True)


def device_target(name: str = "ml-c5", device: str = "ml_c5") -> NeoTarget:
    return NeoTarget(name=name, target_device=device)


def test_job_name_starts_with_the_prefix_iam_is_scoped_to() -> None:
    name = naming.compilation_job_name("churn-xgboost", 3, device_target())

    assert name.startswith("autopilot-churn-xgboost-v3-ml-c5-")


def test_job_name_is_the_same_for_the_same_group_version_and_target() -> None:
    first = naming.compilation_job_name("churn-xgboost", 3, device_target())
    again = naming.compilation_job_name("churn-xgboost", 3, device_target())

    assert first == again


def test_job_name_changes_when_the_target_definition_changes() -> None:
    c5 = naming.compilation_job_name("g", 1, device_target("edge", "ml_c5"))
    m5 = naming.compilation_job_name("g", 1, device_target("edge", "ml_m5"))

    assert c5 != m5


# No deadline: these properties are about what is built (names, payloads, limits), not how fast. Hypothesis'
# default of 200 ms per example would fail them on a loaded machine (DeadlineExceeded, flaky by nature),
# and speed is measured by `make bench`, never asserted by a test.
PROPERTY = settings(deadline=None)


@PROPERTY
@given(group=names, version=st.integers(min_value=1, max_value=10**7), target=target_names)
def test_job_names_are_valid_entity_names_for_any_group_and_target(
    group: str, version: int, target: str
) -> None:
    name = naming.compilation_job_name(group, version, device_target(target))

    assert len(name) <= 63
    assert ENTITY_NAME.match(name)


@PROPERTY
@given(group=names, target_a=target_names, target_b=target_names)
def test_job_names_of_different_targets_differ_even_when_truncated(
    group: str, target_a: str, target_b: str
) -> None:
    if target_a == target_b:
        return
    assert naming.compilation_job_name(group, 1, device_target(target_a)) != naming.compilation_job_name(
        group, 1, device_target(target_b)
    )


@PROPERTY
@given(target=target_names)
def test_spec_names_are_valid_entity_names(target: str) -> None:
    assert ENTITY_NAME.match(naming.spec_name(target))


def test_platform_targets_get_distinct_job_names_per_platform() -> None:
    arm = NeoTarget(name="edge", target_platform=TargetPlatform(os="LINUX", arch="ARM64"))
    x86 = NeoTarget(name="edge", target_platform=TargetPlatform(os="LINUX", arch="X86_64"))

    assert naming.compilation_job_name("g", 1, arm) != naming.compilation_job_name("g", 1, x86)


@PROPERTY
@given(reason=st.text(max_size=2000))
def test_metadata_values_use_only_allowed_characters_and_fit_256(reason: str) -> None:
    value = naming.metadata_value("FAILED", reason)

    assert 1 <= len(value) <= 256
    assert all(ch.isalpha() or ch.isnumeric() or ch == " " or ch in METADATA_PUNCTUATION for ch in value)


def test_metadata_value_keeps_a_readable_reason() -> None:
    value = naming.metadata_value("FAILED", 'ClientError: InputConfiguration: "input0" shape (1, 3) invalid')

    assert value == "FAILED: ClientError: InputConfiguration: input0 shape 1 3 invalid"


@PROPERTY
@given(target=target_names)
def test_metadata_keys_fit_128_and_map_back_to_the_target(target: str) -> None:
    key = naming.metadata_key(target)

    assert len(key) <= 128
    assert naming.target_from_metadata_key(key) == target


@PROPERTY
@given(parts=st.lists(st.text(), max_size=5))
def test_client_tokens_fit_the_documented_shape(parts: list[str]) -> None:
    # UpdateModelPackage.ClientToken: 1-36 chars, [a-zA-Z0-9-]+
    token = naming.client_token(*parts)

    assert re.fullmatch(r"[a-zA-Z0-9-]{1,36}", token)
