"""SNS topics: discovery, target record, alarms (AWS/SNS, dimension TopicName) and
dashboard panels.

Every topic gets AWS's recommended alarm on failed notifications. What its subscriptions
(``sns.Subscription`` / ``CfnSubscription`` of the stack) use adds the rest: a filter
policy the filtered-out-as-invalid alarms, a redrive policy the redrive alarms (and marks
the queue it names as a dead-letter queue), an ``sms`` subscription the account's SMS
success rate. watchkeeper's own alarm topic, and a topic given as ``AlarmOptions(topic=)``,
are never monitored: an alarm on the topic that delivers alarms could not notify through it.

Sources: the metrics and their dimensions are SNS's ("Monitoring Amazon SNS topics using
CloudWatch", https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html):
the topic metrics by ``TopicName``; ``SMSSuccessRate`` by ``Country`` and ``SMSType``
(the console's "Country, SMS Type" group; aws-cdk-lib's generated SNS metric catalogue gives
it those two dimensions and no other), never per topic. The windows (1-minute periods, 5 of
5, missing data not breaching) are those of AWS's "Recommended alarms" page, Amazon SNS
section:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import GT, LT, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal

NAMESPACE = "AWS/SNS"
KIND = "topic"
#: The subscription protocol that makes a topic carry the SMS alarm.
SMS_PROTOCOL = "sms"
#: ``FilterPolicyScope`` values, and the check each one's invalid messages feed.
_FILTER_CHECKS = {"MessageAttributes": "filtered_invalid_attributes",
                  "MessageBody": "filtered_invalid_message_body"}


@dataclass
class TopicTarget:
    key: str
    label: str
    #: The TopicName dimension (a literal name, or ``Fn::GetAtt <topic>.TopicName``).
    topic_name: str
    topic: Any
    #: What the stack's subscriptions to this topic use (filled at synth).
    protocols: tuple[str, ...] = ()
    filter_scopes: frozenset[str] = frozenset()
    #: A subscription has a redrive policy (SNS then publishes the redrive metrics).
    has_redrive_policy: bool = False
    #: A subscription's dead-letter queue is not a queue this service monitors.
    has_unmonitored_dead_letter_queue: bool = False
    #: This topic carries the account-wide SMS success-rate alarm (one per service).
    carries_sms_alarm: bool = False
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def _check(name: str, title: str, metric: str, threshold: float, severity: str, unit: str,
           when: str, evaluation_periods: int = 5, **extra: Any) -> Check:
    # AWS's recommended SNS alarms: 1-minute periods, 5 of 5, missing data is no traffic.
    return Check(kind=KIND, name=name, title=title, metric=metric, statistic="Sum",
                 threshold=threshold, comparison=GT, period=60,
                 evaluation_periods=evaluation_periods, datapoints_to_alarm=evaluation_periods,
                 treat_missing_data="notBreaching", severity=severity, category="operational",
                 unit=unit, query=schema.QueryName.RECENT_ERRORS, when=when, **extra)


FAILED_NOTIFICATIONS = _check(
    "failed_notifications", "notifications failed (check the subscribers' endpoints and "
    "permissions, and the topic's delivery status logs)", "NumberOfNotificationsFailed", 0,
    "critical", "notifications per minute", "always")
FILTERED_INVALID_ATTRIBUTES = _check(
    "filtered_invalid_attributes", "messages filtered out for invalid attributes (a "
    "publisher sends malformed message attributes, or a filter policy is wrong)",
    "NumberOfNotificationsFilteredOut-InvalidAttributes", 0, "warning",
    "messages per minute", "a subscription has a filter policy on message attributes")
FILTERED_INVALID_MESSAGE_BODY = _check(
    "filtered_invalid_message_body", "messages filtered out for an invalid body (a "
    "publisher sends a body that is not JSON, or a filter policy is wrong)",
    "NumberOfNotificationsFilteredOut-InvalidMessageBody", 0, "warning",
    "messages per minute", "a subscription has a filter policy on the message body")
REDRIVEN_TO_DLQ = _check(
    "redriven_to_dlq", "notifications moved to a dead-letter queue (find why the "
    "subscriber refused them, then redrive the queue)", "NumberOfNotificationsRedrivenToDlq",
    0, "critical", "notifications per minute",
    "a subscription has a dead-letter queue that this service does not monitor (a monitored "
    "one alarms at its first message: `queue.dlq_messages`)")
FAILED_TO_REDRIVE = _check(
    "failed_to_redrive", "notifications that could not be moved to the dead-letter queue "
    "(check that the queue exists and that its policy, and its key's, let SNS send)",
    "NumberOfNotificationsFailedToRedriveToDlq", 0, "critical", "notifications per minute",
    "a subscription has a dead-letter queue")
#: SNS publishes SMSSuccessRate per Country and SMSType only: no series without those
#: dimensions exists to alarm on, and the countries an app sends to are not known at synth.
#: A Metrics Insights query averages every series of the account and Region (Metrics
#: Insights alarms read the last 3 hours, at most 10,000 metrics).
SMS_SUCCESS_QUERY = 'SELECT AVG(SMSSuccessRate) FROM SCHEMA("AWS/SNS", Country, SMSType)'
SMS_SUCCESS_RATE = Check(
    kind=KIND, name="sms_success_rate",
    title="SMS deliveries failing (the account's; see the SMS delivery status logs)",
    metric="SMSSuccessRate (every Country and SMSType)", statistic="Average", threshold=0.9,
    comparison=LT, period=60, evaluation_periods=5, datapoints_to_alarm=5,
    treat_missing_data="notBreaching", severity="warning", category="operational",
    unit="share of SMS deliveries (0-1)", query=schema.QueryName.RECENT_ERRORS, maximum=1,
    when="a subscription uses sms (one alarm per service: SNS publishes SMSSuccessRate per "
         "Country and SMSType, not per topic)")
CHECKS: tuple[Check, ...] = (FAILED_NOTIFICATIONS, FILTERED_INVALID_ATTRIBUTES,
                             FILTERED_INVALID_MESSAGE_BODY, REDRIVEN_TO_DLQ, FAILED_TO_REDRIVE,
                             SMS_SUCCESS_RATE)


def plan_topic(target: TopicTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("TopicName", target.topic_name),)
    plans = []
    for check, condition in (
        (FAILED_NOTIFICATIONS, True),
        (FILTERED_INVALID_ATTRIBUTES, "MessageAttributes" in target.filter_scopes),
        (FILTERED_INVALID_MESSAGE_BODY, "MessageBody" in target.filter_scopes),
        (REDRIVEN_TO_DLQ, target.has_unmonitored_dead_letter_queue),
        (FAILED_TO_REDRIVE, target.has_redrive_policy),
    ):
        settings = ctx.resolve(KIND, check.name, target.alarm_overrides)
        if ctx.wanted(settings, condition):
            plans.append(AlarmPlan(settings=settings, resource_key=target.key,
                                   label=target.label, service=ctx.service,
                                   metric=MetricRef(NAMESPACE, check.metric, dims)))
    settings = ctx.resolve(KIND, SMS_SUCCESS_RATE.name, target.alarm_overrides)
    if ctx.wanted(settings, target.carries_sms_alarm):
        plans.append(AlarmPlan(
            settings=settings, resource_key=target.key,
            label=f"SMS of the account (topic {target.label} sends SMS)", service=ctx.service,
            expression=SMS_SUCCESS_QUERY))
    return plans


def register_cfn_topic(registrar: Registrar, cfn: Any, path: str) -> None:
    """An ``sns.CfnTopic`` written without an L2 (its Ref is the ARN)."""
    if registrar.is_alarm_topic(cfn):
        registrar.note(f"topic {path}: the alarm topic; not monitored (its alarms could not "
                       "notify through it)")
        return
    name = literal(cfn, cfn.topic_name)
    registrar.register(KIND, path, TopicTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        topic_name=name or cfn.attr_topic_name, topic=cfn))


def register_topic(registrar: Registrar, topic: Any, path: str) -> None:
    """An ``sns.Topic``, or an imported ``ITopic`` (``Topic.from_topic_arn``: its name is
    the ARN's last part, literal when the ARN is)."""
    if registrar.is_alarm_topic(topic):
        registrar.note(f"topic {path}: the alarm topic; not monitored (its alarms could not "
                       "notify through it)")
        return
    from aws_cdk import aws_sns as sns

    cfn = topic.node.default_child
    name = literal(topic, cfn.topic_name) if isinstance(cfn, sns.CfnTopic) else literal(
        topic, topic.topic_name)
    registrar.register(KIND, path, TopicTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        topic_name=name or topic.topic_name, topic=topic))


