"""ServiceMonitoring's step that adds the security detections (run at synth, after alarms):
top offenders (``contributor_insights``) and control-plane tampering
(``control_plane_tampering``).

``DetectionOptions`` holds the validated options; ``build_security_detections`` reads the
service model's final targets and names, hands plain inputs to the two builders, adds
their alarms to the ServiceMonitoring's alarms, and returns what they created (the
security dashboard shows ``widgets``; the template metadata lists the rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs import contributor_insights, control_plane_tampering
from watchkeeper.constructs.cdk_internals import is_token_string
from watchkeeper.constructs.fn_sub import SubWriter
from watchkeeper.constructs.log_groups import validate_log_group_name
from watchkeeper.constructs.queries_and_dashboards import service_log_groups
from watchkeeper.dashboard_layout import Widget

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.model import ServiceModel

#: Template metadata key (per service) that lists the detections' rules.
METADATA_KEY = "detections"


@dataclass(frozen=True, kw_only=True)
class DetectionOptions:
    """The security detections: top offenders and control-plane tampering.

    :param top_offenders: Contributor Insights rules on the function logs that rank
        authentication and authorisation failures by source IP and by user, with their top-N
        widgets on the security dashboard and alarms on one contributor (the
        ``security.top_*`` checks of ``AlarmOptions.overrides``). Default: True ($0.50 per
        rule per month, 4 rules, plus $0.02 per million matching log events).
    :param control_plane_tampering: an EventBridge rule on CloudTrail management events that
        change or delete the service's functions, log groups, metric and subscription
        filters, alarms or dashboards, notifying the alarm topic. Needs a CloudTrail trail
        recording management events. Default: True (the rule is free; SNS deliveries).
    :param cloudtrail_log_group: the log group a CloudTrail trail delivers to: the security
        dashboard's "what changed in the control plane" widget then lists the changes
        (Logs Insights) instead of counting the rule's matches. Default: none.
    :param include_cloudformation_changes: also notify the changes CloudFormation makes, that
        is deploys of this or any stack (CloudTrail's ``sourceIPAddress``
        ``cloudformation.amazonaws.com``). Default: False: a deploy that updates N functions
        would page the security route N times, and a route that pages on every deploy gets
        muted; deploys are reviewed in the pipeline and listed in the stack's events. The
        CloudTrail widget (``cloudtrail_log_group``) lists them either way.
    """

    top_offenders: bool = True
    control_plane_tampering: bool = True
    cloudtrail_log_group: str | None = None
    include_cloudformation_changes: bool = False

    def __post_init__(self) -> None:
        for option in ("top_offenders", "control_plane_tampering",
                       "include_cloudformation_changes"):
            value = getattr(self, option)
            if not isinstance(value, bool):
                raise ValueError(f"DetectionOptions.{option}={value!r} must be True or False")
        name = self.cloudtrail_log_group
        if name is not None:
            if not isinstance(name, str) or is_token_string(name):
                raise ValueError(
                    f"DetectionOptions.cloudtrail_log_group={name!r} must be the literal name "
                    "of the log group a CloudTrail trail delivers to, e.g. "
                    "'aws-cloudtrail-logs-123456789012-management'"
                )
            validate_log_group_name(name, "DetectionOptions.cloudtrail_log_group")


@dataclass
class SecurityDetections:
    """What the detections created (empty until synth)."""

    #: ``aws_cloudwatch.CfnInsightRule``s of the top offenders.
    insight_rules: list[Any] = field(default_factory=list)
    insight_rule_names: list[str] = field(default_factory=list)
    #: ``aws_events.CfnRule``s of control-plane tampering (none: switched off).
    event_rules: list[Any] = field(default_factory=list)
    event_rule_names: list[str] = field(default_factory=list)
    #: Widgets for the security dashboard, in order.
    widgets: list[Widget] = field(default_factory=list)
    #: The top-offender alarms (``WatchkeeperAlarm``), for the service's alarm list.
    alarms: list[Any] = field(default_factory=list)

    def as_metadata(self) -> dict[str, list[str]]:
        return {
            "insight_rules": list(self.insight_rule_names),
            "event_rules": list(self.event_rule_names),
        }


def _function_log_groups(model: ServiceModel, writer: SubWriter) -> list[str]:
    """The groups that hold the schema's records (``service_log_groups``), by the literal
    name watchkeeper gave a group it created, else in ``Fn::Sub`` form."""
    literal = {t.log_group_name: t.log_group_display_name for t in model.functions
               if t.log_group_name and t.log_group_display_name}
    if model.service_log_group is not None and model.service_log_group_name:
        literal[model.service_log_group.log_group_name] = model.service_log_group_name
    return list(dict.fromkeys(
        literal.get(value, ref) for ref, value in service_log_groups(model, writer)))


def _prefixes(*names: str) -> list[str]:
    return list(dict.fromkeys(names))


def build_security_detections(
    owner: Construct,
    model: ServiceModel,
    settings: DetectionOptions,
    *,
    topic: Any,
    topic_key: Any,
    dashboards: bool,
    dashboard_name_prefix: str | None,
    has_api_access_logs: bool,
    has_security_alarms: bool,
) -> SecurityDetections:
    """Create the detections under ``owner``; the caller adds ``created.alarms`` to its own.

    :param topic: the alarm topic the tampering rule notifies; ``topic_key`` its KMS key
        when watchkeeper created it (None: the key is not watchkeeper's to change).
    :param has_api_access_logs: the service has the API access log group (watched too).
    :param has_security_alarms: a security dashboard exists even without functions.
    """
    created = SecurityDetections()
    qualified, service = model.qualified_name, model.service_name
    groups = (_function_log_groups(model, SubWriter(owner))
              if settings.top_offenders or settings.control_plane_tampering else [])
    if settings.top_offenders:
        scope = Construct(owner, "TopOffenders")
        result = contributor_insights.build_top_offenders(
            scope,
            service=qualified,
            log_group_names=groups,
            log_group_families=_prefixes(
                schema.function_log_group_name(qualified, ""),
                f"/aws/lambda/{qualified}-", f"/aws/lambda/{service}-"),
            alarm_overrides=model.alarms.overrides,
            topic_arn=model.alarms.topic_arn,
            notify_ok=model.alarms.notify_ok,
        )
        if model.service_log_group is not None:
            for rule in result.rules:
                rule.node.add_dependency(model.service_log_group)
        created.insight_rules = list(result.rules)
        created.insight_rule_names = list(result.rule_names)
        created.widgets += result.widgets
        created.alarms = list(result.alarms)
    if settings.control_plane_tampering:
        log_groups = [n for n in groups if "${" not in n]
        log_groups += [t.log_group_name for t in model.functions
                       if t.log_group_name and not t.log_group_display_name
                       and is_token_string(t.log_group_name)]
        if has_api_access_logs:
            log_groups.append(schema.api_access_log_group_name(qualified))
        tampering = control_plane_tampering.build_tampering_rules(
            Construct(owner, "ControlPlaneTampering"),
            service=qualified,
            function_names=[t.function_name for t in model.functions],
            function_prefixes=_prefixes(f"{qualified}-", f"{service}-"),
            log_group_names=log_groups,
            log_group_prefixes=_prefixes(
                f"/watchkeeper/{qualified}/", f"/aws/vendedlogs/states/{qualified}-",
                f"/aws/lambda/{qualified}-", f"/aws/lambda/{service}-"),
            alarm_name_prefix=f"{qualified}-",
            dashboard_name_prefix=(
                f"{dashboard_name_prefix or qualified}-" if dashboards else None),
            topic=topic,
            topic_key=topic_key,
            cloudtrail_log_group=settings.cloudtrail_log_group,
            include_cloudformation_changes=settings.include_cloudformation_changes,
        )
        created.event_rules = list(tampering.rules)
        created.event_rule_names = list(tampering.rule_names)
        # A service without function logs or security alarms has no security dashboard;
        # the widget alone does not make one (its rule still notifies).
        if model.functions or has_security_alarms or created.alarms:
            created.widgets = list(tampering.widgets) + created.widgets
    return created


__all__ = ["METADATA_KEY", "DetectionOptions", "SecurityDetections", "build_security_detections"]
