"""End to end: an existing CDK app, monitored through the public names of DESIGN.md only.

The app mixes what real apps have: named, unnamed and imported functions, an HTTP API and
a REST API, a queue with a dead-letter queue, a table and a state machine. One synth (with
cdk-nag's packs as validation plugins) is shared by every test of the module.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.cli import main as cli_main
from watchkeeper.schema import TemplateMetadata
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("existing-app")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Shop", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    mon = ServiceMonitoring(stack, "Monitoring", service_name="shop",
                            alarms=AlarmOptions(emails=["oncall@example.com"]))
    named = _fn(stack, "Checkout", function_name="shop-checkout", timeout=cdk.Duration.seconds(20))
    unnamed = _fn(stack, "Catalog")
    imported = lambda_.Function.from_function_name(stack, "Legacy", "shop-legacy-billing")
    mon.monitor_function(imported, timeout=cdk.Duration.seconds(30))
    http_api = apigwv2.HttpApi(
        stack, "Http",
        default_integration=integrations.HttpLambdaIntegration("Checkout", named),
    )
    rest_api = apigw.LambdaRestApi(stack, "Rest", handler=unnamed)
    dlq = sqs.Queue(stack, "OrdersDlq", enforce_ssl=True)
    sqs.Queue(stack, "Orders", enforce_ssl=True,
              dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=3))
    dynamodb.Table(stack, "Items",
                   partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    sfn.StateMachine(stack, "Flow",
                     definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Go")))
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(app), cdk_nag.ServerlessChecks(app)
    )
    try:
        app.synth()
    except RuntimeError as error:  # the app's own resources have findings
        assert "ValidationFailed" in str(error)
    template = json.loads((outdir / "Shop.template.json").read_text())
    return {"mon": mon, "template": template, "outdir": outdir, "http_api": http_api,
            "rest_api": rest_api}


def _of_type(template, type_name):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def test_every_kind_of_resource_is_monitored(existing):
    mon = existing["mon"]
    assert {t.label for t in mon.functions} >= {"shop-checkout", "shop-legacy-billing"}
    assert len(mon.functions) == 3
    assert len(mon.http_apis) == 1 and len(mon.rest_apis) == 1
    # the app's two queues, and the alarm topic's own delivery dead-letter queues
    apps_queues = [q for q in mon.queues if "AlarmDelivery" not in q.label]
    assert len(apps_queues) == 2
    assert [q.is_dead_letter_queue for q in apps_queues].count(True) == 1
    assert len(mon.tables) == 1 and len(mon.state_machines) == 1


def test_every_alarm_notifies_directly_or_through_the_composite(existing):
    template = existing["template"]
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    composites = _of_type(template, "AWS::CloudWatch::CompositeAlarm")
    assert len(composites) >= 1 and len(alarms) >= 25
    rules = " ".join(json.dumps(c["Properties"]["AlarmRule"]) for c in composites.values())
    top = [c for c in composites.values() if c["Properties"].get("AlarmActions")]
    assert top, "the service-health composite notifies"
    for logical_id, alarm in alarms.items():
        props = alarm["Properties"]
        assert props.get("AlarmActions") or props["AlarmName"] in rules, logical_id
    checks = {a["Properties"]["AlarmName"] for a in alarms.values()}
    for expected in ("shop-checkout-errors", "shop-checkout-throttles",
                     "shop-checkout-duration", "shop-legacy-billing-errors",
                     "shop-security-authz-failures", "shop-security-authn-failures-anomaly"):
        assert expected in checks, expected
    assert "shop-checkout-error-rate" not in checks  # opt-in (docs/alarms.md)


def test_logging_is_on_for_every_api_stage_and_the_state_machine(existing):
    template = existing["template"]
    for stage in _of_type(template, "AWS::ApiGatewayV2::Stage").values():
        assert stage["Properties"]["AccessLogSettings"]["DestinationArn"]
    for stage in _of_type(template, "AWS::ApiGateway::Stage").values():
        assert stage["Properties"]["AccessLogSetting"]["DestinationArn"]
    (machine,) = _of_type(template, "AWS::StepFunctions::StateMachine").values()
    config = machine["Properties"]["LoggingConfiguration"]
    assert config["Level"] == "ALL" and config["IncludeExecutionData"] is False


def test_dashboards_have_log_and_alarm_widgets_and_queries_name_the_log_groups(existing):
    template = existing["template"]
    dashboards = {d["Properties"]["DashboardName"]: d for d in
                  _of_type(template, "AWS::CloudWatch::Dashboard").values()}
    assert set(dashboards) == {"shop-operations", "shop-security"}
    for dashboard in dashboards.values():
        widgets = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"][0])["widgets"]
        kinds = {w["type"] for w in widgets}
        assert {"log", "alarm", "metric"} <= kinds
    queries = _of_type(template, "AWS::Logs::QueryDefinition")
    assert len(queries) == 12
    for query in queries.values():
        groups = query["Properties"]["LogGroupNames"]
        assert "/aws/lambda/shop-legacy-billing" in groups and len(groups) == 2


def test_no_cdk_nag_finding_on_watchkeepers_resources(existing):
    ours = [f for f in nag_findings(existing["outdir"]) if f.path.startswith("Shop/Monitoring")]
    assert ours == []


def test_template_passes_cfn_lint(existing):
    assert lint_template(existing["template"]) == []


def test_report_counts_exactly_what_the_template_holds(existing, capsys):
    assert cli_main(["report", str(existing["outdir"]), "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    template = existing["template"]
    assert totals["alarms"] == len(_of_type(template, "AWS::CloudWatch::Alarm"))
    assert totals["composite_alarms"] == len(_of_type(template, "AWS::CloudWatch::CompositeAlarm"))
    assert totals["metric_filters"] == len(_of_type(template, "AWS::Logs::MetricFilter"))
    assert totals["saved_queries"] == 12 and totals["dashboards"] == 2
    assert totals["monthly_usd"] >= 0.10 * totals["alarms"] + 3.00 * 2


def test_check_finds_no_problem(existing, capsys):
    assert cli_main(["check", str(existing["outdir"])]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_changes_to_the_apps_apis_and_state_machine_are_in_the_report(existing, capsys):
    changes = TemplateMetadata.changes_of(
        existing["template"]["Metadata"]["Watchkeeper"]["services"][0]["changes"])
    kinds = {c["kind"] for c in changes}
    assert {"logging-config", "api-access-logs", "api-stage-settings", "state-machine-logging",
            "role-statement"} <= kinds
    assert cli_main(["report", str(existing["outdir"])]) == 0
    section = capsys.readouterr().out.split("changed on the app's resources", 1)[1]
    for change in changes:
        assert f"{change['kind']} {change['resource']}: {change['detail']}" in section
