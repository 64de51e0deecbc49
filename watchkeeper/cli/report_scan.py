"""Counting for ``watchkeeper report``: what each template of a cloud assembly deploys.

Reads a synthesized cloud assembly (``cdk.out``) through :mod:`watchkeeper.cli.assembly`: every
stack of the app, the nested stacks each one deploys and the assemblies of its stages. For
each stack it counts the monitoring resources watchkeeper created by CloudFormation type,
classifies every alarm (standard, high-resolution, metric math, anomaly detection) and works
out each alarm's time to detect, into the records of :mod:`watchkeeper.cli.report_model`.

Every problem with the input is raised as :class:`watchkeeper.cli.CommandError` (one line,
exit code 2), never as a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from watchkeeper import pricing
from watchkeeper.cli import CommandError
from watchkeeper.cli.assembly import (
    NESTED_STACK_TYPE,
    AssemblyError,
    Template,
    display,
    one_line,
)
from watchkeeper.cli.assembly import load_assembly as read_assembly
from watchkeeper.cli.check_findings import PublicUrlFinding, public_url_findings
from watchkeeper.cli.report_model import (
    ALARM_TYPE,
    COMPOSITE_ALARM_TYPE,
    COMPOSITE_KIND,
    COUNTED_TYPES,
    METRIC_FILTER_TYPE,
    NAME_PROPERTY,
    AlarmDetail,
    AssemblyReport,
    CustomMetric,
    MonitoredService,
    NestedStack,
    StackReport,
    TemplateContents,
)
from watchkeeper.schema import TemplateMetadata

#: exit code for input that cannot be reported on
BAD_INPUT_EXIT_CODE: Final = 2

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
                    prop = NAME_PROPERTY.get(key)
                    name = _name(properties.get(prop) if prop else None, logical_id)
                    contents.app_own[key].append(name)
            continue
        for key, counted_type in COUNTED_TYPES.items():
            if resource_type == counted_type:
                contents.counts[key] += 1
                if key in NAME_PROPERTY:
                    contents.names[key].append(
                        _name(properties.get(NAME_PROPERTY[key]), logical_id)
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
    services, malformed = TemplateMetadata.services_of(template)
    notes.extend(f"{where}: {note}" for note in malformed)
    found = []
    for service in services:
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
                    for c in TemplateMetadata.changes_of(changes)
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

def load_assembly(path: str | Path) -> AssemblyReport:
    """Read the cloud assembly at ``path`` (a directory, or its ``manifest.json``)."""
    try:
        assembly = read_assembly(path)
        # Acknowledgements may sit in another stack's metadata: read every template first.
        findings = public_url_findings(assembly.all_templates())
        stacks = [
            _stack_report(template, [f for f in findings if f.url.template.root is template])
            for template in assembly.templates
        ]
    except AssemblyError as exc:
        raise CommandError(str(exc), BAD_INPUT_EXIT_CODE) from None
    except CommandError as exc:
        # Logical ids and names come from the input: keep the message on one line.
        raise CommandError(one_line(str(exc)), exc.exit_code) from None
    return AssemblyReport(path=str(path), stacks=stacks)


def _stack_report(template: Template, findings: list[PublicUrlFinding]) -> StackReport:
    return StackReport(
        display_name=template.display_name,
        artifact_id=template.artifact_id,
        stack_name=template.stack_name,
        environment=template.environment or "unknown",
        assembly=template.assembly_path,
        template=template.template_file,
        contents=_scan(template),
        findings=findings,
    )
