"""The CloudWatch dashboard an operator opens first.

Metric widgets read only metrics something emits: the functions' own custom metrics, which count only
what needs a person (registry_autopilot.custom_metrics: Powertools EMF, namespace `RegistryAutopilot`,
dimension `service`; every one is read here or by an alarm, and a test compares every widget with the
EMF the handlers print in local runs), and the free AWS/States, AWS/Lambda and AWS/SQS metrics of the
stack's resources. The normal path (decisions, targets attached, shadow tests rolled) and the
per-group and per-target views are CloudWatch Logs Insights queries over the structured logs the
functions and the state machine already write: no custom metric, no group dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import constants
from registry_autopilot.custom_metrics import CustomMetric

PERIOD = Duration.minutes(5)

# The custom metrics each graph reads (the functions emit a count only when it is not zero).
TARGET_METRICS = (CustomMetric.TARGETS_FAILED, CustomMetric.TARGETS_NOT_ATTACHED)
REVIEW_METRICS = (CustomMetric.VERSIONS_LEFT_FOR_REVIEW,)
SHADOW_METRICS = (CustomMetric.SHADOW_TESTS_INELIGIBLE, CustomMetric.ROLLER_EXPERIMENT_FAILURES)


def own_metric(name: CustomMetric) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=CustomMetric(name).value,
        dimensions_map={"service": constants.POWERTOOLS_SERVICE_NAME},
        statistic="Sum",
        period=PERIOD,
    )


def _graph(title: str, names: Sequence[CustomMetric], width: int = 8) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title, left=[own_metric(name) for name in names], width=width, height=6, stacked=False
    )


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.StateMachine,
        plan_function: lambda_.Function,
        attach_function: lambda_.Function,
        roller_function: lambda_.Function | None,
        functions: Sequence[lambda_.Function],
        state_machine_logs: logs.ILogGroup,
        dead_letter_queues: Sequence[sqs.IQueue],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{stack.stack_name}-operations",
            default_interval=Duration.days(7),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    "# Registry Autopilot\nVersions registered in the watched groups are compiled with Neo, "
                    "decided by each group's approval policy and shadow-tested when approved. Alarms publish "
                    "to the notification topic; README, section Operate, says what each one means."
                ),
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24, height=4)
        )
        needs_a_person = [
            _graph("Needs a person: Neo targets failed or not attached", TARGET_METRICS),
            _graph("Needs a person: versions left for review", REVIEW_METRICS),
        ]
        if roller_function is not None:
            needs_a_person.append(
                _graph("Needs a person: shadow tests refused, roller failures", SHADOW_METRICS)
            )
        self.dashboard.add_widgets(*needs_a_person)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Compile workflow executions",
                left=[
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum"),
                    state_machine.metric_failed(period=PERIOD, statistic="Sum"),
                    state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
                    state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
                ],
                width=8,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title="Compile workflow duration (ms)",
                left=[
                    state_machine.metric_time(period=PERIOD, statistic="p50"),
                    state_machine.metric_time(period=PERIOD, statistic="Maximum"),
                ],
                width=8,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
                    for queue in dead_letter_queues
                ],
                width=8,
                height=6,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors (rejected input included)",
                left=[
                    function.metric_errors(period=PERIOD, statistic="Sum", label=function.node.id)
                    for function in functions
                ],
                width=6,
                height=6,
            ),
            cloudwatch.LogQueryWidget(
                title="Versions per watched group: decision (Attach)",
                log_group_names=[attach_function.log_group.log_group_name],
                query_lines=[
                    "filter message = 'attach result'",
                    "parse result.model_package_arn 'model-package/*/*' as group, version",
                    "stats count(*) as versions by group, result.approval.action, result.approval.status",
                ],
                width=9,
                height=6,
            ),
            cloudwatch.LogQueryWidget(
                title="Versions per watched group: skipped or nothing to compile (Plan)",
                log_group_names=[plan_function.log_group.log_group_name],
                query_lines=[
                    "filter message = 'compile plan' and ispresent(reason)",
                    "parse model_package_arn 'model-package/*/*' as group, version",
                    "stats count(*) as versions by group, reason",
                ],
                width=9,
                height=6,
            ),
        )
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.LogQueryWidget(
                title="Compile outcomes per target (state machine log)",
                log_group_names=[state_machine_logs.log_group_name],
                query_lines=[
                    "filter type = 'PassStateExited' and details.name like /^Record/",
                    'parse details.output \'"target":"*"\' as target',
                    'parse details.output \'"status":"*"\' as status',
                    "stats count(*) as outcomes by target, status",
                ],
                width=12,
                height=6,
            )
        ]
        if roller_function is not None:
            widgets.append(
                cloudwatch.LogQueryWidget(
                    title="Shadow tests in progress: sampling and health gates (Roller)",
                    log_group_names=[roller_function.log_group.log_group_name],
                    query_lines=[
                        "filter message = 'roller round' and ispresent(result.experiments.0.experiment)",
                        "fields @timestamp, result.experiments.0.experiment as experiment, "
                        "result.experiments.0.status as status, result.experiments.0.outcome as outcome, "
                        "result.experiments.0.reason as reason",
                        "sort @timestamp desc",
                        "limit 20",
                    ],
                    width=12,
                    height=6,
                )
            )
        self.dashboard.add_widgets(*widgets)

    @property
    def url(self) -> str:
        stack = Stack.of(self)
        return (
            f"https://console.aws.amazon.com/cloudwatch/home?region={stack.region}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )
