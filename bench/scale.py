"""`make bench` at an organisation's scale: the fixed monthly cost at 1, 100 and 500 watched groups,
and the cost per version at 1, 100 and 1,000 versions a day.

The groups are generated the way tests/infrastructure/test_quotas.py generates them (63-character
names, each with its own production endpoint and 3 Neo targets, watched by name prefix), and each
configuration is synthesized for real (kept in .cache/synth/ for the next run).

Per version, what changes with the daily volume is the compile watcher's listing: one more
ListCompilationJobs page per 100 jobs in flight, in every round (the rest of a version's cost is its
own calls, counted by the lifecycle). Jobs in flight at a volume are taken at the most a version's
targets can wait: every target for the whole `compileTimeoutMinutes` (an upper bound).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autopilot.cost import pricing
from autopilot.embedded.synth import SynthesizedApp, cdk_json_context, synthesize
from infra.config import WATCHER_ROUND_SECONDS
from registry_autopilot.models.config import AutopilotConfig

GROUP_COUNTS = (1, 100, 500)
VERSIONS_PER_DAY = (1, 100, 1_000)
FLAT_WITHIN = 0.10
TARGETS = 3
NAME_LIMIT = 63
LIST_JOBS_PAGE = 100  # ListCompilationJobs MaxResults maximum (the watcher asks for full pages)


def organisation(groups: int) -> AutopilotConfig:
    sample = cdk_json_context()["autopilot"]
    churn = sample["groups"]["churn-xgboost"]

    def name(prefix: str, index: int, fill: str) -> str:
        stem = f"{prefix}{index:03d}-"
        return stem + fill * (NAME_LIMIT - len(stem))

    raw: dict[str, Any] = {
        **sample,
        "groupNamePrefix": "team-",
        "endpointNamePrefix": "prod-",
        "groups": {
            name("team-", index, "g"): {
                "neoTargets": [
                    {"name": "ml-c5", "targetDevice": "ml_c5"},
                    {"name": "ml-m5", "targetDevice": "ml_m5"},
                    {"name": "graviton", "targetDevice": "ml_c6g"},
                ],
                "approval": churn["approval"],
                "shadow": {**churn["shadow"], "endpointName": name("prod-", index, "e")},
            }
            for index in range(groups)
        },
    }
    return AutopilotConfig.model_validate(raw)


@dataclass(frozen=True)
class FixedAtScale:
    groups: int
    resources: int
    monthly: pricing.Cost


def fixed_by_groups(fixed_monthly: Callable[[SynthesizedApp], pricing.Cost]) -> list[FixedAtScale]:
    rows = []
    for groups in GROUP_COUNTS:
        app = synthesize(organisation(groups))
        rows.append(FixedAtScale(groups, len(app.template["Resources"]), fixed_monthly(app)))
    return rows


@dataclass(frozen=True)
class VersionAtVolume:
    per_day: int
    in_flight: int
    usd: float


def cost_by_volume(
    version_usd: float, config: AutopilotConfig, watcher_memory_mb: int
) -> list[VersionAtVolume]:
    """The version's own cost plus its share of the watcher's listing beyond one page per status."""
    rounds_per_day = 24 * 3600 // WATCHER_ROUND_SECONDS
    rows = []
    for per_day in VERSIONS_PER_DAY:
        in_flight = math.ceil(per_day * TARGETS * config.compile_timeout_minutes / (24 * 60))
        extra_pages = max(0, math.ceil(in_flight / LIST_JOBS_PAGE) - 1)
        extra = pricing.Invocation(
            "CompileWatcher", watcher_memory_mb, extra_pages * rounds_per_day, 0.0, requests=0
        )
        rows.append(
            VersionAtVolume(
                per_day,
                in_flight,
                version_usd + extra.gb_seconds() * pricing.LAMBDA_ARM64_GB_SECOND / per_day,
            )
        )
    return rows
