"""`python -m autopilot doctor`: is the account ready for the configuration in cdk.json?

Read-only. Every check ends PASS, WARN or FAIL with the fix; the exit status is 0 when nothing fails,
1 when something does, 2 when the checks cannot run (no credentials, no region).

AWS behaviour relied on (each cited in tests/e2e/test_doctor.py):
- permissions are checked with IAM's policy simulator, `SimulatePrincipalPolicy`, on the exact
  actions and resources the role will be asked for; EvalDecision is allowed | explicitDeny |
  implicitDeny (IAM API Reference, EvaluationResult);
- the simulator cannot evaluate a bucket policy for a role caller ("CallerArn is required if you
  include a ResourcePolicy and the PolicySourceArn is not the ARN for an IAM user"), so a grant that
  only the bucket policy makes (the compiled-artifacts bucket grants Neo's writes that way) is read
  from the bucket policy itself: a statement that names the role, the action and the object;
- shadow tests exclude serverless and asynchronous inference, Marketplace containers, multi-container
  and multi-model endpoints, Inf1 instances and Elastic Inference, and allow one production variant
  (SageMaker Developer Guide, "Shadow tests": Exclusions; Create a shadow test).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from autopilot.account.arns import partition_for_region
from autopilot.account.doctor_accounts import as_list as _as_list
from autopilot.account.doctor_accounts import policy_document as _document

if TYPE_CHECKING:
    from registry_autopilot.models.config import AutopilotConfig, GroupConfig, ShadowConfig

Result = Literal["PASS", "WARN", "FAIL"]
ClientFactory = Callable[[str], Any]
SAMPLE_ACCOUNT = "123456789012"
SAMPLE_NAMES = {"churn-xgboost", "fraud-pytorch", "churn-prod"}
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
COMPILED_PREFIX = "compiled/"
ECR_PULL = ("ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
ECR_TOKEN = "ecr:GetAuthorizationToken"
EXCLUDED_INSTANCE_PREFIXES = ("ml.inf1.",)


class CannotRun(Exception):
    """The checks cannot start (no credentials, no region, ...): exit status 2."""


@dataclass(frozen=True)
class Check:
    area: str
    name: str
    result: Result
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "area": self.area,
            "check": self.name,
            "result": self.result,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    account: str
    region: str
    checks: list[Check] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(c.result == "FAIL" for c in self.checks) else 0

    def counts(self) -> dict[str, int]:
        return {r: sum(1 for c in self.checks if c.result == r) for r in ("PASS", "WARN", "FAIL")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "checks": [c.as_dict() for c in self.checks],
            "counts": self.counts(),
            "exit_code": self.exit_code,
        }

    def render(self) -> str:
        lines = [f"Registry Autopilot doctor: account {self.account}, region {self.region}", ""]
        area = None
        for check in self.checks:
            if check.area != area:
                area = check.area
                lines.append(area)
            lines.append(f"  {check.result:<4}  {check.name}: {check.detail}")
            if check.fix and check.result != "PASS":
                lines.append(f"        fix: {check.fix}")
        counts = self.counts()
        lines += ["", f"{counts['PASS']} passed, {counts['WARN']} warnings, {counts['FAIL']} failed"]
        return "\n".join(lines)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", type(exc).__name__))


def _s3_arn(uri: str, partition: str = "aws") -> str | None:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        return None
    return f"arn:{partition}:s3:::" + uri[5:]


def _ecr_repository_arn(image: str) -> str | None:
    """arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME for ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME
    (the partition from the image's region)."""
    host, _, path = image.partition("/")
    parts = host.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"] or not path:
        return None
    name = path.split("@", 1)[0].rsplit(":", 1)[0] if ":" in path.split("/")[-1] else path.split("@", 1)[0]
    return f"arn:{partition_for_region(parts[3])}:ecr:{parts[3]}:{parts[0]}:repository/{name}"


def missing_context_values(result: dict[str, Any]) -> list[str]:
    """The keys an EvaluationResult lists as missing: on the result when the resource is `*`, under
    ResourceSpecificResults when ResourceArns names resources (IAM API Reference, EvaluationResult)."""
    found = set(result.get("MissingContextValues") or [])
    for specific in result.get("ResourceSpecificResults") or []:
        found |= set(specific.get("MissingContextValues") or [])
    return sorted(found)


def trusts_sagemaker(trust_policy: Any) -> bool:
    """An Allow of sts:AssumeRole to the service principal sagemaker.amazonaws.com."""
    for statement in _as_list(_document(trust_policy).get("Statement", [])):
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
        if (
            statement.get("Effect") == "Allow"
            and SAGEMAKER_PRINCIPAL in services
            and ("sts:assumerole" in actions or "sts:*" in actions or "*" in actions)
        ):
            return True
    return False


def bucket_policy_grant(policy: Any, role_arn: str, action: str, resource: str) -> str | None:
    """ "allowed" / "explicitDeny" when the bucket policy decides `action` on `resource` for the role,
    None when it says nothing. Statements with a Condition describe the request (TLS, ...): a
    conditional Allow is not counted as a grant, a conditional Deny is not counted against it."""
    decision = None
    for statement in _as_list(_document(policy).get("Statement", [])):
        principal = statement.get("Principal")
        aws = _as_list(principal.get("AWS", [])) if isinstance(principal, dict) else [principal]
        named = "*" in aws or role_arn in aws
        actions = _as_list(statement.get("Action", []))
        covered = any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in actions) and any(
            fnmatch.fnmatchcase(resource, str(r)) for r in _as_list(statement.get("Resource", []))
        )
        if not named or not covered or statement.get("Condition"):
            continue
        if statement.get("Effect") == "Deny":
            return "explicitDeny"
        decision = "allowed"
    return decision


