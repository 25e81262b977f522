"""The stack's KMS key lets EventBridge write failed events to the encrypted dead-letter queues.

AWS sources:
- Amazon SQS Developer Guide, "Amazon SQS Key management", "Configure KMS permissions for AWS
  services" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html):
  "Several AWS services act as event sources that can send events to Amazon SQS queues. To allow
  these event sources to work with encrypted queues, you must create a customer managed KMS key and
  add permissions in the key policy for the service to use the required AWS KMS API methods." The
  statement it gives: `"Principal": {"Service": "service.amazonaws.com"}`, `"Action":
  ["kms:GenerateDataKey", "kms:Decrypt"]`, `"Resource": "*"`, and no condition.
- AWS's own Modern Data Architecture Accelerator records the reason a source condition must not be
  copied onto the EventBridge grant: "AWS documents that aws:SourceAccount / aws:SourceArn /
  aws:SourceOrgID are not supported in a KMS policy for EventBridge delivery ... the KMS request does
  not carry those keys and every notification would be dropped silently."
- EventBridge User Guide, "Using dead-letter queues to process undelivered events", "Granting
  permissions to the dead-letter queue" (eb-rule-dlq.html): the queue policy is where EventBridge's
  request is scoped: "The `Condition` statement allows only requests that come from a rule named
  "MyTestRule"" (`ArnEquals` `aws:SourceArn` = the rule's ARN).
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs.alerting import EVENTBRIDGE_DEAD_LETTERS_SID
from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow

EVENTBRIDGE = "events.amazonaws.com"
SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resources(synthesized: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in synthesized.template["Resources"].items()
        if resource["Type"] == kind
    }


def _statements_for(principal: str, key_policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for statement in key_policy["Statement"]
        if principal in _as_list(statement.get("Principal", {}).get("Service", []))
    ]


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key.lower() for operator in statement.get("Condition", {}).values() for key in operator}


def _rule_dead_letter_queues(synthesized: Synthesized) -> dict[str, list[str]]:
    """Queue logical id -> the logical ids of the rules whose targets send failed events to it."""
    queues: dict[str, list[str]] = {}
    for rule_id, rule in _resources(synthesized, "AWS::Events::Rule").items():
        for target in rule.get("Targets", []):
            arn = target.get("DeadLetterConfig", {}).get("Arn")
            if arn is not None:
                queues.setdefault(arn["Fn::GetAtt"][0], []).append(rule_id)
    return queues


def test_the_key_lets_eventbridge_generate_and_decrypt_data_keys_without_a_source_condition(
    synthesized: Synthesized,
) -> None:
    ((key_id, key),) = _resources(synthesized, "AWS::KMS::Key").items()
    statements = _statements_for(EVENTBRIDGE, key["KeyPolicy"])

    assert [statement["Sid"] for statement in statements] == [EVENTBRIDGE_DEAD_LETTERS_SID], key_id
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert sorted(_as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert _condition_keys(statement).isdisjoint(SOURCE_KEYS), statement


def test_every_rule_dead_letter_queue_is_encrypted_with_that_key(synthesized: Synthesized) -> None:
    (key_id,) = _resources(synthesized, "AWS::KMS::Key")
    queues = _resources(synthesized, "AWS::SQS::Queue")
    dead_letter_queues = _rule_dead_letter_queues(synthesized)

    assert dead_letter_queues, "every rule target has a dead-letter queue"
    for queue_id in dead_letter_queues:
        assert queues[queue_id]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, queue_id


def test_each_rule_dead_letter_queue_accepts_eventbridge_only_from_the_rules_that_use_it(
    synthesized: Synthesized,
) -> None:
    policies = _resources(synthesized, "AWS::SQS::QueuePolicy")

    for queue_id, rule_ids in _rule_dead_letter_queues(synthesized).items():
        grants = [
            statement
            for policy in policies.values()
            if {"Ref": queue_id} in policy["Queues"]
            for statement in policy["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow"
            and EVENTBRIDGE in _as_list(statement.get("Principal", {}).get("Service", []))
        ]
        assert grants, f"{queue_id}: no queue policy lets EventBridge send to it"
        allowed_rules: set[str] = set()
        for grant in grants:
            assert _as_list(grant["Action"]) == ["sqs:SendMessage"], grant
            sources = _as_list(grant["Condition"]["ArnEquals"]["aws:SourceArn"])
            allowed_rules |= {source["Fn::GetAtt"][0] for source in sources}
        assert allowed_rules == set(rule_ids), queue_id