def apply_subscriptions(registrar: Registrar, targets: list[TopicTarget],
                        found: dict[str, list[Any]]) -> None:
    """What the stack's subscriptions to each monitored topic use; a subscription's
    dead-letter queue is marked as one (when this service monitors it)."""
    if not targets:
        return
    import aws_cdk as cdk

    stack = cdk.Stack.of(targets[0].topic)
    by_arn = {_arn_key(stack, t.topic): t for t in targets}
    protocols: dict[str, list[str]] = {t.key: [] for t in targets}
    for subscription in found.get("sns_subscriptions", ()):
        target = by_arn.get(_arn_key(stack, subscription))
        if target is None:
            continue
        protocol = stack.resolve(subscription.protocol)
        if isinstance(protocol, str):
            protocols[target.key].append(protocol)
        if subscription.filter_policy is not None:
            scope = stack.resolve(subscription.filter_policy_scope) or "MessageAttributes"
            target.filter_scopes = target.filter_scopes | {scope}
        redrive = stack.resolve(subscription.redrive_policy)
        if isinstance(redrive, str):
            redrive = json.loads(redrive)
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn"):
            target.has_redrive_policy = True
            queue_arn = redrive["deadLetterTargetArn"]
            logical_id = (queue_arn["Fn::GetAtt"][0] if isinstance(queue_arn, dict)
                          and "Fn::GetAtt" in queue_arn else None)
            if logical_id is None or not registrar.mark_dead_letter_queue(
                    logical_id, f"topic {target.label}"):
                target.has_unmonitored_dead_letter_queue = True
    carrier_found = False
    for target in targets:
        target.protocols = tuple(dict.fromkeys(protocols[target.key]))
        if SMS_PROTOCOL in target.protocols and not carrier_found:
            target.carries_sms_alarm = carrier_found = True


