"""The operations and the security dashboard of a service.

The dashboards are described as plain data (``DashboardInputs`` -> ``Section``s of
``Widget``s), laid out and split by ``watchkeeper.dashboard_layout``, serialised with one
``json.dumps`` per dashboard and written as one ``AWS::CloudWatch::Dashboard`` whose body
is a single ``Fn::Sub`` string (``${AWS::Region}``, ``${FunctionLogicalId}``,
``${AlarmLogicalId.Arn}``; one variable, the alarm ARN prefix). No L2 widget objects are
created: synth stays fast and the template small at hundreds of functions.

Log widgets run the catalogue's query texts (``watchkeeper.queries``), rendered with
``SOURCE`` commands for the service's log groups: a saved query and its widget cannot drift.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.fn_sub import with_foreign_variables
from watchkeeper.constructs.kinds.function import DIMENSION as LAMBDA_DIMENSION
from watchkeeper.constructs.kinds.function import NAMESPACE as LAMBDA_NAMESPACE
from watchkeeper.dashboard_layout import (
    GRID_WIDTH,
    Page,
    Section,
    Widget,
    paginate,
    split_alarm_widget,
    split_log_widget,
)
from watchkeeper.insights import validate_query
from watchkeeper.queries import CATALOGUE, SavedQuery, get_query, render_for_widget

REGION = "${AWS::Region}"
#: The one ``Fn::Sub`` variable of a dashboard body: every alarm ARN in the alarm widgets
#: starts with it, instead of repeating ``arn:${AWS::Partition}:cloudwatch:...:alarm:``
#: (71 characters) once per alarm, that is three times per function.
ALARM_ARN_VARIABLE = "WatchkeeperAlarmArn"
ALARM_ARN_PREFIX = "${" + ALARM_ARN_VARIABLE + "}"
#: Period of the metric widgets, seconds.
PERIOD = 60
OPERATIONS = "operations"
SECURITY = "security"

#: Catalogue queries shown on each dashboard (name, widget width), in order.
OPERATIONS_LOG_WIDGETS: tuple[tuple[str, int], ...] = (
    ("recent-errors", 24),
    ("top-error-types", 12),
    ("timeouts", 12),
    ("slowest-invocations", 24),
)
SECURITY_LOG_WIDGETS: tuple[tuple[str, int], ...] = (
    ("latest-auth-failures", 24),
    ("top-offenders", 12),
    ("validation-failures-by-field", 12),
    ("authz-failures-by-resource", 12),
    ("auth-failures-by-source", 12),
)


@dataclass(frozen=True)
class FunctionRow:
    label: str
    #: Function name in Fn::Sub form (literal, or ``${LogicalId}``).
    name: str
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class ResourceRow:
    label: str
    #: The metric dimension value in Fn::Sub form.
    dimension_value: str
    #: Further (name, value in Fn::Sub form) dimensions of the row's metrics (a rule on a
    #: custom event bus: EventBusName).
    extra_dimensions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ResourceRows:
    """The rows of one kind of resource (``kinds.base.Panels``: namespace, dimension and
    panels of each row)."""

    panels: tuple[str, str, tuple[tuple[str, tuple[tuple[str, str, dict[str, str]], ...]], ...]]
    rows: tuple[ResourceRow, ...]


@dataclass(frozen=True)
class FindingRow:
    """A security finding on the security dashboard (``kinds.base.Finding``)."""

    check: str
    label: str
    acknowledged: bool
    #: The resource's traffic: namespace, metric, dimensions (values in Fn::Sub form).
    traffic: tuple[str, str, tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class DashboardInputs:
    """Everything the dashboards show, already in ``Fn::Sub`` form. Pure data."""

    service: str
    functions: tuple[FunctionRow, ...] = ()
    #: The other kinds' rows, in registry order (``kinds.registry.KINDS``).
    resources: tuple[ResourceRows, ...] = ()
    #: Log group names in Fn::Sub form, service log group first.
    log_groups: tuple[str, ...] = ()
    operational_alarm_arns: tuple[str, ...] = ()
    security_alarm_arns: tuple[str, ...] = ()
    extra_operations_widgets: tuple[Widget, ...] = ()
    extra_security_widgets: tuple[Widget, ...] = ()
    #: The security detections' widgets (control-plane changes, top offenders), in Fn::Sub
    #: form already.
    detection_widgets: tuple[Widget, ...] = ()
    #: How functions are drawn (``InsightsOptions.function_graphs``).
    function_graphs: str = "auto"
    #: Security findings (public function URLs), listed with their traffic.
    findings: tuple[FindingRow, ...] = ()
    name_prefix: str | None = None
    #: The log metrics the service's metric filters publish (panels are drawn only for
    #: these); None: all of them.
    log_metrics: frozenset[str] | None = None
    saved_query_names: tuple[str, ...] = field(
        default_factory=lambda: tuple(q.name for q in CATALOGUE)
    )

    @property
    def prefix(self) -> str:
        return self.name_prefix or self.service

    def published(self, metrics: Sequence[str]) -> list[str]:
        """Those of ``metrics`` that a metric filter of the service publishes."""
        return [m for m in metrics if self.log_metrics is None or m in self.log_metrics]


# --------------------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------------------


def _metric_widget(title: str, metrics: list[list[Any]], **props: Any) -> Widget:
    # No "view": a metric widget is a time series graph unless it says otherwise, and the
    # key would be written once per graph, three times per function.
    width = props.pop("width", 8)
    properties: dict[str, Any] = {
        "title": title,
        "region": REGION,
        "period": PERIOD,
        "metrics": metrics,
        **props,
    }
    return Widget("metric", properties, width=width, height=6)


def _function_section(fn: FunctionRow) -> Section:
    ns, dim = LAMBDA_NAMESPACE, LAMBDA_DIMENSION
    traffic = _metric_widget(
        f"{fn.label}: invocations, errors, error rate",
        [
            [ns, "Invocations", dim, fn.name, {"id": "i", "stat": "Sum"}],
            [".", "Errors", ".", ".", {"id": "e", "stat": "Sum"}],
            [
                {
                    "expression": "100 * e / i",
                    "label": "Error rate (%)",
                    "id": "rate",
                    "yAxis": "right",
                }
            ],
        ],
        yAxis={"right": {"min": 0, "label": "%", "showUnits": False}},
    )
    duration_props: dict[str, Any] = {"yAxis": {"left": {"min": 0}}}
    if fn.timeout_seconds:
        duration_props["annotations"] = {
            "horizontal": [{"label": "Timeout", "value": fn.timeout_seconds * 1000}]
        }
    duration = _metric_widget(
        f"{fn.label}: duration (ms) against the timeout",
        [
            [ns, "Duration", dim, fn.name, {"stat": "p50"}],
            [".", ".", ".", ".", {"stat": "p90"}],
            [".", ".", ".", ".", {"stat": "p99"}],
        ],
        **duration_props,
    )
    capacity = _metric_widget(
        f"{fn.label}: throttles, concurrency",
        [
            [ns, "Throttles", dim, fn.name, {"stat": "Sum"}],
            [".", "ConcurrentExecutions", ".", ".", {"stat": "Maximum", "yAxis": "right"}],
        ],
    )
    return Section(fn.label, (traffic, duration, capacity))


#: ``InsightsOptions.function_graphs``: how the operations dashboard draws functions.
FUNCTION_GRAPHS = ("auto", "per_function", "fleet")
#: "auto" draws a row per function up to this many functions, fleet graphs from one more:
#: at 50 functions a row each is 150 graphs to scroll through, fleet graphs are 13.
PER_FUNCTION_UP_TO = 10
#: Lines per fleet graph: beyond about 20 a legend stops being readable.
FLEET_LINES = 20


def _fleet_sections(functions: Sequence[FunctionRow]) -> list[Section]:
    """Graphs with a line per function, in balanced groups of at most ``FLEET_LINES``.

    Each group shows invocations, errors and throttles (sums) and the p90 duration as a
    share of each function's timeout, so that functions with different timeouts compare
    (functions whose timeout is unknown: p90 in ms, in a graph of their own). Then one graph
    of the account's Lambda concurrency in the region: when the claimed concurrency (reserved
    and provisioned plus the unreserved in use) reaches the account limit, on-demand
    invocations of functions without reserved concurrency are throttled, whichever service
    claimed it.
    """
    groups = -(-len(functions) // FLEET_LINES)
    size = -(-len(functions) // groups)
    sections = []
    for start in range(0, len(functions), size):
        group = functions[start:start + size]
        prefix = ("Functions" if groups == 1
                  else f"Functions {start + 1}-{start + len(group)} of {len(functions)}")
        widgets = [
            _metric_widget(f"{prefix}: {title}", _fleet_lines(metric, group), stat="Sum",
                           width=12)
            for title, metric in (("invocations", "Invocations"), ("errors", "Errors"),
                                  ("throttles", "Throttles"))
        ]
        timed = [fn for fn in group if fn.timeout_seconds]
        if timed:
            # A hidden p90 per function, then one expression each: p90 as % of its timeout.
            hidden = _fleet_lines("Duration", timed, hidden=True)
            shares: list[list[Any]] = [
                [{"expression": f"100*d{i}/{fn.timeout_seconds * 1000:g}",  # type: ignore[operator]
                  "label": fn.label, "id": f"t{i}"}]
                for i, fn in enumerate(timed)
            ]
            widgets.append(_metric_widget(
                f"{prefix}: p90 duration, % of the timeout", hidden + shares, stat="p90",
                width=12, yAxis={"left": {"min": 0, "label": "%", "showUnits": False}},
                annotations={"horizontal": [{"label": "Timeout", "value": 100}]},
            ))
        untimed = [fn for fn in group if not fn.timeout_seconds]
        if untimed:
            widgets.append(_metric_widget(
                f"{prefix}: p90 duration (ms), timeout unknown",
                _fleet_lines("Duration", untimed), stat="p90", width=12))
        sections.append(Section(prefix, tuple(widgets)))
    sections.append(Section("Lambda concurrency", (_metric_widget(
        "Lambda concurrency in this account and region (all services)",
        [[LAMBDA_NAMESPACE, "ConcurrentExecutions", {"label": "Concurrent executions"}],
         [".", "ClaimedAccountConcurrency", {"label": "Claimed (throttles at the account limit)"}]],
        stat="Maximum", width=GRID_WIDTH),)))
    return sections


def _fleet_lines(metric: str, functions: Sequence[FunctionRow], *,
                 hidden: bool = False) -> list[list[Any]]:
    """One line per function, labelled with it; after the first, CloudWatch's ``"."``
    shorthand repeats namespace, metric and dimension name. ``hidden``: ids d0, d1... for
    expressions, not drawn."""
    lines: list[list[Any]] = []
    for index, fn in enumerate(functions):
        head = [".", ".", "."] if lines else [LAMBDA_NAMESPACE, metric, LAMBDA_DIMENSION]
        options = {"id": f"d{index}", "visible": False} if hidden else {"label": fn.label}
        lines.append([*head, fn.name, options])
    return lines


def draws_fleet(functions: int, graphs: str = "auto") -> bool:
    """Whether ``functions`` functions are drawn as fleet graphs: ``fleet``, or ``auto``
    above ``PER_FUNCTION_UP_TO``; else (``per_function``) a row of graphs each."""
    return graphs == "fleet" or (graphs == "auto" and functions > PER_FUNCTION_UP_TO)


def function_sections(functions: Sequence[FunctionRow], graphs: str = "auto") -> list[Section]:
    """The functions' part of the operations dashboard (see ``draws_fleet``)."""
    if not functions:
        return []
    if draws_fleet(len(functions), graphs):
        return _fleet_sections(functions)
    return [_function_section(fn) for fn in functions]


