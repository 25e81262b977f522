"""EventBridge pattern matching, case by case against the documented semantics.

Doc sections cited per case:
- EP: "Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
- ARR: "Creating event patterns that match on array values"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
- CF: "Content filtering in Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
- SM: "Events that Amazon SageMaker AI sends to Amazon EventBridge" (Model package state change)
  https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
- SYN: "Event pattern syntax", section "Considerations when creating event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html

The sentences the AB-* and DOT cases rest on:
- CF, "Anything-but matching": "Anything-but matching matches anything except what's provided in the
  rule." A null, a number or a boolean is not a string, so it never has the excluded prefix, suffix,
  wildcard shape or case-folded spelling: anything-but with those filters matches it. (Observed on
  AWS with TestEventPattern and reported to emulators: localstack/localstack#9711, "Event that matches
  in AWS, but NOT Localstack" for ``{"foo": null}`` against ``anything-but``; localstack#13268: a
  user-set null "returns true like any string not matching the pattern would", a missing field
  does not match.)
- SYN: "Be aware that when EventBridge compiles event patterns for use, it uses dot (.) as the
  joining character. This means EventBridge will treat the following event patterns as identical"
  (``{"detail": {"state": {"status": ["running"]}}}`` and ``{"detail.state.status": ["running"]}``),
  and both match the event written either way (``"detail.state.status": "running"``).
- SYN: "If multiple patterns are specified for the same JSON field, EventBridge only uses the last
  one."
- AB-EMPTY: the guide is silent on an empty ``prefix``/``suffix`` inside ``anything-but``; EventBridge's
  pattern compiler (Event Ruler, JsonRuleCompiler) rejects it with "Null prefix/suffix not allowed"
  (docs/FIDELITY.md, "Where the documentation is silent").
"""

from __future__ import annotations

from typing import Any

import pytest

from autopilot.embedded.eventpattern import InvalidPatternError, matches, validate_pattern

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
MODEL_PACKAGE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "1a2b3c4d-0000-0000-0000-000000000000",
    "detail-type": "SageMaker Model Package State Change",
    "source": "aws.sagemaker",
    "account": "123456789012",
    "time": "2024-05-01T12:00:00Z",
    "region": "us-east-1",
    "resources": [ARN],
    "detail": {
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": 3,
        "ModelPackageArn": ARN,
        "ModelPackageName": "churn",
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
        "CreationTime": 1714564800000,
        "InferenceSpecification": {
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
        },
        "CustomerMetadataProperties": {"autopilot:decision": "pending"},
    },
}

SM_RULE = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Model Package State Change"],
    "detail": {
        "ModelPackageGroupName": ["churn", "fraud"],
        "ModelPackageStatus": ["Completed"],
        "ModelApprovalStatus": ["PendingManualApproval"],
    },
}


def with_detail(**changes: Any) -> dict[str, Any]:
    return {**MODEL_PACKAGE_EVENT, "detail": {**MODEL_PACKAGE_EVENT["detail"], **changes}}


