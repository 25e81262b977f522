"""`python -m autopilot replay`: events through the synthesized rules until nothing changes.

Each event is delivered the way EventBridge would deliver it (our matcher against the synthesized
rules' patterns, into the synthesized state machine or function). Every event the backend emits
because of our own writes (SageMaker sends a state change for each UpdateModelPackage) is delivered
in turn, until the queue is empty. A loop would show up as a queue that never empties: delivery
stops at a bound and the report says so.

Exit status (`ReplayReport.exit_status`): 0 when every input event was delivered or matched no rule;
2 when any input was rejected as invalid (the rest are still delivered, and each rejection is
reported); 1 when delivery had to stop (events kept causing events) or a delivery failed.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autopilot.embedded.silence import why_no_rule
from autopilot.embedded.stack import EmbeddedStack, Routed, UnseedableEvent
from autopilot.embedded.synth import shipped_config, synthesize
from autopilot.errors import InvalidInput
from registry_autopilot.models.config import GROUP_NAME_PATTERN, AutopilotConfig, GroupConfig, NeoTarget

# More deliveries than any real lifecycle of a few events needs; `--max-deliveries` raises it (a replay
# of many events, repeated, can need more). Reaching it stops delivery and the report names the flag.
MAX_DELIVERIES = 1_000
# What `--watch GROUP` configures for a group cdk.json does not list: one cloud target, manual approval.
WATCH_DEFAULT_TARGET = NeoTarget(name="ml-c5", target_device="ml_c5")


@dataclass
class Delivery:
    source: str  # the file it came from, or the write that emitted it
    event_id: str
    outcome: str  # "ran" | "no rule matched" | "rejected" | "failed"
    rules: list[str] = field(default_factory=list)
    detail: str = ""
    input: bool = False  # one of the files given, not an event our own writes or the schedule caused


@dataclass
class ReplayReport:
    deliveries: list[Delivery]
    versions: list[dict[str, Any]]
    experiments: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    stopped_early: bool
    schedule_rounds: int = 0  # scheduled roller rounds run after the events settled
    max_deliveries: int = MAX_DELIVERIES
    queued: int = 0  # events still waiting when delivery stopped at the cap

    @property
    def rejected(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome in ("rejected", "failed")]

    @property
    def exit_status(self) -> int:
        """1 when delivery had to stop (events kept causing events, or a delivery failed for good: a
        workflow failed, or a function failed its last retry and the event went to its dead-letter
        queue), else 2 when an input was rejected as invalid, else 0."""
        if self.stopped_early or any(d.outcome == "failed" for d in self.deliveries):
            return 1
        if any(d.input and d.outcome == "rejected" for d in self.deliveries):
            return 2
        return 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "deliveries": [vars(d) for d in self.deliveries],
            "versions": self.versions,
            "experiments": self.experiments,
            "writes": self.writes,
            "rejected": [vars(d) for d in self.rejected],
            "stopped_early": self.stopped_early,
            "schedule_rounds": self.schedule_rounds,
            "max_deliveries": self.max_deliveries,
            "queued": self.queued,
            "exit_status": self.exit_status,
        }

    def render(self) -> str:
        out = [f"{len(self.deliveries)} deliveries:"]
        for d in self.deliveries:
            rules = f" -> {', '.join(d.rules)}" if d.rules else ""
            detail = f": {d.detail}" if d.detail else ""
            out.append(f"  {d.source} [{d.event_id[:8] or '-'}] {d.outcome}{rules}{detail}")
        if self.stopped_early:
            out.append(
                f"  stopped at the cap of {self.max_deliveries:,} deliveries with {self.queued:,} events "
                f"still queued: raise it with --max-deliveries N (a cap that is always reached "
                "would mean events keep causing events)"
            )
        if self.schedule_rounds:
            out.append(
                f"  {self.schedule_rounds} scheduled rounds ran (rounds that wrote nothing are not listed)"
            )
        out.append("")
        out.append("model package versions (approval; attached specs; failed targets; shadow test; why):")
        for v in self.versions:
            if v.get("filler"):
                continue
            metadata = v["metadata"]
            failed = [k.removeprefix("autopilot:neo:") for k, x in metadata.items() if _is_failure(k, x)]
            shadow = _shorten(metadata.get("autopilot:shadow:outcome", "-"), 60)
            out.append(
                f"  {v['version']}: {v['approval']}; {', '.join(v['specs']) or '-'}; "
                f"{', '.join(failed) or '-'}; {shadow}; {_shorten(v.get('why') or '-', 160)}"
            )
        fillers = sum(1 for v in self.versions if v.get("filler"))
        if fillers:
            out.append(
                f"  (and {fillers} earlier versions created only so the samples' version numbers exist)"
            )
        if self.experiments:
            out.append("inference experiments:")
            out += [f"  {e['name']}: {e['status']}" for e in self.experiments]
        accounts = {w.get("account") for w in self.writes}
        # Writes in several accounts (a registry or endpoint account besides the automation one): each
        # line names the account the write was made in.
        counts = Counter(
            f"{w['service']}:{w['operation']}" + (f" in {w.get('account')}" if len(accounts) > 1 else "")
            for w in self.writes
        )
        out.append(f"AWS writes: {len(self.writes)}")
        out += [f"  {count} x {operation}" for operation, count in sorted(counts.items())]
        out.append(f"rejected or failed: {len(self.rejected)}")
        out += [f"  {d.source}: {_shorten(d.detail)}" for d in self.rejected]
        out.append(f"exit status {self.exit_status}: {_EXIT_MEANING[self.exit_status]}")
        return "\n".join(out)


_EXIT_MEANING = {
    0: "every input was delivered or matched no rule",
    1: "delivery had to stop at the cap (--max-deliveries), or a delivery failed for good (listed above)",
    2: "an input was rejected as invalid (listed above); the others were delivered",
}


def _is_failure(key: str, value: str) -> bool:
    return key.startswith("autopilot:neo:") and value.startswith("FAILED")


def _shorten(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 15] + " ... (truncated)"


def config_watching(groups: list[str]) -> AutopilotConfig:
    """cdk.json's configuration, plus `groups` watched with the default policy."""
    for name in groups:
        if not re.fullmatch(GROUP_NAME_PATTERN, name):
            raise InvalidInput(
                f"--watch {name!r}: not a model package group name (1-63 letters, digits and "
                "hyphens, starting with a letter or digit)"
            )
    config = shipped_config()
    added = {
        name: GroupConfig(neo_targets=[WATCH_DEFAULT_TARGET]) for name in groups if name not in config.groups
    }
    if not added:
        return config
    raw = config.model_dump(mode="json", by_alias=True)
    raw["groups"].update(
        {name: group.model_dump(mode="json", by_alias=True) for name, group in added.items()}
    )
    return AutopilotConfig.model_validate(raw)


