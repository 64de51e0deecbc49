"""Adding watchkeeper to a running app: no log line lost, the app's choices kept, every
change to the app's resources visible before deploy (README: "Adding watchkeeper to a
running app").

The app below is written the way real apps are: custom and imported roles,
``log_retention``, a Text-format function, explicit names, and the app's own metric
filter, saved query and dashboard on ``/aws/lambda/<name>`` groups. One synth is shared by
the module's tests.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Match, Template

from watchkeeper import FunctionLoggingOptions, ServiceMonitoring
from watchkeeper.cli import main as cli_main
from watchkeeper.schema import TemplateMetadata
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
FLAG = "@aws-cdk/aws-lambda:useCdkManagedLogGroup"


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


def _lambda_role(scope, cid, **kw):
    return iam.Role(scope, cid, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), **kw)


def _build_shop(stack):
    """The app's own resources (the same with and without watchkeeper)."""
    # A custom role that may write only to the function's own /aws/lambda group.
    checkout_role = _lambda_role(stack, "CheckoutRole")
    checkout_role.add_to_policy(iam.PolicyStatement(
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-checkout:*"],
    ))
    fns = {
        "checkout": _fn(stack, "Checkout", function_name="shop-checkout", role=checkout_role),
        "search": _fn(stack, "Search", function_name="shop-search", role=_lambda_role(
            stack, "SearchRole", managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                "service-role/AWSLambdaBasicExecutionRole")])),
        "legacy": _fn(stack, "Legacy", function_name="shop-legacy", role=iam.Role.from_role_arn(
            stack, "LegacyRole", "arn:aws:iam::123456789012:role/legacy-lambda", mutable=False)),
        "reports": _fn(stack, "Reports", function_name="shop-reports",
                       role=_lambda_role(stack, "ReportsRole").without_policy_updates()),
        "audit": _fn(stack, "Audit", function_name="shop-audit",
                     log_retention=logs.RetentionDays.ONE_DAY),
        "batch": _fn(stack, "Batch", function_name="shop-batch",
                     logging_format=lambda_.LoggingFormat.TEXT),
        "noisy": _fn(stack, "Noisy", function_name="shop-noisy",
                     logging_format=lambda_.LoggingFormat.JSON,
                     system_log_level_v2=lambda_.SystemLogLevel.WARN),
        "unnamed": _fn(stack, "Unnamed"),
    }
    # The app's own log monitoring, on the groups Lambda writes to by default.
    logs.MetricFilter(
        stack, "CheckoutErrors",
        log_group=logs.LogGroup.from_log_group_name(stack, "CheckoutGroup",
                                                    "/aws/lambda/shop-checkout"),
        metric_namespace="Shop", metric_name="CheckoutErrors",
        filter_pattern=logs.FilterPattern.literal("ERROR"),
    )
    logs.MetricFilter(
        stack, "LegacyErrors",
        log_group=logs.LogGroup.from_log_group_name(stack, "LegacyGroup",
                                                    "/aws/lambda/shop-legacy"),
        metric_namespace="Shop", metric_name="LegacyErrors",
        filter_pattern=logs.FilterPattern.literal("ERROR"),
    )
    logs.QueryDefinition(
        stack, "SearchQuery", query_definition_name="shop/search-errors",
        query_string=logs.QueryString(fields=["@message"]),
        log_groups=[logs.LogGroup.from_log_group_name(stack, "SearchGroup",
                                                      "/aws/lambda/shop-search")],
    )
    cloudwatch.Dashboard(stack, "AppDashboard", widgets=[[cloudwatch.LogQueryWidget(
        log_group_names=[f"/aws/lambda/{fns['unnamed'].function_name}"],
        query_lines=["fields @message"],
    )]])
    return fns


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("adoption")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Shop", env=ENV)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="shop")
    fns = _build_shop(stack)
    # Another stack of the app watches the same group by its literal name.
    ops = cdk.Stack(app, "ShopOps", env=ENV)
    logs.MetricFilter(
        ops, "CheckoutLatency",
        log_group=logs.LogGroup.from_log_group_name(ops, "CheckoutGroup",
                                                    "/aws/lambda/shop-checkout"),
        metric_namespace="Shop", metric_name="CheckoutLatency",
        filter_pattern=logs.FilterPattern.exists("$.latencyMs"),
    )
    app.synth()
    template = Template.from_stack(stack)
    return {"app": app, "stack": stack, "mon": mon, "fns": fns, "template": template,
            "json": template.to_json(), "outdir": outdir}


