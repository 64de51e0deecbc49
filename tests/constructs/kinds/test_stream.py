"""Kinesis data streams (kind ``stream``): discovered as L2 and as L1, imports monitored with
``ServiceMonitoring.monitor``, AWS's recommended alarms (iterator age at half the
retention, read and write throughput exceeded, PutRecords failures), a dashboard row, the
template metadata, cfn-lint and cdk-nag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions, cli
from watchkeeper.cli.preview import read_dashboards, render_html
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
PARTNER_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/partner-feed"
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An orders service: a provisioned stream with a consumer function, an on-demand
    stream, a stream written as an L1, an imported partner stream."""
    outdir = tmp_path_factory.mktemp("streams")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Orders", env=ENV)
    events = kinesis.Stream(stack, "Events", stream_name="orders-events", shard_count=2,
                            retention_period=cdk.Duration.hours(48),
                            encryption=kinesis.StreamEncryption.MANAGED)
    kinesis.Stream(stack, "Clicks", stream_name="orders-clicks",
                   stream_mode=kinesis.StreamMode.ON_DEMAND,
                   encryption=kinesis.StreamEncryption.MANAGED)
    kinesis.CfnStream(stack, "Audit", name="orders-audit", shard_count=1,
                      stream_encryption=kinesis.CfnStream.StreamEncryptionProperty(
                          encryption_type="KMS", key_id="alias/aws/kinesis"))
    worker = lambda_.Function(stack, "Worker", runtime=lambda_.Runtime.PYTHON_3_12,
                              handler="index.handler",
                              code=lambda_.Code.from_inline("def handler(e, c):\n    return e\n"))
    worker.add_event_source(sources.KinesisEventSource(
        events, starting_position=lambda_.StartingPosition.LATEST))
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        overrides={"stream.write_throttled": AlarmSettings(threshold=0.05)}))
    partner = kinesis.Stream.from_stream_arn(stack, "Partner", PARTNER_ARN)
    target = monitoring.monitor(partner, alarms={"iterator_age": AlarmSettings(
        threshold=600_000)})
    again = monitoring.monitor(partner)
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # the app's own findings (its function) fail the synth
        assert "ValidationFailed" in str(error)
    template = json.loads((Path(outdir) / "Orders.template.json").read_text())
    return {"monitoring": monitoring, "template": template, "partner": (target, again),
            "findings": nag_findings(outdir), "outdir": Path(outdir)}


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_streams_are_found_as_l2_and_l1_once_and_imports_by_monitor(streams):
    targets = streams["monitoring"].targets_of("stream")
    assert [(t.key, t.label, t.capacity_mode, t.retention_hours, t.shard_count)
            for t in targets] == [
        # monitor() registers at once; discovery, at synth, L2s before L1s
        ("partner-feed", "partner-feed", None, 24, None),
        ("orders-events", "orders-events", "PROVISIONED", 48, 2),
        ("orders-clicks", "orders-clicks", "ON_DEMAND", 24, None),
        ("orders-audit", "orders-audit", "PROVISIONED", 24, 1),
    ]
    target, again = streams["partner"]
    assert target is again is targets[0]
    services = streams["template"]["Metadata"]["Watchkeeper"]["services"]
    assert services[0]["monitored"]["streams"] == [
        "partner-feed", "orders-events", "orders-clicks", "orders-audit"]


def test_each_stream_gets_the_recommended_alarms(streams):
    found = alarms(streams["template"])
    for stream in ("events", "clicks", "audit"):
        for check, metric, statistic in (
            ("iterator-age", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
            ("read-throttled", "ReadProvisionedThroughputExceeded", "Average"),
            ("write-throttled", "WriteProvisionedThroughputExceeded", "Average"),
            ("put-failures", "PutRecords.FailedRecords", "Sum"),
        ):
            alarm = found[f"orders-{stream}-{check}"]
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
                "AWS/Kinesis", metric, statistic)
            assert alarm["Dimensions"] == [{"Name": "StreamName", "Value": f"orders-{stream}"}]
            assert alarm["TreatMissingData"] == "notBreaching"
            assert alarm["Period"] == 60


def test_the_iterator_age_fires_at_half_of_each_streams_retention(streams):
    found = alarms(streams["template"])
    assert found["orders-events-iterator-age"]["Threshold"] == 24 * HOUR_MS  # of 48 h
    assert found["orders-clicks-iterator-age"]["Threshold"] == 12 * HOUR_MS  # of 24 h
    assert "half the 48 h retention" in found["orders-events-iterator-age"]["AlarmDescription"]
    assert found["orders-events-iterator-age"]["EvaluationPeriods"] == 15
    # critical: it notifies through the service-health composite, not directly
    assert "AlarmActions" not in found["orders-events-iterator-age"]
    assert found["orders-events-read-throttled"]["AlarmActions"]


