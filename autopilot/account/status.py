"""`python -m autopilot status`: what happened to a model version, from what the account holds.

Read-only. For a version: each Neo target (its compilation job, status, failure reason, the retry
command), the attached specifications, the approval decision with its description, who decided and
when, the audit keys (`autopilot:*` in CustomerMetadataProperties), the compile workflow's executions
that handled it (with console links), the shadow experiment with its plan step and sampling, its
outcome, and the model card's status when the version carries one. For a group: its recent versions,
one row each.

Where each piece comes from:
- the version: DescribeModelPackage (approval, description, metadata, specs, ModelCard,
  LastModifiedBy/LastModifiedTime);
- Neo: the job names the workflow derives (`registry_autopilot.logic.naming.compilation_job_name`), or
  the job a retry record names, then DescribeCompilationJob (CompilationJobStatus, FailureReason);
- executions: the deployed stack's compile state machine (its output, else its resource), the most
  recent executions (ListExecutions), each one's input (DescribeExecution) naming the version;
- the shadow test: the experiment recorded on the version (`autopilot:shadow:experiment`), then
  DescribeInferenceExperiment; the plan step is the marker the roller keeps in its description.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autopilot.account.arns import partition_for_region
from registry_autopilot.logic.accounts import account_of

if TYPE_CHECKING:
    from registry_autopilot.models.config import AutopilotConfig

ClientFactory = Callable[[str], Any]
NEO_PREFIX = "autopilot:neo:"
AUDIT_PREFIX = "autopilot:"
APPROVAL_PREFIX = "autopilot:approval:"
EXPERIMENT_KEY = "autopilot:shadow:experiment"
OUTCOME_KEY = "autopilot:shadow:outcome"
MAX_EXECUTIONS = 100  # the most recent compile executions searched for a version
GROUP_ROWS = 10
_MARKER = re.compile(r"\[autopilot step=(?P<step>\d+) since=(?P<since>[0-9T:Z-]+)\]")
_RETRIED_JOB = re.compile(r"\(job (?P<job>[a-zA-Z0-9-]+)\)")


class NotFound(Exception):
    """The version or group is not in the account: exit status 2 with this message."""


def _code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", type(exc).__name__))


def console_link(region: str, execution_arn: str) -> str:
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def retry_command(version_arn: str, target: str) -> str:
    return f"python -m autopilot retry {version_arn} {target}"


def _who(described: dict[str, Any]) -> str:
    person = described.get("LastModifiedBy") or {}
    return str(
        person.get("UserProfileName")
        or (person.get("IamIdentity") or {}).get("Arn")
        or person.get("UserProfileArn")
        or "-"
    )


def _decided(described: dict[str, Any], metadata: dict[str, str]) -> tuple[str, str]:
    """Who set the current approval status, and when: the audit keys when the decision they record is
    the current status; otherwise someone changed it since (LastModifiedBy/LastModifiedTime)."""
    approval = described.get("ModelApprovalStatus")
    if metadata.get(f"{APPROVAL_PREFIX}decision") == approval and f"{APPROVAL_PREFIX}decided-by" in metadata:
        return metadata[f"{APPROVAL_PREFIX}decided-by"], metadata.get(f"{APPROVAL_PREFIX}decided-at", "-")
    who = _who(described)
    if who == "-":
        who = "someone outside Registry Autopilot (the version does not say who)"
    return who, str(described.get("LastModifiedTime") or described.get("CreationTime") or "-")


@dataclass
class VersionStatus:
    arn: str
    group: str
    version: int
    approval: str
    description: str
    decided_by: str
    decided_at: str
    specs: list[str]
    targets: list[dict[str, Any]]
    audit: dict[str, str]
    executions: list[dict[str, Any]]
    shadow: dict[str, Any] | None
    model_card: dict[str, Any] | None
    created: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def failed_targets(self) -> list[str]:
        return [t["target"] for t in self.targets if t["status"] == "FAILED"]

    def render(self) -> str:
        lines = [f"{self.group}/{self.version}  {self.arn}", f"registered {self.created}", ""]
        lines.append("Neo targets")
        for t in self.targets:
            lines.append(f"  {t['target']:<12} {t['status']:<10} job {t['job'] or '-'}")
            if t.get("record"):
                lines.append(f"               record: {t['record']}")
            if t.get("failure_reason"):
                lines.append(f"               failure: {t['failure_reason']}")
            if t.get("retry"):
                lines.append(f"               retry: {t['retry']}")
        lines += ["", f"Attached specs: {', '.join(self.specs) or '-'}", ""]
        lines.append(f"Approval: {self.approval}, decided by {self.decided_by} at {self.decided_at}")
        if self.description:
            lines.append(f"  {self.description}")
        lines += ["", "Audit keys"]
        lines += [f"  {key} = {value}" for key, value in sorted(self.audit.items())] or ["  -"]
        lines += ["", "Compile workflow executions"]
        for e in self.executions:
            lines.append(f"  {e['name']}  {e['status']}  started {e['started']}")
            lines.append(f"    {e['console']}")
        if not self.executions:
            lines.append("  - (none among the most recent executions, or the stack is not deployed)")
        lines += ["", "Shadow test"]
        if self.shadow is None:
            lines.append("  -")
        else:
            s = self.shadow
            lines.append(f"  {s['experiment']}  {s.get('status', '?')}")
            if s.get("step") is not None:
                lines.append(
                    f"  plan step {s['step']}/{s['steps']}, shadow sampling {s.get('sampling', '?')}%"
                )
            lines.append(f"  outcome: {s.get('outcome') or '-'}")
        lines += ["", "Model card"]
        if self.model_card is None:
            lines.append("  - (the version carries no model card)")
        else:
            from registry_autopilot.logic.model_card import summary

            lines.append(f"  {summary(self.model_card)}")
        return "\n".join(lines)


@dataclass
class GroupStatus:
    group: str
    versions: list[VersionStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "versions": [v.as_dict() for v in self.versions]}

    def render(self) -> str:
        header = ("version", "approval", "decided by", "specs", "failed", "runs", "shadow", "card")
        rows = [
            (
                str(v.version),
                v.approval,
                v.decided_by,
                ", ".join(v.specs) or "-",
                ", ".join(v.failed_targets()) or "-",
                str(len(v.executions)),
                _short((v.shadow or {}).get("outcome") or (v.shadow or {}).get("status") or "-", 40),
                (v.model_card or {}).get("ModelCardStatus", "-"),
            )
            for v in self.versions
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        table = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, tuple("-" * w for w in widths), *rows]
        ]
        return "\n".join([f"{self.group}: the {len(self.versions)} most recent versions", "", *table])


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class StatusReader:
    config: AutopilotConfig
    client: ClientFactory
    region: str
    _executions: list[dict[str, Any]] | None = None
    # Clients for the other accounts the configuration names (`--account-profile`; docs/ACCOUNTS.md):
    # a version and its jobs are read in its registry account, its experiment in its endpoint account.
    elsewhere: dict[str, ClientFactory] = field(default_factory=dict)

    def client_in(self, account: str | None) -> ClientFactory:
        """The clients of `account`: its profile's when given, else the caller's own."""
        return self.elsewhere.get(account or "", self.client)

    def compile_state_machine(self) -> str | None:
        cloudformation = self.client("cloudformation")
        try:
            stack = cloudformation.describe_stacks(StackName=self.config.stack_name)["Stacks"][0]
        except Exception:
            return None
        for output in stack.get("Outputs", []):
            if "statemachine" in output["OutputKey"].lower():
                return str(output["OutputValue"])
        resources = cloudformation.describe_stack_resources(StackName=self.config.stack_name)[
            "StackResources"
        ]
        for resource in resources:
            if resource["ResourceType"] == "AWS::StepFunctions::StateMachine":
                return str(resource["PhysicalResourceId"])
        return None

    def executions(self) -> list[dict[str, Any]]:
        """The most recent compile executions with the version their input names."""
        if self._executions is not None:
            return self._executions
        found: list[dict[str, Any]] = []
        machine = self.compile_state_machine()
        if machine is not None:
            sfn = self.client("stepfunctions")
            listed = sfn.list_executions(stateMachineArn=machine, maxResults=MAX_EXECUTIONS)["executions"]
            for item in listed:
                described = sfn.describe_execution(executionArn=item["executionArn"])
                try:
                    payload = json.loads(described.get("input") or "{}")
                except ValueError:
                    payload = {}
                detail = payload.get("detail") if isinstance(payload, dict) else None
                arn = (detail or {}).get("ModelPackageArn") if isinstance(detail, dict) else None
                found.append(
                    {
                        "name": item["name"],
                        "arn": item["executionArn"],
                        "status": item["status"],
                        "started": str(item["startDate"]),
                        "version": arn,
                        "console": console_link(self.region, item["executionArn"]),
                    }
                )
        self._executions = found
        return found

    def version(self, arn: str) -> VersionStatus:
        from registry_autopilot.logic import naming

        registry = self.client_in(account_of(arn))
        try:
            described = registry("sagemaker").describe_model_package(ModelPackageName=arn)
        except Exception as exc:
            raise NotFound(f"{arn}: {_code(exc)}{self._profile_hint(account_of(arn))}") from None
        group = str(described.get("ModelPackageGroupName", arn.split("/")[-2]))
        number = int(described.get("ModelPackageVersion") or arn.rsplit("/", 1)[-1])
        metadata: dict[str, str] = described.get("CustomerMetadataProperties") or {}
        group_config = self.config.groups.get(group)
        targets = []
        for target in group_config.neo_targets if group_config else []:
            record = metadata.get(naming.metadata_key(target.name), "")
            retried = _RETRIED_JOB.search(record)
            job = retried["job"] if retried else naming.compilation_job_name(group, number, target)
            targets.append(self.neo_target(arn, target.name, job, record, described, registry=registry))
        audit = {k: v for k, v in metadata.items() if k.startswith(AUDIT_PREFIX)}
        executions = [
            {k: v for k, v in e.items() if k != "version"} for e in self.executions() if e["version"] == arn
        ]
        decided_by, decided_at = _decided(described, metadata)
        return VersionStatus(
            arn=arn,
            group=group,
            version=number,
            approval=str(described.get("ModelApprovalStatus", "-")),
            description=str(described.get("ApprovalDescription") or ""),
            decided_by=decided_by,
            decided_at=decided_at,
            specs=[s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])],
            targets=targets,
            audit=audit,
            executions=executions,
            shadow=self.shadow(metadata, group),
            model_card=described.get("ModelCard"),
            created=str(described.get("CreationTime", "-")),
        )

    def neo_target(
        self,
        arn: str,
        target: str,
        job: str,
        record: str,
        described: dict[str, Any],
        *,
        registry: ClientFactory | None = None,
    ) -> dict[str, Any]:
        spec = f"neo-{target}"
        attached = spec in {s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])}
        status, reason = ("ATTACHED" if attached else "-"), None
        try:
            # The job runs in the version's own account (docs/ACCOUNTS.md).
            compiled = (registry or self.client)("sagemaker").describe_compilation_job(CompilationJobName=job)
            status = "ATTACHED" if attached else str(compiled["CompilationJobStatus"])
            reason = compiled.get("FailureReason")
        except Exception:
            if not attached:
                job, status = "", (record.split(":", 1)[0] if record else "NOT STARTED")
        if record.startswith("FAILED") and not attached:
            status = "FAILED"
        return {
            "target": target,
            "job": job,
            "status": status,
            "record": record,
            "failure_reason": reason,
            "retry": retry_command(arn, target) if status in ("FAILED", "TIMED_OUT") else None,
        }

    def shadow(self, metadata: dict[str, str], group: str) -> dict[str, Any] | None:
        name = metadata.get(EXPERIMENT_KEY)
        if not name:
            return None
        view: dict[str, Any] = {"experiment": name, "outcome": metadata.get(OUTCOME_KEY)}
        try:
            endpoints = self.client_in(
                self.config.endpoint_account(group) if self.config.group(group) is not None else None
            )
            experiment = endpoints("sagemaker").describe_inference_experiment(Name=name)
        except Exception as exc:
            view["status"] = f"not found ({_code(exc)})"
            return view
        view["status"] = experiment.get("Status")
        shadows = (experiment.get("ShadowModeConfig") or {}).get("ShadowModelVariants", [])
        view["sampling"] = shadows[0].get("SamplingPercentage") if shadows else None
        marker = _MARKER.search(str(experiment.get("Description", "")))
        group_config = self.config.groups.get(group)
        steps = len(group_config.shadow.rollout_plan) if group_config and group_config.shadow else None
        view["step"] = int(marker["step"]) + 1 if marker else 1
        view["steps"] = steps
        return view

    def _profile_hint(self, account: str) -> str:
        """What to pass when a read in another account failed for want of its credentials."""
        if account and account in self.config.other_accounts() and account not in self.elsewhere:
            return f"; the version is in account {account}: pass --account-profile {account}=PROFILE"
        return ""

    def group(self, name: str, rows: int = GROUP_ROWS) -> GroupStatus:
        account = self.config.registry_account(name) if self.config.group(name) is not None else None
        sagemaker = self.client_in(account)("sagemaker")
        try:
            listed = sagemaker.list_model_packages(
                ModelPackageGroupName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=rows
            )["ModelPackageSummaryList"]
        except Exception as exc:
            raise NotFound(f"group {name}: {_code(exc)}") from None
        if not listed:
            sagemaker_groups = sagemaker.list_model_package_groups(NameContains=name)
            names = {g["ModelPackageGroupName"] for g in sagemaker_groups["ModelPackageGroupSummaryList"]}
            if name not in names:
                raise NotFound(f"no model package group named {name!r} in {self.region}")
        return GroupStatus(name, [self.version(item["ModelPackageArn"]) for item in listed])


def read_status(
    target: str,
    config: AutopilotConfig,
    client: ClientFactory,
    region: str,
    elsewhere: dict[str, ClientFactory] | None = None,
) -> VersionStatus | GroupStatus:
    """`target` is a version ARN, `GROUP/VERSION`, or a group name. `elsewhere`: clients for the other
    accounts the configuration names."""
    reader = StatusReader(config, client, region, elsewhere=dict(elsewhere or {}))
    if target.startswith("arn:"):
        if ":model-package/" not in target:
            raise NotFound(f"{target} is not a model package version ARN")
        return reader.version(target)
    group, _, number = target.partition("/")
    if number:
        if not number.isdigit():
            raise NotFound(f"{target}: expected GROUP/VERSION with a version number")
        configured = config.registry_account(group) if group in config.groups else None
        account = configured or client("sts").get_caller_identity()["Account"]
        partition = partition_for_region(region)
        return reader.version(f"arn:{partition}:sagemaker:{region}:{account}:model-package/{group}/{number}")
    return reader.group(group)
