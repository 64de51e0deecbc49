"""Switch logging on where it is off: API Gateway access logs and state machine logs.

Each function changes one resource defined in the app (its L1 properties), and leaves a
setting the user chose alone: a stage that already writes access logs keeps its
destination and format, a state machine that already logs keeps its configuration.

- HTTP APIs (``aws_apigatewayv2``): every stage gets JSON access logs.
- REST APIs (``aws_apigateway``): every stage gets JSON access logs and, by default,
  execution logging at ``ERROR`` for all methods (cdk-nag AwsSolutions-APIG6), with data
  tracing off so request and response bodies are never written. Both need the account's
  API Gateway CloudWatch role (``AWS::ApiGateway::Account``, one per account and region;
  see docs/resource-logging.md): the caller decides whether the account has it
  (``api_gateway_accounts``, ``create_api_gateway_cloudwatch_role``).
- State machines: ``ALL`` events to a log group, execution data (inputs and outputs)
  excluded by default so payloads do not leak into logs.

The ``enable_*`` functions return every change they made to the app's resources as
``(kind, resource label, detail)`` tuples (kinds: ``app_changes.CHANGE_KINDS``).

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
from constructs import Construct, IConstruct

from watchkeeper import schema
from watchkeeper.access_log_metrics import ACCESS_LOG_METRICS
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.validation import require_one_of

if TYPE_CHECKING:
    # Imported where used: only services with APIs or state machines load them.
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_stepfunctions as sfn

F = schema.AccessLogField

#: Kinds of change to a resource of the app: access logs on an API stage; execution
#: logging (method settings) on a REST API stage; logging of a state machine; a policy
#: statement added to a role of the app.
CHANGE_API_ACCESS_LOGS = "api-access-logs"
CHANGE_API_STAGE_SETTINGS = "api-stage-settings"
CHANGE_STATE_MACHINE_LOGGING = "state-machine-logging"
CHANGE_ROLE_STATEMENT = "role-statement"
#: One change: (kind, the resource's label, what was changed).
ResourceChange = tuple[str, str, str]

#: The AWS managed policy API Gateway's CloudWatch Logs role carries (API Gateway
#: developer guide, "Permissions for CloudWatch logging"), as aws-cdk-lib's RestApi uses it.
API_GATEWAY_CLOUDWATCH_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"

#: cdk-nag's finding for a policy statement on Resource "*" (AwsSolutions-IAM5, scoped to
#: that one finding so no other IAM5 finding of the same policy is hidden).
NAG_RESOURCE_WILDCARD_FINDING = "AwsSolutions::AwsSolutions-IAM5[Resource::*]"

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


def _rest_api_id(api: Any) -> str:
    """The id of a RestApi, or the Ref of a ``CfnRestApi`` written as an L1."""
    return api.ref if isinstance(api, cdk.CfnResource) else api.rest_api_id


def _http_api_id(api: Any) -> str:
    """The id of an HttpApi, or the Ref of a ``CfnApi`` written as an L1."""
    return api.ref if isinstance(api, cdk.CfnResource) else api.api_id


def api_stages(api: Construct) -> list[Any]:
    """The L1 stages (``CfnStage`` of either API Gateway module) of an HTTP or REST API
    (an L2, or a ``CfnRestApi`` / ``CfnApi`` written as an L1)."""
    if isinstance(api, loaded_classes("aws_apigateway", "RestApiBase", "CfnRestApi")):
        from aws_cdk import aws_apigateway as apigw

        return _stages_of(api, _rest_api_id(api), apigw.CfnStage, "rest_api_id")
    if isinstance(api, loaded_classes("aws_apigatewayv2", "HttpApi", "CfnApi")):
        from aws_cdk import aws_apigatewayv2 as apigwv2

        return _stages_of(api, _http_api_id(api), apigwv2.CfnStage, "api_id")
    raise ValueError(f"api={api.node.path}: expected an aws_apigateway.RestApi or HttpApi")


def deployment_stage_names(api: Any) -> list[str]:
    """Literal names of the stages that ``CfnDeployment``s of a ``CfnRestApi`` create
    themselves (``StageName``; such a stage has no ``CfnStage`` to set access logs on)."""
    from aws_cdk import aws_apigateway as apigw

    stack = cdk.Stack.of(api)
    names = []
    for deployment in _stages_of(api, _rest_api_id(api), apigw.CfnDeployment, "rest_api_id"):
        name = stack.resolve(deployment.stage_name)
        if isinstance(name, str):
            names.append(name)
    return names


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


def _shown(scope: IConstruct, value: Any) -> str:
    """``value`` as a reader of a change record wants it: the literal, or the resolved
    intrinsic as JSON when it is known only at deploy time."""
    if isinstance(value, str) and not cdk.Token.is_unresolved(value):
        return value
    resolved = cdk.Stack.of(scope).resolve(value)
    return resolved if isinstance(resolved, str) else json.dumps(resolved, sort_keys=True)


def _log_group_shown(log_group: logs.ILogGroup) -> str:
    """The log group's name as the app wrote it (a created group's name is a Ref)."""
    cfn = log_group.node.default_child
    name = cfn.log_group_name if isinstance(cfn, logs.CfnLogGroup) else None
    return _shown(log_group, name if name is not None else log_group.log_group_name)


def _access_logs_change(stage: Any, label: str, log_group: logs.ILogGroup) -> ResourceChange:
    return (
        CHANGE_API_ACCESS_LOGS,
        label,
        f"stage {_shown(stage, stage.stage_name)}: JSON access logs to "
        f"{_log_group_shown(log_group)}",
    )


def enable_http_api_access_logging(
    api: apigwv2.HttpApi | apigwv2.CfnApi, log_group: logs.ILogGroup, *,
    label: str | None = None,
) -> list[ResourceChange]:
    """JSON access logs to ``log_group`` on every stage of ``api`` (an HttpApi, or a
    ``CfnApi`` written as an L1) that has none.

    HTTP APIs deliver access logs without the account's API Gateway CloudWatch role.

    :param label: how changes name the API. Default: its construct path.
    :returns: the changes (``api-access-logs``, one per stage; empty when every stage
        already logged).
    """
    from aws_cdk import aws_apigatewayv2 as apigwv2

    label = label or api.node.path
    changed: list[ResourceChange] = []
    for stage in _stages_of(api, _http_api_id(api), apigwv2.CfnStage, "api_id"):
        if stage.access_log_settings is not None:
            continue
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=log_group_destination_arn(log_group),
            format=access_log_format(HTTP_API_ACCESS_LOG_VARIABLES),
        )
        changed.append(_access_logs_change(stage, label, log_group))
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
    api: apigw.RestApiBase | apigw.CfnRestApi,
    log_group: logs.ILogGroup,
    *,
    execution_logging_level: str | None = "ERROR",
    label: str | None = None,
    depends_on: IConstruct | None = None,
) -> list[ResourceChange]:
    """JSON access logs to ``log_group`` on every stage of ``api`` (a RestApi, or a
    ``CfnRestApi`` written as an L1) that has none.

    Both kinds of REST API logging need the account's API Gateway CloudWatch role: call
    this only when the account has it (see ``api_gateway_accounts``).

    :param execution_logging_level: ``ERROR`` (default) or ``INFO`` execution logging for
        all methods where no level is set, data tracing off; None leaves it as it is.
        Execution logs go to ``API-Gateway-Execution-Logs_<api id>/<stage>``, a group
        API Gateway creates and that never expires unless a retention is set on it.
    :param label: how changes name the API. Default: its construct path.
    :param depends_on: a construct in the API's stack every changed stage must be created
        after (the ``AWS::ApiGateway::Account`` that sets the role). Default: none.
    :returns: the changes: ``api-access-logs`` and ``api-stage-settings`` (execution
        logging), one per stage and kind.
    """
    from aws_cdk import aws_apigateway as apigw

    if execution_logging_level is not None:
        require_one_of(
            execution_logging_level, "execution_logging_level", REST_EXECUTION_LOGGING_LEVELS
        )
    label = label or api.node.path
    changed: list[ResourceChange] = []
    for stage in _stages_of(api, _rest_api_id(api), apigw.CfnStage, "rest_api_id"):
        touched = False
        if stage.access_log_setting is None:
            stage.access_log_setting = apigw.CfnStage.AccessLogSettingProperty(
                destination_arn=log_group_destination_arn(log_group),
                format=access_log_format(REST_API_ACCESS_LOG_VARIABLES),
            )
            changed.append(_access_logs_change(stage, label, log_group))
            touched = True
        if execution_logging_level is not None and _with_execution_logging(
            stage, execution_logging_level
        ):
            changed.append(
                (
                    CHANGE_API_STAGE_SETTINGS,
                    label,
                    f"stage {_shown(stage, stage.stage_name)}: execution logging "
                    f"{execution_logging_level} for all methods (*, /*), data tracing off",
                )
            )
            touched = True
        if touched and depends_on is not None:
            stage.node.add_dependency(depends_on)
    return changed


def _environment(stack: cdk.Stack) -> tuple[str | None, str | None]:
    """(account, region) of a stack; None for a part left to deploy time."""
    return tuple(  # type: ignore[return-value]
        None if cdk.Token.is_unresolved(value) else value for value in (stack.account, stack.region)
    )


def api_gateway_accounts(scope: IConstruct) -> list[Any]:
    """Every ``AWS::ApiGateway::Account`` of the app that ``scope`` is in, for the account
    and region of ``scope``'s stack: a RestApi with ``cloud_watch_role=True`` creates one
    (its ``cloud_watch_account``), as does ``create_api_gateway_cloudwatch_role``."""
    from aws_cdk import aws_apigateway as apigw

    environment = _environment(cdk.Stack.of(scope))
    return [
        node
        for node in scope.node.root.node.find_all()
        if isinstance(node, apigw.CfnAccount)
        and _environment(cdk.Stack.of(node)) == environment
    ]


def create_api_gateway_cloudwatch_role(scope: Construct, construct_id: str) -> Any:
    """The account's API Gateway CloudWatch Logs role: an IAM role with the AWS managed
    ``AmazonAPIGatewayPushToCloudWatchLogs`` policy, set by one ``AWS::ApiGateway::Account``.

    The setting is account-wide, one per account and region: it replaces a role set
    before, and both resources are retained when the stack is deleted (other APIs of the
    account may log through the role), as aws-cdk-lib's RestApi does.

    :returns: the ``CfnAccount`` (its id is ``construct_id``; the role is
        ``<construct_id>Role``).
    """
    from aws_cdk import aws_apigateway as apigw

    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
            API_GATEWAY_CLOUDWATCH_POLICY
        )],
    )
    role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    cdk.Validations.of(role).acknowledge(
        cdk.Acknowledgment(
            id=(
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                f"{API_GATEWAY_CLOUDWATCH_POLICY}]"
            ),
            reason=(
                "API Gateway documents this AWS managed policy for its account-wide "
                "CloudWatch Logs role; it only lets API Gateway write its own logs"
            ),
        )
    )
    account = apigw.CfnAccount(scope, construct_id, cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    return account


def enable_state_machine_logging(
    scope: Construct,
    construct_id: str,
    state_machine: sfn.StateMachine | sfn.CfnStateMachine,
    log_group: logs.ILogGroup,
    *,
    level: str = "ALL",
    include_execution_data: bool = False,
    label: str | None = None,
    role: iam.IRole | None = None,
    role_label: str | None = None,
) -> list[ResourceChange]:
    """Send the state machine's execution history to ``log_group``, if it logs nowhere.

    ``state_machine`` is a StateMachine, or a ``CfnStateMachine`` written as an L1: then
    ``role`` is its role (imported from its RoleArn; the statement goes to a new policy
    attached to it, which the state machine is made to wait for).

    Adds the log-delivery permissions to the state machine's role (its default policy,
    which the state machine already depends on: Step Functions checks the permission
    when the logging configuration is set). Those actions need Resource ``*``, which
    cdk-nag reports as AwsSolutions-IAM5 ``Resource::*``: that one finding is acknowledged
    on the policy, unless the policy already had a ``*`` statement of the app's (the
    finding was the app's before, and stays the app's to decide).

    :param level: ``ALL`` (default; cdk-nag AwsSolutions-SF1 asks for it), ``ERROR`` or
        ``FATAL``.
    :param include_execution_data: also log state inputs and outputs. Default False:
        they often hold personal data and secrets.
    :param label: how changes name the state machine. Default: its construct path.
    :returns: the changes: ``state-machine-logging`` and ``role-statement``; empty when
        the state machine already logged.
    """
    from aws_cdk import aws_stepfunctions as sfn

    require_one_of(level, "level", STATE_MACHINE_LOG_LEVELS)
    written_as_l1 = isinstance(state_machine, sfn.CfnStateMachine)
    cfn = state_machine if written_as_l1 else state_machine.node.default_child
    if written_as_l1 and role is None:
        raise ValueError(f"state_machine={state_machine.node.path}: an L1 needs role=")
    if not isinstance(cfn, sfn.CfnStateMachine):
        raise ValueError(
            f"state_machine={state_machine.node.path}: expected a state machine defined "
            "in this app (aws_stepfunctions.StateMachine)"
        )
    if cfn.logging_configuration is not None:
        return []
    label = label or state_machine.node.path
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
    changes: list[ResourceChange] = [
        (
            CHANGE_STATE_MACHINE_LOGGING,
            label,
            f"level {level}, execution data "
            f"{'included' if include_execution_data else 'excluded'}, to "
            f"{_log_group_shown(log_group)}",
        )
    ]
    # On the state machine's own role, as aws-cdk-lib's StateMachine does when `logs` is
    # given: the log-delivery actions support no resource-level permissions.
    if role is None:
        assert not isinstance(state_machine, sfn.CfnStateMachine)  # an L1 needs role=
        role = state_machine.role
    before = {
        policy.node.path: _wildcard_actions(policy)
        for policy in role.node.children
        if isinstance(policy, iam.Policy)
    }
    statement = iam.PolicyStatement(
        actions=list(STATE_MACHINE_LOG_DELIVERY_ACTIONS), resources=["*"]
    )
    role.add_to_principal_policy(statement)
    # The policy the statement went to (a Role's DefaultPolicy, an imported role's
    # Policy); none when the role is immutable and the app grants the actions itself.
    marker = STATE_MACHINE_LOG_DELIVERY_ACTIONS[0]
    policy = next(
        (
            child
            for child in role.node.children
            if isinstance(child, iam.Policy) and marker in _wildcard_actions(child)
            and marker not in before.get(child.node.path, set())
        ),
        None,
    )
    if policy is None:
        return changes
    if written_as_l1:
        # Step Functions checks the permission when the logging configuration is set.
        cfn.node.add_dependency(policy)
    detail = f"{', '.join(STATE_MACHINE_LOG_DELIVERY_ACTIONS)} on * added to {policy.node.path}"
    if not before.get(policy.node.path):
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(
                id=NAG_RESOURCE_WILDCARD_FINDING,
                reason=(
                    "Added by watchkeeper for state machine logging: Step Functions log "
                    "delivery to CloudWatch Logs (vended logs) supports no resource-level "
                    "permissions for logs:*LogDelivery, logs:PutResourcePolicy, "
                    "logs:DescribeResourcePolicies and logs:DescribeLogGroups, so AWS "
                    "requires Resource '*'"
                ),
            )
        )
        detail += f" (cdk-nag {NAG_RESOURCE_WILDCARD_FINDING.split('::', 1)[1]} acknowledged)"
    changes.append((CHANGE_ROLE_STATEMENT, role_label or role.node.path, detail))
    return changes


def _wildcard_actions(policy: iam.Policy) -> set[str]:
    """The actions ``policy`` allows on Resource ``*`` (cdk-nag's IAM5 ``Resource::*``)."""
    document = cdk.Stack.of(policy).resolve(policy.document) or {}
    found: set[str] = set()
    for entry in document.get("Statement", []):
        resources = entry.get("Resource", [])
        actions = entry.get("Action", [])
        if entry.get("Effect") == "Allow" and "*" in (
            resources if isinstance(resources, list) else [resources]
        ):
            found.update(actions if isinstance(actions, list) else [actions])
    return found


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
    "API_GATEWAY_CLOUDWATCH_POLICY",
    "CHANGE_API_ACCESS_LOGS",
    "CHANGE_API_STAGE_SETTINGS",
    "CHANGE_ROLE_STATEMENT",
    "CHANGE_STATE_MACHINE_LOGGING",
    "HTTP_API_ACCESS_LOG_VARIABLES",
    "NAG_RESOURCE_WILDCARD_FINDING",
    "ResourceChange",
    "REST_API_ACCESS_LOG_VARIABLES",
    "REST_EXECUTION_LOGGING_LEVELS",
    "STATE_MACHINE_LOG_DELIVERY_ACTIONS",
    "STATE_MACHINE_LOG_LEVELS",
    "access_log_format",
    "api_stages",
    "stages_without_access_logs",
    "add_access_log_metric_filters",
    "api_gateway_accounts",
    "create_api_gateway_cloudwatch_role",
    "deployment_stage_names",
    "enable_http_api_access_logging",
    "enable_rest_api_access_logging",
    "enable_state_machine_logging",
    "log_group_destination_arn",
]
