"""ServiceMonitoring's step that builds saved queries, dashboards, field indexes and
anomaly detectors, from the final list of monitored resources (run at synth).

``InsightsSettings`` holds the validated constructor options; ``build`` reads the
ServiceMonitoring's target records, alarms and log groups and creates the resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

from watchkeeper.constructs.dashboards import (
    DashboardInputs,
    FunctionRow,
    ResourceRow,
    create_dashboards,
)
from watchkeeper.constructs.fn_sub import SubWriter, escape_literal
from watchkeeper.constructs.log_group_features import (
    add_anomaly_detectors,
    apply_field_indexes,
    validate_field_indexes,
)
from watchkeeper.constructs.log_groups import grant_anomaly_detectors_use_of_key
from watchkeeper.constructs.saved_queries import create_saved_queries, validate_extra_queries
from watchkeeper.dashboard_layout import DASHBOARD_NAME_RE, Widget
from watchkeeper.queries import CATALOGUE, SavedQuery

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.service_monitoring import ServiceMonitoring

#: Longest suffix a dashboard name gets (``-operations-99``), so a prefix is checked once.
_LONGEST_SUFFIX = len("-operations-99")
SECURITY_KIND = "security"


@dataclass(frozen=True)
class InsightsSettings:
    saved_queries: bool = True
    extra_queries: tuple[SavedQuery, ...] = ()
    dashboards: bool = True
    dashboard_name_prefix: str | None = None
    operations_widgets: tuple[Widget, ...] = ()
    security_widgets: tuple[Widget, ...] = ()
    field_indexes: tuple[str, ...] = ()
    log_anomaly_detection: bool = False

    @classmethod
    def build(
        cls,
        *,
        saved_queries: bool,
        extra_queries: Sequence[SavedQuery] | None,
        dashboards: bool,
        dashboard_name_prefix: str | None,
        operations_widgets: Sequence[Widget] | None,
        security_widgets: Sequence[Widget] | None,
        field_indexes: bool | Sequence[str],
        log_anomaly_detection: bool,
    ) -> InsightsSettings:
        if dashboard_name_prefix is not None and (
            not isinstance(dashboard_name_prefix, str)
            or not DASHBOARD_NAME_RE.match(dashboard_name_prefix)
            or len(dashboard_name_prefix) > 255 - _LONGEST_SUFFIX
        ):
            raise ValueError(
                f"dashboard_name_prefix={dashboard_name_prefix!r} is not allowed: 1-"
                f"{255 - _LONGEST_SUFFIX} characters of letters, digits, '-' and '_' (dashboard "
                "names are <prefix>-operations, <prefix>-security, up to 255 characters)"
            )
        return cls(
            saved_queries=bool(saved_queries),
            extra_queries=validate_extra_queries(extra_queries, "extra_queries"),
            dashboards=bool(dashboards),
            dashboard_name_prefix=dashboard_name_prefix,
            operations_widgets=_widgets(operations_widgets, "operations_widgets"),
            security_widgets=_widgets(security_widgets, "security_widgets"),
            field_indexes=validate_field_indexes(field_indexes, "field_indexes"),
            log_anomaly_detection=bool(log_anomaly_detection),
        )


def _widgets(value: Sequence[Widget] | None, option: str) -> tuple[Widget, ...]:
    if value is None:
        return ()
    if isinstance(value, Widget) or isinstance(value, str):
        raise ValueError(f"{option} must be a list of watchkeeper.dashboard_layout.Widget")
    for widget in value:
        if not isinstance(widget, Widget):
            raise ValueError(
                f"{option} contains {widget!r}: use watchkeeper.dashboard_layout.Widget(type, "
                "properties, width, height)"
            )
    return tuple(value)


# --------------------------------------------------------------------------------------
# Reading the ServiceMonitoring
# --------------------------------------------------------------------------------------


def alarms_by_kind(mon: ServiceMonitoring) -> tuple[list[Any], list[Any]]:
    """(operational, security) alarms of ``mon.alarm_details``; the composite alarm counts
    as operational."""
    operational: list[Any] = []
    security: list[Any] = []
    for detail in mon.alarm_details:
        (security if detail.kind == SECURITY_KIND else operational).append(detail)
    return operational, security


def _alarm_arns(alarms: Iterable[Any], writer: SubWriter) -> tuple[str, ...]:
    """Alarm ARNs in Fn::Sub form, built from the alarms' literal names: no round trip to
    Node per alarm, and shorter than a GetAtt per alarm."""
    arns: list[str] = []
    for alarm in alarms:
        arn = (
            "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
            + escape_literal(alarm.name)
        )
        if arn not in arns:
            arns.append(arn)
    return tuple(arns)


def service_log_groups(mon: ServiceMonitoring, writer: SubWriter) -> list[tuple[str, Any]]:
    """(Fn::Sub form, value) of every log group the service's functions write to, without
    repeats: the service log group first, then the others sorted by name (stable across
    synths). API access logs and state machine execution logs are left out: their records
    do not follow the schema the queries read."""
    seen: dict[str, Any] = {}
    first: list[tuple[str, Any]] = []
    if mon.service_log_group is not None:
        value = mon.service_log_group.log_group_name
        first.append((writer.ref(value), value))
        seen[first[0][0]] = value
    others: dict[str, Any] = {}
    candidates = [t.log_group_name for t in mon.functions if t.log_group_name]
    for value in candidates:
        ref = writer.ref(value)
        if ref not in seen and ref not in others:
            others[ref] = value
    return first + sorted(others.items())


def dashboard_inputs(mon: ServiceMonitoring, settings: InsightsSettings) -> DashboardInputs:
    writer = SubWriter(mon)
    # (targets, the attribute that names each in its metrics' dimensions)
    named: dict[str, tuple[Sequence[Any], str]] = {
        "http_apis": (mon.http_apis, "api_id"),
        "rest_apis": (mon.rest_apis, "api_name"),
        "queues": (mon.queues, "queue_name"),
        "tables": (mon.tables, "table_name"),
        "state_machines": (mon.state_machines, "state_machine_arn"),
    }
    # Every token the dashboards name, resolved in one round trip instead of one each.
    tokens: list[Any] = [t.function_name for t in mon.functions]
    tokens += [t.log_group_name for t in mon.functions if t.log_group_name]
    if mon.service_log_group is not None:
        tokens.append(mon.service_log_group.log_group_name)
    for targets, attribute in named.values():
        tokens += [getattr(t, attribute) for t in targets]
    writer.prefetch(tokens)
    operational, security = alarms_by_kind(mon)

    def rows(kind: str) -> tuple[ResourceRow, ...]:
        targets, attribute = named[kind]
        return tuple(
            ResourceRow(escape_literal(t.label), writer.ref(getattr(t, attribute)))
            for t in sorted(targets, key=lambda t: t.key)
        )

    return DashboardInputs(
        service=mon.qualified_name,
        functions=tuple(
            FunctionRow(escape_literal(t.label), writer.ref(t.function_name), t.timeout_seconds)
            for t in sorted(mon.functions, key=lambda t: t.key)
        ),
        http_apis=rows("http_apis"),
        rest_apis=rows("rest_apis"),
        queues=rows("queues"),
        tables=rows("tables"),
        state_machines=rows("state_machines"),
        log_groups=tuple(ref for ref, _ in service_log_groups(mon, writer)),
        operational_alarm_arns=_alarm_arns(operational, writer),
        security_alarm_arns=_alarm_arns(security, writer),
        extra_operations_widgets=tuple(
            _escape_widget(w, writer) for w in settings.operations_widgets
        ),
        extra_security_widgets=tuple(_escape_widget(w, writer) for w in settings.security_widgets),
        detection_widgets=tuple(mon.security_detections.widgets),
        name_prefix=settings.dashboard_name_prefix,
        log_metrics=frozenset(
            name for filters in mon.metric_filters for name in filters.metric_names),
    )


def _escape_widget(widget: Widget, writer: SubWriter) -> Widget:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return writer.ref(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return Widget(widget.type, walk(widget.properties), widget.width, widget.height)


def build(mon: ServiceMonitoring, settings: InsightsSettings) -> dict[str, list[Any]]:
    """Create everything; returns the created resources by kind."""
    created: dict[str, list[Any]] = {
        "queries": [], "dashboards": [], "anomaly_detectors": [], "key_policy_statements": []
    }
    apply_field_indexes(mon.log_groups, settings.field_indexes)
    if settings.log_anomaly_detection:
        key = mon.log_settings.encryption_key
        created["anomaly_detectors"] = add_anomaly_detectors(
            _child(mon, "LogAnomalyDetection"),
            mon.log_groups,
            service=mon.qualified_name,
            encryption_key=key,
        )
        if created["anomaly_detectors"] and key is not None:
            created["key_policy_statements"] = grant_anomaly_detectors_use_of_key(key)
    if settings.saved_queries:
        writer = SubWriter(mon)
        groups = [value for _, value in service_log_groups(mon, writer)]
        created["queries"] = create_saved_queries(
            _child(mon, "SavedQueries"),
            service=mon.qualified_name,
            log_group_names=groups,
            queries=(*CATALOGUE, *settings.extra_queries),
        )
    if settings.dashboards:
        created["dashboards"] = create_dashboards(
            _child(mon, "Dashboards"),
            dashboard_inputs(mon, settings),
            scope_for_page=mon._dashboard_placement,
        )
    return created


def _child(scope: Construct, construct_id: str) -> Construct:
    existing = scope.node.try_find_child(construct_id)
    return existing if isinstance(existing, Construct) else Construct(scope, construct_id)


__all__ = ["InsightsSettings", "alarms_by_kind", "build", "dashboard_inputs"]
