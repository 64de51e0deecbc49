"""``watchkeeper report``: what a cloud assembly deploys for monitoring, and what it costs.

Reads a synthesized cloud assembly (``cdk.out``) through :mod:`watchkeeper.cli.assembly`: every
stack of the app, the nested stacks each one deploys and the assemblies of its stages. For
each stack, and in total, it counts the monitoring resources by CloudFormation type,
classifies every alarm (standard, high-resolution, metric math, anomaly detection), works out
each alarm's time to detect, and prices the lot at list price (:mod:`watchkeeper.pricing`).

Standard library only, and it reads JSON files only, so it runs in well under a second and
needs neither aws-cdk-lib nor AWS credentials. Every problem with the input is raised as
:class:`watchkeeper.cli.CommandError` (one line, exit code 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from watchkeeper import pricing
from watchkeeper.cli import CommandError, add_cdk_out_argument
from watchkeeper.cli.assembly import (
    NESTED_STACK_TYPE,
    AssemblyError,
    Template,
    display,
    one_line,
)
from watchkeeper.cli.assembly import load_assembly as read_assembly
from watchkeeper.schema import TemplateMetadata

#: exit code for input that cannot be reported on
BAD_INPUT_EXIT_CODE: Final = 2

ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
COMPOSITE_ALARM_TYPE: Final = "AWS::CloudWatch::CompositeAlarm"
METRIC_FILTER_TYPE: Final = "AWS::Logs::MetricFilter"

#: counted resources: report key -> CloudFormation type, in the order reports list them
COUNTED_TYPES: Final = {
    "log_groups": "AWS::Logs::LogGroup",
    "metric_filters": METRIC_FILTER_TYPE,
    "alarms": ALARM_TYPE,
    "composite_alarms": COMPOSITE_ALARM_TYPE,
    "dashboards": "AWS::CloudWatch::Dashboard",
    "saved_queries": "AWS::Logs::QueryDefinition",
    "subscription_filters": "AWS::Logs::SubscriptionFilter",
    "account_policies": "AWS::Logs::AccountPolicy",
    "anomaly_detectors": "AWS::CloudWatch::AnomalyDetector",
    "sns_topics": "AWS::SNS::Topic",
    "lambda_functions": "AWS::Lambda::Function",
    "insight_rules": "AWS::CloudWatch::InsightRule",
    "event_rules": "AWS::Events::Rule",
}

#: the keys of the JSON report's ``totals``, exactly
TOTAL_KEYS: Final = (
    "log_groups",
    "metric_filters",
    "custom_metrics",
    "alarms",
    "composite_alarms",
    "dashboards",
    "saved_queries",
    "monthly_usd",
)

#: alarm kinds, in the order reports list them
ALARM_KINDS: Final = ("standard", "high-resolution", "metric-math", "anomaly-detection")
COMPOSITE_KIND: Final = "composite"

#: the property of each named resource type that holds its name (else: the logical id)
_NAME_PROPERTY: Final = {
    "log_groups": "LogGroupName",
    "metric_filters": "FilterName",
    "alarms": "AlarmName",
    "composite_alarms": "AlarmName",
    "dashboards": "DashboardName",
    "saved_queries": "Name",
    "insight_rules": "RuleName",
    "event_rules": "Name",
}

_ANOMALY_BAND_FUNCTION: Final = "ANOMALY_DETECTION_BAND"
_HIGH_RESOLUTION_BELOW_S: Final = 60
_COMPARISON: Final = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "GreaterThanUpperThreshold": "above band",
    "LessThanLowerThreshold": "below band",
}


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``90`` -> ``1m 30s``, ``3600`` -> ``1h``; ``None`` -> ``n/a``."""
    if seconds is None:
        return "n/a"
    remaining = int(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    return " ".join(parts) or "0s"


# --------------------------------------------------------------------------------------
# What one template holds
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmDetail:
    """One alarm (metric or composite) and how fast and how dear it is."""

    logical_id: str
    name: str
    kind: str
    #: "standard" or "high"; "n/a" for composite alarms
    resolution: str
    metrics: tuple[str, ...]
    threshold: str
    period_s: int | None
    datapoints: int | None
    evaluation_periods: int | None
    #: period x datapoints to alarm: the shortest breach that raises the alarm
    time_to_detect_s: int | None
    #: alarm metrics billed for it (0 for composite alarms, which are billed per alarm)
    billed_metrics: int
    #: the template that holds it, when that is a nested stack's
    nested_stack: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "name": self.name,
            "kind": self.kind,
            "resolution": self.resolution,
            "metrics": list(self.metrics),
            "threshold": self.threshold,
            "period_s": self.period_s,
            "datapoints": self.datapoints,
            "evaluation_periods": self.evaluation_periods,
            "time_to_detect_s": self.time_to_detect_s,
            "billed_alarm_metrics": self.billed_metrics,
            "nested_stack": self.nested_stack,
        }


