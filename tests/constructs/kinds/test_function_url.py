"""Lambda function URLs (``kinds/function_url.py``): discovered as L2 (``FunctionUrl``,
``fn.add_function_url()``, on an alias too) and as L1 (``CfnUrl``), monitored through
``monitor()`` from another stack, alarmed, drawn; and a URL with ``AuthType NONE`` is a
security finding: a synth warning that the app can acknowledge, a line on the security
dashboard, and a problem in ``watchkeeper check`` unless acknowledged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions, schema
from watchkeeper.cli.assembly import load_assembly
from watchkeeper.cli.check import check_assembly
from watchkeeper.cli.preview import read_dashboards, render_html
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds.function_url import PUBLIC_URL_WARNING
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
KIND = "function_url"
NAMESPACE = "AWS/Lambda"
CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def function(scope: cdk.Stack, construct_id: str, **props: Any) -> lambda_.Function:
    return lambda_.Function(scope, construct_id, runtime=lambda_.Runtime.PYTHON_3_12,
                            handler="index.handler", code=lambda_.Code.from_inline(CODE),
                            **props)


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One app: a public webhook URL (L2, named function), an IAM URL of an unnamed
    function, an IAM URL on an alias, a public L1 URL whose warning the app acknowledged,
    and a URL of another stack given to monitor()."""
    outdir = tmp_path_factory.mktemp("function-urls")
    # path metadata on, as the CDK CLI synthesizes (watchkeeper check matches by path)
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-path-metadata": True})
    stack = cdk.Stack(app, "Webhooks", env=ENV)
    edge = cdk.Stack(app, "Edge", env=ENV)

    webhook = function(stack, "Webhook", function_name="orders-webhook")
    public = webhook.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
    admin = function(stack, "Admin")
    lambda_.FunctionUrl(stack, "AdminUrl", function=admin,
                        auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
    checkout = function(stack, "Checkout", function_name="orders-checkout")
    live = lambda_.Alias(stack, "Live", alias_name="live", version=checkout.current_version)
    live.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
    legacy = lambda_.CfnFunction(
        stack, "Legacy", function_name="orders-legacy", runtime="python3.12",
        handler="index.handler", code=lambda_.CfnFunction.CodeProperty(zip_file=CODE),
        role=f"arn:aws:iam::{ENV.account}:role/legacy")
    legacy_url = lambda_.CfnUrl(stack, "LegacyUrl", auth_type="NONE",
                                target_function_arn=legacy.attr_arn)
    cdk.Annotations.of(legacy_url).acknowledge_warning(
        PUBLIC_URL_WARNING, "partner webhook: the function verifies the HMAC signature")

    # a URL on an import of an L1 function: the function is still monitored as one
    reports = lambda_.CfnFunction(
        stack, "Reports", function_name="orders-reports", runtime="python3.12",
        handler="index.handler", code=lambda_.CfnFunction.CodeProperty(zip_file=CODE),
        role=f"arn:aws:iam::{ENV.account}:role/reports")
    lambda_.Function.from_function_arn(stack, "ReportsImport", reports.attr_arn).add_function_url(
        auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)

    partner = function(edge, "Partner", function_name="edge-partner")
    partner_url = partner.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)

    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        overrides={"function_url.server_errors": AlarmSettings(threshold=10)}))
    mon.monitor(partner_url, alarms={"latency": AlarmSettings(threshold=1000)})
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # the app's own functions have findings: read the report
        assert "ValidationFailed" in str(error)
    template = json.loads((Path(outdir) / "Webhooks.template.json").read_text())
    return {"mon": mon, "template": template, "outdir": Path(outdir), "public": public,
            "findings": nag_findings(outdir), "stack": stack}


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"}


def logical_id(template: dict[str, Any], path: str) -> str:
    return next(lid for lid, r in template["Resources"].items()
                if r.get("Metadata", {}).get("aws:cdk:path") == path)


# -- discovery ----------------------------------------------------------------------------


