"""Alarm plans as plain Python data, and the one L1 call that turns a plan into an alarm.

Why L1 and plain data: most synth time is spent in jsii round trips to Node. An L2
``Metric`` + ``Alarm`` costs dozens of round trips per alarm (metric objects, math
expressions, identity checks, ``Stack.of`` lookups); a plan built in Python and handed to
``aws_cloudwatch.CfnAlarm`` in one constructor call costs one (its nested properties are
plain dicts). At 50 functions that is the difference the benchmark measures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.alarms.settings import SECURITY, Check, Resolved
from watchkeeper.limits import MAX_ALARM_NAME_LENGTH as MAX_ALARM_NAME
from watchkeeper.limits import MAX_METRICS_PER_MATH_ALARM as MAX_MATH_METRICS

#: Where an alarm's notification goes: straight to the topic, or only through the
#: service-health composite (see composite.py for the policy).
DIRECT = "direct"
VIA_COMPOSITE = "composite"


@dataclass(frozen=True)
class MetricRef:
    """One CloudWatch metric: namespace, name, dimensions (values may be tokens)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()


@dataclass
class AlarmPlan:
    """Everything about one alarm except the CDK object. Built by the per-kind modules."""

    settings: Resolved
    resource_key: str
    label: str
    service: str
    #: The metric of a single-metric alarm (also ``m1`` of anomaly alarms).
    metric: MetricRef | None = None
    #: Metric math: expression over ``math_metrics`` (ids m1, m2, ...), one statistic.
    expression: str | None = None
    math_metrics: tuple[MetricRef, ...] = ()
    #: Effective threshold (a default computed from the resource, or the override).
    threshold: float | None = None
    #: Why the threshold, after it in the description, e.g. "ms (80% of the 30s timeout)".
    threshold_note: str = ""
    #: The resource part of the alarm name, when shorter than the key (see build.py).
    name_key: str | None = None

    @property
    def check(self) -> Check:
        return self.settings.check

    @property
    def name(self) -> str:
        key = self.name_key or self.resource_key
        return f"{self.service}-{key}-{self.check.name.replace('_', '-')}"

    @property
    def routing(self) -> str:
        if self.check.category == SECURITY or self.settings.severity != "critical":
            return DIRECT
        return VIA_COMPOSITE

    def description(self) -> str:
        """What fired, why the threshold is what it is (when watchkeeper chose it from the
        resource), and the saved query to run first.

        The rule itself (statistic, comparison, threshold, window) is not repeated: it is
        the alarm's own configuration, which the console and every notification show. Alarms
        are per resource, so each word here counts once per function in the template.
        """
        c = self.check
        words = f"{self.label}: {c.title}"
        if self.threshold_note:
            threshold = self.threshold if self.threshold is not None else self.settings.threshold
            words += f", threshold {threshold:.12g} {self.threshold_note}"
        query = schema.saved_query_name(self.service, c.query)
        return f"{words}. First run saved query {query}."


@dataclass
class WatchkeeperAlarm:
    """An alarm watchkeeper created, with what dashboards and queries need to know."""

    #: ``aws_cloudwatch.CfnAlarm`` or ``CfnCompositeAlarm``.
    cfn: Any
    #: Alarm name (literal).
    name: str
    #: ``security``, ``operational`` or ``composite``.
    kind: str
    #: The monitored resource's key (``service`` / ``security`` for service-wide alarms).
    resource_key: str
    #: ``<kind>.<check>``, e.g. ``function.errors``; ``service.health`` for the composite.
    check: str
    #: ``critical`` or ``warning``.
    severity: str
    #: ``direct`` (has the topic as action) or ``composite`` (notifies through it).
    routing: str = DIRECT
    children: list[str] = field(default_factory=list)


# Nested properties are plain dicts in jsii's camelCase rather than CfnAlarm's struct
# classes: each struct instance is type-checked on the Python side when it is built, and a
# metric-math alarm has nine of them; the dicts cross the bridge the same way.


def _dims(metric: MetricRef) -> list[dict[str, str]] | None:
    if not metric.dimensions:
        return None
    return [{"name": n, "value": v} for n, v in metric.dimensions]


def _stat_query(qid: str, metric: MetricRef, stat: str, period: int, returns: bool
                ) -> dict[str, Any]:
    described: dict[str, Any] = {"namespace": metric.namespace, "metricName": metric.name}
    dims = _dims(metric)
    if dims:
        described["dimensions"] = dims
    return {
        "id": qid,
        "metricStat": {"metric": described, "period": period, "stat": stat},
        "returnData": returns,
    }