def eventbridge_shape_problem(event: Any) -> str | None:
    """What PutEvents would refuse: an entry needs Source, DetailType and a JSON-object Detail."""
    if not isinstance(event, dict):
        return f"not an EventBridge event: a JSON {type(event).__name__}, not an object"
    for key in ("source", "detail-type"):
        if not isinstance(event.get(key), str) or not event[key]:
            return f"not an EventBridge event: '{key}' is missing or not a string"
    if not isinstance(event.get("detail"), dict):
        return "not an EventBridge event: 'detail' is missing or not a JSON object"
    return None


def _classify(routed: Routed) -> tuple[str, str]:
    if not routed.matched_rules:
        return "no rule matched", ""
    if routed.rejections:
        return "rejected", "; ".join(routed.rejections)
    for execution in routed.executions:
        if execution.status != "SUCCEEDED":
            outcome = "rejected" if execution.error == "InvalidInput" else "failed"
            cause = execution.cause or ""
            with contextlib.suppress(ValueError, AttributeError):
                cause = json.loads(cause).get("errorMessage", cause)
            return outcome, f"{execution.error}: {cause}"
    if routed.failures:
        return "failed", "; ".join(routed.failures)
    return "ran", ""


def _version_key(label: str) -> tuple[str, int]:
    """`group/10` after `group/3`: versions sort by number."""
    group, _, number = label.rpartition("/")
    return group, int(number) if number.isdigit() else 0


def _why(described: dict[str, Any], skipped: str | None) -> str:
    """Why the version ended where it did: the decision's reason (the approval description's first
    line), else why it was skipped (the compile plan's reason)."""
    description = str(described.get("ApprovalDescription") or "").strip()
    if description:
        return description.splitlines()[0]
    return skipped or ""


def _skip_reason(routed: Routed) -> tuple[str, str] | None:
    """(version ARN, reason) when a workflow decided the version has nothing to do."""
    for execution in routed.executions:
        output = execution.output
        if isinstance(output, dict) and output.get("has_work") is False and output.get("reason"):
            return str(output.get("model_package_arn")), str(output["reason"])
    return None


