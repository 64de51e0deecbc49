"""Alarm settings: what a check is, and validated overrides of its defaults.

Every alarm watchkeeper creates is one *check* of one *kind* of resource: ``function.errors``,
``queue.dlq_messages``, ``security.authz_failures``... A kind's checks are in its kind module
(``ResourceKind.checks``), the service-wide and security checks in ``service_checks``;
``kinds.registry.known_checks()`` lists them all (the README table is generated from it).
``AlarmSettings`` overrides some fields of a check; fields left ``None`` inherit. Overrides
apply in this order, later wins:

1. the check's default;
2. ``ServiceMonitoring(alarms=AlarmOptions(overrides={"function.errors":
   AlarmSettings(...)}))``: every resource of that kind;
3. ``mon.monitor_function(fn, alarms={"errors": AlarmSettings(...)})``: one resource.

``AlarmSettings(enabled=False)`` switches an alarm off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import aws_cdk as cdk

from watchkeeper.limits import MAX_ALARM_EVALUATION_RANGE_S as MAX_EVALUATION_SECONDS

#: TreatMissingData values CloudWatch accepts.
TREAT_MISSING_DATA: tuple[str, ...] = ("breaching", "notBreaching", "ignore", "missing")
#: Severity decides routing (see ``composite.py``): ``critical`` operational alarms notify
#: only through the service-health composite; ``warning`` alarms notify directly.
SEVERITIES: tuple[str, ...] = ("critical", "warning")

SECURITY = "security"
OPERATIONAL = "operational"

GT = "GreaterThanThreshold"
GTE = "GreaterThanOrEqualToThreshold"
#: For a share AWS publishes only as a success rate (SNS SMSSuccessRate, read through a
#: Metrics Insights query that the alarm watches as it is).
LT = "LessThanThreshold"
ANOMALY_UPPER = "GreaterThanUpperThreshold"

_PERCENTILE_OK = ("p50", "p90", "p95", "p99", "p99.9")


@dataclass(frozen=True)
class Check:
    """The default alarm of one check. Thresholds are in ``unit``.

    ``anomaly``: an anomaly-detection alarm; ``threshold`` is then the band width in
    standard deviations. ``statistics``: the statistics an override may choose (empty:
    fixed, e.g. for metric math). ``missing_as_zero``: the alarm reads its metric through
    ``FILL(..., 0)``, for namespaces whose alarms ignore ``TreatMissingData`` (AWS/DynamoDB:
    CloudWatch keeps such an alarm in its state while data is missing, so a sparse metric
    would leave it in ALARM for good).
    """

    kind: str
    name: str
    title: str
    metric: str
    statistic: str
    threshold: float
    comparison: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    severity: str
    unit: str
    #: Name of the first saved query to run (``schema.QueryName``).
    query: str
    #: ``security`` alarms always notify directly (``composite.py``).
    category: str = OPERATIONAL
    minimum: float = 0.0
    maximum: float | None = None
    anomaly: bool = False
    missing_as_zero: bool = False
    statistics: tuple[str, ...] = ()
    #: Created without being asked for only under the condition in ``when`` (docs).
    when: str = "always"

    def __post_init__(self) -> None:
        # Checks are table data written positionally: a field out of place (a category
        # where the unit goes) fails at import, not as a wrong alarm.
        from watchkeeper import schema

        wrong = [f"{name}={value!r}" for name, value, allowed in (
            ("severity", self.severity, SEVERITIES),
            ("category", self.category, (OPERATIONAL, SECURITY)),
            ("treat_missing_data", self.treat_missing_data, TREAT_MISSING_DATA),
            ("comparison", self.comparison, (GT, GTE, LT, ANOMALY_UPPER)),
            ("query", self.query, tuple(v for k, v in vars(schema.QueryName).items()
                                        if k.isupper())),
        ) if value not in allowed]
        if wrong:
            raise ValueError(f"check {self.kind}.{self.name}: {', '.join(wrong)} not allowed")

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.name}"


#: The default TreatMissingData of the checks: a metric without data is no failure.
NOT_BREACHING = "notBreaching"
#: The statistics a latency or duration check's override may choose.
PERCENTILE_STATISTICS: tuple[str, ...] = ("p90", "p95", "p99", "p50", "p99.9", "Maximum",
                                          "Average")


def checks_of(kind: str, checks: Mapping[str, Check]) -> tuple[Check, ...]:
    """The checks of one kind, among ``checks`` (by key)."""
    return tuple(c for c in checks.values() if c.kind == kind)


@dataclass(frozen=True)
class AlarmSettings:
    """Overrides for one check; ``None`` inherits the default.

    :param threshold: in the check's unit (see the table in docs/alarms.md); for anomaly
        checks, the band width in standard deviations.
    :param period: metric period, a whole number of minutes, 1 minute to 1 day.
    :param evaluation_periods: periods evaluated (1 or more; period x this <= 1 day).
    :param datapoints_to_alarm: breaching periods needed (1..evaluation_periods).
    :param treat_missing_data: breaching, notBreaching, ignore or missing.
    :param statistic: for latency and duration checks: p50, p90, p95, p99, p99.9,
        Maximum or Average.
    :param severity: critical (notifies through the service-health composite) or warning
        (notifies directly). Security alarms always notify directly.
    :param enabled: False switches the alarm off; True turns on a check whose default
        condition does not hold (e.g. ``function.traffic_anomaly``).
    """

    threshold: float | None = None
    period: cdk.Duration | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str | None = None
    statistic: str | None = None
    severity: str | None = None
    enabled: bool | None = None

    def merged_over(self, base: AlarmSettings) -> AlarmSettings:
        """``base`` with this object's non-None fields on top."""
        changes = {f.name: getattr(self, f.name) for f in fields(self)
                   if getattr(self, f.name) is not None}
        return replace(base, **changes)


