"""`python -m autopilot retry VERSION_ARN TARGET`: compile a failed Neo target again.

The verb does not depend on an event for a metadata-only update (AWS documents the
`SageMaker Model Package State Change` event as a change of status, and does not promise one when
only `CustomerMetadataProperties` change). It

1. reads the version; the target must be one its group configures and its record
   (`autopilot:neo:<target>`) `FAILED: ...` or `TIMED_OUT: ...` (or already `RETRY`, from an earlier
   call);
2. sets the record to `RETRY` with `UpdateModelPackage` (skipped when it already is `RETRY`): Plan
   compiles a target recorded `RETRY` again, under a job name derived from the version's
   `LastModifiedTime`, which this write sets;
3. starts the compile workflow with `StartExecution`, named after the version, the target and that
   `LastModifiedTime`, with an input built from the same values: a second call finds the record
   already `RETRY`, writes nothing, and sends the same name and input. Step Functions API
   reference, StartExecution, `name`: "When you make multiple StartExecution calls with the same
   name, the new execution doesn't run and the following rules apply: When the original execution
   is open and the execution input from the new call is different, the ExecutionAlreadyExists
   message is returned. When the original execution is open and the execution input from the new
   call is identical, the Success message is returned. When the original execution is closed, the
   ExecutionAlreadyExists message is returned regardless of input." (and, for the error: "Executions
   with the same name and input are considered idempotent.") A double call is therefore one
   execution; the second reports the first.

Against an account (`--profile/--region`) the state machine is the deployed stack's; with `--local
EVENT_FILE...` the events are replayed on the embedded backend first and the retry runs there.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autopilot.account.versions import describe_version, state_change_envelope
from autopilot.errors import InvalidInput
from registry_autopilot.logic import naming
from registry_autopilot.models.config import AutopilotConfig

if TYPE_CHECKING:
    from autopilot.embedded.replay import ReplayReport
    from autopilot.embedded.stack import EmbeddedStack

VERSION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$"
)
# StartExecution's name: 1-80 characters, none of whitespace, brackets, wildcards, " # % \ ^ | ~ ` $ & , ; : /
EXECUTION_NAME_LIMIT = 80
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

# Records of a target that did not compile: a job that failed, or one that had not ended by the deadline.
RETRYABLE_RECORDS = ("FAILED", "TIMED_OUT")


@dataclass
class RetryOutcome:
    model_package_arn: str
    target: str
    record_before: str
    wrote_record: bool
    execution_name: str
    execution_arn: str
    execution: str  # "started" | "already running" | "already ran (<status>)" | "nothing to retry"
    status: str | None = None  # the execution's status when the verb waited for it (local runs)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        lines = [f"retry of {self.target} on {self.model_package_arn}"]
        lines.append(f"  record before: {self.record_before}")
        if self.execution == "nothing to retry":
            lines.append("  nothing to retry: the record is neither FAILED nor TIMED_OUT")
            return "\n".join(lines)
        verb = "set to RETRY" if self.wrote_record else "already RETRY (no write)"
        lines.append(f"  record: {verb}")
        lines.append(f"  compile workflow: {self.execution}: {self.execution_arn}")
        if self.status:
            lines.append(f"  execution status: {self.status}")
        return "\n".join(lines)


def parse_version_arn(arn: str) -> re.Match[str]:
    match = VERSION_ARN.match(arn)
    if match is None:
        raise InvalidInput(
            f"VERSION_ARN {arn!r}: expected a model package version ARN "
            "(arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>)"
        )
    return match


def execution_name(arn: str, target: str, last_modified: datetime) -> str:
    """Deterministic and valid: the same version, target and RETRY write give the same name."""
    match = parse_version_arn(arn)
    digest = hashlib.sha256(f"{arn}|{target}|{last_modified.isoformat()}".encode()).hexdigest()[:16]
    readable = _NAME_UNSAFE.sub("-", f"retry-{match['group']}-v{match['version']}-{target}")
    return f"{readable[: EXECUTION_NAME_LIMIT - len(digest) - 1]}-{digest}"


def execution_input(described: dict[str, Any], arn: str) -> dict[str, Any]:
    """The compile workflow's input: the state-change event the version's current state would make.
    Plan reads the version itself; the input names it. Deterministic for one state of the version."""
    match = parse_version_arn(arn)
    modified: datetime = described["LastModifiedTime"]
    return state_change_envelope(
        arn=arn,
        account=match["account"],
        region=match["region"],
        modified=modified,
        detail={
            "ModelPackageGroupName": described["ModelPackageGroupName"],
            "ModelPackageVersion": described["ModelPackageVersion"],
            "ModelPackageArn": arn,
            "ModelPackageStatus": described["ModelPackageStatus"],
            "ModelApprovalStatus": described.get("ModelApprovalStatus"),
            "LastModifiedTime": int(modified.timestamp() * 1000),
        },
    )


def retry_target(
    sagemaker: Any, sfn: Any, *, state_machine_arn: str, arn: str, target: str, config: AutopilotConfig
) -> RetryOutcome:
    """Set `target`'s record on version `arn` to RETRY (unless it already is) and start the compile
    workflow under a deterministic name. InvalidInput for what the user can fix."""
    match = parse_version_arn(arn)
    group = config.groups.get(match["group"])
    if group is None:
        raise InvalidInput(f"VERSION_ARN {arn}: group {match['group']!r} is not watched (cdk.json)")
    names = [t.name for t in group.neo_targets]
    if target not in names:
        raise InvalidInput(
            f"TARGET {target!r}: not a Neo target of group {match['group']!r}; "
            f"its targets: {', '.join(names)}"
        )
    described = describe_version(sagemaker, arn, argument="VERSION_ARN")
    key = naming.metadata_key(target)
    record = str(described.get("CustomerMetadataProperties", {}).get(key, "(none)"))
    if described.get("ModelApprovalStatus") == "Rejected":
        raise InvalidInput(
            f"VERSION_ARN {arn} is Rejected, and Plan compiles no rejected version: set it "
            "PendingManualApproval first (docs/WORKFLOW.md, 'Retry a failed Neo target')"
        )
    retrying = naming.is_retry_request(record)
    if not retrying and not record.startswith(RETRYABLE_RECORDS):
        return RetryOutcome(arn, target, record, False, "", "", "nothing to retry")
    if not retrying:
        sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={key: "RETRY"})
        described = describe_version(sagemaker, arn, argument="VERSION_ARN")
    name = execution_name(arn, target, described["LastModifiedTime"])
    payload = json.dumps(execution_input(described, arn), sort_keys=True)
    execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    try:
        started = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload)
    except sfn.exceptions.ExecutionAlreadyExists:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        return RetryOutcome(arn, target, record, not retrying, name, execution_arn, f"already ran ({status})")
    execution_arn = str(started["executionArn"])
    state = "started" if not retrying else "started (or already running: same name and input)"
    return RetryOutcome(arn, target, record, not retrying, name, execution_arn, state)


def compile_state_machine_id(app: Any) -> str:
    """The logical id of the compile workflow's state machine in the synthesized template."""
    (logical_id,) = [lid for lid in app.state_machines if "Compile" in lid] or list(app.state_machines)[:1]
    return str(logical_id)