def test_overrides_reach_the_checks_per_kind_and_per_resource(streams):
    found = alarms(streams["template"])
    assert found["orders-events-write-throttled"]["Threshold"] == 0.05
    assert found["orders-events-read-throttled"]["Threshold"] == 0.01
    assert found["orders-partner-feed-iterator-age"]["Threshold"] == 600_000
    assert found["orders-partner-feed-iterator-age"]["Dimensions"] == [
        {"Name": "StreamName", "Value": "partner-feed"}]


def test_the_throttling_alarms_say_what_to_do_for_the_streams_capacity_mode(streams):
    found = alarms(streams["template"])
    assert "2 shards: add shards" in found["orders-events-write-throttled"]["AlarmDescription"]
    clicks = found["orders-clicks-read-throttled"]["AlarmDescription"]
    assert "on demand: above twice the previous peak" in clicks
    assert "First run saved query" in clicks


def test_each_stream_has_a_row_on_the_operations_dashboard(streams):
    body = next(r["Properties"]["DashboardBody"]
                for r in streams["template"]["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    text = body if isinstance(body, str) else json.dumps(body)
    for name in ("orders-events", "orders-clicks", "orders-audit", "partner-feed"):
        assert f"{name}: records" in text and f"{name}: iterator age (ms)" in text


def test_the_template_passes_cfn_lint_and_watchkeeper_adds_no_nag_finding(streams):
    assert lint_template(streams["template"]) == []
    assert [f for f in streams["findings"] if "/Monitoring/" in f.path] == []
    # the app's streams are encrypted: none of the findings is about a stream
    assert [f for f in streams["findings"] if "KDS" in f.rule] == []


def test_bad_alarm_settings_name_the_option_and_what_is_allowed():
    stack = cdk.Stack(cdk.App(), "Bad")
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders")
    partner = kinesis.Stream.from_stream_arn(stack, "Partner", PARTNER_ARN)
    with pytest.raises(ValueError, match=r"alarms\['read_throttled'\]\.threshold=2 is out of "
                                         r"range: stream\.read_throttled takes between 0 and 1"):
        monitoring.monitor(partner, alarms={"read_throttled": AlarmSettings(threshold=2)})
    with pytest.raises(ValueError, match=r"unknown check 'lag': use one of iterator_age, "
                                         r"read_throttled, write_throttled, put_failures$"):
        monitoring.monitor(partner, alarms={"lag": AlarmSettings(threshold=2)})
    with pytest.raises(ValueError, match=r"iterator_age'\]\.threshold=1000 is out of range"):
        AlarmOptions(overrides={"stream.iterator_age": AlarmSettings(threshold=1000)})


def test_a_stream_can_be_switched_off_per_check():
    stack = cdk.Stack(cdk.App(), "Quiet")
    kinesis.Stream(stack, "Events", stream_name="orders-events")
    ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        overrides={"stream.put_failures": AlarmSettings(enabled=False)}))
    template = Template.from_stack(stack)
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"Namespace": "AWS/Kinesis"}, 3)
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"MetricName": "PutRecords.FailedRecords"}, 0)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "GetRecords.IteratorAgeMilliseconds", "Threshold": 12 * HOUR_MS,
        "Dimensions": Match.array_with([Match.object_like({"Value": "orders-events"})])})


def test_the_preview_draws_the_streams_row(streams):
    (operations,) = [d for d in read_dashboards(streams["outdir"])
                     if d.name == "orders-operations"]
    assert operations.error is None and operations.warnings == []
    titles = [w.title for w in operations.widgets]
    assert "orders-events: records" in titles and "partner-feed: iterator age (ms)" in titles
    page = render_html([operations], "cdk.out")
    assert ('<span class="wk-ns">AWS/Kinesis</span> <b>IncomingRecords</b> '
            '<span class="wk-dims">StreamName=orders-events</span>') in page


def test_the_report_lists_the_streams_and_prices_their_alarms(streams, capsys):
    assert cli.main(["report", str(streams["outdir"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (stack,) = report["stacks"]
    (service,) = stack["monitored"]
    assert service["monitored"]["streams"] == [
        "partner-feed", "orders-events", "orders-clicks", "orders-audit"]
    on_streams = [a for a in stack["alarms_detail"]
                  if a["metrics"][0].startswith("AWS/Kinesis ")]
    assert len(on_streams) == 16  # 4 streams x 4 checks
    assert {a["billed_alarm_metrics"] for a in on_streams} == {1}  # $0.40 a stream
