"""Kinesis data streams: discovery, target record, alarms (AWS/Kinesis, dimension
StreamName) and dashboard panels.

The alarms are AWS's recommended ones for a stream. The iterator age alarm fires at half
the stream's retention period, when unread records are about to expire (a consumer
function's own lag is ``function.iterator_age``). On-demand streams keep the throughput
alarms: they are throttled too, above twice their previous peak or on a hot partition
key, so only what the description says to do differs.

Sources: the metrics, the ``StreamName`` dimension, the Maximum of the iterator age against
half the retention period and the Average of the throughput-exceeded metrics are the
Kinesis Data Streams guide's "Recommended metrics"
(https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html); the
windows (1-minute periods, 15 of 15 for the iterator age, 5 of 5 for the others) are AWS's
"Recommended alarms" page, Amazon Kinesis Data Streams section. AWS leaves the
throughput thresholds to the user: 1% of calls, since throttled calls are retried. The
guide's ``PutRecord(s).Success`` / ``GetRecords.Success`` alarms are not added:
docs/alarms.md says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import GT, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import (
    Registrar,
    ResourceKind,
    int_or_none,
    last_id,
    literal,
)

NAMESPACE = "AWS/Kinesis"
KIND = "stream"
#: Kinesis keeps records 24 hours unless the stream says otherwise.
DEFAULT_RETENTION_HOURS = 24
_HOUR_MS = 3_600_000


@dataclass
class StreamTarget:
    key: str
    label: str
    #: The StreamName dimension: the name, or a Ref when CloudFormation names the stream.
    stream_name: str
    stream: Any
    #: Hours records are kept (the default when not known, e.g. for an import).
    retention_hours: int = DEFAULT_RETENTION_HOURS
    #: ``ON_DEMAND``, ``PROVISIONED``, or None when not known (an import).
    capacity_mode: str | None = None
    shard_count: int | None = None
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


_Q = schema.QueryName
CHECKS = (
    Check(KIND, "iterator_age", "unread records near the end of their retention",
          "GetRecords.IteratorAgeMilliseconds", "Maximum", 0, GT, 60, 15, 15,
          "notBreaching", "critical",
          "ms (default: half the stream's retention period)", _Q.RECENT_ERRORS,
          minimum=60_000, maximum=8760 * _HOUR_MS),
    Check(KIND, "read_throttled", "reads throttled", "ReadProvisionedThroughputExceeded",
          "Average", 0.01, GT, 60, 5, 5, "notBreaching", "warning",
          "share of read calls (0-1)", _Q.RECENT_ERRORS, maximum=1),
    Check(KIND, "write_throttled", "writes throttled", "WriteProvisionedThroughputExceeded",
          "Average", 0.01, GT, 60, 5, 5, "notBreaching", "warning",
          "share of write calls (0-1)", _Q.RECENT_ERRORS, maximum=1),
    Check(KIND, "put_failures", "records rejected by internal failures",
          "PutRecords.FailedRecords", "Sum", 0, GT, 60, 5, 5, "notBreaching", "warning",
          "records per minute", _Q.RECENT_ERRORS),
)


def plan_stream(target: StreamTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("StreamName", target.stream_name),)
    plans = ctx.metric_plans(KIND, target, NAMESPACE, dims, {c.name: c.metric for c in CHECKS})
    if target.capacity_mode == "ON_DEMAND":
        remedy = "(on demand: above twice the previous peak, or a hot partition key: spread keys)"
    else:
        count = target.shard_count
        shards = f"{count} shard{'s' * (count != 1)}" if count else "provisioned"
        remedy = f"({shards}: add shards, or spread the partition keys)"
    for plan in plans:
        if plan.check.name == "iterator_age" and plan.settings.threshold == 0:
            plan.threshold = target.retention_hours * _HOUR_MS / 2  # not overridden
            plan.threshold_note = f"ms (half the {target.retention_hours} h retention)"
        elif plan.check.name in ("read_throttled", "write_throttled"):
            plan.threshold_note = remedy
    return plans


def register_cfn_stream(registrar: Registrar, cfn: Any, path: str) -> None:
    """A ``kinesis.CfnStream`` (Ref: its name)."""
    name = literal(cfn, cfn.name)
    mode = cfn.stream_mode_details
    mode_name = literal(cfn, getattr(mode, "stream_mode", None)) if mode else "PROVISIONED"
    registrar.register(KIND, path, StreamTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        stream_name=name or cfn.ref, stream=cfn, capacity_mode=mode_name,
        retention_hours=int_or_none(cfn.retention_period_hours) or DEFAULT_RETENTION_HOURS,
        shard_count=int_or_none(cfn.shard_count)))


def register_stream(registrar: Registrar, stream: Any, path: str) -> None:
    """A ``kinesis.Stream``, or an import (``Stream.from_stream_arn``): no L1 below it."""
    cfn = stream.node.default_child
    if cfn is not None:
        return register_cfn_stream(registrar, cfn, path)
    name = literal(stream, stream.stream_name)
    registrar.register(KIND, path, StreamTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        stream_name=stream.stream_name, stream=stream))


STREAM = ResourceKind(
    name=KIND,
    collection="streams",
    identifier="stream_name",
    l2=lambda: loaded_classes("aws_kinesis", "Stream"),
    l1=lambda: loaded_classes("aws_kinesis", "CfnStream"),
    register_l1=register_cfn_stream,
    register_l2=register_stream,
    member="stream_arn",
    plan_alarms=plan_stream,
    checks=CHECKS,
    panels=(NAMESPACE, "StreamName", (
        ("records", (("IncomingRecords", "Sum", {}), ("GetRecords.Records", "Sum", {}),
                     ("PutRecords.FailedRecords", "Sum", {}))),
        ("iterator age (ms)", (("GetRecords.IteratorAgeMilliseconds", "Maximum", {}),
                               ("GetRecords.IteratorAgeMilliseconds", "Average", {}))),
    )),
)
