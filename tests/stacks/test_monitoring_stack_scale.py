"""MonitoringStack at scale: 300 functions without touching a limit setting.

Two synths (300 and 301 functions) are shared by every test of the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from watchkeeper.stacks import MonitoringStack
from watchkeeper.stacks.monitoring_stack import shard_of

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
MAX_DASHBOARD_WIDGETS = 500
MAX_DASHBOARD_METRICS = 2500


def _names(n: int) -> list[str]:
    return [f"fleet-prod-fn{i:03d}" for i in range(n)]


def _synth(tmp: Path, names: list[str]) -> dict[str, dict]:
    app = cdk.App(outdir=str(tmp))
    MonitoringStack(
        app, "Fleet", service_name="fleet", function_names=names,
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    app.synth()
    return {p.name: json.loads(p.read_text()) for p in tmp.glob("*.template.json")} | {
        "__sizes__": {p.name: p.stat().st_size for p in tmp.glob("*.template.json")}
    }


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    before = _synth(tmp_path_factory.mktemp("fleet300"), _names(300))
    # The added name sorts in the middle: placement must not depend on order.
    after = _synth(tmp_path_factory.mktemp("fleet301"), [*_names(300), "fleet-prod-fn150b"])
    return before, after


def _templates(fleet: dict) -> dict[str, dict]:
    return {k: v for k, v in fleet.items() if k != "__sizes__"}


def test_every_template_within_cloudformation_limits(fleets):
    before, _ = fleets
    for name, template in _templates(before).items():
        assert len(template["Resources"]) <= MAX_RESOURCES, name
        assert before["__sizes__"][name] <= MAX_TEMPLATE_BYTES, name
    assert len(_templates(before)) > 2  # split into nested stacks


def test_every_function_is_alarmed(fleets):
    before, _ = fleets
    alarmed = {
        d["Value"]
        for t in _templates(before).values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        for d in r["Properties"].get("Dimensions", [])
        if d["Name"] == "FunctionName"
    }
    assert alarmed == set(_names(300))


def test_every_dashboard_within_its_limits(fleets):
    before, _ = fleets
    dashboards = [
        r["Properties"]
        for t in _templates(before).values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    # 300 functions as fleet graphs (a line each) fit on one operations page.
    assert sorted(p["DashboardName"] for p in dashboards) == [
        "fleet-operations", "fleet-security"]
    drawn = []
    for props in dashboards:
        widgets = json.loads(_body_text(props["DashboardBody"]))["widgets"]
        assert len(widgets) <= MAX_DASHBOARD_WIDGETS
        metrics = sum(len(w["properties"].get("metrics", [])) for w in widgets)
        assert metrics <= MAX_DASHBOARD_METRICS
        for w in widgets:
            assert len(w["properties"].get("metrics", [])) <= 500
            assert 0 <= w["x"] and w["x"] + w["width"] <= 24
            if w["properties"].get("title", "").endswith(": errors"):
                drawn += [line[3] for line in w["properties"]["metrics"]]
    assert drawn == _names(300)


def test_adding_a_function_moves_and_changes_no_other_functions_resource(fleets):
    before, after = fleets
    b, a = _templates(before), _templates(after)
    # Every resource keeps its stack and logical ID.
    for name, template in b.items():
        assert name in a, f"template {name} disappeared"
        assert set(template["Resources"]) <= set(a[name]["Resources"]), name
    # Per-function resources (nested shard templates) are byte-identical, except the new
    # function's own additions to its shard.
    new_shard = shard_of("fleet-prod-fn150b", 16)
    changed_templates = []
    for name, template in b.items():
        if ".nested." not in name or "Shard" not in name:
            continue
        for logical_id, resource in template["Resources"].items():
            after_resource = a[name]["Resources"][logical_id]
            if resource["Type"] == "Custom::WatchkeeperLogGroups" and after_resource != resource:
                # the shard's ensuring resource gains the new function's group, nothing else
                names = after_resource["Properties"]["LogGroupNames"]
                assert sorted(set(names) - set(resource["Properties"]["LogGroupNames"])) == [
                    "/aws/lambda/fleet-prod-fn150b"]
                assert f"Shard{new_shard:02d}" in name
                continue
            assert after_resource == resource, (name, logical_id)
        if a[name] != template:
            changed_templates.append(name)
    assert len(changed_templates) == 1 and f"Shard{new_shard:02d}" in changed_templates[0]
    added = set(a[changed_templates[0]]["Resources"]) - set(b[changed_templates[0]]["Resources"])
    assert added and all("fn150b" in logical_id for logical_id in added)


def test_in_stack_monitoring_of_a_large_service_with_nested_stacks(tmp_path):
    from aws_cdk import aws_lambda as lambda_

    from watchkeeper import InsightsOptions, ServiceMonitoring

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Big", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    code = lambda_.Code.from_inline("def handler(e, c):\n    return 1\n")
    role = __import__("aws_cdk.aws_iam", fromlist=["Role"]).Role(
        stack, "SharedRole",
        assumed_by=__import__("aws_cdk.aws_iam", fromlist=["ServicePrincipal"]).ServicePrincipal(
            "lambda.amazonaws.com"
        ),
    )
    for i in range(170):  # 170 functions: 510 alarms would not fit in the stack itself
        lambda_.Function(stack, f"Fn{i:03d}", runtime=lambda_.Runtime.PYTHON_3_12,
                         handler="index.handler", code=code, role=role)
    # A row of graphs per function (not the fleet graphs "auto" draws from 11 functions):
    # 510 graphs, more than one dashboard holds (500 widgets).
    ServiceMonitoring(stack, "Monitoring", service_name="big", nested_stacks=True,
                      insights=InsightsOptions(function_graphs="per_function"))
    app.synth()
    sizes = {p.name: p.stat().st_size for p in tmp_path.glob("*.template.json")}
    templates = {n: json.loads((tmp_path / n).read_text()) for n in sizes}
    assert len(templates) > 2
    for name, template in templates.items():
        assert len(template["Resources"]) <= MAX_RESOURCES, name
        assert sizes[name] <= MAX_TEMPLATE_BYTES, name
    nested_alarms = [
        r for n, t in templates.items() if ".nested." in n
        for r in t["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert len(nested_alarms) == 170 * 3  # errors, throttles, duration
    # Two operations pages (in the app's stack: nested stacks hold the per-function
    # resources); every function's row on exactly one of them.
    pages = {r["Properties"]["DashboardName"]: (n, r["Properties"]["DashboardBody"])
             for n, t in templates.items() for r in t["Resources"].values()
             if r["Type"] == "AWS::CloudWatch::Dashboard"}
    assert sorted(pages) == ["big-operations", "big-operations-2", "big-security"]
    rows = [w["properties"]["title"] for name in ("big-operations", "big-operations-2")
            for w in json.loads(_body_text(pages[name][1]))["widgets"]
            if w["properties"].get("title", "").endswith(": throttles, concurrency")]
    assert rows == [f"Big/Fn{i:03d}: throttles, concurrency" for i in range(170)]


def _body_text(body) -> str:
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    return text[0] if isinstance(text, list) else text  # [body, {alarm ARN prefix}]


def test_every_referenced_log_group_is_ensured_by_its_shard(fleets):
    """Functions that never ran have no log group yet: one ensuring resource per shard
    lists its groups, and every metric filter of the shard waits for it."""
    before, _ = fleets
    ensured: list[str] = []
    for name, template in _templates(before).items():
        resources = template["Resources"]
        ensurers = [k for k, r in resources.items() if r["Type"] == "Custom::WatchkeeperLogGroups"]
        filters = {k: r for k, r in resources.items() if r["Type"] == "AWS::Logs::MetricFilter"}
        if not filters:
            continue
        assert len(ensurers) == 1, name
        ensured += resources[ensurers[0]]["Properties"]["LogGroupNames"]
        for logical_id, resource in filters.items():
            assert ensurers[0] in resource.get("DependsOn", []), (name, logical_id)
    assert sorted(ensured) == sorted(f"/aws/lambda/{n}" for n in _names(300))