def test_every_url_is_monitored_once_l2_l1_alias_and_another_stacks(urls):
    targets = {t.key: t for t in urls["mon"].targets_of(KIND)}
    assert sorted(targets) == ["admin-url", "edge-partner-url", "legacy-url",
                               "orders-checkout-live-url", "orders-webhook-url",
                               "reports-import-url"]
    assert targets["orders-checkout-live-url"].qualifier == "live"
    assert targets["orders-webhook-url"].auth_type == "NONE"
    assert targets["admin-url"].auth_type == "AWS_IAM"
    assert targets["legacy-url"].auth_type == "NONE"
    # the L1 below each L2 is found through it, never as a URL of its own
    assert len(targets) == len(Template.from_json(urls["template"]).find_resources(
        "AWS::Lambda::Url")) + 1  # + the Edge stack's URL


def test_a_url_on_an_import_of_an_l1_function_leaves_the_function_monitored(urls):
    functions = [t.label for t in urls["mon"].targets_of("function")]
    assert "orders-reports" in functions and "orders-legacy" in functions
    (url,) = [t for t in urls["mon"].targets_of(KIND) if t.key == "reports-import-url"]
    assert urls["stack"].resolve(url.function_name) == {"Ref": "Reports"}
    server = alarms(urls["template"])["orders-reports-import-url-server-errors"]
    assert server["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "Reports"}}]


def test_the_metadata_lists_the_urls_functions(urls):
    (service,) = urls["template"]["Metadata"]["Watchkeeper"]["services"]
    names = service["monitored"]["function_urls"]
    assert "orders-webhook" in names and {"Ref": "Legacy"} in names
    assert {"Ref": logical_id(urls["template"], "Webhooks/Admin/Resource")} in names


def test_watchkeepers_own_resources_are_not_urls_of_the_app(urls):
    # the Monitoring construct's resources (topic, control-plane rule...) are not targets
    paths = [t.path for t in urls["mon"].targets_of(KIND)]
    assert not [p for p in paths if "/Monitoring/" in p]
    assert len(paths) == 6


# -- alarms --------------------------------------------------------------------------------


def test_a_public_url_gets_server_errors_4xx_rate_latency_and_traffic_anomaly(urls):
    found = alarms(urls["template"])
    server = found["orders-webhook-url-server-errors"]
    assert server["Namespace"] == NAMESPACE and server["MetricName"] == "Url5xxCount"
    assert server["Dimensions"] == [{"Name": "FunctionName", "Value": "orders-webhook"}]
    assert server["Threshold"] == 10  # AlarmOptions.overrides reached the kind's check
    assert "AlarmActions" not in server  # critical: notifies through the composite
    rate = found["orders-webhook-url-client-error-rate"]
    assert rate["Metrics"][-1]["Expression"] == "IF(m2 > 0, m1 / m2, 0)"
    assert [m["MetricStat"]["Metric"]["MetricName"] for m in rate["Metrics"][:2]] == [
        "Url4xxCount", "UrlRequestCount"]
    assert rate["Threshold"] == 0.05 and rate["TreatMissingData"] == "notBreaching"
    latency = found["orders-webhook-url-latency"]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p90", 2500)
    anomaly = found["orders-webhook-url-traffic-anomaly"]
    assert anomaly["ThresholdMetricId"] == "ad1"
    assert anomaly["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "UrlRequestCount"
    assert "First run saved query" in anomaly["AlarmDescription"]


def test_an_iam_url_has_no_traffic_anomaly_alarm(urls):
    names = alarms(urls["template"])
    assert "orders-admin-url-server-errors" in names
    assert "orders-admin-url-traffic-anomaly" not in names


def test_an_alias_url_is_watched_on_its_resource_dimension(urls):
    server = alarms(urls["template"])["orders-checkout-live-url-server-errors"]
    assert server["Dimensions"] == [
        {"Name": "FunctionName", "Value": "orders-checkout"},
        {"Name": "Resource", "Value": "orders-checkout:live"},
    ]


def test_per_resource_alarms_of_monitor_reach_the_url(urls):
    latency = alarms(urls["template"])["orders-edge-partner-url-latency"]
    assert latency["Threshold"] == 1000
    assert latency["Dimensions"] == [{"Name": "FunctionName", "Value": "edge-partner"}]


def test_bad_alarm_settings_name_the_option_and_what_is_allowed():
    stack = cdk.Stack(cdk.App(), "Bad")
    fn = function(stack, "Fn", function_name="bad-fn")
    url = fn.add_function_url()
    mon = ServiceMonitoring(stack, "Monitoring", service_name="bad")
    with pytest.raises(ValueError, match=r"alarms has an unknown check 'errors': use one of "
                                         r"server_errors, client_error_rate, latency"):
        mon.monitor(url, alarms={"errors": AlarmSettings(threshold=1)})
    with pytest.raises(ValueError, match=r"statistic='Sum' is not allowed for "
                                         r"function_url.latency: use p90"):
        mon.monitor(url, alarms={"latency": AlarmSettings(statistic="Sum")})


# -- the finding ---------------------------------------------------------------------------


def test_a_public_url_is_a_synth_warning_naming_it_and_the_fix(urls):
    entries = [e for e in urls["public"].node.metadata if e.type == "aws:cdk:warning"]
    (warning,) = entries
    assert "Webhooks/Webhook/FunctionUrl has AuthType NONE" in warning.data
    assert "orders-webhook" in warning.data
    assert "auth_type=FunctionUrlAuthType.AWS_IAM" in warning.data
    assert f"acknowledge_warning('{PUBLIC_URL_WARNING}'" in warning.data


def test_the_acknowledged_and_the_iam_urls_carry_no_warning(urls):
    stack = urls["stack"]
    for path in ("LegacyUrl", "AdminUrl", "Live/FunctionUrl"):
        node = stack.node.find_child(path.split("/")[0])
        if "/" in path:
            node = node.node.find_child(path.split("/")[1])
        assert not [e for e in node.node.metadata if e.type == "aws:cdk:warning"
                    and PUBLIC_URL_WARNING in str(e.data)], path


def test_the_metadata_records_each_public_url_and_its_acknowledgement(urls):
    (service,) = urls["template"]["Metadata"]["Watchkeeper"]["services"]
    assert service[schema.TemplateMetadata.FINDINGS] == [
        {"check": "public-function-url", "resource": "orders-webhook URL",
         "path": "Webhooks/Webhook/FunctionUrl/Resource",
         "logical_id": logical_id(urls["template"], "Webhooks/Webhook/FunctionUrl/Resource"),
         "acknowledged": False},
        {"check": "public-function-url", "resource": "Webhooks/LegacyUrl",
         "path": "Webhooks/LegacyUrl", "logical_id": "LegacyUrl", "acknowledged": True},
    ]


def dashboard(template: dict[str, Any], kind: str) -> str:
    return next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == f"orders-{kind}")


def test_the_security_dashboard_lists_the_public_urls_and_their_requests(urls):
    body = json.loads(dashboard(urls["template"], "security"))
    texts = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    (listing,) = [t for t in texts if "Public function URLs" in t]
    assert "- orders-webhook URL\n" in listing + "\n"
    assert "- Webhooks/LegacyUrl (acknowledged)" in listing
    assert "AdminUrl" not in listing and "orders-checkout" not in listing
    (requests,) = [w for w in body["widgets"] if w["type"] == "metric"
                   and w["properties"]["title"] == "Requests to public function URLs"]
    assert requests["properties"]["metrics"] == [
        [NAMESPACE, "UrlRequestCount", "FunctionName", "orders-webhook",
         {"stat": "Sum", "label": "orders-webhook URL"}],
        [NAMESPACE, "UrlRequestCount", "FunctionName", "${Legacy}",
         {"stat": "Sum", "label": "Webhooks/LegacyUrl"}],
    ]


def test_the_operations_dashboard_has_a_row_per_url(urls):
    body = json.loads(dashboard(urls["template"], "operations"))
    titles = [w["properties"].get("title") for w in body["widgets"]]
    assert "orders-checkout:live URL: requests and errors" in titles
    assert "orders-webhook URL: latency (ms)" in titles
    row = next(w for w in body["widgets"]
               if w["properties"].get("title") == "Webhooks/LegacyUrl: requests and errors")
    assert row["properties"]["metrics"][0] == [
        NAMESPACE, "UrlRequestCount", "FunctionName", "${Legacy}", {"stat": "Sum"}]


def test_watchkeeper_check_reports_the_unacknowledged_public_url_only(urls):
    result = check_assembly(load_assembly(urls["outdir"]))
    found = [p for p in result.problems if p.check == "public-function-url"]
    webhook_url = logical_id(urls["template"], "Webhooks/Webhook/FunctionUrl/Resource")
    assert [(p.stack, p.logical_id, p.type) for p in found] == [
        ("Webhooks", webhook_url, "AWS::Lambda::Url")]
    assert "AuthType NONE: anyone can invoke" in found[0].message
    assert PUBLIC_URL_WARNING in found[0].message
    assert result.checked["AWS::Lambda::Url"] == 6


def test_watchkeeper_report_lists_both_public_urls_with_their_acknowledgement(urls):
    """The report lists what the check reports (same message), and the acknowledged URL
    too, in its JSON and its text."""
    from watchkeeper.cli.report import load_assembly as load_report
    from watchkeeper.cli.report import report_json, report_text

    report = load_report(urls["outdir"])
    check = [p for p in check_assembly(load_assembly(urls["outdir"])).problems
             if p.check == "public-function-url"]
    stacks = {s["name"]: s for s in report_json(report)["stacks"]}
    assert stacks["Edge"]["findings"] == []
    webhook_url = logical_id(urls["template"], "Webhooks/Webhook/FunctionUrl/Resource")
    # the function by the name the template gives it (watchkeeper check's message too)
    webhook = "orders-webhook"
    findings = {f["logical_id"]: f for f in stacks["Webhooks"]["findings"]}
    assert sorted(findings) == sorted([webhook_url, "LegacyUrl"])
    assert findings[webhook_url] == {
        "check": "public-function-url", "stack": "Webhooks", "logical_id": webhook_url,
        "path": "Webhooks/Webhook/FunctionUrl/Resource", "function": webhook,
        "acknowledged": False, "message": check[0].message}
    assert (findings["LegacyUrl"]["acknowledged"], findings["LegacyUrl"]["path"]) == (
        True, "Webhooks/LegacyUrl")
    text = report_text(report)
    assert "  security findings (2):" in text
    assert (f"    public-function-url Webhooks/{webhook_url} (function {webhook}): "
            "not acknowledged: watchkeeper check fails on it") in text
    assert ("    public-function-url Webhooks/LegacyUrl (function orders-legacy): "
            "acknowledged (public on purpose)") in text
    assert "  security findings (0): -" in text  # the Edge stack


def test_the_preview_draws_the_new_widgets(urls):
    html = render_html(read_dashboards(urls["outdir"]), "cdk.out")
    assert "Requests to public function URLs" in html
    assert "orders-checkout:live URL: requests and errors" in html


# -- the template ------------------------------------------------------------------------


def test_the_template_passes_cfn_lint(urls):
    assert lint_template(urls["template"]) == []


def test_watchkeeper_adds_no_cdk_nag_finding(urls):
    # the packs ran (the app's own functions have findings: no DLQ, no tracing...) ...
    assert {f.path for f in urls["findings"]} >= {"Webhooks/Webhook/Resource", "Webhooks/Legacy"}
    # ... and none is on what watchkeeper created
    assert [f for f in urls["findings"] if "/Monitoring/" in f.path] == []


def test_has_resource_properties_of_the_latency_alarm(urls):
    Template.from_json(urls["template"]).has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-checkout-live-url-latency",
        "MetricName": "UrlRequestLatency",
        "Dimensions": Match.array_with([{"Name": "Resource", "Value": "orders-checkout:live"}]),
    })
