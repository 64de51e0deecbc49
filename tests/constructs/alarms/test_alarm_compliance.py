"""Everything watchkeeper creates for alarms passes cdk-nag (AwsSolutions, Serverless) and
cfn-lint; overrides and switches reach the template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_sns as sns

from tests.constructs.alarms.reference_app import build_service_stack
from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.constructs.alarms import AlarmSettings
from watchkeeper.testing.nag import nag_findings


@pytest.fixture(scope="module")
def featured(tmp_path_factory):
    """Every alarm feature at once, synthesized with the cdk-nag plugins."""
    out = tmp_path_factory.mktemp("nag")
    app = cdk.App(outdir=str(out))
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    stack = build_service_stack(app)
    mon = ServiceMonitoring(
        stack, "Monitoring", service_name="orders",
        alarms=AlarmOptions(
            emails=["oncall@example.com", "security@example.com"],
            chatbot_slack=("T0123ABCD", "C0123ABCD"),
            notify_ok=False,
            overrides={
                "function.errors": AlarmSettings(threshold=5),
                "queue.age": AlarmSettings(enabled=False),
                "rest_api.latency": AlarmSettings(statistic="p99", threshold=1000,
                                                  severity="critical"),
            },
        ),
    )
    mon.monitor_function(stack.node.find_child("CreateOrder"), alarms={
        "errors": AlarmSettings(threshold=1, period=cdk.Duration.minutes(5)),
        "traffic_anomaly": AlarmSettings(enabled=True),
    })
    try:
        app.synth()
        failed = False
    except RuntimeError as error:  # the app's own resources have findings
        assert "ValidationFailed" in str(error), error
        failed = True
    report = nag_findings(out) if failed else None
    template_path = out / "Orders.template.json"
    return mon, report, template_path, json.loads(template_path.read_text())


def _alarm(template, name):
    return next(r["Properties"] for r in template["Resources"].values()
                if r.get("Properties", {}).get("AlarmName") == name)


def test_cdk_nag_finds_nothing_under_service_monitoring(featured):
    _, report, _, _ = featured
    findings = []
    if report is not None:
        findings = [f for f in report if f.path.startswith("Orders/Monitoring")]
        # The app's own resources do have findings: the report is real.
        assert report
    assert findings == []


def test_cfn_lint_is_clean(featured):
    _, _, template_path, _ = featured
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--",
         str(template_path)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kind_and_resource_overrides_layer(featured):
    mon, _, _, template = featured
    create = _alarm(template, "orders-create-errors")
    assert (create["Threshold"], create["Period"]) == (1, 300)  # resource beats kind
    assert _alarm(template, "orders-worker-errors")["Threshold"] == 5  # kind override
    latency = _alarm(template, "orders-admin-latency")
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", 1000)
    routing = {a.name: a.routing for a in mon.alarm_details}
    assert routing["orders-admin-latency"] == "composite"  # made critical


def test_switches_turn_alarms_off_and_on(featured):
    mon, _, _, _ = featured
    names = {a.name for a in mon.alarm_details}
    assert "orders-work-queue-age" not in names
    assert "orders-create-traffic-anomaly" in names
    assert "orders-worker-traffic-anomaly" not in names


def test_notify_ok_false_leaves_ok_actions_out(featured):
    _, _, _, template = featured
    assert "OKActions" not in _alarm(template, "orders-service-health")
    assert "OKActions" not in _alarm(template, "orders-security-authz-failures")


def test_slack_channel_gets_the_topic(featured):
    _, _, _, template = featured
    slack = [r for r in template["Resources"].values()
             if r["Type"] == "AWS::Chatbot::SlackChannelConfiguration"]
    assert len(slack) == 1
    props = slack[0]["Properties"]
    assert (props["SlackWorkspaceId"], props["SlackChannelId"]) == ("T0123ABCD", "C0123ABCD")
    assert props["SnsTopicArns"] == [{"Ref": pytest.approx(props["SnsTopicArns"][0]["Ref"])}]


def test_bring_your_own_topic_and_function_anomaly_without_api():
    app = cdk.App()
    stack = cdk.Stack(app, "Byo")
    from aws_cdk import aws_lambda as lambda_

    lambda_.Function(stack, "Job", function_name="batch-job",
                     runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                     code=lambda_.Code.from_inline("x"))
    topic = sns.Topic.from_topic_arn(stack, "Ops", "arn:aws:sns:eu-west-1:111122223333:ops")
    mon = ServiceMonitoring(stack, "Monitoring", service_name="batch",
                            alarms=AlarmOptions(topic=topic))
    template = app.synth().get_stack_by_name("Byo").template
    types = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::SNS::Topic" not in types and "AWS::KMS::Key" not in types
    assert mon.topic is topic
    health = _alarm(template, "batch-service-health")
    assert health["AlarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:ops"]
    # The function's traffic anomaly alarm is opt-in: three alarm metrics per function.
    names = {r["Properties"].get("AlarmName") for r in template["Resources"].values()}
    assert "batch-job-traffic-anomaly" not in names


def test_function_traffic_anomaly_opted_in():
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App()
    stack = cdk.Stack(app, "Opt")
    fn = lambda_.Function(stack, "Job", function_name="batch-job",
                          runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                          code=lambda_.Code.from_inline("x"))
    mon = ServiceMonitoring(stack, "Monitoring", service_name="batch")
    mon.monitor_function(fn, alarms={"traffic_anomaly": AlarmSettings(enabled=True)})
    template = app.synth().get_stack_by_name("Opt").template
    anomaly = _alarm(template, "batch-job-traffic-anomaly")
    assert anomaly["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert anomaly["ThresholdMetricId"] == "ad1"