def _id(stack, construct):
    return stack.resolve(construct.node.default_child.logical_id)


def _config(shop, name):
    return shop["json"]["Resources"][_id(shop["stack"], shop["fns"][name])]["Properties"][
        "LoggingConfig"]


def _service_group_id(shop):
    return _id(shop["stack"], shop["mon"].service_log_group)


def _filters_on(shop, predicate):
    return sorted(
        r["Properties"]["MetricTransformations"][0]["MetricName"]
        for r in shop["json"]["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter"
        and r["Properties"]["MetricTransformations"][0]["MetricNamespace"] == "Watchkeeper/shop"
        and predicate(r["Properties"]["LogGroupName"])
    )


def _warnings(shop):
    return [m.entry.data for m in Annotations.from_stack(shop["stack"]).find_warning(
        "*", Match.string_like_regexp("watchkeeper"))]


def test_custom_role_of_the_app_is_granted_write_before_its_function_moves(shop):
    stack, t = shop["stack"], shop["template"]
    service = _service_group_id(shop)
    assert _config(shop, "checkout")["LogGroup"] == {"Ref": service}
    role_policies = t.find_resources("AWS::IAM::Policy", {"Properties": {
        "Roles": [{"Ref": stack.resolve(shop["fns"]["checkout"].role.node.default_child
                                        .logical_id)}]}})
    (policy_id, policy), = role_policies.items()
    assert {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [service, "Arn"]},
    } in policy["Properties"]["PolicyDocument"]["Statement"]
    fn = shop["json"]["Resources"][_id(stack, shop["fns"]["checkout"])]
    assert policy_id in fn["DependsOn"]


def test_role_with_lambdas_basic_policy_moves_without_a_new_statement(shop):
    stack, t = shop["stack"], shop["template"]
    assert _config(shop, "search")["LogGroup"] == {"Ref": _service_group_id(shop)}
    role_id = stack.resolve(shop["fns"]["search"].role.node.default_child.logical_id)
    assert t.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}}) == {}


@pytest.mark.parametrize("name", ["legacy", "reports"])
def test_imported_or_immutable_role_keeps_its_group_with_compact_filters(shop, name):
    config = _config(shop, name)
    assert "LogGroup" not in config
    assert config["LogFormat"] == "JSON"
    group = f"/aws/lambda/shop-{name}"
    assert _filters_on(shop, lambda g: g == group) == ["Errors", "SecurityEvents", "Timeouts"]
    assert any(f"function shop-{name} keeps logging to its own" in w
               and "cannot let it write" in w for w in _warnings(shop))


def test_log_retention_keeps_its_group_and_retention(shop):
    stack, t = shop["stack"], shop["template"]
    assert "LogGroup" not in _config(shop, "audit")
    (retention_id,) = t.find_resources("Custom::LogRetention", {"Properties": {
        "RetentionInDays": 1,
        "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": _id(stack,
                                                                       shop["fns"]["audit"])}]]},
    }})
    # The filters read the group through the LogRetention resource, so CloudFormation
    # creates them after it (it creates the group if the function never ran).
    assert _filters_on(shop, lambda g: retention_id in json.dumps(g)) == [
        "Errors", "SecurityEvents", "Timeouts"]


def test_text_function_gets_a_group_under_the_service_prefix(shop):
    t = shop["template"]
    (group_id,) = t.find_resources("AWS::Logs::LogGroup", {"Properties": {
        "LogGroupName": "/watchkeeper/shop/functions/shop-batch", "RetentionInDays": 365}})
    assert _config(shop, "batch") == {"LogFormat": "Text", "LogGroup": {"Ref": group_id}}