@dataclass(frozen=True)
class CustomMetric:
    """A metric a metric filter publishes: billed as one custom metric per dimension values."""

    namespace: str
    name: str
    #: dimension keys; when there are any, the real count is one metric per distinct
    #: combination of their values, which only the log data decides
    dimensions: tuple[str, ...]
    metric_filter: str

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.namespace, self.name, self.dimensions)


@dataclass(frozen=True)
class MonitoredService:
    """A service's entry in the template's ``Watchkeeper`` metadata."""

    service: str
    monitored: tuple[tuple[str, tuple[str, ...]], ...]
    #: what watchkeeper changed on the app's own resources: (kind, resource, detail)
    changes: tuple[tuple[str, str, str], ...] = ()
    #: the service's stage (its names are ``<service>-<stage>``); None without one
    stage: str | None = None
    #: logical ids of what watchkeeper created in the template; None when not recorded
    created: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NestedStack:
    """A nested stack deployed by a stack, counted under it."""

    logical_id: str
    #: its template file in the assembly, or None when the assembly does not hold it
    template: str | None
    parent: str
    counts: Mapping[str, int]


@dataclass
class TemplateContents:
    """Everything counted in one template and the nested templates under it."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED_TYPES, 0))
    alarms: list[AlarmDetail] = field(default_factory=list)
    custom_metrics: list[CustomMetric] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=lambda: {key: [] for key in _NAME_PROPERTY})
    services: list[MonitoredService] = field(default_factory=list)
    nested_stacks: list[NestedStack] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: log groups with a DataProtectionPolicy, and account-wide data protection policies:
    #: both bill every GB they scan (:data:`watchkeeper.pricing.LOGS_DATA_PROTECTION_USD_PER_GB`)
    data_protected_log_groups: list[str] = field(default_factory=list)
    data_protection_account_policies: list[str] = field(default_factory=list)
    #: the app's own resources of the counted types (names, else logical ids): not
    #: created by watchkeeper, so neither counted nor priced
    app_own: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in COUNTED_TYPES})

    def add(self, other: TemplateContents) -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.alarms += other.alarms
        self.custom_metrics += other.custom_metrics
        for key, values in other.names.items():
            self.names[key] += values
        self.services += other.services
        self.nested_stacks += other.nested_stacks
        self.notes += other.notes
        self.data_protected_log_groups += other.data_protected_log_groups
        self.data_protection_account_policies += other.data_protection_account_policies
        for key, values in other.app_own.items():
            self.app_own[key] += values


#: how a template's resources are attributed (see :func:`_scan`)
_COUNT_ALL: Final = "all"
_APP_OWN: Final = "app"


def _scan(template: Template, inherited: str = _COUNT_ALL) -> TemplateContents:
    """Count one template and, under it, the nested stacks it deploys.

    Only what watchkeeper created is counted: the logical ids the template's services record
    in ``Metadata.Watchkeeper`` ``created``, and everything in a nested template created
    whole. The rest is the app's own (``app_own``). A template without any ``created`` list
    (hand-written, or synthesized by an older watchkeeper) is attributed as ``inherited``
    says: counted whole at the top, the app's own when its parent stack is attributed and
    did not record its nested stack as created.
    """
    contents = TemplateContents()
    resources = template.resources
    nested_path = template.template_file if template.parent is not None else None
    where = f"stack {template.root.display_name} ({template.template_file})"
    parameters = template.body.get("Parameters", {})
    parameters = parameters if isinstance(parameters, dict) else {}
    contents.services = _monitored_services(template.body, where, contents.notes)
    nested = {child.logical_id: child for child in template.nested}
    recorded = [s.created for s in contents.services if s.created is not None]
    created: set[str] | None = {i for ids in recorded for i in ids} if recorded else None
    if created is None and inherited == _APP_OWN:
        created = set()
    for logical_id, resource in resources.items():
        resource_type = resource["Type"]
        properties = resource.get("Properties", {})
        is_created = created is None or logical_id in created
        if resource_type == NESTED_STACK_TYPE:
            # A nested stack watchkeeper created holds only watchkeeper's resources.
            child_mode = _COUNT_ALL if is_created else _APP_OWN
            _add_nested(contents, template, logical_id, nested.get(logical_id), child_mode)
            continue
        if not is_created:
            for key, counted_type in COUNTED_TYPES.items():
                if resource_type == counted_type:
                    prop = _NAME_PROPERTY.get(key)
                    name = _name(properties.get(prop) if prop else None, logical_id)
                    contents.app_own[key].append(name)
            continue
        for key, counted_type in COUNTED_TYPES.items():
            if resource_type == counted_type:
                contents.counts[key] += 1
                if key in _NAME_PROPERTY:
                    contents.names[key].append(
                        _name(properties.get(_NAME_PROPERTY[key]), logical_id)
                    )
        _add_data_protection(contents, resource_type, properties, logical_id)
        located = _Located(where, logical_id, resource_type, parameters)
        if resource_type == ALARM_TYPE:
            contents.alarms.append(_metric_alarm(located, properties, nested_path))
        elif resource_type == COMPOSITE_ALARM_TYPE:
            contents.alarms.append(_composite_alarm(located, properties, nested_path))
        elif resource_type == METRIC_FILTER_TYPE:
            contents.custom_metrics += _filter_metrics(located, properties)
    return contents


def _add_data_protection(
    contents: TemplateContents, resource_type: str, properties: Mapping[str, Any], logical_id: str
) -> None:
    if resource_type == COUNTED_TYPES["log_groups"] and properties.get("DataProtectionPolicy"):
        name = _name(properties.get("LogGroupName"), logical_id)
        contents.data_protected_log_groups.append(name)
    elif (
        resource_type == COUNTED_TYPES["account_policies"]
        and properties.get("PolicyType") == "DATA_PROTECTION_POLICY"
    ):
        name = _name(properties.get("PolicyName"), logical_id)
        contents.data_protection_account_policies.append(name)


def _add_nested(
    contents: TemplateContents,
    parent: Template,
    logical_id: str,
    child: Template | None,
    mode: str = _COUNT_ALL,
) -> None:
    if child is None:
        contents.nested_stacks.append(
            NestedStack(logical_id, None, parent.template_file, dict.fromkeys(COUNTED_TYPES, 0))
        )
        contents.notes.append(
            f"stack {parent.root.display_name}: nested stack {logical_id} deploys a template "
            "that is not in the cloud assembly; its resources are not counted"
        )
        return
    nested = _scan(child, mode)
    contents.nested_stacks.append(
        NestedStack(logical_id, child.template_file, parent.template_file, dict(nested.counts))
    )
    contents.add(nested)


@dataclass(frozen=True)
class _Located:
    """Where a resource is, for error messages, and the parameters that Refs may resolve to."""

    where: str
    logical_id: str
    resource_type: str
    parameters: Mapping[str, Any]

    def error(self, prop: str, problem: str) -> CommandError:
        return CommandError(
            f"{self.where}: resource {self.logical_id} ({self.resource_type}), property "
            f"{prop}: {problem}"
        )

    def number(self, value: Any, prop: str) -> int:
        """A property needed to price or time an alarm: a literal, or a Ref to a default."""
        resolved = value
        if isinstance(value, dict) and set(value) == {"Ref"}:
            parameter = self.parameters.get(value["Ref"])
            if isinstance(parameter, dict) and "Default" in parameter:
                resolved = parameter["Default"]
        if isinstance(resolved, str) and re.fullmatch(r"\d+", resolved.strip()):
            return int(resolved)
        if isinstance(resolved, int | float) and not isinstance(resolved, bool):
            if float(resolved).is_integer() and resolved > 0:
                return int(resolved)
        if value is None:
            raise self.error(prop, "missing; it is needed to price and time the alarm")
        raise self.error(
            prop,
            f"{display(value)} does not resolve to a whole number of seconds or periods "
            "when synthesized; a report needs a literal value here",
        )


def _metric_alarm(
    located: _Located, properties: Mapping[str, Any], nested_path: str | None
) -> AlarmDetail:
    evaluation_periods = located.number(properties.get("EvaluationPeriods"), "EvaluationPeriods")
    datapoints = (
        located.number(properties["DatapointsToAlarm"], "DatapointsToAlarm")
        if properties.get("DatapointsToAlarm") is not None
        else evaluation_periods
    )
    queries = properties.get("Metrics")
    if queries is not None:
        if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
            raise located.error("Metrics", "not a list of metric data queries")
        periods: list[int] = []
        metrics: list[str] = []
        anomaly = False
        metric_stats = 0
        for index, query in enumerate(queries):
            if "MetricStat" in query:
                metric_stats += 1
                stat = query["MetricStat"] if isinstance(query["MetricStat"], dict) else {}
                periods.append(
                    located.number(stat.get("Period"), f"Metrics[{index}].MetricStat.Period")
                )
                metric = stat.get("Metric")
                metric = metric if isinstance(metric, dict) else {}
                metrics.append(
                    f"{display(query.get('Id'))}={display(metric.get('Namespace'))} "
                    f"{display(metric.get('MetricName'))} {display(stat.get('Stat'))}"
                )
            elif "Expression" in query:
                expression = display(query["Expression"])
                anomaly = anomaly or _ANOMALY_BAND_FUNCTION in expression.upper()
                if query.get("Period") is not None:
                    periods.append(located.number(query["Period"], f"Metrics[{index}].Period"))
                metrics.append(f"{display(query.get('Id'))}={expression}")
        if not periods:
            raise located.error("Metrics", "no MetricStat or expression gives a Period")
        period = max(periods)
        high_resolution = min(periods) < _HIGH_RESOLUTION_BELOW_S
        kind = "anomaly-detection" if anomaly else "metric-math"
        # A query with no MetricStat (a Metrics Insights query) is billed as one metric here.
        per_metric = pricing.ANOMALY_DETECTION_ALARM_METRICS if anomaly else 1
        billed = max(metric_stats, 1) * per_metric
    else:
        if properties.get("MetricName") is None:
            raise located.error("MetricName", "missing, and no Metrics list either")
        period = located.number(properties.get("Period"), "Period")
        high_resolution = period < _HIGH_RESOLUTION_BELOW_S
        kind = "high-resolution" if high_resolution else "standard"
        statistic = properties.get("Statistic", properties.get("ExtendedStatistic"))
        metrics = [
            f"{display(properties.get('Namespace'))} {display(properties['MetricName'])} "
            f"{display(statistic)}".strip()
        ]
        billed = 1
    return AlarmDetail(
        logical_id=located.logical_id,
        name=_name(properties.get("AlarmName"), located.logical_id),
        kind=kind,
        resolution="high" if high_resolution else "standard",
        metrics=tuple(metrics),
        threshold=_threshold(properties),
        period_s=period,
        datapoints=datapoints,
        evaluation_periods=evaluation_periods,
        time_to_detect_s=period * datapoints,
        billed_metrics=billed,
        nested_stack=nested_path,
    )


def _composite_alarm(
    located: _Located, properties: Mapping[str, Any], nested_path: str | None
) -> AlarmDetail:
    return AlarmDetail(
        logical_id=located.logical_id,
        name=_name(properties.get("AlarmName"), located.logical_id),
        kind=COMPOSITE_KIND,
        resolution="n/a",
        metrics=(display(properties.get("AlarmRule")),),
        threshold="rule",
        period_s=None,
        datapoints=None,
        evaluation_periods=None,
        time_to_detect_s=None,
        billed_metrics=0,
        nested_stack=nested_path,
    )


def _threshold(properties: Mapping[str, Any]) -> str:
    operator = properties.get("ComparisonOperator")
    symbol = _COMPARISON.get(operator, display(operator)) if isinstance(operator, str) else "?"
    if properties.get("ThresholdMetricId") is not None:
        return f"{symbol} ({display(properties['ThresholdMetricId'])})"
    return f"{symbol} {display(properties.get('Threshold'))}".strip()


def _filter_metrics(located: _Located, properties: Mapping[str, Any]) -> list[CustomMetric]:
    transformations = properties.get("MetricTransformations")
    if not isinstance(transformations, list):
        raise located.error("MetricTransformations", "missing or not a list")
    filter_name = _name(properties.get("FilterName"), located.logical_id)
    metrics = []
    for transformation in transformations:
        if not isinstance(transformation, dict):
            raise located.error("MetricTransformations", "an entry is not an object")
        dimensions = transformation.get("Dimensions") or []
        keys = (
            tuple(
                sorted(
                    display(d.get("Key")) if isinstance(d, dict) else display(d) for d in dimensions
                )
            )
            if isinstance(dimensions, list)
            else ("<dimensions>",)
        )
        metrics.append(
            CustomMetric(
                namespace=display(transformation.get("MetricNamespace")),
                name=display(transformation.get("MetricName")),
                dimensions=keys,
                metric_filter=filter_name,
            )
        )
    return metrics


def _monitored_services(
    template: Mapping[str, Any], where: str, notes: list[str]
) -> list[MonitoredService]:
    metadata = template.get("Metadata")
    if not isinstance(metadata, dict) or TemplateMetadata.KEY not in metadata:
        return []
    entry = metadata[TemplateMetadata.KEY]
    services = entry.get(TemplateMetadata.SERVICES) if isinstance(entry, dict) else None
    if not isinstance(services, list):
        notes.append(f"{where}: Metadata.{TemplateMetadata.KEY} has no services list; ignored")
        return []
    found = []
    for service in services:
        if not isinstance(service, dict):
            notes.append(f"{where}: a Metadata.{TemplateMetadata.KEY} service is not an object")
            continue
        monitored = service.get(TemplateMetadata.MONITORED)
        monitored = monitored if isinstance(monitored, dict) else {}
        kinds = [k for k in TemplateMetadata.MONITORED_KINDS if k in monitored]
        kinds += sorted(k for k in monitored if k not in TemplateMetadata.MONITORED_KINDS)
        changes = service.get(TemplateMetadata.CHANGES)
        created = service.get(TemplateMetadata.CREATED)
        found.append(
            MonitoredService(
                service=display(service.get(TemplateMetadata.SERVICE)) or "?",
                stage=(display(service[TemplateMetadata.STAGE]) or None)
                if service.get(TemplateMetadata.STAGE) is not None else None,
                monitored=tuple(
                    (kind, tuple(_name(item, "?") for item in _as_list(monitored[kind])))
                    for kind in kinds
                ),
                changes=tuple(
                    (display(c.get("kind")), display(c.get("resource")), display(c.get("detail")))
                    for c in (changes if isinstance(changes, list) else [])
                    if isinstance(c, dict)
                ),
                created=tuple(str(i) for i in created if isinstance(i, str))
                if isinstance(created, list)
                else None,
            )
        )
    return found


def _name(value: Any, logical_id: str) -> str:
    """A resource's name; a plain ``{"Ref": X}`` renders as ``X``; absent: the logical id."""
    if value is None:
        return logical_id
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return one_line(value["Ref"])
    return display(value) or logical_id


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------
# The assembly
# --------------------------------------------------------------------------------------


