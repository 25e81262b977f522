"""Optionally create the watched model package groups, for a fresh account.

Each stack creates the groups of its own account (the automation stack those of the automation account,
a companion stack those of its registry account). A group shared with the accounts its shadow tests run
in carries its policy (`ModelPackageGroupPolicy`, infra/constructs/group_sharing.py).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from registry_autopilot.models.config import AutopilotConfig


class ModelPackageGroups(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        groups: list[str] | None = None,
        policies: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.groups: dict[str, sagemaker.CfnModelPackageGroup] = {}
        policies = policies or {}
        for name in sorted(config.groups if groups is None else groups):
            group = sagemaker.CfnModelPackageGroup(
                self,
                name,  # the name as id keeps logical ids stable when groups are added or removed
                model_package_group_name=name,
                model_package_group_description=f"Watched by Registry Autopilot ({config.stack_name})",
                model_package_group_policy=policies.get(name),
            )
            # The versions registered in a group outlive this stack.
            group.apply_removal_policy(RemovalPolicy.RETAIN)
            self.groups[name] = group
