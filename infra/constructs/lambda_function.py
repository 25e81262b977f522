"""Python functions built one consistent way: shared code asset, shared dependency layer, logs, traces.

The code asset is the `registry_autopilot` package plus the validated configuration
(`autopilot_config.json`), staged by a local bundler: no Docker, nothing written outside `cdk.out`.
The third-party dependencies come from a layer built for the Lambda runtime's Python version and
architecture by CDK's asset bundling at synth (infra/dependency_layer.py), or staged from a prebuilt
directory (`-c lambdaDependenciesDir=<dir>`; tests that only synthesize stage an empty one).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants
from infra.checks import acknowledge
from infra.constructs.alerting import Alerting
from infra.dependency_layer import bundled_layer_code
from infra.functions_path import FUNCTIONS_ROOT
from registry_autopilot.logic.accounts import automation_role_path
from registry_autopilot.models.config import AutopilotConfig

PACKAGE_NAME = "registry_autopilot"

# CloudWatch Logs retention values (the config model only admits these) -> CDK's enum.
_RETENTION = dict(
    zip(
        (
            1,
            3,
            5,
            7,
            14,
            30,
            60,
            90,
            120,
            150,
            180,
            365,
            400,
            545,
            731,
            1096,
            1827,
            2192,
            2557,
            2922,
            3288,
            3653,
        ),
        (
            logs.RetentionDays.ONE_DAY,
            logs.RetentionDays.THREE_DAYS,
            logs.RetentionDays.FIVE_DAYS,
            logs.RetentionDays.ONE_WEEK,
            logs.RetentionDays.TWO_WEEKS,
            logs.RetentionDays.ONE_MONTH,
            logs.RetentionDays.TWO_MONTHS,
            logs.RetentionDays.THREE_MONTHS,
            logs.RetentionDays.FOUR_MONTHS,
            logs.RetentionDays.FIVE_MONTHS,
            logs.RetentionDays.SIX_MONTHS,
            logs.RetentionDays.ONE_YEAR,
            logs.RetentionDays.THIRTEEN_MONTHS,
            logs.RetentionDays.EIGHTEEN_MONTHS,
            logs.RetentionDays.TWO_YEARS,
            logs.RetentionDays.THREE_YEARS,
            logs.RetentionDays.FIVE_YEARS,
            logs.RetentionDays.SIX_YEARS,
            logs.RetentionDays.SEVEN_YEARS,
            logs.RetentionDays.EIGHT_YEARS,
            logs.RetentionDays.NINE_YEARS,
            logs.RetentionDays.TEN_YEARS,
        ),
        strict=True,
    )
)


def retention_days(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


class DependencyLayerMissingError(RuntimeError):
    """The prebuilt dependency layer directory is absent; the message says how to build it."""


@jsii.implements(ILocalBundling)
class _StageFunctionPackage:
    """Copies the function package and writes the deployed configuration next to it."""

    def __init__(self, package_dir: Path, config_json: str) -> None:
        self._package_dir = package_dir
        self._config_json = config_json

    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        out = Path(output_dir)
        shutil.copytree(
            self._package_dir,
            out / self._package_dir.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        (out / constants.CONFIG_FILE_NAME).write_text(self._config_json, encoding="utf-8")
        return True


def function_code(config: AutopilotConfig) -> lambda_.Code:
    """The code asset: `registry_autopilot/` + `autopilot_config.json`, hashed by its content."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_ROOT),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds, so Docker is never started.
            image=DockerImage.from_registry("local-bundling-only"),
            local=_StageFunctionPackage(FUNCTIONS_ROOT / PACKAGE_NAME, config.model_dump_json(by_alias=True)),
        ),
    )


def dependency_layer_code(dependencies_dir: str | None) -> lambda_.Code:
    """The layer built by CDK's bundling, or a prebuilt directory's `python/` when one is named."""
    if dependencies_dir is None:
        return bundled_layer_code()
    layer_root = Path(dependencies_dir)
    if not (layer_root / "python").is_dir():
        raise DependencyLayerMissingError(
            f"The Lambda dependency layer is missing: {layer_root / 'python'} does not exist.\n"
            f"Point -c {constants.DEPENDENCIES_DIR_CONTEXT_KEY}=<dir> at a directory holding python/ "
            "(`make bundle` builds one in build/lambda-deps), or leave it unset: synthesis builds the layer."
        )
    return lambda_.Code.from_asset(str(layer_root), exclude=[".built"])


