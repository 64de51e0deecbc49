"""Control-plane tampering: an EventBridge rule on CloudTrail management events that change
or remove what watches a service.

Someone who wants to act unseen changes the function's code or configuration, opens its
resource policy, throttles it to zero, shortens or deletes its logs, or deletes the metric
filters, subscription filters, alarms and dashboards that would show it. CloudTrail records
each of these API calls as a management event and delivers it to the account's default
EventBridge bus (``detail-type: AWS API Call via CloudTrail``); one rule matches the calls
on the service's own resources and notifies the security route (the alarm topic).

Prerequisite: AWS's EventBridge guide says events of this ``detail-type`` need a CloudTrail
trail with logging on that records write management events (a multi-Region or organisation
trail counts). CloudTrail delivers them on a best-effort basis, in the Region of the call.

Matching (EventBridge "Event patterns"; "Amazon EventBridge quotas": an event pattern is at
most 2,048 characters by default). Names that share a prefix are matched by ``prefix``
(every alarm, log group and dashboard name starts with the service's qualified name, and so
do functions named ``<qualified>-...``), so the pattern does not grow with the number of
functions; other function names are listed one by one, and synth fails with an error
naming ``control_plane_tampering`` if the list would pass the limit. A request may name a
function or log group by ARN: a ``wildcard`` on ``*:function:<name>`` / ``*:log-group:<name>``
takes that form. Lambda's CloudTrail event names carry the API version
(``UpdateFunctionCode20150331v2``), so they are matched by ``prefix`` too.

Cost: a rule on AWS service events is free (EventBridge charges custom and cross-account
events, not AWS management events delivered to the default bus); each match is one SNS
publish to the alarm topic, billed as SNS deliveries.

``build_tampering_rule`` takes plain inputs and returns what it created; ServiceMonitoring
calls it once at synth (``control_plane_tampering=True``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from watchkeeper.dashboard_layout import Widget
from watchkeeper.insights import validate_query

#: The option that switches the detection on and off (named in errors).
OPTION: Final = "control_plane_tampering"
DETAIL_TYPE: Final = "AWS API Call via CloudTrail"
EVENTS_PRINCIPAL: Final = "events.amazonaws.com"
#: Default EventBridge quota "Event pattern size" (characters); adjustable to 4,096.
MAX_EVENT_PATTERN_CHARS: Final = 2_048
#: A function name written as a token is counted at Lambda's longest name (64) when the
#: pattern's size is checked; a log group name at CloudWatch Logs' longest (512).
MAX_FUNCTION_NAME_CHARS: Final = 64
MAX_LOG_GROUP_NAME_CHARS: Final = 512

#: Lambda calls, matched by prefix: CloudTrail names them with their API version
#: (``UpdateFunctionCode20150331v2``, ``PutFunctionConcurrency20171031``).
LAMBDA_EVENT_PREFIXES: Final = (
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "AddPermission",
    "RemovePermission",
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
)
#: CloudWatch Logs calls that take ``logGroupName``.
LOGS_EVENTS: Final = (
    "DeleteLogGroup",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "DeleteMetricFilter",
    "DeleteSubscriptionFilter",
)
#: CloudWatch Logs calls that take ``logGroupIdentifier`` (a name or an ARN).
LOGS_IDENTIFIER_EVENTS: Final = ("DeleteDataProtectionPolicy",)
#: CloudWatch calls on alarms (``alarmNames``) and on dashboards (``dashboardNames``).
ALARM_EVENTS: Final = ("DeleteAlarms", "DisableAlarmActions")
DASHBOARD_EVENTS: Final = ("DeleteDashboards",)

LAMBDA_SOURCE: Final = "lambda.amazonaws.com"
LOGS_SOURCE: Final = "logs.amazonaws.com"
CLOUDWATCH_SOURCE: Final = "monitoring.amazonaws.com"


@dataclass(frozen=True)
class TamperingRule:
    """What ``build_tampering_rule`` created."""

    #: ``aws_events.CfnRule``.
    rule: Any
    rule_name: str
    #: The event pattern as written (tokens unresolved).
    pattern: dict[str, Any]
    #: The security dashboard's "what changed in the control plane" widgets.
    widgets: tuple[Widget, ...]
    #: Statements added to the topic's and the key's policies.
    policy_statements: tuple[Any, ...] = ()


def rule_name(service: str) -> str:
    """``<qualified name>-control-plane-changes`` (EventBridge: at most 64 characters)."""
    return f"{service}-control-plane-changes"


def _is_token(value: str) -> bool:
    return "${Token[" in value


def name_matchers(
    names: Sequence[str], prefixes: Sequence[str], arn_marker: str
) -> list[Any]:
    """EventBridge matchers for ``names``: one ``prefix`` (and its ARN ``wildcard``) per
    prefix that a literal name starts with, the other names listed (and their ARN
    wildcard). ``arn_marker`` is the part of the ARN before the name (``:function:``)."""
    used: dict[str, None] = {}
    listed: dict[str, None] = {}
    for name in names:
        prefix = None if _is_token(name) else next(
            (p for p in prefixes if name.startswith(p)), None)
        if prefix is not None:
            used.setdefault(prefix, None)
        else:
            listed.setdefault(name, None)
    matchers: list[Any] = []
    for prefix in used:
        matchers += [{"prefix": prefix}, {"wildcard": f"*{arn_marker}{_wild(prefix)}*"}]
    for name in listed:
        matchers += [name, {"wildcard": f"*{arn_marker}{_wild(name)}*"}]
    return matchers


def _wild(text: str) -> str:
    # In a wildcard pattern `*` and `\` are special; names of functions and log groups
    # never contain `*`, but escape both anyway.
    return text.replace("\\", "\\\\").replace("*", "\\*")


def event_pattern(
    *,
    function_names: Sequence[str],
    function_prefixes: Sequence[str],
    log_group_names: Sequence[str],
    log_group_prefixes: Sequence[str],
    alarm_name_prefix: str,
    dashboard_name_prefix: str | None,
) -> dict[str, Any]:
    """The rule's event pattern: one ``$or`` branch per kind of resource."""
    branches: list[dict[str, Any]] = []
    functions = name_matchers(function_names, function_prefixes, ":function:")
    if functions:
        branches.append({
            "eventSource": [LAMBDA_SOURCE],
            "eventName": [{"prefix": p} for p in LAMBDA_EVENT_PREFIXES],
            "requestParameters": {"functionName": functions},
        })
    groups = name_matchers(log_group_names, log_group_prefixes, ":log-group:")
    if groups:
        plain = [m for m in groups if not (isinstance(m, dict) and "wildcard" in m)]
        branches.append({
            "eventSource": [LOGS_SOURCE],
            "eventName": list(LOGS_EVENTS),
            "requestParameters": {"logGroupName": plain},
        })
        branches.append({
            "eventSource": [LOGS_SOURCE],
            "eventName": list(LOGS_IDENTIFIER_EVENTS),
            "requestParameters": {"logGroupIdentifier": groups},
        })
    branches.append({
        "eventSource": [CLOUDWATCH_SOURCE],
        "eventName": list(ALARM_EVENTS),
        "requestParameters": {"alarmNames": [{"prefix": alarm_name_prefix}]},
    })
    if dashboard_name_prefix is not None:
        branches.append({
            "eventSource": [CLOUDWATCH_SOURCE],
            "eventName": list(DASHBOARD_EVENTS),
            "requestParameters": {"dashboardNames": [{"prefix": dashboard_name_prefix}]},
        })
    return {"detail-type": [DETAIL_TYPE], "detail": {"$or": branches}}


