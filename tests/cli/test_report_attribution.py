"""``watchkeeper report`` counts and prices only what watchkeeper created.

The app below has, like a real app with its own dashboards, its own two alarms, a dashboard
and a log group next to ``ServiceMonitoring``. The report must list those apart
(``app_own``, ``--all``) and leave them out of the totals and the price. What watchkeeper
created is found independently here, by construct path (``aws:cdk:path`` metadata).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_cloudwatch as cloudwatch  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk import aws_logs as logs  # noqa: E402

from watchkeeper import ServiceMonitoring, cli  # noqa: E402
from watchkeeper.cli.report import COUNTED_TYPES, load_assembly, report_json, report_text  # noqa: E402
from watchkeeper.schema import TemplateMetadata  # noqa: E402
from watchkeeper.testing.cfn import lint_template  # noqa: E402

ENV = cdk.Environment(account="123456789012", region="us-east-1")
MONITORING_PATH = "Shop/Monitoring/"
APP_ALARMS = ["shop-own-errors", "shop-own-throttles"]
APP_DASHBOARD = "shop-own-board"
APP_LOG_GROUP = "shop-own-audit"
PRICED_TYPES = {
    "log_groups",
    "metric_filters",
    "alarms",
    "composite_alarms",
    "dashboards",
    "saved_queries",
}


def _function(stack: cdk.Stack, construct_id: str) -> lambda_.Function:
    return lambda_.Function(
        stack,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("attribution") / "cdk.out"
    # Path metadata (set by the CDK CLI, not by App) tells the test what is watchkeeper's.
    app = cdk.App(outdir=str(out), context={"aws:cdk:enable-path-metadata": True})
    stack = cdk.Stack(app, "Shop", env=ENV)
    checkout = _function(stack, "Checkout")
    refund = _function(stack, "Refund")
    # The app's own monitoring, as cdk-monitoring-constructs would add it.
    cloudwatch.Alarm(
        stack, "OwnErrors", alarm_name=APP_ALARMS[0], metric=checkout.metric_errors(),
        threshold=1, evaluation_periods=1,
    )
    cloudwatch.Alarm(
        stack, "OwnThrottles", alarm_name=APP_ALARMS[1], metric=refund.metric_throttles(),
        threshold=1, evaluation_periods=1,
    )
    board = cloudwatch.Dashboard(stack, "OwnBoard", dashboard_name=APP_DASHBOARD)
    board.add_widgets(cloudwatch.GraphWidget(left=[checkout.metric_invocations()]))
    logs.LogGroup(
        stack, "OwnAudit", log_group_name=APP_LOG_GROUP, retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    ServiceMonitoring(stack, "Monitoring", service_name="shop")
    app.synth()
    return out


def _templates(outdir: Path) -> dict[Path, dict[str, Any]]:
    return {path: json.loads(path.read_text()) for path in outdir.rglob("*.template.json")}


def _by_path(outdir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Counted resources per report key: (watchkeeper's, the app's), by construct path."""
    types = {cfn_type: key for key, cfn_type in COUNTED_TYPES.items()}
    ours = dict.fromkeys(COUNTED_TYPES, 0)
    theirs = dict.fromkeys(COUNTED_TYPES, 0)
    for template in _templates(outdir).values():
        for resource in template["Resources"].values():
            key = types.get(resource["Type"])
            if key is None:
                continue
            path = resource.get("Metadata", {}).get("aws:cdk:path", "")
            (ours if path.startswith(MONITORING_PATH) else theirs)[key] += 1
    return ours, theirs


@pytest.fixture(scope="module")
def document(outdir: Path) -> dict[str, Any]:
    return report_json(load_assembly(outdir))


def test_templates_pass_cfn_lint(outdir: Path) -> None:
    for path, template in _templates(outdir).items():
        assert lint_template(template) == [], path.name


def test_metadata_records_what_watchkeeper_created(outdir: Path) -> None:
    template = json.loads((outdir / "Shop.template.json").read_text())
    (service,) = template["Metadata"][TemplateMetadata.KEY][TemplateMetadata.SERVICES]
    created = set(service[TemplateMetadata.CREATED])
    resources = template["Resources"]
    expected = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Metadata", {}).get("aws:cdk:path", "").startswith(MONITORING_PATH)
    }
    assert created == expected
    assert created <= set(resources)


