"""Every synthesized stack's template with the account it is deployed in (for local runs and tests).

`stack_templates(assembly, stack)` takes the cloud assembly `app.synth()` returned and the automation
stack `app.build()` returned, and lists the automation stack first, then one companion stack per other
account (docs/ACCOUNTS.md). `account` is None for the automation stack of a configuration without
`account` (environment-agnostic: it deploys into whatever account the credentials name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import cx_api

from infra.companion import CompanionStack
from infra.stack import RegistryAutopilotStack


@dataclass(frozen=True)
class StackTemplate:
    stack_name: str
    account: str | None
    automation: bool  # the automation stack (the functions, the workflow); else a companion stack
    template: dict[str, Any]


def stack_templates(assembly: cx_api.CloudAssembly, stack: RegistryAutopilotStack) -> list[StackTemplate]:
    """The automation stack's template, then each companion's, with its account."""
    listed = [
        StackTemplate(
            stack_name=stack.stack_name,
            account=stack.config.account,
            automation=True,
            template=assembly.get_stack_by_name(stack.stack_name).template,
        )
    ]
    for companion in stack.companions:
        if isinstance(companion, CompanionStack):
            listed.append(
                StackTemplate(
                    stack_name=companion.stack_name,
                    account=companion.account_id,
                    automation=False,
                    template=assembly.get_stack_by_name(companion.stack_name).template,
                )
            )
    return listed
