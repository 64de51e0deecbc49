"""Adding a kind of resource is one module and one registry line (docs/adding-a-kind.md).

The kind below (Kinesis data streams) lives in this test module only; registering it in
``kinds.registry.KINDS`` is the only other change, and the stream is then discovered,
alarmed, drawn on the operations dashboard and listed in the template metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import GT, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.kinds.base import PERCENTILES, Registrar, ResourceKind, literal
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

# -- the kind module --------------------------------------------------------------------

NAMESPACE = "AWS/Kinesis"
KIND = "stream"


@dataclass
class StreamTarget:
    key: str
    label: str
    stream_name: str
    stream: Any
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


ITERATOR_AGE = Check(
    kind=KIND, name="iterator_age", title="consumers falling behind",
    metric="GetRecords.IteratorAgeMilliseconds", statistic="Maximum", threshold=60_000,
    comparison=GT, period=60, evaluation_periods=5, datapoints_to_alarm=5,
    treat_missing_data="notBreaching", severity="warning", category="operational",
    unit="ms", query=schema.QueryName.RECENT_ERRORS,
)


def plan_stream(target: StreamTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("StreamName", target.stream_name),)
    return ctx.metric_plans(KIND, target, NAMESPACE, dims,
                            {"iterator_age": "GetRecords.IteratorAgeMilliseconds"})


def register_cfn_stream(registrar: Registrar, cfn: Any, path: str) -> None:
    name = literal(cfn, cfn.name)  # Ref of a CfnStream: its name
    registrar.register(KIND, path, StreamTarget(
        key=registrar.unique_key(name or path.rsplit("/", 1)[-1]), label=name or path,
        stream_name=name or cfn.ref, stream=cfn))


def register_stream(registrar: Registrar, stream: Any, path: str) -> None:
    # The L2's stream_name is a Ref; its L1 holds the literal name.
    register_cfn_stream(registrar, stream.node.default_child, path)


STREAM = ResourceKind(
    name=KIND,
    collection="streams",
    identifier="stream_name",
    l2=lambda: loaded_classes("aws_kinesis", "Stream"),
    l1=lambda: loaded_classes("aws_kinesis", "CfnStream"),
    register_l1=register_cfn_stream,
    register_l2=register_stream,
    plan_alarms=plan_stream,
    checks=(ITERATOR_AGE,),
    panels=(NAMESPACE, "StreamName", (
        ("records", (("IncomingRecords", "Sum", {}), ("GetRecords.Records", "Sum", {}))),
        ("iterator age (ms)",
         tuple(("GetRecords.IteratorAgeMilliseconds", st, o) for st, o in PERCENTILES)),
    )),
)

# -- the app ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def streamed():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "KINDS", (*registry.KINDS, STREAM))  # the registry line
        app = cdk.App()
        stack = cdk.Stack(app, "Streams",
                          env=cdk.Environment(account="123456789012", region="eu-west-1"))
        kinesis.Stream(stack, "Events", stream_name="orders-events")
        lambda_.Function(stack, "Worker", runtime=lambda_.Runtime.PYTHON_3_12,
                         handler="index.handler",
                         code=lambda_.Code.from_inline("def handler(e, c):\n    return e\n"))
        monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders")
        template = Template.from_stack(stack).to_json()
    return monitoring, template


def test_the_new_kind_is_discovered(streamed):
    monitoring, template = streamed
    assert [t.stream_name for t in monitoring.targets_of(KIND)] == ["orders-events"]
    services = template["Metadata"]["Watchkeeper"]["services"]
    assert services[0]["monitored"]["streams"] == ["orders-events"]


def test_the_new_kind_is_alarmed_with_its_own_check(streamed):
    monitoring, template = streamed
    details = [a for a in monitoring.alarm_details if a.check == "stream.iterator_age"]
    assert [(a.resource_key, a.severity) for a in details] == [("orders-events", "warning")]
    alarm = next(r["Properties"] for r in template["Resources"].values()
                 if r["Type"] == "AWS::CloudWatch::Alarm"
                 and r["Properties"].get("MetricName") == "GetRecords.IteratorAgeMilliseconds")
    assert alarm["Namespace"] == NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "StreamName", "Value": "orders-events"}]
    assert alarm["Threshold"] == 60_000


def test_the_new_kind_is_on_the_operations_dashboard(streamed):
    _, template = streamed
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"]
                for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    widgets = json.loads(body)["widgets"]
    titles = [w["properties"].get("title") for w in widgets]
    assert "orders-events: records" in titles
    records = widgets[titles.index("orders-events: records")]["properties"]["metrics"]
    assert records[0][:4] == [NAMESPACE, "IncomingRecords", "StreamName", "orders-events"]


def test_the_template_passes_cfn_lint(streamed):
    assert lint_template(streamed[1]) == []