@dataclass
class Doctor:
    """The checks, reading the account through `client(service)`."""

    config: AutopilotConfig
    client: ClientFactory
    region: str
    checks: list[Check] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    deployed: bool = False

    @property
    def partition(self) -> str:
        """The account's partition, from the region doctor runs in (aws, aws-cn, aws-us-gov)."""
        return partition_for_region(self.region)

    def add(self, area: str, name: str, result: Result, detail: str, fix: str = "") -> None:
        self.checks.append(Check(area, name, result, detail, fix))

    # -- account and configuration -------------------------------------------------------------
    def identity(self) -> str:
        try:
            caller = self.client("sts").get_caller_identity()
        except Exception as exc:
            from autopilot.account.credentials import explain  # the words every verb uses

            raise CannotRun(
                explain(exc)
                or f"cannot read the caller's identity ({_error_code(exc)}): check your credentials"
            ) from None
        account = str(caller["Account"])
        self.add("Account", "caller", "PASS", f"account {account}, region {self.region}, as {caller['Arn']}")
        return account

    def placeholders(self, account: str) -> None:
        roles = {
            "compileRoleArn": self.config.compile_role_arn,
            "experimentRoleArn": self.config.experiment_role_arn,
        }
        for key, arn in roles.items():
            if arn is None:
                continue
            role_account = arn.split(":")[4]
            if role_account == SAMPLE_ACCOUNT and account != SAMPLE_ACCOUNT:
                self.add(
                    "Configuration",
                    key,
                    "FAIL",
                    f"{arn} is the sample's placeholder",
                    f"set {key} in cdk.json to your role's ARN",
                )
            elif role_account == SAMPLE_ACCOUNT:
                self.add(
                    "Configuration",
                    key,
                    "WARN",
                    f"{arn} uses the sample account {SAMPLE_ACCOUNT}",
                    f"set {key} in cdk.json to your role's ARN",
                )
            elif role_account != account:
                self.add(
                    "Configuration",
                    key,
                    "WARN",
                    f"{arn} is in account {role_account}, not the caller's {account}",
                    f"use a role in the account the stack deploys to, or check --profile: set {key}",
                )
            else:
                self.add("Configuration", key, "PASS", f"{arn} is in this account")
        samples = sorted(
            name
            for name in [
                *self.config.groups,
                *(g.shadow.endpoint_name for g in self.config.groups.values() if g.shadow),
            ]
            if name in SAMPLE_NAMES
        )
        if samples:
            self.add(
                "Configuration",
                "sample names",
                "WARN",
                f"{', '.join(samples)} come from the sample configuration",
                "edit `groups` (and each `shadow.endpointName`) in cdk.json unless these are yours",
            )

    # -- the deployed stack ---------------------------------------------------------------------
    def read_stack(self) -> None:
        cloudformation = self.client("cloudformation")
        name = self.config.stack_name
        try:
            stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        except Exception as exc:
            code = _error_code(exc)
            if code == "ValidationError":
                self.add(
                    "Stack",
                    name,
                    "WARN",
                    "not deployed: the stack checks are skipped",
                    "run `npx cdk deploy`, then doctor again",
                )
            else:
                self.add(
                    "Stack",
                    name,
                    "WARN",
                    f"cannot read it ({code})",
                    "allow cloudformation:DescribeStacks and DescribeStackResources",
                )
            return
        self.deployed = True
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        self.resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        status = str(stack["StackStatus"])
        healthy = status.endswith("_COMPLETE") and "ROLLBACK" not in status and "DELETE" not in status
        self.add(
            "Stack",
            name,
            "PASS" if healthy else "FAIL",
            status,
            "" if healthy else "see the stack's events in the CloudFormation console",
        )

    def physical(self, kind: str) -> list[tuple[str, str]]:
        return [
            (r["LogicalResourceId"], r["PhysicalResourceId"])
            for r in self.resources
            if r["ResourceType"] == kind
        ]

    def output(self, *fragments: str) -> str | None:
        for key, value in self.outputs.items():
            if all(f.lower() in key.lower() for f in fragments):
                return value
        return None

    def artifacts_bucket(self) -> str | None:
        found = self.output("artifacts", "bucket")
        if found:
            return found
        buckets = [
            p for lid, p in self.physical("AWS::S3::Bucket") if lid.startswith("CompiledArtifactsBucket")
        ]
        return buckets[0] if buckets else None

    def role(self, kind: Literal["compile", "experiment"]) -> str | None:
        configured = getattr(self.config, f"{kind}_role_arn", None)
        if configured:
            return str(configured)
        found = self.output(kind, "role")
        if found:
            return found
        roles = [p for lid, p in self.physical("AWS::IAM::Role") if kind.lower() in lid.lower()]
        return roles[0] if roles else None

    def stack_resources(self) -> None:
        if not self.deployed:
            return
        events = self.client("events")
        for logical_id, name in self.physical("AWS::Events::Rule"):
            state = events.describe_rule(Name=name).get("State")
            ok = state == "ENABLED"
            self.add(
                "Stack",
                f"rule {logical_id}",
                "PASS" if ok else "FAIL",
                f"{name} is {state}",
                f"aws events enable-rule --name {name}",
            )
        sfn = self.client("stepfunctions")
        for logical_id, arn in self.physical("AWS::StepFunctions::StateMachine"):
            try:
                status = sfn.describe_state_machine(stateMachineArn=arn).get("status", "ACTIVE")
                self.add(
                    "Stack",
                    f"state machine {logical_id}",
                    "PASS" if status == "ACTIVE" else "FAIL",
                    f"{arn} is {status}",
                    "redeploy the stack",
                )
            except Exception as exc:
                self.add(
                    "Stack",
                    f"state machine {logical_id}",
                    "FAIL",
                    f"{arn}: {_error_code(exc)}",
                    "redeploy the stack (npx cdk deploy)",
                )
        self.dead_letters()
        self.alarms()

    def dead_letters(self) -> None:
        sqs = self.client("sqs")
        for logical_id, url in self.physical("AWS::SQS::Queue"):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
                attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
            )
            if waiting == 0:
                self.add("Dead-letter queues", logical_id, "PASS", "empty")
                continue
            self.add(
                "Dead-letter queues",
                logical_id,
                "FAIL",
                f"{waiting} message(s) waiting in {url}",
                f"read them: aws sqs receive-message --queue-url {url} --max-number-of-messages 10 "
                "--attribute-names All --message-attribute-names All (each body is an event that could "
                "not be delivered; the attributes say why). Fix the cause, send each event to its target "
                "again (the compile workflow: aws stepfunctions start-execution --state-machine-arn ARN "
                "--input file://event.json; a function: aws lambda invoke --function-name NAME "
                "--invocation-type Event --payload fileb://event.json), then delete the message "
                "(aws sqs delete-message --queue-url URL --receipt-handle HANDLE)",
            )

    def alarms(self) -> None:
        names = [name for _, name in self.physical("AWS::CloudWatch::Alarm")]
        if not names:
            return
        cloudwatch = self.client("cloudwatch")
        found = {}
        for start in range(0, len(names), 100):
            for alarm in cloudwatch.describe_alarms(AlarmNames=names[start : start + 100]).get(
                "MetricAlarms", []
            ):
                found[alarm["AlarmName"]] = alarm
        firing = [found[n] for n in names if n in found and found[n].get("StateValue") == "ALARM"]
        for alarm in firing:
            self.add(
                "Alarms",
                alarm["AlarmName"],
                "FAIL",
                f"in ALARM: {alarm.get('StateReason', '')}",
                alarm.get("AlarmDescription") or "see the alarm in the CloudWatch console",
            )
        if not firing:
            self.add("Alarms", "state", "PASS", f"none of the stack's {len(names)} alarms is in ALARM")

    # -- roles ----------------------------------------------------------------------------------
    def role_exists(self, label: str, arn: str | None) -> bool:
        area = f"Role: {label}"
        if arn is None:
            self.add(
                area,
                "configured",
                "FAIL",
                "no role configured and none found in the deployed stack",
                f"set {label}RoleArn in cdk.json or deploy the stack that creates it",
            )
            return False
        try:
            role = self.client("iam").get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        except Exception as exc:
            code = _error_code(exc)
            if code in ("NoSuchEntity", "NoSuchEntityException"):
                self.add(
                    area,
                    "exists",
                    "FAIL",
                    f"{arn} does not exist",
                    f"create it (trusted by {SAGEMAKER_PRINCIPAL}) or fix {label}RoleArn",
                )
            else:
                self.add(
                    area, "exists", "WARN", f"cannot read {arn} ({code})", "allow iam:GetRole to check it"
                )
            return False
        if role["Arn"] != arn:
            self.add(
                area,
                "exists",
                "FAIL",
                f"{arn} does not exist (a role of that name has ARN {role['Arn']})",
                f"fix {label}RoleArn",
            )
            return False
        self.add(area, "exists", "PASS", arn)
        trusted = trusts_sagemaker(role.get("AssumeRolePolicyDocument", {}))
        self.add(
            area,
            "trust",
            "PASS" if trusted else "FAIL",
            f"{'trusts' if trusted else 'does not trust'} {SAGEMAKER_PRINCIPAL}",
            f"add a trust policy statement: Allow sts:AssumeRole to Service {SAGEMAKER_PRINCIPAL}",
        )
        return True

    def allowed(self, area: str, what: str, role_arn: str, actions: Iterable[str], resource: str) -> None:
        """SimulatePrincipalPolicy on each action for `resource` (for S3, the bucket policy too), with
        the context keys the role's policies test and the real request would carry."""
        actions = list(actions)
        try:
            iam = self.client("iam")
            context = self.request_context(iam, role_arn, resource)
            results = iam.simulate_principal_policy(
                PolicySourceArn=role_arn, ActionNames=actions, ResourceArns=[resource], ContextEntries=context
            )["EvaluationResults"]
        except Exception as exc:
            self.add(
                area,
                what,
                "WARN",
                f"cannot simulate ({_error_code(exc)})",
                "allow iam:SimulatePrincipalPolicy and iam:GetContextKeysForPrincipalPolicy on the role "
                "to check it",
            )
            return
        failures = []
        via_bucket = []
        missing: set[str] = set()
        for result in results:
            decision = result["EvalDecision"]
            if decision != "explicitDeny" and self.is_s3(resource):
                # Same account: either policy's Allow grants, a Deny in either refuses.
                bucket = self.bucket_decision(role_arn, result["EvalActionName"], resource)
                if bucket == "explicitDeny" or (bucket == "allowed" and decision == "implicitDeny"):
                    decision = bucket
                    if bucket == "allowed":
                        via_bucket.append(result["EvalActionName"])
            unknown = missing_context_values(result)
            if unknown and decision != "explicitDeny":
                missing |= set(unknown)
            elif decision != "allowed":
                failures.append(f"{result['EvalActionName']} {decision}")
        if failures:
            self.add(
                area,
                what,
                "FAIL",
                f"on {resource}: {', '.join(failures)}",
                f"allow {', '.join(f.split()[0] for f in failures)} on {resource} in the role's policies "
                "(and remove any Deny)",
            )
        elif missing:
            # IAM could not complete the evaluation without these keys: not a refusal (EvaluationResult).
            self.add(
                area,
                what,
                "WARN",
                f"on {resource}: the simulator could not evaluate a condition without "
                f"{', '.join(sorted(missing))}",
                "check the role's conditions on those keys by hand",
            )
        else:
            note = f" (bucket policy grants {', '.join(via_bucket)})" if via_bucket else ""
            self.add(area, what, "PASS", f"{', '.join(actions)} allowed on {resource}{note}")

    def request_context(self, iam: Any, role_arn: str, resource: str) -> list[dict[str, Any]]:
        """ContextEntries for the keys the role's policies test, with the values the real request
        carries when doctor can know them; a key left out comes back in MissingContextValues."""
        keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=role_arn).get("ContextKeyNames", [])
        known: dict[str, str] = {"aws:requestedregion": self.region}
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        if account:
            known["aws:principalaccount"] = account
        if self.is_s3(resource):
            owner = self.bucket_owner(resource, account)
            if owner:
                known["s3:resourceaccount"] = owner
                known["aws:resourceaccount"] = owner
        return [
            {"ContextKeyName": key, "ContextKeyValues": [known[key.lower()]], "ContextKeyType": "string"}
            for key in keys
            if key.lower() in known
        ]

    @staticmethod
    def is_s3(resource: str) -> bool:
        return resource.startswith("arn:") and resource.split(":")[2:4] == ["s3", ""]

    def bucket_owner(self, resource: str, account: str) -> str | None:
        """`account` when the bucket is verified to belong to it (HeadBucket with ExpectedBucketOwner:
        "If the account ID that you provide does not match the actual owner of the bucket, the request
        fails with the HTTP status code 403 Forbidden"), else None: unknown, not guessed."""
        bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
        if not account or not bucket:
            return None
        try:
            self.client("s3").head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
        except Exception:
            return None
        return account

    def bucket_decision(self, role_arn: str, action: str, resource: str) -> str | None:
        bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
        try:
            policy = self.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
        except Exception:
            return None
        return bucket_policy_grant(policy, role_arn, action, resource)

    # -- groups and endpoints -------------------------------------------------------------------
    def latest_version(self, group: str) -> dict[str, Any] | None:
        sagemaker = self.client("sagemaker")
        area = f"Group: {group}"
        try:
            sagemaker.describe_model_package_group(ModelPackageGroupName=group)
        except Exception as exc:
            self.add(
                area,
                "exists",
                "FAIL",
                f"{group} not found ({_error_code(exc)})",
                f"create it (aws sagemaker create-model-package-group --model-package-group-name "
                f"{group}) or fix `groups` in cdk.json",
            )
            return None
        self.add(area, "exists", "PASS", "model package group found")
        listed = sagemaker.list_model_packages(
            ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
        )["ModelPackageSummaryList"]
        if not listed:
            self.add(
                area, "latest version", "WARN", "no version registered yet: the artifact check waits for one"
            )
            return None
        described: dict[str, Any] = sagemaker.describe_model_package(
            ModelPackageName=listed[0]["ModelPackageArn"]
        )
        return described

    def group_found(self, group: str) -> None:
        """The group exists and its latest version (a group checked in another account)."""
        self.latest_version(group)

    def group_check(
        self, group: str, settings: GroupConfig, compile_role: str | None, experiment_role: str | None
    ) -> None:
        bucket = self.artifacts_bucket()
        area = f"Group: {group}"
        version = self.latest_version(group)
        containers = ((version or {}).get("InferenceSpecification") or {}).get("Containers", [])
        artifact = _s3_arn(str(containers[0].get("ModelDataUrl", "")), self.partition) if containers else None
        if version is not None and artifact is None:
            self.add(
                area,
                "model artifact",
                "WARN",
                f"{version['ModelPackageArn']} has no S3 ModelDataUrl to check",
            )
        if artifact and compile_role:
            self.allowed(
                area,
                "compile role reads the latest model artifact",
                compile_role,
                ["s3:GetObject"],
                artifact,
            )
        if compile_role and bucket:
            key = f"arn:{self.partition}:s3:::{bucket}/{COMPILED_PREFIX}{group}/probe/model.tar.gz"
            self.allowed(area, "compile role writes the compiled prefix", compile_role, ["s3:PutObject"], key)
        elif compile_role:
            self.add(
                area,
                "compile role writes the compiled prefix",
                "WARN",
                "the artifacts bucket is not deployed yet",
                "run doctor again after `npx cdk deploy`",
            )
        if settings.shadow is None or experiment_role is None:
            return
        served = self.served_artifacts(version, settings.shadow.instance_type, bucket, group)
        for uri in served:
            self.allowed(area, "shadow model reads what it serves", experiment_role, ["s3:GetObject"], uri)
        images = {c.get("Image") for c in containers if c.get("Image")}
        for spec in (version or {}).get("AdditionalInferenceSpecifications", []):
            images |= {c.get("Image") for c in spec.get("Containers", []) if c.get("Image")}
        for image in sorted(i for i in images if i):
            repository = _ecr_repository_arn(image)
            if repository:
                self.allowed(
                    area,
                    f"shadow model pulls {image.split('/', 1)[-1]}",
                    experiment_role,
                    ECR_PULL,
                    repository,
                )
        if images:
            self.allowed(area, "shadow model gets an ECR token", experiment_role, [ECR_TOKEN], "*")

    def served_artifacts(
        self, version: dict[str, Any] | None, instance_type: str, bucket: str | None, group: str
    ) -> list[str]:
        """The compiled artifact the shadow model would serve on the instance type (else the primary)."""
        found = []
        for spec in (version or {}).get("AdditionalInferenceSpecifications", []):
            if instance_type in spec.get("SupportedRealtimeInferenceInstanceTypes", []):
                found += [
                    _s3_arn(str(c.get("ModelDataUrl", "")), self.partition)
                    for c in spec.get("Containers", [])
                ]
        if not found and bucket:
            found = [f"arn:{self.partition}:s3:::{bucket}/{COMPILED_PREFIX}{group}/probe/model.tar.gz"]
        return [uri for uri in found if uri]

    def endpoint_check(self, group: str, shadow: ShadowConfig) -> None:
        sagemaker = self.client("sagemaker")
        area = f"Endpoint: {shadow.endpoint_name} ({group})"
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=shadow.endpoint_name)
        except Exception as exc:
            self.add(
                area,
                "exists",
                "FAIL",
                f"not found ({_error_code(exc)})",
                "create the production endpoint or fix shadow.endpointName in cdk.json",
            )
            return
        status = endpoint.get("EndpointStatus")
        self.add(
            area,
            "status",
            "PASS" if status == "InService" else "FAIL",
            str(status),
            "shadow tests start only on an InService endpoint; wait or fix the endpoint",
        )
        config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        reasons = self.exclusions(config)
        for reason in reasons:
            self.add(
                area,
                "eligible for shadow tests",
                "FAIL",
                reason,
                "shadow tests need a real-time endpoint with one single-container, single-model "
                "production variant on a supported instance type",
            )
        if not reasons:
            self.add(
                area,
                "eligible for shadow tests",
                "PASS",
                "one real-time production variant, none of the excluded features",
            )
        variants = config.get("ProductionVariants", [])
        names = [v.get("VariantName") for v in variants]
        if shadow.production_variant is None and len(names) == 1:
            # Unset: the endpoint's only production variant (the configuration's documented default).
            self.add(area, "production variant", "PASS", f"{names[0]}, the only one, serves the endpoint")
        elif shadow.production_variant in names:
            self.add(area, "production variant", "PASS", f"{shadow.production_variant} serves the endpoint")
        else:
            self.add(
                area,
                "production variant",
                "FAIL",
                f"{shadow.production_variant} not among {', '.join(map(str, names))}",
                f"set shadow.productionVariant to {names[0] if names else 'the variant name'}",
            )
        if config.get("ShadowProductionVariants"):
            self.add(
                area,
                "shadow variant",
                "WARN",
                "the endpoint already has a shadow variant (a shadow test is running)",
                "one shadow variant per endpoint: the next test waits for this one to end",
            )

    def exclusions(self, config: dict[str, Any]) -> list[str]:
        reasons = []
        variants = config.get("ProductionVariants", [])
        if len(variants) != 1:
            reasons.append(f"{len(variants)} production variants; a shadow test needs exactly one")
        if config.get("AsyncInferenceConfig"):
            reasons.append("asynchronous inference endpoint")
        for variant in variants:
            name = variant.get("VariantName")
            if variant.get("ServerlessConfig"):
                reasons.append(f"{name} is serverless")
            if variant.get("AcceleratorType"):
                reasons.append(f"{name} uses Elastic Inference ({variant['AcceleratorType']})")
            if str(variant.get("InstanceType", "")).startswith(EXCLUDED_INSTANCE_PREFIXES):
                reasons.append(f"{name} runs on Inf1 ({variant['InstanceType']})")
            reasons += self.model_exclusions(str(variant.get("ModelName", "")), str(name))
        return reasons

    def model_exclusions(self, model_name: str, variant: str) -> list[str]:
        try:
            model = self.client("sagemaker").describe_model(ModelName=model_name)
        except Exception:
            return []
        containers = model.get("Containers") or (
            [model["PrimaryContainer"]] if model.get("PrimaryContainer") else []
        )
        reasons = []
        if len(containers) > 1:
            reasons.append(f"{variant} serves {len(containers)} containers (multi-container endpoint)")
        for container in containers:
            if container.get("Mode") == "MultiModel":
                reasons.append(f"{variant} is a multi-model endpoint")
            if "aws-marketplace" in str(container.get("ModelPackageName", "")):
                reasons.append(f"{variant} serves a Marketplace model package")
        return reasons

    def run(self) -> str:
        account = self.identity()
        self.placeholders(account)
        self.safely("Stack", self.read_stack)
        self.safely("Stack", self.stack_resources)
        self.safely("Watching", self.watched_by_prefix)
        compile_role = self.role("compile")
        experiment_role = (
            self.role("experiment") if any(g.shadow for g in self.config.groups.values()) else None
        )
        compile_ok = self.role_exists("compile", compile_role)
        experiment_ok = experiment_role is not None and self.role_exists("experiment", experiment_role)
        roles = (compile_role if compile_ok else None, experiment_role if experiment_ok else None)
        for group, settings in self.config.groups.items():
            if not self.elsewhere(self.config.registry_account(group)):
                self.safely(f"Group: {group}", self.group_check, group, settings, *roles)
        self.safely("KMS keys", self.model_keys, compile_role if compile_ok else None)
        for group, settings in self.config.groups.items():
            if settings.shadow is not None and not self.elsewhere(self.config.endpoint_account(group)):
                area = f"Endpoint: {settings.shadow.endpoint_name} ({group})"
                self.safely(area, self.endpoint_check, group, settings.shadow)
        return account

    def elsewhere(self, account: str | None) -> bool:
        """Whether a group or endpoint is in another account than the automation account: checked
        there, with that account's credentials (doctor_accounts.py), not here."""
        return account is not None and account != self.config.account

    def watched_by_prefix(self) -> None:
        """What a name-prefix grant (groupNamePrefix, endpointNamePrefix) reaches, and which groups of
        the account it reaches that the configuration does not list."""
        prefix, endpoints = self.config.group_name_prefix, self.config.endpoint_name_prefix
        configured = set(self.config.groups)
        if endpoints is not None:
            self.add(
                "Watching",
                "endpoints by name prefix",
                "PASS",
                f"the shadow start may describe every endpoint named {endpoints}* (read-only) and the "
                f"shadow-test role writes their logs; experiments run only on the endpoints the "
                f"{len(configured)} configured group(s) name",
            )
        if prefix is None:
            return
        defaults = self.config.group_defaults is not None
        acting = (
            f"the functions act on every one of them: the {len(configured)} configured group(s) with their "
            "own settings, any other with groupDefaults"
            if defaults
            else f"the functions act only on the {len(configured)} configured group(s) and skip any other"
        )
        self.add(
            "Watching",
            "groups by name prefix",
            "PASS",
            f"the rules match every group named {prefix}* and the functions' roles may describe and "
            f"update its versions (model-package/{prefix}*); {acting}",
        )
        sagemaker = self.client("sagemaker")
        matched: list[str] = []
        for page in sagemaker.get_paginator("list_model_package_groups").paginate(NameContains=prefix):
            matched += [
                g["ModelPackageGroupName"]
                for g in page["ModelPackageGroupSummaryList"]
                if g["ModelPackageGroupName"].startswith(prefix)
            ]
        unlisted = sorted(set(matched) - configured)
        if unlisted:
            shown = ", ".join(unlisted[:10]) + (
                f" and {len(unlisted) - 10} more" if len(unlisted) > 10 else ""
            )
            if defaults:
                self.add(
                    "Watching",
                    "groups the prefix reaches with groupDefaults",
                    "PASS",
                    f"{len(unlisted)} group(s) named {prefix}* are not listed and are handled with "
                    f"groupDefaults: {shown}",
                )
                return
            self.add(
                "Watching",
                "groups the prefix reaches but the configuration does not list",
                "WARN",
                f"{len(unlisted)} group(s) named {prefix}* are not configured: {shown}; their versions' "
                "events reach the functions, which skip them, and the roles' grants cover them",
                f"add them under groups in cdk.json and redeploy, or name them outside {prefix}*",
            )

    def model_keys(self, compile_role: str | None) -> None:
        """Each key in modelKmsKeyArns exists and is enabled (KMS DescribeKey, KeyMetadata.KeyState), and
        the compile role may decrypt with it (Neo describes the version it compiles)."""
        for key in self.config.model_kms_key_arns:
            area = "KMS keys"
            try:
                state = self.client("kms").describe_key(KeyId=key)["KeyMetadata"].get("KeyState")
            except Exception as exc:
                self.add(
                    area,
                    key,
                    "FAIL",
                    f"cannot describe it ({_error_code(exc)})",
                    "fix modelKmsKeyArns in cdk.json, or allow the caller kms:DescribeKey on the key",
                )
                continue
            self.add(
                area,
                key,
                "PASS" if state == "Enabled" else "FAIL",
                f"KeyState {state}",
                "versions under this key cannot be read until the key is enabled",
            )
            if compile_role:
                self.allowed(area, "compile role decrypts with it", compile_role, ["kms:Decrypt"], key)

    def safely(self, area: str, check: Callable[..., None], *args: Any) -> None:
        """Run a group of checks; a read the caller may not make is a warning, not a traceback."""
        try:
            check(*args)
        except CannotRun:
            raise
        except Exception as exc:
            self.add(
                area,
                "read",
                "WARN",
                f"cannot read ({_error_code(exc)}): {exc}",
                "allow the caller the read-only calls doctor makes (docs/DEPLOY.md: doctor)",
            )


