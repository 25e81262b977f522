"""The approval policy (pure): checks, the decision, and the fields written with it.

Modes (config `approval.mode`):
- `auto`: Approved when every check passes, Rejected when one fails;
- `reject-only`: Rejected when a check fails, otherwise left PendingManualApproval for a person;
- `manual`: never decides; the check results are written and the version stays PendingManualApproval.
A check whose evaluation data is unusable (missing object, access denied, not JSON, metric absent,
NaN or infinite, not a number) is UNUSABLE: `onUnusableReport` says whether that rejects the version
or leaves it for a person (auto and reject-only; manual leaves it anyway). Never an exception.
A version is decided once; a person re-opens a recorded Approved/Rejected decision by setting the
version back to PendingManualApproval, and it is decided again (`reopened`, docs/AUDIT.md).

AWS rules applied (SageMaker API Reference, UpdateModelPackage and ModelLifeCycle):
- ModelApprovalStatus: Approved | Rejected | PendingManualApproval.
- ApprovalDescription: 0-1024 chars, pattern `.*` (no line breaks: `.` does not match them), so the
  description is one line with checks separated by "; ".
- CustomerMetadataProperties: at most 50 entries per version, keys <= 128, values <= 256, both of
  [\\p{L}\\p{Z}\\p{N}_.:/=+-@]; the audit keys below follow that.
- ModelLifeCycle: Stage and StageStatus required (1-63, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}),
  StageDescription 0-1024 of `.{0,1024}` (one line).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry_autopilot.logic import naming
from registry_autopilot.models.approval import (
    PENDING,
    ApprovalOutcome,
    ApprovalStatus,
    ApprovedBaseline,
    CheckResult,
    ReportRead,
)
from registry_autopilot.models.config import ApprovalPolicy, GroupConfig, MetricCheck
from registry_autopilot.models.registry import ModelPackage

MAX_APPROVAL_DESCRIPTION = 1024
MAX_DETAIL = 200  # one check's text in the description before it is shortened
AUDIT_PREFIX = "autopilot:approval:"
DECIDED_BY_KEY = f"{AUDIT_PREFIX}decided-by"
DECISION_KEY = f"{AUDIT_PREFIX}decision"
POLICY_KEY = f"{AUDIT_PREFIX}policy"
DECIDED_AT_KEY = f"{AUDIT_PREFIX}decided-at"
EXECUTION_KEY = f"{AUDIT_PREFIX}execution"
NOTE_KEY = f"{AUDIT_PREFIX}note"
AUDIT_KEYS = (DECIDED_BY_KEY, DECISION_KEY, POLICY_KEY, DECIDED_AT_KEY, EXECUTION_KEY, NOTE_KEY)
DECIDED_BY_POLICY = "registry-autopilot {mode} policy"
DECIDED_BY_PERSON = "a person outside Registry Autopilot"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_OPERATORS = {
    "<=": lambda value, bound: value <= bound,
    ">=": lambda value, bound: value >= bound,
    "<": lambda value, bound: value < bound,
    ">": lambda value, bound: value > bound,
}


# -- whether to decide at all --------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """Whether this run decides (`decide`), records a person's change (`human_changed`), or neither."""

    decide: bool
    human_changed: bool
    reason: str


def gate(package: ModelPackage, status_at_start: str | None, execution_id: str | None) -> Gate:
    """Decide only a version that was PendingManualApproval when the workflow started, still is,
    and carries no decision yet. `status_at_start` None (a direct invocation) means "as now"."""
    current = package.ModelApprovalStatus or PENDING
    recorded = package.CustomerMetadataProperties
    start = status_at_start or current
    if DECIDED_BY_KEY in recorded and not reopened(package):
        if execution_id is not None and recorded.get(EXECUTION_KEY) == naming.metadata_text(execution_id):
            return Gate(False, False, "this execution already wrote its decision (a retried step)")
        return Gate(
            False,
            False,
            f"already decided: {recorded.get(DECISION_KEY, '?')} by {recorded[DECIDED_BY_KEY]} "
            f"at {recorded.get(DECIDED_AT_KEY, '?')}",
        )
    if start != PENDING:
        return Gate(
            False, False, f"the version was {start} when the workflow started; only {PENDING} is decided"
        )
    if current != start:
        return Gate(
            False,
            True,
            f"ModelApprovalStatus changed from {start} to {current} while the workflow ran: "
            "a person decided, the policy does not overrule it",
        )
    return Gate(True, False, "PendingManualApproval and not decided yet")