def _versions(stack: EmbeddedStack, skipped: dict[str, str] | None = None) -> list[dict[str, Any]]:
    sagemaker = stack.backend.client("sagemaker")
    versions = []
    with stack.backend.unrecorded():
        for group in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]:
            name = group["ModelPackageGroupName"]
            for summary in sagemaker.list_model_packages(ModelPackageGroupName=name)[
                "ModelPackageSummaryList"
            ]:
                described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                versions.append(
                    {
                        "version": f"{name}/{described.get('ModelPackageVersion')}",
                        "approval": described.get("ModelApprovalStatus"),
                        "specs": [s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])],
                        "metadata": described.get("CustomerMetadataProperties", {}),
                        "filler": summary["ModelPackageArn"] in stack.filler_versions,
                        "why": _why(described, (skipped or {}).get(summary["ModelPackageArn"])),
                    }
                )
    return sorted(versions, key=lambda v: _version_key(v["version"]))


def _experiments(stack: EmbeddedStack) -> list[dict[str, Any]]:
    sagemaker = stack.backend.client("sagemaker")
    with stack.backend.unrecorded():
        listed = sagemaker.list_inference_experiments().get("InferenceExperiments", [])
    return [{"name": e["Name"], "status": e["Status"]} for e in listed]


def replay(
    files: list[Path],
    *,
    repeat: int = 1,
    shuffle: bool = False,
    seed: int = 0,
    watch: list[str] | None = None,
    objects: dict[str, bytes] | None = None,
    schedule_rounds: int = 0,
    progress: Callable[[int, int], None] | None = None,
    events: list[Any] | None = None,
    then: Callable[[EmbeddedStack], object] | None = None,
    max_deliveries: int = MAX_DELIVERIES,
    prepare: Callable[[EmbeddedStack], object] | None = None,
    inspect: Callable[[EmbeddedStack], object] | None = None,
) -> ReplayReport:
    """Deliver `files` (and what they cause); `objects` (S3 URI -> body) are put in the local S3
    first; then `schedule_rounds` times, advance the clock by the roller's rate and fire the schedule
    rules, delivering what those rounds cause. `progress(delivered, queued)` after each delivery;
    `then(stack)` once the input events have settled (what it causes is delivered too); `prepare(stack)`
    on the fresh stack before anything is seeded (e.g. deploy it locally); `inspect(stack)` on the
    account the replay leaves, once everything settled."""
    if events is None:
        events = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    loaded = [(path.name, event) for path, event in zip(files, events, strict=True)]
    queue = [item for item in loaded for _ in range(repeat)]
    inputs = {id(event) for _, event in loaded}
    if shuffle:
        random.Random(seed).shuffle(queue)
    app = synthesize(config_watching(watch or []))
    deliveries: list[Delivery] = []
    skipped: dict[str, str] = {}  # version ARN -> the first reason a workflow gave for doing nothing
    with EmbeddedStack(app, **_location(loaded)) as stack:  # type: ignore[arg-type]
        stack.keep_history = False  # replay reports outcomes, not the states each execution entered
        _prepare(stack, prepare, files, events)
        _seed(stack, [(str(path), event) for path, event in zip(files, events, strict=True)], objects or {})
        emitted_seen = 0

        def follow_our_writes() -> None:
            nonlocal emitted_seen
            for emitted in stack.backend.emitted_events[emitted_seen:]:
                arn = (emitted.get("resources") or ["?"])[0]
                queue.append((f"state change of {arn.split('/', 1)[-1]} after our write", emitted))
            emitted_seen = len(stack.backend.emitted_events)

        retries = _LambdaRetries(_async_retry_attempts(app))

        def drain() -> None:
            while queue and len(deliveries) < max_deliveries:
                source, event = queue.pop(0)
                deliveries.append(
                    _deliver(stack, source, event, id(event) in inputs, retries, skipped=skipped)
                )
                follow_our_writes()
                if progress is not None:
                    progress(len(deliveries), len(queue))
            while not queue and retries.pending and len(deliveries) < max_deliveries:
                deliveries.append(retries.run_next(stack))
                follow_our_writes()
                if queue:
                    drain()

        rounds_run = 0
        for round_number in range(schedule_rounds + 1):
            if round_number:
                if not _experiments_in_progress(stack):
                    break  # nothing left to roll: later rounds would change nothing
                rounds_run += 1
                deliveries += _scheduled_round(stack, round_number)
                follow_our_writes()
            drain()
            if round_number == 0 and then is not None and not queue:
                then(stack)  # e.g. a retry, once the input events have settled
                follow_our_writes()
                drain()
            if queue:
                break
        if inspect is not None:
            inspect(stack)
        return ReplayReport(
            deliveries=deliveries,
            versions=_versions(stack, skipped),
            experiments=_experiments(stack),
            writes=stack.writes(),
            stopped_early=bool(queue),
            schedule_rounds=rounds_run,
            max_deliveries=max_deliveries,
            queued=len(queue),
        )