@dataclass
class StackReport:
    """One stack of the app, with the nested stacks it deploys counted under it."""

    display_name: str
    artifact_id: str
    stack_name: str
    environment: str
    #: the assembly directory that holds it, relative to the top assembly
    assembly: str
    template: str
    contents: TemplateContents

    def custom_metric_keys(self) -> set[tuple[str, str, tuple[str, ...]]]:
        return {metric.key for metric in self.contents.custom_metrics}

    def usage(self) -> pricing.Usage:
        return _usage(self.contents.alarms, self.contents.counts, len(self.custom_metric_keys()))


@dataclass
class AssemblyReport:
    """Every stack of a cloud assembly, and the totals."""

    path: str
    stacks: list[StackReport]

    def custom_metric_count(self) -> int:
        # The same metric published from two stacks of one environment is one metric.
        return len(
            {
                (stack.environment, *key)
                for stack in self.stacks
                for key in stack.custom_metric_keys()
            }
        )

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(COUNTED_TYPES, 0)
        for stack in self.stacks:
            for key, value in stack.contents.counts.items():
                totals[key] += value
        return totals

    def usage(self) -> pricing.Usage:
        alarms = [alarm for stack in self.stacks for alarm in stack.contents.alarms]
        return _usage(alarms, self.counts(), self.custom_metric_count())

    def notes(self) -> list[str]:
        return [note for stack in self.stacks for note in stack.contents.notes]


