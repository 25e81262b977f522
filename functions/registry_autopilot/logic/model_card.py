"""The version's model card (pure): our entries written with the decision, a person's kept intact.

AWS rules applied (SageMaker API Reference, ModelPackageModelCard; Developer Guide, "View and Update
the Details of a Model Version", Model package model card schema):
- `ModelCardContent` is a string of 0-100000 characters, pattern `.*` (no raw line break: the JSON is
  written compact), and "must follow the schema described in Model Package Model Card Schema"
  (vendored in docs/schemas/ and checked in the tests with a JSON Schema validator).
- `ModelCardStatus`: Draft | PendingReview | Approved | Archived. "Archived: The model card is
  archived. No more updates can be made to the model card content." An archived card is never
  written.

Our entries are items of `evaluation_details` (the only list in the schema where several parties'
entries live side by side), each marked with `metadata.registry_autopilot_entry` = its kind, so a
re-run replaces them instead of adding copies. Everything else in the content (intended uses,
business details, a person's own evaluation entries, ...) is kept as read. When the whole content
would pass 100000 characters, our entries are summarised, never a person's content cut.

ModelCardStatus follows the version's approval status after the write (STATUS_FOR_APPROVAL), but only
while the card's status is the one we last wrote (recorded as `metadata.card_status` on each of our
entries): a status a person set (back to Draft while re-reviewing, say) is kept, never overwritten, by
the decision or the roller's conclusion. A status that would not change is not sent.

The card is written in its own UpdateModelPackage, after the decision (`card_requests`), so a refused
card never takes the decision with it; a refusal is recorded on the version (`CARD_KEY`) and notified.
UpdateModelCard says "You cannot update both model card content and model card status in a single
call"; ModelPackageModelCard says nothing either way (docs/FIDELITY.md), so `card_requests` also gives
the same write as two calls, content then status, for when the one call is refused.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry_autopilot.logic import approval, naming, targets
from registry_autopilot.logic.attach import AttachPlan, CompiledJob
from registry_autopilot.models.approval import ApprovalOutcome, CheckResult
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.shadow import HealthReading
from registry_autopilot.models.workflow import TargetOutcome

MAX_CONTENT = 100_000  # ModelPackageModelCard.ModelCardContent: maximum length 100000
MAX_NAME = 63  # evaluation_details[].name and metric_groups[].name: pattern .{1,63}
MAX_OBSERVATION = 2096  # evaluation_details[].evaluation_observation: maxLength 2096
MAX_METADATA_VALUE = 1024  # evaluation_details[].metadata values: maxLength 1024
MAX_STRING_VALUE = 63  # simple_metric string value: maxLength 63
MAX_NOTES = 1024  # simple_metric notes: maxLength 1024
OWNER_KEY = "registry_autopilot_entry"
STATUS_KEY = "card_status"  # the ModelCardStatus we last wrote, on each of our entries
CARD_KEY = "autopilot:model-card"  # on the version: why our last card write was refused
ARCHIVED = "Archived"
# ModelApprovalStatus -> ModelCardStatus. Rejected maps to Draft, not Archived: Archived cannot be
# undone or updated, and a rejected version can be re-opened by a person and decided again.
STATUS_FOR_APPROVAL = {"Approved": "Approved", "PendingManualApproval": "PendingReview", "Rejected": "Draft"}
ENTRY_NAMES = {
    "decision": "Registry Autopilot decision",
    "evaluation": "Registry Autopilot evaluation",
    "neo": "Registry Autopilot Neo compilation",
    "shadow": "Registry Autopilot shadow test",
}
ORDER = tuple(ENTRY_NAMES)


def _text(value: str, limit: int) -> str:
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _string(name: str, value: str, notes: str | None = None) -> dict[str, Any]:
    metric: dict[str, Any] = {"name": name, "type": "string", "value": _text(value, MAX_STRING_VALUE)}
    if notes:
        metric["notes"] = _text(notes, MAX_NOTES)
    return metric


def _number(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "number", "value": value}


def _entry(
    kind: str,
    observation: str,
    metadata: Mapping[str, str],
    groups: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": ENTRY_NAMES[kind],
        "evaluation_observation": _text(observation, MAX_OBSERVATION),
        "metadata": {OWNER_KEY: kind, **{k: _text(v, MAX_METADATA_VALUE) for k, v in metadata.items() if v}},
    }
    if groups:
        entry["metric_groups"] = groups
    return entry


# -- our entries -------------------------------------------------------------------------------------
def _group_name(index: int, name: str) -> str:
    return _text(f"{index}. {name}", MAX_NAME)


def _check_group(index: int, check: CheckResult) -> dict[str, Any]:
    data = [_string("result", check.status, check.detail)]
    if check.value is not None:
        data.append(_number("value", check.value))
    if check.operator is not None:
        data.append(_string("operator", check.operator))
    if check.threshold is not None:
        data.append(_number("threshold", check.threshold))
    if check.report_uri is not None:
        data.append(_string("report", posixpath.basename(check.report_uri) or "report", check.report_uri))
    if check.baseline is not None:
        data.append(_string("baseline version", check.baseline.split(" (")[0], check.baseline))
    if check.baseline_value is not None:
        data.append(_number("baseline value", check.baseline_value))
    return {"name": _group_name(index, check.name), "metric_data": data}


def evaluation_entry(checks: list[CheckResult]) -> dict[str, Any]:
    """Each check the policy ran: result, value, operator, threshold, report location, baseline."""
    passed = sum(check.status == "PASS" for check in checks)
    reports = sorted({check.report_uri for check in checks if check.report_uri})
    metadata = {f"report_{index + 1}": uri for index, uri in enumerate(reports[:10])}
    baselines = sorted({check.baseline for check in checks if check.baseline})
    if baselines:
        metadata["baseline"] = baselines[0]
    groups = [_check_group(index + 1, check) for index, check in enumerate(checks)]
    return _entry("evaluation", f"{passed}/{len(checks)} checks passed", metadata, groups)


def decision_entry(outcome: ApprovalOutcome, description: str, audit: Mapping[str, str]) -> dict[str, Any]:
    """Who decided what, with which policy, when and in which execution (`audit`: the audit keys)."""
    metadata = {
        "action": outcome.action,
        "outcome": outcome.status or "",
        "policy": outcome.mode,
        "policy_digest": outcome.policy_digest,
        "decided_by": audit.get(approval.DECIDED_BY_KEY, ""),
        "decided_at": audit.get(approval.DECIDED_AT_KEY, ""),
        "execution": audit.get(approval.EXECUTION_KEY, ""),
    }
    return _entry("decision", description or outcome.reason, metadata)


@dataclass(frozen=True)
class NeoRecord:
    """One configured Neo target as the card shows it."""

    target: str
    kind: str  # "device ml_c5" or "platform LINUX/ARM64"
    status: str  # ATTACHED, FAILED, NOT_ATTACHED, TIMEOUT, ... or NOT_COMPILED
    job: str | None = None
    artifact: str | None = None
    reason: str | None = None


def neo_entry(records: Iterable[NeoRecord]) -> dict[str, Any]:
    items = list(records)
    groups = []
    for record in items:
        data = [_string("status", record.status, record.reason), _string("target", record.kind)]
        if record.job:
            data.append(_string("compilation job", record.job))
        if record.artifact:
            name = posixpath.basename(record.artifact) or "artifact"
            data.append(_string("compiled artifact", name, record.artifact))
        groups.append({"name": _text(record.target, MAX_NAME), "metric_data": data})
    attached = [record.target for record in items if record.status == "ATTACHED"]
    others = [f"{record.target} {record.status}" for record in items if record.status != "ATTACHED"]
    observation = f"{len(attached)}/{len(items)} Neo targets attached" + (
        f" ({', '.join(attached)})" if attached else ""
    )
    if others:
        observation += f"; {', '.join(others)}"
    return _entry("neo", observation, {}, groups)


def shadow_entry(
    experiment: str, outcome: str, reason: str, readings: Mapping[str, float | None], concluded_at: str
) -> dict[str, Any]:
    """The shadow test's conclusion and the health readings that decided it."""
    data = [_number(name, value) for name, value in readings.items() if value is not None]
    groups = [{"name": "health readings", "metric_data": data}] if data else None
    metadata = {"experiment": experiment, "outcome": outcome, "concluded_at": concluded_at}
    return _entry("shadow", f"{outcome}: {reason}", metadata, groups)