def test_no_group_is_created_under_a_name_lambda_creates_by_itself(shop):
    names = [json.dumps(r["Properties"].get("LogGroupName"))
             for r in shop["json"]["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert names and not [n for n in names if "/aws/lambda/" in n]


def test_function_that_sets_system_log_level_warn_is_named_in_a_warning(shop):
    assert _config(shop, "noisy")["SystemLogLevel"] == "WARN"  # the app's choice stays
    assert any("shop-noisy sets SystemLogLevel WARN" in w for w in _warnings(shop))


def test_app_monitoring_of_moved_groups_is_named(shop):
    warnings = [w for w in _warnings(shop) if "reads the /aws/lambda group" in w]
    assert len(warnings) == 4
    assert any("metric filter Shop/CheckoutErrors" in w and "shop-checkout" in w
               for w in warnings)
    assert any("metric filter ShopOps/CheckoutLatency" in w for w in warnings)
    assert any("saved query Shop/SearchQuery" in w and "shop-search" in w for w in warnings)
    assert any("dashboard Shop/AppDashboard" in w for w in warnings)
    # The legacy function did not move: its filter keeps working and is not named.
    assert not any("LegacyErrors" in w for w in warnings)


def test_changes_to_the_app_are_recorded_annotated_and_in_the_metadata(shop):
    changes = TemplateMetadata.changes_of(
        shop["json"]["Metadata"]["Watchkeeper"]["services"][0]["changes"])
    by_resource = {(c["kind"], c["resource"]): c["detail"] for c in changes}
    assert by_resource[("logging-config", "shop-checkout")] == (
        "LogGroup /aws/lambda/<name> -> /watchkeeper/shop/functions; LogFormat unset -> JSON; "
        "ApplicationLogLevel unset -> INFO; SystemLogLevel unset -> INFO")
    assert by_resource[("logging-config", "shop-legacy")] == (
        "LogFormat unset -> JSON; ApplicationLogLevel unset -> INFO; SystemLogLevel unset -> INFO")
    assert by_resource[("role-statement", "Shop/CheckoutRole")].startswith(
        "logs:CreateLogStream, logs:PutLogEvents on /watchkeeper/shop/functions")
    assert not [c for c in changes if c["kind"] == "role-statement"
                and c["resource"] != "Shop/CheckoutRole"]
    # The noisy function chose JSON and WARN; only its application level is set.
    assert by_resource[("logging-config", "shop-noisy")].endswith(
        "ApplicationLogLevel unset -> INFO")
    infos = [m.entry.data for m in Annotations.from_stack(shop["stack"]).find_info(
        "*", Match.string_like_regexp("watchkeeper changed"))]
    assert len(infos) == 2  # one per kind of change: logging config, role statements
    assert any("statements added to the app's IAM roles" in i and "Shop/CheckoutRole" in i
               for i in infos)


def test_report_lists_the_changes_apart_from_what_watchkeeper_created(shop, capsys):
    assert cli_main(["report", str(shop["outdir"])]) == 0
    out = capsys.readouterr().out
    section = out.split("changed on the app's resources", 1)[1]
    assert "logging-config shop-checkout: LogGroup /aws/lambda/<name> ->" in section
    assert "role-statement Shop/CheckoutRole:" in section
    assert cli_main(["report", str(shop["outdir"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    changed = data["stacks"][0]["changed"]
    assert {"kind": "role-statement", "resource": "Shop/CheckoutRole"}.items() <= changed[
        [c["kind"] for c in changed].index("role-statement")].items()


def test_template_passes_cfn_lint(shop):
    assert lint_template(shop["json"]) == []


def _app_findings(outdir, monitored):
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Shop", env=ENV)
    if monitored:
        ServiceMonitoring(stack, "Monitoring", service_name="shop")
    _build_shop(stack)
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # the app's own resources have findings of their own
        assert "ValidationFailed" in str(error)
    return {(f.rule, f.path) for f in nag_findings(outdir)}


def test_no_new_cdk_nag_finding_on_the_apps_resources(tmp_path_factory):
    before = _app_findings(tmp_path_factory.mktemp("nag-before"), monitored=False)
    after = _app_findings(tmp_path_factory.mktemp("nag-after"), monitored=True)
    assert before  # the app has findings of its own, so the comparison means something
    new = {f for f in after - before if not f[1].startswith("Shop/Monitoring")}
    assert new == set()
    assert not [f for f in after if f[1].startswith("Shop/Monitoring")]


# --------------------------------------------------------------------------------------
# @aws-cdk/aws-lambda:useCdkManagedLogGroup, both values
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flagged():
    app = cdk.App(context={FLAG: True})
    keep = cdk.Stack(app, "Keep", env=ENV)
    ServiceMonitoring(keep, "Monitoring", service_name="keep")
    kept_fn = _fn(keep, "Fn", function_name="keep-fn")
    move = cdk.Stack(app, "Move", env=ENV)
    move_mon = ServiceMonitoring(
        move, "Monitoring", service_name="move",
        function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups=True),
    )
    moved_fn = _fn(move, "Fn", function_name="move-fn")
    return {"keep": (keep, kept_fn, Template.from_stack(keep).to_json()),
            "move": (move, moved_fn, move_mon, Template.from_stack(move).to_json())}


def test_flag_on_keeps_the_cdk_managed_group_with_compact_filters(flagged):
    stack, fn, template = flagged["keep"]
    group_id = stack.resolve(fn.node.find_child("LogGroup").node.default_child.logical_id)
    group = template["Resources"][group_id]
    # CDK's settings, untouched: no field index policy, no detector, no data protection
    assert group["Properties"] == {
        "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": _id(stack, fn)}]]},
        "RetentionInDays": 731}
    assert "LogGroup" not in template["Resources"][_id(stack, fn)]["Properties"]["LoggingConfig"]
    filters = sorted(
        r["Properties"]["MetricTransformations"][0]["MetricName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter"
        and r["Properties"]["LogGroupName"] == {"Ref": group_id})
    assert filters == ["Errors", "SecurityEvents", "Timeouts"]


def test_flag_on_with_move_moves_the_function_and_leaves_cdks_group_in_place(flagged):
    stack, fn, mon, template = flagged["move"]
    group_id = stack.resolve(fn.node.find_child("LogGroup").node.default_child.logical_id)
    assert template["Resources"][group_id]["Type"] == "AWS::Logs::LogGroup"  # not orphaned
    config = template["Resources"][_id(stack, fn)]["Properties"]["LoggingConfig"]
    assert config["LogGroup"] == {"Ref": _id(stack, mon.service_log_group)}


def test_flag_off_creates_no_group_of_cdks(shop):
    assert shop["fns"]["checkout"].node.try_find_child("LogGroup") is None


# --------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------


def test_system_log_level_warn_is_refused_with_the_reason():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match=r"system_log_level='WARN'.*platform\.report"):
        ServiceMonitoring(stack, "M", service_name="svc",
                          function_logging=FunctionLoggingOptions(system_log_level="WARN"))


def test_move_cdk_managed_log_groups_must_be_a_bool():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="move_cdk_managed_log_groups='yes'"):
        ServiceMonitoring(
            stack, "M", service_name="svc",
            function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups="yes"),
        )


def test_groups_kept_because_of_the_role_exist_before_their_filters(shop):
    # A function of the app that never ran has no /aws/lambda group yet: the ensurer
    # creates it (if missing) before the filters on it.
    resources = shop["json"]["Resources"]
    (ensurer_id, ensurer), = ((k, r) for k, r in resources.items()
                              if r["Type"] == "Custom::WatchkeeperLogGroups")
    assert ensurer["Properties"]["LogGroupNames"] == ["/aws/lambda/shop-legacy",
                                                     "/aws/lambda/shop-reports"]
    for name in ("/aws/lambda/shop-legacy", "/aws/lambda/shop-reports"):
        filters = [r for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"
                   and r["Properties"]["LogGroupName"] == name
                   and r["Properties"]["MetricTransformations"][0]["MetricNamespace"]
                   == "Watchkeeper/shop"]
        assert filters and all(ensurer_id in r["DependsOn"] for r in filters)
