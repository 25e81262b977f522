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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from autopilot.embedded.backend import LocalBackend
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


# -- several accounts ------------------------------------------------------------------------------------
@dataclass
class Physical:
    """A resource created from a template: its type, what `Ref` gives, and its attributes."""

    kind: str
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class DeployedTemplate:
    account: str
    stack_name: str
    template: dict[str, Any]
    resources: dict[str, Physical] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> type not kept locally


def resolve(value: Any, deployed: DeployedTemplate, region: str) -> Any:
    """The template's intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, pseudo parameters)
    resolved against the resources of the same template created so far."""
    pseudo = {
        "AWS::AccountId": deployed.account,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": deployed.stack_name,
    }
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            if argument in pseudo:
                return pseudo[argument]
            found = deployed.resources.get(argument)
            return found.ref if found else f"{deployed.stack_name}-{argument}"
        if name == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
            found = deployed.resources.get(logical)
            if found and attribute in found.attributes:
                return found.attributes[attribute]
            return f"arn:aws:local:{region}:{deployed.account}:{logical}/{attribute}"
        if name == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(resolve(part, deployed, region)) for part in parts)
        if name == "Fn::Select":
            index, items = argument
            return resolve(items, deployed, region)[int(index)]
        if name == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            for key, item in {**pseudo, **variables}.items():
                text = text.replace("${" + key + "}", str(resolve(item, deployed, region)))
            for logical, found in deployed.resources.items():
                text = text.replace("${" + logical + "}", found.ref)
                for attribute, attribute_value in found.attributes.items():
                    text = text.replace("${" + f"{logical}.{attribute}" + "}", attribute_value)
            return text
    if isinstance(value, dict):
        return {key: resolve(item, deployed, region) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, deployed, region) for item in value]
    return value


Creator = Callable[[LocalBackend, DeployedTemplate, str, dict[str, Any]], "Physical | None"]


def _name(deployed: DeployedTemplate, logical_id: str, limit: int = 64) -> str:
    return f"{deployed.stack_name}-{logical_id}"[:limit]


def _role(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    iam = backend.client("iam", account=deployed.account)
    name = str(props.get("RoleName") or _name(deployed, logical_id))
    path = str(props.get("Path") or "/")
    iam.create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
    )
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    for managed in props.get("ManagedPolicyArns", []):
        iam.attach_role_policy(RoleName=name, PolicyArn=str(managed))
    arn = f"arn:aws:iam::{deployed.account}:role{path}{name}"
    return Physical("AWS::IAM::Role", name, {"Arn": arn, "RoleId": name})


