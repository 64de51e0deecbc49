"""The alarm checks of ``watchkeeper check``: metric alarms and composite alarms.

Name length, actions per state, periods, period x evaluation periods, datapoints, metric-math
metrics and ``ReturnData``, anomaly-detection bands, composite rule length and alarms per
rule, against :mod:`watchkeeper.limits`.
"""

from __future__ import annotations

import re
from typing import Any, Final

from watchkeeper import limits
from watchkeeper.cli.assembly import Resource
from watchkeeper.cli.check_problems import CheckerBase, as_list, stated_number, stated_text

_ANOMALY_BAND: Final = re.compile(r"\bANOMALY_DETECTION_BAND\s*\(", re.IGNORECASE)
_RULE_ALARM_REFERENCE: Final = re.compile(r"\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(")
_ACTION_PROPERTIES: Final = ("AlarmActions", "OKActions", "InsufficientDataActions")


class AlarmChecks(CheckerBase):
    """The checks of ``AWS::CloudWatch::Alarm`` and ``AWS::CloudWatch::CompositeAlarm``."""

    def check_alarm(self, alarm: Resource) -> None:
        template, properties = alarm.template, alarm.properties
        self._check_alarm_name(alarm)
        self._check_actions(alarm)
        queries = [q for q in as_list(properties.get("Metrics")) if isinstance(q, dict)]
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
            period = stated_number(template, value)
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
        evaluation_periods = stated_number(template, properties.get("EvaluationPeriods"))
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
        datapoints = stated_number(template, properties.get("DatapointsToAlarm"))
        if datapoints is not None and evaluation_periods is not None:
            if datapoints > evaluation_periods:
                self.problem(
                    alarm,
                    "alarm-datapoints",
                    f"DatapointsToAlarm {datapoints} is more than EvaluationPeriods "
                    f"{evaluation_periods}; it must be at most EvaluationPeriods",
                )

    def _check_alarm_name(self, alarm: Resource) -> None:
        name = stated_text(alarm.template, alarm.properties.get("AlarmName"))
        if name is not None and len(name) > limits.MAX_ALARM_NAME_LENGTH:
            self.problem(
                alarm,
                "alarm-name",
                f"AlarmName is {len(name)} characters; CloudWatch allows "
                f"{limits.MAX_ALARM_NAME_LENGTH}",
            )

    def _check_actions(self, alarm: Resource) -> None:
        for prop in _ACTION_PROPERTIES:
            count = len(as_list(alarm.properties.get(prop)))
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
