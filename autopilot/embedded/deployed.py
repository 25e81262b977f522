"""A deployed account on the embedded backend, for `doctor --local` and `status --local`.

`deploy_locally` puts into the local backend what `cdk deploy` leaves in an account and what an
operator prepares beside it: the stack itself in CloudFormation (its rules, dead-letter queues, alarms,
compile state machine and compiled-artifacts bucket with its policy, from the synthesized template,
with references the local backend cannot hold replaced by names), and the roles in use: a role the
stack owns with exactly the template's trust and inline policies (no grant the template lacks), a
role the configuration brings trusted by SageMaker and allowed what Neo and the shadow model need.

The compile state machine is given the local runner's name for its definition, so executions the
local stack runs (`autopilot.embedded.stepfunctions.execute`) are executions of the deployed state machine, as
in an account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from autopilot.embedded.stack import EmbeddedStack

T = TypeVar("T")
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def resolve_intrinsics(value: Any, physical: dict[str, tuple[str, str]], account: str, region: str) -> Any:
    """Intrinsics in a policy or pattern, resolved against the resources created so far."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": "aws"}
            return pseudo.get(argument) or physical.get(argument, ("", str(argument)))[1]
        if name == "Fn::GetAtt":
            kind, ident = physical.get(argument[0], ("", argument[0]))
            if kind == "AWS::IAM::Role" and argument[1] == "Arn":
                return ident
            if kind == "AWS::S3::Bucket" and argument[1] == "Arn":
                return f"arn:aws:s3:::{ident}"
            if kind == "AWS::SQS::Queue":
                queue = ident.rsplit("/", 1)[-1]
                return queue if argument[1] == "QueueName" else f"arn:aws:sqs:{region}:{account}:{queue}"
            return f"arn:aws:local:{region}:{account}:{argument[0]}"
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(resolve_intrinsics(part, physical, account, region)) for part in parts)
    if isinstance(value, dict):
        return {key: resolve_intrinsics(item, physical, account, region) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_intrinsics(item, physical, account, region) for item in value]
    return value