# (case id, pattern, event, expected, doc section)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool, str]] = [
    # -- EP: structure, AND of keys, OR of values ------------------------------------------------------
    (
        "all_keys_match",
        {"source": ["aws.sagemaker"], "region": ["us-east-1"]},
        MODEL_PACKAGE_EVENT,
        True,
        "EP",
    ),
    (
        "one_key_fails_the_and",
        {"source": ["aws.sagemaker"], "region": ["eu-west-1"]},
        MODEL_PACKAGE_EVENT,
        False,
        "EP",
    ),
    ("leaf_array_is_an_or", {"region": ["eu-west-1", "us-east-1"]}, MODEL_PACKAGE_EVENT, True, "EP"),
    ("missing_field_does_not_match_a_value", {"detail": {"Nope": ["x"]}}, MODEL_PACKAGE_EVENT, False, "EP"),
    (
        "nested_objects_descend",
        {"detail": {"InferenceSpecification": {"SupportedContentTypes": ["application/json"]}}},
        MODEL_PACKAGE_EVENT,
        True,
        "EP",
    ),
    (
        "object_in_event_does_not_match_leaf_values",
        {"detail": {"InferenceSpecification": ["x"]}},
        MODEL_PACKAGE_EVENT,
        False,
        "EP",
    ),
    (
        "scalar_in_event_does_not_match_a_nested_pattern",
        {"source": {"x": ["y"]}},
        MODEL_PACKAGE_EVENT,
        False,
        "EP",
    ),
    (
        "string_does_not_equal_number",
        {"detail": {"ModelPackageVersion": ["3"]}},
        MODEL_PACKAGE_EVENT,
        False,
        "EP",
    ),
    (
        "numbers_compare_numerically",
        {"detail": {"ModelPackageVersion": [3.0]}},
        MODEL_PACKAGE_EVENT,
        True,
        "EP",
    ),
    ("null_matches_null", {"detail": {"n": [None]}}, with_detail(n=None), True, "EP"),
    ("null_does_not_match_missing", {"detail": {"n": [None]}}, MODEL_PACKAGE_EVENT, False, "EP"),
    ("empty_string_matches_empty_string", {"detail": {"e": [""]}}, with_detail(e=""), True, "EP"),
    ("boolean_matches_boolean", {"detail": {"b": [True]}}, with_detail(b=True), True, "EP"),
    ("boolean_does_not_match_string", {"detail": {"b": [True]}}, with_detail(b="true"), False, "EP"),
    # -- ARR: arrays -------------------------------------------------------------------------------------
    (
        "event_array_matches_when_any_element_matches",
        {"resources": [ARN, "other"]},
        MODEL_PACKAGE_EVENT,
        True,
        "ARR",
    ),
    ("event_array_without_common_value_fails", {"resources": ["other"]}, MODEL_PACKAGE_EVENT, False, "ARR"),
    (
        "array_of_objects_matches_one_element",
        {"detail": {"arr": {"a": [2]}}},
        with_detail(arr=[{"a": 1}, {"a": 2}]),
        True,
        "ARR",
    ),
    (
        "array_of_objects_without_match_fails",
        {"detail": {"arr": {"a": [3]}}},
        with_detail(arr=[{"a": 1}, {"a": 2}]),
        False,
        "ARR",
    ),
    (
        "array_of_objects_keys_match_within_one_element",
        {"detail": {"arr": {"a": [1], "b": [2]}}},
        with_detail(arr=[{"a": 1, "b": 9}, {"a": 8, "b": 2}]),
        False,
        "ARR",
    ),
    (
        "array_of_objects_nested_containers",
        {"detail": {"InferenceSpecification": {"Containers": {"Image": ["img"]}}}},
        MODEL_PACKAGE_EVENT,
        True,
        "ARR",
    ),
    # -- CF: prefix / suffix / equals-ignore-case ---------------------------------------------------------
    ("prefix_matches", {"time": [{"prefix": "2024-05"}]}, MODEL_PACKAGE_EVENT, True, "CF prefix"),
    ("prefix_does_not_match", {"time": [{"prefix": "2023"}]}, MODEL_PACKAGE_EVENT, False, "CF prefix"),
    (
        "prefix_ignores_case_when_asked",
        {"source": [{"prefix": {"equals-ignore-case": "AWS.SAGE"}}]},
        MODEL_PACKAGE_EVENT,
        True,
        "CF prefix",
    ),
    (
        "prefix_is_case_sensitive_by_default",
        {"source": [{"prefix": "AWS"}]},
        MODEL_PACKAGE_EVENT,
        False,
        "CF prefix",
    ),
    (
        "suffix_matches",
        {"detail": {"ModelPackageArn": [{"suffix": "/3"}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF suffix",
    ),
    (
        "suffix_ignores_case_when_asked",
        {"source": [{"suffix": {"equals-ignore-case": "SAGEMAKER"}}]},
        MODEL_PACKAGE_EVENT,
        True,
        "CF suffix",
    ),
    (
        "equals_ignore_case",
        {"detail": {"ModelApprovalStatus": [{"equals-ignore-case": "pendingmanualapproval"}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF equals-ignore-case",
    ),
    (
        "prefix_does_not_match_numbers",
        {"detail": {"ModelPackageVersion": [{"prefix": "3"}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF prefix",
    ),
    # -- CF: anything-but ----------------------------------------------------------------------------------
    (
        "anything_but_single_value_excludes_it",
        {"detail": {"ModelApprovalStatus": [{"anything-but": "PendingManualApproval"}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF anything-but",
    ),
    (
        "anything_but_list_matches_other_values",
        {"detail": {"ModelApprovalStatus": [{"anything-but": ["Approved", "Rejected"]}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF anything-but",
    ),
    (
        "anything_but_number",
        {"detail": {"ModelPackageVersion": [{"anything-but": [1, 2]}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF anything-but",
    ),
    (
        "anything_but_does_not_match_missing_field",
        {"detail": {"Nope": [{"anything-but": "x"}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF anything-but",
    ),
    (
        "anything_but_prefix",
        {"source": [{"anything-but": {"prefix": "aws."}}]},
        MODEL_PACKAGE_EVENT,
        False,
        "CF anything-but",
    ),
    (
        "anything_but_suffix",
        {"source": [{"anything-but": {"suffix": ".ec2"}}]},
        MODEL_PACKAGE_EVENT,
        True,
        "CF anything-but",
    ),
    (
        "anything_but_equals_ignore_case",
        {
            "detail": {
                "ModelApprovalStatus": [
                    {"anything-but": {"equals-ignore-case": ["APPROVED", "pendingmanualapproval"]}}
                ]
            }
        },
        MODEL_PACKAGE_EVENT,
        False,
        "CF anything-but",
    ),
    (
        "anything_but_wildcard",
        {"detail": {"ModelPackageArn": [{"anything-but": {"wildcard": "*/fraud/*"}}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF anything-but",
    ),
    # -- CF: numeric ----------------------------------------------------------------------------------------
    (
        "numeric_range_inside",
        {"detail": {"ModelPackageVersion": [{"numeric": [">", 0, "<=", 3]}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF numeric",
    ),
    (
        "numeric_range_outside",
        {"detail": {"ModelPackageVersion": [{"numeric": [">=", 4, "<", 10]}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF numeric",
    ),
    (
        "numeric_equals",
        {"detail": {"ModelPackageVersion": [{"numeric": ["=", 3]}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF numeric",
    ),
    (
        "numeric_ignores_strings",
        {"detail": {"v": [{"numeric": [">", 0]}]}},
        with_detail(v="5"),
        False,
        "CF numeric",
    ),
    # -- CF: exists ------------------------------------------------------------------------------------------
    (
        "exists_true_matches_present_leaf",
        {"detail": {"ModelPackageStatus": [{"exists": True}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF exists",
    ),
    (
        "exists_true_fails_missing",
        {"detail": {"Nope": [{"exists": True}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF exists",
    ),
    (
        "exists_false_matches_missing",
        {"detail": {"AdditionalInferenceSpecifications": [{"exists": False}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF exists",
    ),
    (
        "exists_false_fails_present",
        {"detail": {"ModelPackageStatus": [{"exists": False}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF exists",
    ),
    (
        "exists_true_fails_on_an_object_not_a_leaf",
        {"detail": {"InferenceSpecification": [{"exists": True}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF exists",
    ),
    (
        "exists_false_matches_an_object_not_a_leaf",
        {"detail": {"InferenceSpecification": [{"exists": False}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF exists",
    ),
    (
        "exists_false_matches_a_missing_subtree",
        {"detail": {"Missing": {"x": [{"exists": False}]}}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF exists",
    ),
    # -- CF: cidr / wildcard / $or ---------------------------------------------------------------------------
    (
        "cidr_ipv4_inside",
        {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}},
        with_detail(ip="10.0.0.7"),
        True,
        "CF cidr",
    ),
    (
        "cidr_ipv4_outside",
        {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}},
        with_detail(ip="10.0.1.7"),
        False,
        "CF cidr",
    ),
    (
        "cidr_ipv6",
        {"detail": {"ip": [{"cidr": "2001:db8::/32"}]}},
        with_detail(ip="2001:db8::1"),
        True,
        "CF cidr",
    ),
    (
        "wildcard_matches",
        {"detail": {"ModelPackageArn": [{"wildcard": "arn:aws:sagemaker:*:model-package/churn/*"}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF wildcard",
    ),
    (
        "wildcard_does_not_match",
        {"detail": {"ModelPackageArn": [{"wildcard": "*fraud*"}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF wildcard",
    ),
    (
        "wildcard_escaped_star_is_literal",
        {"detail": {"s": [{"wildcard": "a\\*b"}]}},
        with_detail(s="a*b"),
        True,
        "CF wildcard",
    ),
    (
        "wildcard_escaped_star_is_not_a_wildcard",
        {"detail": {"s": [{"wildcard": "a\\*b"}]}},
        with_detail(s="axxb"),
        False,
        "CF wildcard",
    ),
    (
        "or_matches_either_branch",
        {"$or": [{"region": ["eu-west-1"]}, {"detail": {"ModelPackageVersion": [3]}}]},
        MODEL_PACKAGE_EVENT,
        True,
        "CF $or",
    ),
    (
        "or_fails_when_no_branch_matches",
        {"$or": [{"region": ["eu-west-1"]}, {"account": ["1"]}]},
        MODEL_PACKAGE_EVENT,
        False,
        "CF $or",
    ),
    (
        "or_is_anded_with_siblings",
        {"source": ["aws.ec2"], "$or": [{"region": ["us-east-1"]}, {"account": ["1"]}]},
        MODEL_PACKAGE_EVENT,
        False,
        "CF $or",
    ),
    # -- CF anything-but meets a value that is not a string (AB) -----------------------------------------
    (
        "anything_but_prefix_matches_null",
        {"detail": {"v": [{"anything-but": {"prefix": "init"}}]}},
        with_detail(v=None),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_prefix_matches_a_number",
        {"detail": {"ModelPackageVersion": [{"anything-but": {"prefix": "3"}}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_suffix_matches_null",
        {"detail": {"v": [{"anything-but": {"suffix": ".png"}}]}},
        with_detail(v=None),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_suffix_matches_a_number",
        {"detail": {"v": [{"anything-but": {"suffix": "5"}}]}},
        with_detail(v=5),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_wildcard_matches_null",
        {"detail": {"v": [{"anything-but": {"wildcard": "*"}}]}},
        with_detail(v=None),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_wildcard_matches_a_number",
        {"detail": {"v": [{"anything-but": {"wildcard": "1*"}}]}},
        with_detail(v=12),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_equals_ignore_case_matches_null",
        {"detail": {"v": [{"anything-but": {"equals-ignore-case": ["null", "NULL"]}}]}},
        with_detail(v=None),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_equals_ignore_case_matches_a_number",
        {"detail": {"v": [{"anything-but": {"equals-ignore-case": "7"}}]}},
        with_detail(v=7),
        True,
        "CF anything-but AB",
    ),
    (
        "anything_but_prefix_still_excludes_a_matching_string",
        {"detail": {"v": [{"anything-but": {"prefix": "init"}}]}},
        with_detail(v="initializing"),
        False,
        "CF anything-but AB",
    ),
    (
        "anything_but_prefix_does_not_match_a_missing_field",
        {"detail": {"v": [{"anything-but": {"prefix": "init"}}]}},
        MODEL_PACKAGE_EVENT,
        False,
        "CF anything-but AB",
    ),
    (
        "anything_but_value_matches_null",
        {"detail": {"command": [{"anything-but": ["no-message"]}]}},
        with_detail(command=None),
        True,
        "CF anything-but AB",
    ),
    # -- SYN: dotted keys are nested keys, in patterns and in events (DOT) ----------------------------
    (
        "dotted_pattern_key_matches_nested_event",
        {"detail.state.status": ["running"]},
        {**MODEL_PACKAGE_EVENT, "detail": {"state": {"status": "running"}}},
        True,
        "SYN DOT",
    ),
    (
        "nested_pattern_matches_dotted_event_key",
        {"detail": {"state": {"status": ["running"]}}},
        {**MODEL_PACKAGE_EVENT, "detail": {"state.status": "running"}},
        True,
        "SYN DOT",
    ),
    (
        "dotted_pattern_key_matches_dotted_event_key",
        {"detail.state.status": ["running"]},
        {**MODEL_PACKAGE_EVENT, "detail.state.status": "running"},
        True,
        "SYN DOT",
    ),
    (
        "dotted_pattern_key_still_compares_the_value",
        {"detail.state.status": ["running"]},
        {**MODEL_PACKAGE_EVENT, "detail": {"state": {"status": "stopped"}}},
        False,
        "SYN DOT",
    ),
    (
        "dotted_key_inside_a_nested_pattern",
        {"detail": {"InferenceSpecification.SupportedContentTypes": ["application/json"]}},
        MODEL_PACKAGE_EVENT,
        True,
        "SYN DOT",
    ),
    (
        "dotted_and_nested_spellings_combine_as_one_object",
        {"detail.ModelPackageStatus": ["Completed"], "detail": {"ModelApprovalStatus": ["Approved"]}},
        MODEL_PACKAGE_EVENT,
        False,
        "SYN DOT",
    ),
    (
        "dotted_and_nested_spellings_both_must_hold",
        {"detail.ModelPackageStatus": ["Completed"], "detail": {"ModelPackageGroupName": ["churn"]}},
        MODEL_PACKAGE_EVENT,
        True,
        "SYN DOT",
    ),
    (
        "the_same_field_named_twice_keeps_the_last_pattern",
        {"detail": {"ModelPackageStatus": ["Failed"]}, "detail.ModelPackageStatus": ["Completed"]},
        MODEL_PACKAGE_EVENT,
        True,
        "SYN DOT",
    ),
    (
        "dotted_key_in_an_or_branch",
        {"$or": [{"detail.ModelPackageVersion": [3]}, {"region": ["eu-west-1"]}]},
        MODEL_PACKAGE_EVENT,
        True,
        "SYN DOT",
    ),
    (
        "dotted_event_key_inside_an_array_of_objects",
        {"detail": {"arr": {"a": {"b": [2]}}}},
        with_detail(arr=[{"a.b": 1}, {"a.b": 2}]),
        True,
        "SYN DOT",
    ),
    (
        "dotted_key_with_exists_false_on_a_missing_field",
        {"detail.Nope": [{"exists": False}]},
        MODEL_PACKAGE_EVENT,
        True,
        "SYN DOT",
    ),
    # -- SM: the rule shapes Registry Autopilot deploys ----------------------------------------------
    ("sm_rule_matches_pending_completed_version", SM_RULE, MODEL_PACKAGE_EVENT, True, "SM"),
    ("sm_rule_ignores_other_groups", SM_RULE, with_detail(ModelPackageGroupName="other"), False, "SM"),
    ("sm_rule_ignores_approved_versions", SM_RULE, with_detail(ModelApprovalStatus="Approved"), False, "SM"),
    (
        "sm_rule_ignores_in_progress_versions",
        SM_RULE,
        with_detail(ModelPackageStatus="InProgress"),
        False,
        "SM",
    ),
    (
        "sm_rule_approved_any_group",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Package State Change"],
            "detail": {"ModelApprovalStatus": ["Approved"]},
        },
        with_detail(ModelApprovalStatus="Approved"),
        True,
        "SM",
    ),
    (
        "sm_rule_anything_but_rejected",
        {"source": ["aws.sagemaker"], "detail": {"ModelApprovalStatus": [{"anything-but": ["Rejected"]}]}},
        MODEL_PACKAGE_EVENT,
        True,
        "SM",
    ),
    (
        "sm_rule_wrong_detail_type",
        SM_RULE,
        {**MODEL_PACKAGE_EVENT, "detail-type": "SageMaker Model State Change"},
        False,
        "SM",
    ),
]


@pytest.mark.parametrize(("case", "pattern", "event", "expected", "doc"), CASES, ids=[c[0] for c in CASES])
def test_given_pattern_and_event_when_matched_then_result_follows_the_docs(
    case: str, pattern: dict[str, Any], event: dict[str, Any], expected: bool, doc: str
) -> None:
    assert matches(pattern, event) is expected, f"{case} ({doc})"


INVALID: list[tuple[str, Any, str]] = [
    ("not_an_object", ["source"], "EP"),
    ("empty_pattern", {}, "EP"),
    ("leaf_not_in_array", {"source": "aws.sagemaker"}, "EP"),
    ("empty_leaf_array", {"source": []}, "EP"),
    ("unknown_operator", {"source": [{"startswith": "aws"}]}, "CF"),
    ("two_operators_in_one_filter", {"source": [{"prefix": "a", "suffix": "b"}]}, "CF"),
    ("numeric_bad_operator", {"v": [{"numeric": ["!=", 1]}]}, "CF numeric"),
    ("numeric_reversed_range", {"v": [{"numeric": ["<", 1, ">", 5]}]}, "CF numeric"),
    ("numeric_string_bound", {"v": [{"numeric": [">", "1"]}]}, "CF numeric"),
    ("exists_not_boolean", {"v": [{"exists": "yes"}]}, "CF exists"),
    ("cidr_invalid", {"v": [{"cidr": "10.0.0.0/99"}]}, "CF cidr"),
    ("wildcard_consecutive_stars", {"v": [{"wildcard": "a**b"}]}, "CF wildcard"),
    ("anything_but_unknown_inner", {"v": [{"anything-but": {"numeric": [">", 1]}}]}, "CF anything-but"),
    ("or_with_one_branch", {"$or": [{"a": ["b"]}]}, "CF $or"),
    ("prefix_not_string", {"v": [{"prefix": 5}]}, "CF prefix"),
    ("nested_arrays", {"v": [["a"]]}, "EP"),
    ("anything_but_empty_prefix", {"v": [{"anything-but": {"prefix": ""}}]}, "AB-EMPTY"),
    ("anything_but_empty_suffix", {"v": [{"anything-but": {"suffix": ""}}]}, "AB-EMPTY"),
    ("anything_but_empty_prefix_in_a_list", {"v": [{"anything-but": {"prefix": ["a", ""]}}]}, "AB-EMPTY"),
]


@pytest.mark.parametrize(("case", "pattern", "doc"), INVALID, ids=[c[0] for c in INVALID])
def test_given_malformed_pattern_when_validated_then_invalid_pattern_error_is_raised(
    case: str, pattern: Any, doc: str
) -> None:
    with pytest.raises(InvalidPatternError):
        validate_pattern(pattern)


def test_given_malformed_pattern_when_matched_then_the_error_names_the_path() -> None:
    # EP: malformed patterns are rejected, not silently treated as no-match.
    with pytest.raises(InvalidPatternError, match=r"detail\.ModelApprovalStatus"):
        matches({"detail": {"ModelApprovalStatus": "Approved"}}, MODEL_PACKAGE_EVENT)


def test_given_an_empty_prefix_outside_anything_but_when_validated_then_it_is_accepted() -> None:
    # AB-EMPTY: the rejection is anything-but's alone; a plain empty prefix matches every string.
    validate_pattern({"source": [{"prefix": ""}]})

    assert matches({"source": [{"prefix": ""}]}, MODEL_PACKAGE_EVENT) is True
