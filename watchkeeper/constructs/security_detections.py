"""ServiceMonitoring's step that adds the security detections (run at synth, after alarms):
top offenders (``contributor_insights``) and control-plane tampering
(``control_plane_tampering``).

``DetectionSettings`` holds the validated options; ``build_security_detections`` reads the
ServiceMonitoring's final targets and names, hands plain inputs to the two builders, adds
their alarms to the ServiceMonitoring's alarms, and returns what they created (the
security dashboard shows ``widgets``; the template metadata lists the rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs import contributor_insights, control_plane_tampering
from watchkeeper.constructs.fn_sub import SubWriter
from watchkeeper.constructs.log_groups import validate_log_group_name
from watchkeeper.dashboard_layout import Widget

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.service_monitoring import ServiceMonitoring

#: Template metadata key (per service) that lists the detections' rules.
METADATA_KEY = "detections"


@dataclass(frozen=True)
class DetectionSettings:
    top_offenders: bool = True
    control_plane_tampering: bool = True
    cloudtrail_log_group: str | None = None

    @classmethod
    def build(cls, *, top_offenders: bool, control_plane_tampering: bool,
              cloudtrail_log_group: str | None) -> DetectionSettings:
        for option, value in (("top_offenders", top_offenders),
                              ("control_plane_tampering", control_plane_tampering)):
            if not isinstance(value, bool):
                raise ValueError(f"{option}={value!r} must be True or False")
        if cloudtrail_log_group is not None:
            if not isinstance(cloudtrail_log_group, str) or "${Token[" in cloudtrail_log_group:
                raise ValueError(
                    f"cloudtrail_log_group={cloudtrail_log_group!r} must be the literal name of "
                    "the log group a CloudTrail trail delivers to, e.g. "
                    "'aws-cloudtrail-logs-123456789012-management'"
                )
            validate_log_group_name(cloudtrail_log_group, "cloudtrail_log_group")
        return cls(top_offenders, control_plane_tampering, cloudtrail_log_group)


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

    def as_metadata(self) -> dict[str, list[str]]:
        return {
            "insight_rules": list(self.insight_rule_names),
            "event_rules": list(self.event_rule_names),
        }


def _function_log_groups(mon: ServiceMonitoring, writer: SubWriter) -> list[str]:
    """The groups that hold the schema's records, literal where the name is known, else in
    ``Fn::Sub`` form: the service log group, then each function's group."""
    # One round trip to Node for every token, not one each.
    writer.prefetch(t.log_group_name for t in mon.functions
                    if t.log_group_name and not t.log_group_display_name)
    names: list[str] = []
    if mon._service_log_group is not None:
        names.append(mon._service_log_group_display_name)
    for target in sorted(mon.functions, key=lambda t: t.key):
        if target.log_group_display_name:
            names.append(target.log_group_display_name)
        elif target.log_group_name:
            names.append(writer.ref(target.log_group_name))
    return list(dict.fromkeys(names))


def _prefixes(*names: str) -> list[str]:
    return list(dict.fromkeys(names))


def build_security_detections(mon: ServiceMonitoring,
                              settings: DetectionSettings) -> SecurityDetections:
    created = SecurityDetections()
    qualified, service = mon.qualified_name, mon.service_name
    groups = (_function_log_groups(mon, SubWriter(mon))
              if settings.top_offenders or settings.control_plane_tampering else [])
    if settings.top_offenders:
        scope = Construct(mon, "TopOffenders")
        result = contributor_insights.build_top_offenders(
            scope,
            service=qualified,
            log_group_names=groups,
            log_group_families=_prefixes(
                schema.function_log_group_name(qualified, ""),
                f"/aws/lambda/{qualified}-", f"/aws/lambda/{service}-"),
            alarm_overrides=mon.alarm_overrides,
            topic_arn=mon._topic_arn,
            notify_ok=mon.notify_ok,
        )
        if mon._service_log_group is not None:
            for rule in result.rules:
                rule.node.add_dependency(mon._service_log_group)
        created.insight_rules = list(result.rules)
        created.insight_rule_names = list(result.rule_names)
        created.widgets += result.widgets
        mon.alarm_details.extend(result.alarms)
        mon.alarms.extend(a.cfn for a in result.alarms)
    if settings.control_plane_tampering:
        log_groups = [n for n in groups if "${" not in n]
        log_groups += [t.log_group_name for t in mon.functions
                       if t.log_group_name and not t.log_group_display_name
                       and "${Token[" in t.log_group_name]
        if mon.api_access_log_group is not None:
            log_groups.append(schema.api_access_log_group_name(qualified))
        dashboards = mon.insights_settings.dashboards
        tampering = control_plane_tampering.build_tampering_rules(
            Construct(mon, "ControlPlaneTampering"),
            service=qualified,
            function_names=[t.function_name for t in mon.functions],
            function_prefixes=_prefixes(f"{qualified}-", f"{service}-"),
            log_group_names=log_groups,
            log_group_prefixes=_prefixes(
                f"/watchkeeper/{qualified}/", f"/aws/vendedlogs/states/{qualified}-",
                f"/aws/lambda/{qualified}-", f"/aws/lambda/{service}-"),
            alarm_name_prefix=f"{qualified}-",
            dashboard_name_prefix=(
                f"{mon.insights_settings.dashboard_name_prefix or qualified}-"
                if dashboards else None),
            topic=mon.topic,
            topic_key=mon.topic_key,
            cloudtrail_log_group=settings.cloudtrail_log_group,
        )
        created.event_rules = list(tampering.rules)
        created.event_rule_names = list(tampering.rule_names)
        # A service without function logs or security alarms has no security dashboard;
        # the widget alone does not make one (its rule still notifies).
        if mon.functions or any(a.kind == "security" for a in mon.alarm_details):
            created.widgets = list(tampering.widgets) + created.widgets
    return created


__all__ = ["METADATA_KEY", "DetectionSettings", "SecurityDetections",
           "build_security_detections"]
