"""Messages to the notification topic (the only module that talks to SNS)."""

from __future__ import annotations

import json
from typing import Any

from registry_autopilot.adapters.clients import client

MAX_SUBJECT = 100  # SNS Publish: Subject must be under 100 characters


class Notifier:
    def __init__(self, topic_arn: str, sns: Any | None = None) -> None:
        self._topic_arn = topic_arn
        self._sns = sns

    def publish(self, subject: str, message: dict[str, Any]) -> None:
        (self._sns or client("sns")).publish(
            TopicArn=self._topic_arn,
            Subject=subject[: MAX_SUBJECT - 1],
            Message=json.dumps(message, indent=2, sort_keys=True, default=str),
        )

    def publish_text(self, subject: str, text: str) -> None:
        """A message written for a person (e-mail subscribers read it as it is)."""
        (self._sns or client("sns")).publish(
            TopicArn=self._topic_arn, Subject=subject[: MAX_SUBJECT - 1], Message=text
        )
