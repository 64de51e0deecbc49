"""AppSync GraphQL APIs (kind ``graphql_api``): discovered as L2 and L1, imports through
``monitor()``, alarmed on AWS/AppSync by GraphQLAPIId, on the operations dashboard and in the
metadata, and their logging switched on (field level ERROR, verbose content excluded, a
role for AppSync that writes to the API's own group only), leaving an app's own log
configuration alone.

One app, written the way apps are: an L2 API, a second L2 API that logs already, an L1 API
without an L2, an imported API monitored explicitly, and a ServiceMonitoring
with alarm emails (its own topic and queues) and the detections on; AwsSolutions and
Serverless run on it as validation plugins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions, ResourceLoggingOptions, cli
from watchkeeper.cli.preview import read_dashboards, render_html
from watchkeeper.constructs import graphql_logging
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds.graphql_api import CHECKS, GRAPHQL_API, GraphqlApiTarget
from watchkeeper.constructs.kinds.registry import KINDS, known_checks
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import acknowledgements, nag_findings

ENV = cdk.Environment(account="111111111111", region="eu-west-1")
SCHEMA = "type Order { id: ID! }\ntype Query { order(id: ID!): Order }\n"
PARTNER_ID = "partnerapi0123456789abcdef"


def _iam_api(stack: cdk.Stack, construct_id: str, schema: Path, **props: Any
             ) -> appsync.GraphqlApi:
    api = appsync.GraphqlApi(
        stack, construct_id,
        definition=appsync.Definition.from_schema(appsync.SchemaFile.from_asset(str(schema))),
        authorization_config=appsync.AuthorizationConfig(
            default_authorization=appsync.AuthorizationMode(
                authorization_type=appsync.AuthorizationType.IAM)),
        xray_enabled=True,
        **props,
    )
    return api


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    schema = tmp_path_factory.mktemp("schema") / "schema.graphql"
    schema.write_text(SCHEMA)
    outdir = tmp_path_factory.mktemp("graphql-app")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Shop", env=ENV)
    _iam_api(stack, "Orders", schema, name="orders-graphql")
    # An API that logs already, as the app chose: level ALL with the L2's own role.
    catalog = _iam_api(stack, "Catalog", schema, name="catalog-graphql",
                       log_config=appsync.LogConfig(field_log_level=appsync.FieldLogLevel.ALL))
    cdk.Validations.of(catalog).acknowledge(cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
           "service-role/AWSAppSyncPushToCloudWatchLogs]",
        reason="The AppSync log role CDK creates for the API's own log configuration"))
    # The L2 keeps its log group's retention with CDK's LogRetention function: the app's.
    log_retention = next(c for c in stack.node.children if c.node.id.startswith("LogRetention"))
    for rule, reason in (
        ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
         "AWSLambdaBasicExecutionRole]", "CDK's LogRetention helper function"),
        ("AwsSolutions-IAM5[Resource::*]", "CDK's LogRetention helper function"),
    ):
        cdk.Validations.of(log_retention).acknowledge(
            cdk.Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
    legacy = appsync.CfnGraphQLApi(stack, "Legacy", name="legacy-graphql",
                                   authentication_type="AWS_IAM", xray_enabled=True)
    appsync.CfnGraphQLSchema(stack, "LegacySchema", api_id=legacy.attr_api_id,
                             definition=SCHEMA)
    monitoring = ServiceMonitoring(
        stack, "Monitoring", service_name="shop",
        alarms=AlarmOptions(emails=["oncall@example.com"], overrides={
            "graphql_api.client_error_rate": AlarmSettings(threshold=0.2)}))
    partner = appsync.GraphqlApi.from_graphql_api_attributes(
        stack, "Partner", graphql_api_id=PARTNER_ID)
    partner_target = monitoring.monitor(
        partner, alarms={"latency": AlarmSettings(threshold=1000, statistic="p99")})
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(app), cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # a finding fails the synth; the tests name them
        assert "ValidationFailed" in str(error)
    template = json.loads((Path(outdir) / "Shop.template.json").read_text())
    return {"app": app, "stack": stack, "monitoring": monitoring, "template": template,
            "outdir": outdir, "partner": partner_target}


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _logical_id(template: dict[str, Any], kind: str, **props: Any) -> str:
    return next(k for k, r in _resources(template, kind).items()
                if all(r["Properties"].get(p) == v for p, v in props.items()))


def _alarms_of(template: dict[str, Any], resource: str) -> dict[str, dict[str, Any]]:
    prefix = f"shop-{resource}-"
    return {r["Properties"]["AlarmName"][len(prefix):]: r["Properties"]
            for r in _resources(template, "AWS::CloudWatch::Alarm").values()
            if r["Properties"]["AlarmName"].startswith(prefix)}


# -- the kind ------------------------------------------------------------------------------


def test_the_kind_is_registered_with_its_checks():
    assert GRAPHQL_API in KINDS
    assert {c.key for c in CHECKS} <= set(known_checks())
    assert [c.name for c in CHECKS] == [
        "server_errors", "server_error_rate", "client_error_rate", "latency",
        "traffic_anomaly"]


def test_l2_l1_and_import_are_monitored_once_each(shop):
    targets = shop["monitoring"].targets_of("graphql_api")
    assert sorted(t.label for t in targets) == [
        "catalog-graphql", "legacy-graphql", "orders-graphql", PARTNER_ID]
    assert all(isinstance(t, GraphqlApiTarget) for t in targets)
    # the L1 below each L2 is found through its L2, the import's id is what was given
    assert shop["partner"].api_id == PARTNER_ID
    template = shop["template"]
    services = template["Metadata"]["Watchkeeper"]["services"]
    monitored = services[0]["monitored"]["graphql_apis"]
    assert len(monitored) == 4 and PARTNER_ID in monitored


def test_watchkeepers_own_resources_are_not_targets(shop):
    """Its topic, control-plane rule, log groups and log roles are no targets; the alarm
    delivery queues are, deliberately (registered where they are created, not discovered
    as the app's: a failed alarm e-mail must be seen)."""
    monitoring = shop["monitoring"]
    own = monitoring.node.path + "/"
    apis = [t.api for t in monitoring.targets_of("graphql_api")]
    assert not [a for a in apis if a.node.path.startswith(own)]
    others = {kind.name: [t.label for t in monitoring.targets_of(kind.name)]
              for kind in KINDS if kind.name not in ("graphql_api", "queue")}
    assert all(labels == [] for labels in others.values()), others
    queues = [t.queue.node.path for t in monitoring.targets_of("queue")]
    assert queues == [f"{own}AlarmDeliveryArchive", f"{own}AlarmDeliveryDlq"]


def test_each_api_gets_the_five_alarms_on_its_id(shop):
    template = shop["template"]
    legacy_id = _logical_id(template, "AWS::AppSync::GraphQLApi", Name="legacy-graphql")
    alarms = _alarms_of(template, "legacy-graphql")
    assert sorted(alarms) == ["client-error-rate", "latency", "server-error-rate",
                              "server-errors", "traffic-anomaly"]
    rate = alarms["server-error-rate"]
    assert (rate["Namespace"], rate["MetricName"], rate["Statistic"], rate["Threshold"],
            rate["EvaluationPeriods"], rate["TreatMissingData"]) == (
        "AWS/AppSync", "5XXError", "Average", 0.05, 3, "notBreaching")
    assert rate["Dimensions"] == [
        {"Name": "GraphQLAPIId", "Value": {"Fn::GetAtt": [legacy_id, "ApiId"]}}]
    assert "First run saved query shop/" in rate["AlarmDescription"]
    assert alarms["latency"]["ExtendedStatistic"] == "p90"
    assert alarms["latency"]["Threshold"] == 2500
    # critical alarms notify through the composite, warnings directly
    assert "AlarmActions" not in rate
    assert alarms["latency"]["AlarmActions"]
    anomaly = alarms["traffic-anomaly"]
    assert anomaly["ThresholdMetricId"] == "ad1"
    stat = anomaly["Metrics"][0]["MetricStat"]
    assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == (
        "4XXError", "SampleCount", 300)


def test_overrides_reach_the_checks_per_kind_and_per_resource(shop):
    template = shop["template"]
    for label in ("orders-graphql", "legacy-graphql", PARTNER_ID):
        assert _alarms_of(template, label)["client-error-rate"]["Threshold"] == 0.2
    partner = _alarms_of(template, PARTNER_ID)
    assert (partner["latency"]["Threshold"], partner["latency"]["ExtendedStatistic"]) == (
        1000, "p99")
    assert partner["latency"]["Dimensions"] == [{"Name": "GraphQLAPIId", "Value": PARTNER_ID}]
    assert _alarms_of(template, "orders-graphql")["latency"]["Threshold"] == 2500


def test_bad_alarm_settings_name_the_option_and_what_is_allowed():
    stack = cdk.Stack(cdk.App(), "Other")
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="other")
    api = appsync.GraphqlApi.from_graphql_api_attributes(stack, "Api", graphql_api_id="x")
    with pytest.raises(ValueError, match=r"alarms has an unknown check 'nope': use one of "
                                         r"server_errors, server_error_rate, "
                                         r"client_error_rate, latency, traffic_anomaly$"):
        monitoring.monitor(api, alarms={"nope": AlarmSettings(threshold=1)})
    with pytest.raises(ValueError, match=r"alarms\['latency'\]\.statistic='Sum' is not "
                                         r"allowed for graphql_api\.latency: use p90"):
        monitoring.monitor(api, alarms={"latency": AlarmSettings(statistic="Sum")})
    with pytest.raises(ValueError, match=r"AlarmOptions\.overrides\['graphql_api\."
                                         r"server_error_rate'\]\.threshold=2 is out of range: "
                                         r".* between 0 and 1"):
        AlarmOptions(overrides={"graphql_api.server_error_rate": AlarmSettings(threshold=2)})


