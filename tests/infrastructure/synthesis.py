"""Synthesize the real app wiring (config, stack, cdk-nag) offline, and read the cloud assembly."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autopilot.embedded.synth import REPO_ROOT, quiet_cdk_environment

# Before aws_cdk starts its Node.js process.
os.environ.update(quiet_cdk_environment())


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    template: dict[str, Any]
    report: dict[str, Any]  # validation-report.json (cdk-nag and CDK's CloudFormation validation)
    metadata: dict[str, list[dict[str, Any]]]  # <stack>.metadata.json: construct path -> entries
    config: Any  # AutopilotConfig
    synth_error: str | None  # set when a validation plugin failed the synthesis
    # Every stack of the app (the automation stack first, then one companion per other account):
    # stack name -> (account, template, metadata).
    stacks: dict[str, tuple[str | None, dict[str, Any], dict[str, list[dict[str, Any]]]]] = field(
        default_factory=dict
    )


def synthesize_app(outdir: Path, context: dict[str, Any]) -> Synthesized:
    from aws_cdk import App

    import app as app_module
    from infra.checks import VALIDATION_REPORT

    app = App(outdir=str(outdir), context=context)
    stack = app_module.build(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings surface as a failed validation
        error = str(exc)
    report_path = outdir / VALIDATION_REPORT
    stacks = {
        each.stack_name: (
            account,
            json.loads((outdir / f"{each.artifact_id}.template.json").read_text()),
            json.loads((outdir / f"{each.artifact_id}.metadata.json").read_text()),
        )
        for each, account in [
            (stack, stack.config.account),
            *((companion, companion.account) for companion in stack.companions),
        ]
    }
    return Synthesized(
        outdir=outdir,
        template=json.loads((outdir / f"{stack.artifact_id}.template.json").read_text()),
        report=json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []},
        metadata=json.loads((outdir / f"{stack.artifact_id}.metadata.json").read_text()),
        config=stack.config,
        synth_error=error,
        stacks=stacks,
    )
