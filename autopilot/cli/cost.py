"""`cost`: what the configured stack costs (the model is `autopilot.cost`)."""

from __future__ import annotations

import argparse
from typing import Any

from autopilot.cli.output import EXIT_OK
from autopilot.errors import InvalidInput


def cmd_cost(args: argparse.Namespace) -> int:
    import math

    from autopilot.cost.report import cost_report, render_json

    if args.hourly_price is not None and not (math.isfinite(args.hourly_price) and args.hourly_price >= 0):
        raise InvalidInput(f"--hourly-price {args.hourly_price:g}: a price is USD per hour, 0 or more")
    report = cost_report(hourly_price=args.hourly_price)
    print(render_json(report) if args.json else report.render())
    return EXIT_OK


def add_parser(verbs: Any) -> None:
    cost = verbs.add_parser("cost", help="what the configured stack costs (autopilot/cost/report.py)")
    cost.add_argument("--hourly-price", type=float, help="USD per instance-hour of the shadow instance type")
    cost.add_argument("--json", action="store_true", help="machine-readable output")
    cost.set_defaults(run=cmd_cost)
