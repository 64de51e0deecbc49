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
functions. Other function names (names of their own, or names CloudFormation generates,
which are tokens at synth and counted at Lambda's 64 characters) are listed one by one;
what does not fit in the first rule goes to further rules (``-2``, ``-3``...). Past
``MAX_RULES`` rules the names left over are not watched, and a synth warning naming
``control_plane_tampering`` says how many. A request may name a
function or log group by ARN: a ``wildcard`` on ``*:function:<name>`` / ``*:log-group:<name>``
takes that form. Lambda's CloudTrail event names carry the API version
(``UpdateFunctionCode20150331v2``), so they are matched by ``prefix`` too.

Cost: a rule on AWS service events is free (EventBridge charges custom and cross-account
events, not AWS management events delivered to the default bus); each match is one SNS
publish to the alarm topic, billed as SNS deliveries.

``build_tampering_rules`` takes plain inputs and returns what it created; ServiceMonitoring
calls it once at synth (``DetectionOptions.control_plane_tampering``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from watchkeeper.constructs.cdk_internals import is_token_string
from watchkeeper.constructs.fn_sub import SubWriter, foreign_variables
from watchkeeper.dashboard_layout import Widget
from watchkeeper.insights import validate_query

#: The option that switches the detection on and off (named in errors).
OPTION: Final = "DetectionOptions.control_plane_tampering"
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
LAMBDA_LOG_GROUP_PREFIX: Final = "/aws/lambda/"
LOGS_SOURCE: Final = "logs.amazonaws.com"
CLOUDWATCH_SOURCE: Final = "monitoring.amazonaws.com"
#: CloudTrail's ``sourceIPAddress`` (and ``userAgent``) of a call CloudFormation makes for a
#: stack operation, that is a deploy.
CLOUDFORMATION_SOURCE: Final = "cloudformation.amazonaws.com"


#: Rules one service may use when its function names share no prefix (of the default
#: quota of 300 rules per event bus and Region).
MAX_RULES: Final = 20


@dataclass(frozen=True)
class TamperingRules:
    """What ``build_tampering_rules`` created."""

    #: ``aws_events.CfnRule``s: one, or more when function names share no prefix.
    rules: tuple[Any, ...]
    rule_names: tuple[str, ...]
    #: The event patterns as written (tokens unresolved), one per rule.
    patterns: tuple[dict[str, Any], ...]
    #: The security dashboard's "what changed in the control plane" widgets.
    widgets: tuple[Widget, ...]
    #: Statements added to the topic's and the key's policies.
    policy_statements: tuple[Any, ...] = ()


#: EventBridge rule names: 1-64 characters.
MAX_RULE_NAME_CHARS: Final = 64


def rule_name(service: str, index: int = 0) -> str:
    """``<qualified name>-control-plane-changes``, then ``-2``, ``-3``... Where that would
    pass EventBridge's 64 characters (a qualified name near its 57), the first 40
    characters of the qualified name, a short hash of all of it, and ``-control-plane``."""
    name = f"{service}-control-plane-changes"
    if len(name) + len(f"-{MAX_RULES}") > MAX_RULE_NAME_CHARS:
        digest = hashlib.sha256(service.encode()).hexdigest()[:6]
        name = f"{service[:40]}-{digest}-control-plane"
    return name + (f"-{index + 1}" if index else "")


def name_matcher_units(
    names: Sequence[str], prefixes: Sequence[str], arn_marker: str
) -> list[list[Any]]:
    """EventBridge matchers for ``names``, in units that stay together: one ``prefix`` and
    its ARN ``wildcard`` per prefix that a literal name starts with, then each other name
    with its ARN wildcard. ``arn_marker`` is the part of the ARN before the name."""
    used: dict[str, None] = {}
    listed: dict[str, None] = {}
    for name in names:
        prefix = None if is_token_string(name) else next(
            (p for p in prefixes if name.startswith(p)), None)
        if prefix is not None:
            used.setdefault(prefix, None)
        else:
            listed.setdefault(name, None)
    units: list[list[Any]] = [
        [{"prefix": prefix}, {"wildcard": f"*{arn_marker}{_wild(prefix)}*"}] for prefix in used]
    units += [[name, {"wildcard": f"*{arn_marker}{_wild(name)}*"}] for name in listed]
    return units


def _wild(text: str) -> str:
    # In a wildcard pattern `*` and `\` are special; names of functions and log groups
    # never contain `*`, but escape both anyway.
    return text.replace("\\", "\\\\").replace("*", "\\*")


def _lambda_branch(matchers: list[Any]) -> dict[str, Any]:
    return {
        "eventSource": [LAMBDA_SOURCE],
        "eventName": [{"prefix": p} for p in LAMBDA_EVENT_PREFIXES],
        "requestParameters": {"functionName": matchers},
    }


def _pattern(branches: list[dict[str, Any]], include_cloudformation_changes: bool,
             ) -> dict[str, Any]:
    detail: dict[str, Any] = {"$or": branches}
    if not include_cloudformation_changes:
        # Every CloudTrail event has sourceIPAddress; CloudFormation's calls carry its name.
        detail = {"sourceIPAddress": [{"anything-but": CLOUDFORMATION_SOURCE}], **detail}
    return {"detail-type": [DETAIL_TYPE], "detail": detail}


def _logs_branches(units: list[list[Any]]) -> list[dict[str, Any]]:
    if not units:
        return []
    return [
        {
            "eventSource": [LOGS_SOURCE],
            "eventName": list(LOGS_EVENTS),
            # logGroupName is a name, never an ARN: the unit's first matcher only.
            "requestParameters": {"logGroupName": [unit[0] for unit in units]},
        },
        {
            "eventSource": [LOGS_SOURCE],
            "eventName": list(LOGS_IDENTIFIER_EVENTS),
            "requestParameters": {"logGroupIdentifier": [m for unit in units for m in unit]},
        },
    ]


def event_patterns(
    *,
    function_names: Sequence[str],
    function_prefixes: Sequence[str],
    log_group_names: Sequence[str],
    log_group_prefixes: Sequence[str],
    alarm_name_prefix: str,
    dashboard_name_prefix: str | None,
    include_cloudformation_changes: bool = False,
    limit: int = MAX_EVENT_PATTERN_CHARS,
) -> list[dict[str, Any]]:
    """The rules' event patterns, each within ``limit`` characters where it can be: the
    first with one ``$or`` branch per kind of resource; names that do not fit in it (names
    that share no prefix, or tokens) go on to further patterns of those branches alone."""
    fixed: list[dict[str, Any]] = [{
        "eventSource": [CLOUDWATCH_SOURCE],
        "eventName": list(ALARM_EVENTS),
        "requestParameters": {"alarmNames": [{"prefix": alarm_name_prefix}]},
    }]
    if dashboard_name_prefix is not None:
        fixed.append({
            "eventSource": [CLOUDWATCH_SOURCE],
            "eventName": list(DASHBOARD_EVENTS),
            "requestParameters": {"dashboardNames": [{"prefix": dashboard_name_prefix}]},
        })
    units: list[tuple[str, list[Any]]] = [
        ("functions", unit)
        for unit in name_matcher_units(function_names, function_prefixes, ":function:")
    ] + [
        ("log_groups", unit)
        for unit in name_matcher_units(log_group_names, log_group_prefixes, ":log-group:")
    ]

    def build(parts: dict[str, list[list[Any]]], with_fixed: bool) -> dict[str, Any]:
        branches = []
        if parts["functions"]:
            branches.append(_lambda_branch([m for u in parts["functions"] for m in u]))
        branches += _logs_branches(parts["log_groups"])
        return _pattern(branches + (fixed if with_fixed else []),
                        include_cloudformation_changes)

    patterns: list[dict[str, Any]] = []
    current: dict[str, list[list[Any]]] = {"functions": [], "log_groups": []}
    for kind, unit in units:
        trial = {**current, kind: [*current[kind], unit]}
        has_any = any(current.values())
        if has_any and estimated_pattern_length(build(trial, not patterns)) > limit:
            patterns.append(build(current, not patterns))
            trial = {"functions": [], "log_groups": [], kind: [unit]}
        current = trial
    if any(current.values()) or not patterns:
        patterns.append(build(current, not patterns))
    return patterns


_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")


def estimated_pattern_length(pattern: dict[str, Any]) -> int:
    """Characters of the deployed pattern (compact JSON), a token counted at the longest
    name it may stand for (a log group's where the pattern names log groups by token)."""
    text = json.dumps(pattern, separators=(",", ":"))
    length = len(text)
    for branch in pattern["detail"]["$or"]:
        text = json.dumps(branch)
        for match in _TOKEN.finditer(text):
            # A token is a function name, or the name in a /aws/lambda/<name> log group:
            # at most 64 characters; any other log group name: at most 512.
            short = (branch["eventSource"] == [LAMBDA_SOURCE]
                     or text[:match.start()].endswith(LAMBDA_LOG_GROUP_PREFIX))
            longest = MAX_FUNCTION_NAME_CHARS if short else MAX_LOG_GROUP_NAME_CHARS
            length += longest - len(match.group())
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


def build_tampering_rules(
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
    include_cloudformation_changes: bool = False,
) -> TamperingRules:
    """Create the rule(s), their target on ``topic`` and the policy statements they need.

    :param function_names: the service's functions (literals or tokens).
    :param function_prefixes: prefixes that literal function names may share.
    :param log_group_names: the service's log groups (literals or tokens).
    :param log_group_prefixes: prefixes that literal log group names may share.
    :param alarm_name_prefix: every alarm of the service starts with it.
    :param dashboard_name_prefix: every dashboard of the service starts with it (None: no
        dashboards).
    :param topic: the alarm topic (``aws_sns.ITopic``); a topic of this app gets a policy
        statement that lets these rules publish.
    :param topic_key: the topic's KMS key when watchkeeper created it: it gets a statement
        that lets EventBridge use it.
    :param cloudtrail_log_group: a log group CloudTrail delivers to: the dashboard widget
        then lists the changes themselves (Logs Insights) rather than the rules' counts.
    :param include_cloudformation_changes: also match the calls CloudFormation makes
        (deploys); by default they are left out.
    """
    patterns = event_patterns(
        function_names=function_names, function_prefixes=function_prefixes,
        log_group_names=log_group_names, log_group_prefixes=log_group_prefixes,
        alarm_name_prefix=alarm_name_prefix, dashboard_name_prefix=dashboard_name_prefix,
        include_cloudformation_changes=include_cloudformation_changes,
    )
    hint = (f"Name the functions '{function_prefixes[0] if function_prefixes else service}"
            f"...' so one prefix matches them all, or pass {OPTION}=False")
    left_out = _names_in(patterns[MAX_RULES:])
    if left_out:
        # Never a broken synth for an app that works today: the rules watch what fits,
        # and the warning says what they do not.
        cdk.Annotations.of(scope).add_warning(
            f"watchkeeper: {OPTION}: {len(function_names)} function names that share no "
            f"prefix need {len(patterns)} EventBridge rules of at most "
            f"{MAX_EVENT_PATTERN_CHARS:,} characters; watchkeeper uses at most {MAX_RULES} "
            f"per service, so changes to {left_out} functions and log groups are not "
            f"watched. {hint}"
        )
        patterns = patterns[:MAX_RULES]
    rules: list[Any] = []
    names: list[str] = []
    as_sub = _PatternAsSub(scope, patterns)
    for index, pattern in enumerate(patterns):
        name = rule_name(service, index)
        length = estimated_pattern_length(pattern)
        if length > MAX_EVENT_PATTERN_CHARS:
            raise ValueError(
                f"{OPTION}=True: the EventBridge pattern of rule {name!r} would be about "
                f"{length:,} characters, over the default quota of "
                f"{MAX_EVENT_PATTERN_CHARS:,} (one name, or the log group names, are too "
                f"long to share a rule). {hint}"
            )
        rules.append(_rule(scope, service, name, index, as_sub.pattern(pattern),
                           topic.topic_arn))
        names.append(name)
    statements = []
    # No condition: EventBridge's guide ("Using resource-based policies for Amazon
    # EventBridge", Amazon SNS permissions) says Condition blocks cannot be used in SNS topic
    # policies for EventBridge; an aws:SourceArn condition would make every delivery fail
    # (FailedInvocations) and drop the notification. aws-events-targets' SnsTopic grants the
    # same way.
    publish = iam.PolicyStatement(
        sid="AllowControlPlaneRulesToPublish",
        principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
    )
    topic.add_to_resource_policy(publish)
    statements.append(publish)
    if topic_key is not None:
        # The statement SNS documents for AWS services that publish to an encrypted topic
        # ("Enable compatibility between event sources from AWS services and encrypted
        # topics", SNS key management): no condition. Neither SNS's nor EventBridge's guide
        # says EventBridge's requests to KMS carry aws:SourceAccount or aws:SourceArn, and a
        # condition they lack would drop every notification without an error at deploy.
        use_key = iam.PolicyStatement(
            sid="AllowEventBridgeToUseTheKey",
            principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
        topic_key.add_to_resource_policy(use_key)
        statements.append(use_key)
    widget = changes_widget(service, names, cloudtrail_log_group)
    return TamperingRules(tuple(rules), tuple(names), tuple(patterns), (widget,),
                          tuple(statements))


class _PatternAsSub:
    """Writes each event pattern as one ``Fn::Sub`` string of compact JSON, a name that is a
    token (an unnamed function's, ``${FnLogicalId}``) written in placeholder form.

    ``EventPattern`` takes a string as well as an object (CloudFormation's resource schema:
    ``"type": ["string", "object"]``). As an object CDK writes it indented, a line per
    matcher, and each wildcard that holds a token as an ``Fn::Join`` of three parts; as one
    string the rule deploys the same pattern in about half the template bytes (the pattern
    of an unnamed function: about 160 bytes written out, 75 in the string). The tokens of
    all patterns are resolved in one round trip to Node."""

    def __init__(self, scope: Construct, patterns: Sequence[dict[str, Any]]) -> None:
        self._scope = scope
        self._writer = SubWriter(scope)
        self._writer.prefetch(
            value for pattern in patterns for value in _strings(pattern)
            if is_token_string(value))

    def pattern(self, pattern: dict[str, Any]) -> str | dict[str, Any]:
        """The pattern as compact JSON (as ``estimated_pattern_length`` counts it): a plain
        string when it names no token (an ``Fn::Sub`` without variables is a cfn-lint
        warning), else an ``Fn::Sub``."""
        if not any(is_token_string(value) for value in _strings(pattern)):
            return json.dumps(pattern, separators=(",", ":"))
        # A literal is escaped (``${`` -> ``${!``), a token becomes ``${X}``.
        text, variables = foreign_variables(
            self._scope, json.dumps(self._writer.refs_within(pattern), separators=(",", ":")))
        # A plain dict, not cdk.Fn.sub: no round trip to Node per pattern.
        return {"Fn::Sub": [text, variables] if variables else text}


def _strings(pattern: Any) -> list[str]:
    if isinstance(pattern, list):
        return [s for item in pattern for s in _strings(item)]
    if isinstance(pattern, dict):
        return [s for value in pattern.values() for s in _strings(value)]
    return [pattern] if isinstance(pattern, str) else []


def _names_in(patterns: Sequence[dict[str, Any]]) -> int:
    """How many function and log group names ``patterns`` list (not prefixes)."""
    count = 0
    for pattern in patterns:
        for branch in pattern["detail"]["$or"]:
            if branch["eventName"] == list(LOGS_IDENTIFIER_EVENTS):
                continue  # the same names as the logGroupName branch
            for values in branch["requestParameters"].values():
                count += sum(1 for m in values if isinstance(m, str) or is_token_string(str(m))
                             and not (isinstance(m, dict) and "wildcard" in m))
    return count


def _rule(scope: Construct, service: str, name: str, index: int,
          pattern: str | dict[str, Any], topic_arn: str) -> Any:
    rule = events.CfnRule(
        scope, "ControlPlaneChanges" + (str(index + 1) if index else ""),
        name=name,
        description=(f"watchkeeper {service}: CloudTrail management events that change or "
                     "delete the service's functions, logs, alarms or dashboards"),
        state="ENABLED",
        # A plain dict crosses to jsii like the struct class, without its Python-side checks.
        targets=[{
            "id": "SecurityRoute",
            "arn": topic_arn,
            "inputTransformer": {
                "inputPathsMap": dict(MESSAGE_PATHS),
                "inputTemplate": message_template(service),
            },
        }],
    )
    # CfnRuleProps takes an object only; CloudFormation takes the pattern as a string too.
    rule.add_property_override("EventPattern", pattern)
    cdk.Validations.of(rule).acknowledge(cdk.Acknowledgment(
        id="Serverless::Serverless-EventBusDLQ",
        reason="A delivery that fails shows as FailedInvocations on the security dashboard, "
               "and CloudTrail keeps the event itself (Event history, 90 days); a queue per "
               "service for it would be one more resource to watch.",
    ))
    return rule


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


def changes_widget(service: str, rule_names: Sequence[str],
                   cloudtrail_log_group: str | None) -> Widget:
    """"What changed in the control plane": the changes from CloudTrail's log group when
    one is given, else the rules' matches, deliveries and failed deliveries."""
    title = "What changed in the control plane"
    if cloudtrail_log_group is not None:
        return Widget("log", {
            "title": f"{title} (CloudTrail)",
            "region": "${AWS::Region}",
            "view": "table",
            "query": validate_query(changes_query(cloudtrail_log_group, service),
                                    "cloudtrail_log_group").replace("${", "${!"),
        }, width=24, height=6)
    metrics: list[list[Any]] = []
    for name in rule_names:
        first = not metrics
        metrics += [
            ["AWS/Events", "TriggeredRules", "RuleName", name, {"stat": "Sum"}]
            if first else [".", "TriggeredRules", ".", name, {"stat": "Sum"}],
            [".", "Invocations", ".", ".", {"stat": "Sum"}],
            [".", "FailedInvocations", ".", ".", {"stat": "Sum"}],
        ]
    return Widget("metric", {
        "title": f"{title}: matches of rule {rule_names[0]}"
                 + (f" and {len(rule_names) - 1} more" if len(rule_names) > 1 else ""),
        "region": "${AWS::Region}",
        "view": "timeSeries",
        "period": 300,
        "metrics": metrics,
    }, width=24, height=6)


__all__ = [
    "MAX_RULES",
    "OPTION",
    "TamperingRules",
    "build_tampering_rules",
    "changes_query",
    "event_patterns",
    "name_matcher_units",
    "rule_name",
]
