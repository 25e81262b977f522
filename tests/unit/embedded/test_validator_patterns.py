"""The request validator reads every pattern of the API model the way AWS (Java) does.

AWS's model writes patterns as Java regular expressions. CustomerMetadataProperties (UpdateModelPackage,
CreateModelPackage) takes letters, separators, numbers and ``_.:/=+-@`` (SageMaker API Reference,
UpdateModelPackage, CustomerMetadataProperties: "Value Length Constraints: Minimum length of 1.
Maximum length of 256. Value Pattern: ([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,256}").
Java's POSIX classes are ASCII: "POSIX character classes (US-ASCII only)", ``\\p{Alnum}`` "An
alphanumeric character: [\\p{Alpha}\\p{Digit}]" (java.util.regex.Pattern).
"""

from __future__ import annotations

import botocore.session
import pytest

from autopilot.embedded.backend.validator import compile_java_pattern

# The services whose requests reach the embedded account.
SERVED = (
    "sagemaker", "stepfunctions", "events", "s3", "sqs", "sns", "cloudwatch", "lambda", "iam", "sts",
    "cloudformation", "logs", "kms", "ecr",
)  # fmt: skip


def _patterns(service: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    found = {model.shape_for(name).metadata.get("pattern") for name in model.shape_names}
    return {p for p in found if p}


@pytest.mark.parametrize("service", SERVED)
def test_every_pattern_of_a_served_service_is_compiled_none_skipped(service: str) -> None:
    assert [p for p in _patterns(service) if compile_java_pattern(p) is None] == []


def _metadata_value_pattern() -> str:
    model = botocore.session.get_session().get_service_model("sagemaker")
    pattern: str = model.shape_for("CustomerMetadataMap").value.metadata["pattern"]
    return pattern


@pytest.mark.parametrize("value", ["bad!value#", "a,b", "(x)", "50%", "q?", "semi;colon", 'quote"'])
def test_a_metadata_value_with_a_character_the_pattern_excludes_is_refused(value: str) -> None:
    assert compile_java_pattern(_metadata_value_pattern()).fullmatch(value) is None


@pytest.mark.parametrize(
    "value",
    ["Approved", "s3://bucket/key.tar.gz", "2024-05-01T12:00:00Z", "a b", "prénom", "日本語", "x=1+2@y"],
)
def test_a_metadata_value_of_letters_numbers_separators_and_the_listed_marks_is_accepted(value: str) -> None:
    assert compile_java_pattern(_metadata_value_pattern()).fullmatch(value) is not None


@pytest.mark.parametrize(("value", "matches"), [("abc09", True), ("é", False), ("٣", False), ("a-b", False)])
def test_java_posix_classes_are_ascii_only(value: str, matches: bool) -> None:
    assert (compile_java_pattern(r"\p{Alnum}+").fullmatch(value) is not None) is matches


def test_java_class_intersection_is_read_as_an_intersection() -> None:
    compiled = compile_java_pattern("[a-z&&[^aeiou]]+")
    assert compiled.fullmatch("bcd") is not None
    assert compiled.fullmatch("bad") is None
