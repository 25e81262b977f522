"""Run handlers against a real AWS account with your credentials, optionally as a dry run.

In a dry run every read (Describe*, List*, Get*, ...) goes to AWS and every write is stopped before
it leaves the machine: it is recorded with its full parameters and answered with an empty success,
so the handler goes on as if it had been made. Nothing is created, changed or published.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autopilot.account.arns import partition_for_region, partition_of
from autopilot.account.credentials import AwsTarget, aws_errors, resolve_aws
from autopilot.embedded.eventpattern import matches
from autopilot.embedded.quiet import function_output_to
from autopilot.embedded.stack import HANDLER_PACKAGE
from autopilot.embedded.stepfunctions import LocalLambdaContext
from autopilot.embedded.synth import SynthesizedApp, role_arn_reference, synthesize

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head", "BatchGet", "BatchDescribe", "Query", "Scan")
UNRESOLVED = "not-deployed"


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@dataclass
class Interceptor:
    """A `before-call` hook on a botocore session: writes are recorded and answered locally."""

    dry_run: bool
    reads: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        call = {
            "service": model.service_model.service_name,
            "operation": model.name,
            "params": params.get("body") if isinstance(params.get("body"), dict) else params,
        }
        if is_read(model.name):
            self.reads.append(call)
            return None
        self.writes.append(call)
        if not self.dry_run:
            return None
        # Returning a response short-circuits botocore: the request is never sent.
        headers = {"x-amzn-requestid": "dry-run"}
        metadata = {"RequestId": "dry-run", "HTTPStatusCode": 200, "HTTPHeaders": headers}
        return AWSResponse("https://dry-run.invalid", 200, headers, None), {"ResponseMetadata": metadata}


def _original_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["autopilot_dry_run_params"] = dict(params)


@contextmanager
def aws_session(dry_run: bool, target: AwsTarget) -> Iterator[Interceptor]:
    """Point the handlers' clients (boto3's default session) at `target`'s account, with the hook."""
    import boto3

    from registry_autopilot.adapters import clients

    interceptor = Interceptor(dry_run=dry_run)

    def before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> Any:
        original = context.get("autopilot_dry_run_params", params)
        return interceptor(model, {"body": original}, **kwargs)

    session = target.session
    saved_default = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = session
    session.events.register("before-parameter-build", _original_params)
    session.events.register("before-call", before_call)
    clients.reset_clients()
    try:
        yield interceptor
    finally:
        session.events.unregister("before-call", before_call)
        session.events.unregister("before-parameter-build", _original_params)
        boto3.DEFAULT_SESSION = saved_default
        clients.reset_clients()


def deployed_resources(target: AwsTarget, stack_name: str) -> dict[str, str]:
    """Logical id -> physical id of the deployed stack (a read); empty when it is not deployed."""
    try:
        cloudformation = target.client("cloudformation")
        resources = cloudformation.describe_stack_resources(StackName=stack_name)
    except Exception:  # not deployed, no permission, or no network: placeholders are shown instead
        return {}
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources["StackResources"]}


@dataclass
class AwsRun:
    handler: str
    result: Any
    reads: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    dry_run: bool
    then: list[str] = field(default_factory=list)  # what the workflow would do after this step

    def as_dict(self) -> dict[str, Any]:
        return {
            "handler": self.handler,
            "dry_run": self.dry_run,
            "result": self.result,
            "reads": self.reads,
            "writes": self.writes,
            "then": self.then,
        }

    def render(self) -> str:
        verb = "would make" if self.dry_run else "made"
        lines = [f"handler: {self.handler} ({'dry run' if self.dry_run else 'for real'}) against AWS"]
        lines.append(f"reads: {len(self.reads)} ({', '.join(sorted({r['operation'] for r in self.reads}))})")
        lines.append(f"writes it {verb}: {len(self.writes)}")
        for write in self.writes:
            lines.append(
                f"  {write['service']}:{write['operation']} {json.dumps(write['params'], default=str)}"
            )
        if self.then:
            lines.append("after this step the workflow would:")
            lines += [f"  {item}" for item in self.then]
        return "\n".join(lines)