_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")


def estimated_pattern_length(pattern: dict[str, Any]) -> int:
    """Characters of the deployed pattern (compact JSON), a token counted at the longest
    name it may stand for (a log group's where the pattern names log groups by token)."""
    text = json.dumps(pattern, separators=(",", ":"))
    length = len(text)
    for branch in pattern["detail"]["$or"]:
        longest = (MAX_FUNCTION_NAME_CHARS if branch["eventSource"] == [LAMBDA_SOURCE]
                   else MAX_LOG_GROUP_NAME_CHARS)
        for token in _TOKEN.findall(json.dumps(branch)):
            length += longest - len(token)
    return length


#: What the notification quotes from the event (input transformer paths).
MESSAGE_PATHS: Final = {
    "eventName": "$.detail.eventName",
    "eventSource": "$.detail.eventSource",
    "caller": "$.detail.userIdentity.arn",
    "sourceIp": "$.detail.sourceIPAddress",
    "time": "$.time",
    "account": "$.account",
    "region": "$.region",
    "function": "$.detail.requestParameters.functionName",
    "logGroup": "$.detail.requestParameters.logGroupName",
    "errorCode": "$.detail.errorCode",
    "eventId": "$.detail.eventID",
}


def message_template(service: str) -> str:
    """The notification text (an input template: a JSON string with ``<path>`` names)."""
    text = (
        f"watchkeeper {service}: control-plane change <eventName> (<eventSource>) by "
        "<caller> from <sourceIp> at <time> in account <account>, <region>. Function: "
        "<function>; log group: <logGroup>; error code (empty if the call succeeded): "
        "<errorCode>. If no deploy or runbook explains it, treat it as an incident. "
        "CloudTrail event <eventId>."
    )
    return json.dumps(text)


