"""Build the Registry Autopilot app from `cdk.json` context. Offline: no AWS calls, no side effects."""

from __future__ import annotations

import sys
from typing import Any

from aws_cdk import App

from infra import constants
from infra.checks import add_checks
from infra.config import ConfigError, config_from_context
from infra.constructs.lambda_function import DependencyLayerMissingError
from infra.stack import RegistryAutopilotStack


def build(app: App) -> RegistryAutopilotStack:
    context: dict[str, Any] = app.node.get_all_context() or {}
    config = config_from_context(app.node.try_get_context, context)
    stack = RegistryAutopilotStack(
        app,
        config.stack_name,
        config=config,
        lambda_dependencies_dir=app.node.try_get_context(constants.DEPENDENCIES_DIR_CONTEXT_KEY),
    )
    add_checks(app)
    return stack


def main() -> int:
    app = App()
    try:
        build(app)
    except (ConfigError, DependencyLayerMissingError) as exc:
        print(exc, file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