def run_doctor(
    config: AutopilotConfig,
    client: ClientFactory,
    region: str,
    other_accounts: dict[str, ClientFactory] | None = None,
) -> DoctorReport:
    """`other_accounts`: clients for the other accounts the configuration names (account -> clients);
    an account without them is reported unchecked (docs/ACCOUNTS.md)."""
    from autopilot.account.doctor_accounts import AccountsDoctor

    doctor = Doctor(config=config, client=client, region=region)
    account = doctor.run()

    def checks_in(other: ClientFactory) -> Doctor:
        return Doctor(config=config, client=other, region=region)

    AccountsDoctor(doctor, dict(other_accounts or {}), checks_in).run()
    return DoctorReport(account=account, region=region, checks=doctor.checks)


def aws_client_factory(profile: str | None, region: str | None) -> tuple[ClientFactory, str]:
    """Clients for an account, credentials and region resolved as the AWS CLI does (the CLI's shared
    resolver, autopilot.account.credentials). Raises CannotRun with the fix."""
    from autopilot.account.credentials import AwsSetupError, resolve_aws

    try:
        target = resolve_aws(profile, region, verify=False)
    except AwsSetupError as exc:
        raise CannotRun(str(exc)) from None
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = target.client(service)
        return clients[service]

    return client, target.region