def _environment(
    app: SynthesizedApp, logical_id: str, config_file: Path, target: AwsTarget
) -> dict[str, str]:
    deployed = deployed_resources(target, app.config.stack_name)
    properties = app.template["Resources"][logical_id]["Properties"]
    env: dict[str, str] = {}
    for key, value in properties.get("Environment", {}).get("Variables", {}).items():
        if isinstance(value, dict) and "Ref" in value:
            physical = deployed.get(value["Ref"], f"{UNRESOLVED}-{value['Ref'].lower()}")
            env[key] = physical
        elif (role := role_arn_reference(app.template, value)) is not None:
            env[key] = _deployed_role_arn(deployed, role)
        else:
            env[key] = str(value)
    if not env.get("NOTIFICATION_TOPIC_ARN", "").startswith("arn:"):
        partition = partition_for_region(target.region)
        env["NOTIFICATION_TOPIC_ARN"] = f"arn:{partition}:sns:{target.region}:000000000000:not-deployed"
    env["AUTOPILOT_CONFIG_FILE"] = str(config_file)
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = target.region
    return env


def _deployed_role_arn(deployed: dict[str, str], logical_id: str) -> str:
    """A role the stack owns: CloudFormation reports its name; the account is the topic's."""
    topic = next((value for value in deployed.values() if value.startswith("arn:") and ":sns:" in value), "")
    account = topic.split(":")[4] if topic.count(":") >= 5 else "000000000000"
    name = deployed.get(logical_id, f"{UNRESOLVED}-{logical_id.lower()}")
    return f"arn:{partition_of(topic)}:iam::{account}:role/{name}"


def _compile_followups(app: SynthesizedApp, plan_result: dict[str, Any], target: AwsTarget) -> list[str]:
    steps = []
    role = app.config.compile_role_arn
    if role is None and plan_result.get("targets"):
        output = app.template.get("Outputs", {}).get("CompileRoleArn", {})
        role_id = role_arn_reference(app.template, output.get("Value"))
        deployed = deployed_resources(target, app.config.stack_name) if role_id else {}
        role = _deployed_role_arn(deployed, role_id) if role_id else app.compile_role_arn
    for planned in plan_result.get("targets") or []:
        request = dict(planned["request"], RoleArn=role)
        steps.append(f"sagemaker:CreateCompilationJob {json.dumps(request)}")
    names = [planned["spec_name"] for planned in plan_result.get("targets") or []]
    if names:
        steps.append("sagemaker:UpdateModelPackage adding the specs that compile: " + ", ".join(names))
    return steps


def run_on_aws(
    event: Any,
    *,
    handler: str | None = None,
    dry_run: bool = True,
    region: str | None = None,
    profile: str | None = None,
    target: AwsTarget | None = None,
) -> list[AwsRun]:
    """Run what `event` triggers (or `handler`, when named) against AWS; a dry run by default.
    `target` (or `profile`/`region`, resolved as the AWS CLI does) is the account. Credentials that
    are missing, expired or denied a read raise AwsSetupError; the event is not blamed for them."""
    import importlib

    from registry_autopilot.settings import reset_settings

    target = target or resolve_aws(profile, region)
    app = synthesize()
    if handler is not None:
        targets = [handler]
    else:
        targets = []
        for rule in app.rules:
            if rule.schedule or not isinstance(event, dict) or not matches(rule.pattern, event):
                continue
            for rule_target in rule.targets:
                if rule_target.kind == "state-machine":
                    targets.append("plan")  # the first step; the rest follows from its output
                elif rule_target.kind == "function":
                    targets.append(app.functions[rule_target.logical_id].split(".")[-2])
    runs = []
    with tempfile.TemporaryDirectory(prefix="autopilot-aws-") as tmp:
        config_file = Path(tmp) / "autopilot_config.json"
        config_file.write_text(app.config.model_dump_json(by_alias=True))
        for name in targets:
            wanted = f"{HANDLER_PACKAGE}.{name}.handler"
            logical_id = next(lid for lid, h in app.functions.items() if h == wanted)
            saved = dict(os.environ)
            try:
                with (
                    aws_session(dry_run, target) as interceptor,
                    function_output_to(io.StringIO()),  # Powertools logs and metrics: not our stdout
                    aws_errors(target),
                ):
                    os.environ.update(_environment(app, logical_id, config_file, target))
                    reset_settings()
                    module = importlib.import_module(f"{HANDLER_PACKAGE}.{name}")
                    context = LocalLambdaContext(function_name=logical_id, invoked_function_arn=logical_id)
                    result = module.handler(event, context)
                then = (
                    _compile_followups(app, result, target)
                    if name == "plan" and isinstance(result, dict)
                    else []
                )
                runs.append(AwsRun(name, result, interceptor.reads, interceptor.writes, dry_run, then))
            finally:
                os.environ.clear()
                os.environ.update(saved)
                reset_settings()
    return runs
