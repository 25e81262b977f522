"""Compile workflow (Standard state machine): Plan -> compile each target with Neo -> Attach and decide.

Plan records the version's approval status at the start. The last step attaches the compiled targets
and writes the approval policy's decision in one UpdateModelPackage call; it gets the execution id
(`$$.Execution.Id`, Step Functions Developer Guide, "Accessing the Context object") for the audit keys.
A version with nothing left to compile but no decision yet (all specs already attached) goes straight
to that step with no results. Our Approved/Rejected write emits a state-change event the registration
rule does not match (it matches PendingManualApproval only); a version left pending carries the
decision's audit keys, so Plan finds nothing to do for the event that write causes.

Per target the branch is: [choose input] -> CreateCompilationJob -> wait for the compile watcher. The
waiting state writes its task token to a small S3 object (`compile-waits/<job>/<execution>`, the
target and the deadline in its metadata) and pauses; the compile watcher (a function on a schedule
each minute, `CompileWatcher`) lists the jobs in flight, describes a job once it has ended and
resumes the branch with SendTaskSuccess and the target's outcome (status, artifact, serving image or
failure reason). A 10-minute compile costs 2 transitions per target this way, and the branch learns
of the end within about a minute; polling from the state machine cost 3 transitions a poll
(docs/PERFORMANCE.md).

AWS facts relied on (cited where they matter):
- No EventBridge event exists for compilation jobs (EventBridge Events Reference, "Amazon SageMaker AI
  events", lists none), hence a watcher that lists them (SageMaker API Reference: ListCompilationJobs,
  StatusEquals STARTING/INPROGRESS/STOPPING).
- AWS SDK integrations support the callback pattern in Standard workflows, and "the task token can be
  accessed in the Parameters field of your state definition with a special path designation
  ($$.Task.Token)" (Step Functions Developer Guide, "Wait for a Callback with the Task Token").
- "If the task runs longer than the specified seconds, this state fails with a States.Timeout error
  name" (Amazon States Language, Task state, TimeoutSeconds): the backstop when no report comes; the
  branch records TIMED_OUT and the job's own MaxRuntimeInSeconds ends it.
- CreateCompilationJob with a name that exists fails with ResourceInUse; through the AWS SDK
  integration it surfaces as `SageMaker.ResourceInUseException` (Step Functions Developer Guide,
  "AWS SDK service integrations": errors are `<Service>.<Exception>`). That is a resumed job: wait
  for it as for a new one.
- A job stops itself at StoppingCondition.MaxRuntimeInSeconds ("For compilation jobs, if the job does
  not complete during this time, a TimeOut error is generated", SageMaker API Reference,
  StoppingCondition); the workflow's own deadline (compileTimeoutMinutes, checked at synth to outlive
  every job) catches what the job's limit does not, such as a job never leaving STARTING: the watcher
  stops the job (StopCompilationJob) and reports TIMED_OUT with that cause.

Retries of the SageMaker SDK tasks. Errors SageMaker does not declare for an operation surface under
the generic `SageMaker.SageMakerException` (or `SageMaker.AmazonSageMakerException`), whether the cause
is throttling or a validation error; a Retry on that name would retry permanent errors too. So the
generic name is caught and classified by its cause (`<message> (Service: SageMaker, Status Code: <code>,
...)`): a throttling, 5xx or limit-exceeded cause goes round again through a jittered Wait, at most
len(BACKOFF_CAPS) times (a counter in the item's data); anything else fails the target at once, with
the cause in its outcome record.
The loop costs nothing on the path without errors, which a wrapping Parallel state would (one more
billed transition per target).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import constants
from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.config import WATCHER_GRACE_MINUTES
from infra.constructs import model_keys, sagemaker_access
from infra.constructs.alerting import Alerting
from infra.constructs.artifacts import CompiledArtifacts
from infra.constructs.compile_watcher import CompileWatcher
from infra.constructs.lambda_function import LambdaFactory, retention_days
from infra.constructs.sagemaker_roles import SageMakerRoles
from registry_autopilot.logic.naming import COMPILE_WAITS_PREFIX
from registry_autopilot.models.config import AutopilotConfig

# Transient errors by name; the common errors are listed in case the integration ever names them.
RETRYABLE_SAGEMAKER_ERRORS = [
    "SageMaker.ThrottlingException",
    "SageMaker.InternalFailureException",
    "SageMaker.ServiceUnavailableException",
]
# The names undeclared errors surface under; never retried as such (validation, access denied ...).
GENERIC_SAGEMAKER_ERRORS = ["SageMaker.SageMakerException", "SageMaker.AmazonSageMakerException"]
# Causes of transient errors: HTTP 5xx and 429, throttling (SageMaker Common Errors: ThrottlingException
# "The request was denied due to request throttling."; "Rate exceeded"), limits exceeded.
TRANSIENT_CAUSE_PATTERNS = (
    "*Status Code: 5*",
    "*Status Code: 429*",
    "*Throttl*",
    "*throttl*",
    "*Rate exceeded*",
    "*LimitExceeded*",
    "*ServiceUnavailable*",
    "*InternalFailure*",
)
# A generic error with a transient cause is tried again at most this many times, after a random wait of
# up to BACKOFF_CAPS[n] seconds before the n-th retry (full jitter), then recorded as the target's failure.
BACKOFF_CAPS = (10, 20, 40, 80, 120)
# The account's quota on concurrent compilation jobs: CreateCompilationJob declares ResourceLimitExceeded
# ("You have exceeded an SageMaker resource limit", SageMaker API Reference). A burst above the quota is
# met by waiting, not failing: the branch waits and creates again until the version's compile deadline
# (`$.deadline`, compileTimeoutMinutes after Plan), the n-th wait between QUOTA_WAIT_CAPS[n] / 2 and
# QUOTA_WAIT_CAPS[n] seconds (the last cap from then on): jobs take minutes, and the watcher's rounds
# come each minute, so a wait shorter than half a minute would mostly meet the same full quota. Past the
# deadline the target is recorded FAILED with the quota's message.
QUOTA_ERROR = "SageMaker.ResourceLimitExceededException"
QUOTA_WAIT_CAPS = (60, 120, 240, 300)
ALREADY_EXISTS = "SageMaker.ResourceInUseException"
# Errors the attach-and-decide function raises that a later attempt may not see (its class names are
# the Lambda error types): UpdateModelPackage's ConflictException, S3 not answering after retries.
ATTACH_RETRYABLE_ERRORS = ("ConflictException", "ReportTemporarilyUnavailable")
# Throttling only needs time: Lambda refusing an invocation beyond the function's reserved concurrency
# (Step Functions Developer Guide, "Handle Lambda service exceptions": Lambda.TooManyRequestsException)
# and SageMaker still refusing a call for its rate after the client's retries (SageMakerThrottled).
# Waits grow from 5 s to a minute with full jitter, so a burst of throttled steps spreads out; a burst of
# 1,000 versions drains without a failure under a 10 TPS write limit (docs/PERFORMANCE.md, "Bursts").
THROTTLED_ERRORS = ("Lambda.TooManyRequestsException", "SageMakerThrottled")


def _retry_throttled(state: sfn.TaskStateBase) -> None:
    state.add_retry(
        errors=list(THROTTLED_ERRORS),
        interval=Duration.seconds(5),
        backoff_rate=2.0,
        max_attempts=10,
        max_delay=Duration.seconds(60),
        jitter_strategy=sfn.JitterType.FULL,
    )


def _transient_cause(path: str) -> sfn.Condition:
    return sfn.Condition.or_(*(sfn.Condition.string_matches(path, p) for p in TRANSIENT_CAUSE_PATTERNS))


def _retry_sagemaker(state: sfn.TaskStateBase) -> None:
    state.add_retry(
        errors=RETRYABLE_SAGEMAKER_ERRORS,
        interval=Duration.seconds(5),
        backoff_rate=2.0,
        max_attempts=5,
        max_delay=Duration.seconds(120),
        jitter_strategy=sfn.JitterType.FULL,
    )


def _outcome(scope: Construct, state_id: str, status: str, **fields: str) -> sfn.Pass:
    """The record one target's branch ends with (a TargetOutcome for Attach)."""
    return sfn.Pass(
        scope,
        state_id,
        parameters={
            "target.$": "$.target",
            "job_name.$": "$.job_name",
            "status": status,
            **fields,
        },
    )


class CompileWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        functions: LambdaFactory,
        artifacts: CompiledArtifacts,
        alerting: Alerting,
        roles: SageMakerRoles,
    ) -> None:
        super().__init__(scope, construct_id)
        groups = sagemaker_access.local_groups(config)
        # The versions in this account (another account's through its access role, docs/ACCOUNTS.md).
        local = sagemaker_access.watches_locally(config, groups)
        self._compile_role_arn = roles.compile_role_arn

        plan_function = functions.create(
            "Plan",
            scope=self,
            handler="registry_autopilot.handlers.plan.handler",
            description="Plans the Neo compilations a registered model version still needs",
            environment={"ARTIFACTS_BUCKET": artifacts.bucket.bucket_name},
            memory_size=constants.PLAN_MEMORY_MB,
            crosses_accounts=True,
            publishes=True,  # a version under a KMS key not configured is notified (model_keys)
        )
        # Plan writes a version only to register a Logged one or to record why it cannot read it (its
        # KMS key is not configured).
        prefix = config.group_name_prefix
        versions = (
            [
                sagemaker_access.read_model_packages(self, groups, prefix),
                sagemaker_access.update_model_packages(self, groups, prefix),
            ]
            if local
            else []
        )
        sagemaker_access.allow(plan_function, *versions, *model_keys.read_keys(config))
        attach_function = functions.create(
            "Attach",
            scope=self,
            handler="registry_autopilot.handlers.attach.handler",
            description="Attaches compiled artifacts as additional inference specifications",
            environment={"ARTIFACTS_BUCKET": artifacts.bucket.bucket_name},
            timeout=Duration.seconds(60),
            memory_size=constants.ATTACH_MEMORY_MB,
            reserved_concurrent_executions=constants.ATTACH_RESERVED_CONCURRENCY,
            crosses_accounts=True,
            publishes=True,
        )
        sagemaker_access.allow(attach_function, *versions, *model_keys.write_keys(config))
        self._allow_approval_reads(attach_function, config)
        self.plan_function = plan_function
        self.attach_function = attach_function

        # --- Plan -------------------------------------------------------------------------------
        plan = tasks.LambdaInvoke(
            self,
            "PlanCompilations",
            lambda_function=plan_function,
            payload_response_only=True,
            comment="Reads the version's current state; lists the targets still to compile",
        )
        _retry_throttled(plan)
        nothing_to_do = sfn.Succeed(
            self,
            "NothingToCompile",
            comment="Every target is attached or recorded, or the version is skipped",
        )

        branch = self._target_branch(config, artifacts)

        compile_each = sfn.Map(
            self,
            "CompileEachTarget",
            items_path="$.targets",
            max_concurrency=config.compile_max_concurrency,
            result_path="$.results",
            comment="One branch per target; a failed target ends as a FAILED record, not a Map failure",
        ).item_processor(branch)

        # --- Attach and decide -------------------------------------------------------------------------
        attach = tasks.LambdaInvoke(
            self,
            "AttachCompiled",
            lambda_function=attach_function,
            payload_response_only=True,
            payload=sfn.TaskInput.from_object(
                {
                    "model_package_arn": sfn.JsonPath.string_at("$.model_package_arn"),
                    "group": sfn.JsonPath.string_at("$.group"),
                    "version": sfn.JsonPath.number_at("$.version"),
                    "results": sfn.JsonPath.list_at("$.results"),
                    "approval_status_at_start": sfn.JsonPath.string_at("$.approval_status_at_start"),
                    "execution_id": sfn.JsonPath.string_at("$$.Execution.Id"),
                }
            ),
            result_path="$.attach",
            comment=(
                "One UpdateModelPackage call: specs for compiled targets, metadata for the rest, "
                "and the approval policy's decision"
            ),
        )
        # A concurrent change of the version, or S3 not answering: bounded retries, then AttachFailed.
        attach.add_retry(
            errors=list(ATTACH_RETRYABLE_ERRORS),
            interval=Duration.seconds(10),
            backoff_rate=2.0,
            max_attempts=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        _retry_throttled(attach)
        nothing_compiled = sfn.Pass(
            self,
            "NothingLeftToCompile",
            result=sfn.Result.from_array([]),
            result_path="$.results",
            comment="Every target is attached or recorded; the approval policy still decides",
        )
        attach_failed = sfn.Fail(
            self,
            "AttachFailed",
            error="AttachFailed",
            cause_path=sfn.JsonPath.string_at("$.error.Cause"),
        )
        attach.add_catch(attach_failed, errors=["States.ALL"], result_path="$.error")

        compile_each.next(attach)
        nothing_compiled.next(attach)
        definition = plan.next(
            sfn.Choice(self, "AnythingToCompile")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.boolean_equals("$.has_work", False),
                    sfn.Condition.boolean_equals("$.needs_decision", True),
                ),
                nothing_compiled,
            )
            .when(sfn.Condition.boolean_equals("$.has_work", False), nothing_to_do)
            .otherwise(compile_each)
        )

        self.log_group = log_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention_days(config.log_retention_days),
            encryption_key=alerting.key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Multi-account: the workflow creates compilation jobs in the registry accounts with their access
        # roles, so its role lives under the path those roles trust (docs/ACCOUNTS.md).
        role_path = functions.cross_account_role_path
        own_role = (
            iam.Role(
                self,
                "StateMachineRole",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                path=role_path,
                description="Registry Autopilot compile workflow",
            )
            if role_path is not None
            else None
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            role=own_role,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.minutes(config.compile_timeout_minutes + 30),
            tracing_enabled=True,
            # Every event, without its data: inputs and outputs stay in the execution history (the
            # console, GetExecutionHistory), not copied into the log at $0.50 a GB.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # The SDK tasks grant what they call (CreateCompilationJob, PassRole, the wait's PutObject);
        # tags on CreateCompilationJob also need sagemaker:AddTags.
        self.state_machine.add_to_role_policy(sagemaker_access.compile_job_companions(self))
        self.watcher = CompileWatcher(
            self,
            "Watcher",
            config=config,
            functions=functions,
            artifacts=artifacts,
            state_machine=self.state_machine,
        )

        self._alarm_on_failed_executions(alerting)

        # The findings sit on the state machine's role: a child of the state machine, or beside it when
        # the workflow brings its own (multi-account).
        owners: list[Construct] = [self.state_machine] if own_role is None else [own_role]
        for owner in owners:
            acknowledge_wildcard_resources(
                owner,
                sagemaker_access.compilation_job_arns(self),
                sagemaker_access.SCOPED_WILDCARD_REASON,
            )
            acknowledge_wildcard_resources(
                owner,
                [artifacts.bucket.arn_for_objects(f"{COMPILE_WAITS_PREFIX}*")],
                "The compile waits: each branch writes its task token to one object named after its job "
                "and execution at run time, under this one prefix.",
            )
            acknowledge_wildcard_resources(
                owner,
                [f"{function.function_arn}:*" for function in (plan_function, attach_function)],
                "Invoking the workflow's own functions by any version or alias.",
            )
            acknowledge(
                owner,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery etc.) have no "
                "resource-level permissions.",
            )

    def _target_branch(self, config: AutopilotConfig, artifacts: CompiledArtifacts) -> sfn.IChainable:
        """[choose input] -> Create -> wait for the compile watcher's report (the branch's result)."""
        compile_jobs = sagemaker_access.compilation_job_arns(self)
        pass_role = sagemaker_access.pass_roles_to_sagemaker([self._compile_role_arn])
        record_error = _outcome(self, "RecordStepError", "FAILED", **{"reason.$": "$.error.Cause"})
        quota_met = _outcome(
            self,
            "RecordQuotaMet",
            "FAILED",
            **{
                "reason.$": (
                    "States.Format('the account quota on concurrent compilation jobs was still full at "
                    "the compile deadline {}: {}', $.deadline, $.error.Cause)"
                )
            },
        )
        await_job = self._await_job(config, artifacts)

        def create_job(state_id: str, source: dict[str, str]) -> tasks.CallAwsService:
            create = tasks.CallAwsService(
                self,
                state_id,
                service="sagemaker",
                action="createCompilationJob",
                parameters={
                    "CompilationJobName.$": "$.request.CompilationJobName",
                    # A literal, not a path: the role is fixed by the deployment (owned or configured).
                    "RoleArn": self._compile_role_arn,
                    "OutputConfig.$": "$.request.OutputConfig",
                    "StoppingCondition.$": "$.request.StoppingCondition",
                    "Tags.$": "$.request.Tags",
                    **source,
                },
                iam_resources=compile_jobs,
                additional_iam_statements=[pass_role],
                result_path=sfn.JsonPath.DISCARD,
            )
            finish(state_id, create)
            return create

        def create_job_elsewhere(state_id: str, source: dict[str, str]) -> sfn.CustomState:
            """The version's own account compiles it (docs/ACCOUNTS.md): the task runs as that account's
            access role (Credentials, from Plan) with that account's Neo role. A CustomState, because
            CallAwsService would grant sts:AssumeRole on every role when the role is a path; the state
            machine may assume exactly the configured accounts' access roles (below)."""
            create = sfn.CustomState(
                self,
                state_id,
                state_json={
                    "Type": "Task",
                    "Resource": f"arn:{Aws.PARTITION}:states:::aws-sdk:sagemaker:createCompilationJob",
                    "Credentials": {"RoleArn.$": "$.access_role_arn"},
                    "Parameters": {
                        "CompilationJobName.$": "$.request.CompilationJobName",
                        "RoleArn.$": "$.neo_role_arn",
                        "OutputConfig.$": "$.request.OutputConfig",
                        "StoppingCondition.$": "$.request.StoppingCondition",
                        "Tags.$": "$.request.Tags",
                        **source,
                    },
                    "ResultPath": sfn.JsonPath.DISCARD,
                },
            )
            finish(state_id, create)
            return create

        def finish(state_id: str, create: Any) -> None:
            _retry_sagemaker(create)
            # The job exists already (duplicate event, retried execution): wait for it as for a new one.
            create.add_catch(await_job, errors=[ALREADY_EXISTS], result_path=sfn.JsonPath.DISCARD)
            wait_for_quota = self._wait_for_quota(state_id, create, give_up=quota_met)
            create.add_catch(wait_for_quota, errors=[QUOTA_ERROR], result_path="$.error")
            self._retry_transient(state_id, create, counter="create_retries", give_up=record_error)
            create.add_catch(record_error, errors=["States.ALL"], result_path="$.error")
            create.next(await_job)

        def create_in_its_account(state_id: str, source: dict[str, str]) -> sfn.IChainable:
            if not elsewhere:
                return create_job(state_id, source)
            return (
                sfn.Choice(self, f"{state_id}Where")
                .when(sfn.Condition.is_null("$.access_role_arn"), create_job(state_id, source))
                .otherwise(create_job_elsewhere(f"{state_id}InItsAccount", source))
            )

        # The state machine's role may assume exactly the registry accounts' access roles
        # (infra/stack.py: cross_account.assume_access_roles).
        elsewhere = bool(config.registry_accounts())
        input_kinds = {group.compile_input is not None for group in config.settings_by_key().values()}
        from_package = {"ModelPackageVersionArn.$": "$.request.ModelPackageVersionArn"}
        from_input = {"InputConfig.$": "$.request.InputConfig"}
        branch: sfn.IChainable
        if input_kinds == {False}:
            branch = create_in_its_account("CreateCompilationJob", from_package)
        elif input_kinds == {True}:
            branch = create_in_its_account("CreateCompilationJob", from_input)
        else:
            branch = (
                sfn.Choice(self, "ChooseCompileInput")
                .when(
                    sfn.Condition.boolean_equals("$.uses_input_config", True),
                    create_in_its_account("CreateCompilationJobFromInputConfig", from_input),
                )
                .otherwise(create_in_its_account("CreateCompilationJobFromPackage", from_package))
            )
        return branch

    def _await_job(self, config: AutopilotConfig, artifacts: CompiledArtifacts) -> sfn.TaskStateBase:
        """Write the task token where the compile watcher finds it, and wait for its report.

        The report (SendTaskSuccess output) is the target's outcome and becomes the branch's result.
        The wait ends with States.Timeout when no report came WATCHER_GRACE_MINUTES after the deadline
        (the watcher itself reports TIMED_OUT at the deadline): then the branch records TIMED_OUT.
        """
        wait_minutes = config.compile_timeout_minutes + WATCHER_GRACE_MINUTES
        no_report = _outcome(
            self,
            "RecordNoReport",
            "TIMED_OUT",
            reason=(
                f"no report from the compile watcher within {wait_minutes} minutes: the job stops at its "
                "own time limit"
            ),
        )
        await_job = tasks.CallAwsService(
            self,
            "AwaitCompilationJob",
            service="s3",
            action="putObject",
            iam_action="s3:PutObject",
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            parameters={
                "Bucket": artifacts.bucket.bucket_name,
                # The job and the deadline in the key: the watcher decides from its listing whether a
                # wait needs reading this round (logic/compile_watch.needs_read).
                "Key.$": (
                    f"States.Format('{COMPILE_WAITS_PREFIX}{{}}/{{}}/{{}}', $.wait_job, $.deadline, "
                    "$$.Execution.Name)"
                ),
                "Body": sfn.JsonPath.task_token,
                # Step Functions stores this string Body as its JSON text, quotes included; the watcher
                # decodes it (logic/compile_watch.task_token, docs/FIDELITY.md).
                "Metadata": {
                    "target.$": "$.target",
                    "deadline.$": "$.deadline",
                    "execution.$": "$$.Execution.Id",
                },
            },
            iam_resources=[artifacts.bucket.arn_for_objects(f"{COMPILE_WAITS_PREFIX}*")],
            task_timeout=sfn.Timeout.duration(Duration.minutes(wait_minutes)),
            comment="Pauses until the compile watcher reports how the job ended (SendTaskSuccess)",
        )
        # Writing the wait: any failure of the PutObject is tried again a few times within about a
        # minute (S3's 503 SlowDown and its 5xx need time; the names S3 errors take through the SDK
        # integration vary), then the target is recorded FAILED with the cause. States.TaskFailed
        # does not match States.Timeout, which ends the wait below.
        await_job.add_retry(
            errors=["States.TaskFailed"],
            interval=Duration.seconds(2),
            backoff_rate=2.0,
            max_attempts=6,
            max_delay=Duration.seconds(30),
            jitter_strategy=sfn.JitterType.FULL,
        )
        await_job.add_catch(no_report, errors=["States.Timeout"], result_path="$.error")
        could_not_wait = _outcome(self, "RecordWaitFailed", "FAILED", **{"reason.$": "$.error.Cause"})
        await_job.add_catch(could_not_wait, errors=["States.ALL"], result_path="$.error")
        return await_job

    def _wait_for_quota(
        self, state_id: str, create: tasks.CallAwsService, *, give_up: sfn.IChainable
    ) -> sfn.IChainable:
        """ResourceLimitExceeded caught: before the deadline, wait (growing, jittered) and create again;
        at or past it, `give_up`. The count and the time of the catch go in `$.quota_waits`."""
        waits = "$.quota_waits"
        caps = ", ".join(str(cap) for cap in QUOTA_WAIT_CAPS)
        at = {"at.$": "$$.State.EnteredTime"}

        first = sfn.Pass(
            self,
            f"{state_id}QuotaFirstWait",
            parameters={
                "count": 1,
                "wait.$": f"States.MathRandom({QUOTA_WAIT_CAPS[0] // 2}, {QUOTA_WAIT_CAPS[0]})",
                **at,
            },
            result_path=waits,
        )
        cap_of_next = f"States.ArrayGetItem(States.Array({caps}), {waits}.count)"
        following = sfn.Pass(
            self,
            f"{state_id}QuotaNextWait",
            parameters={
                "count.$": f"States.MathAdd({waits}.count, 1)",
                "wait.$": f"States.MathRandom({QUOTA_WAIT_CAPS[0] // 2}, {cap_of_next})",
                **at,
            },
            result_path=waits,
        )
        last = sfn.Pass(
            self,
            f"{state_id}QuotaLastWait",
            parameters={
                "count.$": f"{waits}.count",
                "wait.$": f"States.MathRandom({QUOTA_WAIT_CAPS[-1] // 2}, {QUOTA_WAIT_CAPS[-1]})",
                **at,
            },
            result_path=waits,
        )
        wait = sfn.Wait(self, f"{state_id}QuotaWait", time=sfn.WaitTime.seconds_path(f"{waits}.wait"))
        wait.next(create)
        before_deadline = (
            sfn.Choice(self, f"{state_id}QuotaBeforeDeadline")
            .when(sfn.Condition.timestamp_less_than_json_path(f"{waits}.at", "$.deadline"), wait)
            .otherwise(give_up)
        )
        for state in (first, following, last):
            state.next(before_deadline)
        return (
            sfn.Choice(self, f"{state_id}QuotaWaits")
            .when(sfn.Condition.is_not_present(waits), first)
            .when(sfn.Condition.number_less_than(f"{waits}.count", len(QUOTA_WAIT_CAPS)), following)
            .otherwise(last)
        )

    def _retry_transient(
        self, state_id: str, task: tasks.CallAwsService, *, counter: str, give_up: sfn.IChainable
    ) -> None:
        """Catch the generic SageMaker errors of `task`: a transient cause calls it again after a
        jittered wait (see `_transient_classifier`); any other goes to `give_up` at once."""
        again = sfn.Wait(self, f"{state_id}Backoff", time=sfn.WaitTime.seconds_path(f"$.{counter}.wait"))
        again.next(task)
        kind = self._transient_classifier(state_id, counter=counter, retry=again, give_up=give_up)
        task.add_catch(kind, errors=GENERIC_SAGEMAKER_ERRORS, result_path="$.error")

    def _transient_classifier(
        self,
        state_id: str,
        *,
        counter: str,
        retry: sfn.IChainable,
        give_up: sfn.IChainable,
    ) -> sfn.Choice:
        """A Choice on a caught error (`$.error`): a transient cause goes to `retry` at most
        len(BACKOFF_CAPS) times (counted in `$.<counter>`, with a jittered wait of up to BACKOFF_CAPS[n]
        seconds in `$.<counter>.wait`); any other cause, or one transient error too many, goes to
        `give_up` at once."""
        attempts = f"$.{counter}"
        caps = ", ".join(str(cap) for cap in BACKOFF_CAPS)
        start = sfn.Pass(
            self,
            f"{state_id}FirstRetry",
            parameters={"count": 1, "wait.$": f"States.MathRandom(1, {BACKOFF_CAPS[0]})"},
            result_path=attempts,
        )
        following = sfn.Pass(
            self,
            f"{state_id}NextRetry",
            parameters={
                "count.$": f"States.MathAdd({attempts}.count, 1)",
                "wait.$": (
                    f"States.MathRandom(1, States.ArrayGetItem(States.Array({caps}), {attempts}.count))"
                ),
            },
            result_path=attempts,
        )
        start.next(retry)
        following.next(retry)
        kind = sfn.Choice(self, f"{state_id}ErrorKind")
        # One rule per question, so no rule reads the counter before it exists.
        return (
            kind.when(sfn.Condition.not_(_transient_cause("$.error.Cause")), give_up)
            .when(sfn.Condition.is_not_present(attempts), start)
            .when(sfn.Condition.number_less_than(f"{attempts}.count", len(BACKOFF_CAPS)), following)
            .otherwise(give_up)
        )

    def _allow_approval_reads(self, function: lambda_.Function, config: AutopilotConfig) -> None:
        """s3:GetObject on the evaluation reports, and ListModelPackages for `compareToApproved`.

        Report URIs are the user's (`ModelMetrics`), known only at run time: reads are limited to the
        configured `evaluationReportLocations`, or else to buckets owned by the stack's account
        (condition key `s3:ResourceAccount`, Amazon S3 User Guide, "Amazon S3 condition key
        examples"). Reports encrypted with a customer-managed KMS key also need kms:Decrypt for this
        function's role in that key's policy; without it the read is AccessDenied, which the policy
        reports as unusable evaluation data.
        """
        locations = config.evaluation_report_locations
        if locations:
            # s3://bucket -> every object in it; s3://bucket/prefix -> the objects under the prefix.
            paths = [location.removeprefix("s3://") for location in locations]
            resources = [
                f"arn:{Stack.of(self).partition}:s3:::{path}{'*' if '/' in path else '/*'}" for path in paths
            ]
            statement = iam.PolicyStatement(actions=["s3:GetObject"], resources=resources)
            reason = "Evaluation reports: any object under the configured evaluationReportLocations."
        else:
            resources = [f"arn:{Stack.of(self).partition}:s3:::*/*"]
            statement = iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=resources,
                conditions={"StringEquals": {"s3:ResourceAccount": Stack.of(self).account}},
            )
            reason = (
                "Evaluation report URIs come from each version's ModelMetrics at run time; reads are "
                "limited to buckets the stack's account owns (s3:ResourceAccount). Set "
                "evaluationReportLocations to narrow them."
            )
        function.add_to_role_policy(statement)
        if function.role is not None:
            acknowledge_wildcard_resources(function.role, resources, reason)
        if any(group.approval.compare_to_approved for group in config.settings_by_key().values()):
            # ListModelPackages names no version in its request, so no version ARN can scope it (the
            # reference lists model-package; which ARN AWS authorizes the list against is not
            # documented: docs/FIDELITY.md); the function reads the group it decides for.
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"])
            )
            if function.role is not None:
                acknowledge(
                    function.role,
                    "AwsSolutions-IAM5[Resource::*]",
                    "sagemaker:ListModelPackages names no version to scope it to; used to find the "
                    "group's approved version for compareToApproved.",
                )

    def _alarm_on_failed_executions(self, alerting: Alerting) -> None:
        alerting.add_alarm(
            cloudwatch.Alarm(
                self,
                "ExecutionsFailed",
                alarm_description=(
                    "Registry Autopilot: a compile workflow execution failed, timed out or was aborted"
                ),
                metric=cloudwatch.MathExpression(
                    expression="failed + timedout + aborted",
                    using_metrics={
                        "failed": self.state_machine.metric_failed(
                            period=Duration.minutes(5), statistic="Sum"
                        ),
                        "timedout": self.state_machine.metric_timed_out(
                            period=Duration.minutes(5), statistic="Sum"
                        ),
                        "aborted": self.state_machine.metric_aborted(
                            period=Duration.minutes(5), statistic="Sum"
                        ),
                    },
                    period=Duration.minutes(5),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
