"""Switch logging on where it is off: API Gateway access logs and state machine logs.

Each function changes one resource defined in the app (its L1 properties), and leaves a
setting the user chose alone: a stage that already writes access logs keeps its
destination and format, a state machine that already logs keeps its configuration.

- HTTP APIs (``aws_apigatewayv2``): every stage gets JSON access logs.
- REST APIs (``aws_apigateway``): every stage gets JSON access logs and, by default,
  execution logging at ``ERROR`` for all methods (cdk-nag AwsSolutions-APIG6), with data
  tracing off so request and response bodies are never written. Both need the account's
  API Gateway CloudWatch role (set once per account and region; see
  docs/resource-logging.md).
- State machines: ``ALL`` events to a log group, execution data (inputs and outputs)
  excluded by default so payloads do not leak into logs.

The access log record's keys come from ``schema.AccessLogField``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper import schema
from watchkeeper.access_log_metrics import ACCESS_LOG_METRICS
from watchkeeper.constructs.cdk_modules import loaded_classes
from watchkeeper.constructs.validation import require_one_of

if TYPE_CHECKING:
    # Imported where used: only services with APIs or state machines load them.
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_stepfunctions as sfn

F = schema.AccessLogField

# $context variables common to HTTP and REST APIs (API Gateway developer guide, "Customize
# HTTP API access logs" and "Variables for access logging for API Gateway").
_COMMON_VARIABLES: dict[str, str] = {
    F.REQUEST_ID: "$context.requestId",
    F.EXTENDED_REQUEST_ID: "$context.extendedRequestId",
    F.API_ID: "$context.apiId",
    F.STAGE: "$context.stage",
    F.REQUEST_TIME: "$context.requestTime",
    F.REQUEST_TIME_EPOCH: "$context.requestTimeEpoch",
    F.SOURCE_IP: "$context.identity.sourceIp",
    F.USER_AGENT: "$context.identity.userAgent",
    F.CALLER: "$context.identity.caller",
    F.USER_ID: "$context.authorizer.principalId",
    F.CLAIMS_SUB: "$context.authorizer.claims.sub",
    F.HTTP_METHOD: "$context.httpMethod",
    F.PATH: "$context.path",
    F.PROTOCOL: "$context.protocol",
    F.STATUS: "$context.status",
    F.RESPONSE_LENGTH: "$context.responseLength",
    F.RESPONSE_LATENCY: "$context.responseLatency",
    F.INTEGRATION_LATENCY: "$context.integrationLatency",
    F.AUTHORIZER_ERROR: "$context.authorizer.error",
    F.INTEGRATION_ERROR: "$context.integrationErrorMessage",
    F.GATEWAY_ERROR: "$context.error.message",
    F.GATEWAY_ERROR_TYPE: "$context.error.responseType",
}

#: Access log record of HTTP APIs: key -> $context variable.
HTTP_API_ACCESS_LOG_VARIABLES: Mapping[str, str] = {
    **_COMMON_VARIABLES,
    F.ROUTE: "$context.routeKey",
}
#: Access log record of REST APIs: key -> $context variable.
REST_API_ACCESS_LOG_VARIABLES: Mapping[str, str] = {
    **_COMMON_VARIABLES,
    F.ROUTE: "$context.resourcePath",
}

#: Execution logging levels a REST API stage accepts (None leaves it off).
REST_EXECUTION_LOGGING_LEVELS: tuple[str, ...] = ("ERROR", "INFO")
#: Step Functions log levels.
STATE_MACHINE_LOG_LEVELS: tuple[str, ...] = ("ALL", "ERROR", "FATAL")

#: Actions the state machine's role needs to set up log delivery. CloudWatch Logs does
#: not support resource-level permissions for them, so the resource must be "*"
#: (Step Functions developer guide, "IAM Policies for logging to CloudWatch Logs").
STATE_MACHINE_LOG_DELIVERY_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


def access_log_format(variables: Mapping[str, str]) -> str:
    """The JSON access log format for ``variables``: every value a quoted string.

    Values are quoted because API Gateway writes ``-`` for a variable without a value
    (``integrationLatency`` when no integration ran), which unquoted would break the JSON.
    """
    return json.dumps(dict(variables), separators=(",", ":"))


def log_group_destination_arn(log_group: logs.ILogGroup) -> str:
    """The log group's ARN without the ``:*`` suffix, as API Gateway expects it."""
    stack = cdk.Stack.of(log_group)
    return stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group.log_group_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


