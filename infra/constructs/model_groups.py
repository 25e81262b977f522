"""Optionally create the watched model package groups, for a fresh account."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from registry_autopilot.models.config import AutopilotConfig


class ModelPackageGroups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: AutopilotConfig) -> None:
        super().__init__(scope, construct_id)
        self.groups: dict[str, sagemaker.CfnModelPackageGroup] = {}
        for name in sorted(config.groups):
            group = sagemaker.CfnModelPackageGroup(
                self,
                name,  # the name as id keeps logical ids stable when groups are added or removed
                model_package_group_name=name,
                model_package_group_description=f"Watched by Registry Autopilot ({config.stack_name})",
            )
            # The versions registered in a group outlive this stack.
            group.apply_removal_policy(RemovalPolicy.RETAIN)
            self.groups[name] = group
