"""The stack's customer-managed KMS key, its notification topic, and alarms that publish to it."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants
from infra.checks import acknowledge

EVENTBRIDGE_DEAD_LETTERS_SID = "AllowEventBridgeDeadLetters"


class Alerting(Construct):
    """One KMS key for queues, topic and log groups, and the topic every alarm and failure reaches."""

    def __init__(self, scope: Construct, construct_id: str, *, notification_email: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.alarms: list[cloudwatch.Alarm] = []

        self.key = kms.Key(
            self,
            "Key",
            description="Registry Autopilot: encrypts its queues, notification topic and log groups",
            enable_key_rotation=True,
        )
        # CloudWatch Logs encrypts with the key only for this account's and region's log groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogs",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        # Alarms publish to the encrypted topic: CloudWatch needs the data key, which its service
        # principal gets only from the key policy.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmNotifications",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        # EventBridge sends undeliverable events to the encrypted dead-letter queues. The key policy
        # statement is the documented one for an AWS service event source and an encrypted queue
        # (Amazon SQS Developer Guide, "Configure KMS permissions for AWS services": principal
        # `<service>.amazonaws.com`, `kms:GenerateDataKey` and `kms:Decrypt`, no condition): the KMS
        # request SQS makes for EventBridge's SendMessage does not carry `aws:SourceAccount` or
        # `aws:SourceArn`, so a condition on them denies the data key and the failed event is lost.
        # Which rules may send is decided by each queue's policy (`aws:SourceArn` = the rule).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=EVENTBRIDGE_DEAD_LETTERS_SID,
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
            )
        )

        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Registry Autopilot notifications",
            master_key=self.key,
            enforce_ssl=True,
        )
        if notification_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(notification_email))

    def add_alarm(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        """Send the alarm's ALARM transitions to the notification topic (and show it on the dashboard)."""
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def dead_letter_queue(self, scope: Construct, construct_id: str) -> sqs.Queue:
        """An encrypted, SSL-only dead-letter queue that alarms as soon as anything lands in it."""
        queue = sqs.Queue(
            scope,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(constants.DLQ_RETENTION_DAYS),
        )
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue (for a Lambda or EventBridge target); it alarms "
            "when it holds a message.",
        )
        self.add_alarm(
            cloudwatch.Alarm(
                scope,
                f"{construct_id}NotEmpty",
                alarm_description=f"Registry Autopilot: a failed event is waiting in {queue.node.path}",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        return queue