def _usage(alarms: Iterable[AlarmDetail], counts: Mapping[str, int], custom: int) -> pricing.Usage:
    alarms = list(alarms)
    return pricing.Usage(
        standard_alarm_metrics=sum(a.billed_metrics for a in alarms if a.resolution == "standard"),
        high_resolution_alarm_metrics=sum(
            a.billed_metrics for a in alarms if a.resolution == "high"
        ),
        composite_alarms=counts["composite_alarms"],
        dashboards=counts["dashboards"],
        custom_metrics=custom,
        insight_rules=counts["insight_rules"],
        event_rules=counts["event_rules"],
    )


def load_assembly(path: str | Path) -> AssemblyReport:
    """Read the cloud assembly at ``path`` (a directory, or its ``manifest.json``)."""
    try:
        assembly = read_assembly(path)
        stacks = [_stack_report(template) for template in assembly.templates]
    except AssemblyError as exc:
        raise CommandError(str(exc), BAD_INPUT_EXIT_CODE) from None
    except CommandError as exc:
        # Logical ids and names come from the input: keep the message on one line.
        raise CommandError(one_line(str(exc)), exc.exit_code) from None
    return AssemblyReport(path=str(path), stacks=stacks)


def _stack_report(template: Template) -> StackReport:
    return StackReport(
        display_name=template.display_name,
        artifact_id=template.artifact_id,
        stack_name=template.stack_name,
        environment=template.environment or "unknown",
        assembly=template.assembly_path,
        template=template.template_file,
        contents=_scan(template),
    )


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _usd(value: Decimal) -> float:
    return float(value)


