"""The Registry Autopilot stack: one construct per capability, composed from the validated config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from infra import constants
from infra.constructs.alerting import Alerting
from infra.constructs.artifacts import CompiledArtifacts
from infra.constructs.compile_workflow import CompileWorkflow
from infra.constructs.dashboard import Dashboard
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
        kwargs.setdefault("stack_name", config.stack_name)
        kwargs.setdefault(
            "description", "Registry Autopilot: Neo compile, attach, approval and shadow tests for SageMaker"
        )
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add(constants.OWNER_TAG_KEY, config.stack_name)
        self.config = config

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
            ModelPackageGroups(self, "ModelPackageGroups", config=config)
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