def _create(
    stack: EmbeddedStack, logical_id: str, resource: dict[str, Any], physical: dict[str, Any]
) -> str | None:
    """Create one resource of the template the way its deployment would; None for types not kept."""
    from autopilot.embedded.stepfunctions import state_machine_arn

    backend, kind = stack.backend, resource["Type"]
    props = resource.get("Properties", {})
    name = f"{stack.app.config.stack_name}-{logical_id}"[:64]
    if kind == "AWS::Events::Rule":
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            request["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            request["ScheduleExpression"] = props["ScheduleExpression"]
        backend.client("events").put_rule(**request)
        return name
    if kind == "AWS::SQS::Queue":
        return str(backend.client("sqs").create_queue(QueueName=name)["QueueUrl"])
    if kind == "AWS::StepFunctions::StateMachine":
        # The local runner's state machine for this definition: executions run on the deployed one.
        return state_machine_arn(
            backend.client("stepfunctions"), stack.app.state_machines[logical_id], stack._state_machines
        )
    if kind == "AWS::S3::Bucket":
        return stack._physical(logical_id)  # the name the functions' environment resolves to
    if kind == "AWS::S3::BucketPolicy":
        bucket = resolve_intrinsics(props["Bucket"], physical, backend.account_id, backend.region)
        document = resolve_intrinsics(props["PolicyDocument"], physical, backend.account_id, backend.region)
        backend.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
        return f"{bucket}-policy"
    if kind == "AWS::CloudWatch::Alarm":
        backend.client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            AlarmDescription=props.get("AlarmDescription", ""),
            MetricName=props.get("MetricName", "Errors"),
            Namespace=props.get("Namespace", "RegistryAutopilot"),
            Statistic="Sum",
            Period=int(props.get("Period", 300)),
            EvaluationPeriods=int(props.get("EvaluationPeriods", 1)),
            Threshold=float(props.get("Threshold", 1)),
            ComparisonOperator=props.get("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
        )
        return name
    return None


def create_role(stack: EmbeddedStack, role_arn: str, statements: list[dict[str, Any]]) -> None:
    """A role SageMaker can assume, with `statements` as its inline policy."""
    iam = stack.backend.client("iam")
    name = role_arn.rsplit("/", 1)[-1]
    with stack.backend.unrecorded():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
        if statements:
            iam.put_role_policy(
                RoleName=name,
                PolicyName="registry-autopilot",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
            )


def deploy_locally(stack: EmbeddedStack) -> str:
    """The stack and its roles in the local account; returns the stack's name."""
    from autopilot.embedded.backend.cloudformation import StackRecord

    config, backend = stack.app.config, stack.backend
    models = f"arn:aws:s3:::autopilot-local-{backend.account_id}/*"  # where seed_model_package puts them
    # A role the configuration brings is the operator's: allowed what Neo and the shadow model need.
    # A role the stack owns holds exactly the template's policies, created once the resources they
    # name exist (below): no grant the template does not make.
    if config.compile_role_arn is not None:
        create_role(stack, stack.app.compile_role_arn, [_allow(["s3:GetObject"], models)])
    if config.experiment_role_arn is not None and stack.app.experiment_role_arn:
        create_role(
            stack,
            stack.app.experiment_role_arn,
            [
                _allow(["s3:GetObject"], [models, "arn:aws:s3:::*/compiled/*"]),
                _allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "*"),
            ],
        )
    physical: dict[str, tuple[str, str]] = {}
    resources = stack.app.template["Resources"]
    ordered = sorted(resources.items(), key=lambda item: item[1]["Type"] == "AWS::S3::BucketPolicy")
    with backend.unrecorded():
        for logical_id, resource in ordered:
            created = _create(stack, logical_id, resource, physical)
            if created is not None:
                physical[logical_id] = (resource["Type"], created)
    for owned in (stack.app.compile_role_arn, stack.app.experiment_role_arn):
        logical_id = _owned_role(stack, owned)
        if owned is not None and logical_id is not None:
            create_template_role(stack, owned, resources[logical_id]["Properties"], physical)
    # The roles in use, as the template's outputs name them (resolved locally), then the physical ids.
    outputs = {
        key: str(value)
        for key, value in stack.app.outputs.items()
        if key.endswith("RoleArn") and isinstance(value, str)
    }
    for logical_id, (kind, ident) in physical.items():
        if logical_id.startswith("CompiledArtifactsBucket") and kind == "AWS::S3::Bucket":
            outputs["CompiledArtifactsBucketName"] = ident
        elif kind == "AWS::StepFunctions::StateMachine":
            outputs["CompileStateMachineArn"] = ident
    stack_id = f"arn:aws:cloudformation:{backend.region}:{backend.account_id}:stack/{config.stack_name}/local"
    backend.deployments.add(StackRecord(config.stack_name, stack_id, backend.clock.now(), physical, outputs))
    return config.stack_name


def _owned_role(stack: EmbeddedStack, role_arn: str | None) -> str | None:
    """The template's logical id of the role `role_arn` names when the stack owns it, else None."""
    from autopilot.embedded.synth import local_role_arn

    for logical_id, resource in stack.app.template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role" and local_role_arn(logical_id) == role_arn:
            return str(logical_id)
    return None


def create_template_role(
    stack: EmbeddedStack, role_arn: str, props: dict[str, Any], physical: dict[str, tuple[str, str]]
) -> None:
    """A role the stack owns, with the template's trust policy and inline policies, nothing else."""
    backend = stack.backend
    iam = backend.client("iam")
    name = role_arn.rsplit("/", 1)[-1]

    def resolved(document: Any) -> str:
        return json.dumps(resolve_intrinsics(document, physical, backend.account_id, backend.region))

    with backend.unrecorded():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=resolved(props["AssumeRolePolicyDocument"]))
        for policy in props.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=resolved(policy["PolicyDocument"]),
            )
        for managed in props.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=name, PolicyArn=resolved(managed).strip('"'))


def _allow(actions: list[str], resources: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def with_local_account(inspect: Callable[[EmbeddedStack], T]) -> T:
    """The demo's lifecycle on a locally deployed stack, then `inspect` on the account it leaves."""
    from autopilot.embedded.demo import run_demo

    result: list[T] = []
    run_demo(prepare=deploy_locally, inspect=lambda stack: result.append(inspect(stack)))
    return result[0]
