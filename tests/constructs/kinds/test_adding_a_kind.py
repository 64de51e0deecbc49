"""Adding a kind of resource is one module and one registry line (docs/adding-a-kind.md).

The document walks through the real ``kinds/stream.py``: its code block is that module's
source, so the two cannot drift. The claim itself is proven with a kind written here (log
groups by their ingestion, a kind watchkeeper does not have): registering it in
``kinds.registry.KINDS`` is the only other change, and a log group of the app is then
discovered, alarmed, drawn on the operations dashboard and listed in the template metadata,
and the kind's check takes overrides like a built-in one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from watchkeeper import AlarmOptions, schema
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import GT, AlarmSettings, Check
from watchkeeper.constructs.kinds import registry, stream
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "adding-a-kind.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_the_document_shows_the_stream_module_as_it_is():
    blocks = _BLOCK.findall(DOC.read_text())
    assert blocks[0] == Path(stream.__file__).read_text()


def test_the_documents_registry_line_is_the_registrys():
    blocks = _BLOCK.findall(DOC.read_text())
    source = (ROOT / "watchkeeper" / "constructs" / "kinds" / "registry.py").read_text()
    assert "    STREAM,\n" in blocks[1]
    assert "    STREAM,\n" in source and "import STREAM\n" in source


# -- a kind written here: log groups, alarmed on their ingestion ---------------------------

KIND = "log_group"
NAMESPACE = "AWS/Logs"


@dataclass
class LogGroupTarget:
    key: str
    label: str
    log_group_name: str
    log_group: Any
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


INGESTION = Check(
    kind=KIND, name="ingestion", title="ingestion above its budget", metric="IncomingBytes",
    statistic="Sum", threshold=1e9, comparison=GT, period=3600, evaluation_periods=1,
    datapoints_to_alarm=1, treat_missing_data="notBreaching", severity="warning",
    category="operational", unit="bytes per hour", query=schema.QueryName.RECENT_ERRORS,
)


def plan_log_group(target: LogGroupTarget, ctx: PlanContext) -> list[AlarmPlan]:
    return ctx.metric_plans(KIND, target, NAMESPACE, (("LogGroupName", target.log_group_name),),
                            {"ingestion": "IncomingBytes"})


def register_cfn_log_group(registrar: Registrar, cfn: Any, path: str) -> None:
    name = literal(cfn, cfn.log_group_name)
    registrar.register(KIND, path, LogGroupTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        log_group_name=name or cfn.ref, log_group=cfn))


LOG_GROUP = ResourceKind(
    name=KIND, collection="log_groups_by_ingestion", identifier="log_group_name",
    l2=lambda: (logs.LogGroup,), l1=lambda: (logs.CfnLogGroup,),
    register_l1=register_cfn_log_group,
    register_l2=lambda registrar, group, path: register_cfn_log_group(
        registrar, group.node.default_child, path),
    plan_alarms=plan_log_group, checks=(INGESTION,),
    panels=(NAMESPACE, "LogGroupName", (
        ("ingestion (bytes)", (("IncomingBytes", "Sum", {}),)),
        ("events", (("IncomingLogEvents", "Sum", {}),)),
    )),
)


def audit_app(**options: Any) -> tuple[ServiceMonitoring, dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Audit",
                      env=cdk.Environment(account="123456789012", region="eu-west-1"))
    logs.LogGroup(stack, "Trail", log_group_name="/orders/audit-trail",
                  retention=logs.RetentionDays.ONE_YEAR)
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders", **options)
    return monitoring, Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def audited():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "KINDS", (*registry.KINDS, LOG_GROUP))  # the registry line
        return audit_app()


def test_the_new_kind_is_discovered_and_in_the_metadata(audited):
    monitoring, template = audited
    # the ServiceMonitoring's own log groups are not the app's
    assert [t.log_group_name for t in monitoring.targets_of(KIND)] == ["/orders/audit-trail"]
    services = template["Metadata"]["Watchkeeper"]["services"]
    assert services[0]["monitored"]["log_groups_by_ingestion"] == ["/orders/audit-trail"]


def test_the_new_kind_is_alarmed_with_its_own_check(audited):
    monitoring, template = audited
    details = [a for a in monitoring.alarm_details if a.check == "log_group.ingestion"]
    assert [(a.resource_key, a.severity) for a in details] == [("orders-audit-trail", "warning")]
    (alarm,) = [r["Properties"] for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Alarm"
                and r["Properties"].get("Namespace") == NAMESPACE]
    assert alarm["Dimensions"] == [{"Name": "LogGroupName", "Value": "/orders/audit-trail"}]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["Period"]) == (
        "IncomingBytes", 1e9, 3600)


def test_the_new_kind_is_on_the_operations_dashboard(audited):
    _, template = audited
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    widgets = json.loads(body)["widgets"]
    titles = [w["properties"].get("title") for w in widgets]
    ingestion = widgets[titles.index("/orders/audit-trail: ingestion (bytes)")]
    assert ingestion["properties"]["metrics"][0][:4] == [
        NAMESPACE, "IncomingBytes", "LogGroupName", "/orders/audit-trail"]


def test_overrides_reach_the_new_kinds_checks():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "KINDS", (*registry.KINDS, LOG_GROUP))
        _, template = audit_app(alarms=AlarmOptions(
            overrides={"log_group.ingestion": AlarmSettings(threshold=5e9)}))
        with pytest.raises(ValueError,
                           match=r"unknown check 'log_group\.nope': use one of .*, "
                                 r"log_group\.ingestion, security\.authn_failures, "):
            AlarmOptions(overrides={"log_group.nope": AlarmSettings(threshold=1)})
    Template.from_json(template).has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "IncomingBytes", "Threshold": 5e9})


def test_without_the_registry_line_the_kind_is_unknown():
    with pytest.raises(ValueError, match=r"unknown check 'log_group\.ingestion'"):
        AlarmOptions(overrides={"log_group.ingestion": AlarmSettings(threshold=1)})


def test_the_template_passes_cfn_lint(audited):
    assert lint_template(audited[1]) == []