def render(
    scope: Construct,
    plan: AlarmPlan,
    *,
    alarm_actions: list[str],
    ok_actions: list[str],
) -> cloudwatch.CfnAlarm:
    """Create the alarm of ``plan`` with one L1 call."""
    s = plan.settings
    check = plan.check
    name = plan.name
    if len(name) > MAX_ALARM_NAME:
        raise ValueError(f"alarm name {name!r} is longer than {MAX_ALARM_NAME} characters")
    props: dict[str, Any] = {
        "alarm_name": name,
        "alarm_description": plan.description(),
        "comparison_operator": check.comparison,
        "evaluation_periods": s.evaluation_periods,
        "treat_missing_data": s.treat_missing_data,
    }
    # Left out when it equals the evaluation periods (CloudWatch's default), as is
    # ActionsEnabled (true by default): bytes count per alarm, and alarms are per function.
    if s.datapoints_to_alarm != s.evaluation_periods:
        props["datapoints_to_alarm"] = s.datapoints_to_alarm
    if alarm_actions:
        props["alarm_actions"] = alarm_actions
    if ok_actions:
        props["ok_actions"] = ok_actions
    threshold = plan.threshold if plan.threshold is not None else s.threshold
    if check.anomaly:
        assert plan.metric is not None
        props["metrics"] = [
            _stat_query("m1", plan.metric, s.statistic, s.period, True),
            {
                "id": "ad1",
                "expression": f"ANOMALY_DETECTION_BAND(m1, {threshold:g})",
                "label": f"{plan.metric.name} (expected)",
                "returnData": True,
            },
        ]
        props["threshold_metric_id"] = "ad1"
    elif plan.expression is not None or check.missing_as_zero:
        # A single metric read as missing-as-zero is the math alarm FILL(m1, 0).
        math_metrics = plan.math_metrics or ((plan.metric,) if plan.metric else ())
        expression = plan.expression or "m1"
        if check.missing_as_zero:
            expression = f"FILL({expression}, 0)"
        if len(math_metrics) > MAX_MATH_METRICS:
            raise ValueError(
                f"alarm {name}: metric math uses {len(math_metrics)} metrics; CloudWatch "
                f"allows at most {MAX_MATH_METRICS} in one alarm"
            )
        queries = [
            _stat_query(f"m{i}", m, s.statistic, s.period, False)
            for i, m in enumerate(math_metrics, start=1)
        ]
        result: dict[str, Any] = {
            "id": "e1", "expression": expression, "label": check.title, "returnData": True}
        if not queries:  # e.g. INSIGHT_RULE_METRIC: no metric to take the period from
            result["period"] = s.period
        queries.append(result)
        props["metrics"] = queries
        props["threshold"] = threshold
    else:
        assert plan.metric is not None
        props["namespace"] = plan.metric.namespace
        props["metric_name"] = plan.metric.name
        dims = _dims(plan.metric)
        if dims:
            props["dimensions"] = dims
        props["period"] = s.period
        if s.statistic.startswith("p"):
            props["extended_statistic"] = s.statistic
        else:
            props["statistic"] = s.statistic
        props["threshold"] = threshold
    construct_id = f"{plan.resource_key}-{check.name}"
    return cloudwatch.CfnAlarm(scope, construct_id, **props)


@dataclass
class PlanContext:
    """What every planner needs besides its target: service-wide options."""

    service: str
    #: ``alarm_overrides`` of ServiceMonitoring, validated (keys ``kind.check``).
    kind_overrides: dict[str, Any]
    concurrency_limit: int
    duration_threshold_share: float
    #: Names of the metrics the service's metric filters publish. None: not known (every
    #: log-metric alarm is planned).
    published_log_metrics: frozenset[str] | None = None
    #: Every check, by key (``kinds.registry.known_checks()``).
    checks: Mapping[str, Any] = field(default_factory=dict)

    def resolve(self, kind: str, name: str, resource_overrides: dict[str, Any]) -> Resolved:
        from watchkeeper.constructs.alarms.settings import resolve

        key = f"{kind}.{name}"
        layers = tuple(
            layer for layer in (self.kind_overrides.get(key), resource_overrides.get(name))
            if layer is not None
        )
        option = (f"alarms[{name!r}]" if name in resource_overrides
                  else f"alarm_overrides[{key!r}]")
        check = self.checks[key]
        return resolve(check, layers, option)

    def option_of(self, kind: str, name: str, resource_overrides: dict[str, Any]) -> str:
        """The option a user set for this check (for error messages)."""
        if name in resource_overrides:
            return f"alarms[{name!r}]"
        return f"alarm_overrides[{kind + '.' + name!r}]"

    def wanted(self, resolved: Resolved, default_condition: bool) -> bool:
        """Create the alarm? ``enabled`` wins; else the check's default condition."""
        return default_condition if resolved.enabled is None else resolved.enabled

    def metric_plans(self, kind: str, target: Any, namespace: str,
                     dims: tuple[tuple[str, str], ...], metrics: Mapping[str, str]
                     ) -> list[AlarmPlan]:
        """One single-metric alarm per ``{check: metric name}`` of ``metrics`` (checks that
        are on unless switched off), on ``target`` (key, label, alarm_overrides)."""
        plans = []
        for name, metric_name in metrics.items():
            settings = self.resolve(kind, name, target.alarm_overrides)
            if self.wanted(settings, True):
                plans.append(AlarmPlan(settings=settings, resource_key=target.key,
                                       label=target.label, service=self.service,
                                       metric=MetricRef(namespace, metric_name, dims)))
        return plans
