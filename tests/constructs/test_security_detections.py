"""Security detections on a synthesized app: top offenders (Contributor Insights rules,
their alarms and widgets) and control-plane tampering (an EventBridge rule on CloudTrail),
with cfn-lint, cdk-nag, the report and the validation errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from watchkeeper import AlarmOptions, DetectionOptions, ServiceMonitoring, schema
from watchkeeper.cli.report import load_assembly, report_json
from watchkeeper.constructs import contributor_insights, control_plane_tampering
from watchkeeper.constructs.alarms import AlarmSettings
from watchkeeper.insights import check_query
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
RULE = "AWS::CloudWatch::InsightRule"
EVENT_RULE = "AWS::Events::Rule"
TRAIL_GROUP = "aws-cloudtrail-logs-123456789012-management"


def _function(stack: cdk.Stack, construct_id: str, name: str | None = None) -> lambda_.Function:
    return lambda_.Function(
        stack, construct_id, function_name=name, runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("detections")
    app = cdk.App(outdir=str(outdir))
    orders = cdk.Stack(app, "Orders", env=ENV)
    _function(orders, "Create", "orders-create")
    _function(orders, "List", "orders-list")
    _function(orders, "Unnamed")
    mon = ServiceMonitoring(
        orders, "Mon", service_name="orders",
        alarms=AlarmOptions(overrides={"security.top_authz_failure_user": AlarmSettings(
            enabled=True, threshold=3)}),
    )
    legacy = lambda_.Function.from_function_name(orders, "Legacy", "legacy-billing")
    mon.monitor_function(legacy)
    quiet = cdk.Stack(app, "Quiet", env=ENV)
    _function(quiet, "Create", "quiet-create")
    ServiceMonitoring(quiet, "Mon", service_name="quiet", detections=DetectionOptions(
        top_offenders=False, control_plane_tampering=False))
    trail = cdk.Stack(app, "Trail", env=ENV)
    _function(trail, "Create", "trail-create")
    ServiceMonitoring(trail, "Mon", service_name="trail", stage="prod",
                      detections=DetectionOptions(cloudtrail_log_group=TRAIL_GROUP))
    assembly = app.synth()
    return {
        "orders": assembly.get_stack_by_name("Orders").template,
        "quiet": assembly.get_stack_by_name("Quiet").template,
        "trail": assembly.get_stack_by_name("Trail").template,
        "mon": mon,
        "outdir": outdir,
    }


def _of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def _rule_bodies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RuleName"]: json.loads(r["Properties"]["RuleBody"])
        for r in _of_type(template, RULE).values()
    }


def _security_body(template: dict[str, Any]) -> dict[str, Any]:
    for props in (r["Properties"] for r in _of_type(template, "AWS::CloudWatch::Dashboard")
                  .values()):
        if props["DashboardName"].endswith("-security"):
            return json.loads(props["DashboardBody"]["Fn::Sub"][0])
    raise AssertionError("no security dashboard")


def _expected_body(metric: str, key_field: str) -> dict[str, Any]:
    prefixes = [g.removesuffix("*") for g in schema.event_name_globs(metric)]
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": [schema.service_log_group_name("orders"), "/aws/lambda/legacy-billing"],
        "LogFormat": "JSON",
        "Contribution": {
            "Keys": [f"$.{key_field}"],
            "Filters": [
                {"Match": f"$.{schema.Field.EVENT}", "StartsWith": prefixes},
                {"Match": f"$.{key_field}", "IsPresent": True},
            ],
        },
        "AggregateOn": "Count",
    }


# ---------------------------------------------------------------------------------------
# Top offenders
# ---------------------------------------------------------------------------------------


def test_four_rules_with_exact_bodies(synthesized) -> None:
    authn, authz = schema.SecurityMetric.AUTHN_FAILURES, schema.SecurityMetric.AUTHZ_FAILURES
    ip, user = schema.Field.SOURCE_IP, schema.Field.USER_ID
    assert _rule_bodies(synthesized["orders"]) == {
        "orders-authn-failures-by-source-ip": _expected_body(authn, ip),
        "orders-authn-failures-by-user": _expected_body(authn, user),
        "orders-authz-failures-by-source-ip": _expected_body(authz, ip),
        "orders-authz-failures-by-user": _expected_body(authz, user),
    }
    for rule in _of_type(synthesized["orders"], RULE).values():
        assert rule["Properties"]["RuleState"] == "ENABLED"
        assert len(rule["Properties"]["RuleBody"]) <= contributor_insights.MAX_RULE_BODY_CHARS
        # The rule waits for the service log group it reads.
        assert any(d.startswith("MonServiceLogGroup") for d in rule["DependsOn"])


def test_event_filter_is_the_schema_vocabulary() -> None:
    # The prefixes are the failure events' names (the `:params` suffix follows them).
    assert contributor_insights.event_prefixes(schema.SecurityMetric.AUTHZ_FAILURES) == [
        "authz_fail"]
    authn = contributor_insights.event_prefixes(schema.SecurityMetric.AUTHN_FAILURES)
    assert "authn_login_fail" in authn and "authn_login_success" not in authn


def test_alarms_on_the_top_contributor(synthesized) -> None:
    template = Template.from_json(synthesized["orders"])
    alarms = {
        props["AlarmName"]: props
        for props in (a["Properties"] for a in _of_type(
            synthesized["orders"], "AWS::CloudWatch::Alarm").values())
        if "-top-" in props["AlarmName"]
    }
    # Two on by default, the authz-by-user one opted in; authz by source IP stays off.
    assert sorted(alarms) == [
        "orders-security-top-authn-failure-source",
        "orders-security-top-authn-failure-user",
        "orders-security-top-authz-failure-user",
    ]
    source = alarms["orders-security-top-authn-failure-source"]
    assert source["Metrics"] == [{
        "Id": "e1",
        "Expression": "INSIGHT_RULE_METRIC('orders-authn-failures-by-source-ip', "
                      "'MaxContributorValue')",
        "Label": "authentication failures from one source IP",
        "Period": 300,
        "ReturnData": True,
    }]
    assert source["Threshold"] == 10
    assert source["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert source["EvaluationPeriods"] == 1
    assert source["TreatMissingData"] == "notBreaching"
    topic = {"Ref": Match.string_like_regexp("MonAlarmTopic")}
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-security-top-authz-failure-user",
        "Threshold": 3,
        "AlarmActions": [topic],
        "OKActions": [topic],
    })
    assert "First run saved query orders/auth-failures-by-source" in source["AlarmDescription"]
    details = {a.name: a for a in synthesized["mon"].alarm_details}
    detail = details["orders-security-top-authn-failure-user"]
    assert (detail.kind, detail.routing, detail.check) == (
        "security", "direct", "security.top_authn_failure_user")


def test_security_dashboard_shows_top_n_and_control_plane_widgets(synthesized) -> None:
    widgets = _security_body(synthesized["orders"])["widgets"]
    insight = [w["properties"]["insightRule"] for w in widgets
               if "insightRule" in w["properties"]]
    assert insight == [
        {"maxContributorCount": 10, "orderBy": "Sum", "ruleName": f"orders-{suffix}"}
        for suffix in ("authn-failures-by-source-ip", "authn-failures-by-user",
                       "authz-failures-by-source-ip", "authz-failures-by-user")
    ]
    changes = [w for w in widgets
               if w["properties"].get("title", "").startswith("What changed")]
    assert len(changes) == 1
    assert changes[0]["properties"]["metrics"][0] == [
        "AWS/Events", "TriggeredRules", "RuleName", "orders-control-plane-changes",
        {"stat": "Sum"}]
    # The alarm widget of the security dashboard lists the new alarms.
    alarm_widget = next(w for w in widgets if w["type"] == "alarm")
    assert any(arn == "${WatchkeeperAlarmArn}orders-security-top-authn-failure-source"
               for arn in alarm_widget["properties"]["alarms"])


# ---------------------------------------------------------------------------------------
# Control-plane tampering
# ---------------------------------------------------------------------------------------


def test_event_pattern_matches_the_services_resources(synthesized) -> None:
    (rule,) = _of_type(synthesized["orders"], EVENT_RULE).values()
    props = rule["Properties"]
    assert props["Name"] == "orders-control-plane-changes"
    assert props["State"] == "ENABLED"
    pattern = _pattern(props)
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    # Deploys (calls CloudFormation makes) are left out by default.
    assert pattern["detail"]["sourceIPAddress"] == [
        {"anything-but": "cloudformation.amazonaws.com"}]
    lambda_branch, logs_branch, logs_id_branch, alarms_branch, dashboards_branch = (
        pattern["detail"]["$or"])
    assert lambda_branch["eventSource"] == ["lambda.amazonaws.com"]
    assert lambda_branch["eventName"] == [
        {"prefix": p} for p in ("UpdateFunctionCode", "UpdateFunctionConfiguration",
                                "AddPermission", "RemovePermission",
                                "PutFunctionConcurrency", "DeleteFunctionConcurrency")]
    functions = lambda_branch["requestParameters"]["functionName"]
    # Named functions share the prefix: one prefix, not a list; the others are listed.
    assert functions[:2] == [{"prefix": "orders-"}, {"wildcard": "*:function:orders-*"}]
    unnamed = next(k for k, v in synthesized["orders"]["Resources"].items()
                   if k.startswith("Unnamed") and v["Type"] == "AWS::Lambda::Function")
    # Its name and ARN wildcard are placeholders in the pattern's one Fn::Sub string.
    assert "${" + unnamed + "}" in functions
    assert {"wildcard": "*:function:${" + unnamed + "}*"} in functions
    assert "legacy-billing" in functions
    assert {"wildcard": "*:function:legacy-billing*"} in functions
    assert len(functions) == 6  # prefix pair, then a name and its ARN wildcard each
    assert logs_branch == {
        "eventSource": ["logs.amazonaws.com"],
        "eventName": ["DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy",
                      "DeleteMetricFilter", "DeleteSubscriptionFilter"],
        "requestParameters": {"logGroupName": [
            {"prefix": "/watchkeeper/orders/"}, "/aws/lambda/legacy-billing"]},
    }
    assert logs_id_branch["eventName"] == ["DeleteDataProtectionPolicy"]
    assert {"wildcard": "*:log-group:/watchkeeper/orders/*"} in (
        logs_id_branch["requestParameters"]["logGroupIdentifier"])
    assert alarms_branch == {
        "eventSource": ["monitoring.amazonaws.com"],
        "eventName": ["DeleteAlarms", "DisableAlarmActions"],
        "requestParameters": {"alarmNames": [{"prefix": "orders-"}]},
    }
    assert dashboards_branch["requestParameters"] == {"dashboardNames": [{"prefix": "orders-"}]}
    assert len(json.dumps(pattern, separators=(",", ":"))) < (
        control_plane_tampering.MAX_EVENT_PATTERN_CHARS)


def test_rule_notifies_the_security_route_with_a_readable_message(synthesized) -> None:
    (rule,) = _of_type(synthesized["orders"], EVENT_RULE).values()
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"]["Ref"].startswith("MonAlarmTopic")
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"]["caller"] == "$.detail.userIdentity.arn"
    message = json.loads(transformer["InputTemplate"])
    assert message.startswith("watchkeeper orders: control-plane change <eventName>")
    for name in transformer["InputPathsMap"]:
        assert f"<{name}>" in message


def test_topic_and_key_policies_let_eventbridge_publish_without_conditions(
        synthesized) -> None:
    template = Template.from_json(synthesized["orders"])
    # EventBridge's guide: no Condition blocks in SNS topic policies for EventBridge (one
    # would fail every delivery), so the statement is exactly this, on this topic only.
    policy = next(iter(_of_type(synthesized["orders"], "AWS::SNS::TopicPolicy").values()))
    (statement,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                    if s.get("Sid") == "AllowControlPlaneRulesToPublish"]
    assert statement == {
        "Sid": "AllowControlPlaneRulesToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": statement["Resource"]["Ref"]},
    }
    assert statement["Resource"]["Ref"].startswith("MonAlarmTopic")
    template.has_resource_properties("AWS::KMS::Key", {
        "KeyPolicy": {"Statement": Match.array_with([{
            "Sid": "AllowEventBridgeToUseTheKey",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }])},
    })


def test_the_key_statement_for_eventbridge_is_the_one_sns_documents(synthesized) -> None:
    # SNS's key-management guide gives AWS event sources kms:GenerateDataKey* and
    # kms:Decrypt without a condition; no AWS guide says EventBridge's KMS requests carry
    # aws:SourceAccount, and a condition they lack would drop the notifications.
    template = Template.from_json(synthesized["orders"])
    template.has_resource_properties("AWS::KMS::Key", {
        "KeyPolicy": {"Statement": Match.array_with([Match.object_like({
            "Sid": "AllowEventBridgeToUseTheKey",
            "Condition": Match.absent(),
        })])},
    })


def test_cloudtrail_log_group_gives_a_logs_insights_widget(synthesized) -> None:
    widgets = _security_body(synthesized["trail"])["widgets"]
    (changes,) = [w for w in widgets if w["properties"].get("title", "").startswith(
        "What changed")]
    assert changes["type"] == "log"
    query = changes["properties"]["query"]
    assert query.startswith(f"SOURCE '{TRAIL_GROUP}'")
    assert "trail-prod" in query
    assert check_query(query) == []
    assert {r["Properties"]["Name"] for r in _of_type(synthesized["trail"], EVENT_RULE)
            .values()} == {"trail-prod-control-plane-changes"}


# ---------------------------------------------------------------------------------------
# Switched off, lint, nag, metadata, report
# ---------------------------------------------------------------------------------------


def test_switched_off_creates_nothing(synthesized) -> None:
    quiet = synthesized["quiet"]
    assert _of_type(quiet, RULE) == {} and _of_type(quiet, EVENT_RULE) == {}
    assert not [w for w in _security_body(quiet)["widgets"]
                if "insightRule" in w["properties"]]
    services = quiet["Metadata"]["Watchkeeper"]["services"]
    assert services[0]["detections"] == {"insight_rules": [], "event_rules": []}


def test_metadata_lists_the_rules(synthesized) -> None:
    (service,) = synthesized["orders"]["Metadata"]["Watchkeeper"]["services"]
    assert service["detections"] == {
        "insight_rules": ["orders-authn-failures-by-source-ip", "orders-authn-failures-by-user",
                          "orders-authz-failures-by-source-ip", "orders-authz-failures-by-user"],
        "event_rules": ["orders-control-plane-changes"],
    }


@pytest.mark.parametrize("stack", ["orders", "quiet", "trail"])
def test_templates_pass_cfn_lint(synthesized, stack) -> None:
    assert lint_template(synthesized[stack]) == []


def test_no_cdk_nag_finding_on_the_detections(tmp_path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Orders", env=ENV)
    _function(stack, "Create", "orders-create")
    ServiceMonitoring(stack, "Mon", service_name="orders",
                      detections=DetectionOptions(cloudtrail_log_group=TRAIL_GROUP))
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError:  # the function's own findings fail the synth; the report lists all
        pass
    findings = nag_findings(tmp_path)
    assert any(f.path.startswith("Orders/Create") for f in findings)  # the report was read
    mine = [f for f in findings if f.path.startswith("Orders/Mon")]
    assert mine == []


def test_report_counts_and_prices_the_rules(synthesized) -> None:
    document = report_json(load_assembly(Path(synthesized["outdir"])))
    orders = next(s for s in document["stacks"] if s["name"] == "Orders")
    assert orders["other_resources"]["insight_rules"] == 4
    assert orders["other_resources"]["event_rules"] == 1
    lines = {line["item"]: line for line in orders["cost"]["lines"]}
    assert lines["Contributor Insights rules"]["monthly_usd"] == 2.00
    assert lines["EventBridge rules (AWS service events)"]["monthly_usd"] == 0


# ---------------------------------------------------------------------------------------
# Bad input and limits
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "value", "message"), [
    ("top_offenders", "yes", r"DetectionOptions\.top_offenders='yes' must be True or False"),
    ("control_plane_tampering", 1,
     r"DetectionOptions\.control_plane_tampering=1 must be True or False"),
    ("include_cloudformation_changes", "no",
     r"DetectionOptions\.include_cloudformation_changes='no' must be True or False"),
    ("cloudtrail_log_group", "bad name!", r"DetectionOptions\.cloudtrail_log_group"),
    ("cloudtrail_log_group", 42,
     r"DetectionOptions\.cloudtrail_log_group=42 must be the literal name"),
])
def test_bad_options_name_the_option(option, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        DetectionOptions(**{option: value})


def test_threshold_override_is_validated() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    with pytest.raises(ValueError, match=r"security.top_authn_failure_source.*at least 1"):
        ServiceMonitoring(stack, "Mon", service_name="orders", alarms=AlarmOptions(overrides={
            "security.top_authn_failure_source": AlarmSettings(threshold=0)}))


def test_names_without_a_shared_prefix_spill_into_more_rules_within_the_limit() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    mon = ServiceMonitoring(stack, "Mon", service_name="orders",
                            detections=DetectionOptions(top_offenders=False))
    for index in range(30):  # names that share no prefix with the service
        mon.monitor_function(lambda_.Function.from_function_name(
            stack, f"F{index}", f"team{index}-handler-{index:03d}"))
    for index in range(8):  # names CloudFormation generates: tokens at synth
        _function(stack, f"Unnamed{index}")
    template = app.synth().get_stack_by_name("S").template
    rules = {r["Properties"]["Name"]: r["Properties"]
             for r in _of_type(template, EVENT_RULE).values()}
    count = len(rules)
    assert count > 2
    assert sorted(rules) == sorted(control_plane_tampering.rule_name("orders", i)
                                   for i in range(count))
    matchers = [m for props in rules.values()
                for branch in _pattern(props)["detail"]["$or"]
                for values in branch["requestParameters"].values() for m in values]
    names = {f"team{i}-handler-{i:03d}" for i in range(30)}
    assert names <= set(m for m in matchers if isinstance(m, str))
    assert {f"/aws/lambda/{n}" for n in names} <= set(m for m in matchers if isinstance(m, str))
    unnamed = {k for k, v in template["Resources"].items()
               if k.startswith("Unnamed") and v["Type"] == "AWS::Lambda::Function"}
    assert {m for m in matchers if isinstance(m, str) and m.startswith("${")} == {
        "${" + k + "}" for k in unnamed}
    for props in rules.values():
        # as deployed, with every token a function name of Lambda's longest (64)
        pattern = props["EventPattern"]
        text = pattern if isinstance(pattern, str) else pattern["Fn::Sub"]
        deployed = re.sub(r"\$\{[^}]+\}", "n" * 64, text)
        assert len(deployed) <= control_plane_tampering.MAX_EVENT_PATTERN_CHARS
    # Only the first rule carries the alarm and dashboard branches.
    sources = [b["eventSource"] for props in rules.values()
               for b in _pattern(props)["detail"]["$or"]]
    assert sources.count(["monitoring.amazonaws.com"]) == 2
    # One statement lets the rules publish, however many there are.
    policy = next(iter(_of_type(template, "AWS::SNS::TopicPolicy").values()))
    assert [s.get("Sid") for s in policy["Properties"]["PolicyDocument"]["Statement"]].count(
        "AllowControlPlaneRulesToPublish") == 1
    assert lint_template(template) == []


def _pattern(rule_properties: dict[str, Any]) -> Any:
    """A rule's event pattern, parsed: a JSON string, or one in an ``Fn::Sub`` (then with
    its ``${LogicalId}`` placeholders as text)."""
    pattern = rule_properties["EventPattern"]
    return json.loads(pattern if isinstance(pattern, str) else pattern["Fn::Sub"])


def test_past_twenty_rules_the_rest_is_left_out_with_a_warning() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    topic = sns.Topic(stack, "Topic")
    names = [f"function-{i:04d}-{'x' * 40}" for i in range(400)]
    result = control_plane_tampering.build_tampering_rules(
        stack, service="orders", function_names=names, function_prefixes=["orders-"],
        log_group_names=[], log_group_prefixes=[], alarm_name_prefix="orders-",
        dashboard_name_prefix=None, topic=topic)
    assert len(result.rules) == control_plane_tampering.MAX_RULES == 20
    watched = {m for pattern in result.patterns for b in pattern["detail"]["$or"]
               for m in b["requestParameters"].get("functionName", []) if isinstance(m, str)}
    assert 0 < len(watched) < len(names)
    app.synth()
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp(
        rf"control_plane_tampering: 400 function names that share no prefix need \d+ "
        rf"EventBridge rules .* so changes to {len(names) - len(watched)} functions and log "
        r"groups are not watched\. Name the functions 'orders-\.\.\.'"))


def test_cloudformation_changes_are_matched_only_when_asked() -> None:
    def patterns(include: bool) -> list[dict[str, Any]]:
        return control_plane_tampering.event_patterns(
            function_names=["orders-create"], function_prefixes=["orders-"],
            log_group_names=[], log_group_prefixes=[], alarm_name_prefix="orders-",
            dashboard_name_prefix=None, include_cloudformation_changes=include)

    (default,) = patterns(False)
    (everything,) = patterns(True)
    assert default["detail"].pop("sourceIPAddress") == [
        {"anything-but": "cloudformation.amazonaws.com"}]
    assert default == everything
    assert "sourceIPAddress" not in everything["detail"]


def test_prefix_keeps_the_pattern_small_at_300_functions() -> None:
    names = [f"orders-fn-{i:03d}" for i in range(300)]
    (pattern,) = control_plane_tampering.event_patterns(
        function_names=names, function_prefixes=["orders-"], log_group_names=[],
        log_group_prefixes=[], alarm_name_prefix="orders-", dashboard_name_prefix="orders-")
    assert control_plane_tampering.estimated_pattern_length(pattern) < 1_000


def test_log_groups_past_the_rule_limit_are_left_out_with_a_warning() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    groups = [f"/app/{'x' * 200}/{i}" for i in range(40)]
    result = contributor_insights.build_top_offenders(
        stack, service="orders", log_group_names=groups, alarm_overrides={},
        topic_arn="arn:aws:sns:eu-west-1:123456789012:t", notify_ok=True)
    assert 0 < len(result.left_out) < len(groups)
    template = app.synth().get_stack_by_name("S").template
    for rule in _of_type(template, RULE).values():
        body = rule["Properties"]["RuleBody"]
        assert len(body) <= contributor_insights.MAX_RULE_BODY_CHARS
        assert json.loads(body)["LogGroupNames"] == groups[:len(groups) - len(result.left_out)]
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp(
        r"DetectionOptions.top_offenders: the Contributor Insights rules read \d+ of 40 log "
        r"groups .* or pass DetectionOptions.top_offenders=False"))


def test_the_size_estimate_counts_the_detections() -> None:
    # The automatic placement (nested_stacks=None) must see what the detections add, or a
    # stack near 500 resources would be judged to fit and fail at deploy.
    estimates = {}
    for name, options in (("on", DetectionOptions()),
                          ("off", DetectionOptions(top_offenders=False,
                                                   control_plane_tampering=False))):
        app = cdk.App()
        stack = cdk.Stack(app, "S", env=ENV)
        _function(stack, "Create", "orders-create")
        mon = ServiceMonitoring(stack, "Mon", service_name="orders", detections=options)
        app.synth()
        assert mon.size_estimate is not None
        estimates[name] = mon.size_estimate.added
    # 4 rules and 4 alarms of the top offenders, one tampering rule for one function
    assert estimates["on"] - estimates["off"] == 9