# -- the existing card -------------------------------------------------------------------------------
def _kind(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    metadata = entry.get("metadata")
    kind = metadata.get(OWNER_KEY) if isinstance(metadata, dict) else None
    return kind if kind in ENTRY_NAMES else None


def read_content(package: ModelPackage) -> dict[str, Any] | str:
    """The card's content as an object, or why it cannot be merged (never overwritten then)."""
    card = package.ModelCard
    raw = card.ModelCardContent if card is not None else None
    if not raw:
        return {}
    try:
        content = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"the model card content is not JSON ({exc.msg}); left as it is"
    if not isinstance(content, dict):
        return "the model card content is not a JSON object; left as it is"
    return content


def our_entries(content: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Our entries in `content`, by kind (the last one when a kind appears twice)."""
    details = content.get("evaluation_details")
    found: dict[str, dict[str, Any]] = {}
    for entry in details if isinstance(details, list) else []:
        kind = _kind(entry)
        if kind is not None:
            found[kind] = entry
    return found


def merge(content: Mapping[str, Any], ours: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """`content` with our entries of the given kinds replaced (or added); everything else as it was."""
    merged = dict(content)
    details = content.get("evaluation_details")
    kept_ours = our_entries(content)
    kept_ours.update(ours)
    theirs = [entry for entry in (details if isinstance(details, list) else []) if _kind(entry) is None]
    merged["evaluation_details"] = theirs + [kept_ours[kind] for kind in ORDER if kind in kept_ours]
    return merged


def serialize(content: Mapping[str, Any]) -> str:
    """Compact JSON: the content's pattern `.*` admits no raw line break."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def _without_notes(metric: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metric.items() if key != "notes"}


def _summarised(entry: dict[str, Any], level: int) -> dict[str, Any]:
    """Level 1 drops metric notes, 2 drops metric groups, 3 keeps the name, marker and a short line."""
    if level == 0:
        return entry
    out = dict(entry)
    if level == 1 and "metric_groups" in out:
        out["metric_groups"] = [
            {**group, "metric_data": [_without_notes(metric) for metric in group["metric_data"]]}
            for group in out["metric_groups"]
        ]
    if level >= 2:
        out.pop("metric_groups", None)
    if level >= 3:
        out["evaluation_observation"] = _text(str(out.get("evaluation_observation", "")), 200)
        out["metadata"] = {OWNER_KEY: out["metadata"][OWNER_KEY]}
    return out


@dataclass(frozen=True)
class CardWrite:
    """The `ModelCard` member to add to the version's UpdateModelPackage, or why there is none."""

    model_card: dict[str, str] | None
    reason: str
    summarised: int = 0  # 0: in full; 1-3: how far our entries were summarised to fit


def last_written_status(content: Mapping[str, Any]) -> str | None:
    """The ModelCardStatus our last card write set (None: we never set one)."""
    for entry in our_entries(content).values():
        status = (entry.get("metadata") or {}).get(STATUS_KEY)
        if status:
            return str(status)
    return None


def status_to_write(package: ModelPackage, content: Mapping[str, Any], wanted: str) -> str | None:
    """`wanted` when the card's status is ours to set and differs from it; None keeps the status.

    Ours to set: no status yet, no status of ours yet (the first decision sets it), or the status is the
    one we last wrote. A status other than the one we last wrote was set by a person after our write: it
    is kept."""
    current = package.ModelCard.ModelCardStatus if package.ModelCard is not None else None
    last = last_written_status(content)
    if current is None or last is None:
        return wanted
    if current != last:
        return None
    return wanted if wanted != current else None


def _stamped(entry: dict[str, Any], status: str | None) -> dict[str, Any]:
    metadata = {key: value for key, value in entry["metadata"].items() if key != STATUS_KEY}
    if status:
        metadata[STATUS_KEY] = status
    return {**entry, "metadata": metadata}


def card_update(
    package: ModelPackage, ours: Mapping[str, dict[str, Any]], approval_status: str | None
) -> CardWrite:
    """Read the version's card, replace our entries of these kinds, keep the rest, fit 100000; the
    status only when it is ours to set (`status_to_write`)."""
    card = package.ModelCard
    if card is not None and card.ModelCardStatus == ARCHIVED:
        return CardWrite(None, "the model card is Archived; AWS refuses updates to it")
    content = read_content(package)
    if isinstance(content, str):
        return CardWrite(None, content)
    wanted = STATUS_FOR_APPROVAL.get(approval_status or "PendingManualApproval", "PendingReview")
    status = status_to_write(package, content, wanted)
    # What our entries record: the status written now, else the one we wrote last (kept as it was).
    recorded = status or last_written_status(content)
    kept = "" if status or card is None else f"; the status {card.ModelCardStatus} is a person's, kept"
    for level in range(4):
        previous = our_entries(content)
        both = {**previous, **ours}
        entries = {kind: _stamped(_summarised(entry, level), recorded) for kind, entry in both.items()}
        text = serialize(merge(content, entries))
        if len(text) <= MAX_CONTENT:
            if status is None and card is not None and card.ModelCardContent == text:
                return CardWrite(None, "unchanged: nothing to write" + kept, level)
            reason = "written" if level == 0 else f"written with our entries summarised (level {level})"
            written = {"ModelCardContent": text} | ({"ModelCardStatus": status} if status else {})
            return CardWrite(written, reason + kept, level)
    return CardWrite(None, f"a person's card content leaves no room for ours within {MAX_CONTENT} characters")


def _token(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "ClientToken": naming.client_token(json.dumps(request, sort_keys=True))}


def card_requests(arn: str, card: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The card write as UpdateModelPackage requests: (in one call, in two calls: content then status).
    The two-call form is the same write for an account that refuses content and status together."""
    together = [_token({"ModelPackageArn": arn, "ModelCard": dict(card)})]
    if "ModelCardContent" not in card or "ModelCardStatus" not in card:
        return together, together
    apart = [
        _token({"ModelPackageArn": arn, "ModelCard": {"ModelCardContent": card["ModelCardContent"]}}),
        _token({"ModelPackageArn": arn, "ModelCard": {"ModelCardStatus": card["ModelCardStatus"]}}),
    ]
    return together, apart


def card_failure_request(arn: str, reason: str) -> dict[str, Any]:
    """Record on the version why our card write was refused (the decision itself was written)."""
    # Only characters the metadata value pattern allows, at most 256 (naming.metadata_value).
    text = naming.metadata_value("FAILED", reason)
    return _token({"ModelPackageArn": arn, "CustomerMetadataProperties": {CARD_KEY: text}})


# -- what a person reads -------------------------------------------------------------------------------
def summary(model_card: Mapping[str, Any] | None) -> str:
    """One line for `status` and the demo, from DescribeModelPackage's `ModelCard` (or None)."""
    if not model_card:
        return "no model card"
    status = model_card.get("ModelCardStatus") or "no status"
    try:
        content = json.loads(model_card.get("ModelCardContent") or "{}")
    except json.JSONDecodeError:
        return f"{status}; content is not JSON"
    if not isinstance(content, dict):
        return f"{status}; content is not a JSON object"
    ours = our_entries(content)
    parts = [status]
    decision = ours.get("decision")
    if decision is not None:
        meta = decision.get("metadata", {})
        by = meta.get("decided_by") or meta.get("policy", "?")
        parts.append(f"decision {meta.get('outcome') or '?'} by {by} at {meta.get('decided_at') or '?'}")
    for kind in ("evaluation", "neo", "shadow"):
        entry = ours.get(kind)
        if entry is not None:
            parts.append(f"{kind}: {entry.get('evaluation_observation', '')}")
    details = content.get("evaluation_details")
    theirs = sum(1 for entry in (details if isinstance(details, list) else []) if _kind(entry) is None)
    if theirs:
        parts.append(f"{theirs} other evaluation entr{'y' if theirs == 1 else 'ies'}")
    return "; ".join(parts)


def neo_records(
    package: ModelPackage,
    group: GroupConfig,
    attached_now: Mapping[str, tuple[str, str | None]],
    notes: Mapping[str, str],
) -> list[NeoRecord]:
    """Each configured target: attached (with job and artifact), failed (with the reason), or not yet.

    `attached_now`: spec name -> (job name, artifact) for the specs this write adds; `notes`: the
    version's `autopilot:neo:*` records after this write. A spec attached earlier keeps the job and
    artifact our card recorded then (or the artifact its container names).
    """
    content = read_content(package)
    previous: dict[str, dict[str, Any]] = {}
    neo = our_entries(content).get("neo") if isinstance(content, dict) else None
    for group_entry in (neo or {}).get("metric_groups", []):
        metrics = [m for m in group_entry.get("metric_data", []) if isinstance(m, dict)]
        previous[str(group_entry.get("name", ""))] = {str(m.get("name")): m for m in metrics}
    specs = {spec.Name: spec for spec in package.AdditionalInferenceSpecifications}
    records = []
    for target in group.neo_targets:
        kind = targets.describe(target)
        name = naming.spec_name(target.name)
        before = previous.get(target.name, {})
        if name in attached_now:
            records.append(NeoRecord(target.name, kind, "ATTACHED", *attached_now[name]))
        elif name in specs:
            containers = specs[name].Containers
            earlier_job = (before.get("compilation job") or {}).get("value")
            artifact = (before.get("compiled artifact") or {}).get("notes") or (
                containers[0].ModelDataUrl if containers else None
            )
            records.append(NeoRecord(target.name, kind, "ATTACHED", earlier_job, artifact))
        elif naming.metadata_key(target.name) in notes:
            status, _, reason = notes[naming.metadata_key(target.name)].partition(":")
            records.append(NeoRecord(target.name, kind, status.strip() or "RECORDED", reason=reason.strip()))
        else:
            records.append(NeoRecord(target.name, kind, "NOT_COMPILED"))
    return records


def attach_card(
    package: ModelPackage,
    group: GroupConfig,
    plan: AttachPlan,
    *,
    decided: approval.Decision | None,
    outcomes: Iterable[TargetOutcome],
    jobs: Mapping[str, CompiledJob],
) -> CardWrite:
    """The card written with the attach-and-decide step's UpdateModelPackage (`package`: the version
    as read just before writing): the Neo results always, the evaluation and decision when decided."""
    added = {spec["Name"] for spec in plan.specs}
    attached_now: dict[str, tuple[str, str | None]] = {}
    for outcome in outcomes:
        name = naming.spec_name(outcome.target)
        job = jobs.get(outcome.job_name)
        if name in added and job is not None:
            attached_now[name] = (outcome.job_name, job.artifact)
    notes = {**package.CustomerMetadataProperties, **plan.notes}
    ours = {"neo": neo_entry(neo_records(package, group, attached_now, notes))}
    status = package.ModelApprovalStatus
    if decided is not None:
        description = str(decided.fields.get("ApprovalDescription") or decided.outcome.reason)
        ours["decision"] = decision_entry(decided.outcome, description, decided.metadata)
        if decided.outcome.action == "decided":
            ours["evaluation"] = evaluation_entry(decided.outcome.checks)
        status = decided.fields.get("ModelApprovalStatus", status)
    return card_update(package, ours, status)


def shadow_card(
    package: ModelPackage,
    *,
    experiment: str,
    outcome: str,
    reason: str,
    health: HealthReading | None,
    concluded_at: str,
) -> CardWrite:
    """The card written with the shadow test's recorded conclusion: our shadow entry replaced, the rest
    kept, the status still following the version's approval status."""
    readings: dict[str, float | None] = {}
    if health is not None:
        readings = {
            "shadow invocations": health.shadow_invocations,
            "shadow 5xx errors": health.shadow_5xx,
            "shadow model latency (microseconds)": health.shadow_latency,
            "production model latency (microseconds)": health.production_latency,
        }
    entry = shadow_entry(experiment, outcome, reason, readings, concluded_at)
    return card_update(package, {"shadow": entry}, package.ModelApprovalStatus)
