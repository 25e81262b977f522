"""The audit trail in CustomerMetadataProperties (pure): superseded records go, a bounded history stays.

Every `autopilot:*` key is documented in docs/AUDIT.md. AWS limits (SageMaker API Reference,
UpdateModelPackage): "CustomerMetadataProperties ... Map Entries: Maximum number of 50 items", keys
1-128 and values 1-256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+-@]; "CustomerMetadataPropertiesToRemove
- The metadata properties associated with the model package versions to remove."

When a later record supersedes earlier ones, the earlier keys are removed in the same
UpdateModelPackage (CustomerMetadataPropertiesToRemove) and one line is added, newest first, to
`autopilot:history`, whose oldest entries are dropped to stay within 256 characters. Our keys are
therefore bounded: 6 approval keys, 1 per Neo target (at most 15), 2 shadow keys and the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from registry_autopilot.logic import approval, naming
from registry_autopilot.models.registry import ModelPackage

HISTORY_KEY = "autopilot:history"
SEPARATOR = " / "
MAX_VALUE = naming.MAX_METADATA_VALUE
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def add_history(existing: str | None, *entries: str) -> str:
    """`entries` (newest first) before the existing history, oldest entries dropped to fit 256 chars."""
    items = [naming.metadata_text(entry) for entry in entries if entry.strip()]
    items += [item for item in (existing or "").split(SEPARATOR) if item.strip()]
    kept: list[str] = []
    for item in items:
        if len(SEPARATOR.join([*kept, item])) > MAX_VALUE:
            break
        kept.append(item)
    return SEPARATOR.join(kept) if kept else items[0][:MAX_VALUE] if items else ""


@dataclass(frozen=True)
class Superseded:
    """What one write does to the trail: records to keep writing, keys to remove, history to set."""

    notes: dict[str, str]
    remove: tuple[str, ...] = ()
    history: dict[str, str] = field(default_factory=dict)


def supersede(
    package: ModelPackage,
    notes: Mapping[str, str],
    decided: approval.Decision | None,
    now: datetime,
) -> Superseded:
    """The audit change of the attach-and-decide write on `package` (as read just before writing).

    - A RETRY a person requested that ended attached: the target's record is removed, the history says so.
    - A decision a person re-opened (Approved/Rejected set back to PendingManualApproval) and decided
      again: the history keeps the superseded decision; a note the new decision does not set goes.
    """
    recorded = package.CustomerMetadataProperties
    stamp = now.strftime(TIMESTAMP_FORMAT)
    kept: dict[str, str] = {}
    remove: list[str] = []
    entries: list[str] = []
    for key, value in notes.items():
        target = naming.target_from_metadata_key(key)
        if target is not None and value.startswith("ATTACHED") and naming.is_retry_request(recorded.get(key)):
            remove.append(key)
            entries.append(f"{stamp} neo {target} RETRY done: {value.removeprefix('ATTACHED: ')}")
        else:
            kept[key] = value
    if decided is not None and approval.reopened(package):
        before = (
            f"{recorded.get(approval.DECIDED_AT_KEY, '?')} {recorded.get(approval.DECISION_KEY)} "
            f"by {recorded.get(approval.DECIDED_BY_KEY, '?')} re-opened"
        )
        entries.append(f"{stamp} decided again: {decided.metadata.get(approval.DECISION_KEY, '?')}; {before}")
        if approval.NOTE_KEY in recorded and approval.NOTE_KEY not in decided.metadata:
            remove.append(approval.NOTE_KEY)
    if not entries:
        return Superseded(notes=kept)
    history = add_history(recorded.get(HISTORY_KEY), *reversed(entries))
    return Superseded(notes=kept, remove=tuple(remove), history={HISTORY_KEY: history})
