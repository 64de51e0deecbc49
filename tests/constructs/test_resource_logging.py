"""Logging switched on for monitored APIs and state machines (resource_logging + wiring)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from _shipping_app import ENV, function, monitored_app, plain_app
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match

from watchkeeper import ResourceLoggingOptions, schema
from watchkeeper.constructs import resource_logging


def _only(resources: dict) -> dict:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))


def test_access_log_format_is_json_with_schema_keys_and_context_variables():
    for variables in (
        resource_logging.HTTP_API_ACCESS_LOG_VARIABLES,
        resource_logging.REST_API_ACCESS_LOG_VARIABLES,
    ):
        record = json.loads(resource_logging.access_log_format(variables))
        assert record[schema.AccessLogField.REQUEST_ID] == "$context.requestId"
        assert record[schema.AccessLogField.SOURCE_IP] == "$context.identity.sourceIp"
        assert record[schema.AccessLogField.STATUS] == "$context.status"
        assert record[schema.AccessLogField.AUTHORIZER_ERROR] == "$context.authorizer.error"
        assert all(v.startswith("$context.") for v in record.values())
    assert resource_logging.HTTP_API_ACCESS_LOG_VARIABLES["route"] == "$context.routeKey"
    assert resource_logging.REST_API_ACCESS_LOG_VARIABLES["route"] == "$context.resourcePath"
    # Keys shared with the function log schema are spelled the same.
    assert schema.AccessLogField.REQUEST_ID == schema.Field.REQUEST_ID
    assert schema.AccessLogField.USER_ID == schema.Field.USER_ID


def test_http_api_stage_gets_json_access_logs_to_the_service_access_group():
    t = monitored_app().template
    stage = _only(t.find_resources("AWS::ApiGatewayV2::Stage"))["Properties"]
    settings = stage["AccessLogSettings"]
    assert json.loads(settings["Format"]) == dict(resource_logging.HTTP_API_ACCESS_LOG_VARIABLES)
    group_id = _only_id(t, schema.api_access_log_group_name("orders"))
    # API Gateway wants the ARN without the ":*" suffix: it ends with the group name.
    assert settings["DestinationArn"]["Fn::Join"][1][-1] == {"Ref": group_id}
    assert settings["DestinationArn"]["Fn::Join"][1][-2].endswith(":log-group:")


def _only_id(t, group_name: str) -> str:
    found = t.find_resources("AWS::Logs::LogGroup", {"Properties": {"LogGroupName": group_name}})
    assert len(found) == 1, f"{group_name}: {list(found)}"
    return next(iter(found))


def test_rest_api_stage_gets_access_logs_and_error_execution_logging_without_data_trace():
    t = monitored_app().template
    stage = _only(t.find_resources("AWS::ApiGateway::Stage"))["Properties"]
    record = json.loads(stage["AccessLogSetting"]["Format"])
    assert record == dict(resource_logging.REST_API_ACCESS_LOG_VARIABLES)
    assert {
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "LoggingLevel": "ERROR",
        "DataTraceEnabled": False,
    } in stage["MethodSettings"]


def test_rest_execution_logging_can_be_left_off():
    stage = _only(monitored_app().policy_template.find_resources("AWS::ApiGateway::Stage"))
    assert "AccessLogSetting" in stage["Properties"]
    assert "MethodSettings" not in stage["Properties"]


def test_access_log_group_is_retained_and_counts_edge_authentication_failures():
    t = monitored_app().template
    t.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": "/watchkeeper/orders/api-access",
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Retain",
        },
    )
    t.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": '{ ($.status = "401") || ($.status = "403") }',
            "LogGroupName": {"Ref": _only_id(t, "/watchkeeper/orders/api-access")},
            "MetricTransformations": [
                Match.object_like(
                    {
                        "MetricName": "EdgeAuthenticationFailures",
                        "MetricNamespace": "Watchkeeper/orders",
                        "MetricValue": "1",
                        "DefaultValue": 0,
                    }
                )
            ],
        },
    )


def test_state_machine_logs_all_events_without_execution_data_to_a_vended_log_group():
    t = monitored_app().template
    group_id = _only_id(t, "/aws/vendedlogs/states/orders-workflow")
    machine = _only(t.find_resources("AWS::StepFunctions::StateMachine"))
    assert machine["Properties"]["LoggingConfiguration"] == {
        "Destinations": [
            {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [group_id, "Arn"]}}}
        ],
        "IncludeExecutionData": False,
        "Level": "ALL",
    }
    policies = t.find_resources(
        "AWS::IAM::Policy",
        {
            "Properties": {
                "PolicyDocument": {
                    "Statement": [
                        Match.object_like(
                            {
                                "Action": list(resource_logging.STATE_MACHINE_LOG_DELIVERY_ACTIONS),
                                "Resource": "*",
                            }
                        )
                    ]
                }
            }
        },
    )
    ((policy_id, policy),) = policies.items()
    role_ref = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    assert policy["Properties"]["Roles"] == [{"Ref": role_ref}]
    # Step Functions checks the permission when the logging configuration is set.
    assert policy_id in machine["DependsOn"]


def test_execution_data_is_logged_only_when_asked():
    machine = _only(
        monitored_app().policy_template.find_resources("AWS::StepFunctions::StateMachine")
    )
    assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is True


def test_opt_out_leaves_apis_and_state_machines_as_they_were():
    t = plain_app().plain
    assert (
        "AccessLogSettings" not in _only(t.find_resources("AWS::ApiGatewayV2::Stage"))["Properties"]
    )
    assert "AccessLogSetting" not in _only(t.find_resources("AWS::ApiGateway::Stage"))["Properties"]
    machine = _only(t.find_resources("AWS::StepFunctions::StateMachine"))
    assert "LoggingConfiguration" not in machine["Properties"]
    assert (
        t.find_resources(
            "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": "/watchkeeper/plain/api-access"}}
        )
        == {}
    )


def test_imported_resources_are_skipped_with_a_note():
    built = plain_app()
    notes = built.imported_monitoring.resource_logging_notes
    assert notes == [
        "API Imported/Api: not defined in this app; logging unchanged",
        "API orders-admin: not defined in this app; logging unchanged",
        # named from their ARNs: a from_state_machine_name join, a version ARN
        "state machine orders-flow: imported; logging unchanged",
        "state machine billing-flow: imported; logging unchanged",
    ]
    # nothing to log to: no access log group is created for them (and no function writes
    # to a service log group)
    assert built.imported.find_resources("AWS::Logs::LogGroup") == {}
    filters = built.imported.find_resources("AWS::Logs::MetricFilter")
    assert not [
        f for f in filters.values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "EdgeAuthenticationFailures"
    ]


def test_existing_access_log_settings_are_kept():
    stack = cdk.Stack(cdk.App(), "Keep", env=ENV)
    own = logs.LogGroup(stack, "Own")
    api = apigwv2.HttpApi(
        stack,
        "Api",
        default_integration=integrations.HttpLambdaIntegration("I", function(stack, "Fn")),
    )
    cfn_stage = api.default_stage.node.default_child
    cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
        destination_arn=own.log_group_arn, format="$context.requestId"
    )
    assert resource_logging.stages_without_access_logs(api) == []
    assert resource_logging.enable_http_api_access_logging(api, logs.LogGroup(stack, "New")) == []
    assert stack.resolve(cfn_stage.access_log_settings.format) == "$context.requestId"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "rest_api_execution_logging",
            "DEBUG",
            "ResourceLoggingOptions.rest_api_execution_logging='DEBUG' is not allowed",
        ),
        (
            "state_machine_log_level",
            "OFF",
            "ResourceLoggingOptions.state_machine_log_level='OFF' is not allowed: use one of "
            "ALL",
        ),
    ],
)
def test_bad_options_are_rejected_naming_option_and_allowed_values(option, value, message):
    with pytest.raises(ValueError, match=message):
        ResourceLoggingOptions(**{option: value})