def report_json(report: AssemblyReport) -> dict[str, Any]:
    """The ``--json`` document: ``{"stacks": [...], "totals": {...}, ...}``."""
    stacks: list[dict[str, Any]] = []
    for stack in report.stacks:
        contents = stack.contents
        estimate = pricing.estimate_monthly_cost(stack.usage())
        metric_alarms = [a for a in contents.alarms if a.kind != COMPOSITE_KIND]
        stacks.append(
            {
                "name": stack.display_name,
                "artifact_id": stack.artifact_id,
                "stack_name": stack.stack_name,
                "environment": stack.environment,
                "assembly": stack.assembly,
                "template": stack.template,
                **{key: contents.counts[key] for key in TOTAL_KEYS if key in contents.counts},
                "custom_metrics": len(stack.custom_metric_keys()),
                "monthly_usd": _usd(estimate.monthly_usd),
                "other_resources": {
                    key: contents.counts[key] for key in COUNTED_TYPES if key not in TOTAL_KEYS
                },
                "alarm_kinds": {
                    kind: sum(1 for a in metric_alarms if a.kind == kind) for kind in ALARM_KINDS
                },
                "alarm_metrics": {
                    "standard": stack.usage().standard_alarm_metrics,
                    "high_resolution": stack.usage().high_resolution_alarm_metrics,
                },
                "custom_metrics_detail": [
                    {
                        "namespace": m.namespace,
                        "name": m.name,
                        "dimensions": list(m.dimensions),
                        "metric_filter": m.metric_filter,
                        "counted_as": 1,
                        "per_distinct_dimension_values": bool(m.dimensions),
                    }
                    for m in _distinct_metrics(contents.custom_metrics)
                ],
                "cost": _cost_json(estimate),
                "data_protection": _data_protection_json(
                    contents.data_protected_log_groups, contents.data_protection_account_policies
                ),
                "alarms_detail": [alarm.as_json() for alarm in contents.alarms],
                "names": {key: list(values) for key, values in contents.names.items()},
                "monitored": [
                    {
                        "service": s.service,
                        **({"stage": s.stage} if s.stage else {}),
                        "monitored": {k: list(v) for k, v in s.monitored},
                    }
                    for s in contents.services
                ],
                # Changes to the app's own resources: not created by watchkeeper, not priced.
                "changed": [
                    {"service": s.service, "kind": kind, "resource": resource, "detail": detail}
                    for s in contents.services
                    for kind, resource, detail in s.changes
                ],
                # The app's own resources of the counted types: not counted, not priced.
                "app_own": {
                    "counts": {key: len(names) for key, names in contents.app_own.items()},
                    "names": {key: list(names) for key, names in contents.app_own.items()},
                },
                "nested_stacks": [
                    {
                        "logical_id": n.logical_id,
                        "template": n.template,
                        "parent_template": n.parent,
                        "counts": dict(n.counts),
                    }
                    for n in contents.nested_stacks
                ],
            }
        )
    counts = report.counts()
    estimate = pricing.estimate_monthly_cost(report.usage())
    totals: dict[str, Any] = {key: counts[key] for key in TOTAL_KEYS if key in counts}
    totals["custom_metrics"] = report.custom_metric_count()
    totals["monthly_usd"] = _usd(estimate.monthly_usd)
    return {
        "stacks": stacks,
        "totals": {key: totals[key] for key in TOTAL_KEYS},
        "other_totals": {key: counts[key] for key in COUNTED_TYPES if key not in TOTAL_KEYS},
        "cost": _cost_json(estimate),
        "free_tier": {
            "monthly_usd": _usd(estimate.free_tier_usd),
            "alarm_metrics": pricing.FREE_ALARM_METRICS,
            "dashboards": pricing.FREE_DASHBOARDS,
            "custom_metrics": pricing.FREE_CUSTOM_METRICS,
            "contributor_insights_rules": pricing.FREE_CONTRIBUTOR_INSIGHTS_RULES,
            "note": "per account and month, shared with everything else in the account; "
            "not subtracted from monthly_usd",
        },
        "data_protection": _data_protection_json(
            [name for s in report.stacks for name in s.contents.data_protected_log_groups],
            [name for s in report.stacks for name in s.contents.data_protection_account_policies],
        ),
        "pricing": pricing.price_table(),
        "notes": [*_assumptions(report), *report.notes()],
    }