def needs_decision(package: ModelPackage) -> bool:
    """Plan's view: a PendingManualApproval version without a recorded decision (or re-opened)."""
    return (package.ModelApprovalStatus or PENDING) == PENDING and (
        DECIDED_BY_KEY not in package.CustomerMetadataProperties or reopened(package)
    )


def reopened(package: ModelPackage) -> bool:
    """A person set a version recorded as Approved or Rejected back to PendingManualApproval: the
    recorded decision is superseded and the version is decided again (docs/AUDIT.md)."""
    recorded = package.CustomerMetadataProperties
    return (package.ModelApprovalStatus or PENDING) == PENDING and recorded.get(DECISION_KEY) in (
        "Approved",
        "Rejected",
    )


# -- what to read --------------------------------------------------------------------------------
def _metric_checks(policy: ApprovalPolicy) -> list[MetricCheck]:
    checks = list(policy.metric_checks)
    compare = policy.compare_to_approved
    if compare is not None and compare.metric not in checks:
        # The comparison's metric is also a check of its own: its threshold is a floor (or ceiling).
        checks.append(compare.metric)
    return checks


def report_uris(package: ModelPackage, policy: ApprovalPolicy) -> list[str]:
    """The S3 URIs of the version's reports the policy reads, in order, without repeats."""
    uris = [package.report_uri(check.report) for check in _metric_checks(policy)]
    return list(dict.fromkeys(uri for uri in uris if uri))


# -- checks -----------------------------------------------------------------------------------------
def _number(value: float) -> str:
    return f"{value:.6g}"


def lookup(document: Any, path: str) -> float | str:
    """The number at dotted `path` (list items by index), or why there is none."""
    node = document
    parts = path.split(".")
    for index, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return f"{'.'.join(parts[: index + 1])} is absent from the report"
    if isinstance(node, bool) or not isinstance(node, int | float):
        shown = json.dumps(node)[:40] if not isinstance(node, dict | list) else type(node).__name__
        kind = {str: "a string", type(None): "null", dict: "an object", list: "a list", bool: "a boolean"}
        return f"{path} is {kind.get(type(node), type(node).__name__)} ({shown}), not a number"
    if not math.isfinite(node):
        return f"{path} is {node}, not a finite number"
    return float(node)


def _report_value(
    package: ModelPackage, check: MetricCheck, reports: Mapping[str, ReportRead]
) -> float | str:
    uri = package.report_uri(check.report)
    if uri is None:
        return f"the version has no ModelMetrics.{check.report} report"
    read = reports.get(uri)
    if read is None:
        return f"{uri} was not read"
    if read.error is not None:
        return read.error
    return lookup(read.document, check.path)


def _check_name(check: MetricCheck) -> str:
    prefix = "" if check.report == "ModelQuality.Statistics" else f"{check.report} "
    return f"{prefix}{check.path} {check.operator} {_number(check.threshold)}"


def metric_check(package: ModelPackage, check: MetricCheck, reports: Mapping[str, ReportRead]) -> CheckResult:
    name = _check_name(check)
    value = _report_value(package, check, reports)
    evidence = {
        "threshold": check.threshold,
        "operator": check.operator,
        "report_uri": package.report_uri(check.report),
    }
    if isinstance(value, str):
        return CheckResult(name=name, status="UNUSABLE", detail=value, **evidence)
    passed = _OPERATORS[check.operator](value, check.threshold)
    relation = check.operator if passed else f"fails {check.operator}"
    return CheckResult(
        name=name,
        status="PASS" if passed else "FAIL",
        detail=f"{check.path} = {_number(value)} {relation} {_number(check.threshold)}",
        value=value,
        **evidence,
    )


