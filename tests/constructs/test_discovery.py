"""Resources written as L1s (``Cfn*``) are discovered like their L2s, once each (README:
"What is discovered").

The app below is written the way apps that predate the L2s (or that were converted from
CloudFormation) are: an HTTP API as CfnApi + CfnStage + CfnIntegration to a CfnFunction, a
REST API as CfnRestApi + CfnDeployment + CfnStage, a CfnQueue with a RedrivePolicy to
another CfnQueue, a CfnTable, a CfnStateMachine with a definition string and a role, a
WebSocket CfnApi, and an L2 Function next to them. One synth is shared by the module.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Annotations, Match, Template

from watchkeeper import ResourceLoggingOptions, ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
INLINE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def _build_legacy(stack):
    """The app's resources, as L1s (with one L2 function)."""
    role = iam.CfnRole(stack, "ApiFnRole", assume_role_policy_document={
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"}}]},
        managed_policy_arns=[
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])
    api_fn = lambda_.CfnFunction(
        stack, "ApiFn", function_name="legacy-api", runtime="python3.12",
        handler="index.handler", role=role.attr_arn, timeout=10,
        code=lambda_.CfnFunction.CodeProperty(zip_file=INLINE))
    unnamed_fn = lambda_.CfnFunction(
        stack, "Unnamed", runtime="python3.12", handler="index.handler",
        role=role.attr_arn, code=lambda_.CfnFunction.CodeProperty(zip_file=INLINE))
    lambda_.Function(stack, "Modern", function_name="legacy-modern",
                     runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                     code=lambda_.Code.from_inline(INLINE))

    http = apigwv2.CfnApi(stack, "HttpApi", name="legacy-http", protocol_type="HTTP")
    integration = apigwv2.CfnIntegration(
        stack, "HttpIntegration", api_id=http.ref, integration_type="AWS_PROXY",
        integration_uri=api_fn.attr_arn, payload_format_version="2.0")
    apigwv2.CfnRoute(stack, "HttpRoute", api_id=http.ref, route_key="GET /orders",
                     target=f"integrations/{integration.ref}")
    apigwv2.CfnStage(stack, "HttpStage", api_id=http.ref, stage_name="$default",
                     auto_deploy=True)
    lambda_.CfnPermission(stack, "HttpInvoke", action="lambda:InvokeFunction",
                          function_name=api_fn.ref, principal="apigateway.amazonaws.com")

    rest = apigw.CfnRestApi(stack, "RestApi", name="legacy-rest")
    method = apigw.CfnMethod(stack, "RestMethod", rest_api_id=rest.ref,
                             resource_id=rest.attr_root_resource_id, http_method="GET",
                             authorization_type="NONE", integration={"type": "MOCK"})
    deployment = apigw.CfnDeployment(stack, "RestDeployment", rest_api_id=rest.ref)
    deployment.node.add_dependency(method)
    apigw.CfnStage(stack, "RestStage", rest_api_id=rest.ref, stage_name="live",
                   deployment_id=deployment.ref)

    # Named at deploy time: a REST API cannot be monitored by name then.
    apigw.CfnRestApi(stack, "TokenNamedApi", name=f"{cdk.Aws.STACK_NAME}-api")
    apigwv2.CfnApi(stack, "Chat", name="legacy-chat", protocol_type="WEBSOCKET",
                   route_selection_expression="$request.body.action")

    dlq = sqs.CfnQueue(stack, "OrdersDlq", queue_name="legacy-orders-dlq")
    sqs.CfnQueue(stack, "OrdersQueue", queue_name="legacy-orders",
                 redrive_policy={"deadLetterTargetArn": dlq.attr_arn, "maxReceiveCount": 3})
    sqs.CfnQueue(stack, "Unnamed Queue")

    dynamodb.CfnTable(
        stack, "Table", billing_mode="PAY_PER_REQUEST",
        key_schema=[dynamodb.CfnTable.KeySchemaProperty(attribute_name="pk",
                                                        key_type="HASH")],
        attribute_definitions=[dynamodb.CfnTable.AttributeDefinitionProperty(
            attribute_name="pk", attribute_type="S")])

    machine_role = iam.Role(stack, "MachineRole",
                            assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    sfn.CfnStateMachine(
        stack, "Machine", state_machine_name="legacy-fulfilment",
        role_arn=machine_role.role_arn,
        definition_string=json.dumps({"StartAt": "Done", "States": {
            "Done": {"Type": "Succeed"}}}))
    logged_role = iam.CfnRole(stack, "LoggedMachineRole", assume_role_policy_document={
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "states.amazonaws.com"}}]})
    sfn.CfnStateMachine(
        stack, "LoggedMachine", state_machine_name="legacy-logged",
        role_arn=logged_role.attr_arn,
        definition_string=json.dumps({"StartAt": "Done", "States": {
            "Done": {"Type": "Succeed"}}}),
        logging_configuration=sfn.CfnStateMachine.LoggingConfigurationProperty(
            level="ERROR", destinations=[sfn.CfnStateMachine.LogDestinationProperty(
                cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                    log_group_arn="arn:aws:logs:eu-west-1:123456789012:log-group:app:*"))]))
    return {"api_fn": api_fn, "unnamed_fn": unnamed_fn, "http": http, "rest": rest}