def _deliver(
    stack: EmbeddedStack,
    source: str,
    event: Any,
    is_input: bool,
    retries: _LambdaRetries,
    *,
    skipped: dict[str, str] | None = None,
) -> Delivery:
    """One delivery through the rules; a failed function target is queued for Lambda's retries."""
    problem = eventbridge_shape_problem(event)
    if problem:
        return Delivery(source, "", "rejected", detail=problem, input=is_input)
    routed = stack.send_event(event)
    outcome, detail = _classify(routed)
    if outcome == "no rule matched":
        detail = why_no_rule(stack.app, event, watch_flag=True)
    reason = _skip_reason(routed)
    if reason is not None and skipped is not None:
        skipped.setdefault(*reason)
    now = stack.backend.clock.now().timestamp()
    if routed.failures and not routed.executions and retries.schedule(source, event, routed, now):
        outcome = "retrying"  # Lambda runs a failed asynchronous invocation again
    event_id = str(event.get("id", ""))
    return Delivery(source, event_id, outcome, list(routed.matched_rules), detail, input=is_input)


# Lambda, "How Lambda handles errors and retries with asynchronous invocation": "If the function
# returns an error, by default Lambda attempts to run it two more times, with a one-minute wait
# between the first two attempts, and two minutes between the second and third attempts."
ASYNC_RETRY_DELAYS_SECONDS = (60, 120)


def _async_retry_attempts(app: Any) -> dict[str, int]:
    """Function logical id -> MaximumRetryAttempts from the template's EventInvokeConfig (default 2)."""
    attempts: dict[str, int] = {}
    for resource in app.template["Resources"].values():
        if resource.get("Type") != "AWS::Lambda::EventInvokeConfig":
            continue
        properties = resource.get("Properties", {})
        function = properties.get("FunctionName")
        if isinstance(function, dict) and "Ref" in function:
            attempts[function["Ref"]] = int(properties.get("MaximumRetryAttempts", 2))
    return attempts


@dataclass
class _Retry:
    due: float  # simulated epoch seconds
    source: str
    event: dict[str, Any]
    function: str  # logical id
    rules: list[str]
    attempt: int  # 1 for the first retry


class _LambdaRetries:
    """Failed asynchronous invocations of a function target, run again on the simulated clock as
    Lambda would; the last failure is final (the event goes to the function's dead-letter queue)."""

    def __init__(self, attempts: dict[str, int]) -> None:
        self.attempts = attempts
        self.pending: list[_Retry] = []

    def schedule(
        self, source: str, event: dict[str, Any], routed: Routed, now: float, attempt: int = 1
    ) -> bool:
        """Queue a retry of each failed function target; False when none has a retry left."""
        scheduled = False
        for failure in routed.failures:
            function = failure.split(":", 1)[0]
            if attempt > min(self.attempts.get(function, 2), len(ASYNC_RETRY_DELAYS_SECONDS)):
                continue
            due = now + ASYNC_RETRY_DELAYS_SECONDS[attempt - 1]
            self.pending.append(_Retry(due, source, event, function, list(routed.matched_rules), attempt))
            scheduled = True
        return scheduled

    def run_next(self, stack: EmbeddedStack) -> Delivery:
        from registry_autopilot.models.errors import InvalidInput as RejectedEvent

        self.pending.sort(key=lambda r: r.due)
        retry = self.pending.pop(0)
        now = stack.backend.clock.now().timestamp()
        if retry.due > now:
            stack.backend.clock.advance(int(retry.due - now))
        source = f"{retry.source} (Lambda retry {retry.attempt})"
        event_id = str(retry.event.get("id", ""))
        try:
            stack.invoke_function(retry.function, retry.event)
        except RejectedEvent as exc:
            return Delivery(
                source, event_id, "rejected", retry.rules, f"{retry.function}: InvalidInput: {exc}"
            )
        except Exception as exc:
            failure = f"{retry.function}: {type(exc).__name__}: {exc}"
            again = Routed(event_id=event_id, matched_rules=retry.rules, failures=[failure])
            now = stack.backend.clock.now().timestamp()
            scheduled = self.schedule(retry.source, retry.event, again, now, retry.attempt + 1)
            outcome = "retrying" if scheduled else "failed"
            return Delivery(source, event_id, outcome, retry.rules, failure)
        return Delivery(source, event_id, "ran", retry.rules)


