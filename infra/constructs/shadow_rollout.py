"""Shadow tests: the start function behind the version-approved rule, and the roller on a schedule.

IAM (least privilege; each action on the resource type the Service Authorization Reference lists
for it, and only the actions each function's code calls):
- both functions: list the experiments (`ListInferenceExperiments`, no resource type, so `*`),
  describe them and read their tags, stop one (start supersedes an older test, the roller concludes
  one) on `inference-experiment/autopilot-*`; describe and update the watched groups' versions;
- the start function: create the experiment (`CreateInferenceExperiment` accepts only
  `inference-experiment`) and the shadow model (`model/autopilot-*`), both with tags (`AddTags`),
  read the production endpoint and its endpoint config (configs are named by whoever deploys the
  endpoint: `endpoint-config/*`, read-only), pass the experiment role to SageMaker only;
- the roller: update the experiment, read CloudWatch metrics (`GetMetricData`, no resource type),
  and publish to the notification topic.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import constants
from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.constructs import model_keys, sagemaker_access
from infra.constructs.alerting import Alerting
from infra.constructs.artifacts import CompiledArtifacts
from infra.constructs.lambda_function import LambdaFactory
from infra.constructs.registry_events import RegistryEvents
from infra.constructs.sagemaker_roles import SageMakerRoles
from registry_autopilot.custom_metrics import CustomMetric
from registry_autopilot.models.config import AutopilotConfig

PREFIXED_REASON = (
    "Scoped to SageMaker models, inference experiments and endpoint configs: models and experiments "
    "carry Registry Autopilot's name prefix (autopilot-*), whose suffixes exist only at run time; endpoint "
    "config names are chosen by whoever deploys the production endpoint and are only described."
)
NO_RESOURCE_LEVEL_REASON = (
    "Actions with no resource type for what they act on (Service Authorization Reference), hence '*': "
    "X-Ray PutTraceSegments/PutTelemetryRecords for active tracing, the read-only "
    "sagemaker:ListInferenceExperiments, sagemaker:ListTags (no inference-experiment resource type) and "
    "cloudwatch:GetMetricData, and sagemaker:AddTags only with sagemaker:TaggingAction "
    "CreateInferenceExperiment."
)
ENDPOINT_PREFIX_REASON = (
    "DescribeEndpoint (read-only) on the production endpoints named by endpointNamePrefix: one ARN "
    "whatever the number of groups; the shadow start reads only the endpoint its group configures."
)
PRODUCTION_MODELS_REASON = (
    "Read-only DescribeModel of the production endpoint's model, whose name is chosen by whoever deploys "
    "the endpoint: the shadow start checks it for what AWS excludes from shadow tests (multi-model, "
    "multi-container)."
)
FAILURE_METRIC = CustomMetric.ROLLER_EXPERIMENT_FAILURES


class ShadowRollout(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        functions: LambdaFactory,
        artifacts: CompiledArtifacts,
        registry_events: RegistryEvents,
        alerting: Alerting,
        roles: SageMakerRoles,
    ) -> None:
        super().__init__(scope, construct_id)
        # Both functions read the version and write its card (modelKmsKeyArns, model_keys).
        self._key_statements = model_keys.write_keys(config)
        shadowed = {name: group.shadow for name, group in config.groups.items() if group.shadow is not None}
        experiment_role_arn = roles.experiment_role_arn
        if not shadowed or experiment_role_arn is None:
            raise ValueError("ShadowRollout needs at least one group with 'shadow' and an experiment role")
        groups = sorted(shadowed)
        endpoints = sorted({shadow.endpoint_name for shadow in shadowed.values()})
        # The versions this stack's own roles act on: those in this account (docs/ACCOUNTS.md).
        local_groups = [g for g in groups if g in sagemaker_access.local_groups(config)]
        # The role in use (the stack's own or the configured one): the functions pass it to SageMaker.
        environment = {
            "ARTIFACTS_BUCKET": artifacts.bucket.bucket_name,
            "EXPERIMENT_ROLE_ARN": experiment_role_arn,
        }

        self.start_function = functions.create(
            "ShadowStart",
            scope=self,
            handler="registry_autopilot.handlers.shadow_start.handler",
            description="Starts a shadow-mode inference experiment for an approved model version",
            environment=environment,
            timeout=Duration.seconds(60),
            async_dlq=True,
            publishes=True,  # a version that cannot be shadow-tested is notified (usecases.shadow._refuse)
            memory_size=constants.SHADOW_START_MEMORY_MB,
            reserved_concurrent_executions=constants.SHADOW_START_RESERVED_CONCURRENCY,
            crosses_accounts=True,
        )
        self.roller_function = functions.create(
            "Roller",
            scope=self,
            handler="registry_autopilot.handlers.roller.handler",
            description="Rolls every owned shadow test along its rollout plan and concludes it",
            environment=environment,
            timeout=Duration.minutes(2),
            async_dlq=True,
            publishes=True,
            memory_size=constants.ROLLER_MEMORY_MB,
            reserved_concurrent_executions=constants.ROLLER_RESERVED_CONCURRENCY,
            crosses_accounts=True,
        )
        self._group_prefix = config.group_name_prefix
        self._endpoint_prefix = config.endpoint_name_prefix
        self._grant_start(self.start_function, local_groups, endpoints, experiment_role_arn)
        self._grant_roller(self.roller_function, local_groups)
        self._grant_production_models(self.start_function)

        registry_events.add_approved_target(
            targets.LambdaFunction(self.start_function, **registry_events.delivery_options())
        )
        self.schedule = events.Rule(
            self,
            "RollerSchedule",
            description="Runs the shadow-test roller on a schedule",
            schedule=events.Schedule.rate(Duration.minutes(config.roller_schedule_minutes)),
        )
        self.schedule.add_target(
            targets.LambdaFunction(self.roller_function, **registry_events.delivery_options())
        )

        # The roller reports experiments it failed on (it goes on with the others) as a metric.
        self.failure_alarm = alerting.add_alarm(
            cloudwatch.Alarm(
                self,
                "RollerFailures",
                alarm_description="Registry Autopilot: the shadow-test roller failed on an experiment",
                metric=cloudwatch.Metric(
                    namespace=constants.METRICS_NAMESPACE,
                    metric_name=FAILURE_METRIC.value,
                    dimensions_map={"service": constants.POWERTOOLS_SERVICE_NAME},
                    statistic="Sum",
                    period=Duration.minutes(max(5, config.roller_schedule_minutes)),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def _grant_production_models(self, function: lambda_.Function) -> None:
        """The start reads the production variant's model (DescribeModel: multi-model mode, several
        containers), which AWS excludes from shadow tests. Whoever deploys the endpoint names that
        model, so the read-only grant is on `model/*`."""
        models = self._arn("model", "*")
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["sagemaker:DescribeModel"], resources=[models])
        )
        if function.role is not None:
            acknowledge_wildcard_resources(function.role, [models], PRODUCTION_MODELS_REASON)

    def _arn(self, resource: str, name: str) -> str:
        return Stack.of(self).format_arn(service="sagemaker", resource=resource, resource_name=name)

    def _grant_common(self, function: lambda_.Function, groups: list[str], *actions: str) -> None:
        """What both functions do: find, read and stop Registry Autopilot's experiments (plus
        `actions` on them), and describe and update the watched groups' versions."""
        experiments = self._arn("inference-experiment", f"{constants.COMPILATION_JOB_PREFIX}*")
        versions = sagemaker_access.model_package_arns(self, groups, self._group_prefix)
        versions_statement = iam.PolicyStatement(
            actions=["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"], resources=versions
        )
        local = bool(groups) or self._group_prefix is not None
        statements = [
            iam.PolicyStatement(
                actions=[
                    "sagemaker:DescribeInferenceExperiment",
                    "sagemaker:StopInferenceExperiment",
                    *actions,
                ],
                resources=[experiments],
            ),
            *([versions_statement] if local else []),
            # ListInferenceExperiments has no resource type; ListTags lists none for inference
            # experiments, so a grant on the experiment's ARN would never match (read-only).
            iam.PolicyStatement(
                actions=["sagemaker:ListInferenceExperiments", "sagemaker:ListTags"], resources=["*"]
            ),
            *self._key_statements,
        ]
        for statement in statements:
            function.add_to_role_policy(statement)
        role = function.role
        if role is not None:
            acknowledge_wildcard_resources(role, [experiments], PREFIXED_REASON)
            if local:
                sagemaker_access.acknowledge_scoped_wildcards(role, versions_statement)
            # The factory already acknowledges Resource::* on every function role (X-Ray); the shadow
            # functions add read-only actions on '*', which the same finding covers.
            acknowledge(role, "AwsSolutions-IAM5[Resource::*]", NO_RESOURCE_LEVEL_REASON)

    def _grant_start(
        self, function: lambda_.Function, groups: list[str], endpoints: list[str], role_arn: str
    ) -> None:
        prefix = constants.COMPILATION_JOB_PREFIX  # one name prefix for everything Registry Autopilot names
        models = self._arn("model", f"{prefix}*")
        experiments = self._arn("inference-experiment", f"{prefix}*")
        # SageMaker puts lower-cased names in endpoint ARNs; a name with capitals is granted both ways.
        # With endpointNamePrefix: `endpoint/<prefix>*` (read-only; the start acts on the configured
        # group's own endpoint only).
        spellings = sagemaker_access.endpoint_names(endpoints, self._endpoint_prefix)
        endpoint_arns = [self._arn("endpoint", name) for name in spellings]
        endpoint_configs = self._arn("endpoint-config", "*")
        self._grant_common(function, groups, "sagemaker:CreateInferenceExperiment")
        for statement in (
            # Tags on create need sagemaker:AddTags (a dependent action of CreateInferenceExperiment
            # and CreateModel in the Service Authorization Reference). AddTags lists no
            # inference-experiment resource type, so for the experiment it is granted on '*' and
            # only while creating one (condition key sagemaker:TaggingAction: "the name of the API
            # operation that creates a taggable resource").
            iam.PolicyStatement(
                actions=["sagemaker:AddTags"],
                resources=["*"],
                conditions={"StringEquals": {"sagemaker:TaggingAction": "CreateInferenceExperiment"}},
            ),
            iam.PolicyStatement(
                actions=["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:AddTags"],
                resources=[models],
            ),
            iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=endpoint_arns),
            iam.PolicyStatement(actions=["sagemaker:DescribeEndpointConfig"], resources=[endpoint_configs]),
            # CreateModel's ExecutionRoleArn and CreateInferenceExperiment's RoleArn.
            sagemaker_access.pass_roles_to_sagemaker([role_arn]),
        ):
            function.add_to_role_policy(statement)
        if function.role is not None:
            acknowledge_wildcard_resources(
                function.role, [models, experiments, endpoint_configs], PREFIXED_REASON
            )
            if self._endpoint_prefix is not None:
                acknowledge_wildcard_resources(function.role, endpoint_arns, ENDPOINT_PREFIX_REASON)

    def _grant_roller(self, function: lambda_.Function, groups: list[str]) -> None:
        self._grant_common(function, groups, "sagemaker:UpdateInferenceExperiment")
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["cloudwatch:GetMetricData"], resources=["*"])
        )