def _data_protection_json(log_groups: list[str], account_policies: list[str]) -> dict[str, Any]:
    """Where data protection scans, priced per GB: not in ``monthly_usd`` (it is volume)."""
    return {
        "usd_per_gb_scanned": _usd(pricing.LOGS_DATA_PROTECTION_USD_PER_GB),
        "log_groups": len(log_groups),
        "log_group_names": list(log_groups),
        "account_policies": list(account_policies),
    }


def _cost_json(estimate: pricing.CostEstimate) -> dict[str, Any]:
    return {
        "lines": [
            {
                "item": line.item,
                "quantity": line.quantity,
                "unit_usd": _usd(line.unit_usd),
                "monthly_usd": _usd(line.monthly_usd),
            }
            for line in estimate.lines
        ],
        "monthly_usd": _usd(estimate.monthly_usd),
        "free_tier_usd": _usd(estimate.free_tier_usd),
    }


def _distinct_metrics(metrics: Iterable[CustomMetric]) -> list[CustomMetric]:
    distinct: dict[tuple[str, str, tuple[str, ...]], CustomMetric] = {}
    for metric in metrics:
        distinct.setdefault(metric.key, metric)
    return list(distinct.values())


def _assumptions(report: AssemblyReport) -> list[str]:
    notes = [
        "alarms_detail time_to_detect_s = period x datapoints to alarm (evaluation periods "
        "when DatapointsToAlarm is absent): the shortest breach that raises the alarm, "
        "before CloudWatch's own evaluation delay",
        "custom metrics: one per distinct (namespace, name, dimension keys) of the metric "
        "filters; a metric with dimensions is counted once but is billed once per distinct "
        "combination of dimension values in the logs",
        "a metric-math alarm is billed per metric it reads (each MetricStat); expressions are free",
    ]
    if any(m.dimensions for s in report.stacks for m in s.contents.custom_metrics):
        notes.append(
            "some custom metrics have dimensions: the real custom-metric cost is higher by "
            f"${pricing.CUSTOM_METRIC_USD} per month for each further distinct dimension value"
        )
    return notes + [f"unconfirmed: {item}" for item in pricing.UNCONFIRMED]