def _stages_of(api: Construct, api_id: str, stage_type: type, api_property: str) -> list[Any]:
    """The L1 stages in the API's stack whose API id resolves to ``api_id``."""
    stack = cdk.Stack.of(api)
    api_ref = stack.resolve(api_id)
    found = []
    for node in stack.node.find_all():
        if isinstance(node, stage_type) and stack.resolve(getattr(node, api_property)) == api_ref:
            found.append(node)
    return found


def api_stages(api: Construct) -> list[Any]:
    """The L1 stages (``CfnStage`` of either API Gateway module) of an HTTP or REST API."""
    if isinstance(api, loaded_classes("aws_apigateway", "RestApiBase")):
        from aws_cdk import aws_apigateway as apigw

        return _stages_of(api, api.rest_api_id, apigw.CfnStage, "rest_api_id")
    if isinstance(api, loaded_classes("aws_apigatewayv2", "HttpApi")):
        from aws_cdk import aws_apigatewayv2 as apigwv2

        return _stages_of(api, api.api_id, apigwv2.CfnStage, "api_id")
    raise ValueError(f"api={api.node.path}: expected an aws_apigateway.RestApi or HttpApi")


def stages_without_access_logs(api: Construct, stages: list[Any] | None = None) -> list[Any]:
    """The stages of ``api`` that write no access logs (of ``stages``, when the caller has
    them already from ``api_stages``: finding them walks the whole stack)."""
    rest_stage = loaded_classes("aws_apigateway", "CfnStage")
    return [
        s
        for s in (api_stages(api) if stages is None else stages)
        if (s.access_log_setting if isinstance(s, rest_stage) else s.access_log_settings)
        is None
    ]


def enable_http_api_access_logging(
    api: apigwv2.HttpApi, log_group: logs.ILogGroup
) -> list[apigwv2.CfnStage]:
    """JSON access logs to ``log_group`` on every stage of ``api`` that has none.

    :returns: the stages changed (empty when every stage already logged).
    """
    from aws_cdk import aws_apigatewayv2 as apigwv2

    changed = []
    for stage in _stages_of(api, api.api_id, apigwv2.CfnStage, "api_id"):
        if stage.access_log_settings is not None:
            continue
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=log_group_destination_arn(log_group),
            format=access_log_format(HTTP_API_ACCESS_LOG_VARIABLES),
        )
        changed.append(stage)
    return changed


def _camel_to_snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _with_execution_logging(stage: apigw.CfnStage, level: str) -> bool:
    """Set ``level`` on the stage's ``*`` ``/*`` method setting unless a level is set."""
    from aws_cdk import aws_apigateway as apigw

    stack = cdk.Stack.of(stage)
    current = stack.resolve(stage.method_settings) or []
    if not isinstance(current, list):
        return False  # an unresolvable token: leave the user's settings alone
    settings: list[Any] = []
    found = False
    changed = False
    for entry in current:
        values = {_camel_to_snake(k): v for k, v in dict(entry).items()}
        if values.get("http_method") == "*" and values.get("resource_path") == "/*":
            found = True
            if not values.get("logging_level"):
                values["logging_level"] = level
                values.setdefault("data_trace_enabled", False)
                changed = True
        settings.append(apigw.CfnStage.MethodSettingProperty(**values))
    if not found:
        settings.append(
            apigw.CfnStage.MethodSettingProperty(
                http_method="*", resource_path="/*", logging_level=level, data_trace_enabled=False
            )
        )
        changed = True
    if changed:
        stage.method_settings = settings
    return changed


