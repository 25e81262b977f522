"""Whatever the input, every payload we build is within AWS's documented limits (hypothesis, with a
fixed derandomized seed so runs are repeatable).

Limits (SageMaker API Reference):
- CreateCompilationJob.CompilationJobName, AdditionalInferenceSpecificationDefinition.Name: 1-63,
  ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$; spec names unique within the version; at most 15 per version.
- UpdateModelPackage.ClientToken: 1-36, ^[a-zA-Z0-9-]+$.
- UpdateModelPackage.CustomerMetadataProperties: at most 50 entries; keys 1-128, values 0-256, both
  ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$.
- AdditionalInferenceSpecificationDefinition.Description: at most 1024.
Every UpdateModelPackage request is also checked against botocore's own service model (every length,
count, range, pattern and enum it carries) with the local backend's validator.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from autopilot.embedded.backend.validator import validate
from registry_autopilot.logic import naming
from registry_autopilot.logic.attach import CompiledJob, plan_attach
from registry_autopilot.models.config import GROUP_NAME_PATTERN, TARGET_NAME_PATTERN, GroupConfig, NeoTarget
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import TargetOutcome
from tests.compile_fixtures import describe_output

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
CLIENT_TOKEN = re.compile(r"^[a-zA-Z0-9-]{1,36}$")
METADATA_PUNCTUATION = set("_.:/=+-@")
MAX_SPECS, MAX_METADATA, MAX_KEY, MAX_VALUE, MAX_DESCRIPTION = 15, 50, 128, 256, 1024
DEVICES = ["ml_c4", "ml_c5", "ml_m5", "ml_g4dn", "ml_inf1", "ml_inf2", "ml_p3", "jetson_nano", "rasp4b"]

# No deadline: these properties are about what is built (names, payloads, limits), not how fast. Hypothesis'
# default of 200 ms per example would fail them on a loaded machine (DeadlineExceeded, flaky by nature),
# and speed is measured by `make bench`, never asserted by a test.
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

group_names = st.from_regex(GROUP_NAME_PATTERN, fullmatch=True)
# What the configuration accepts as a target name (config.NeoTarget: the pattern and <= 47 characters).
target_names = st.from_regex(TARGET_NAME_PATTERN, fullmatch=True).filter(lambda name: len(name) <= 47)
versions = st.integers(min_value=1, max_value=2**31 - 1)
any_text = st.text(max_size=2000)


def metadata_text_ok(text: str) -> bool:
    """The documented pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*, by Unicode category."""
    return all(unicodedata.category(c)[0] in "LZN" or c in METADATA_PUNCTUATION for c in text)


@st.composite
def targets(draw: Any, name: str | None = None) -> NeoTarget:
    return NeoTarget(name=name or draw(target_names), target_device=draw(st.sampled_from(DEVICES)))


def test_the_configuration_refuses_a_target_name_made_long_by_hyphens() -> None:
    # Found by the properties below: the pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,23}$ bounds letters and
    # digits but not hyphens, so a 60-character name passed and its spec name exceeded 63 characters.
    with pytest.raises(ValidationError, match="at most 47 characters"):
        NeoTarget(name="a" + "-" * 58 + "b", target_device="ml_c5")


@SETTINGS
@given(group=group_names, version=versions, target=targets())
def test_compilation_job_names_fit_the_limit_the_pattern_and_the_iam_prefix(
    group: str, version: int, target: NeoTarget
) -> None:
    name = naming.compilation_job_name(group, version, target)

    assert len(name) <= 63
    assert NAME.match(name), name
    assert name.startswith("autopilot-")


@SETTINGS
@given(group=group_names, version=versions, target=targets(), other=st.data())
def test_different_versions_or_groups_never_share_a_job_name(
    group: str, version: int, target: NeoTarget, other: st.DataObject
) -> None:
    other_group = other.draw(group_names)
    other_version = other.draw(versions)
    if (other_group.lower(), other_version) == (group.lower(), version):
        return

    assert naming.compilation_job_name(group, version, target) != naming.compilation_job_name(
        other_group, other_version, target
    )


@SETTINGS
@given(names=st.lists(target_names, min_size=1, max_size=15, unique=True))
def test_spec_names_fit_and_are_unique_for_the_targets_of_a_group(names: list[str]) -> None:
    specs = [naming.spec_name(name) for name in names]

    assert all(len(spec) <= 63 and NAME.match(spec) for spec in specs)
    assert len(set(specs)) == len(specs)


@SETTINGS
@given(name=target_names, status=st.sampled_from(["FAILED", "TIMED_OUT", "NOT_ATTACHED"]), reason=any_text)
def test_metadata_keys_and_values_fit_the_limits_and_the_allowed_characters(
    name: str, status: str, reason: str
) -> None:
    key, value = naming.metadata_key(name), naming.metadata_value(status, reason)

    assert 1 <= len(key) <= MAX_KEY
    assert metadata_text_ok(key)
    assert len(value) <= MAX_VALUE
    assert metadata_text_ok(value), value


@SETTINGS
@given(parts=st.lists(any_text, min_size=1, max_size=4))
def test_client_tokens_fit_the_limit_and_the_pattern(parts: list[str]) -> None:
    assert CLIENT_TOKEN.match(naming.client_token(*parts))


# -- the whole UpdateModelPackage request of the attach step ------------------------------------------
_UPDATE = botocore.session.get_session().get_service_model("sagemaker").operation_model("UpdateModelPackage")


def assert_update_request_valid(request: dict[str, Any], package: ModelPackage) -> None:
    """An UpdateModelPackage request within every documented limit, given the version it updates.
    Reusable for every builder of UpdateModelPackage requests (approval, shadow outcome)."""
    assert validate(_UPDATE.input_shape, request) == []
    specs = request.get("AdditionalInferenceSpecificationsToAdd", [])
    names = [spec["Name"] for spec in specs]
    existing = package.attached_spec_names
    assert len(existing) + len(specs) <= MAX_SPECS
    assert len(set(names)) == len(names)
    assert not set(names) & existing
    assert all(len(spec.get("Description", "")) <= MAX_DESCRIPTION for spec in specs)
    metadata = request.get("CustomerMetadataProperties", {})
    assert len(set(metadata) | set(package.CustomerMetadataProperties)) <= MAX_METADATA
    for key, value in metadata.items():
        assert 1 <= len(key) <= MAX_KEY
        assert len(value) <= MAX_VALUE
        assert metadata_text_ok(key)
        assert metadata_text_ok(value), value
    assert "ClientToken" not in request or CLIENT_TOKEN.match(request["ClientToken"])
    if "ApprovalDescription" in request:
        assert len(request["ApprovalDescription"]) <= 1024


@st.composite
def attach_cases(draw: Any) -> tuple[ModelPackage, GroupConfig, list[TargetOutcome], dict[str, CompiledJob]]:
    names = draw(st.lists(target_names, min_size=1, max_size=15, unique=True))
    group = GroupConfig(neo_targets=[draw(targets(name=name)) for name in names])
    attached = draw(st.lists(st.sampled_from([naming.spec_name(n) for n in names]), unique=True))
    others = draw(st.lists(st.from_regex(r"^[a-z][a-z0-9]{0,20}$", fullmatch=True), unique=True, max_size=15))
    specs = [*attached, *[f"x-{name}" for name in others]][:MAX_SPECS]
    metadata = draw(
        st.dictionaries(
            st.from_regex(r"^[a-z][a-z0-9:]{0,30}$", fullmatch=True),
            st.text("abc 123", max_size=20),
            max_size=50,
        )
    )
    package = ModelPackage.from_describe(
        describe_output(
            AdditionalInferenceSpecifications=[{"Name": name} for name in specs],
            CustomerMetadataProperties=metadata,
        )
    )
    outcomes, jobs = [], {}
    for name in names:
        status = draw(st.sampled_from(["COMPLETED", "FAILED", "TIMED_OUT"]))
        job = f"autopilot-{name}"
        outcomes.append(TargetOutcome(target=name, job_name=job, status=status, reason=draw(any_text)))
        if status == "COMPLETED" and draw(st.booleans()):
            jobs[job] = CompiledJob(
                job,
                f"s3://bucket/compiled/{name}/model.tar.gz",
                draw(st.none() | st.just("785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest")),
            )
    return package, group, outcomes, jobs


@SETTINGS
@given(case=attach_cases())
def test_the_attach_request_is_within_every_limit_whatever_the_version_and_outcomes(
    case: tuple[ModelPackage, GroupConfig, list[TargetOutcome], dict[str, CompiledJob]],
) -> None:
    package, group, outcomes, jobs = case

    decision = plan_attach(package, group, outcomes, jobs, "us-east-1")

    if decision.request is not None:
        assert_update_request_valid(decision.request, package)