def _resource_section(panels: ResourceRows, row: ResourceRow) -> Section:
    """A row of two half-width panels for one API, queue, table or state machine.

    Metrics after the first use CloudWatch's ``"."`` shorthand (same namespace, and the same
    metric name when it repeats, as for the percentiles of one metric).
    """
    namespace, dimension, titled = panels.panels
    more = [part for pair in row.extra_dimensions for part in pair]
    widgets = []
    for title, metrics in titled:
        lines: list[list[Any]] = []
        previous = None
        for name, stat, extra in metrics:
            options = {"stat": stat, **extra}
            if not lines:
                lines.append([namespace, name, dimension, row.dimension_value, *more, options])
            else:
                lines.append([".", "." if name == previous else name, ".", ".",
                              *("." for _ in more), options])
            previous = name
        widgets.append(_metric_widget(f"{row.label}: {title}", lines, width=12))
    return Section(row.label, tuple(widgets))


def _log_widgets(inputs: DashboardInputs, specs: Sequence[tuple[str, int]]) -> list[Widget]:
    widgets: list[Widget] = []
    if not inputs.log_groups:
        return widgets
    for name, width in specs:
        query = get_query(name)
        widgets.extend(
            split_log_widget(
                query.title,
                inputs.log_groups,
                _widget_query_renderer(query),
                view=query.widget_view,
                region=REGION,
                width=width,
            )
        )
    return widgets