def targets_check(
    package: ModelPackage, group: GroupConfig, attached: set[str], compiled: Iterable[str] = ()
) -> CheckResult:
    """Every required Neo target delivered (after this step's write): attached as a specification, or
    compiled and its artifact recorded on the version (`compiled`, or a COMPILED record already there;
    a target no SageMaker endpoint serves is delivered that way, logic/targets.py)."""
    names = [target.name for target in group.neo_targets]
    required = names if group.approval.required_targets == "all" else list(group.approval.required_targets)
    recorded = package.CustomerMetadataProperties
    compiled = set(compiled) | {
        name for name in required if naming.is_compiled_record(recorded.get(naming.metadata_key(name)))
    }
    missing = [name for name in required if naming.spec_name(name) not in attached and name not in compiled]
    name = f"required Neo targets attached ({', '.join(required)})"
    if not missing:
        spec = [target for target in required if naming.spec_name(target) in attached]
        only_compiled = [target for target in required if target not in spec]
        detail = f"attached: {', '.join(spec)}" if spec else ""
        if only_compiled:
            separator = "; " if detail else ""
            detail += f"{separator}compiled artifact recorded: {', '.join(only_compiled)}"
        return CheckResult(name=name, status="PASS", detail=detail)
    reasons = []
    for target in missing:
        note = recorded.get(naming.metadata_key(target))
        reasons.append(f"{target} ({note[:80]})" if note else target)
    return CheckResult(name=name, status="FAIL", detail=f"not attached: {', '.join(reasons)}")


def compare_check(
    package: ModelPackage,
    policy: ApprovalPolicy,
    reports: Mapping[str, ReportRead],
    baseline: ApprovedBaseline | None,
) -> CheckResult | None:
    compare = policy.compare_to_approved
    if compare is None:
        return None
    check = compare.metric
    name = f"{check.path} not worse than the approved version by more than {_number(compare.margin)}"
    if baseline is None:
        return CheckResult(
            name=name, status="PASS", detail="no approved version in the group to compare with"
        )
    label = f"approved v{baseline.version}" if baseline.version is not None else baseline.arn
    candidate = _report_value(package, check, reports)
    if isinstance(candidate, str):
        return CheckResult(name=name, status="UNUSABLE", detail=candidate)
    if baseline.report is None:
        reference: float | str = f"{label} has no ModelMetrics.{check.report} report"
    elif baseline.report.error is not None:
        reference = f"{label}: {baseline.report.error}"
    else:
        reference = lookup(baseline.report.document, check.path)
        if isinstance(reference, str):
            reference = f"{label}: {reference}"
    if isinstance(reference, str):
        return CheckResult(name=name, status="UNUSABLE", detail=reference)
    higher_is_better = check.operator in (">=", ">")
    bound = reference - compare.margin if higher_is_better else reference + compare.margin
    passed = candidate >= bound if higher_is_better else candidate <= bound
    need = ">=" if higher_is_better else "<="
    return CheckResult(
        name=name,
        status="PASS" if passed else "FAIL",
        value=candidate,
        threshold=bound,
        operator=need,
        report_uri=package.report_uri(check.report),
        baseline=f"{label} ({baseline.arn})" if baseline.version is not None else label,
        baseline_value=reference,
        detail=(
            f"{_number(candidate)} vs {label} {_number(reference)}: "
            f"{'' if passed else 'fails '}{need} {_number(bound)}"
        ),
    )


