"""Top offenders: Contributor Insights rules on a service's function logs.

The security metrics count authentication and authorisation failures for the whole
service. One address trying passwords, or one user probing for resources, hides in that
count once traffic is high. Contributor Insights ranks the contributors of matching log
events: four rules, for authentication and for authorisation failures, keyed by source IP
and by user, each with a top-N widget on the security dashboard and an alarm on its top
contributor (``INSIGHT_RULE_METRIC(rule, "MaxContributorValue")``).

The rules read exactly what the metric filters read: the event names counted by
``schema.SecurityMetric.AUTHN_FAILURES`` / ``AUTHZ_FAILURES`` (``schema.event_name_globs``)
in the ``event`` field, keyed by ``schema.Field.SOURCE_IP`` / ``USER_ID``. The tests prove
it on the log corpus with ``watchkeeper.testing.contributor_insights``.

Limits (CloudWatch, "Contributor Insights rule syntax"; ``PutInsightRule``): a rule body of
at most 8,192 ASCII characters, a rule name of 1-128 printable characters, 4 keys,
4 filters, 10 values per filter. Price: $0.50 per rule per month and $0.02 per million log
events that match a rule (``watchkeeper.pricing``).

``build_top_offenders`` takes plain inputs and returns what it created; ServiceMonitoring
calls it once at synth (``DetectionOptions.top_offenders``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, WatchkeeperAlarm, render
from watchkeeper.constructs.alarms.security_alarms import SECURITY_KEY
from watchkeeper.constructs.alarms.service_checks import SECURITY_CHECKS
from watchkeeper.constructs.alarms.settings import resolve
from watchkeeper.constructs.fn_sub import escape_literal, with_foreign_variables
from watchkeeper.dashboard_layout import Widget

#: PutInsightRule: RuleDefinition is 1-8,192 characters of ASCII.
MAX_RULE_BODY_CHARS: Final = 8_192
#: PutInsightRule: RuleName is 1-128 printable ASCII characters.
MAX_RULE_NAME_CHARS: Final = 128
#: Rule syntax: at most 10 strings in one In / NotIn / StartsWith filter.
MAX_FILTER_VALUES: Final = 10
#: A log group name written as a placeholder (``${LogicalId}``) is counted at the longest
#: name CloudWatch Logs allows when the body's size is checked; a placeholder after
#: ``/aws/lambda/`` stands for a function name, at most 64 characters.
MAX_LOG_GROUP_NAME_CHARS: Final = 512
MAX_FUNCTION_NAME_CHARS: Final = 64
LAMBDA_LOG_GROUP_PREFIX: Final = "/aws/lambda/"
#: Contributors a top-N widget lists.
TOP_CONTRIBUTORS: Final = 10
#: Period of the widgets, seconds (the alarms take theirs from their check).
WIDGET_PERIOD: Final = 300
#: The option that switches the detection on and off (named in errors).
OPTION: Final = "DetectionOptions.top_offenders"


@dataclass(frozen=True)
class TopOffenderRule:
    """One rule: the failures a security metric counts, by one field of the schema."""

    #: Rule name suffix (``<qualified name>-<suffix>``).
    suffix: str
    #: The security metric whose events the rule counts.
    metric: str
    #: The field that identifies a contributor.
    key_field: str
    #: The alarm check on the rule's top contributor (``security.<check>``).
    check: str
    #: Whether that alarm is created unless ``alarm_overrides`` says otherwise.
    alarm_by_default: bool
    title: str


RULES: Final = (
    TopOffenderRule("authn-failures-by-source-ip", schema.SecurityMetric.AUTHN_FAILURES,
                    schema.Field.SOURCE_IP, "top_authn_failure_source", True,
                    "Top source IPs: authentication failures"),
    TopOffenderRule("authn-failures-by-user", schema.SecurityMetric.AUTHN_FAILURES,
                    schema.Field.USER_ID, "top_authn_failure_user", True,
                    "Top users: authentication failures"),
    TopOffenderRule("authz-failures-by-source-ip", schema.SecurityMetric.AUTHZ_FAILURES,
                    schema.Field.SOURCE_IP, "top_authz_failure_source", False,
                    "Top source IPs: authorisation failures"),
    TopOffenderRule("authz-failures-by-user", schema.SecurityMetric.AUTHZ_FAILURES,
                    schema.Field.USER_ID, "top_authz_failure_user", False,
                    "Top users: authorisation failures"),
)
_SECURITY_CHECKS_BY_NAME: Final = {check.name: check for check in SECURITY_CHECKS}


def fitting_log_groups(groups: Sequence[str]) -> list[str]:
    """The longest head of ``groups`` whose rule bodies all stay within CloudWatch's limit
    (the longest body is the one with the most event prefixes)."""
    widest = max(RULES, key=lambda r: len(json.dumps(rule_body(r, []))))
    fitting: list[str] = []
    for group in groups:
        body = json.dumps(rule_body(widest, [*fitting, group]), separators=(",", ":"))
        if _estimated_length(body) > MAX_RULE_BODY_CHARS:
            break
        fitting.append(group)
    return fitting


@dataclass(frozen=True)
class TopOffenders:
    """What ``build_top_offenders`` created."""

    #: ``aws_cloudwatch.CfnInsightRule``, one per ``RULES`` entry.
    rules: tuple[Any, ...]
    #: The alarms on the rules' top contributors (security alarms, routed directly).
    alarms: tuple[WatchkeeperAlarm, ...]
    #: Top-N widgets for the security dashboard, one per rule.
    widgets: tuple[Widget, ...]
    #: The rule names, in ``RULES`` order.
    rule_names: tuple[str, ...]
    #: Log groups left out because the rules would pass 8,192 characters (warned about).
    left_out: tuple[str, ...] = ()


def rule_name(service: str, rule: TopOffenderRule) -> str:
    """``<qualified name>-<suffix>``, e.g. ``orders-prod-authn-failures-by-source-ip``."""
    return f"{service}-{rule.suffix}"


def _selector(field: str) -> str:
    return f"$.{field}"


def event_prefixes(metric: str) -> list[str]:
    """The ``event`` prefixes that select exactly the events ``metric`` counts."""
    prefixes = [glob.removesuffix("*") for glob in schema.event_name_globs(metric)]
    if len(prefixes) > MAX_FILTER_VALUES:  # pragma: no cover - guards the vocabulary
        raise AssertionError(f"{metric} needs {len(prefixes)} StartsWith values")
    return prefixes


def collapse_log_group_names(names: Sequence[str], families: Sequence[str]) -> list[str]:
    """``names`` with every literal name under one of ``families`` (prefixes) replaced by
    ``<family>*`` (the rule syntax's trailing wildcard), keeping the order of first use."""
    out: dict[str, None] = {}
    for name in names:
        family = next((f for f in families if "${" not in name and name.startswith(f)), None)
        out.setdefault(f"{family}*" if family is not None else name, None)
    return list(out)


def rule_body(rule: TopOffenderRule, log_group_names: Sequence[str]) -> dict[str, Any]:
    """The rule definition (before JSON encoding)."""
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": list(log_group_names),
        "LogFormat": "JSON",
        "Contribution": {
            "Keys": [_selector(rule.key_field)],
            "Filters": [
                {"Match": _selector(schema.Field.EVENT),
                 "StartsWith": event_prefixes(rule.metric)},
                # Explicit: an event without the key names no contributor.
                {"Match": _selector(rule.key_field), "IsPresent": True},
            ],
        },
        "AggregateOn": "Count",
    }