@pytest.fixture(scope="module")
def legacy():
    app = cdk.App()
    stack = cdk.Stack(app, "Legacy", env=ENV)
    mon = ServiceMonitoring(
        stack, "Monitoring", service_name="legacy",
        resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role="account-has-role"),
    )
    resources = _build_legacy(stack)
    app.synth()
    template = Template.from_stack(stack)
    checks: dict[str, set[str]] = {}
    for alarm in mon.alarm_details:
        # checks are "<kind>.<check>"
        checks.setdefault(alarm.resource_key, set()).add(alarm.check.split(".", 1)[1])
    return {"stack": stack, "mon": mon, "template": template, "json": template.to_json(),
            "checks": checks, **resources}


def _ref(legacy, name):
    return {"Ref": legacy["stack"].resolve(legacy[name].logical_id)}


def _alarm(legacy, metric, dimensions):
    legacy["template"].has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": metric, "Dimensions": Match.array_with(
            [{"Name": k, "Value": v} for k, v in dimensions]),
    })


def test_every_l1_resource_is_monitored_once(legacy):
    mon = legacy["mon"]
    assert sorted(t.label for t in mon.functions) == [
        "Legacy/Unnamed", "legacy-api", "legacy-modern"]
    assert [t.label for t in mon.http_apis] == ["legacy-http"]
    assert [t.label for t in mon.rest_apis] == ["legacy-rest"]
    assert sorted(t.label for t in mon.queues) == [
        "Legacy/Unnamed Queue", "legacy-orders", "legacy-orders-dlq"]
    assert [t.label for t in mon.tables] == ["Legacy/Table"]
    assert sorted(t.label for t in mon.state_machines) == ["legacy-fulfilment",
                                                           "legacy-logged"]


def test_l1_functions_are_alarmed_by_name(legacy):
    _alarm(legacy, "Errors", [("FunctionName", "legacy-api")])
    _alarm(legacy, "Errors", [("FunctionName", _ref(legacy, "unnamed_fn"))])
    # Duration at 80% of the L1's own 10 s timeout.
    legacy["template"].has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "Duration", "Threshold": 8000,
        "Dimensions": [{"Name": "FunctionName", "Value": "legacy-api"}]})


def test_l1_function_keeps_its_logging_and_gets_filters_on_its_group(legacy):
    props = legacy["json"]["Resources"][legacy["stack"].resolve(
        legacy["api_fn"].logical_id)]["Properties"]
    assert "LoggingConfig" not in props
    legacy["template"].has_resource_properties("AWS::Logs::MetricFilter", {
        "LogGroupName": "/aws/lambda/legacy-api"})


def test_l1_http_api_is_alarmed_on_its_default_stage(legacy):
    _alarm(legacy, "5xx", [("ApiId", _ref(legacy, "http")), ("Stage", "$default")])


def test_l1_http_stage_gets_access_logs_and_a_change_record(legacy):
    legacy["template"].has_resource_properties("AWS::ApiGatewayV2::Stage", {
        "ApiId": _ref(legacy, "http"), "StageName": "$default",
        "AccessLogSettings": {"DestinationArn": Match.any_value(),
                              "Format": Match.string_like_regexp("requestId")}})
    assert ("api-access-logs", "legacy-http",
            "stage $default: JSON access logs to /watchkeeper/legacy/api-access"
            ) in legacy["mon"].resource_changes


def test_l1_rest_api_is_alarmed_by_name_on_its_stage_and_logs(legacy):
    _alarm(legacy, "5XXError", [("ApiName", "legacy-rest"), ("Stage", "live")])
    legacy["template"].has_resource_properties("AWS::ApiGateway::Stage", {
        "StageName": "live", "AccessLogSetting": Match.object_like({
            "DestinationArn": Match.any_value()}),
        "MethodSettings": [Match.object_like({"LoggingLevel": "ERROR"})]})
    kinds = {kind for kind, label, _ in legacy["mon"].resource_changes if label == "legacy-rest"}
    assert kinds == {"api-access-logs", "api-stage-settings"}