def _arn_key(stack: Any, resource: Any) -> str:
    """A topic's ARN as the template writes it (``{"Ref": id}`` or a literal ARN), for
    matching subscriptions (``CfnSubscription.topic_arn``) to topics."""
    arn = resource.topic_arn if hasattr(resource, "topic_arn") else resource.ref
    return json.dumps(stack.resolve(arn), sort_keys=True)


TOPIC = ResourceKind(
    name=KIND,
    collection="topics",
    identifier="topic_name",
    l2=lambda: loaded_classes("aws_sns", "Topic"),
    l1=lambda: loaded_classes("aws_sns", "CfnTopic"),
    register_l1=register_cfn_topic,
    register_l2=register_topic,
    plan_alarms=plan_topic,
    checks=CHECKS,
    member="topic_arn",
    stack_facts=apply_subscriptions,
    panels=(NAMESPACE, "TopicName", (
        ("notifications", (("NumberOfMessagesPublished", "Sum", {}),
                           ("NumberOfNotificationsDelivered", "Sum", {}),
                           ("NumberOfNotificationsFailed", "Sum", {}))),
        ("filtered out and redriven", (
            ("NumberOfNotificationsFilteredOut-InvalidAttributes", "Sum", {}),
            ("NumberOfNotificationsRedrivenToDlq", "Sum", {}),
            ("NumberOfNotificationsFailedToRedriveToDlq", "Sum", {}))),
    )),
)