def _text(markdown: str, height: int = 3) -> Widget:
    return Widget("text", {"markdown": markdown}, width=GRID_WIDTH, height=height)


def _query_ref(inputs: DashboardInputs, name: str) -> str:
    return f"`{schema.query_folder(inputs.service)}{name}`"


def operations_sections(inputs: DashboardInputs) -> tuple[list[Widget], list[Section]]:
    """(widgets repeated on every page, sections) of the operations dashboard."""
    queries = (
        f"Saved queries to run next: {_query_ref(inputs, 'recent-errors')}, "
        f"{_query_ref(inputs, 'trace-request')}, {_query_ref(inputs, 'slowest-invocations')}."
        if inputs.log_groups else "The service has no function logs, so no saved queries."
    )
    functions_guide = (
        "Functions, a line each: invocations, errors, throttles, p90 duration as a share "
        "of the timeout; the account's Lambda concurrency"
        if draws_fleet(len(inputs.functions), inputs.function_graphs) else
        "Per function: traffic and error rate, duration percentiles against the timeout, "
        "throttles and concurrency"
    )
    header = [
        _text(
            f"# {inputs.service}: operations\n"
            f"{functions_guide}; then APIs, queues, tables and state machines. {queries}",
        ),
        *split_alarm_widget("Alarms", inputs.operational_alarm_arns),
    ]
    health_metrics = inputs.published((
        schema.HealthMetric.ERRORS,
        schema.HealthMetric.TIMEOUTS,
        schema.HealthMetric.OUT_OF_MEMORY,
        schema.HealthMetric.COLD_STARTS,
    ))
    health = Section(
        "Health from logs",
        (
            _metric_widget(
                "Errors, timeouts, out-of-memory, cold starts (from the logs)",
                [
                    [schema.metric_namespace(inputs.service), metric, {"stat": "Sum"}]
                    for metric in health_metrics
                ],
                width=GRID_WIDTH,
            ),
        ) if health_metrics else (),
    )
    sections = [
        health,
        Section("Logs", tuple(_log_widgets(inputs, OPERATIONS_LOG_WIDGETS))),
        *function_sections(inputs.functions, inputs.function_graphs),
        *(_resource_section(kind, row) for kind in inputs.resources for row in kind.rows),
    ]
    if inputs.extra_operations_widgets:
        sections.append(Section("Custom", inputs.extra_operations_widgets))
    return header, sections


