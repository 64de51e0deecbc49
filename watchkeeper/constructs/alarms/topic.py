"""The alarm topic: one SNS topic per service, encrypted with a customer-managed key.

CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key
(``alias/aws/sns``): its policy cannot be changed to let CloudWatch use it. So the topic gets
its own KMS key (rotation on) whose policy lets ``cloudwatch.amazonaws.com`` generate data
keys and decrypt, for alarms of this account only (``aws:SourceAccount``). The topic policy
refuses anything but TLS and lets CloudWatch alarms of this account publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_sqs as sqs  # imported where used: only with email subscribers

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


def create_alarm_topic(scope: Construct, service: str) -> tuple[sns.Topic, kms.Key]:
    stack = cdk.Stack.of(scope)
    key = kms.Key(
        scope,
        "AlarmTopicKey",
        description=f"Encrypts the alarm topic of service {service} (watchkeeper)",
        enable_key_rotation=True,
    )
    source_account = {"StringEquals": {"aws:SourceAccount": stack.account}}
    key.add_to_resource_policy(iam.PolicyStatement(
        sid="AllowCloudWatchAlarmsToUseTheKey",
        principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        resources=["*"],
        conditions=source_account,
    ))
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        topic_name=f"{service}-alarms",
        display_name=f"{service} alarms",
        master_key=key,
        enforce_ssl=True,
    )
    topic.add_to_resource_policy(iam.PolicyStatement(
        sid="AllowCloudWatchAlarmsToPublish",
        principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={
            **source_account,
            "ArnLike": {"aws:SourceArn": (
                f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*")},
        },
    ))
    return topic, key


def create_delivery_dlq(scope: Construct, service: str, topic_arn: str,
                        key: kms.IKey | None) -> sqs.Queue:
    """Dead-letter queue of the email subscriptions: notifications SNS could not deliver
    after its retries are kept for 14 days instead of being lost (and alarmed on).

    The queue redrives to an archive queue after 10 receives: whoever replays failed
    notifications from it cannot loop on a poison message, and every queue has a
    dead-letter queue (AwsSolutions-SQS3, Serverless-SQSRedrivePolicy).
    """
    from aws_cdk import aws_sqs as sqs

    encryption = sqs.QueueEncryption.KMS if key is not None else sqs.QueueEncryption.SQS_MANAGED
    archive = sqs.Queue(
        scope, "AlarmDeliveryArchive", queue_name=f"{service}-alarm-delivery-archive",
        encryption=encryption, encryption_master_key=key, enforce_ssl=True,
        retention_period=cdk.Duration.days(14),
    )
    # The last queue of any dead-letter chain has no redrive policy by definition; this
    # rule flags every queue without one, so it is acknowledged here and only here.
    cdk.Validations.of(archive).acknowledge(cdk.Acknowledgment(
        id="Serverless::Serverless-SQSRedrivePolicy",
        reason="The archive is the end of the alarm-delivery dead-letter chain: a dead-letter "
               "queue of it would only move the same messages one queue further.",
    ))
    queue = sqs.Queue(
        scope,
        "AlarmDeliveryDlq",
        queue_name=f"{service}-alarm-delivery-dlq",
        encryption=encryption,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=cdk.Duration.days(14),
        dead_letter_queue=sqs.DeadLetterQueue(queue=archive, max_receive_count=10),
    )
    queue.add_to_resource_policy(iam.PolicyStatement(
        sid="AllowAlarmTopicRedrive",
        principals=[iam.ServicePrincipal("sns.amazonaws.com")],
        actions=["sqs:SendMessage"],
        resources=[queue.queue_arn],
        conditions={"ArnEquals": {"aws:SourceArn": topic_arn}},
    ))
    if key is not None:
        # aws:SourceAccount, not the topic ARN: the topic already refers to the key, and
        # a key policy naming the topic would make a circular reference.
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowSnsToRedriveToTheDeliveryDlq",
            principals=[iam.ServicePrincipal("sns.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
        ))
    return queue


def subscribe_emails(scope: Construct, topic_arn: str, emails: Sequence[str],
                     dlq_arn: str) -> None:
    redrive = {"deadLetterTargetArn": dlq_arn}
    for index, email in enumerate(emails):
        sns.CfnSubscription(scope, f"AlarmEmail{index}", topic_arn=topic_arn,
                            protocol="email", endpoint=email, redrive_policy=redrive)


def connect_slack(scope: Construct, service: str, topic: sns.ITopic, workspace_id: str,
                  channel_id: str) -> Any:
    """AWS Chatbot posts the topic's notifications to a Slack channel.

    The channel's guardrail is CloudWatch read-only access: people in the channel can look
    at alarms and metrics, nothing else.
    """
    from aws_cdk import aws_chatbot as chatbot  # only when Slack is asked for

    return chatbot.SlackChannelConfiguration(
        scope,
        "AlarmSlackChannel",
        slack_channel_configuration_name=f"{service}-alarms",
        slack_workspace_id=workspace_id,
        slack_channel_id=channel_id,
        notification_topics=[topic],
        guardrail_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchReadOnlyAccess")
        ],
    )