def enable_rest_api_access_logging(
    api: apigw.RestApiBase,
    log_group: logs.ILogGroup,
    *,
    execution_logging_level: str | None = "ERROR",
) -> list[apigw.CfnStage]:
    """JSON access logs to ``log_group`` on every stage of ``api`` that has none.

    :param execution_logging_level: ``ERROR`` (default) or ``INFO`` execution logging for
        all methods where no level is set, data tracing off; None leaves it as it is.
        Execution logs go to ``API-Gateway-Execution-Logs_<api id>/<stage>``, a group
        API Gateway creates and that never expires unless a retention is set on it.
    :returns: the stages changed.
    """
    from aws_cdk import aws_apigateway as apigw

    if execution_logging_level is not None:
        require_one_of(
            execution_logging_level, "execution_logging_level", REST_EXECUTION_LOGGING_LEVELS
        )
    changed = []
    for stage in _stages_of(api, api.rest_api_id, apigw.CfnStage, "rest_api_id"):
        touched = False
        if stage.access_log_setting is None:
            stage.access_log_setting = apigw.CfnStage.AccessLogSettingProperty(
                destination_arn=log_group_destination_arn(log_group),
                format=access_log_format(REST_API_ACCESS_LOG_VARIABLES),
            )
            touched = True
        if execution_logging_level is not None:
            touched = _with_execution_logging(stage, execution_logging_level) or touched
        if touched:
            changed.append(stage)
    return changed


def enable_state_machine_logging(
    scope: Construct,
    construct_id: str,
    state_machine: sfn.StateMachine,
    log_group: logs.ILogGroup,
    *,
    level: str = "ALL",
    include_execution_data: bool = False,
) -> iam.PolicyStatement | None:
    """Send the state machine's execution history to ``log_group``, if it logs nowhere.

    Adds the log-delivery permissions to the state machine's role (its default policy,
    which the state machine already depends on: Step Functions checks the permission
    when the logging configuration is set).

    :param level: ``ALL`` (default; cdk-nag AwsSolutions-SF1 asks for it), ``ERROR`` or
        ``FATAL``.
    :param include_execution_data: also log state inputs and outputs. Default False:
        they often hold personal data and secrets.
    :returns: the statement added, or None when the state machine already logged.
    """
    from aws_cdk import aws_stepfunctions as sfn

    require_one_of(level, "level", STATE_MACHINE_LOG_LEVELS)
    cfn = state_machine.node.default_child
    if not isinstance(cfn, sfn.CfnStateMachine):
        raise ValueError(
            f"state_machine={state_machine.node.path}: expected a state machine defined "
            "in this app (aws_stepfunctions.StateMachine)"
        )
    if cfn.logging_configuration is not None:
        return None
    cfn.logging_configuration = sfn.CfnStateMachine.LoggingConfigurationProperty(
        destinations=[
            sfn.CfnStateMachine.LogDestinationProperty(
                cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                    log_group_arn=log_group.log_group_arn
                )
            )
        ],
        include_execution_data=bool(include_execution_data),
        level=level,
    )
    # On the state machine's own role, as aws-cdk-lib's StateMachine does when `logs` is
    # given: the log-delivery actions support no resource-level permissions, so cdk-nag's
    # IAM5 finding for '*' belongs with that role, next to the X-Ray '*' CDK adds there.
    statement = iam.PolicyStatement(
        actions=list(STATE_MACHINE_LOG_DELIVERY_ACTIONS), resources=["*"]
    )
    state_machine.add_to_role_policy(statement)
    return statement


def add_access_log_metric_filters(
    scope: Construct, log_group: logs.ILogGroup, *, namespace: str
) -> list[logs.MetricFilter]:
    """One metric filter per ``ACCESS_LOG_METRICS`` entry on the access log group."""
    filters = []
    for definition in ACCESS_LOG_METRICS:
        filters.append(
            logs.MetricFilter(
                scope,
                f"AccessLog{definition.metric_name}",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(definition.filter_pattern),
                metric_namespace=namespace,
                metric_name=definition.metric_name,
                metric_value=definition.metric_value,
                default_value=definition.default_value,
                unit=getattr(cloudwatch.Unit, definition.unit),
            )
        )
    return filters


__all__ = [
    "HTTP_API_ACCESS_LOG_VARIABLES",
    "REST_API_ACCESS_LOG_VARIABLES",
    "REST_EXECUTION_LOGGING_LEVELS",
    "STATE_MACHINE_LOG_DELIVERY_ACTIONS",
    "STATE_MACHINE_LOG_LEVELS",
    "access_log_format",
    "api_stages",
    "stages_without_access_logs",
    "add_access_log_metric_filters",
    "enable_http_api_access_logging",
    "enable_rest_api_access_logging",
    "enable_state_machine_logging",
    "log_group_destination_arn",
]