def test_the_operations_dashboard_has_a_row_per_api(shop):
    template = shop["template"]
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in _resources(template, "AWS::CloudWatch::Dashboard").values()
                if r["Properties"]["DashboardName"] == "shop-operations")
    widgets = json.loads(body if isinstance(body, str) else body[0])["widgets"]
    titles = [w["properties"].get("title") for w in widgets]
    assert "legacy-graphql: requests and errors" in titles
    assert "legacy-graphql: latency (ms)" in titles
    lines = widgets[titles.index(f"{PARTNER_ID}: requests and errors")]["properties"]["metrics"]
    assert lines[0][:4] == ["AWS/AppSync", "4XXError", "GraphQLAPIId", PARTNER_ID]
    assert lines[0][4] == {"stat": "SampleCount", "label": "requests"}


# -- logging -------------------------------------------------------------------------------


def test_an_api_without_logging_logs_errors_without_verbose_content(shop):
    template = Template.from_json(shop["template"])
    orders_id = _logical_id(shop["template"], "AWS::AppSync::GraphQLApi",
                            Name="orders-graphql")
    role_id = _logical_id(shop["template"], "AWS::IAM::Role",
                          Description="Lets AppSync write the API's logs to its log group "
                                      "(watchkeeper)")
    orders = shop["template"]["Resources"][orders_id]["Properties"]
    assert orders["LogConfig"]["FieldLogLevel"] == "ERROR"
    assert orders["LogConfig"]["ExcludeVerboseContent"] is True
    assert orders["LogConfig"]["CloudWatchLogsRoleArn"]["Fn::GetAtt"][1] == "Arn"
    template.has_resource("AWS::Logs::LogGroup", {
        "Properties": Match.object_like({
            "LogGroupName": {"Fn::Join": ["", ["/aws/appsync/apis/",
                                               {"Fn::GetAtt": [orders_id, "ApiId"]}]]},
            "RetentionInDays": 365,
            "DataProtectionPolicy": Match.any_value(),
        }),
        "DeletionPolicy": "Retain",
    })
    template.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [{
            "Action": "sts:AssumeRole", "Effect": "Allow",
            "Principal": {"Service": "appsync.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}}]}})
    assert role_id in json.dumps(orders["LogConfig"])


def test_the_role_writes_only_to_the_apis_own_group(shop):
    template = shop["template"]
    orders_id = _logical_id(template, "AWS::AppSync::GraphQLApi", Name="orders-graphql")
    group_id = next(k for k, r in _resources(template, "AWS::Logs::LogGroup").items()
                    if orders_id in json.dumps(r["Properties"].get("LogGroupName")))
    role_arn = template["Resources"][orders_id]["Properties"]["LogConfig"][
        "CloudWatchLogsRoleArn"]
    role_id = role_arn["Fn::GetAtt"][0]
    (policy,) = [r["Properties"] for r in _resources(template, "AWS::IAM::Policy").values()
                 if r["Properties"]["Roles"] == [{"Ref": role_id}]]
    assert policy["PolicyDocument"]["Statement"] == [{
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [group_id, "Arn"]}}]


def test_an_apps_own_log_configuration_is_kept(shop):
    template = shop["template"]
    catalog_id = _logical_id(template, "AWS::AppSync::GraphQLApi", Name="catalog-graphql")
    log_config = template["Resources"][catalog_id]["Properties"]["LogConfig"]
    assert log_config["FieldLogLevel"] == "ALL"
    assert log_config["CloudWatchLogsRoleArn"]["Fn::GetAtt"][0].startswith("CatalogApiLogsRole")
    assert not [r for r in _resources(template, "AWS::Logs::LogGroup").values()
                if catalog_id in json.dumps(r["Properties"].get("LogGroupName"))]
    notes = shop["monitoring"].resource_logging_notes
    assert any(n.startswith("GraphQL API catalog-graphql: keeps its own log configuration")
               for n in notes)
    assert f"GraphQL API {PARTNER_ID}: imported; logging unchanged" in notes


def test_every_change_to_an_api_is_listed(shop):
    changes = [c for c in shop["monitoring"].resource_changes
               if c[0] == graphql_logging.CHANGE_GRAPHQL_API_LOGGING]
    assert sorted(label for _, label, _ in changes) == ["legacy-graphql", "orders-graphql"]
    detail = dict((label, d) for _, label, d in changes)["orders-graphql"]
    assert detail == (
        "field log level ERROR, verbose content excluded, to /aws/appsync/apis/<api id> "
        "with the role Shop/Monitoring/orders-graphql-GraphqlApiLogsRole "
        "(logs:CreateLogStream, logs:PutLogEvents on that group) "
        "(cdk-nag AwsSolutions-ASC3 acknowledged)")
    listed = shop["template"]["Metadata"]["Watchkeeper"]["services"][0]["changes"]
    assert {(c["kind"], c["resource"]) for c in listed} >= {
        ("graphql-api-logging", "orders-graphql"), ("graphql-api-logging", "legacy-graphql")}


def test_the_app_passes_cdk_nag_and_cfn_lint(shop):
    assert nag_findings(shop["outdir"]) == []
    ours = [(path, rule) for path, rule, _ in acknowledgements(shop["app"])
            if rule.endswith("ASC3")]
    assert sorted(ours) == [("Shop/Legacy", graphql_logging.NAG_REQUEST_LOGGING_FINDING),
                            ("Shop/Orders/Resource", graphql_logging.NAG_REQUEST_LOGGING_FINDING)]
    assert lint_template(shop["template"]) == []


# -- options -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def options_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    """One app, one stack per ResourceLoggingOptions case, each with one L1 API."""
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("graphql-options")))
    cases = {
        "Verbose": ResourceLoggingOptions(graphql_field_log_level="ALL",
                                          graphql_include_verbose_content=True),
        "Off": ResourceLoggingOptions(graphql_field_log_level=None),
    }
    stacks = {}
    for name, options in cases.items():
        stack = cdk.Stack(app, name, env=ENV)
        appsync.CfnGraphQLApi(stack, "Api", name=f"{name.lower()}-graphql",
                              authentication_type="AWS_IAM")
        ServiceMonitoring(stack, "Monitoring", service_name=name.lower(),
                          resource_logging=options)
        stacks[name] = stack
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}


