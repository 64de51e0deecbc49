"""DynamoDB tables: discovery, target record, alarms (AWS/DynamoDB) and dashboard panels.

``ReadThrottleEvents`` and ``WriteThrottleEvents`` are published per table (dimension
TableName). ``SystemErrors`` is published per table *and operation* only, and CloudWatch
does not aggregate over a missing dimension, so the system-errors alarm sums the ten
data-plane operations with metric math: 10 metrics, CloudWatch's limit for one alarm.
CloudWatch treats missing data as ``ignore`` for AWS/DynamoDB whatever is set, so an alarm
on these sparse metrics would stay in ALARM after the last throttle or error (and the
service-health composite, which notifies on a change of state, would stay silent for every
later failure): every check here is ``missing_as_zero``, and ``core.render`` reads the
metric through ``FILL(..., 0)`` (billed per metric read, as before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import GT, NOT_BREACHING, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/DynamoDB"
KIND = "table"

#: The kind's alarm checks, in the order of docs/alarms.md. Their metrics are read with
#: missing data filled with 0: CloudWatch ignores TreatMissingData for AWS/DynamoDB.
CHECKS: tuple[Check, ...] = (
    # (missing data filled with 0: CloudWatch ignores TreatMissingData for AWS/DynamoDB)
    Check(KIND, "read_throttles", "read throttle events", "ReadThrottleEvents", "Sum", 0, GT, 60,
          5, 5, NOT_BREACHING, "warning", "events per minute", QueryName.RECENT_ERRORS,
          missing_as_zero=True),
    Check(KIND, "write_throttles", "write throttle events", "WriteThrottleEvents", "Sum", 0, GT,
          60, 5, 5, NOT_BREACHING, "warning", "events per minute", QueryName.RECENT_ERRORS,
          missing_as_zero=True),
    Check(KIND, "system_errors", "system errors", "SystemErrors (sum of 10 operations)", "Sum",
          0, GT, 60, 15, 15, NOT_BREACHING, "critical", "errors per minute",
          QueryName.RECENT_ERRORS, missing_as_zero=True),
)
#: Operations whose SystemErrors are summed (the data plane an application calls).
SYSTEM_ERROR_OPERATIONS: tuple[str, ...] = (
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
)


@dataclass
class TableTarget:
    key: str
    label: str
    table_name: str
    table: Any
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_table(target: TableTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("TableName", target.table_name),)
    plans = ctx.metric_plans(KIND, target, NAMESPACE, dims, {
        "read_throttles": "ReadThrottleEvents", "write_throttles": "WriteThrottleEvents"})
    settings = ctx.resolve(KIND, "system_errors", target.alarm_overrides)
    if ctx.wanted(settings, True):
        metrics = tuple(MetricRef(NAMESPACE, "SystemErrors", dims + (("Operation", op),))
                        for op in SYSTEM_ERROR_OPERATIONS)
        ids = ", ".join(f"m{i}" for i in range(1, len(metrics) + 1))
        plans.append(AlarmPlan(settings=settings, resource_key=target.key, label=target.label,
                               service=ctx.service, expression=f"SUM([{ids}])",
                               math_metrics=metrics))
    return plans


def register_cfn_table(registrar: Registrar, cfn: Any, path: str) -> None:
    """A ``dynamodb.CfnTable`` or ``CfnGlobalTable`` (Ref: the table's name)."""
    name = literal(cfn, cfn.table_name)
    registrar.register(KIND, path, TableTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        table_name=name or cfn.ref, table=cfn))


TABLE = ResourceKind(
    name=KIND,
    collection="tables",
    identifier="table_name",
    l2=lambda: loaded_classes("aws_dynamodb", "Table", "TableV2"),
    l1=lambda: loaded_classes("aws_dynamodb", "CfnTable", "CfnGlobalTable"),
    register_l1=register_cfn_table,
    plan_alarms=plan_table,
    checks=CHECKS,
    panels=(NAMESPACE, "TableName", (
        ("consumed capacity", (("ConsumedReadCapacityUnits", "Sum", {}),
                               ("ConsumedWriteCapacityUnits", "Sum", {}))),
        ("throttled events", (("ReadThrottleEvents", "Sum", {}),
                              ("WriteThrottleEvents", "Sum", {}))),
    )),
)