def build_tampering_rule(
    scope: Construct,
    *,
    service: str,
    function_names: Sequence[str],
    function_prefixes: Sequence[str],
    log_group_names: Sequence[str],
    log_group_prefixes: Sequence[str],
    alarm_name_prefix: str,
    dashboard_name_prefix: str | None,
    topic: Any,
    topic_key: Any = None,
    cloudtrail_log_group: str | None = None,
) -> TamperingRule:
    """Create the rule, its target on ``topic`` and the policy statements it needs.

    :param function_names: the service's functions (literals or tokens).
    :param function_prefixes: prefixes that literal function names may share.
    :param log_group_names: the service's log groups (literals or tokens).
    :param log_group_prefixes: prefixes that literal log group names may share.
    :param alarm_name_prefix: every alarm of the service starts with it.
    :param dashboard_name_prefix: every dashboard of the service starts with it (None: no
        dashboards).
    :param topic: the alarm topic (``aws_sns.ITopic``); a topic of this app gets a policy
        statement that lets this rule publish.
    :param topic_key: the topic's KMS key when watchkeeper created it: it gets a statement
        that lets EventBridge use it.
    :param cloudtrail_log_group: a log group CloudTrail delivers to: the dashboard widget
        then lists the changes themselves (Logs Insights) rather than the rule's counts.
    """
    pattern = event_pattern(
        function_names=function_names, function_prefixes=function_prefixes,
        log_group_names=log_group_names, log_group_prefixes=log_group_prefixes,
        alarm_name_prefix=alarm_name_prefix, dashboard_name_prefix=dashboard_name_prefix,
    )
    name = rule_name(service)
    length = estimated_pattern_length(pattern)
    if length > MAX_EVENT_PATTERN_CHARS:
        raise ValueError(
            f"{OPTION}=True: the EventBridge pattern of rule {name!r} would be about "
            f"{length:,} characters, over the default quota of {MAX_EVENT_PATTERN_CHARS:,}, "
            f"because {len(function_names)} function names share no prefix. Name the "
            f"functions '{function_prefixes[0] if function_prefixes else service}...' so one "
            f"prefix matches them all, or pass {OPTION}=False"
        )
    rule = events.CfnRule(
        scope, "ControlPlaneChanges",
        name=name,
        description=(f"watchkeeper {service}: CloudTrail management events that change or "
                     "delete the service's functions, logs, alarms or dashboards"),
        event_pattern=pattern,
        state="ENABLED",
        # A plain dict crosses to jsii like the struct class, without its Python-side checks.
        targets=[{
            "id": "SecurityRoute",
            "arn": topic.topic_arn,
            "inputTransformer": {
                "inputPathsMap": dict(MESSAGE_PATHS),
                "inputTemplate": message_template(service),
            },
        }],
    )
    cdk.Validations.of(rule).acknowledge(cdk.Acknowledgment(
        id="Serverless::Serverless-EventBusDLQ",
        reason="A delivery that fails shows as FailedInvocations on the security dashboard, "
               "and CloudTrail keeps the event itself (Event history, 90 days); a queue per "
               "service for it would be one more resource to watch.",
    ))
    statements = []
    publish = iam.PolicyStatement(
        sid="AllowControlPlaneRuleToPublish",
        principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
    )
    topic.add_to_resource_policy(publish)
    statements.append(publish)
    if topic_key is not None:
        # aws:SourceAccount, not the rule's ARN: the topic refers to the key already, and
        # the rule to the topic, so naming the rule in the key policy would be a cycle.
        use_key = iam.PolicyStatement(
            sid="AllowEventBridgeToUseTheKey",
            principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
        )
        topic_key.add_to_resource_policy(use_key)
        statements.append(use_key)
    return TamperingRule(rule, name, pattern, (changes_widget(service, name,
                                                              cloudtrail_log_group),),
                         tuple(statements))


def changes_query(cloudtrail_log_group: str, service: str) -> str:
    """Logs Insights query over CloudTrail's log group: the service's control-plane
    changes, newest first."""
    names = "|".join((*LAMBDA_EVENT_PREFIXES, *LOGS_EVENTS, *LOGS_IDENTIFIER_EVENTS,
                      *ALARM_EVENTS, *DASHBOARD_EVENTS))
    return (
        f"SOURCE '{cloudtrail_log_group}' "
        "| fields eventTime, eventSource, eventName, userIdentity.arn, sourceIPAddress, "
        "errorCode "
        f"| filter eventName like /^({names})/ "
        f"| filter @message like '{service}' "
        "| sort eventTime desc "
        "| limit 100"
    )


def changes_widget(service: str, name: str, cloudtrail_log_group: str | None) -> Widget:
    """"What changed in the control plane": the changes from CloudTrail's log group when
    one is given, else the rule's matches and deliveries."""
    title = "What changed in the control plane"
    if cloudtrail_log_group is not None:
        return Widget("log", {
            "title": f"{title} (CloudTrail)",
            "region": "${AWS::Region}",
            "view": "table",
            "query": validate_query(changes_query(cloudtrail_log_group, service),
                                    "cloudtrail_log_group").replace("${", "${!"),
        }, width=24, height=6)
    return Widget("metric", {
        "title": f"{title}: matches of rule {name}",
        "region": "${AWS::Region}",
        "view": "timeSeries",
        "period": 300,
        "metrics": [
            ["AWS/Events", "TriggeredRules", "RuleName", name, {"stat": "Sum"}],
            [".", "Invocations", ".", ".", {"stat": "Sum"}],
            [".", "FailedInvocations", ".", ".", {"stat": "Sum"}],
        ],
    }, width=24, height=6)


__all__ = [
    "OPTION",
    "TamperingRule",
    "build_tampering_rule",
    "changes_query",
    "event_pattern",
    "name_matchers",
    "rule_name",
]
