"""Build the Registry Autopilot app from `cdk.json` context. Offline: no AWS calls, no side effects."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from infra.quiet import quiet

# Before aws_cdk starts jsii's Node.js process: plain `npx cdk synth` gets no end-of-life banner.
quiet()

from aws_cdk import App  # noqa: E402

from infra import constants  # noqa: E402
from infra.checks import add_checks  # noqa: E402
from infra.companion import CompanionStack  # noqa: E402
from infra.config import ConfigError, config_from_context  # noqa: E402
from infra.constructs.lambda_function import DependencyLayerMissingError  # noqa: E402
from infra.deployable import check_deployable  # noqa: E402
from infra.quotas import check_template_file  # noqa: E402
from infra.stack import RegistryAutopilotStack  # noqa: E402


def build(app: App, *, account: str | None = None) -> RegistryAutopilotStack:
    """The stacks for the configuration in the app's context: the automation stack (returned) and, when
    groups or endpoints live in other accounts, one companion stack per other account
    (`stack.companions`, docs/ACCOUNTS.md). `account` is the account the CDK CLI synthesizes for (None
    in local runs and tests): the sample configuration is refused for it."""
    context: dict[str, Any] = app.node.get_all_context() or {}
    config = config_from_context(app.node.try_get_context, context)
    check_deployable(config, account)
    stack = RegistryAutopilotStack(
        app,
        config.stack_name,
        config=config,
        lambda_dependencies_dir=app.node.try_get_context(constants.DEPENDENCIES_DIR_CONTEXT_KEY),
    )
    stack.companions = [
        CompanionStack(app, config=config, account=other) for other in config.other_accounts()
    ]
    for companion in stack.companions:
        # Ordering only (no stack reads another's outputs): `cdk deploy --all` deploys the automation
        # stack first, so its bus and bucket admit the companions' first event and artifact.
        companion.add_dependency(stack, "the automation stack is deployed before the companions")
    add_checks(app)
    return stack


def main() -> int:
    app = App()
    try:
        # Set by the CDK CLI from your credentials; absent when no account is configured.
        stack = build(app, account=os.environ.get("CDK_DEFAULT_ACCOUNT"))
        assembly = app.synth()
        # Quotas CloudFormation would refuse at deploy time, checked on every template just written.
        for each in (stack, *stack.companions):
            check_template_file(Path(assembly.directory) / each.template_file)
    except (ConfigError, DependencyLayerMissingError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
