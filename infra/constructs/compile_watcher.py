"""The compile watcher: a function on a schedule each minute that resumes the compile workflow's
branches waiting for their compilation jobs (see `compile_workflow.py` and
`registry_autopilot/usecases/compile_watch.py`).

IAM (least privilege; each action on the resource type the Service Authorization Reference lists):
- the waits: `s3:ListBucket` on the artifacts bucket for the `compile-waits/` prefix only
  (`s3:prefix`), `s3:GetObject` and `s3:DeleteObject` on `compile-waits/*`, `s3:PutObject` on
  `compile-waits-set-aside/*` (where an object that is not a wait is moved, once);
- the jobs: `sagemaker:ListCompilationJobs` (no resource type, so `*`), `DescribeCompilationJob` and
  `StopCompilationJob` on `compilation-job/autopilot-*`;
- the callback: `states:SendTaskSuccess`, which has no resource type either (the token names the
  execution), so `*`; `states:DescribeExecution` on the compile workflow's executions, to tell a token
  read wrong (InvalidToken while the execution runs) from an execution that has ended.

Delivery: a missed or failed round is not retried (no Lambda retry, events older than a minute
dropped): the next round, a minute later, does the same work. A round that fails for some waits
raises at its end, so the function's Errors alarm fires while it keeps failing.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import constants
from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.config import WATCHER_ROUND_SECONDS
from infra.constructs import sagemaker_access
from infra.constructs.artifacts import CompiledArtifacts
from infra.constructs.lambda_function import LambdaFactory
from registry_autopilot.logic.naming import COMPILE_WAITS_PREFIX, SET_ASIDE_WAITS_PREFIX
from registry_autopilot.models.config import AutopilotConfig

NO_RESOURCE_LEVEL_REASON = (
    "Actions with no resource type (Service Authorization Reference), hence '*': "
    "sagemaker:ListCompilationJobs (read-only, filtered by our name prefix in the request) and "
    "states:SendTaskSuccess (the task token itself names the waiting execution)."
)


class CompileWatcher(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        functions: LambdaFactory,
        artifacts: CompiledArtifacts,
        state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.create(
            "CompileWatcher",
            scope=self,
            handler="registry_autopilot.handlers.compile_watcher.handler",
            description="Resumes compile workflows whose Neo compilation jobs have ended",
            environment={"ARTIFACTS_BUCKET": artifacts.bucket.bucket_name},
            timeout=Duration.seconds(WATCHER_ROUND_SECONDS),
            memory_size=constants.COMPILE_WATCHER_MEMORY_MB,
            reserved_concurrent_executions=constants.COMPILE_WATCHER_RESERVED_CONCURRENCY,
            traced=False,
            crosses_accounts=True,
        )
        # The next round does what a failed one did not: no retries, no queued rounds.
        self.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.seconds(60))
        bucket = artifacts.bucket
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{COMPILE_WAITS_PREFIX}*"]}},
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:DeleteObject"],
                resources=[bucket.arn_for_objects(f"{COMPILE_WAITS_PREFIX}*")],
            )
        )
        set_aside = bucket.arn_for_objects(f"{SET_ASIDE_WAITS_PREFIX}*")
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[set_aside]))
        sagemaker_access.allow(self.function, *sagemaker_access.watch_compilation_jobs(self))
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=["*"])
        )
        executions = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions])
        )
        role = self.function.role
        if role is not None:
            acknowledge(role, "AwsSolutions-IAM5[Resource::*]", NO_RESOURCE_LEVEL_REASON)
            acknowledge_wildcard_resources(
                role,
                [bucket.arn_for_objects(f"{COMPILE_WAITS_PREFIX}*")],
                "The compile waits: one object per waiting branch, named after its job and execution at "
                "run time, under the one prefix the workflow writes them to.",
            )
            acknowledge_wildcard_resources(
                role,
                [set_aside],
                "Objects under the waits prefix that are not waits, moved here once, each under the key "
                "it had there.",
            )
            acknowledge_wildcard_resources(
                role,
                [executions],
                "The compile workflow's executions (named by EventBridge at run time), described only "
                "when Step Functions refuses a task token as InvalidToken.",
            )

        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Runs the compile watcher every minute",
            schedule=events.Schedule.rate(Duration.seconds(WATCHER_ROUND_SECONDS)),
        )
        self.schedule.add_target(
            targets.LambdaFunction(self.function, retry_attempts=0, max_event_age=Duration.seconds(60))
        )
