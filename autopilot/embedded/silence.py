"""Why an event reaches no rule: the one sentence `replay`, `plan` and `invoke` print instead of
silence.

Checked in the order a user can act on: the event is not SageMaker's model package state change
(source or detail-type); its group is not in cdk.json's `groups`; the version's status and approval
are a pair no rule of that group acts on. The rules are the synthesized ones (their event patterns),
the groups the configuration they were synthesized from.
"""

from __future__ import annotations

from typing import Any

from autopilot.embedded.synth import SynthesizedApp


def _values(pattern: dict[str, Any], key: str) -> list[Any] | None:
    """The values a pattern lists for `key`, None when it does not filter on it."""
    value = pattern.get(key)
    return value if isinstance(value, list) else None


def _shown(values: list[Any] | None) -> str:
    if values is None:
        return "any"
    return " or ".join(str(v) for v in values)


def _target_names(app: SynthesizedApp, rule: Any) -> str:
    names = []
    for target in rule.targets:
        if target.kind == "state-machine":
            names.append("the compile workflow")
        elif target.kind == "function":
            names.append(app.functions.get(target.logical_id, target.logical_id).split(".")[-2])
    return ", ".join(names) or "its targets"


def group_of(event: Any) -> str | None:
    detail = event.get("detail") if isinstance(event, dict) else None
    group = detail.get("ModelPackageGroupName") if isinstance(detail, dict) else None
    return group if isinstance(group, str) else None


def is_unwatched(app_or_groups: Any, event: Any) -> str | None:
    """The event's group when it is a SageMaker state change of a group cdk.json does not list."""
    groups = app_or_groups.config.groups if hasattr(app_or_groups, "config") else app_or_groups
    group = group_of(event)
    if group is None or group in groups:
        return None
    return group


def why_no_rule(app: SynthesizedApp, event: Any, *, watch_flag: bool = False) -> str:
    """One sentence: why `event` matches none of `app`'s event rules. `watch_flag`: the verb has
    `--watch GROUP` (replay), so an unwatched group's fix can name it."""
    rules = [rule for rule in app.rules if not rule.schedule and rule.pattern]
    if not isinstance(event, dict):
        return "not an EventBridge event (a JSON object)"
    sources = sorted({s for r in rules for s in _values(r.pattern, "source") or [] if isinstance(s, str)})
    types = sorted({t for r in rules for t in _values(r.pattern, "detail-type") or [] if isinstance(t, str)})
    source, detail_type = event.get("source"), event.get("detail-type")
    if (sources and source not in sources) or (types and detail_type not in types):
        return (
            f"source {source!r} and detail-type {detail_type!r} are not SageMaker's: the rules take "
            f"source {_shown(sources)} with detail-type {_shown(types)}"
        )
    group = group_of(event)
    if group is not None and group not in app.config.groups:
        fix = (
            f"add it to cdk.json's groups, or replay with --watch {group}"
            if watch_flag
            else ("add it to cdk.json's groups")
        )
        return f"group {group!r} is not watched (not in cdk.json's groups): {fix}"
    detail: dict[str, Any] = event["detail"] if isinstance(event.get("detail"), dict) else {}
    acted = []
    for rule in rules:
        wanted = _values(rule.pattern.get("detail") or {}, "ModelPackageGroupName")
        if wanted is not None and group not in wanted and all(isinstance(w, str) for w in wanted):
            continue
        inner = rule.pattern.get("detail") or {}
        acted.append(
            f"{_shown(_values(inner, 'ModelPackageStatus'))} with "
            f"{_shown(_values(inner, 'ModelApprovalStatus'))} ({_target_names(app, rule)})"
        )
    status, approval = detail.get("ModelPackageStatus"), detail.get("ModelApprovalStatus")
    where = f" for group {group!r}" if group else ""
    return (
        f"status {status} with approval {approval} is a state no rule acts on{where}; the rules act on: "
        f"{'; '.join(acted) or 'nothing'}"
    )
