"""The model of ``watchkeeper report``: what it counts, and the records it counts into.

The counted CloudFormation types and the report's keys; one alarm, custom metric, monitored
service and nested stack; what one template holds (:class:`TemplateContents`), one stack
(:class:`StackReport`) and the whole cloud assembly (:class:`AssemblyReport`), with the usage
each one is priced by (:mod:`watchkeeper.pricing`). Filled in by
:mod:`watchkeeper.cli.report_scan`; written out by :mod:`watchkeeper.cli.report_json` and
:mod:`watchkeeper.cli.report_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from watchkeeper import pricing
from watchkeeper.cli.check_findings import PublicUrlFinding

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
NAME_PROPERTY: Final = {
    "log_groups": "LogGroupName",
    "metric_filters": "FilterName",
    "alarms": "AlarmName",
    "composite_alarms": "AlarmName",
    "dashboards": "DashboardName",
    "saved_queries": "Name",
    "insight_rules": "RuleName",
    "event_rules": "Name",
}


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
    names: dict[str, list[str]] = field(default_factory=lambda: {key: [] for key in NAME_PROPERTY})
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
    #: the public function URLs of the stack and its nested stacks, acknowledged or not
    #: (what ``watchkeeper check`` reports as ``public-function-url`` when not)
    findings: list[PublicUrlFinding] = field(default_factory=list)

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
