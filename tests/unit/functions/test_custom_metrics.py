"""Every custom metric the functions emit is one of registry_autopilot.custom_metrics, each one of them
is emitted somewhere, and a count is emitted only when it is not zero.

CloudWatch bills a custom metric by the hour it receives data (CloudWatch User Guide, "Analyzing,
optimizing, and reducing CloudWatch costs",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_billing.html: "All custom
metrics are prorated by the hour. They're metered only when they're sent to CloudWatch."), and each
distinct name and dimension set is its own metric (CloudWatch API Reference, GetMetricStatistics,
`Dimensions`: "CloudWatch treats each unique combination of dimensions as a separate metric."). The
tests below read the functions' source (the shipped asset) as a syntax tree: a metric emitted any other
way than `count(CustomMetric.X, ...)` fails them.
"""

from __future__ import annotations

import ast
import io
import json
import warnings
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from registry_autopilot import observability
from registry_autopilot.custom_metrics import CUSTOM_METRICS, CustomMetric
from registry_autopilot.models.approval import ApprovalOutcome
from registry_autopilot.models.workflow import AttachResult, TargetNote
from registry_autopilot.usecases import compile as compile_usecase
from tests.emf import counts, emitted_metrics

PACKAGE = Path(__file__).resolve().parents[3] / "functions" / "registry_autopilot"
OBSERVABILITY = PACKAGE / "observability.py"


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _calls(name: str) -> Iterator[tuple[Path, ast.Call]]:
    """Every call of a function or method called `name` in the functions' code."""
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func
                if (isinstance(called, ast.Name) and called.id == name) or (
                    isinstance(called, ast.Attribute) and called.attr == name
                ):
                    yield path, node


def _count_calls() -> Iterator[tuple[Path, ast.Call]]:
    """Calls of `count(...)` or `observability.count(...)`, not of `str.count` or `list.count`."""
    for path, call in _calls("count"):
        called = call.func
        if path != OBSERVABILITY and (
            isinstance(called, ast.Name)
            or (isinstance(called.value, ast.Name) and called.value.id == "observability")  # type: ignore[attr-defined]
        ):
            yield path, call


def _counted_metric(call: ast.Call) -> str | None:
    """`X` for `count(CustomMetric.X, ...)`, None for any other first argument."""
    first = call.args[0] if call.args else None
    if (
        isinstance(first, ast.Attribute)
        and isinstance(first.value, ast.Name)
        and first.value.id == CustomMetric.__name__
    ):
        return first.attr
    return None


def test_given_the_functions_code_then_only_the_count_function_adds_a_metric() -> None:
    elsewhere = [
        f"{path.relative_to(PACKAGE)}:{call.lineno}"
        for path, call in _calls("add_metric")
        if path != OBSERVABILITY
    ]

    assert elsewhere == []


def test_given_the_functions_code_then_no_metric_is_emitted_beside_the_count_function() -> None:
    """Powertools' other ways to emit: `single_metric`, `add_dimension` (a new dimension set is a new
    billed metric per value), and `capture_cold_start_metric` (a ColdStart metric per function name)."""
    others = [
        f"{path.relative_to(PACKAGE)}:{call.lineno} {name}"
        for name in ("single_metric", "add_dimension", "add_dimensions", "set_default_dimensions")
        for path, call in _calls(name)
    ]
    cold_start = [
        f"{path.relative_to(PACKAGE)}:{call.lineno}"
        for path, call in _calls("log_metrics")
        for keyword in call.keywords
        if keyword.arg == "capture_cold_start_metric"
    ]

    assert others == []
    assert cold_start == []


def test_given_every_count_call_then_it_names_a_metric_of_the_list() -> None:
    named = [(path, call, _counted_metric(call)) for path, call in _count_calls()]

    assert named, "no function counts anything: the list should be empty too"
    unnamed = [f"{path.relative_to(PACKAGE)}:{call.lineno}" for path, call, metric in named if metric is None]
    assert unnamed == []
    assert {metric for _, _, metric in named} <= {member.name for member in CustomMetric}


def test_given_the_list_then_every_metric_in_it_is_counted_by_some_function() -> None:
    counted = {_counted_metric(call) for _, call in _count_calls()}

    assert {member.name for member in CUSTOM_METRICS} <= counted


def _invoke(*counts: tuple[CustomMetric, int]) -> tuple[str, list[warnings.WarningMessage]]:
    """One decorated invocation that counts `counts`: what it printed and what it warned."""

    @observability.metrics.log_metrics
    def handler(event: Any, context: Any) -> None:
        for metric, value in counts:
            observability.count(metric, value)

    printed = io.StringIO()
    with warnings.catch_warnings(record=True) as warned, redirect_stdout(printed):
        warnings.simplefilter("always")
        handler({}, None)
    return printed.getvalue(), warned


def test_given_an_invocation_that_counts_zero_then_it_prints_no_metric_and_no_warning() -> None:
    printed, warned = _invoke((CustomMetric.TARGETS_FAILED, 0), (CustomMetric.TARGETS_NOT_ATTACHED, 0))

    assert printed == ""
    assert [str(w.message) for w in warned] == []


@pytest.mark.parametrize("metric", CUSTOM_METRICS)
def test_given_a_count_then_it_is_one_metric_in_the_namespace_with_the_service_dimension_only(
    metric: CustomMetric, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed, _ = _invoke((metric, 2))

    (line,) = printed.splitlines()
    document = json.loads(line)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"]]
    assert [(m.namespace, m.dimensions, m.name, m.value) for m in emitted_metrics(printed)] == [
        (observability.NAMESPACE, (("service", observability.SERVICE),), metric.value, 2.0)
    ]


def test_given_a_name_outside_the_list_then_count_refuses_it() -> None:
    with pytest.raises(ValueError, match="InvalidEvents"):
        observability.count("InvalidEvents")  # type: ignore[arg-type]


def _attach_result(failed: int, not_attached: int) -> AttachResult:
    def notes(n: int) -> list[TargetNote]:
        return [TargetNote(target=f"t{i}", reason="why") for i in range(n)]

    return AttachResult(
        model_package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1",
        updated=True,
        attached=["neo-ml-c5"],
        failed=notes(failed),
        not_attached=notes(not_attached),
    )


def _outcome(action: str, status: str | None) -> ApprovalOutcome:
    return ApprovalOutcome.model_validate(
        {"action": action, "status": status, "reason": "r", "mode": "auto", "policy_digest": "d"}
    )


@pytest.mark.parametrize(
    ("failed", "not_attached", "action", "status", "expected"),
    [
        (0, 0, "decided", "Approved", {}),
        (0, 0, "decided", "Rejected", {}),
        (0, 0, "human-changed", "Approved", {}),
        (0, 0, "decided", "PendingManualApproval", {"VersionsLeftForReview": 1}),
        (2, 0, "decided", "PendingManualApproval", {"TargetsFailed": 2, "VersionsLeftForReview": 1}),
        (1, 3, "decided", "Approved", {"TargetsFailed": 1, "TargetsNotAttached": 3}),
    ],
)
def test_given_an_attach_result_then_only_what_needs_a_person_is_counted(
    failed: int, not_attached: int, action: str, status: str | None, expected: dict[str, int]
) -> None:
    printed = io.StringIO()

    @observability.metrics.log_metrics
    def handler(event: Any, context: Any) -> None:
        compile_usecase._record_metrics(_attach_result(failed, not_attached), _outcome(action, status))

    with redirect_stdout(printed):
        handler({}, None)

    assert counts(printed.getvalue()) == expected
