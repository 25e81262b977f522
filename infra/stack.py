"""The Registry Autopilot stack: one construct per capability, composed from the validated config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from infra import constants
from infra.accounts import AccountPlan
from infra.constructs import sagemaker_access
from infra.constructs.alerting import Alerting
from infra.constructs.artifacts import CompiledArtifacts
from infra.constructs.compile_workflow import CompileWorkflow
from infra.constructs.cross_account import CrossAccount, assume_access_roles, assume_for
from infra.constructs.dashboard import Dashboard
from infra.constructs.group_sharing import GroupSharing, group_policies
from infra.constructs.lambda_function import LambdaFactory
from infra.constructs.model_groups import ModelPackageGroups
from infra.constructs.registry_events import RegistryEvents
from infra.constructs.sagemaker_roles import SageMakerRoles
from infra.constructs.shadow_rollout import ShadowRollout
from infra.outputs import add_outputs
from registry_autopilot.models.config import AutopilotConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


class RegistryAutopilotStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        lambda_dependencies_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        plan = AccountPlan(config)
        kwargs.setdefault("stack_name", config.stack_name)
        if plan.multi_account:
            # The companion stacks name this account (trust, forwarding target); the CLI then refuses to
            # deploy the stack into another one. Single-account: environment-agnostic, as before.
            kwargs.setdefault("env", Environment(account=config.account))
        kwargs.setdefault(
            "description", "Registry Autopilot: Neo compile, attach, approval and shadow tests for SageMaker"
        )
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add(constants.OWNER_TAG_KEY, config.stack_name)
        self.config = config
        # The companion stacks of the other accounts (app.py builds them beside this one).
        self.companions: list[Stack] = []

        self.alerting = Alerting(self, "Alerting", notification_email=config.notification_email)
        self.functions = LambdaFactory(
            self,
            "Functions",
            config=config,
            alerting=self.alerting,
            dependencies_dir=lambda_dependencies_dir,
        )
        self.artifacts = CompiledArtifacts(self, "CompiledArtifacts")
        self.roles = SageMakerRoles(self, "SageMakerRoles", config=config, artifacts=self.artifacts)
        self.model_package_groups = (
            ModelPackageGroups(
                self,
                "ModelPackageGroups",
                config=config,
                # Multi-account: this account's groups only (each companion creates its own).
                groups=plan.groups_in(None) if plan.multi_account else None,
                policies=group_policies(self, stack_name=config.stack_name, shares=plan.shares(None)),
            )
            if config.create_model_package_groups
            else None
        )
        self.compile_workflow = CompileWorkflow(
            self,
            "CompileWorkflow",
            config=config,
            functions=self.functions,
            artifacts=self.artifacts,
            alerting=self.alerting,
            roles=self.roles,
        )
        if self.model_package_groups is not None:
            # Rules may only start work once the groups they watch exist.
            self.compile_workflow.node.add_dependency(self.model_package_groups)
        self.registry_events = RegistryEvents(
            self,
            "RegistryEvents",
            config=config,
            compile_state_machine=self.compile_workflow.state_machine,
            alerting=self.alerting,
        )
        self.shadow_rollout = (
            ShadowRollout(
                self,
                "ShadowRollout",
                config=config,
                functions=self.functions,
                artifacts=self.artifacts,
                registry_events=self.registry_events,
                alerting=self.alerting,
                roles=self.roles,
            )
            if self.registry_events.version_approved is not None
            else None
        )
        self.cross_account: CrossAccount | None = None
        self.group_sharing: GroupSharing | None = None
        if plan.multi_account:
            self._cross_account(plan)
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            state_machine=self.compile_workflow.state_machine,
            plan_function=self.compile_workflow.plan_function,
            attach_function=self.compile_workflow.attach_function,
            roller_function=self.shadow_rollout.roller_function if self.shadow_rollout else None,
            functions=self.functions.functions,
            state_machine_logs=self.compile_workflow.log_group,
            dead_letter_queues=[self.registry_events.dead_letter_queue, *self.functions.dead_letter_queues],
            alarms=self.alerting.alarms,
        )
        add_outputs(
            self,
            compile_workflow=self.compile_workflow,
            alerting=self.alerting,
            artifacts=self.artifacts,
            roles=self.roles,
            dashboard=self.dashboard,
            registry_events=self.registry_events,
            functions=self.functions,
        )

    def _cross_account(self, plan: AccountPlan) -> None:
        """The automation side of a multi-account configuration (infra/constructs/cross_account.py)."""
        config = self.config
        self.cross_account = CrossAccount(self, "CrossAccount", plan=plan, bucket=self.artifacts.bucket)
        registries = plan.registry_access_accounts()
        workflow = self.compile_workflow
        for function in (workflow.plan_function, workflow.attach_function, workflow.watcher.function):
            assume_for(function, plan, registries)
        assume_access_roles(workflow.state_machine.role, plan, registries)
        if self.shadow_rollout is not None:
            for function in (self.shadow_rollout.start_function, self.shadow_rollout.roller_function):
                assume_for(function, plan, plan.shadow_access_accounts())
            # A version of another account's group served on this account's endpoint: ShadowStart's own
            # role creates the model from it, so its identity policy must allow reading the version too.
            served = [
                g
                for g, c in config.groups.items()
                if c.shadow is not None
                and config.endpoint_account(g) == config.account
                and config.registry_account(g) != config.account
            ]
            for registry in sorted({str(config.registry_account(g)) for g in served}):
                sagemaker_access.allow(
                    self.shadow_rollout.start_function,
                    sagemaker_access.read_model_packages(
                        self,
                        [g for g in served if config.registry_account(g) == registry],
                        config.group_name_prefix,
                        account=registry,
                    ),
                )
        self.group_sharing = GroupSharing.of(
            self, config=config, shares=plan.shares(None), key=self.alerting.key
        )