class LambdaFactory(Construct):
    """Creates the stack's Python functions with the same runtime, packaging, logging and tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        alerting: Alerting,
        dependencies_dir: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._alerting = alerting
        self.code = function_code(config)
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=dependency_layer_code(dependencies_dir),
            compatible_runtimes=[constants.LAMBDA_RUNTIME],
            compatible_architectures=[constants.LAMBDA_ARCHITECTURE],
            description="Registry Autopilot pinned runtime dependencies (requirements-lambda.txt)",
        )
        self.functions: list[lambda_.Function] = []
        self.dead_letter_queues: list[sqs.Queue] = []
        # The IAM path of the roles that call into other accounts; None in a single-account configuration.
        self.cross_account_role_path: str | None = (
            automation_role_path(config.stack_name) if config.other_accounts() else None
        )

    def create(
        self,
        construct_id: str,
        *,
        handler: str,
        description: str,
        environment: dict[str, str] | None = None,
        memory_size: int,
        timeout: Duration | None = None,
        async_dlq: bool = False,
        publishes: bool = False,
        reserved_concurrent_executions: int | None = None,
        scope: Construct | None = None,
        traced: bool = True,
        crosses_accounts: bool = False,
    ) -> lambda_.Function:
        """A function running `handler` (e.g. `registry_autopilot.handlers.plan.handler`).

        `async_dlq=True` is for functions invoked asynchronously (EventBridge targets): failed
        events go to an encrypted dead-letter queue after bounded retries. `memory_size` (MB) comes
        from the measured peak memory (infra/constants.py); CPU share grows with it.
        `reserved_concurrent_executions` applies unless the configuration turns reservations off
        (`reserveConcurrency: false`, for accounts with a low concurrency quota).
        `publishes=True` grants `sns:Publish` on the notification topic (and the data key its
        encryption needs) to the functions whose code publishes; no other function gets it.
        `traced=False` turns active tracing off (a function on a per-minute schedule, nearly always
        idle, would be most of the stack's X-Ray traces).
        `crosses_accounts=True` marks a function that calls into other accounts: in a multi-account
        configuration its role lives under the path the access roles trust (docs/ACCOUNTS.md).
        """
        parent = scope or self
        log_group = logs.LogGroup(
            parent,
            f"{construct_id}Logs",
            retention=retention_days(self._config.log_retention_days),
            encryption_key=self._alerting.key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # An own role instead of the AWSLambdaBasicExecutionRole managed policy: it may write only
        # to this function's log group.
        role = iam.Role(
            parent,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Registry Autopilot {construct_id} function",
            path=self.cross_account_role_path if crosses_accounts else None,
        )
        log_group.grant_write(role)

        dead_letter_queue = None
        if async_dlq:
            dead_letter_queue = self._alerting.dead_letter_queue(parent, f"{construct_id}DeadLetters")
            self.dead_letter_queues.append(dead_letter_queue)
            # Lambda sends a failed event to the DLQ with the function's role; the queue is SSE-KMS, so
            # the role needs the key too: "the producer must have the kms:GenerateDataKey and
            # kms:Decrypt permissions" (Amazon SQS Developer Guide, "Amazon SQS Key management").
            self._alerting.key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")

        function = lambda_.Function(
            parent,
            construct_id,
            description=description,
            runtime=constants.LAMBDA_RUNTIME,
            architecture=constants.LAMBDA_ARCHITECTURE,
            handler=handler,
            code=self.code,
            layers=[self.layer],
            memory_size=memory_size,
            timeout=timeout or Duration.seconds(30),
            tracing=lambda_.Tracing.ACTIVE if traced else lambda_.Tracing.DISABLED,
            log_group=log_group,
            role=role,
            reserved_concurrent_executions=(
                reserved_concurrent_executions if self._config.reserve_concurrency else None
            ),
            dead_letter_queue=dead_letter_queue,
            retry_attempts=constants.ASYNC_RETRY_ATTEMPTS if async_dlq else None,
            max_event_age=Duration.hours(constants.ASYNC_MAX_EVENT_AGE_HOURS) if async_dlq else None,
            environment={
                "POWERTOOLS_SERVICE_NAME": constants.POWERTOOLS_SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "NOTIFICATION_TOPIC_ARN": self._alerting.topic.topic_arn,
                "AUTOPILOT_CONFIG_FILE": f"{constants.LAMBDA_TASK_ROOT}/{constants.CONFIG_FILE_NAME}",
                **(environment or {}),
            },
        )
        if publishes:
            self._alerting.topic.grant_publish(function)
        self._alerting.add_alarm(
            cloudwatch.Alarm(
                parent,
                f"{construct_id}Errors",
                alarm_description=f"Registry Autopilot: the {construct_id} function raised errors",
                metric=function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        if traced:
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level "
                "permissions.",
            )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Publishing to the encrypted topic (and sending to an encrypted DLQ) needs a data key; the "
            "statement names the stack's one KMS key only.",
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Python 3.13 on purpose: the pinned dependency layer (pydantic-core wheels) is built for it; "
            "moving on means rebuilding the layer for the new runtime first (LAMBDA_PYTHON in the Makefile).",
        )
        self.functions.append(function)
        return function