@dataclass(frozen=True)
class Resolved:
    """The settings an alarm is built with: a check's defaults with overrides applied."""

    check: Check
    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    statistic: str
    severity: str
    enabled: bool | None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_settings(settings: Any, check: Check, option: str) -> AlarmSettings:
    """Validate one ``AlarmSettings`` for ``check``; ``option`` names it in errors."""
    if not isinstance(settings, AlarmSettings):
        raise ValueError(f"{option}={settings!r} must be an AlarmSettings")
    s = settings
    if s.threshold is not None:
        if not _is_number(s.threshold):
            raise ValueError(f"{option}.threshold={s.threshold!r} must be a number")
        if s.threshold < check.minimum or (check.maximum is not None
                                           and s.threshold > check.maximum):
            upper = f" and {check.maximum:g}" if check.maximum is not None else ""
            low = "at least" if check.maximum is None else "between"
            raise ValueError(
                f"{option}.threshold={s.threshold!r} is out of range: {check.key} takes "
                f"{low} {check.minimum:g}{upper} ({check.unit})"
            )
    if s.period is not None:
        if not isinstance(s.period, cdk.Duration):
            raise ValueError(f"{option}.period={s.period!r} must be a cdk.Duration")
        seconds = s.period.to_seconds()
        if seconds < 60 or seconds % 60 or seconds > MAX_EVALUATION_SECONDS:
            raise ValueError(
                f"{option}.period={seconds:g}s is not allowed: use whole minutes, from 1 "
                "minute to 1 day"
            )
    for name in ("evaluation_periods", "datapoints_to_alarm"):
        value = getattr(s, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise ValueError(f"{option}.{name}={value!r} must be a whole number >= 1")
    if s.treat_missing_data is not None and s.treat_missing_data not in TREAT_MISSING_DATA:
        raise ValueError(
            f"{option}.treat_missing_data={s.treat_missing_data!r} is not allowed: use one of "
            f"{', '.join(TREAT_MISSING_DATA)}"
        )
    if s.statistic is not None and s.statistic not in check.statistics:
        allowed = ", ".join(check.statistics) or "none (this check's statistic is fixed)"
        raise ValueError(
            f"{option}.statistic={s.statistic!r} is not allowed for {check.key}: use {allowed}"
        )
    if s.severity is not None and s.severity not in SEVERITIES:
        raise ValueError(
            f"{option}.severity={s.severity!r} is not allowed: use one of {', '.join(SEVERITIES)}"
        )
    if s.enabled is not None and not isinstance(s.enabled, bool):
        raise ValueError(f"{option}.enabled={s.enabled!r} must be True or False")
    # The combination with the defaults must be valid too.
    resolve(check, (s,), option)
    return s


def resolve(check: Check, layers: tuple[AlarmSettings, ...], option: str) -> Resolved:
    """Apply override layers (lowest precedence first) to ``check``'s defaults."""
    merged = AlarmSettings()
    for layer in layers:
        merged = layer.merged_over(merged)
    period = int(merged.period.to_seconds()) if merged.period is not None else check.period
    evals = merged.evaluation_periods or check.evaluation_periods
    datapoints = merged.datapoints_to_alarm
    if datapoints is None:
        # Keep the default's "M out of N" shape when only N changes.
        datapoints = evals if check.datapoints_to_alarm == check.evaluation_periods else min(
            check.datapoints_to_alarm, evals)
    if datapoints > evals:
        raise ValueError(
            f"{option}.datapoints_to_alarm={datapoints} is more than evaluation_periods={evals}"
        )
    if period * evals > MAX_EVALUATION_SECONDS:
        raise ValueError(
            f"{option}: period ({period}s) x evaluation_periods ({evals}) = {period * evals}s "
            f"is more than one day ({MAX_EVALUATION_SECONDS}s), which CloudWatch does not allow"
        )
    return Resolved(
        check=check,
        threshold=check.threshold if merged.threshold is None else float(merged.threshold),
        period=period,
        evaluation_periods=evals,
        datapoints_to_alarm=datapoints,
        treat_missing_data=merged.treat_missing_data or check.treat_missing_data,
        statistic=merged.statistic or check.statistic,
        severity=merged.severity or check.severity,
        enabled=merged.enabled,
    )


def validate_overrides(
    overrides: Mapping[str, AlarmSettings] | None, option: str, kind: str | None = None, *,
    checks: Mapping[str, Check],
) -> dict[str, AlarmSettings]:
    """Validate ``alarm_overrides`` (keys ``kind.check``) or, with ``kind``, a resource's
    ``alarms`` (keys ``check``). Unknown names raise, listing the valid ones.

    :param checks: the checks known, by key: ``kinds.registry.known_checks()``, so that
        kinds added to the registry count too.
    """
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ValueError(f"{option}={overrides!r} must be a dict of name -> AlarmSettings")
    out: dict[str, AlarmSettings] = {}
    for name, settings in overrides.items():
        key = f"{kind}.{name}" if kind else name
        check = checks.get(key) if isinstance(name, str) else None
        if check is None:
            valid = [c.name for c in checks_of(kind, checks)] if kind else list(checks)
            raise ValueError(
                f"{option} has an unknown check {name!r}: use one of {', '.join(valid)}"
            )
        out[name] = validate_settings(settings, check, f"{option}[{name!r}]")
    return out


__all__ = [
    "NOT_BREACHING",
    "PERCENTILE_STATISTICS",
    "AlarmSettings",
    "Check",
    "Resolved",
    "checks_of",
    "resolve",
    "validate_overrides",
    "validate_settings",
]
