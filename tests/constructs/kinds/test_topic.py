"""SNS topics as a kind of monitored resource (issue 16): discovered as L2 and L1,
imported through ``monitor``, alarmed as AWS recommends (and by what their subscriptions
use), on the operations dashboard, in the metadata, the report and the preview; the alarm
topic is never one of them.

One app, written the way a service writes its topics: a named standard topic with an SQS
subscription (filter policy, dead-letter queue) and an SMS subscription; a FIFO topic; an
unnamed topic; an L1 topic with an L1 email subscription whose dead-letter queue lives in
another account; an imported topic; the app's own pager topic given as the alarm topic.
A second stack has a default ServiceMonitoring (watchkeeper's own topic, email
subscriptions and control-plane rule). cdk-nag's AwsSolutions and Serverless packs run on
both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions
from watchkeeper.cli.preview import read_dashboards, render_html
from watchkeeper.cli.report_scan import load_assembly
from watchkeeper.cli.report_text import report_text
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.kinds.topic import TOPIC
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
PARTNER_ARN = "arn:aws:sns:eu-west-1:123456789012:partner-feed"
CENTRAL_DLQ_ARN = "arn:aws:sqs:eu-west-1:210987654321:central-dlq"
ALARM = "AWS::CloudWatch::Alarm"


def queue(stack: cdk.Stack, construct_id: str, name: str, **options: Any) -> sqs.Queue:
    return sqs.Queue(stack, construct_id, queue_name=name, enforce_ssl=True,
                     encryption=sqs.QueueEncryption.SQS_MANAGED, **options)


def dead_letter_queue(stack: cdk.Stack, construct_id: str, name: str) -> sqs.Queue:
    dlq = queue(stack, construct_id, name)
    cdk.Validations.of(dlq).acknowledge(cdk.Acknowledgment(
        id="Serverless::Serverless-SQSRedrivePolicy",
        reason="The end of a dead-letter chain has no dead-letter queue of its own"))
    cdk.Validations.of(dlq).acknowledge(cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-SQS3", reason="This is a dead-letter queue"))
    return dlq


def service_stack(app: cdk.App) -> tuple[cdk.Stack, ServiceMonitoring]:
    stack = cdk.Stack(app, "Orders", env=ENV)
    sns_key = kms.Alias.from_alias_name(stack, "SnsKey", "alias/aws/sns")
    events = sns.Topic(stack, "Events", topic_name="orders-events", master_key=sns_key,
                       enforce_ssl=True)
    events_dlq = dead_letter_queue(stack, "EventsDlq", "orders-events-dlq")
    worker_dlq = dead_letter_queue(stack, "WorkerDlq", "orders-worker-dlq")
    worker = queue(stack, "Worker", "orders-worker", dead_letter_queue=sqs.DeadLetterQueue(
        queue=worker_dlq, max_receive_count=3))
    events.add_subscription(subscriptions.SqsSubscription(
        worker, dead_letter_queue=events_dlq, filter_policy={
            "type": sns.SubscriptionFilter.string_filter(allowlist=["created"])}))
    sms = events.add_subscription(subscriptions.SmsSubscription("+15555550100"))
    cdk.Validations.of(sms).acknowledge(cdk.Acknowledgment(
        id="Serverless::Serverless-SNSRedrivePolicy",
        reason="SmsSubscription takes no dead-letter queue; SMS failures are alarmed"))
    sns.Topic(stack, "Ledger", topic_name="ledger", fifo=True, master_key=sns_key,
              enforce_ssl=True)
    sns.Topic(stack, "Unnamed", master_key=sns_key, enforce_ssl=True)
    audit = sns.CfnTopic(stack, "Audit", topic_name="orders-audit",
                         kms_master_key_id="alias/aws/sns")
    sns.CfnSubscription(stack, "AuditMail", topic_arn=audit.ref, protocol="email",
                        endpoint="audit@example.com", filter_policy_scope="MessageBody",
                        filter_policy={"kind": ["refund"]},
                        redrive_policy={"deadLetterTargetArn": CENTRAL_DLQ_ARN})
    sns.CfnTopicPolicy(stack, "AuditTls", topics=[audit.ref], policy_document={
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
            "Resource": audit.ref, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    pager = sns.Topic(stack, "Pager", topic_name="orders-pager", master_key=sns_key,
                      enforce_ssl=True)
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        topic=pager,
        overrides={"topic.filtered_invalid_attributes": AlarmSettings(severity="critical")}))
    partner = sns.Topic.from_topic_arn(stack, "Partner", PARTNER_ARN)
    monitoring.monitor(partner, alarms={"failed_notifications": AlarmSettings(threshold=3)})
    monitoring.pager_result = monitoring.monitor(pager)  # type: ignore[attr-defined]
    return stack, monitoring


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("topics")
    app = cdk.App(outdir=str(outdir))
    stack, monitoring = service_stack(app)
    default_stack = cdk.Stack(app, "Default", env=ENV)
    default = ServiceMonitoring(default_stack, "Monitoring", service_name="billing",
                                alarms=AlarmOptions(emails=["ops@example.com"]))
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    app.synth()

    def template(name: str) -> dict[str, Any]:
        return json.loads((outdir / f"{name}.template.json").read_text())

    return {"outdir": Path(outdir), "monitoring": monitoring, "default": default,
            "template": template("Orders"), "default_template": template("Default"),
            "findings": nag_findings(outdir)}


def alarms_by_name(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == ALARM}


def test_the_kind_is_registered_once():
    assert [k.name for k in registry.KINDS].count("topic") == 1
    assert registry.KINDS_BY_NAME["topic"] is TOPIC
    assert {c.key for c in TOPIC.checks} <= set(registry.known_checks())


def test_l2_l1_fifo_unnamed_and_imported_topics_are_monitored_once(synthesized):
    targets = synthesized["monitoring"].targets_of("topic")
    by_label = {t.label: t for t in targets}
    assert sorted(by_label) == ["Orders/Unnamed", "ledger.fifo", "orders-audit",
                                "orders-events", "partner-feed"]
    assert by_label["ledger.fifo"].topic_name == "ledger.fifo"
    assert by_label["partner-feed"].topic_name == "partner-feed"
    monitored = synthesized["template"]["Metadata"]["Watchkeeper"]["services"][0]["monitored"]
    assert monitored["topics"] == ["partner-feed", "orders-events", "ledger.fifo",
                                   {"Fn::GetAtt": ["Unnamed056898D7", "TopicName"]},
                                   "orders-audit"]


def test_the_alarm_topic_is_never_monitored(synthesized):
    labels = [t.label for t in synthesized["monitoring"].targets_of("topic")]
    assert "orders-pager" not in labels
    assert synthesized["monitoring"].pager_result is None  # monitor(pager): a note, no target
    assert not [a for a in alarms_by_name(synthesized["template"]) if "pager" in a]


def test_a_default_monitoring_lists_none_of_its_own_resources(synthesized):
    default = synthesized["default"]
    assert default.targets_of("topic") == []
    template = Template.from_json(synthesized["default_template"])
    template.resource_count_is("AWS::SNS::Topic", 1)  # watchkeeper's alarm topic
    template.resource_count_is("AWS::SNS::Subscription", 1)
    template.resource_count_is("AWS::Events::Rule", 1)  # the control-plane rule
    monitored = synthesized["default_template"]["Metadata"]["Watchkeeper"]["services"][0][
        "monitored"]
    assert monitored["topics"] == []
    assert not any(a.check.startswith("topic.") for a in default.alarm_details)


def test_every_topic_gets_the_failed_notifications_alarm_aws_recommends(synthesized):
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties(ALARM, {
        "AlarmName": "orders-events-failed-notifications",
        "Namespace": "AWS/SNS", "MetricName": "NumberOfNotificationsFailed",
        "Dimensions": [{"Name": "TopicName", "Value": "orders-events"}],
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 5, "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": Match.absent(),  # critical: notifies through the composite
    })
    names = alarms_by_name(synthesized["template"])
    assert {n for n in names if n.endswith("-failed-notifications")} == {
        "orders-events-failed-notifications", "orders-ledger-fifo-failed-notifications",
        "orders-unnamed-failed-notifications", "orders-audit-failed-notifications",
        "orders-partner-feed-failed-notifications"}
    assert names["orders-unnamed-failed-notifications"]["Dimensions"] == [
        {"Name": "TopicName", "Value": {"Fn::GetAtt": ["Unnamed056898D7", "TopicName"]}}]
    description = names["orders-events-failed-notifications"]["AlarmDescription"]
    assert description.startswith("orders-events: notifications failed (check the subscribers'")


def test_per_resource_alarms_reach_an_imported_topic(synthesized):
    partner = alarms_by_name(synthesized["template"])["orders-partner-feed-failed-notifications"]
    assert partner["Threshold"] == 3
    assert partner["Dimensions"] == [{"Name": "TopicName", "Value": "partner-feed"}]


def test_a_filter_policy_adds_the_filtered_out_alarm_of_its_scope(synthesized):
    names = alarms_by_name(synthesized["template"])
    attributes = names["orders-events-filtered-invalid-attributes"]
    assert attributes["MetricName"] == "NumberOfNotificationsFilteredOut-InvalidAttributes"
    # AlarmOptions.overrides made it critical: no action of its own
    assert "AlarmActions" not in attributes
    body = names["orders-audit-filtered-invalid-message-body"]
    assert body["MetricName"] == "NumberOfNotificationsFilteredOut-InvalidMessageBody"
    assert "AlarmActions" in body  # a warning notifies directly
    assert "orders-audit-filtered-invalid-attributes" not in names
    assert "orders-events-filtered-invalid-message-body" not in names
    assert not [n for n in names if n.startswith("orders-ledger-fifo-filtered")]


def test_a_redrive_policy_marks_the_queue_a_dead_letter_queue_and_adds_the_redrive_alarms(
        synthesized):
    monitoring = synthesized["monitoring"]
    queues = {q.label: q for q in monitoring.queues}
    # (an L2 queue's name is a token to monitor_queue: its label is its path)
    assert queues["Orders/EventsDlq"].is_dead_letter_queue
    assert queues["Orders/EventsDlq"].source_label == "topic orders-events"
    assert not queues["Orders/Worker"].is_dead_letter_queue
    names = alarms_by_name(synthesized["template"])
    assert [n for n, p in names.items() if p["AlarmDescription"].startswith(
        "Orders/EventsDlq (dead-letter queue of topic orders-events): ")] == [
        "orders-events-dlq-dlq-messages"]
    assert names["orders-events-failed-to-redrive"]["MetricName"] == (
        "NumberOfNotificationsFailedToRedriveToDlq")
    # the monitored dead-letter queue alarms at its first message: no second alarm
    assert "orders-events-redriven-to-dlq" not in names
    # a dead-letter queue in another account: the topic's redrive alarm is the only one
    redriven = names["orders-audit-redriven-to-dlq"]
    assert (redriven["MetricName"], redriven["EvaluationPeriods"]) == (
        "NumberOfNotificationsRedrivenToDlq", 5)
    assert "orders-audit-failed-to-redrive" in names
    assert not [n for n in names if "redrive" in n and ("ledger" in n or "partner" in n)]


def test_an_sms_subscription_adds_one_account_wide_sms_alarm(synthesized):
    names = alarms_by_name(synthesized["template"])
    (sms,) = [props for name, props in names.items() if name.startswith("orders-")
              and "-sms-" in name]
    assert sms["AlarmName"] == "orders-events-sms-success-rate"
    assert sms["AlarmDescription"].startswith("SMS of the account (topic orders-events sends")


def test_the_sms_alarm_reads_every_country_and_sms_type(synthesized):
    # SNS publishes SMSSuccessRate per Country and SMSType only (its CloudWatch guide's
    # "Country, SMS Type" group): a metric without dimensions has no data. A Metrics
    # Insights query reads every series; below 90% for 5 minutes alarms.
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-events-sms-success-rate",
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 0.9,
        "EvaluationPeriods": 5,
        "TreatMissingData": "notBreaching",
        "Metrics": [{
            "Id": "e1",
            "Expression": 'SELECT AVG(SMSSuccessRate) FROM SCHEMA("AWS/SNS", Country, SMSType)',
            "Label": Match.any_value(), "Period": 60, "ReturnData": True}],
    })
    sms = alarms_by_name(synthesized["template"])["orders-events-sms-success-rate"]
    assert "MetricStat" not in json.dumps(sms)  # no metric without its dimensions


def test_the_operations_dashboard_has_a_row_per_topic(synthesized):
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in synthesized["template"]["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    widgets = {w["properties"].get("title"): w["properties"]
               for w in json.loads(body)["widgets"]}
    for title in ("orders-events: filtered out and redriven", "partner-feed: notifications",
                  "ledger.fifo: notifications", "orders-audit: notifications"):
        assert title in widgets
    metrics = widgets["orders-events: notifications"]["metrics"]
    assert metrics[0][:4] == ["AWS/SNS", "NumberOfMessagesPublished", "TopicName",
                              "orders-events"]
    assert metrics[2][1] == "NumberOfNotificationsFailed"


def test_the_preview_draws_the_topic_rows(synthesized):
    dashboards = read_dashboards(synthesized["outdir"])
    operations = next(d for d in dashboards if d.name == "orders-operations")
    assert operations.error is None and operations.warnings == []
    html = render_html(dashboards, "cdk.out")
    assert "orders-audit: filtered out and redriven" in html


def test_the_report_lists_the_topics_and_prices_their_alarms(synthesized):
    text = report_text(load_assembly(synthesized["outdir"]))
    lines = text.splitlines()
    assert ("    topics (5): partner-feed, orders-events, ledger.fifo, "
            "<Unnamed056898D7.TopicName>, orders-audit") in lines
    failed = next(line for line in lines if "orders-events-failed-notifications" in line)
    assert "standard" in failed and failed.split()[-3:] == ["1m", "5/5", "5m"]
    sms = next(line for line in lines if "orders-events-sms-success-rate" in line)
    assert "metric-math" in sms  # a Metrics Insights query: priced as one metric


def test_bad_input_names_the_option_the_value_and_what_is_allowed():
    stack = cdk.Stack(cdk.App(), "Bad")
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders")
    topic = sns.Topic.from_topic_arn(stack, "Partner", PARTNER_ARN)
    with pytest.raises(ValueError, match=r"^alarms has an unknown check 'failed': use one of "
                                         r"failed_notifications, filtered_invalid_attributes, "):
        monitoring.monitor(topic, alarms={"failed": AlarmSettings(threshold=1)})
    with pytest.raises(ValueError, match=r"^alarms\['sms_success_rate'\]\.threshold=2 is out "
                                         r"of range: topic\.sms_success_rate takes between 0 "
                                         r"and 1 \(share of SMS deliveries \(0-1\)\)$"):
        monitoring.monitor(topic, alarms={"sms_success_rate": AlarmSettings(threshold=2)})
    with pytest.raises(ValueError, match=r"unknown check 'topic\.nope': use one of .*"
                                         r"topic\.failed_notifications"):
        AlarmOptions(overrides={"topic.nope": AlarmSettings(threshold=1)})


def test_the_templates_pass_cfn_lint(synthesized):
    assert lint_template(synthesized["template"]) == []
    assert lint_template(synthesized["default_template"]) == []


def test_the_app_passes_cdk_nag(synthesized):
    assert synthesized["findings"] == []


def test_an_l1_topic_that_is_the_alarm_topic_through_an_import_is_not_monitored():
    stack = cdk.Stack(cdk.App(), "Escalations", env=ENV)
    escalation = sns.CfnTopic(stack, "Escalation", topic_name="orders-escalation")
    sns.CfnTopic(stack, "Other", topic_name="orders-other")
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        topic=sns.Topic.from_topic_arn(stack, "EscalationRef", escalation.ref)))
    Template.from_stack(stack)
    assert [t.label for t in monitoring.targets_of("topic")] == ["orders-other"]
    assert ("topic Escalations/Escalation: the alarm topic; not monitored (its alarms could "
            "not notify through it)") in monitoring.resource_logging_notes