def security_sections(inputs: DashboardInputs) -> tuple[list[Widget], list[Section]]:
    """(widgets repeated on every page, sections) of the security dashboard."""
    q = lambda name: _query_ref(inputs, name)  # noqa: E731
    guide = _text(
        f"# {inputs.service}: security\n"
        "**How to read it.** The graphs count security events the functions log (OWASP "
        "vocabulary): a rise in authentication failures from few addresses is credential "
        "stuffing; authorisation failures from one user are probing; validation failures "
        "after a release are usually a client bug. The alarm widget shows the security alarms.\n\n"
        f"**Next:** who is it? {q('top-offenders')}. What did they do? {q('user-activity')} "
        f"(userId). Which logins failed? {q('latest-auth-failures')}, "
        f"{q('auth-failures-by-source')}. Which resources were denied? "
        f"{q('authz-failures-by-resource')}. One request end to end: {q('trace-request')} "
        "(requestId). Run them in Logs Insights or with `watchkeeper query`.",
        height=5,
    )
    header = [guide, *split_alarm_widget("Security alarms", inputs.security_alarm_arns)]
    namespace = schema.metric_namespace(inputs.service)
    metrics = Section(
        "Security metrics",
        tuple(
            _metric_widget(
                name,
                [[namespace, name, {"stat": "Sum", "label": name}]],
                period=300,
            )
            for name in _security_metrics(inputs)
        ),
    )
    sections = [
        metrics,
        Section("Security logs", tuple(_log_widgets(inputs, SECURITY_LOG_WIDGETS))),
        Section("Control plane and top offenders", inputs.detection_widgets),
        Section("Findings", _finding_widgets(inputs.findings)),
    ]
    if inputs.extra_security_widgets:
        sections.append(Section("Custom", inputs.extra_security_widgets))
    return header, sections


#: What each finding means and what to do, for the dashboard's list.
FINDING_TEXTS = {
    "public-function-url": (
        "Public function URLs (AuthType NONE): anyone can invoke the function, unsigned",
        "Unless public on purpose (a webhook that verifies its callers), switch to AWS_IAM. "
        "A rise in requests shows here first; `traffic_anomaly` alarms on it."),
}


_MAX_FINDING_ROWS = 24


