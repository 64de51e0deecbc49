"""Adding a kind of resource is one module and one registry line (docs/adding-a-kind.md).

The kind below (Kinesis data streams) is the module shown in docs/adding-a-kind.md, run
as written; registering it in ``kinds.registry.KINDS`` is the only other change, and the
stream is then discovered, alarmed, drawn on the operations dashboard and listed in the
template metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from watchkeeper import AlarmOptions
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

# -- the kind module: the example of docs/adding-a-kind.md, run as written -------------

DOC = Path(__file__).resolve().parents[3] / "docs" / "adding-a-kind.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
_module: dict[str, Any] = {}
exec(_BLOCK.findall(DOC.read_text())[0], _module)  # noqa: S102 - the documented module
STREAM = _module["STREAM"]
KIND = _module["KIND"]
NAMESPACE = _module["NAMESPACE"]


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
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    widgets = json.loads(body)["widgets"]
    titles = [w["properties"].get("title") for w in widgets]
    assert "orders-events: records" in titles
    records = widgets[titles.index("orders-events: records")]["properties"]["metrics"]
    assert records[0][:4] == [NAMESPACE, "IncomingRecords", "StreamName", "orders-events"]


def test_overrides_reach_the_new_kinds_checks():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "KINDS", (*registry.KINDS, STREAM))
        stack = cdk.Stack(cdk.App(), "Streams")
        kinesis.Stream(stack, "Events", stream_name="orders-events")
        ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
            overrides={f"{KIND}.iterator_age": AlarmSettings(threshold=300_000)}))
        template = Template.from_stack(stack)
        with pytest.raises(
            ValueError, match=r"unknown check 'stream\.nope': use one of .*, stream\.iterator_age$"
        ):
            AlarmOptions(overrides={f"{KIND}.nope": AlarmSettings(threshold=1)})
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "GetRecords.IteratorAgeMilliseconds", "Threshold": 300_000})


def test_the_template_passes_cfn_lint(streamed):
    assert lint_template(streamed[1]) == []
