"""The builder of saved queries, dashboards, field indexes and anomaly detectors, from the
final model of the monitored service (run at synth).

``InsightsSettings`` holds the validated constructor options; ``build`` reads the service
model, the alarms and log groups built before it, and creates the resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

from watchkeeper.constructs.dashboards import (
    ALARM_ARN_PREFIX,
    FUNCTION_GRAPHS,
    DashboardInputs,
    FindingRow,
    FunctionRow,
    ResourceRow,
    ResourceRows,
    create_dashboards,
)
from watchkeeper.constructs.fn_sub import SubWriter, escape_literal
from watchkeeper.constructs.kinds import registry
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
    from watchkeeper.constructs.model import ServiceModel

#: Longest suffix a dashboard name gets (``-operations-99``), so a prefix is checked once.
_LONGEST_SUFFIX = len("-operations-99")
SECURITY_KIND = "security"
#: The public struct these settings are validated from (errors name its fields).
_INSIGHTS_OPTIONS = "InsightsOptions"


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
    function_graphs: str = "auto"

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
        function_graphs: str = "auto",
    ) -> InsightsSettings:
        if dashboard_name_prefix is not None and (
            not isinstance(dashboard_name_prefix, str)
            or not DASHBOARD_NAME_RE.match(dashboard_name_prefix)
            or len(dashboard_name_prefix) > 255 - _LONGEST_SUFFIX
        ):
            raise ValueError(
                f"{_INSIGHTS_OPTIONS}.dashboard_name_prefix={dashboard_name_prefix!r} is not "
                "allowed: 1-"
                f"{255 - _LONGEST_SUFFIX} characters of letters, digits, '-' and '_' (dashboard "
                "names are <prefix>-operations, <prefix>-security, up to 255 characters)"
            )
        if function_graphs not in FUNCTION_GRAPHS:
            raise ValueError(
                f"{_INSIGHTS_OPTIONS}.function_graphs={function_graphs!r} is not allowed: use "
                f"one of {', '.join(repr(g) for g in FUNCTION_GRAPHS)}"
            )
        return cls(
            saved_queries=bool(saved_queries),
            extra_queries=validate_extra_queries(
                extra_queries, f"{_INSIGHTS_OPTIONS}.extra_queries"
            ),
            dashboards=bool(dashboards),
            dashboard_name_prefix=dashboard_name_prefix,
            operations_widgets=_widgets(
                operations_widgets, f"{_INSIGHTS_OPTIONS}.operations_widgets"
            ),
            security_widgets=_widgets(security_widgets, f"{_INSIGHTS_OPTIONS}.security_widgets"),
            field_indexes=validate_field_indexes(
                field_indexes, f"{_INSIGHTS_OPTIONS}.field_indexes"
            ),
            log_anomaly_detection=bool(log_anomaly_detection),
            function_graphs=function_graphs,
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
# Reading the model
# --------------------------------------------------------------------------------------


def alarms_by_kind(alarm_details: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """(operational, security) alarms of ``alarm_details``; the composite alarm counts as
    operational."""
    operational: list[Any] = []
    security: list[Any] = []
    for detail in alarm_details:
        (security if detail.kind == SECURITY_KIND else operational).append(detail)
    return operational, security


def _alarm_arns(alarms: Iterable[Any], writer: SubWriter) -> tuple[str, ...]:
    """Alarm ARNs in Fn::Sub form, built from the alarms' literal names: no round trip to
    Node per alarm, and shorter than a GetAtt per alarm (the ARN prefix is one variable of
    the body's Fn::Sub, see ``dashboards.ALARM_ARN_PREFIX``)."""
    arns: list[str] = []
    for alarm in alarms:
        arn = ALARM_ARN_PREFIX + escape_literal(alarm.name)
        if arn not in arns:
            arns.append(arn)
    return tuple(arns)


def service_log_groups(model: ServiceModel, writer: SubWriter) -> list[tuple[str, Any]]:
    """(Fn::Sub form, value) of every log group the service's functions write to, without
    repeats: the service log group first, then the others sorted by name (stable across
    synths). API access logs and state machine execution logs are left out: their records
    do not follow the schema the queries read."""
    seen: dict[str, Any] = {}
    first: list[tuple[str, Any]] = []
    candidates = [t.log_group_name for t in model.functions if t.log_group_name]
    # One round trip to Node for every token, not one each.
    writer.prefetch([*candidates, *([model.service_log_group.log_group_name]
                                    if model.service_log_group is not None else [])])
    if model.service_log_group is not None:
        value = model.service_log_group.log_group_name
        first.append((writer.ref(value), value))
        seen[first[0][0]] = value
    others: dict[str, Any] = {}
    for value in candidates:
        ref = writer.ref(value)
        if ref not in seen and ref not in others:
            others[ref] = value
    return first + sorted(others.items())


def dashboard_inputs(scope: Construct, model: ServiceModel, settings: InsightsSettings,
                     alarm_details: Sequence[Any], log_metrics: frozenset[str],
                     detection_widgets: Sequence[Widget] = ()) -> DashboardInputs:
    writer = SubWriter(scope)
    # The kinds drawn as rows of panels (functions have a section of their own).
    paneled = [kind for kind in registry.KINDS if kind.panels is not None]
    # Every token the dashboards name, resolved in one round trip instead of one each.
    tokens: list[Any] = [t.function_name for t in model.functions]
    tokens += [t.log_group_name for t in model.functions if t.log_group_name]
    if model.service_log_group is not None:
        tokens.append(model.service_log_group.log_group_name)
    for kind in paneled:
        tokens += [getattr(t, kind.identifier) for t in model.of(kind.name)]
    findings = model.findings()
    tokens += [v for f in findings if f.traffic for _, v in f.traffic[2]]
    writer.prefetch(tokens)
    operational, security = alarms_by_kind(alarm_details)
    resources = []
    for kind in paneled:
        assert kind.panels is not None
        rows = tuple(
            ResourceRow(escape_literal(t.label), writer.ref(getattr(t, kind.identifier)),
                        tuple((n, writer.ref(v))
                              for n, v in getattr(t, "extra_dimensions", ())))
            for t in sorted(model.of(kind.name), key=lambda t: t.key)
        )
        if rows:
            resources.append(ResourceRows(kind.panels, rows))

    return DashboardInputs(
        service=model.qualified_name,
        functions=tuple(
            FunctionRow(escape_literal(t.label), writer.ref(t.function_name), t.timeout_seconds)
            for t in sorted(model.functions, key=lambda t: t.key)
        ),
        resources=tuple(resources),
        log_groups=tuple(ref for ref, _ in service_log_groups(model, writer)),
        operational_alarm_arns=_alarm_arns(operational, writer),
        security_alarm_arns=_alarm_arns(security, writer),
        extra_operations_widgets=tuple(
            _escape_widget(w, writer) for w in settings.operations_widgets
        ),
        extra_security_widgets=tuple(_escape_widget(w, writer) for w in settings.security_widgets),
        detection_widgets=tuple(detection_widgets),
        findings=tuple(
            FindingRow(f.check, escape_literal(f.label), f.acknowledged(), None if not f.traffic
                       else (f.traffic[0], f.traffic[1],
                             tuple((n, writer.ref(v)) for n, v in f.traffic[2])))
            for f in findings),
        name_prefix=settings.dashboard_name_prefix,
        log_metrics=log_metrics,
        function_graphs=settings.function_graphs,
    )


def _escape_widget(widget: Widget, writer: SubWriter) -> Widget:
    return Widget(widget.type, writer.refs_within(widget.properties), widget.width,
                  widget.height)


def build(owner: Construct, model: ServiceModel, settings: InsightsSettings, *,
          log_groups: Sequence[Any], alarm_details: Sequence[Any],
          log_metrics: frozenset[str],
          detection_widgets: Sequence[Widget] = ()) -> dict[str, list[Any]]:
    """Create everything under ``owner``; returns the created resources by kind.

    :param log_groups: every log group created or referenced (field indexes and anomaly
        detectors go on those created).
    :param alarm_details: the alarms built, for the dashboards' alarm widgets.
    :param log_metrics: the metrics the metric filters publish (panels are drawn for those).
    :param detection_widgets: the security detections' widgets (security dashboard).
    """
    created: dict[str, list[Any]] = {
        "queries": [], "dashboards": [], "anomaly_detectors": [], "key_policy_statements": []
    }
    apply_field_indexes(list(log_groups), settings.field_indexes)
    if settings.log_anomaly_detection:
        key = model.log_settings.encryption_key
        created["anomaly_detectors"] = add_anomaly_detectors(
            _child(owner, "LogAnomalyDetection"),
            list(log_groups),
            service=model.qualified_name,
            encryption_key=key,
        )
        if created["anomaly_detectors"] and key is not None:
            created["key_policy_statements"] = grant_anomaly_detectors_use_of_key(key)
    if settings.saved_queries:
        writer = SubWriter(owner)
        groups = [value for _, value in service_log_groups(model, writer)]
        created["queries"] = create_saved_queries(
            _child(owner, "SavedQueries"),
            service=model.qualified_name,
            log_group_names=groups,
            queries=(*CATALOGUE, *settings.extra_queries),
        )
    if settings.dashboards:
        created["dashboards"] = create_dashboards(
            _child(owner, "Dashboards"),
            dashboard_inputs(owner, model, settings, alarm_details, log_metrics,
                             detection_widgets),
            scope_for_page=model.placement.scope_for_dashboard,
        )
    return created


def _child(scope: Construct, construct_id: str) -> Construct:
    existing = scope.node.try_find_child(construct_id)
    return existing if isinstance(existing, Construct) else Construct(scope, construct_id)


__all__ = ["InsightsSettings", "alarms_by_kind", "build", "dashboard_inputs"]