def test_apis_that_cannot_be_monitored_are_named_in_notes(legacy):
    notes = legacy["mon"].resource_logging_notes
    assert any("WebSocket API legacy-chat: not monitored" in n for n in notes)
    assert any(n.startswith("REST API Legacy/TokenNamedApi: not monitored") for n in notes)
    infos = Annotations.from_stack(legacy["stack"]).find_info(
        "*", Match.string_like_regexp("WebSocket API legacy-chat"))
    assert infos


def test_l1_queues_are_alarmed_and_the_redrive_target_is_a_dead_letter_queue(legacy):
    _alarm(legacy, "ApproximateAgeOfOldestMessage", [("QueueName", "legacy-orders")])
    _alarm(legacy, "ApproximateNumberOfMessagesVisible",
           [("QueueName", "legacy-orders-dlq")])
    assert "age" not in legacy["checks"]["legacy-orders-dlq"]
    dlq = next(t for t in legacy["mon"].queues if t.label == "legacy-orders-dlq")
    assert dlq.source_label == "legacy-orders"


def test_l1_table_is_alarmed_by_its_ref(legacy):
    table_id = next(k for k, r in legacy["json"]["Resources"].items()
                    if r["Type"] == "AWS::DynamoDB::Table")
    # DynamoDB alarms read their metric through FILL(m1, 0): a metric stat of the table.
    legacy["template"].has_resource_properties("AWS::CloudWatch::Alarm", {
        "Metrics": Match.array_with([Match.object_like({"MetricStat": Match.object_like({
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "ReadThrottleEvents",
                       "Dimensions": [{"Name": "TableName", "Value": {"Ref": table_id}}]},
        })})])})


def test_l1_state_machine_is_alarmed_and_gets_logging_unless_it_has_its_own(legacy):
    resources = legacy["json"]["Resources"]
    machines = {r["Properties"]["StateMachineName"]: r for r in resources.values()
                if r["Type"] == "AWS::StepFunctions::StateMachine"}
    config = machines["legacy-fulfilment"]["Properties"]["LoggingConfiguration"]
    assert config["Level"] == "ALL" and config["IncludeExecutionData"] is False
    assert machines["legacy-logged"]["Properties"]["LoggingConfiguration"]["Level"] == "ERROR"
    # The role may deliver logs before the logging configuration is set.
    policy_id = next(k for k, r in resources.items() if r["Type"] == "AWS::IAM::Policy"
                     and "logs:CreateLogDelivery" in json.dumps(r))
    assert policy_id in machines["legacy-fulfilment"]["DependsOn"]
    kinds = {(kind, label) for kind, label, _ in legacy["mon"].resource_changes}
    assert ("state-machine-logging", "legacy-fulfilment") in kinds
    assert ("role-statement", "Legacy/MachineRole") in kinds
    assert ("state-machine-logging", "legacy-logged") not in kinds
    legacy["template"].has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ExecutionsFailed", "Dimensions": [{
            "Name": "StateMachineArn", "Value": Match.object_like({"Ref": Match.any_value()})}]})


def test_l1_app_passes_cfn_lint(legacy):
    assert lint_template(legacy["json"], regions=["eu-west-1"]) == []


def test_two_services_in_one_stack_never_monitor_each_others_resources():
    """Two ServiceMonitorings in one stack: neither discovers the other's alarm-delivery
    queues, alarm topic or control-plane rule as the app's (ServiceMonitoring is
    WATCHKEEPER_OWNED); both monitor the app's queue."""
    from watchkeeper import AlarmOptions

    stack = cdk.Stack(cdk.App(), "TwoServices",
                      env=cdk.Environment(account="123456789012", region="eu-west-1"))
    sqs.Queue(stack, "Jobs", queue_name="jobs")
    services = [ServiceMonitoring(stack, name.title(), service_name=name,
                                  alarms=AlarmOptions(emails=["oncall@example.com"]))
                for name in ("orders", "billing")]
    Template.from_stack(stack)  # discovery runs at synth
    for mon, other in zip(services, reversed(services), strict=True):
        monitored = [t.queue for kind in ("queue", "topic", "event_rule")
                     for t in mon.targets_of(kind) if hasattr(t, "queue")]
        paths = [q.node.path for q in monitored]
        assert "TwoServices/Jobs" in paths
        assert not [p for p in paths if p.startswith(other.node.path + "/")]
        assert mon.targets_of("topic") == [] and mon.targets_of("event_rule") == []


# -- watchkeeper's own constructs beside the app's ------------------------------------------


