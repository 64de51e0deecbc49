"""Firehose delivery streams (kind ``delivery_stream``): discovered as L2 and as L1, imports
monitored with ``ServiceMonitoring.monitor``; data freshness and delivery failures on the
destination's own metrics (read from the L1's properties), throttled records for Direct
PUT streams; a dashboard row, the metadata, cfn-lint and cdk-nag; and the stream that
watchkeeper's CentralLogArchive creates is never monitored as the app's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions, ShippingOptions
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.central_log_archive import CentralLogArchive
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
Cfn = firehose.CfnDeliveryStream


def bucket(stack: cdk.Stack, construct_id: str) -> s3.Bucket:
    return s3.Bucket(stack, construct_id, enforce_ssl=True,
                     block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                     encryption=s3.BucketEncryption.S3_MANAGED)


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An orders service that exports to S3 (L2), posts to a webhook (L1 HTTP endpoint)
    and replays a Kinesis stream into S3 (L1, Kinesis source); an imported partner stream;
    its logs shipped to a CentralLogArchive in the same stack."""
    outdir = tmp_path_factory.mktemp("delivery")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Orders", env=ENV)
    exports = bucket(stack, "Exports")
    firehose.DeliveryStream(stack, "Export", delivery_stream_name="orders-exports",
                            destination=firehose.S3Bucket(exports),
                            encryption=firehose.StreamEncryption.aws_owned_key())
    role = iam.Role(stack, "FirehoseRole",
                    assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    exports.grant_read_write(role)
    Cfn(stack, "Webhook", delivery_stream_name="orders-webhooks",
        delivery_stream_type="DirectPut",
        delivery_stream_encryption_configuration_input=(
            Cfn.DeliveryStreamEncryptionConfigurationInputProperty(key_type="AWS_OWNED_CMK")),
        http_endpoint_destination_configuration=Cfn.HttpEndpointDestinationConfigurationProperty(
            endpoint_configuration=Cfn.HttpEndpointConfigurationProperty(
                url="https://hooks.example.com/orders"),
            s3_configuration=Cfn.S3DestinationConfigurationProperty(
                bucket_arn=exports.bucket_arn, role_arn=role.role_arn),
            role_arn=role.role_arn))
    source = kinesis.Stream(stack, "Changes", stream_name="orders-changes",
                            encryption=kinesis.StreamEncryption.MANAGED)
    source.grant_read(role)
    Cfn(stack, "Replay", delivery_stream_name="orders-replay",
        delivery_stream_type="KinesisStreamAsSource",
        kinesis_stream_source_configuration=Cfn.KinesisStreamSourceConfigurationProperty(
            kinesis_stream_arn=source.stream_arn, role_arn=role.role_arn),
        extended_s3_destination_configuration=Cfn.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=exports.bucket_arn, role_arn=role.role_arn))
    archive = CentralLogArchive(stack, "Archive", removal_policy=cdk.RemovalPolicy.DESTROY)
    monitoring = ServiceMonitoring(
        stack, "Monitoring", service_name="orders",
        shipping=ShippingOptions(destinations=archive),
        alarms=AlarmOptions(overrides={
            "delivery_stream.freshness": AlarmSettings(threshold=600)}))
    partner = firehose.DeliveryStream.from_delivery_stream_name(
        stack, "Partner", "partner-exports")
    monitoring.monitor(partner, alarms={"throttled_records": AlarmSettings(threshold=10)})
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # the app's own findings fail the synth
        assert "ValidationFailed" in str(error)
    template = json.loads((Path(outdir) / "Orders.template.json").read_text())
    return {"monitoring": monitoring, "template": template, "findings": nag_findings(outdir)}


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_delivery_streams_are_found_once_and_the_archives_is_not_the_apps(delivery):
    targets = delivery["monitoring"].targets_of("delivery_stream")
    assert [(t.key, t.destination, t.source_type) for t in targets] == [
        ("partner-exports", None, None),
        ("orders-exports", "DeliveryToS3", "DirectPut"),
        ("orders-webhooks", "DeliveryToHttpEndpoint", "DirectPut"),
        ("orders-replay", "DeliveryToS3", "KinesisStreamAsSource"),
    ]
    services = delivery["template"]["Metadata"]["Watchkeeper"]["services"]
    assert services[0]["monitored"]["delivery_streams"] == [
        "partner-exports", "orders-exports", "orders-webhooks", "orders-replay"]
    # the Kinesis source is the app's stream: monitored as one
    assert services[0]["monitored"]["streams"] == ["orders-changes"]


def test_each_destination_gets_its_own_freshness_and_failure_alarms(delivery):
    found = alarms(delivery["template"])
    for stream, prefix in (("exports", "DeliveryToS3"), ("webhooks", "DeliveryToHttpEndpoint"),
                           ("replay", "DeliveryToS3")):
        freshness = found[f"orders-{stream}-freshness"]
        assert (freshness["Namespace"], freshness["MetricName"], freshness["Statistic"]) == (
            "AWS/Firehose", f"{prefix}.DataFreshness", "Maximum")
        assert freshness["Dimensions"] == [
            {"Name": "DeliveryStreamName", "Value": f"orders-{stream}"}]
        assert freshness["Threshold"] == 600  # AlarmOptions.overrides
        if prefix == "DeliveryToHttpEndpoint":
            continue  # its Success is a count of requests: no ratio to alarm on (below)
        failures = found[f"orders-{stream}-delivery-failures"]
        m1, e1 = failures["Metrics"]
        assert m1["MetricStat"]["Metric"]["MetricName"] == f"{prefix}.Success"
        assert m1["MetricStat"]["Stat"] == "Average"
        assert e1["Expression"] == "100*(1-m1)"
        assert (failures["Threshold"], failures["EvaluationPeriods"]) == (0, 3)
        assert "AlarmActions" not in failures  # critical: through the composite