def _estimated_length(body_text: str) -> int:
    """Length of the deployed body: a ``${X}`` placeholder counts as the longest name."""
    length, rest = 0, body_text
    while "${" in rest:
        before, _, after = rest.partition("${")
        if after.startswith("!"):  # an escaped literal ``${!``: deploys as ``${``
            length += len(before) + 2
            rest = after[1:]
            continue
        _, _, rest = after.partition("}")
        longest = (MAX_FUNCTION_NAME_CHARS if before.endswith(LAMBDA_LOG_GROUP_PREFIX)
                   else MAX_LOG_GROUP_NAME_CHARS)
        length += len(before) + longest
    return length + len(rest)


def insight_widget(title: str, name: str) -> Widget:
    """A top-N widget of a Contributor Insights rule (``insightRule`` of a metric widget)."""
    return Widget("metric", {
        "title": title,
        "region": "${AWS::Region}",
        "view": "timeSeries",
        "stacked": False,
        "period": WIDGET_PERIOD,
        "insightRule": {
            "maxContributorCount": TOP_CONTRIBUTORS,
            "orderBy": "Sum",
            "ruleName": escape_literal(name),
        },
        "legend": {"position": "right"},
    }, width=12, height=6)


def build_top_offenders(
    scope: Construct,
    *,
    service: str,
    log_group_names: Sequence[str],
    log_group_families: Sequence[str] = (),
    alarm_overrides: Mapping[str, Any],
    topic_arn: str,
    notify_ok: bool,
) -> TopOffenders:
    """Create the rules, their alarms and widgets.

    :param scope: where the rules and alarms go (a construct of their own).
    :param service: the qualified name every name is built from.
    :param log_group_names: the log groups that hold the schema's records, in ``Fn::Sub``
        form (literals, or ``${LogicalId}`` for a group whose name is a token).
    :param log_group_families: literal prefixes under which names collapse into one
        ``<prefix>*`` entry (per-function groups under the service's folder).
    :param alarm_overrides: ServiceMonitoring's validated ``alarm_overrides``.
    :param topic_arn: where the alarms notify (security alarms notify directly).
    :param notify_ok: also notify when an alarm returns to OK.
    """
    if not log_group_names:
        return TopOffenders((), (), (), ())
    groups = collapse_log_group_names(log_group_names, log_group_families)
    fitting = fitting_log_groups(groups)
    if not fitting:  # pragma: no cover - one name of at most 512 characters always fits
        raise ValueError(f"{OPTION}=True: log group {groups[0]!r} does not fit in a rule")
    left_out = tuple(groups[len(fitting):])
    groups = fitting
    rules: list[Any] = []
    alarms: list[WatchkeeperAlarm] = []
    widgets: list[Widget] = []
    names: list[str] = []
    for rule in RULES:
        name = rule_name(service, rule)
        if len(name) > MAX_RULE_NAME_CHARS:  # pragma: no cover - qualified names are short
            raise ValueError(f"{OPTION}: rule name {name!r} is over {MAX_RULE_NAME_CHARS}")
        body = json.dumps(rule_body(rule, groups), separators=(",", ":"))
        rules.append(cloudwatch.CfnInsightRule(
            scope, f"Rule-{rule.suffix}", rule_name=name, rule_state="ENABLED",
            rule_body=with_foreign_variables(scope, body) if "${" in body else body,
        ))
        names.append(name)
        widgets.append(insight_widget(rule.title, name))
        check = _SECURITY_CHECKS_BY_NAME[rule.check]
        option = f"alarm_overrides[{check.key!r}]"
        layer = alarm_overrides.get(check.key)
        settings = resolve(check, (layer,) if layer is not None else (), option)
        if not (rule.alarm_by_default if settings.enabled is None else settings.enabled):
            continue
        plan = AlarmPlan(
            settings=settings, resource_key=SECURITY_KEY, label=f"service {service}",
            service=service,
            expression=f"INSIGHT_RULE_METRIC('{name}', 'MaxContributorValue')",
            threshold_note=f"(one {rule.key_field}; rule {name})",
        )
        cfn = render(scope, plan, alarm_actions=[topic_arn],
                     ok_actions=[topic_arn] if notify_ok else [])
        # The alarm reads the rule by name: create it after the rule.
        cfn.node.add_dependency(rules[-1])
        alarms.append(WatchkeeperAlarm(
            cfn=cfn, name=plan.name, kind=plan.check.category, resource_key=SECURITY_KEY,
            check=plan.check.key, severity=settings.severity, routing=plan.routing,
        ))
    if left_out:
        cdk.Annotations.of(scope).add_warning(
            f"watchkeeper: {OPTION}: the Contributor Insights rules read {len(groups)} of "
            f"{len(groups) + len(left_out)} log groups (CloudWatch limits a rule to "
            f"{MAX_RULE_BODY_CHARS:,} characters); failures logged to the other "
            f"{len(left_out)} are counted by the metrics but not ranked. Move those "
            "functions into the service log group (move_cdk_managed_log_groups=True for "
            f"CDK-managed groups), or pass {OPTION}=False"
        )
    return TopOffenders(tuple(rules), tuple(alarms), tuple(widgets), tuple(names), left_out)


__all__ = [
    "RULES",
    "TopOffenderRule",
    "TopOffenders",
    "build_top_offenders",
    "collapse_log_group_names",
    "event_prefixes",
    "rule_body",
    "rule_name",
]