def _scheduled_round(stack: EmbeddedStack, round_number: int) -> list[Delivery]:
    """Advance the clock by the roller's rate and fire the schedule rules; rounds that wrote nothing
    are not listed."""
    stack.backend.clock.advance(stack.app.config.roller_schedule_minutes * 60)
    writes_before = len(stack.backend.writes)
    deliveries = []
    for run in stack.run_schedule(stack.schedule_rule("roller")):
        if run.failures or len(stack.backend.writes) > writes_before:
            source = f"schedule round {round_number} at {run.event['time']}"
            outcome = "failed" if run.failures else "ran"
            detail = "; ".join(run.failures)
            deliveries.append(Delivery(source, run.event["id"], outcome, [run.rule], detail))
    return deliveries


def _location(loaded: list[tuple[str, Any]]) -> dict[str, str]:
    """The account and region most events come from: the local backend answers as that account (an
    event from elsewhere, e.g. a sample from another region, does not move the others)."""
    places = Counter(
        (str(event.get("account", "")), str(event.get("region", "")))
        for _, event in loaded
        if isinstance(event, dict) and str(event.get("account", "")).isdigit() and event.get("region")
    )
    if not places:
        return {}
    (account, region), _ = places.most_common(1)[0]
    return {"account_id": account, "region": region}


def _prepare(
    stack: EmbeddedStack,
    prepare: Callable[[EmbeddedStack], object] | None,
    files: list[Path],
    events: list[Any],
) -> None:
    if prepare is not None:
        prepare(stack)
    _script_sample_failures(stack, files, events)


def _script_sample_failures(stack: EmbeddedStack, files: list[Path], events: list[Any]) -> None:
    """A sample whose manifest entry names `failTargets` (target -> FailureReason) has those Neo
    targets' first compilation fail in the embedded account: the job the compile workflow derives for
    the version fails with that reason; a retry's job (another name) compiles."""
    from autopilot.embedded.stack import sample_failures
    from registry_autopilot.logic import naming

    config = stack.app.config
    for path, event in zip(files, events, strict=True):
        failures = sample_failures(path, event)
        detail = event.get("detail") if isinstance(event, dict) else None
        group = config.groups.get(str((detail or {}).get("ModelPackageGroupName")))
        if not failures or group is None or not isinstance(detail, dict):
            continue
        for target in group.neo_targets:
            if target.name in failures:
                job = naming.compilation_job_name(
                    str(detail["ModelPackageGroupName"]), int(detail["ModelPackageVersion"]), target
                )
                statuses = [s for s in stack.backend.compilation_jobs.default_script if s != "COMPLETED"]
                stack.backend.compilation_jobs.script(job, [*statuses, "FAILED"], failures[target.name])


def _seed(stack: EmbeddedStack, loaded: list[tuple[str, Any]], objects: dict[str, bytes]) -> None:
    """Create what the events describe and stage `objects`; an event describing a version SageMaker
    would not create stops the replay before any delivery, naming its file."""
    for name, event in sorted(loaded, key=lambda item: _version_order(item[1])):
        try:
            stack.seed_from_event(event)
        except UnseedableEvent as exc:
            raise UnseedableEvent(f"{name}: {exc}") from None
    for uri, body in objects.items():
        stack.stage_object(uri, body)
    stack.backend.clear_records()


def _version_order(event: Any) -> tuple[str, int]:
    """(group, version) of the version an event names: versions are created in order, so a sample
    about version 7 is seeded after the one about version 3 and each gets its own content."""
    detail = event.get("detail") if isinstance(event, dict) else None
    arn = detail.get("ModelPackageArn") if isinstance(detail, dict) else None
    if not isinstance(arn, str) or ":model-package/" not in arn:
        return ("", 0)
    group, _, version = arn.split(":model-package/", 1)[1].partition("/")
    return (group, int(version)) if version.isdigit() else (group, 0)


def _experiments_in_progress(stack: EmbeddedStack) -> bool:
    return any(e["status"] not in ("Completed", "Cancelled") for e in _experiments(stack))
