"""In a registry account: forward the watched groups' state changes to the automation account's bus.

EventBridge (User Guide, "Permissions for event buses"): "We recommend always using IAM roles when the
target of a rule is an event bus." The rule's target therefore has its own role, allowed
`events:PutEvents` on the automation account's default bus and nothing else; the automation stack's bus
policy admits this account (infra/constructs/cross_account.py). Delivery failures go to a dead-letter
queue, encrypted with the companion's key, whose alarm publishes to the companion's notification topic
(the same `Alerting` as the automation stack's, `notificationEmail` subscribed).

The pattern matches what the automation stack's rules can act on: source aws.sagemaker, the state-change
detail type, a `Completed` version of a watched group of this account (by name, or by groupNamePrefix).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import constants
from infra.constructs.alerting import Alerting
from infra.constructs.registry_events import watched_groups


def default_bus_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:events:{region}:{account}:event-bus/default"


def forwarding_pattern(groups: list[str], prefix: str | None) -> dict[str, Any]:
    return {
        "source": [constants.EVENT_SOURCE],
        "detail-type": [constants.EVENT_DETAIL_TYPE],
        "detail": {
            "ModelPackageGroupName": watched_groups(groups, prefix),
            "ModelPackageStatus": ["Completed"],
        },
    }


class EventForwarding(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        automation: str,
        groups: list[str],
        prefix: str | None,
        alerting: Alerting,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        bus_arn = default_bus_arn(stack.partition, stack.region, automation)
        self.pattern = forwarding_pattern(groups, prefix)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Registry Autopilot: EventBridge forwards model package state changes with this role",
        )  # the target grants it events:PutEvents on the automation account's bus, and nothing else
        # Encrypted with this stack's key (its policy admits EventBridge's dead letters); the queue alarms
        # to this account's notification topic (`notificationEmail` subscribes to it).
        self.dead_letter_queue = alerting.dead_letter_queue(self, "DeadLetters")
        self.rule = events.Rule(
            self,
            "Rule",
            description="Forwards watched groups' model package state changes to Registry Autopilot",
            event_pattern=events.EventPattern(
                source=self.pattern["source"],
                detail_type=self.pattern["detail-type"],
                detail=self.pattern["detail"],
            ),
        )
        self.rule.add_target(
            targets.EventBus(
                events.EventBus.from_event_bus_arn(self, "AutomationBus", bus_arn),
                role=self.role,
                dead_letter_queue=self.dead_letter_queue,
            )
        )