def _finding_widgets(findings: Sequence[FindingRow]) -> tuple[Widget, ...]:
    """A text widget listing the findings by kind, and the traffic of those that have a
    metric (the request counts of public URLs)."""
    if not findings:
        return ()
    lines = ["## Findings"]
    for check in dict.fromkeys(f.check for f in findings):
        title, advice = FINDING_TEXTS.get(check, (check, ""))
        lines.append(f"**{title}.** {advice}")
        lines += [f"- {f.label}" + (" (acknowledged)" if f.acknowledged else "")
                  for f in findings if f.check == check]
    widgets = [_text("\n".join(lines), height=min(len(lines) + 2, _MAX_FINDING_ROWS))]
    traffic = [f for f in findings if f.traffic is not None]
    if traffic:
        lines_: list[list[Any]] = []
        for f in traffic:
            assert f.traffic is not None
            namespace, metric, dims = f.traffic
            lines_.append([namespace, metric, *(x for d in dims for x in d),
                           {"stat": "Sum", "label": f.label}])
        widgets.append(_metric_widget("Requests to public function URLs", lines_,
                                      width=GRID_WIDTH, period=300))
    return tuple(widgets)


def _security_metrics(inputs: DashboardInputs) -> list[str]:
    """The security metrics to draw: those published; else the combined count that the
    compact filters of per-function groups publish, when it is (with the full set on the
    service log group, the categories already show those events' kinds)."""
    names = inputs.published(schema.security_metric_names())
    if not names and inputs.log_metrics is not None and (
            schema.SECURITY_EVENTS_METRIC in inputs.log_metrics):
        names.append(schema.SECURITY_EVENTS_METRIC)
    return names


def plan_dashboards(inputs: DashboardInputs) -> dict[str, list[Page]]:
    """Both dashboards as pages within CloudWatch's limits, keyed 'operations'/'security'."""
    plans: dict[str, list[Page]] = {}
    alarms = {OPERATIONS: inputs.operational_alarm_arns, SECURITY: inputs.security_alarm_arns}
    for kind, build in ((OPERATIONS, operations_sections), (SECURITY, security_sections)):
        header, sections = build(inputs)
        if not alarms[kind] and not any(section.widgets for section in sections):
            # Nothing to read (e.g. the security dashboard of a service without functions,
            # whose security metrics come from function logs): no dashboard.
            continue
        plans[kind] = paginate(f"{inputs.prefix}-{kind}", sections, repeat_on_every_page=header)
    return plans


def body_json(page: Page) -> str:
    """The dashboard body string (compact JSON) for an ``Fn::Sub``."""
    return json.dumps(page.body(), separators=(",", ":"))


def _body_sub(scope: Construct, body: str) -> str:
    """The ``Fn::Sub`` of a body; with the alarm ARN prefix as a variable when it is used
    (an unused variable is a cfn-lint warning), and one for each resource of another stack
    it names."""
    variables = ({ALARM_ARN_VARIABLE: _alarm_arn_prefix()} if ALARM_ARN_PREFIX in body
                 else None)
    return with_foreign_variables(scope, body, variables)  # type: ignore[no-any-return]


@functools.cache
def _alarm_arn_prefix() -> str:
    # The pseudo parameters are the same tokens in every app: read once (a round trip each).
    return f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:"


def _widget_query_renderer(query: SavedQuery) -> Callable[[Sequence[str]], str]:
    """The query text of a log widget over ``groups``, checked by the query checker."""

    def render(groups: Sequence[str]) -> str:
        return validate_query(render_for_widget(query, groups), f"log widget {query.name!r}")

    return render


def create_dashboards(
    scope: Construct,
    inputs: DashboardInputs,
    scope_for_page: Callable[[str], Construct] | None = None,
) -> list[cloudwatch.CfnDashboard]:
    """One ``AWS::CloudWatch::Dashboard`` per page; ids stable per kind and page.

    ``scope_for_page(page_name)`` may place each page elsewhere (MonitoringStack gives
    every page a nested stack of its own, so a large service's dashboards never push a
    template past CloudFormation's 1 MB, and a page never moves between stacks).
    """
    created = []
    for kind, pages in plan_dashboards(inputs).items():
        for index, page in enumerate(pages):
            construct_id = f"{kind.capitalize()}Dashboard" + ("" if index == 0 else str(index + 1))
            page_scope = scope_for_page(page.name) if scope_for_page is not None else scope
            created.append(
                cloudwatch.CfnDashboard(
                    page_scope,
                    construct_id,
                    dashboard_name=page.name,
                    dashboard_body=_body_sub(page_scope, body_json(page)),
                )
            )
    return created


__all__ = [
    "DashboardInputs",
    "FindingRow",
    "FunctionRow",
    "ResourceRow",
    "ResourceRows",
    "SavedQuery",
    "create_dashboards",
    "operations_sections",
    "plan_dashboards",
    "security_sections",
]