def test_totals_count_only_what_watchkeeper_created(
    outdir: Path, document: dict[str, Any]
) -> None:
    ours, theirs = _by_path(outdir)
    assert theirs["alarms"] == 2 and theirs["dashboards"] == 1  # the app's own are there
    for key in PRICED_TYPES:
        assert document["totals"][key] == ours[key], key
    for key, value in document["other_totals"].items():
        assert value == ours[key], key
    assert document["totals"]["alarms"] > 0  # watchkeeper's alarms are still counted


def test_app_own_lists_exactly_the_apps_monitoring_resources(document: dict[str, Any]) -> None:
    (shop,) = document["stacks"]
    names = shop["app_own"]["names"]
    assert sorted(names["alarms"]) == APP_ALARMS
    assert names["dashboards"] == [APP_DASHBOARD]
    assert names["log_groups"] == [APP_LOG_GROUP]
    # The two functions are the app's too; nothing else of a counted type is.
    assert len(names["lambda_functions"]) == 2
    assert shop["app_own"]["counts"] == {
        key: len(value) for key, value in names.items()
    }
    assert sum(shop["app_own"]["counts"].values()) == 6
    assert APP_DASHBOARD not in shop["names"]["dashboards"]
    assert not set(APP_ALARMS) & {a["name"] for a in shop["alarms_detail"]}


def test_price_is_that_of_watchkeepers_resources_alone(
    outdir: Path, document: dict[str, Any], tmp_path: Path
) -> None:
    # The same assembly with the app's own counted resources deleted and no attribution:
    # counted whole, as reports on older assemblies are.
    copy = tmp_path / "cdk.out"
    shutil.copytree(outdir, copy)
    for path, template in _templates(copy).items():
        template["Resources"] = {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] not in COUNTED_TYPES.values()
            or resource.get("Metadata", {}).get("aws:cdk:path", "").startswith(MONITORING_PATH)
        }
        for service in template.get("Metadata", {}).get(TemplateMetadata.KEY, {}).get(
            TemplateMetadata.SERVICES, []
        ):
            del service[TemplateMetadata.CREATED]
        path.write_text(json.dumps(template))
    alone = report_json(load_assembly(copy))
    assert document["totals"] == alone["totals"]
    assert document["cost"] == alone["cost"]
    assert alone["stacks"][0]["app_own"]["counts"] == dict.fromkeys(COUNTED_TYPES, 0)


def test_changes_to_the_apps_resources_are_listed(
    outdir: Path, document: dict[str, Any]
) -> None:
    template = json.loads((outdir / "Shop.template.json").read_text())
    (service,) = template["Metadata"][TemplateMetadata.KEY][TemplateMetadata.SERVICES]
    recorded = TemplateMetadata.changes_of(service[TemplateMetadata.CHANGES])
    assert recorded  # the app's functions get their logging changed
    assert [
        {k: c[k] for k in ("kind", "resource", "detail")} for c in document["stacks"][0]["changed"]
    ] == [{k: c[k] for k in ("kind", "resource", "detail")} for c in recorded]


def test_cli_json_and_text(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours, _ = _by_path(outdir)
    assert cli.main(["report", str(outdir), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["totals"]["alarms"] == ours["alarms"]
    assert sorted(printed["stacks"][0]["app_own"]["names"]["alarms"]) == APP_ALARMS

    assert cli.main(["report", str(outdir)]) == 0
    default = capsys.readouterr().out
    assert "the app's own (6): not created by watchkeeper, not counted; --all lists them" in (
        default
    )
    assert APP_DASHBOARD not in default

    assert cli.main(["report", str(outdir), "--all"]) == 0
    full = capsys.readouterr().out
    assert "the app's own (not counted) (6):" in full
    assert f"dashboards (1): {APP_DASHBOARD}" in full
    assert f"alarms (2): {', '.join(APP_ALARMS)}" in full
    assert f"log groups (1): {APP_LOG_GROUP}" in full
    assert report_text(load_assembly(outdir), show_app_own=True) == full
