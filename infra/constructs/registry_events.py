"""EventBridge rules on the default bus for model package state changes in the watched groups.

Only AWS services can put events with an `aws.` source on the default bus, so these patterns cannot
be triggered by a forged PutEvents call.

The patterns list the watched groups by name, or, with `groupNamePrefix`, match them by prefix
(EventBridge content filtering, "Prefix matching"): the pattern's length then does not grow with the
groups. A matched group the configuration does not list is skipped by the functions.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import constants
from infra.accounts import AccountPlan
from infra.constructs.alerting import Alerting
from registry_autopilot.models.config import AutopilotConfig


def _state_change_pattern(
    groups: list[Any], accounts: list[str] | None, **detail: list[str]
) -> events.EventPattern:
    """`accounts`: in a multi-account configuration, the accounts whose events the rule accepts (the
    automation account's own and those the registry accounts forward); None: any (the bus's own)."""
    return events.EventPattern(
        source=[constants.EVENT_SOURCE],
        detail_type=[constants.EVENT_DETAIL_TYPE],
        account=accounts,
        detail={"ModelPackageGroupName": groups, **detail},
    )


def watched_groups(names: list[str], prefix: str | None) -> list[Any]:
    """The `ModelPackageGroupName` values a pattern matches: the names, or one prefix filter."""
    return [{"prefix": prefix}] if prefix is not None else sorted(names)


class RegistryEvents(Construct):
    """(a) a version registered -> the compile workflow; (b) a version approved -> shadow tests."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AutopilotConfig,
        compile_state_machine: sfn.IStateMachine,
        alerting: Alerting,
    ) -> None:
        super().__init__(scope, construct_id)
        # One DLQ for every rule target: an event EventBridge could not deliver after its retries.
        self.dead_letter_queue: sqs.Queue = alerting.dead_letter_queue(self, "TargetDeadLetters")
        self.patterns: dict[str, dict[str, Any]] = {}

        # Multi-account: events forwarded from the registry accounts arrive on this bus with their own
        # `account`; the rules accept exactly the accounts that hold watched groups.
        accounts = AccountPlan(config).event_accounts() if config.other_accounts() else None
        registered = _state_change_pattern(
            watched_groups(list(config.groups), config.group_name_prefix),
            accounts,
            ModelPackageStatus=["Completed"],
            ModelApprovalStatus=["PendingManualApproval"],
        )
        self.version_registered = events.Rule(
            self,
            "VersionRegistered",
            description="A model version registered in a watched group: compile it with Neo",
            event_pattern=registered,
        )
        self.version_registered.add_target(
            targets.SfnStateMachine(compile_state_machine, **self.delivery_options())
        )
        self.patterns["version-registered"] = _as_json(registered)

        self.shadowed_groups = sorted(name for name, group in config.groups.items() if group.shadow)
        self.version_approved: events.Rule | None = None
        if self.shadowed_groups:
            # Only a version that exists and is usable starts a shadow test: `Completed` ("The model
            # package was successfully created"), not `Deleting`, `Failed`, `Pending` or `InProgress`
            # (SageMaker API Reference, ModelPackage.ModelPackageStatus). Approval alone is not enough.
            approved = _state_change_pattern(
                watched_groups(self.shadowed_groups, config.group_name_prefix),
                accounts,
                ModelPackageStatus=["Completed"],
                ModelApprovalStatus=["Approved"],
            )
            self.version_approved = events.Rule(
                self,
                "VersionApproved",
                description="A model version approved in a group with shadow tests: start one",
                event_pattern=approved,
            )
            self.patterns["version-approved"] = _as_json(approved)

    def delivery_options(self) -> dict[str, Any]:
        """Keyword arguments every rule target uses: bounded retries, then the shared DLQ."""
        return {
            "dead_letter_queue": self.dead_letter_queue,
            "retry_attempts": constants.ASYNC_RETRY_ATTEMPTS,
            "max_event_age": Duration.hours(constants.ASYNC_MAX_EVENT_AGE_HOURS),
        }

    def add_approved_target(self, target: events.IRuleTarget) -> None:
        """Wire the shadow capability's target (built with `delivery_options()`)."""
        if self.version_approved is None:
            raise ValueError("no group configures 'shadow', so there is no version-approved rule")
        self.version_approved.add_target(target)


def _as_json(pattern: events.EventPattern) -> dict[str, Any]:
    """The pattern as it appears in the template (CloudFormation's spelling of the keys)."""
    spelled: dict[str, Any] = {
        "source": list(pattern.source or []),
        "detail-type": list(pattern.detail_type or []),
    }
    if pattern.account:
        spelled["account"] = list(pattern.account)
    spelled["detail"] = dict(pattern.detail or {})
    return spelled
