"""CloudFormation's read side for stacks deployed locally (moto's CloudFormation needs packages we
do not install, and the local stack is not created through it).

`LocalDeployments.add` records a stack as `cdk deploy` would leave it (resources by logical id with
their physical ids, outputs); DescribeStacks and DescribeStackResources answer from it. An unknown
stack answers `ValidationError` "Stack with id NAME does not exist", as CloudFormation does
(AWS CloudFormation API Reference, DescribeStacks: "ValidationError ... Stack with id ... does not
exist" is the error the CLI shows for a stack that is not deployed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autopilot.embedded.backend._wire import AwsError


@dataclass
class StackRecord:
    name: str
    stack_id: str
    created: datetime
    resources: dict[str, tuple[str, str]]  # logical id -> (type, physical id)
    outputs: dict[str, str] = field(default_factory=dict)
    status: str = "CREATE_COMPLETE"
    tags: dict[str, str] = field(default_factory=dict)  # the stack's tags (`cdk deploy --tags`)
    account: str = ""  # the account it is deployed in ("": the backend's own)


class LocalDeployments:
    """The stacks of every account; each account's CloudFormation sees its own only."""

    def __init__(self, home: str = "") -> None:
        self.home = home
        self._stacks: dict[tuple[str, str], StackRecord] = {}

    def add(self, record: StackRecord) -> None:
        self._stacks[(record.account or self.home, record.name)] = record

    def records(self, account: str | None = None) -> list[StackRecord]:
        wanted = account or self.home
        return [r for (owner, _), r in self._stacks.items() if owner == wanted]

    def tag(self, name: str, tags: dict[str, str]) -> None:
        """The tags `cdk deploy --tags` puts on a stack (and CloudFormation on its resources)."""
        self._find(name).tags.update(tags)

    def outputs(self, name: str) -> dict[str, str]:
        return self._find(name).outputs

    def resources(self, name: str) -> dict[str, tuple[str, str]]:
        return self._find(name).resources

    def _find(self, name: str | None, account: str | None = None) -> StackRecord:
        for record in self.records(account):
            if name in (record.name, record.stack_id):
                return record
        raise AwsError("ValidationError", f"Stack with id {name} does not exist")

    def describe_stacks(self, params: dict[str, Any], account: str | None = None) -> dict[str, Any]:
        records = (
            [self._find(params["StackName"], account)] if params.get("StackName") else self.records(account)
        )
        return {
            "Stacks": [
                {
                    "StackName": r.name,
                    "StackId": r.stack_id,
                    "CreationTime": r.created,
                    "StackStatus": r.status,
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in sorted(r.outputs.items())],
                    "Tags": [{"Key": k, "Value": v} for k, v in sorted(r.tags.items())],
                }
                for r in records
            ]
        }

    def delete_stack(self, params: dict[str, Any], account: str | None = None) -> dict[str, Any]:
        """DeleteStack: the stack and its resources go. CloudFormation API Reference, DeleteStack:
        "Deletes a specified stack. Once the call completes successfully, stack deletion starts.
        Deleted stacks don't show up in the DescribeStacks operation if the deletion has been
        completed successfully." A name that matches no stack is not an error here (the safe
        reading: deleting twice is idempotent; docs/FIDELITY.md)."""
        name = params.get("StackName")
        for key, record in list(self._stacks.items()):
            if key[0] == (account or self.home) and name in (record.name, record.stack_id):
                del self._stacks[key]
        return {}

    def describe_stack_resources(self, params: dict[str, Any], account: str | None = None) -> dict[str, Any]:
        record = self._find(params.get("StackName"), account)
        return {
            "StackResources": [
                {
                    "StackName": record.name,
                    "StackId": record.stack_id,
                    "LogicalResourceId": logical_id,
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "Timestamp": record.created,
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for logical_id, (kind, physical) in sorted(record.resources.items())
            ]
        }