def _table(headers: list[str], rows: list[list[str]], right: set[int], indent: str) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "  ".join(padded)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def report_text(report: AssemblyReport, show_app_own: bool = False) -> str:
    """The human-readable report; ``show_app_own`` lists the app's own resources (``--all``)."""
    out: list[str] = []
    data = report_json(report)
    prices = f"{pricing.PRICES_REGION} list prices as of {pricing.PRICES_AS_OF}"
    out.append(f"watchkeeper report: {report.path}")
    out.append(f"Prices: {prices} ({pricing.PRICES_SOURCE}); free tier not subtracted")
    out.append("")
    headers = [
        "STACK",
        "LOG GROUPS",
        "METRIC FILTERS",
        "CUSTOM METRICS",
        "ALARMS",
        "COMPOSITE",
        "DASHBOARDS",
        "QUERIES",
        "USD/MONTH",
    ]
    keys = TOTAL_KEYS

    def summary_row(name: str, values: Mapping[str, Any]) -> list[str]:
        return [name, *(str(values[k]) for k in keys[:-1]), f"{values['monthly_usd']:.2f}"]

    rows = [summary_row(stack["name"], stack) for stack in data["stacks"]]
    rows.append(summary_row("TOTAL", data["totals"]))
    out += _table(headers, rows, set(range(1, len(headers))), "")
    for stack, stack_json in zip(report.stacks, data["stacks"], strict=True):
        out.append("")
        out += _stack_text(stack, stack_json)
        out += _app_own_text(stack_json["app_own"], show_app_own)
    out.append("")
    out += _cost_text(data)
    return "\n".join(out) + "\n"


def _stack_text(stack: StackReport, data: Mapping[str, Any]) -> list[str]:
    contents = stack.contents
    location = stack.template if stack.assembly == "." else f"{stack.assembly}/{stack.template}"
    out = [f"== {stack.display_name} (stack {stack.stack_name}, {location}, {stack.environment})"]
    for nested in contents.nested_stacks:
        out.append(f"  nested stack {nested.logical_id}: {nested.template or 'not in assembly'}")
    for service in contents.services:
        stage = f" (stage {service.stage})" if service.stage else ""
        out.append(f"  service {service.service}{stage} monitors:")
        for kind, items in service.monitored:
            out.append(f"    {kind.replace('_', ' ')} ({len(items)}): {', '.join(items)}")
        out.append(f"  service {service.service} changed on the app's resources "
                   f"({len(service.changes)}){':' if service.changes else ': none'}")
        for kind, resource, detail in service.changes:
            out.append(f"    {kind} {resource}: {detail}")
    labels = {
        "log_groups": "log groups",
        "metric_filters": "metric filters",
        "saved_queries": "saved queries",
        "dashboards": "dashboards",
    }
    for key, label in labels.items():
        names = contents.names[key]
        out.append(f"  {label} ({len(names)}): {', '.join(names) if names else '-'}")
    protected = data["data_protection"]["log_group_names"]
    out.append(f"  data protection ({len(protected)}): {', '.join(protected) or '-'}")
    metrics = data["custom_metrics_detail"]
    out.append(f"  custom metrics ({len(metrics)}):")
    for metric in metrics:
        extra = (
            f"  [+1 per distinct value of {', '.join(metric['dimensions'])}]"
            if metric["dimensions"]
            else ""
        )
        out.append(f"    {metric['namespace']} {metric['name']}{extra}")
    kinds = ", ".join(f"{kind} {count}" for kind, count in data["alarm_kinds"].items())
    out.append(f"  alarms ({data['alarms']}): {kinds}; composite {data['composite_alarms']}")
    out.append(
        f"  alarm metrics billed: {data['alarm_metrics']['standard']} standard, "
        f"{data['alarm_metrics']['high_resolution']} high-resolution"
    )
    other = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["other_resources"].items())
    out.append(f"  other: {other}")
    if contents.alarms:
        rows = [
            [
                _clip(alarm.name, 48),
                alarm.kind,
                _clip("; ".join(alarm.metrics)),
                _clip(alarm.threshold, 24),
                format_duration(alarm.period_s),
                "n/a"
                if alarm.datapoints is None
                else f"{alarm.datapoints}/{alarm.evaluation_periods}",
                format_duration(alarm.time_to_detect_s),
            ]
            for alarm in contents.alarms
        ]
        out += _table(
            ["ALARM", "KIND", "METRIC(S)", "THRESHOLD", "PERIOD", "DATAPOINTS", "TIME TO DETECT"],
            rows,
            {4, 5, 6},
            "    ",
        )
    out.append(f"  estimated cost: ${data['monthly_usd']:.2f}/month")
    return out