def _app_service(stack: cdk.Stack, prefix: str) -> None:
    """Functions and an EventBridge rule of the app's own (with a target dead-letter queue
    that makes it worth watching), monitored by a ServiceMonitoring in the same stack."""
    from aws_cdk import aws_events as events
    from aws_cdk import aws_events_targets as targets

    functions = [lambda_.Function(stack, name.title(), function_name=f"{prefix}-{name}",
                                  runtime=lambda_.Runtime.PYTHON_3_12,
                                  handler="index.handler",
                                  code=lambda_.Code.from_inline(INLINE))
                 for name in ("sweep", "report")]
    rule = events.Rule(stack, "Nightly", rule_name=f"{prefix}-nightly",
                       schedule=events.Schedule.cron(minute="0", hour="2"))
    rule.add_target(targets.LambdaFunction(functions[0]))
    ServiceMonitoring(stack, "Monitoring", service_name=prefix)


@pytest.fixture(scope="module")
def beside_monitoring_stacks():
    """The app's stack with a MonitoringStack (control-plane detections on, the default)
    in the two arrangements an app can have: beside it, and around it (the app's stack
    defined in the MonitoringStack's scope); and a MonitoringStack that a second
    ServiceMonitoring with discovery is added to, with a queue and a rule of its own."""
    from aws_cdk import aws_events as events

    from watchkeeper.stacks import MonitoringStack

    app = cdk.App()
    beside = cdk.Stack(app, "Orders", env=ENV)
    _app_service(beside, "orders")
    MonitoringStack(app, "OrdersFleet", service_name="orders-fleet", env=ENV,
                    function_names=["orders-sweep", "orders-report"])
    platform = MonitoringStack(app, "Platform", service_name="platform", env=ENV,
                               function_names=["platform-edge"])
    around = cdk.Stack(platform, "Billing", env=ENV)
    _app_service(around, "billing")
    fleet = MonitoringStack(app, "Fleet", service_name="fleet", env=ENV,
                            function_names=["fleet-worker"])
    sqs.Queue(fleet, "Stray", queue_name="fleet-stray", enforce_ssl=True)
    events.Rule(fleet, "StrayRule", rule_name="fleet-stray",
                schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    extra = ServiceMonitoring(fleet, "Extra", service_name="fleet-extra")
    assembly = app.synth()
    templates = {stack.node.path: assembly.get_stack_artifact(stack.artifact_id).template
                 for stack in (beside, around, platform, fleet)}
    templates["OrdersFleet"] = assembly.get_stack_by_name("OrdersFleet").template
    monitors = {"Orders": beside.node.find_child("Monitoring"),
                "Billing": around.node.find_child("Monitoring"), "Fleet": extra}
    return {"templates": templates, "monitors": monitors}


def _tampering_rules(template) -> list[str]:
    return [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule"
            and r["Properties"].get("Description", "").startswith("watchkeeper ")]


@pytest.mark.parametrize(("stack", "service"), [("Orders", "orders"),
                                                ("Platform/Billing", "billing")])
def test_the_apps_rule_is_monitored_beside_or_inside_a_monitoring_stack(
        beside_monitoring_stacks, stack, service):
    """Beside a MonitoringStack and inside one's scope alike, the app's rule is monitored
    and watchkeeper's control-plane rules are not."""
    monitoring = beside_monitoring_stacks["monitors"][service.title()]
    assert [t.key for t in monitoring.targets_of("event_rule")] == [f"{service}-nightly"]
    assert sorted(t.key for t in monitoring.targets_of("function")) == [
        f"{service}-report", f"{service}-sweep"]
    template = beside_monitoring_stacks["templates"][stack]
    assert _tampering_rules(template)  # the service's own detections, unmonitored
    alarmed_rules = {json.dumps(d["Value"]) for r in template["Resources"].values()
                     if r["Type"] == "AWS::CloudWatch::Alarm"
                     for d in r["Properties"].get("Dimensions", []) if d["Name"] == "RuleName"}
    assert alarmed_rules == {json.dumps(f"{service}-nightly")}


def test_monitoring_stacks_hold_their_own_control_plane_rules(beside_monitoring_stacks):
    templates = beside_monitoring_stacks["templates"]
    for name in ("OrdersFleet", "Platform", "Fleet"):
        assert _tampering_rules(templates[name]), name


def test_nothing_in_a_monitoring_stack_is_discovered_as_the_apps(beside_monitoring_stacks):
    """A MonitoringStack is watchkeeper's whole (WATCHKEEPER_OWNED, as its report
    counts it): a ServiceMonitoring added to it discovers none of its resources, of any
    kind."""
    extra = beside_monitoring_stacks["monitors"]["Fleet"]
    from watchkeeper.constructs.kinds.registry import KINDS

    assert {kind.name: extra.targets_of(kind.name) for kind in KINDS} == {
        kind.name: [] for kind in KINDS}