def evaluate(
    package: ModelPackage,
    group: GroupConfig,
    attached: set[str],
    reports: Mapping[str, ReportRead],
    baseline: ApprovedBaseline | None = None,
    *,
    compiled: Iterable[str] = (),
) -> list[CheckResult]:
    policy = group.approval
    checks = [targets_check(package, group, attached, compiled)]
    checks += [metric_check(package, check, reports) for check in _metric_checks(policy)]
    compared = compare_check(package, policy, reports, baseline)
    if compared is not None:
        checks.append(compared)
    return checks


def decide(policy: ApprovalPolicy, checks: list[CheckResult]) -> ApprovalStatus:
    if policy.mode == "manual":
        return PENDING
    if any(check.status == "FAIL" for check in checks):
        return "Rejected"
    if any(check.status == "UNUSABLE" for check in checks):
        return "Rejected" if policy.on_unusable_report == "reject" else PENDING
    return "Approved" if policy.mode == "auto" else PENDING


# -- what is written --------------------------------------------------------------------------------
def policy_digest(group: GroupConfig) -> str:
    """Short, stable fingerprint of the policy (and the targets "all" refers to)."""
    material = {
        "approval": group.approval.model_dump(mode="json", by_alias=True),
        "targets": [target.name for target in group.neo_targets],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:12]


def _headline(policy: ApprovalPolicy, status: ApprovalStatus, checks: list[CheckResult]) -> str:
    total = len(checks)
    failed = sum(check.status == "FAIL" for check in checks)
    unusable = sum(check.status == "UNUSABLE" for check in checks)
    passed = total - failed - unusable
    counts = f"{passed}/{total} checks passed" + (f", {failed} failed" if failed else "")
    counts += f", {unusable} could not be evaluated" if unusable else ""
    if status == "Approved":
        return f"Approved: {counts}."
    if status == "Rejected":
        cause = "a check failed" if failed else "evaluation data unusable (onUnusableReport: reject)"
        return f"Rejected ({cause}): {counts}."
    if policy.mode == "manual":
        return f"Pending a person's review (manual policy): {counts}."
    if unusable:
        return f"Pending a person's review (evaluation data unusable): {counts}."
    return f"Pending a person's review (reject-only policy, nothing failed): {counts}."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def check_line(check: CheckResult) -> str:
    return _one_line(f"{check.status} {check.name}: {_shorten(check.detail, MAX_DETAIL)}")


def approval_description(
    policy: ApprovalPolicy, digest: str, status: ApprovalStatus, checks: list[CheckResult]
) -> str:
    """One readable line, <= 1024 chars: headline, then each check (failures first) with its value
    and threshold. Passing checks are summarized when everything does not fit."""
    head = f"Registry Autopilot {policy.mode} policy {digest}. {_headline(policy, status, checks)}"
    order = {"FAIL": 0, "UNUSABLE": 1, "PASS": 2}
    lines = [check_line(check) for check in sorted(checks, key=lambda check: order[check.status])]
    kept = list(lines)
    text = f"{head} Checks: " + "; ".join(kept)
    while len(text) > MAX_APPROVAL_DESCRIPTION and kept and kept[-1].startswith("PASS"):
        kept.pop()
        hidden = len(lines) - len(kept)
        text = f"{head} Checks: " + "; ".join([*kept, f"(+{hidden} passing not shown)"])
    return _one_line(_shorten(text, MAX_APPROVAL_DESCRIPTION))


@dataclass(frozen=True)
class Decision:
    """What to add to the version's UpdateModelPackage request, and what to report."""

    fields: dict[str, Any]  # ModelApprovalStatus, ApprovalDescription, ModelLifeCycle
    metadata: dict[str, str]  # audit keys, written before any other metadata
    outcome: ApprovalOutcome
    notify: bool = False  # a person is needed: publish the review notification


