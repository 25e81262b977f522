"""Events between accounts: a rule on one account's default bus forwards to another account's bus.

EventBridge User Guide, "Permissions for event buses in Amazon EventBridge": "The default event bus in
your AWS account only allows events from one account. You can grant additional permissions to an event
bus by attaching a resource-based policy to it. With a resource-based policy, you can allow PutEvents,
PutRule, and PutTargets API calls from another account." The example policy for the default bus
("Send events to the default bus in a different account") allows `events:PutEvents` for the sending
account's root principal on `arn:aws:events:REGION:ACCOUNT:event-bus/default`.

The forwarding rules are the ones deployed in the sending account (moto's EventBridge of that
account, `autopilot.embedded.deployed.deploy_template`); the receiving bus's policy is the one
deployed in the receiving account (`AWS::Events::EventBusPolicy`, PutPermission). A rule target with
a `RoleArn` sends as that role (its identity policy must allow `events:PutEvents` on the bus, and the
bus policy must admit the role or its account); without one, as the sending account.
"""

from __future__ import annotations

import json
from typing import Any

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.accounts import Caller, account_of, identity_denial, resource_denial
from autopilot.embedded.eventpattern import matches


def forwarding_rules(
    backend: LocalBackend, account: str, event: dict[str, Any], bus_arn: str
) -> list[tuple[str, str | None]]:
    """(rule name, target role) of each enabled rule on `account`'s default bus that matches `event`
    and targets `bus_arn`."""
    events = backend.client("events", account=account)
    found: list[tuple[str, str | None]] = []
    with backend.unrecorded():
        for rule in events.list_rules(EventBusName="default").get("Rules", []):
            if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                continue
            if not matches(json.loads(rule["EventPattern"]), event):
                continue
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="default").get(
                "Targets", []
            )
            found += [(str(rule["Name"]), t.get("RoleArn")) for t in targets if t.get("Arn") == bus_arn]
    return found


def bus_policy(backend: LocalBackend, bus_arn: str) -> Any:
    from moto.events.models import events_backends

    owner, region = account_of(bus_arn), bus_arn.split(":")[3]
    bus = events_backends[owner][region].event_buses.get(bus_arn.rsplit("/", 1)[-1])
    return bus.policy if bus is not None else None


def forwarding_denial(
    backend: LocalBackend, account: str, bus_arn: str, role_arn: str | None, event: dict[str, Any]
) -> str | None:
    """Why EventBridge in `account` may not put `event` on `bus_arn` (None when it may). The bus
    policy's conditions see the event's `events:source` and `events:detail-type` (EventBridge User
    Guide, "Using IAM policy conditions": "events:source" and "events:detail-type" are the keys a
    PutEvents is matched on)."""
    caller = Caller(account=account, role_arn=role_arn)
    action = "events:PutEvents"
    reason = identity_denial(caller, action, bus_arn, backend.region) if role_arn else None
    if reason is None:
        name = bus_arn.rsplit("/", 1)[-1]
        reason = resource_denial(
            caller,
            action,
            bus_arn,
            bus_policy(backend, bus_arn),
            f"resource policy of event bus {name}",
            account_of(bus_arn),
            backend.region,
            {
                "events:source": str(event.get("source", "")),
                "events:detail-type": str(event.get("detail-type", "")),
            },
        )
    if reason is None:
        return None
    return f"{caller.arn} is not authorized to perform: {action} on resource: {bus_arn} {reason}"
