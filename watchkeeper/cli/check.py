"""``watchkeeper check``: static checks of a cloud assembly, for a team's own CI.

Reads every template of a synthesized cloud assembly (``cdk.out``, through
:mod:`watchkeeper.cli.assembly`: stages and nested stacks included) and checks what CloudFormation,
CloudWatch and CloudWatch Logs would refuse at deploy time, or silently mishandle:

- CloudFormation: resources, template size, outputs, parameters and mappings per template;
- alarms: name length, period x evaluation periods, datapoints, metric-math metrics and
  ``ReturnData``, actions per state, composite rules, anomaly-detection thresholds, periods;
- dashboards: name, body JSON, widgets, metrics, grid, overlap, alarm and log widgets;
- metric filters: pattern syntax (:mod:`watchkeeper.testing.filter_pattern`), dimensions,
  default values, filters per log group, namespace;
- subscription filters per log group; saved queries (:func:`watchkeeper.insights.check_query`);
  log group retention and names.

Warnings are what deploys in some accounts only: REST API stages with access or execution
logging in an app that sets no API Gateway CloudWatch Logs role (``AWS::ApiGateway::Account``)
deploy only where the account has one.

Each problem is one line ``<stack>/<logical id> (<type>): <problem>`` that states the limit
and the value found; a warning is the same line after ``warning: ``. Exit 0 when no problem
is found (warnings or not), 1 when one is, 2 when the input is not a cloud assembly.
Standard library and the project's own checkers only: no aws-cdk-lib.

Values the template leaves to deploy time (a ``Ref`` to a parameter without a default, an
import) are not judged: a check applies to what the template states.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from watchkeeper import limits, schema
from watchkeeper.cli import CommandError, add_cdk_out_argument
from watchkeeper.cli.assembly import (
    AssemblyError,
    CloudAssembly,
    Resource,
    Template,
    json_string_escape,
    load_assembly,
    one_line,
)
from watchkeeper.dashboard_layout import DASHBOARD_NAME_RE, GRID_WIDTH
from watchkeeper.insights import check_query
from watchkeeper.limits import (
    MAX_ALARMS_PER_ALARM_WIDGET,
    MAX_LOG_GROUPS_PER_QUERY,
    MAX_METRICS_PER_DASHBOARD,
    MAX_METRICS_PER_WIDGET,
    MAX_QUERY_LENGTH,
    MAX_WIDGETS_PER_DASHBOARD,
)
from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH
from watchkeeper.testing.filter_pattern import FilterPatternSyntaxError, parse_pattern

#: exit codes: problems found; the input is not a cloud assembly
PROBLEMS_EXIT_CODE: Final = 1
BAD_INPUT_EXIT_CODE: Final = 2

#: ``type`` of problems about a whole template rather than one resource
TEMPLATE_TYPE: Final = "template"

ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
COMPOSITE_ALARM_TYPE: Final = "AWS::CloudWatch::CompositeAlarm"
DASHBOARD_TYPE: Final = "AWS::CloudWatch::Dashboard"
LOG_GROUP_TYPE: Final = "AWS::Logs::LogGroup"
METRIC_FILTER_TYPE: Final = "AWS::Logs::MetricFilter"
SUBSCRIPTION_FILTER_TYPE: Final = "AWS::Logs::SubscriptionFilter"
QUERY_DEFINITION_TYPE: Final = "AWS::Logs::QueryDefinition"
REST_STAGE_TYPE: Final = "AWS::ApiGateway::Stage"
REST_DEPLOYMENT_TYPE: Final = "AWS::ApiGateway::Deployment"
API_GATEWAY_ACCOUNT_TYPE: Final = "AWS::ApiGateway::Account"
#: execution logging levels that write logs (``OFF`` writes none)
_EXECUTION_LOGGING_LEVELS: Final = ("ERROR", "INFO")

_ANOMALY_BAND: Final = re.compile(r"\bANOMALY_DETECTION_BAND\s*\(", re.IGNORECASE)
_RULE_ALARM_REFERENCE: Final = re.compile(r"\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(")
_LEADING_SOURCE: Final = re.compile(r"""\s*SOURCE\s+(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\|""")
_ACTION_PROPERTIES: Final = ("AlarmActions", "OKActions", "InsufficientDataActions")
#: Logs Insights' own query language, the one :func:`check_query` knows
_INSIGHTS_LANGUAGE: Final = "CWLI"


@dataclass(frozen=True)
class Problem:
    """One thing the deploy would refuse or mishandle."""

    #: the template's display name (``Stage/Stack``, ``Stack/NestedStack``)
    stack: str
    #: the resource's logical id; None for a problem of the whole template
    logical_id: str | None
    #: the resource's CloudFormation type, or ``template``
    type: str
    #: which check found it (stable, for filtering in CI)
    check: str
    message: str

    def line(self) -> str:
        where = self.stack if self.logical_id is None else f"{self.stack}/{self.logical_id}"
        return one_line(f"{where} ({self.type}): {self.message}")


@dataclass
class CheckResult:
    """The problems found in a cloud assembly, its warnings and what was checked."""

    problems: list[Problem]
    checked: dict[str, int]
    #: what deploys in some accounts only (same form as problems; exit code unaffected)
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [asdict(p) for p in self.problems],
            "warnings": [asdict(w) for w in self.warnings],
            "checked": dict(self.checked),
        }


# --------------------------------------------------------------------------------------
# Reading values
# --------------------------------------------------------------------------------------


def _text(template: Template, value: Any) -> str | None:
    """``value`` as the template states it: a string, or intrinsics that resolve without
    deploy-time placeholders (``<...>``); None otherwise."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    resolved = template.resolve(value)
    if isinstance(resolved, str) and "<" not in resolved:
        return resolved
    return None


def _number(template: Template, value: Any) -> int | None:
    """A whole number the template states: a literal, a numeric string or a ``Ref`` to a
    parameter's default; None when it is left to deploy time."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = (template.body.get("Parameters") or {}).get(value["Ref"])
        value = parameter.get("Default") if isinstance(parameter, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _log_group_key(template: Template, value: Any) -> str:
    # filters on the same log group name the same group, by literal name or by Ref
    resolved = template.resolve(value)
    return resolved if isinstance(resolved, str) else json.dumps(resolved, sort_keys=True)


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


class _Checker:
    """Collects the problems of one cloud assembly."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, resource: Resource, check: str, message: str) -> None:
        self.problems.append(
            Problem(
                resource.template.display_name, resource.logical_id, resource.type, check, message
            )
        )

    def template_problem(self, template: Template, check: str, message: str) -> None:
        self.problems.append(Problem(template.display_name, None, TEMPLATE_TYPE, check, message))

    # -- CloudFormation --------------------------------------------------------------------

    def check_template(self, template: Template) -> None:
        count = len(template.resources)
        if count > limits.MAX_RESOURCES_PER_TEMPLATE:
            self.template_problem(
                template,
                "cfn-resources",
                f"{count} resources; CloudFormation allows {limits.MAX_RESOURCES_PER_TEMPLATE} "
                "per template (split the stack)",
            )
        size = template.path.stat().st_size
        if size > limits.MAX_TEMPLATE_BYTES:
            self.template_problem(
                template,
                "cfn-template-size",
                f"{template.template_file} is {size:,} bytes; CloudFormation reads at most "
                f"{limits.MAX_TEMPLATE_BYTES:,} bytes from S3",
            )
        for section, limit in (
            ("Outputs", limits.MAX_OUTPUTS),
            ("Parameters", limits.MAX_PARAMETERS),
            ("Mappings", limits.MAX_MAPPINGS),
        ):
            entries = template.body.get(section)
            count = len(entries) if isinstance(entries, dict) else 0
            if count > limit:
                self.template_problem(
                    template,
                    f"cfn-{section.lower()}",
                    f"{count} {section.lower()}; CloudFormation allows {limit} per template",
                )

    # -- alarms ----------------------------------------------------------------------------

    def check_alarm(self, alarm: Resource) -> None:
        template, properties = alarm.template, alarm.properties
        self._check_alarm_name(alarm)
        self._check_actions(alarm)
        queries = [q for q in _list(properties.get("Metrics")) if isinstance(q, dict)]
        periods: list[tuple[str, Any]] = []
        if queries:
            stats = [q for q in queries if isinstance(q.get("MetricStat"), dict)]
            periods = [
                (f"Metrics[{queries.index(q)}].MetricStat.Period", q["MetricStat"].get("Period"))
                for q in stats
            ] or [(f"Metrics[{i}].Period", q.get("Period")) for i, q in enumerate(queries)]
            self._check_metric_math(alarm, queries, len(stats))
        else:
            periods = [("Period", properties.get("Period"))]
        known = []
        for prop, value in periods:
            period = _number(template, value)
            if period is None:
                continue
            known.append(period)
            if not (
                period in limits.HIGH_RESOLUTION_PERIODS_S or (period > 0 and period % 60 == 0)
            ):
                self.problem(
                    alarm,
                    "alarm-period",
                    f"{prop} is {period} s; CloudWatch allows 10, 20, 30 or a multiple of 60",
                )
        evaluation_periods = _number(template, properties.get("EvaluationPeriods"))
        if known and evaluation_periods is not None:
            period = max(known)
            if period * evaluation_periods > limits.MAX_ALARM_EVALUATION_RANGE_S:
                self.problem(
                    alarm,
                    "alarm-evaluation-range",
                    f"period {period} s x EvaluationPeriods {evaluation_periods} = "
                    f"{period * evaluation_periods:,} s; CloudWatch allows at most "
                    f"{limits.MAX_ALARM_EVALUATION_RANGE_S:,} s (1 day)",
                )
        datapoints = _number(template, properties.get("DatapointsToAlarm"))
        if datapoints is not None and evaluation_periods is not None:
            if datapoints > evaluation_periods:
                self.problem(
                    alarm,
                    "alarm-datapoints",
                    f"DatapointsToAlarm {datapoints} is more than EvaluationPeriods "
                    f"{evaluation_periods}; it must be at most EvaluationPeriods",
                )

    def _check_alarm_name(self, alarm: Resource) -> None:
        name = _text(alarm.template, alarm.properties.get("AlarmName"))
        if name is not None and len(name) > limits.MAX_ALARM_NAME_LENGTH:
            self.problem(
                alarm,
                "alarm-name",
                f"AlarmName is {len(name)} characters; CloudWatch allows "
                f"{limits.MAX_ALARM_NAME_LENGTH}",
            )

    def _check_actions(self, alarm: Resource) -> None:
        for prop in _ACTION_PROPERTIES:
            count = len(_list(alarm.properties.get(prop)))
            if count > limits.MAX_ACTIONS_PER_STATE:
                self.problem(
                    alarm,
                    "alarm-actions",
                    f"{prop} has {count} actions; CloudWatch allows "
                    f"{limits.MAX_ACTIONS_PER_STATE} per state",
                )

    def _check_metric_math(
        self, alarm: Resource, queries: list[dict[str, Any]], metric_stats: int
    ) -> None:
        if metric_stats > limits.MAX_METRICS_PER_MATH_ALARM:
            self.problem(
                alarm,
                "alarm-math-metrics",
                f"Metrics reads {metric_stats} metrics (MetricStat entries); a metric-math "
                f"alarm may read {limits.MAX_METRICS_PER_MATH_ALARM}",
            )
        # ReturnData is true when left out
        returned = [q.get("Id") for q in queries if q.get("ReturnData", True) is not False]
        expressions = [alarm.template.resolve_text(q.get("Expression", "")) for q in queries]
        if any(_ANOMALY_BAND.search(expression) for expression in expressions):
            self._check_anomaly_detection(alarm, returned)
        elif len(returned) != 1:
            self.problem(
                alarm,
                "alarm-return-data",
                f"{len(returned)} Metrics entries have ReturnData true; an alarm needs exactly "
                "one (set ReturnData false on the others)",
            )

    def _check_anomaly_detection(self, alarm: Resource, returned: list[Any]) -> None:
        # An anomaly-detection alarm returns the band and the metric it is compared with
        # (AWS's own template example leaves ReturnData out on both): the band must be one.
        band = alarm.properties.get("ThresholdMetricId")
        if band is None:
            self.problem(
                alarm,
                "alarm-anomaly-detection",
                "an ANOMALY_DETECTION_BAND alarm needs ThresholdMetricId (the band's Id)",
            )
        elif band not in returned:
            self.problem(
                alarm,
                "alarm-return-data",
                f"ThresholdMetricId {band!r} names no Metrics entry with ReturnData true; the "
                "band must be returned",
            )
        if alarm.properties.get("Threshold") is not None:
            self.problem(
                alarm,
                "alarm-anomaly-detection",
                "an ANOMALY_DETECTION_BAND alarm must not set Threshold (the band is the "
                "threshold)",
            )

    def check_composite_alarm(self, alarm: Resource) -> None:
        self._check_alarm_name(alarm)
        self._check_actions(alarm)
        rule = alarm.template.resolve_text(alarm.properties.get("AlarmRule", ""))
        if len(rule) > limits.MAX_ALARM_RULE_LENGTH:
            self.problem(
                alarm,
                "composite-rule-length",
                f"AlarmRule is {len(rule):,} characters; CloudWatch allows "
                f"{limits.MAX_ALARM_RULE_LENGTH:,}",
            )
        references = len(_RULE_ALARM_REFERENCE.findall(rule))
        if references > limits.MAX_ALARMS_PER_ALARM_RULE:
            self.problem(
                alarm,
                "composite-rule-alarms",
                f"AlarmRule references {references} alarms; CloudWatch allows "
                f"{limits.MAX_ALARMS_PER_ALARM_RULE}",
            )

    # -- dashboards ------------------------------------------------------------------------

    def check_dashboard(self, dashboard: Resource) -> None:
        template, properties = dashboard.template, dashboard.properties
        name = _text(template, properties.get("DashboardName"))
        if name is not None and not DASHBOARD_NAME_RE.match(name):
            self.problem(
                dashboard,
                "dashboard-name",
                f"DashboardName {name!r} is not 1-255 characters of A-Z, a-z, 0-9, - and _",
            )
        body = template.resolve(properties.get("DashboardBody"), escape=json_string_escape)
        try:
            parsed = json.loads(body) if isinstance(body, str) else body
        except ValueError as exc:
            self.problem(dashboard, "dashboard-body", f"DashboardBody is not valid JSON: {exc}")
            return
        widgets = parsed.get("widgets") if isinstance(parsed, dict) else None
        if not isinstance(widgets, list):
            self.problem(dashboard, "dashboard-body", "DashboardBody has no widgets list")
            return
        if len(widgets) > MAX_WIDGETS_PER_DASHBOARD:
            self.problem(
                dashboard,
                "dashboard-widgets",
                f"{len(widgets)} widgets; CloudWatch allows {MAX_WIDGETS_PER_DASHBOARD} per "
                "dashboard",
            )
        metrics = 0
        placed: list[tuple[int, int, int, int, int]] = []
        for index, widget in enumerate(widgets):
            if not isinstance(widget, dict):
                self.problem(dashboard, "dashboard-body", f"widget {index} is not an object")
                continue
            widget_properties = widget.get("properties")
            widget_properties = widget_properties if isinstance(widget_properties, dict) else {}
            metrics += self._check_widget_content(dashboard, index, widget, widget_properties)
            box = self._check_widget_box(dashboard, index, widget)
            if box is not None:
                placed.append((index, *box))
        if metrics > MAX_METRICS_PER_DASHBOARD:
            self.problem(
                dashboard,
                "dashboard-metrics",
                f"{metrics:,} metrics; CloudWatch allows {MAX_METRICS_PER_DASHBOARD:,} per "
                "dashboard",
            )
        self._check_overlaps(dashboard, placed)

    def _check_widget_content(
        self, dashboard: Resource, index: int, widget: dict[str, Any], properties: dict[str, Any]
    ) -> int:
        """Check a widget's own limits; returns the metrics it counts toward the dashboard's."""
        kind = widget.get("type")
        if kind == "metric":
            count = len(_list(properties.get("metrics")))
            if count > MAX_METRICS_PER_WIDGET:
                self.problem(
                    dashboard,
                    "widget-metrics",
                    f"widget {index} has {count} metrics; CloudWatch allows "
                    f"{MAX_METRICS_PER_WIDGET} per widget",
                )
            return count
        if kind == "alarm":
            count = len(_list(properties.get("alarms")))
            if not 1 <= count <= MAX_ALARMS_PER_ALARM_WIDGET:
                self.problem(
                    dashboard,
                    "widget-alarms",
                    f"alarm widget {index} lists {count} alarms; CloudWatch allows 1 to "
                    f"{MAX_ALARMS_PER_ALARM_WIDGET}",
                )
        elif kind == "log":
            self._check_log_widget_query(dashboard, index, properties.get("query"))
        return 0

    def _check_log_widget_query(self, dashboard: Resource, index: int, query: Any) -> None:
        if not isinstance(query, str):
            self.problem(dashboard, "widget-query", f"log widget {index} has no query")
            return
        sources, rest = 0, query
        while match := _LEADING_SOURCE.match(rest):
            sources += 1
            rest = rest[match.end() :]
        if sources > MAX_LOG_GROUPS_PER_QUERY:
            self.problem(
                dashboard,
                "widget-query-sources",
                f"log widget {index} queries {sources} log groups (SOURCE); CloudWatch allows "
                f"{MAX_LOG_GROUPS_PER_QUERY}",
            )
        for problem in check_query(rest):
            self.problem(dashboard, "widget-query", f"log widget {index} query: {problem}")

    def _check_widget_box(
        self, dashboard: Resource, index: int, widget: dict[str, Any]
    ) -> tuple[int, int, int, int] | None:
        """Check a widget's place on the grid; returns (x, y, width, height) when it has one."""
        # CloudWatch's defaults when the body leaves them out
        width = _number(dashboard.template, widget.get("width", 6))
        height = _number(dashboard.template, widget.get("height", 6))
        x, y = widget.get("x"), widget.get("y")
        problems = []
        if width is None or not 1 <= width <= GRID_WIDTH:
            problems.append(f"width {widget.get('width')} is not 1 to {GRID_WIDTH}")
        if height is None or height < 1:
            problems.append(f"height {widget.get('height')} is not at least 1")
        if x is not None and (not isinstance(x, int) or x < 0):
            problems.append(f"x {x} is negative or not a whole number")
        if y is not None and (not isinstance(y, int) or y < 0):
            problems.append(f"y {y} is negative or not a whole number")
        if not problems and isinstance(x, int) and width is not None and x + width > GRID_WIDTH:
            problems.append(f"x {x} + width {width} = {x + width} passes column {GRID_WIDTH}")
        for problem in problems:
            self.problem(
                dashboard,
                "widget-grid",
                f"widget {index} is off the {GRID_WIDTH}-column grid: {problem}",
            )
        if problems or not isinstance(x, int) or not isinstance(y, int):
            return None  # CloudWatch places a widget without x and y itself
        assert width is not None and height is not None
        return x, y, width, height

    def _check_overlaps(
        self, dashboard: Resource, placed: list[tuple[int, int, int, int, int]]
    ) -> None:
        for position, (index, x, y, width, height) in enumerate(placed):
            for other, ox, oy, owidth, oheight in placed[:position]:
                if x < ox + owidth and ox < x + width and y < oy + oheight and oy < y + height:
                    self.problem(
                        dashboard,
                        "widget-overlap",
                        f"widget {index} (x {x}, y {y}, {width}x{height}) overlaps widget "
                        f"{other} (x {ox}, y {oy}, {owidth}x{oheight})",
                    )
                    break

    # -- CloudWatch Logs -------------------------------------------------------------------

    def check_metric_filter(self, metric_filter: Resource) -> None:
        template, properties = metric_filter.template, metric_filter.properties
        pattern = _text(template, properties.get("FilterPattern"))
        if pattern is not None:
            if len(pattern) > MAX_PATTERN_LENGTH:
                self.problem(
                    metric_filter,
                    "filter-pattern-length",
                    f"FilterPattern is {len(pattern):,} characters; CloudWatch Logs allows "
                    f"{MAX_PATTERN_LENGTH:,}",
                )
            else:
                try:
                    parse_pattern(pattern)
                except FilterPatternSyntaxError as exc:
                    self.problem(metric_filter, "filter-pattern", f"FilterPattern: {exc}")
        for index, transformation in enumerate(_list(properties.get("MetricTransformations"))):
            if not isinstance(transformation, dict):
                continue
            where = f"MetricTransformations[{index}]"
            dimensions = _list(transformation.get("Dimensions"))
            if len(dimensions) > limits.MAX_METRIC_FILTER_DIMENSIONS:
                self.problem(
                    metric_filter,
                    "filter-dimensions",
                    f"{where} has {len(dimensions)} dimensions; CloudWatch Logs allows "
                    f"{limits.MAX_METRIC_FILTER_DIMENSIONS}",
                )
            if dimensions and transformation.get("DefaultValue") is not None:
                self.problem(
                    metric_filter,
                    "filter-default-value",
                    f"{where} sets DefaultValue and Dimensions; CloudWatch Logs allows a "
                    "default value only without dimensions",
                )
            namespace = _text(template, transformation.get("MetricNamespace"))
            if namespace is not None and namespace.startswith(limits.RESERVED_NAMESPACE_PREFIX):
                self.problem(
                    metric_filter,
                    "filter-namespace",
                    f"{where} MetricNamespace {namespace!r} starts with "
                    f"{limits.RESERVED_NAMESPACE_PREFIX!r}, which is reserved for AWS services",
                )

    def check_filters_per_log_group(
        self, template: Template, resource_type: str, limit: int, check: str
    ) -> None:
        by_log_group: dict[str, list[Resource]] = defaultdict(list)
        for resource in template.resources_of_type(resource_type):
            key = _log_group_key(template, resource.properties.get("LogGroupName"))
            by_log_group[key].append(resource)
        kind = "metric" if resource_type == METRIC_FILTER_TYPE else "subscription"
        for log_group, filters in by_log_group.items():
            if len(filters) > limit:
                self.problem(
                    filters[limit],
                    check,
                    f"log group {log_group} has {len(filters)} {kind} filters; CloudWatch Logs "
                    f"allows {limit} per log group",
                )

    def check_query_definition(self, query: Resource) -> None:
        template, properties = query.template, query.properties
        name = template.resolve_text(properties.get("Name", ""))
        if not 1 <= len(name) <= limits.MAX_QUERY_DEFINITION_NAME_LENGTH:
            self.problem(
                query,
                "query-name",
                f"Name is {len(name)} characters; CloudWatch Logs allows 1 to "
                f"{limits.MAX_QUERY_DEFINITION_NAME_LENGTH}",
            )
        log_groups = len(_list(properties.get("LogGroupNames")))
        if log_groups > MAX_LOG_GROUPS_PER_QUERY:
            self.problem(
                query,
                "query-log-groups",
                f"LogGroupNames has {log_groups} log groups; CloudWatch Logs allows "
                f"{MAX_LOG_GROUPS_PER_QUERY}",
            )
        text = template.resolve_text(properties.get("QueryString", ""))
        if len(text) > MAX_QUERY_LENGTH:
            self.problem(
                query,
                "query-length",
                f"QueryString is {len(text):,} characters; CloudWatch Logs allows "
                f"{MAX_QUERY_LENGTH:,}",
            )
        elif properties.get("QueryLanguage", _INSIGHTS_LANGUAGE) == _INSIGHTS_LANGUAGE:
            for problem in check_query(text):
                self.problem(query, "query-syntax", f"QueryString: {problem}")

    def check_log_group(self, log_group: Resource) -> None:
        template, properties = log_group.template, log_group.properties
        retention = properties.get("RetentionInDays")
        days = _number(template, retention)
        if retention is not None and days is not None and days not in limits.ALLOWED_RETENTION_DAYS:
            self.problem(
                log_group,
                "log-group-retention",
                f"RetentionInDays {days} is not one CloudWatch Logs accepts: "
                + ", ".join(str(d) for d in limits.ALLOWED_RETENTION_DAYS),
            )
        name = _text(template, properties.get("LogGroupName"))
        if name is not None and (
            not limits.LOG_GROUP_NAME_RE.match(name)
            or name.startswith(limits.RESERVED_LOG_GROUP_PREFIX)
        ):
            self.problem(
                log_group,
                "log-group-name",
                f"LogGroupName {name!r} is not 1-512 characters of A-Z, a-z, 0-9 and . - _ / # "
                f"not starting with {limits.RESERVED_LOG_GROUP_PREFIX!r}",
            )


def _rest_logging(resource: Resource) -> str | None:
    """What REST API logging a stage (or a deployment's stage) switches on, or None."""
    properties: Any = resource.properties
    if resource.type == REST_DEPLOYMENT_TYPE:
        properties = properties.get("StageDescription")
    if not isinstance(properties, dict):
        return None
    kinds = []
    if properties.get("AccessLogSetting"):
        kinds.append("access logs")
    settings = [properties] + [m for m in _list(properties.get("MethodSettings"))
                               if isinstance(m, dict)]
    if any(
        m.get("LoggingLevel") in _EXECUTION_LOGGING_LEVELS or m.get("DataTraceEnabled") is True
        for m in settings
    ):
        kinds.append("execution logging")
    return " and ".join(kinds) or None


def check_rest_api_logging_role(templates: list[Template]) -> list[Problem]:
    """Warnings for REST API stages that log in an app without an ``AWS::ApiGateway::Account``:
    API Gateway refuses them where the account has no CloudWatch Logs role ("CloudWatch
    Logs role ARN must be set in account settings to enable logging")."""
    if any(next(t.resources_of_type(API_GATEWAY_ACCOUNT_TYPE), None) for t in templates):
        return []
    warnings = []
    for template in templates:
        for resource in _resources(template):
            if resource.type not in (REST_STAGE_TYPE, REST_DEPLOYMENT_TYPE):
                continue
            logging = _rest_logging(resource)
            if logging is not None:
                warnings.append(
                    Problem(
                        template.display_name,
                        resource.logical_id,
                        resource.type,
                        "rest-api-logging-role",
                        f"REST API logging ({logging}) needs the account's API Gateway "
                        "CloudWatch Logs role, and the app sets none (no "
                        "AWS::ApiGateway::Account): the deploy fails in an account without it. "
                        f"Fix: {schema.REST_API_CLOUDWATCH_ROLE_FIX}",
                    )
                )
    return warnings


_RESOURCE_CHECKS: Final[dict[str, Callable[[_Checker, Resource], None]]] = {
    ALARM_TYPE: _Checker.check_alarm,
    COMPOSITE_ALARM_TYPE: _Checker.check_composite_alarm,
    DASHBOARD_TYPE: _Checker.check_dashboard,
    METRIC_FILTER_TYPE: _Checker.check_metric_filter,
    QUERY_DEFINITION_TYPE: _Checker.check_query_definition,
    LOG_GROUP_TYPE: _Checker.check_log_group,
}


def check_assembly(assembly: CloudAssembly) -> CheckResult:
    """Every problem in every template of ``assembly``, in template and resource order."""
    checker = _Checker()
    checked = {"templates": 0, "resources": 0, **dict.fromkeys(_RESOURCE_CHECKS, 0)}
    checked[SUBSCRIPTION_FILTER_TYPE] = 0
    templates = list(assembly.all_templates())
    for template in templates:
        checked["templates"] += 1
        checked["resources"] += len(template.resources)
        checker.check_template(template)
        for resource in _resources(template):
            if resource.type in checked:
                checked[resource.type] += 1
            check = _RESOURCE_CHECKS.get(resource.type)
            if check is not None:
                check(checker, resource)
        checker.check_filters_per_log_group(
            template,
            METRIC_FILTER_TYPE,
            limits.MAX_METRIC_FILTERS_PER_LOG_GROUP,
            "filters-per-log-group",
        )
        checker.check_filters_per_log_group(
            template,
            SUBSCRIPTION_FILTER_TYPE,
            limits.MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP,
            "subscription-filters-per-log-group",
        )
    return CheckResult(checker.problems, checked, check_rest_api_logging_role(templates))


def _resources(template: Template) -> Iterator[Resource]:
    for logical_id, resource in template.resources.items():
        yield Resource(template, logical_id, resource["Type"], resource.get("Properties", {}))


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add ``watchkeeper check`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "check",
        help="check a cloud assembly against CloudFormation and CloudWatch limits",
        description=(
            "Check every template of a synthesized cloud assembly against CloudFormation, "
            "CloudWatch and CloudWatch Logs limits, metric filter pattern syntax and Logs "
            "Insights query syntax. Prints one line per problem and exits 1 when there are "
            "any, 0 when there are none, 2 when the directory is not a cloud assembly."
        ),
    )
    add_cdk_out_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"problems": [...], "checked": {...}} instead of lines',
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = check_assembly(load_assembly(args.cdk_out))
    except AssemblyError as exc:
        raise CommandError(str(exc), BAD_INPUT_EXIT_CODE) from None
    checked = (
        f"{_plural(result.checked['templates'], 'template')}, "
        f"{_plural(result.checked['resources'], 'resource')} checked"
    )
    if args.json:
        json.dump(result.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in result.problems:
            print(problem.line())
        for warning in result.warnings:
            print(f"warning: {warning.line()}")
        if result.warnings:
            checked += f", {_plural(len(result.warnings), 'warning')}"
        if result.problems:
            print(f"{_plural(len(result.problems), 'problem')} found ({checked})")
        else:
            print(f"OK: {checked}")
    return PROBLEMS_EXIT_CODE if result.problems else 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
