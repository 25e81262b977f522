"""Shadow tests: start one per Approved version; roll every owned one along its plan each round.

Reads current state before every write (events arrive late and twice), decides with pure logic
(`logic.shadow`, `logic.rollout`) and writes only what changes.

Supersede: when a version is approved while an older owned experiment still runs on the same endpoint,
the older one is concluded first (StopInferenceExperiment: production Retain, its shadow Remove,
DesiredState Cancelled) and 'superseded by <group> v<n>' is recorded on its version; then the new
experiment starts. An approval of a version older than the one being tested starts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from registry_autopilot.adapters.experiments import (
    ExperimentConflict,
    ExperimentNotFound,
    ExperimentRefused,
    InferenceExperiments,
    completed_before,
    stopped_by_us,
)
from registry_autopilot.adapters.hosting import Hosting
from registry_autopilot.adapters.metrics import VariantMetrics
from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.logic import accounts, model_card, rollout
from registry_autopilot.logic import shadow as logic
from registry_autopilot.models.config import ShadowConfig
from registry_autopilot.models.events import ModelPackageStateChangeEvent
from registry_autopilot.models.shadow import (
    STOP_REASON_PREFIX,
    UPDATABLE_STATUSES,
    ExperimentRound,
    ExperimentView,
    HealthReading,
    RollResult,
    StartResult,
)
from registry_autopilot.observability import CustomMetric, count, logger
from registry_autopilot.settings import Settings
from registry_autopilot.usecases.model_card import write_card

# A terminal experiment is looked at (to record an outcome nobody recorded) for this long after it ended.
RECORD_WINDOW = timedelta(days=1)


class SupersedeBlocked(RuntimeError):
    """An older experiment on the endpoint is in a status StopInferenceExperiment cannot act on yet;
    the invocation fails so Lambda retries it (then the dead-letter queue)."""


@dataclass(frozen=True)
class ShadowPorts:
    experiments: InferenceExperiments
    hosting: Hosting
    registry: SageMakerRegistry
    metrics: VariantMetrics
    notifier: Notifier
    # The ports of the endpoints in another account (docs/ACCOUNTS.md); None: one account only.
    elsewhere: Callable[[str], ShadowPorts] | None = None

    def in_account(self, account: str | None) -> ShadowPorts:
        """The ports for endpoints in `account` (None: the automation account's, these)."""
        if account is None or self.elsewhere is None:
            return self
        return self.elsewhere(account)


def _owned(ports: ShadowPorts, owner: str, now: datetime) -> list[ExperimentView]:
    found: list[ExperimentView] = []
    for summary in ports.experiments.summaries(logic.PREFIX):
        # Ended long ago, or concluded by us (outcome already recorded): not worth a describe each round.
        if completed_before(summary, now - RECORD_WINDOW) or stopped_by_us(summary):
            continue
        experiment = ports.experiments.describe(summary["Name"])
        if experiment is not None and experiment.tags.get(logic.OWNER_TAG_KEY) == owner:
            found.append(experiment)
    return found


def default_ports(settings: Settings, account: str | None = None) -> ShadowPorts:
    """The ports of the endpoints in `account` (None: the automation account): experiments, models and
    metrics there, as its access role; the versions' records in their own accounts (docs/ACCOUNTS.md)."""
    role = settings.access.role_for(account)
    return ShadowPorts(
        experiments=InferenceExperiments(role_arn=role),
        hosting=Hosting(role_arn=role),
        registry=SageMakerRegistry(access=settings.access),
        metrics=VariantMetrics(role_arn=role),
        notifier=Notifier(settings.notification_topic_arn),
        elsewhere=None if account is not None else (lambda other: default_ports(settings, other)),
    )


def endpoint_accounts(settings: Settings) -> list[str | None]:
    """Where the roller looks for experiments: the automation account, then every endpoint account."""
    return [None, *settings.config.endpoint_accounts()]


def _endpoint_ports(ports: ShadowPorts, settings: Settings, group: str) -> ShadowPorts:
    account = settings.config.endpoint_account(group)
    return ports.in_account(account if settings.access.role_for(account) else None)


def experiment_role(settings: Settings, group: str) -> str | None:
    """The role a group's shadow models and experiment run with: the configured (or stack's) one in the
    automation account, the companion's shadow role in another endpoint account."""
    account = settings.config.endpoint_account(group)
    if settings.access.role_for(account) is None or account is None:
        return settings.config.experiment_role_arn
    return accounts.role_arn(
        settings.access.partition, account, accounts.shadow_role_name(settings.config.stack_name)
    )


# -- start -------------------------------------------------------------------------------------------
def _supersede(
    ports: ShadowPorts, older: ExperimentView, group: str, version: int, settings: Settings, *, now: datetime
) -> None:
    if older.status not in UPDATABLE_STATUSES:
        if older.status == "Stopping":
            return
        raise SupersedeBlocked(f"{older.name} is {older.status}; it can be concluded once Created or Running")
    reason = f"superseded by {group} v{version}"
    version_arn = older.tags.get(logic.VERSION_TAG_KEY)
    older_group = settings.config.group(older.tags.get(logic.GROUP_TAG_KEY, ""))
    older_shadow = older_group.shadow if older_group else None
    if version_arn:
        status = older_shadow.lifecycle.superseded_status if older_shadow and older_shadow.lifecycle else None
        request = logic.outcome_request(
            version_arn, older.name, "SUPERSEDED", reason, shadow=older_shadow, lifecycle_status=status
        )
        _record(
            ports, request, experiment=older.name, outcome="SUPERSEDED", reason=reason, health=None, now=now
        )
    ports.experiments.stop(
        rollout.stop_request(older, "Remove", "Cancelled", f"{STOP_REASON_PREFIX}{reason}")
    )


def _refuse(ports: ShadowPorts, refusal: logic.Refusal) -> StartResult:
    """Record why the version cannot be shadow-tested and notify, once: the record's own state-change
    event comes back here, finds the refusal recorded and writes nothing. Returns normally, so nothing
    is retried (AWS would refuse the same request again)."""
    if refusal.recorded:
        return refusal.result
    # Notified before the record: a failed write is retried and notifies again, never not at all.
    ports.notifier.publish(subject=refusal.subject, message=refusal.result.model_dump(mode="json"))
    ports.registry.update_model_package(refusal.record)
    count(CustomMetric.SHADOW_TESTS_INELIGIBLE)
    return refusal.result


def start(
    change: ModelPackageStateChangeEvent, ports: ShadowPorts, settings: Settings, now: datetime
) -> StartResult:
    detail = change.detail
    arn, group, number = detail.ModelPackageArn, detail.ModelPackageGroupName, detail.ModelPackageVersion
    group_config = settings.config.group(group)
    shadow = group_config.shadow if group_config else None
    role = experiment_role(settings, group) if group_config else None
    if shadow is None or role is None:
        return StartResult(model_package_arn=arn, started=False, reason=f"group {group!r} has no shadow test")
    foreign = accounts.foreign_version(settings.config.registry_account(group), arn)
    if foreign is not None:
        return StartResult(model_package_arn=arn, started=False, reason=foreign)
    ports = _endpoint_ports(ports, settings, group)
    version = ports.hosting.describe_version(arn)
    if version.ModelApprovalStatus != "Approved":
        return StartResult(
            model_package_arn=arn, started=False, reason=f"the version is {version.ModelApprovalStatus} now"
        )
    name = logic.experiment_name(group, number, shadow.endpoint_name)
    existing = ports.experiments.status(name)
    if existing is not None:
        return StartResult(
            model_package_arn=arn,
            started=False,
            experiment=name,
            reason=f"already started ({existing})",
        )
    active = [
        experiment
        for experiment in _owned(ports, settings.config.stack_name, now)
        if experiment.endpoint_name == shadow.endpoint_name and not experiment.is_terminal
    ]
    newer = logic.newer_experiment(active, group, number)
    if newer is not None:
        return StartResult(
            model_package_arn=arn,
            started=False,
            reason=f"a newer version is being shadow-tested on {shadow.endpoint_name} ({newer.name})",
        )
    endpoint = ports.hosting.endpoint(shadow.endpoint_name)
    plan = logic.plan_start(
        logic.StartEvidence(
            model_package_arn=arn,
            group=group,
            version_number=number,
            version=version,
            shadow=shadow,
            endpoint=endpoint,
            active=tuple(active),
            owner=settings.config.stack_name,
            role_arn=role,
            now=now,
        )
    )
    # Refused before anything is written: the older experiment keeps running.
    if isinstance(plan, logic.Refusal):
        return _refuse(ports, plan)
    for older in plan.supersede:
        _supersede(ports, older, group, number, settings, now=now)
    # Created, or made by an earlier attempt: either way the model is there (no describe first).
    ports.hosting.create_model(plan.create_model)
    try:
        created = ports.experiments.create(plan.create_experiment)
    except ExperimentRefused as exc:
        reasons = [f"SageMaker refused the experiment: {exc}"]
        return _refuse(ports, logic.refusal(version, plan.experiment, shadow, reasons))
    if created:
        ports.registry.update_model_package(plan.started_record)
    return plan.result(created)


def _record(
    ports: ShadowPorts,
    request: dict[str, Any],
    *,
    experiment: str,
    outcome: str,
    reason: str,
    health: HealthReading | None,
    now: datetime,
) -> None:
    """Record the shadow test's outcome on the version, then its conclusion on the model card
    (docs/AUDIT.md) in a call of its own: a refused card never takes the outcome with it."""
    version = ports.registry.describe_model_package(request["ModelPackageArn"])
    card = model_card.shadow_card(
        version,
        experiment=experiment,
        outcome=outcome,
        reason=reason,
        health=health,
        concluded_at=now.strftime(rollout.TIMESTAMP_FORMAT),
    )
    ports.registry.update_model_package(request)
    if card.model_card is not None:
        together, apart = model_card.card_requests(request["ModelPackageArn"], card.model_card)
        write_card(ports.registry, ports.notifier, (together, apart), what="the shadow test's outcome")


# -- roll --------------------------------------------------------------------------------------------
def _record_if_missing(
    ports: ShadowPorts, experiment: ExperimentView, shadow: ShadowConfig | None, now: datetime
) -> ExperimentRound:
    version_arn = experiment.tags.get(logic.VERSION_TAG_KEY)
    if not version_arn:
        return ExperimentRound(
            experiment=experiment.name, status=experiment.status, outcome="unchanged", reason="no version tag"
        )
    version = ports.hosting.describe_version(version_arn)
    if logic.recorded_outcome(version.CustomerMetadataProperties, experiment.name) is not None:
        return ExperimentRound(
            experiment=experiment.name,
            status=experiment.status,
            outcome="unchanged",
            reason="outcome recorded",
        )
    status = experiment.status.upper()
    reason = f"experiment ended {experiment.status} without the roller concluding it"
    lifecycle = shadow.lifecycle.incomplete_status if shadow and shadow.lifecycle else None
    request = logic.outcome_request(
        version_arn, experiment.name, status, reason, shadow=shadow, lifecycle_status=lifecycle
    )
    _record(ports, request, experiment=experiment.name, outcome=status, reason=reason, health=None, now=now)
    return ExperimentRound(
        experiment=experiment.name, status=experiment.status, outcome="recorded", reason=reason
    )


def _conclude(
    ports: ShadowPorts,
    experiment: ExperimentView,
    shadow: ShadowConfig,
    decision: rollout.Decision,
    *,
    health: HealthReading | None,
    now: datetime,
) -> dict[str, Any]:
    conclusion = decision.conclusion
    assert conclusion is not None
    version_arn = experiment.tags.get(logic.VERSION_TAG_KEY)
    if version_arn:
        lifecycle = shadow.lifecycle
        status = None
        if lifecycle is not None:
            status = (
                lifecycle.completed_status
                if conclusion.outcome == "completed"
                else lifecycle.incomplete_status
            )
        text = f"{decision.reason}; shadow variant {conclusion.shadow_action}"
        # Recorded before the stop: if the stop is refused, the next round repeats both (same values).
        request = logic.outcome_request(
            version_arn,
            experiment.name,
            conclusion.outcome.upper(),
            text,
            shadow=shadow,
            lifecycle_status=status,
        )
        _record(
            ports,
            request,
            experiment=experiment.name,
            outcome=conclusion.outcome.upper(),
            reason=text,
            health=health,
            now=now,
        )
    request = rollout.stop_request(
        experiment,
        conclusion.shadow_action,
        conclusion.desired_state,
        conclusion.reason,
        promotion=shadow.promotion_capacity,
    )
    ports.experiments.stop(request)
    return {key: value for key, value in request.items() if key not in {"Name", "Reason"}}


def _roll_one(
    ports: ShadowPorts, experiment: ExperimentView, settings: Settings, now: datetime
) -> ExperimentRound:
    group = settings.config.group(experiment.tags.get(logic.GROUP_TAG_KEY, ""))
    shadow = group.shadow if group else None
    if experiment.is_terminal:
        return _record_if_missing(ports, experiment, shadow, now)
    if shadow is None:
        return ExperimentRound(
            experiment=experiment.name,
            status=experiment.status,
            outcome="skipped",
            reason="its group no longer configures shadow tests; left as it is",
        )
    period = settings.config.roller_schedule_minutes
    health = None
    if shadow.health_gates is not None and experiment.status == "Running":
        health = ports.metrics.read(
            experiment.endpoint_name,
            experiment.source_variant,
            experiment.shadow_variant,
            now,
            timedelta(minutes=period),
        )
    decision = rollout.decide(shadow, experiment, health, now, period)
    if decision.action == "update" and decision.update is not None:
        request = rollout.update_request(experiment, decision.update)
        ports.experiments.update(request)
        changes = {key: value for key, value in request.items() if key != "Name"}
        return ExperimentRound(
            experiment=experiment.name,
            status=experiment.status,
            outcome="updated",
            reason=decision.reason,
            changes=changes,
        )
    if decision.action == "conclude":
        changes = _conclude(ports, experiment, shadow, decision, health=health, now=now)
        return ExperimentRound(
            experiment=experiment.name,
            status=experiment.status,
            outcome="concluded",
            reason=decision.reason,
            changes=changes,
        )
    outcome = "skipped" if decision.action == "skip" else "unchanged"
    return ExperimentRound(
        experiment=experiment.name, status=experiment.status, outcome=outcome, reason=decision.reason
    )


def roll(ports: ShadowPorts, settings: Settings, now: datetime) -> RollResult:
    rounds: list[ExperimentRound] = []
    failures = 0
    owned: list[tuple[ShadowPorts, ExperimentView]] = []
    for account in endpoint_accounts(settings):
        here = ports.in_account(account)
        try:
            owned += [(here, experiment) for experiment in _owned(here, settings.config.stack_name, now)]
        except Exception as exc:  # one account out of reach never stops the others
            if account is None:
                raise
            failures += 1
            logger.exception("roller could not list an account's experiments", extra={"account": account})
            rounds.append(
                ExperimentRound(
                    experiment=f"(account {account})", outcome="failed", reason=f"{type(exc).__name__}: {exc}"
                )
            )
    for here, experiment in owned:
        try:
            rounds.append(_roll_one(here, experiment, settings, now))
        except ExperimentConflict as exc:
            rounds.append(
                ExperimentRound(
                    experiment=experiment.name,
                    outcome="conflict",
                    reason=f"status changed under us; next round ({exc})",
                )
            )
        except ExperimentNotFound:
            rounds.append(
                ExperimentRound(experiment=experiment.name, outcome="dropped", reason="no longer exists")
            )
        except Exception as exc:  # one experiment's failure never stops the others
            failures += 1
            logger.exception("roller failed on an experiment", extra={"experiment": experiment.name})
            rounds.append(
                ExperimentRound(
                    experiment=experiment.name, outcome="failed", reason=f"{type(exc).__name__}: {exc}"
                )
            )
    result = RollResult(experiments=rounds, failures=failures)
    count(CustomMetric.ROLLER_EXPERIMENT_FAILURES, failures)
    if failures:
        ports.notifier.publish(
            subject=f"Registry Autopilot: shadow roller failed on {failures} experiment(s)",
            message=result.model_dump(mode="json"),
        )
    logger.info("roller round", extra={"result": result.model_dump(mode="json")})
    return result
