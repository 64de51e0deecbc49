"""A service without functions gets only what its resources need: no service log group,
no function metric filters or queries, no dashboard panels that read nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from watchkeeper import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    # the feature flags of a current `cdk init` project
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(context=context)
    flows = cdk.Stack(app, "Flows")
    sfn.StateMachine(
        flows, "Fulfil", state_machine_name="flows-fulfil",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(flows, "Step")),
    )
    flows_mon = ServiceMonitoring(flows, "Monitoring", service_name="flows")
    data = cdk.Stack(app, "Data")
    sqs.Queue(data, "Jobs", queue_name="data-jobs", enforce_ssl=True)
    dynamodb.Table(
        data, "Items", table_name="data-items",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
    )
    data_mon = ServiceMonitoring(data, "Monitoring", service_name="data")
    return {
        "flows": Template.from_stack(flows),
        "data": Template.from_stack(data),
        "flows_mon": flows_mon,
        "data_mon": data_mon,
    }


@pytest.fixture(params=["flows", "data"])
def service(request: pytest.FixtureRequest, built: dict[str, Any]) -> tuple[str, Template, Any]:
    name = request.param
    return name, built[name], built[f"{name}_mon"]


def _bodies(template: Template) -> dict[str, dict[str, Any]]:
    return {
        props["Properties"]["DashboardName"]: json.loads(
            props["Properties"]["DashboardBody"]["Fn::Sub"][0])
        for props in template.find_resources("AWS::CloudWatch::Dashboard").values()
    }


def test_no_service_log_group_and_nothing_that_reads_function_logs(service) -> None:
    name, template, mon = service
    groups = [g["Properties"].get("LogGroupName")
              for g in template.find_resources("AWS::Logs::LogGroup").values()]
    assert f"/watchkeeper/{name}/functions" not in groups
    assert mon.service_log_group is None  # after synth: never created
    assert template.find_resources("AWS::Logs::MetricFilter") == {}
    assert template.find_resources("AWS::Logs::QueryDefinition") == {}
    assert mon.metric_filters == [] and mon.saved_queries == []


def test_alarms_only_for_the_resources_found(service) -> None:
    _, _, mon = service
    keys = {t.key for t in (*mon.state_machines, *mon.queues, *mon.tables)}
    assert keys
    watched = {d.resource_key for d in mon.alarm_details if d.kind != "composite"}
    # every resource has its alarms; nothing service-wide (those read function logs and
    # Lambda's account concurrency)
    assert watched == keys


def test_only_an_operations_dashboard_whose_panels_have_data(service) -> None:
    name, template, _ = service
    bodies = _bodies(template)
    assert sorted(bodies) == [f"{name}-operations"]
    widgets = bodies[f"{name}-operations"]["widgets"]
    assert not [w for w in widgets if w["type"] == "log"]
    metric_widgets = [w for w in widgets if w["type"] == "metric"]
    assert metric_widgets
    for widget in metric_widgets:
        lines = widget["properties"]["metrics"]
        assert lines, widget["properties"]["title"]
        # nothing from the service's log-metric namespace: no filter publishes there
        assert lines[0][0] != f"Watchkeeper/{name}", widget["properties"]["title"]
    header = widgets[0]["properties"]["markdown"]
    assert "no saved queries" in header


def test_templates_pass_cfn_lint(service) -> None:
    _, template, _ = service
    assert lint_template(template.to_json()) == []