def retry_on_aws(
    version_arn: str,
    neo_target: str,
    profile: str | None,
    region: str | None,
    account_profiles: dict[str, str] | None = None,
) -> RetryOutcome:
    """`retry_target` against the stack deployed in the account `profile` and `region` resolve to. A
    version in another account (docs/ACCOUNTS.md) is read and marked there, with the profile
    `account_profiles` gives for that account; the workflow starts in the automation account."""
    from autopilot.account.credentials import aws_errors, resolve_aws
    from autopilot.account.runner import deployed_resources
    from autopilot.account.versions import require_version_ref, target_for
    from autopilot.embedded.synth import synthesize

    ref = require_version_ref(version_arn)
    target = target_for(ref, profile, region)  # with no region configured, the ARN's
    app = synthesize()
    if ref.account is None:  # GROUP/VERSION: the group's account when it names one
        configured = app.config.registry_account(ref.group) if ref.group in app.config.groups else None
        ref = replace(ref, account=configured) if configured else ref
    version_arn = ref.arn(target)  # GROUP/VERSION: in the account and region resolved
    registry = target
    elsewhere = (account_profiles or {}).get(ref.account or "")
    if ref.account and ref.account != target.account and elsewhere:
        registry = resolve_aws(elsewhere, target.region)
    elif ref.account and ref.account in app.config.other_accounts() and ref.account != target.account:
        raise InvalidInput(
            f"VERSION_ARN {version_arn} is in account {ref.account}: pass --account-profile "
            f"{ref.account}=PROFILE to mark it there (docs/ACCOUNTS.md)"
        )
    with aws_errors(target):
        physical = deployed_resources(target, app.config.stack_name).get(compile_state_machine_id(app))
        if physical is None:
            raise InvalidInput(
                f"stack {app.config.stack_name!r} is not deployed in {target.describe()} (or cannot be "
                "read): deploy it with `cdk deploy` first"
            )
        return retry_target(
            registry.client("sagemaker"),
            target.client("stepfunctions"),
            state_machine_arn=physical,
            arn=version_arn,
            target=neo_target,
            config=app.config,
        )


def retry_in_embedded_stack(
    stack: EmbeddedStack, arn: str, target: str, timeout_seconds: float = 60.0
) -> RetryOutcome:
    """`retry_target` against a stack running on the embedded backend: the RETRY write, then
    StartExecution of the compile state machine (recorded writes, as in AWS), and the execution run to
    its end."""
    from autopilot.embedded.stepfunctions import TokenWaits, local_execution, state_machine_arn, wait_for_end

    definition = stack.app.state_machines[compile_state_machine_id(stack.app)]
    sfn = stack.backend.client("stepfunctions")
    with stack.backend.unrecorded():  # the deployed state machine exists before any retry
        machine = state_machine_arn(sfn, definition)
    tokens = TokenWaits(simulated=True)
    with local_execution(stack.route_lambda, stack.backend.clock.advance, tokens):
        outcome = retry_target(
            stack.backend.client("sagemaker"),
            sfn,
            state_machine_arn=machine,
            arn=arn,
            target=target,
            config=stack.app.config,
        )
        if outcome.execution_arn:
            with stack.backend.unrecorded():
                described = wait_for_end(
                    sfn,
                    outcome.execution_arn,
                    tokens=tokens,
                    on_token_wait=stack.compile_watch_round,
                    timeout_seconds=timeout_seconds,
                )
            outcome.status = str(described["status"])
    return outcome


def retry_locally(
    arn: str, target: str, event_files: list[Path], events: list[Any]
) -> tuple[RetryOutcome, ReplayReport]:
    """Replay `events` on the embedded backend, retry there, deliver what follows; (outcome, report)."""
    from autopilot.embedded.replay import replay

    outcomes: list[RetryOutcome] = []

    def then(stack: EmbeddedStack) -> None:
        outcomes.append(retry_in_embedded_stack(stack, arn, target))

    report = replay(event_files, events=events, then=then)
    return outcomes[0], report
