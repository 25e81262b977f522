"""`python -m autopilot cost`: what the configured stack costs, from the configuration and the template.

- per version: one version's lifecycle run on the local stack through the synthesized wiring (state
  transitions, Lambda requests, AWS calls at the cost model's round trip each, log lines, publishes),
  priced with autopilot/cost/pricing.py; `make bench` adds the measured CPU time and cold starts;
- fixed per month: the KMS key, the alarm metrics and the dashboard in the template, and the roller's
  schedule (an idle round each `rollerScheduleMinutes`);
- custom metrics per month, at most: one metric-month per name in registry_autopilot/custom_metrics.py
  (CloudWatch bills a custom metric only for the hours it receives data, and the functions emit one
  only when it counts something that needs a person; an idle stack pays for none);
- per approved version, per group with `shadow`: the shadow variant's instances for the length of the
  rollout plan (and at most `durationDays`), at the instance type's on-demand price.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from autopilot.cost import pricing
from autopilot.embedded.synth import SynthesizedApp, synthesize
from infra.config import WATCHER_ROUND_SECONDS


@dataclass
class CostReport:
    per_version: pricing.Cost
    monthly: pricing.Cost
    custom_metrics: pricing.Cost
    shadow: list[pricing.ShadowPlanCost]

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_version_usd": round(self.per_version.total, 6),
            "per_version": [
                {"item": i, "quantity": q, "usd": round(u, 6)} for i, q, u in self.per_version.lines
            ],
            "monthly_fixed_usd": round(self.monthly.total, 4),
            "monthly_fixed": [
                {"item": i, "quantity": q, "usd": round(u, 4)} for i, q, u in self.monthly.lines
            ],
            "custom_metrics_monthly_at_most_usd": round(self.custom_metrics.total, 4),
            "custom_metrics": [
                {"item": i, "quantity": q, "usd": round(u, 4)} for i, q, u in self.custom_metrics.lines
            ],
            "shadow_per_approved_version": [
                {
                    "group": s.group,
                    "instance_type": s.instance_type,
                    "instance_count": s.instance_count,
                    "planned_hours": round(s.planned_hours, 2),
                    "longest_hours": round(s.longest_hours, 2),
                    "hourly_price_usd": s.hourly_price,
                    "planned_usd": None
                    if s.usd(s.planned_hours) is None
                    else round(s.usd(s.planned_hours) or 0, 2),
                    "longest_usd": None
                    if s.usd(s.longest_hours) is None
                    else round(s.usd(s.longest_hours) or 0, 2),
                }
                for s in self.shadow
            ],
        }

    def render(self) -> str:
        lines = ["Per model version (orchestration; Neo compilation jobs are SageMaker's own charge):"]
        lines += [
            f"  {item:<34} {quantity:>12}  ${usd:.6f}" for item, quantity, usd in self.per_version.lines
        ]
        lines.append(f"  {'total':<34} {'':>12}  ${self.per_version.total:.6f}")
        lines.append("Fixed per month (no version at all):")
        lines += [f"  {item:<34} {quantity:>12}  ${usd:.2f}" for item, quantity, usd in self.monthly.lines]
        lines.append(f"  {'total':<34} {'':>12}  ${self.monthly.total:.2f}")
        lines.append(
            "Custom metrics per month (billed only in hours one counts something that needs a person):"
        )
        lines += [
            f"  {item:<34} {quantity:>12}  ${usd:.2f}" for item, quantity, usd in self.custom_metrics.lines
        ]
        if self.shadow:
            lines.append("Shadow test per approved version (the shadow variant's instances):")
        for s in self.shadow:
            price = "unknown price (--hourly-price USD)" if s.hourly_price is None else f"${s.hourly_price}/h"
            planned, longest = s.usd(s.planned_hours), s.usd(s.longest_hours)
            money = "" if planned is None or longest is None else f": ${planned:.2f}, at most ${longest:.2f}"
            lines.append(
                f"  {s.group}: {s.instance_count} x {s.instance_type} ({price}) for the plan's "
                f"{s.planned_hours:.1f} h, at most {s.longest_hours:.0f} h (durationDays){money}"
            )
        lines.append(
            "Prices: AWS on-demand list prices, us-east-1 (autopilot/cost/pricing.py names each page)."
        )
        return "\n".join(lines)


def _usage(app: SynthesizedApp) -> pricing.VersionUsage:
    from autopilot.cost.lifecycle import run_lifecycle

    lifecycle = run_lifecycle(app)
    memory = {
        resource["Properties"]["Handler"].split(".")[-2]: int(resource["Properties"]["MemorySize"])
        for resource in app.template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    invocations = [
        # The roller's and the compile watcher's rounds run whether or not a version needs them (see the
        # fixed cost): only the work beyond an idle round's one listing counts for the version.
        pricing.Invocation(
            invocation.handler, memory[invocation.handler], len(invocation.calls) - 1, 0.0, requests=0
        )
        if invocation.handler in SCHEDULED_HANDLERS
        else pricing.Invocation(invocation.handler, memory[invocation.handler], len(invocation.calls), 0.0)
        for invocation in lifecycle.invocations
    ]
    return lifecycle.usage(invocations)


# Functions on a schedule: an idle round is fixed cost.
SCHEDULED_HANDLERS = ("compile_watcher", "roller")


def fixed_monthly(app: SynthesizedApp) -> pricing.Cost:
    """The automation stack's fixed monthly cost: its alarms, dashboard, KMS keys and the scheduled
    functions' idle rounds."""
    config = app.config
    shadowed = any(group.shadow is not None for group in config.groups.values())
    memory = next(
        int(r["Properties"]["MemorySize"])
        for r in app.template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    )
    rounds = pricing.SECONDS_PER_MONTH // (config.roller_schedule_minutes * 60) if shadowed else 0
    watcher_rounds = pricing.SECONDS_PER_MONTH // WATCHER_ROUND_SECONDS
    return pricing.stack_fixed_cost(
        app.template,
        idle_rounds=[pricing.Invocation("Roller", memory, 1, 0.0)] * rounds,
        idle_watcher_rounds=[pricing.Invocation("CompileWatcher", memory, 1, 0.0)] * watcher_rounds,
    )


def companions_fixed_monthly(app: SynthesizedApp) -> pricing.Cost:
    """The companion stacks' fixed monthly cost (each registry account's forwarding alarm and its KMS
    key; nothing runs on a schedule there)."""
    lines = []
    for account, _, template in app.companions:
        cost = pricing.stack_fixed_cost(template, idle_rounds=[])
        lines += [(f"{item} ({account})", quantity, usd) for item, quantity, usd in cost.lines if usd]
    return pricing.Cost(lines)


def cost_report(app: SynthesizedApp | None = None, hourly_price: float | None = None) -> CostReport:
    app = app or synthesize()
    config = app.config
    shadowed = {name: group.shadow for name, group in config.groups.items() if group.shadow is not None}
    per_version = pricing.version_cost(_usage(app)) if shadowed else pricing.Cost()
    monthly = fixed_monthly(app)
    shadow = [
        pricing.shadow_config_cost(
            name, plan, roller_minutes=config.roller_schedule_minutes, hourly_price=hourly_price
        )
        for name, plan in sorted(shadowed.items())
    ]
    return CostReport(
        per_version=per_version, monthly=monthly, custom_metrics=pricing.custom_metrics_cost(), shadow=shadow
    )


def render_json(report: CostReport) -> str:
    return json.dumps(report.as_dict(), indent=2)