def test_an_http_endpoint_gets_no_success_ratio_alarm(delivery):
    # Firehose documents DeliveryToHttpEndpoint.Success as "the sum of all successful data
    # delivery requests" (a count): 100*(1-Average) of it would never leave 0.
    found = alarms(delivery["template"])
    assert "orders-webhooks-freshness" in found
    assert "orders-webhooks-delivery-failures" not in found
    assert not [p for p in found.values() for q in p.get("Metrics", ())
                if q.get("MetricStat", {}).get("Metric", {}).get("MetricName")
                == "DeliveryToHttpEndpoint.Success"]


def test_an_elasticsearch_destination_gets_the_freshness_alarm():
    # Firehose publishes DeliveryToElasticsearch.DataFreshness ("Data delivery CloudWatch
    # metrics", Delivery to Amazon ES) and a Success ratio.
    stack = cdk.Stack(cdk.App(), "Search", env=ENV)
    Cfn(stack, "Index", delivery_stream_name="orders-index",
        elasticsearch_destination_configuration=(
            Cfn.ElasticsearchDestinationConfigurationProperty(
                index_name="orders",
                domain_arn="arn:aws:es:eu-west-1:123456789012:domain/orders",
                role_arn="arn:aws:iam::123456789012:role/firehose",
                s3_configuration=Cfn.S3DestinationConfigurationProperty(
                    bucket_arn="arn:aws:s3:::orders-backup",
                    role_arn="arn:aws:iam::123456789012:role/firehose"))))
    ServiceMonitoring(stack, "Monitoring", service_name="orders")
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-index-freshness",
        "Namespace": "AWS/Firehose", "MetricName": "DeliveryToElasticsearch.DataFreshness",
        "Statistic": "Maximum", "Threshold": 900, "Period": 300,
        "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions": [{"Name": "DeliveryStreamName", "Value": "orders-index"}]})
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-index-delivery-failures",
        "Metrics": Match.array_with([Match.object_like({"MetricStat": Match.object_like({
            "Metric": Match.object_like({
                "MetricName": "DeliveryToElasticsearch.Success"})})})])})


def test_throttled_records_only_where_records_are_put(delivery):
    found = alarms(delivery["template"])
    throttled = {name for name in found if name.endswith("-throttled-records")}
    assert throttled == {"orders-exports-throttled-records", "orders-webhooks-throttled-records",
                         "orders-partner-exports-throttled-records"}
    assert found["orders-partner-exports-throttled-records"]["Threshold"] == 10
    # the import's destination is not known: no delivery alarms, and a note says why
    assert not [n for n in found if n.startswith("orders-partner-exports-")
                and not n.endswith("-throttled-records")]
    assert any("partner-exports: an imported delivery stream's destination is not known" in n
               for n in delivery["monitoring"].resource_logging_notes)


def test_each_delivery_stream_has_a_row_on_the_operations_dashboard(delivery):
    body = next(r["Properties"]["DashboardBody"]
                for r in delivery["template"]["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    text = json.dumps(body)
    for name in ("orders-exports", "orders-webhooks", "orders-replay", "partner-exports"):
        assert f"{name}: records" in text and f"{name}: delivery to S3" in text


def test_the_template_passes_cfn_lint_and_watchkeeper_adds_no_nag_finding(delivery):
    assert lint_template(delivery["template"]) == []
    assert [f for f in delivery["findings"] if "/Monitoring/" in f.path] == []


def test_a_delivery_alarm_asked_of_an_import_fails_the_synth_naming_the_option():
    app = cdk.App()
    stack = cdk.Stack(app, "Partner", env=ENV)
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders")
    monitoring.monitor(firehose.DeliveryStream.from_delivery_stream_arn(
        stack, "Partner", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/partner"),
        alarms={"freshness": AlarmSettings(enabled=True)})
    with pytest.raises(RuntimeError, match=(
            r"\[Partner/Monitoring\] watchkeeper: alarms\['freshness'\]: the destination of "
            r"partner is not known")):
        app.synth()


def test_bad_alarm_settings_name_the_option_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"delivery_failures'\]\.threshold=150 is out of "
                                         r"range: .* between 0 and 100 \(% of deliveries\)"):
        AlarmOptions(overrides={"delivery_stream.delivery_failures": AlarmSettings(
            threshold=150)})
    with pytest.raises(ValueError, match=r"unknown check 'latency': use one of freshness, "
                                         r"delivery_failures, throttled_records$"):
        stack = cdk.Stack(cdk.App(), "Bad")
        ServiceMonitoring(stack, "Monitoring", service_name="orders").monitor(
            firehose.DeliveryStream.from_delivery_stream_name(stack, "P", "partner"),
            alarms={"latency": AlarmSettings(threshold=1)})


def test_watchkeepers_own_resources_are_never_targets():
    """Defaults (security detections on: the control-plane rule), a CentralLogArchive and
    shipping to it: nothing watchkeeper created is monitored as the app's."""
    stack = cdk.Stack(cdk.App(), "Archive", env=ENV)
    archive = CentralLogArchive(stack, "Archive")
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="logs",
                                   shipping=ShippingOptions(destinations=archive))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KinesisFirehose::DeliveryStream", 1)
    template.resource_count_is("AWS::Events::Rule", 1)  # the control-plane tampering rule
    assert monitoring.targets_of("delivery_stream") == []
    assert monitoring.targets_of("stream") == []
    assert [p for p in monitoring._targets_by_path if p.startswith(("Archive/Archive/",
                                                                    "Archive/Monitoring/"))] == []
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", Match.object_like({"Namespace": "AWS/Firehose"}), 0)
