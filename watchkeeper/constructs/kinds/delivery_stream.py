"""Firehose delivery streams: discovery, target record, alarms (AWS/Firehose, dimension
DeliveryStreamName) and dashboard panels.

AWS recommends an alarm on each destination's data freshness (records not delivered
within the longest buffering interval, 15 minutes) and on throttled records. Firehose
publishes its delivery metrics per destination (``DeliveryToS3.*``,
``DeliveryToSplunk.*``...), so the destination is read from the stream's L1 properties; an
imported stream's destination is not known, and it gets the throttled-records alarm only
(a note says so). Throttling applies to Direct PUT streams: a stream that reads a Kinesis
data stream or an MSK topic is not throttled (its source has alarms of its own).

Sources: the freshness and throttled-records recommendations and the metric names
``DeliveryToS3``, ``DeliveryToIceberg``, ``DeliveryToSplunk``,
``DeliveryToAmazonOpenSearchService``, ``DeliveryToAmazonOpenSearchServerless`` and
``DeliveryToHttpEndpoint`` ``.DataFreshness`` are Firehose's "Implement best practices with
CloudWatch Alarms"
(https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html).
What each ``.Success`` means, and that the legacy Elasticsearch destination publishes
``DataFreshness`` too, is Firehose's "Data delivery CloudWatch metrics"
(https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html):
for S3, Redshift, Elasticsearch and Splunk a ratio (successful over attempted puts, COPY
commands or indexed records; OpenSearch, Elasticsearch's successor, is taken to publish the
same); for an HTTP endpoint "the sum of all successful data delivery requests", a count,
so no ratio. Iceberg's "Monitor metrics" page
(https://docs.aws.amazon.com/firehose/latest/dev/apache-iceberg-metric.html) makes
``DeliveryToIceberg.Success`` a sum of commits. Snowflake's metrics are not known here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import GT, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal

NAMESPACE = "AWS/Firehose"
KIND = "delivery_stream"
DIRECT_PUT = "DirectPut"

#: The destination named by each L1 property: its metric prefix, whether Firehose
#: publishes ``<prefix>.DataFreshness`` for it (AWS's recommended freshness alarms) and
#: whether ``<prefix>.Success`` is a success ratio (successful over attempted deliveries).
_DESTINATIONS: tuple[tuple[str, str, bool, bool], ...] = (
    ("extended_s3_destination_configuration", "DeliveryToS3", True, True),
    ("s3_destination_configuration", "DeliveryToS3", True, True),
    ("redshift_destination_configuration", "DeliveryToRedshift", False, True),
    ("amazonopensearchservice_destination_configuration",
     "DeliveryToAmazonOpenSearchService", True, True),
    ("amazon_open_search_serverless_destination_configuration",
     "DeliveryToAmazonOpenSearchServerless", True, True),
    ("elasticsearch_destination_configuration", "DeliveryToElasticsearch", True, True),
    ("splunk_destination_configuration", "DeliveryToSplunk", True, True),
    # DeliveryToHttpEndpoint.Success is a count of successful requests: no ratio either.
    ("http_endpoint_destination_configuration", "DeliveryToHttpEndpoint", True, False),
    # DeliveryToIceberg.Success counts commits: no ratio to alarm on.
    ("iceberg_destination_configuration", "DeliveryToIceberg", True, False),
)


@dataclass
class DeliveryStreamTarget:
    key: str
    label: str
    #: The DeliveryStreamName dimension: the name, or a Ref when CloudFormation names it.
    delivery_stream_name: str
    delivery_stream: Any
    #: Metric prefix of the destination (``DeliveryToS3``...); None when not known.
    destination: str | None = None
    #: ``DirectPut``, ``KinesisStreamAsSource``, ``MSKAsSource``...; None when not known.
    source_type: str | None = None
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


_Q = schema.QueryName
CHECKS = (
    Check(KIND, "freshness", "records not delivered in time",
          "DeliveryTo<destination>.DataFreshness", "Maximum", 900, GT, 300, 1, 1,
          "notBreaching", "warning", "seconds", _Q.RECENT_ERRORS,
          minimum=60, maximum=86_400,
          when="a destination that publishes DataFreshness (S3, OpenSearch, Elasticsearch, "
               "Splunk, HTTP endpoint, Iceberg)"),
    Check(KIND, "delivery_failures", "deliveries failing",
          "100*(1-DeliveryTo<destination>.Success)", "Average", 0, GT, 300, 3, 3,
          "notBreaching", "critical", "% of deliveries", _Q.RECENT_ERRORS,
          maximum=100,
          when="a destination with a success ratio (S3, Redshift, OpenSearch, "
               "Elasticsearch, Splunk)"),
    Check(KIND, "throttled_records", "records throttled", "ThrottledRecords", "Sum", 0, GT,
          60, 5, 5, "notBreaching", "warning", "records per minute",
          _Q.RECENT_ERRORS, when="a Direct PUT stream (or an imported one)"),
)
_CHECK = {c.name: c for c in CHECKS}


def plan_delivery_stream(target: DeliveryStreamTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("DeliveryStreamName", target.delivery_stream_name),)
    prefix = target.destination
    freshness, ratio = next(((f, r) for _, p, f, r in _DESTINATIONS if p == prefix),
                            (False, False))
    plans = []
    for name, condition in (("freshness", freshness), ("delivery_failures", ratio),
                            ("throttled_records", target.source_type in (None, DIRECT_PUT))):
        settings = ctx.resolve(KIND, name, target.alarm_overrides)
        if not ctx.wanted(settings, condition):
            continue
        if name != "throttled_records" and prefix is None:
            raise ValueError(
                f"{ctx.option_of(KIND, name, target.alarm_overrides)}: the destination of "
                f"{target.label} is not known (an imported stream), so its delivery metrics "
                "cannot be named; leave this check to streams defined in the app")
        plan = AlarmPlan(settings=settings, resource_key=target.key, label=target.label,
                         service=ctx.service)
        if name == "freshness":
            plan.metric = MetricRef(NAMESPACE, f"{prefix}.DataFreshness", dims)
        elif name == "delivery_failures":
            plan.expression = "100*(1-m1)"
            plan.math_metrics = (MetricRef(NAMESPACE, f"{prefix}.Success", dims),)
        else:
            plan.metric = MetricRef(NAMESPACE, "ThrottledRecords", dims)
        plans.append(plan)
    return plans


def register_cfn_delivery_stream(registrar: Registrar, cfn: Any, path: str) -> None:
    """A ``kinesisfirehose.CfnDeliveryStream`` (Ref: its name)."""
    name = literal(cfn, cfn.delivery_stream_name)
    destination = next((prefix for prop, prefix, _, _ in _DESTINATIONS
                        if getattr(cfn, prop, None) is not None), None)
    if destination is None:
        registrar.note(f"{name or path}: a Firehose destination without per-destination "
                       "delivery metrics watchkeeper knows (e.g. Snowflake): only "
                       "throttled records are alarmed")
    registrar.register(KIND, path, DeliveryStreamTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        delivery_stream_name=name or cfn.ref, delivery_stream=cfn, destination=destination,
        source_type=literal(cfn, cfn.delivery_stream_type) or DIRECT_PUT))


def register_delivery_stream(registrar: Registrar, stream: Any, path: str) -> None:
    """A ``kinesisfirehose.DeliveryStream``, or an import (``from_delivery_stream_arn``,
    ``_name``, ``_attributes``): no L1 below it, destination and source not known."""
    cfn = stream.node.default_child
    if cfn is not None:
        return register_cfn_delivery_stream(registrar, cfn, path)
    name = literal(stream, stream.delivery_stream_name)
    registrar.note(f"{name or path}: an imported delivery stream's destination is not "
                   "known: only throttled records are alarmed")
    registrar.register(KIND, path, DeliveryStreamTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        delivery_stream_name=stream.delivery_stream_name, delivery_stream=stream))


DELIVERY_STREAM = ResourceKind(
    name=KIND,
    collection="delivery_streams",
    identifier="delivery_stream_name",
    l2=lambda: loaded_classes("aws_kinesisfirehose", "DeliveryStream"),
    l1=lambda: loaded_classes("aws_kinesisfirehose", "CfnDeliveryStream"),
    register_l1=register_cfn_delivery_stream,
    register_l2=register_delivery_stream,
    member="delivery_stream_arn",
    plan_alarms=plan_delivery_stream,
    checks=CHECKS,
    panels=(NAMESPACE, "DeliveryStreamName", (
        ("records", (("IncomingRecords", "Sum", {}), ("ThrottledRecords", "Sum", {}))),
        # Panels are per kind: S3, which every destination stages or backs up to.
        ("delivery to S3", (("DeliveryToS3.DataFreshness", "Maximum", {}),
                            ("DeliveryToS3.Success", "Average", {"yAxis": "right"}))),
    )),
)