def _audit(
    decided_by: str, status: str, digest: str, now: datetime, execution_id: str | None
) -> dict[str, str]:
    return {
        DECIDED_BY_KEY: naming.metadata_text(decided_by),
        DECISION_KEY: status,
        POLICY_KEY: digest,
        DECIDED_AT_KEY: now.strftime(TIMESTAMP_FORMAT),
        EXECUTION_KEY: naming.metadata_text(execution_id or "not-in-a-workflow"),
    }


def decision(
    group: GroupConfig,
    checks: list[CheckResult],
    *,
    now: datetime,
    execution_id: str | None,
) -> Decision:
    """The fields that write the policy's decision for these check results."""
    policy = group.approval
    digest = policy_digest(group)
    status = decide(policy, checks)
    description = approval_description(policy, digest, status, checks)
    fields: dict[str, Any] = {"ModelApprovalStatus": status, "ApprovalDescription": description}
    lifecycle = policy.lifecycle
    if lifecycle is not None and status != PENDING:
        fields["ModelLifeCycle"] = {
            "Stage": lifecycle.stage,
            "StageStatus": lifecycle.approved_status if status == "Approved" else lifecycle.rejected_status,
            "StageDescription": _shorten(
                _one_line(f"{status} by Registry Autopilot {policy.mode} policy {digest}"), 1024
            ),
        }
    metadata = _audit(DECIDED_BY_POLICY.format(mode=policy.mode), status, digest, now, execution_id)
    outcome = ApprovalOutcome(
        action="decided",
        reason=_headline(policy, status, checks),
        mode=policy.mode,
        policy_digest=digest,
        status=status,
        checks=checks,
    )
    return Decision(fields=fields, metadata=metadata, outcome=outcome, notify=status == PENDING)


def human_change(
    package: ModelPackage,
    group: GroupConfig,
    reason: str,
    *,
    now: datetime,
    execution_id: str | None,
) -> Decision:
    """A person changed the approval status while the workflow ran: record that, decide nothing.
    Status, description and life cycle are theirs, so the request names none of them."""
    digest = policy_digest(group)
    found = package.ModelApprovalStatus or PENDING
    metadata = _audit(DECIDED_BY_PERSON, found, digest, now, execution_id)
    metadata[NOTE_KEY] = naming.metadata_text(reason)
    outcome = ApprovalOutcome(
        action="human-changed",
        reason=reason,
        mode=group.approval.mode,
        policy_digest=digest,
        status=found if found in ("Approved", "Rejected", PENDING) else None,
    )
    return Decision(fields={}, metadata=metadata, outcome=outcome)


def skipped(group: GroupConfig, reason: str) -> ApprovalOutcome:
    return ApprovalOutcome(
        action="skipped", reason=reason, mode=group.approval.mode, policy_digest=policy_digest(group)
    )


# -- the person's side of the manual path ---------------------------------------------------------------
def review_commands(arn: str, region: str) -> dict[str, str]:
    """The exact AWS CLI commands that approve or reject the version (UpdateModelPackage)."""
    base = f"aws sagemaker update-model-package --region {region} --model-package-arn {arn}"
    return {
        status.lower(): (
            f'{base} --model-approval-status {status} --approval-description "{status} by <name>: <reason>"'
        )
        for status in ("Approved", "Rejected")
    }


def review_message(
    package: ModelPackage, group_name: str, outcome: ApprovalOutcome, region: str
) -> tuple[str, str]:
    """Subject and plain-text body of the "waiting for a person" notification."""
    version = package.ModelPackageVersion
    commands = review_commands(package.ModelPackageArn, region)
    lines = [
        f"{group_name} version {version} waits for a person's approval.",
        f"Model package: {package.ModelPackageArn}",
        f"Policy: {outcome.mode} ({outcome.policy_digest}). {outcome.reason}",
        "",
        "Checks:",
        *(f"  {check_line(check)}" for check in outcome.checks),
        "",
        "Approve:",
        f"  {commands['approved']}",
        "Reject:",
        f"  {commands['rejected']}",
    ]
    return f"Registry Autopilot: {group_name} v{version} waits for approval", "\n".join(lines)