def test_level_and_verbose_content_follow_the_options(options_app):
    options_app["Verbose"].has_resource_properties("AWS::AppSync::GraphQLApi", {
        "LogConfig": {"FieldLogLevel": "ALL", "ExcludeVerboseContent": False,
                      "CloudWatchLogsRoleArn": Match.any_value()}})


def test_none_leaves_graphql_logging_off(options_app):
    options_app["Off"].has_resource_properties("AWS::AppSync::GraphQLApi", {
        "LogConfig": Match.absent()})
    options_app["Off"].resource_count_is("AWS::Logs::LogGroup", 0)
    # still monitored
    assert options_app["Off"].find_resources("AWS::CloudWatch::Alarm")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("graphql_field_log_level", "VERBOSE",
     r"ResourceLoggingOptions\.graphql_field_log_level='VERBOSE' is not allowed: use one of "
     r"NONE, ERROR, INFO, DEBUG, ALL, or None to leave GraphQL API logging off"),
    ("graphql_include_verbose_content", "yes",
     r"ResourceLoggingOptions\.graphql_include_verbose_content='yes' must be True or False"),
])
def test_bad_logging_options_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        ResourceLoggingOptions(**{field: value})


# -- report and preview ------------------------------------------------------------------


def test_the_report_lists_the_apis_their_alarms_and_changes(shop, capsys):
    assert cli.main(["report", str(shop["outdir"])]) == 0
    text = capsys.readouterr().out
    (line,) = [x for x in text.splitlines() if x.startswith("    graphql apis (4): ")]
    assert PARTNER_ID in line
    assert "    graphql-api-logging orders-graphql: field log level ERROR" in text
    anomaly = [x for x in text.splitlines() if "shop-orders-graphql-traffic-anomaly" in x]
    assert "anomaly-detection  m1=AWS/AppSync 4XXError SampleCount" in anomaly[0]
    # 4 APIs x (4 alarms + an anomaly alarm billed as 3 metrics) + the 2 delivery queues'
    assert "  alarm metrics billed: 30 standard, 0 high-resolution" in text
    assert cli.main(["report", str(shop["outdir"]), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["totals"]["alarms"] == 4 * 5 + 2


def test_the_preview_draws_the_graphql_rows(shop):
    dashboards = read_dashboards(shop["outdir"])
    operations = next(d for d in dashboards if d.name == "shop-operations")
    page = render_html(dashboards, "cdk.out")
    titles = [w.properties.get("title") for w in operations.widgets]
    assert "orders-graphql: requests and errors" in titles
    assert "orders-graphql: latency (ms)" in page


def test_the_logging_function_refuses_an_import_and_a_bad_level():
    stack = cdk.Stack(cdk.App(), "Elsewhere")
    imported = appsync.GraphqlApi.from_graphql_api_attributes(stack, "Api", graphql_api_id="x")
    group = logs.LogGroup.from_log_group_name(stack, "Group", "/aws/appsync/apis/x")
    with pytest.raises(ValueError, match=r"^api=Elsewhere/Api: expected a GraphQL API defined "
                                         r"in this app .*not an imported one$"):
        graphql_logging.enable_graphql_api_logging(stack, "Role", imported, group)
    api = appsync.CfnGraphQLApi(stack, "Own", name="own", authentication_type="AWS_IAM")
    with pytest.raises(ValueError, match=r"^field_log_level='WARN' is not allowed: use one of "
                                         r"NONE, ERROR, INFO, DEBUG, ALL$"):
        graphql_logging.enable_graphql_api_logging(stack, "Role", api, group,
                                                   field_log_level="WARN")
    assert api.log_config is None