def _app_own_text(app_own: Mapping[str, Any], show: bool) -> list[str]:
    total = sum(app_own["counts"].values())
    if not total:
        return []
    if not show:
        return [
            f"  the app's own ({total}): not created by watchkeeper, not counted; "
            "--all lists them"
        ]
    out = [f"  the app's own (not counted) ({total}):"]
    for key, names in app_own["names"].items():
        if names:
            out.append(f"    {key.replace('_', ' ')} ({len(names)}): {', '.join(names)}")
    return out


def _cost_text(data: Mapping[str, Any]) -> list[str]:
    cost = data["cost"]
    out = [
        f"Estimated monthly CloudWatch cost ({pricing.PRICES_REGION}, list prices as of "
        f"{pricing.PRICES_AS_OF})"
    ]
    rows = [
        [
            line["item"],
            str(line["quantity"]),
            f"{line['unit_usd']:.2f}",
            f"{line['monthly_usd']:.2f}",
        ]
        for line in cost["lines"]
    ]
    rows.append(["Total", "", "", f"{cost['monthly_usd']:.2f}"])
    out += _table(["ITEM", "QUANTITY", "USD EACH", "USD/MONTH"], rows, {1, 2, 3}, "  ")
    free = data["free_tier"]
    out.append(
        f"  Free tier (per account, not subtracted): up to ${free['monthly_usd']:.2f}/month "
        f"({free['alarm_metrics']} standard alarm metrics, {free['dashboards']} dashboards, "
        f"{free['custom_metrics']} custom metrics, {free['contributor_insights_rules']} "
        "Contributor Insights rule)"
    )
    out.append("  Not included (depends on log volume):")
    where = _data_protection_scope(data["data_protection"])
    for item, price, unit in pricing.VOLUME_PRICES:
        scope = f" ({where})" if item == pricing.LOGS_DATA_PROTECTION_ITEM else ""
        out.append(f"    {item}: ${price} {unit}{scope}")
    out.append("Notes:")
    out += [f"  - {note}" for note in data["notes"]]
    return out


def _data_protection_scope(protection: Mapping[str, Any]) -> str:
    count = protection["log_groups"]
    where = (
        f"every GB ingested into the {count} log group{'' if count == 1 else 's'} with a "
        "data protection policy"
        if count
        else "no log group has a data protection policy"
    )
    if protection["account_policies"]:
        where += (
            "; account-wide data protection policy "
            f"{', '.join(protection['account_policies'])}: every log group it selects"
        )
    return where


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add ``watchkeeper report`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "report",
        help="count and price the monitoring a cloud assembly deploys",
        description=(
            "Read a synthesized cloud assembly and print, per stack and in total, its log "
            "groups, metric filters, custom metrics, alarms (with their time to detect), "
            "composite alarms, dashboards and saved queries, and the estimated monthly "
            f"CloudWatch cost at {pricing.PRICES_REGION} list prices."
        ),
    )
    add_cdk_out_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="show_app_own",
        help="also list the app's own log groups, alarms, dashboards, ... (never counted)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = load_assembly(args.cdk_out)
    if args.json:
        json.dump(report_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report_text(report, show_app_own=args.show_app_own))
    return 0