def _policy(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    """AWS::IAM::Policy: an inline policy of each role it names (as CloudFormation puts it)."""
    iam = backend.client("iam", account=deployed.account)
    name = str(props.get("PolicyName") or _name(deployed, logical_id, 128))
    for role in props.get("Roles", []):
        iam.put_role_policy(
            RoleName=str(role), PolicyName=name, PolicyDocument=json.dumps(props["PolicyDocument"])
        )
    return Physical("AWS::IAM::Policy", name)


def _managed_policy(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    iam = backend.client("iam", account=deployed.account)
    name = str(props.get("ManagedPolicyName") or _name(deployed, logical_id, 128))
    arn = iam.create_policy(
        PolicyName=name,
        Path=str(props.get("Path") or "/"),
        PolicyDocument=json.dumps(props["PolicyDocument"]),
    )["Policy"]["Arn"]
    for role in props.get("Roles", []):
        iam.attach_role_policy(RoleName=str(role), PolicyArn=arn)
    return Physical("AWS::IAM::ManagedPolicy", str(arn))


def _group(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    sagemaker = backend.client("sagemaker", account=deployed.account)
    name = str(props.get("ModelPackageGroupName") or _name(deployed, logical_id, 63))
    arn = sagemaker.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    if props.get("ModelPackageGroupPolicy"):
        policy = props["ModelPackageGroupPolicy"]
        sagemaker.put_model_package_group_policy(
            ModelPackageGroupName=name,
            ResourcePolicy=policy if isinstance(policy, str) else json.dumps(policy),
        )
    return Physical("AWS::SageMaker::ModelPackageGroup", str(arn), {"ModelPackageGroupArn": str(arn)})


def _rule(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    events = backend.client("events", account=deployed.account)
    name = str(props.get("Name") or _name(deployed, logical_id))
    bus = str(props.get("EventBusName") or "default")
    request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED"), "EventBusName": bus}
    if "EventPattern" in props:
        request["EventPattern"] = json.dumps(props["EventPattern"])
    if "ScheduleExpression" in props:
        request["ScheduleExpression"] = props["ScheduleExpression"]
    arn = events.put_rule(**request)["RuleArn"]
    targets = [
        {key: value for key, value in target.items() if key in ("Id", "Arn", "RoleArn", "Input", "InputPath")}
        for target in props.get("Targets", [])
    ]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return Physical("AWS::Events::Rule", name, {"Arn": str(arn)})


def _bus_policy(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    """AWS::Events::EventBusPolicy: one statement added to the bus's resource policy (PutPermission)."""
    events = backend.client("events", account=deployed.account)
    bus = str(props.get("EventBusName") or "default")
    sid = str(props["StatementId"])
    if "Statement" in props:
        current = events.describe_event_bus(Name=bus).get("Policy")
        document: dict[str, Any] = json.loads(current) if current else {"Version": "2012-10-17"}
        kept = [s for s in document.get("Statement", []) if isinstance(s, dict) and s.get("Sid") != sid]
        document["Statement"] = [*kept, {**props["Statement"], "Sid": sid}]
        events.put_permission(EventBusName=bus, Policy=json.dumps(document))
    else:
        request: dict[str, Any] = {
            "EventBusName": bus,
            "Action": props.get("Action", "events:PutEvents"),
            "Principal": props["Principal"],
            "StatementId": sid,
        }
        if "Condition" in props:
            request["Condition"] = props["Condition"]
        events.put_permission(**request)
    return Physical("AWS::Events::EventBusPolicy", sid)


def _bucket(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    s3 = backend.client("s3", account=deployed.account)
    name = str(props.get("BucketName") or _name(deployed, logical_id, 63).lower())
    location = {}
    if backend.region != "us-east-1":
        location = {"CreateBucketConfiguration": {"LocationConstraint": backend.region}}
    s3.create_bucket(Bucket=name, **location)
    encrypt_bucket(backend, deployed.account, name, props)
    return Physical("AWS::S3::Bucket", name, {"Arn": f"arn:aws:s3:::{name}", "BucketName": name})


def encrypt_bucket(backend: LocalBackend, account: str, name: str, props: dict[str, Any]) -> None:
    """The template's default encryption on the bucket (CloudFormation's `ServerSideEncryptionByDefault`
    is the API's `ApplyServerSideEncryptionByDefault`), so a customer managed key's policy is enforced."""
    rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    converted = []
    for rule in rules:
        default = rule.get("ServerSideEncryptionByDefault") or rule.get("ApplyServerSideEncryptionByDefault")
        entry: dict[str, Any] = {}
        if default:
            entry["ApplyServerSideEncryptionByDefault"] = {
                k: v for k, v in default.items() if k in ("SSEAlgorithm", "KMSMasterKeyID")
            }
        if "BucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        converted.append(entry)
    if converted:
        backend.client("s3", account=account).put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": converted}
        )


def _bucket_policy(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    bucket = str(props["Bucket"])
    backend.client("s3", account=deployed.account).put_bucket_policy(
        Bucket=bucket, Policy=json.dumps(props["PolicyDocument"])
    )
    return Physical("AWS::S3::BucketPolicy", bucket)


def _key(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    kms = backend.client("kms", account=deployed.account)
    request: dict[str, Any] = {}
    if props.get("KeyPolicy"):
        request["Policy"] = json.dumps(props["KeyPolicy"])
    metadata = kms.create_key(**request)["KeyMetadata"]
    return Physical(
        "AWS::KMS::Key", str(metadata["KeyId"]), {"Arn": str(metadata["Arn"]), "KeyId": metadata["KeyId"]}
    )


def _sdk_call(
    backend: LocalBackend, deployed: DeployedTemplate, logical_id: str, props: dict[str, Any]
) -> Physical:
    """Custom::AWS (CDK's AwsCustomResource): its documented effect is the SDK call its `Create`
    names (service, action, parameters), made in the stack's account."""
    create = props.get("Create")
    call = json.loads(create) if isinstance(create, str) else dict(create or {})
    service = {"SageMaker": "sagemaker", "S3": "s3", "EventBridge": "events"}.get(
        str(call.get("service")), str(call.get("service", "")).lower()
    )
    action = str(call.get("action", ""))
    if action:
        action = action[0].lower() + action[1:]
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in action)
        getattr(backend.client(service, account=deployed.account), snake)(**(call.get("parameters") or {}))
    physical = (call.get("physicalResourceId") or {}).get("id") or _name(deployed, logical_id)
    return Physical(str(deployed.template["Resources"][logical_id]["Type"]), str(physical))


CREATORS: dict[str, Creator] = {
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::SageMaker::ModelPackageGroup": _group,
    "AWS::Events::Rule": _rule,
    "AWS::Events::EventBusPolicy": _bus_policy,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::KMS::Key": _key,
    "Custom::AWS": _sdk_call,
}
# Created first: what other resources' policies and properties name.
_ORDER = ["AWS::KMS::Key", "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::SageMaker::ModelPackageGroup"]


CustomHandler = Callable[[dict[str, Any], Any], Any]


def _group_policies(event: dict[str, Any], context: Any) -> None:
    """Custom::ModelPackageGroupPolicies: the function infra/group_policy/handler.py ships as."""
    from infra.group_policy import handler

    handler.handler(event, context)


# Custom resources backed by a function of the stack's own templates: type -> the Lambda handler that
# implements it, run as CloudFormation would invoke it (`_run_custom`).
CUSTOM_HANDLERS: dict[str, CustomHandler] = {"Custom::ModelPackageGroupPolicies": _group_policies}


def _run_custom(
    backend: LocalBackend,
    deployed: DeployedTemplate,
    logical_id: str,
    props: dict[str, Any],
    handler: CustomHandler,
) -> Physical:
    """A custom resource backed by a Lambda function of the template: its documented effect is its
    handler's, run in-process with CloudFormation's Create request, as the function's role (a session
    in the stack's account, held to the role's policies) when the template gives it one. The response
    the handler sends to the ResponseURL decides: FAILED stops the deployment with its reason."""
    import os
    import uuid
    from unittest import mock

    import boto3  # type: ignore[import-untyped,unused-ignore]

    from autopilot.embedded.backend.accounts import Caller

    kind = str(deployed.template["Resources"][logical_id]["Type"])
    role_arn = _function_role(deployed, deployed.template["Resources"][logical_id].get("Properties", {}))
    key = backend.accounts.admin_key(deployed.account)
    if role_arn:
        key = f"ASIALOCALCR{abs(hash((deployed.account, role_arn))) % 10**9:09d}"
        backend.accounts.add_session(key, Caller(account=deployed.account, role_arn=role_arn))
    event = {
        "RequestType": "Create",
        "ServiceToken": props.get("ServiceToken"),
        "ResponseURL": "https://cloudformation-custom-resource-response.local/",
        "StackId": f"arn:aws:cloudformation:{backend.region}:{deployed.account}:stack/{deployed.stack_name}",
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "ResourceProperties": props,
    }
    responses: list[dict[str, Any]] = []

    def respond(request: Any, *args: Any, **kwargs: Any) -> Any:
        body = getattr(request, "data", None) or kwargs.get("data")
        responses.append(json.loads(body or b"{}"))
        return mock.MagicMock()

    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": backend.region}
    saved_session = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = None
    try:
        with mock.patch.dict(os.environ, env), mock.patch("urllib.request.urlopen", respond):
            os.environ.pop("AWS_SESSION_TOKEN", None)
            handler(event, None)
    finally:
        boto3.DEFAULT_SESSION = saved_session
    answer: dict[str, Any] = responses[-1] if responses else {"Status": "SUCCESS"}
    if answer.get("Status") == "FAILED":
        raise RuntimeError(
            f"{deployed.stack_name}: custom resource {logical_id} failed: {answer.get('Reason')}"
        )
    physical = str(answer.get("PhysicalResourceId") or _name(deployed, logical_id))
    return Physical(kind, physical, {k: str(v) for k, v in (answer.get("Data") or {}).items()})


def _function_role(deployed: DeployedTemplate, raw_props: dict[str, Any]) -> str | None:
    """The deployed role of the template's function the custom resource's ServiceToken names
    (`{"Fn::GetAtt": [FUNCTION, "Arn"]}`)."""
    token = raw_props.get("ServiceToken")
    if not (isinstance(token, dict) and "Fn::GetAtt" in token):
        return None
    function = deployed.template["Resources"].get(token["Fn::GetAtt"][0], {})
    role = function.get("Properties", {}).get("Role")
    if function.get("Type") != "AWS::Lambda::Function" or role is None:
        return None
    resolved = resolve(role, deployed, "")
    return resolved if isinstance(resolved, str) and ":role/" in resolved else None


def deploy_template(
    backend: LocalBackend,
    account: str,
    stack_name: str,
    template: dict[str, Any],
    *,
    existing: dict[str, Physical] | None = None,
    only: set[str] | None = None,
    custom: dict[str, CustomHandler] | None = None,
) -> DeployedTemplate:
    """One template in one account, as CloudFormation would leave it: every resource of a type in
    CREATORS (roles with trust and policies, rules with their targets, bus, bucket and key policies,
    SDK calls) or CUSTOM_HANDLERS (group policies), intrinsics resolved; other types are listed in
    `skipped`. `existing`: resources already there under these logical ids (the automation stack's own
    names); `only`: the types to create; `custom`: more custom resource types -> the Lambda handler
    that implements each (run, like CUSTOM_HANDLERS, as its function's role, `_run_custom`)."""
    deployed = DeployedTemplate(account, stack_name, template, dict(existing or {}))
    handlers = {**CUSTOM_HANDLERS, **(custom or {})}
    resources = template.get("Resources", {})

    def rank(item: tuple[str, dict[str, Any]]) -> int:
        kind = item[1]["Type"]
        return _ORDER.index(kind) if kind in _ORDER else len(_ORDER)

    with backend.unrecorded():
        for logical_id, resource in sorted(resources.items(), key=rank):
            kind = str(resource["Type"])
            creator = CREATORS.get(kind) or (
                _sdk_call if kind.startswith("Custom::") and _is_sdk(resource) else None
            )
            if logical_id in deployed.resources or (only is not None and kind not in only):
                continue
            if creator is None and kind not in handlers:
                deployed.skipped[logical_id] = kind
                continue
            props = resolve(resource.get("Properties", {}), deployed, backend.region)
            created: Physical | None
            if kind in handlers:
                created = _run_custom(backend, deployed, logical_id, props, handlers[kind])
            else:
                assert creator is not None
                created = creator(backend, deployed, logical_id, props)
            if created is not None:
                deployed.resources[logical_id] = created
    from autopilot.embedded.backend.cloudformation import StackRecord

    stack_id = f"arn:aws:cloudformation:{backend.region}:{account}:stack/{stack_name}/local"
    physical = {logical: (found.kind, found.ref) for logical, found in deployed.resources.items()}
    if not any(record.name == stack_name for record in backend.deployments.records(account)):
        backend.deployments.add(
            StackRecord(stack_name, stack_id, backend.clock.now(), physical, account=account)
        )
    return deployed


def _is_sdk(resource: dict[str, Any]) -> bool:
    return "Create" in resource.get("Properties", {})


class StackInAccount(Protocol):
    """A synthesized stack with its account (the shape of infra's `stack_templates` entries)."""

    account: str | None
    stack_name: str
    template: dict[str, Any]


def deploy_accounts(
    stack: EmbeddedStack,
    companions: Sequence[tuple[str, str, dict[str, Any]] | StackInAccount],
    *,
    custom: dict[str, CustomHandler] | None = None,
) -> list[DeployedTemplate]:
    """The automation stack in its account (`deploy_locally`, plus its bus and key policies) and each
    companion in its own account, given as `(account, stack name, template)` or as the entries of
    infra's `stack_templates` (the automation one skipped): what `cdk deploy --all` leaves in
    each account. Events emitted in a companion's account then reach the automation stack only
    through its deployed forwarding rules (`EmbeddedStack.send_event`)."""
    deploy_locally(stack)
    backend = stack.backend
    buckets = {
        logical_id: Physical(
            "AWS::S3::Bucket",
            stack._physical(logical_id),
            {"Arn": f"arn:aws:s3:::{stack._physical(logical_id)}"},
        )
        for logical_id, resource in stack.app.template["Resources"].items()
        if resource["Type"] == "AWS::S3::Bucket"
    }
    automation = deploy_template(
        backend,
        backend.account_id,
        stack.app.config.stack_name,
        stack.app.template,
        existing=buckets,
        # The automation stack's own groups shared with endpoint accounts (a central registry): its
        # group-policy custom resource runs too. Its function's role is not one deploy_locally creates
        # in IAM, so the handler runs as the account (the companions' runs are held to their role).
        only={
            "AWS::KMS::Key",
            "AWS::Events::EventBusPolicy",
            "AWS::S3::BucketPolicy",
            "Custom::ModelPackageGroupPolicies",
        },
    )
    for logical_id, found in buckets.items():
        props = resolve(
            stack.app.template["Resources"][logical_id].get("Properties", {}), automation, backend.region
        )
        with backend.unrecorded():
            encrypt_bucket(backend, backend.account_id, found.ref, props)
    deployed = [automation]
    for entry in companions:
        if isinstance(entry, tuple):
            account, name, template = entry
        else:
            if getattr(entry, "automation", False) or entry.account is None:
                continue  # the automation stack, deployed above
            account, name, template = entry.account, entry.stack_name, entry.template
        deployed.append(deploy_template(backend, account, name, template, custom=custom))
        stack.companion_accounts[account] = name
    return deployed
