"""Alarm settings: the defaults of every check, and validated overrides.

Every alarm watchkeeper creates is one *check* of one *kind* of resource: ``function.errors``,
``queue.dlq_messages``, ``security.authz_failures``... ``CHECKS`` holds the production default
of each (the README table is generated from it). ``AlarmSettings`` overrides some fields of a
check; fields left ``None`` inherit. Overrides apply in this order, later wins:

1. the default in ``CHECKS``;
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

from watchkeeper import schema
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
    category: str
    unit: str
    #: Name of the first saved query to run (``schema.QueryName``).
    query: str
    minimum: float = 0.0
    maximum: float | None = None
    anomaly: bool = False
    missing_as_zero: bool = False
    statistics: tuple[str, ...] = ()
    #: Created without being asked for only under the condition in ``when`` (docs).
    when: str = "always"

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.name}"


def _c(kind: str, name: str, title: str, metric: str, statistic: str, threshold: float,
       comparison: str, period: int, evals: int, datapoints: int, missing: str,
       severity: str, unit: str, query: str, **extra: Any) -> Check:
    category = extra.pop("category", OPERATIONAL)
    return Check(kind, name, title, metric, statistic, threshold, comparison, period, evals,
                 datapoints, missing, severity, category, unit, query, **extra)


_Q = schema.QueryName
_NB = "notBreaching"
_PCT = ("p90", "p95", "p99", "p50", "p99.9", "Maximum", "Average")
#: Every check, in documentation order.
CHECKS: tuple[Check, ...] = (
    # Lambda functions (AWS/Lambda, dimension FunctionName)
    _c("function", "errors", "errors", "Errors", "Sum", 0, GT, 60, 3, 3, _NB,
       "critical", "errors per minute", _Q.RECENT_ERRORS),
    # Opt-in: at the defaults it can only fire when `errors` (> 0, same 3 of 3) fires too,
    # so it would add $0.20 per function per month and no detection. It is the alarm for
    # busy functions where some errors are normal (switch `errors` off or raise it).
    _c("function", "error_rate", "error rate", "100*Errors/Invocations", "Sum", 5, GT, 60, 3, 3,
       _NB, "critical", "% of invocations", _Q.RECENT_ERRORS, maximum=100,
       when="opted in (AlarmSettings(enabled=True)), e.g. for busy functions with "
            "`errors` switched off"),
    _c("function", "throttles", "throttles", "Throttles", "Sum", 0, GT, 60, 5, 5, _NB,
       "critical", "throttles per minute", _Q.RECENT_ERRORS),
    _c("function", "duration", "p90 duration near timeout", "Duration", "p90", 0, GT, 60, 15,
       15, _NB, "warning", "ms (default: duration_threshold_share of the timeout)",
       _Q.SLOWEST_INVOCATIONS, statistics=_PCT),
    _c("function", "concurrency", "concurrency near its limit", "ConcurrentExecutions",
       "Maximum", 0, GT, 60, 10, 10, _NB, "warning",
       "executions (default: 90% of reserved concurrency)", _Q.SLOWEST_INVOCATIONS,
       minimum=1, when="the function has reserved concurrency"),
    _c("function", "iterator_age", "stream iterator age", "IteratorAge", "Maximum", 60_000, GT,
       60, 15, 15, _NB, "warning", "ms", _Q.RECENT_ERRORS,
       when="a Kinesis or DynamoDB stream event source mapping"),
    _c("function", "async_events_dropped", "async events dropped", "AsyncEventsDropped", "Sum",
       0, GT, 60, 1, 1, _NB, "critical", "events per minute", _Q.RECENT_ERRORS,
       when="invoked asynchronously"),
    _c("function", "async_event_age", "async event age", "AsyncEventAge", "Maximum", 300_000, GT,
       60, 5, 5, _NB, "warning", "ms", _Q.RECENT_ERRORS, when="invoked asynchronously"),
    _c("function", "dead_letter_errors", "dead-letter delivery errors", "DeadLetterErrors",
       "Sum", 0, GT, 60, 1, 1, _NB, "critical", "errors per minute", _Q.RECENT_ERRORS,
       when="a dead-letter queue or topic"),
    _c("function", "traffic_anomaly", "invocations above the expected band", "Invocations",
       "Sum", 3, ANOMALY_UPPER, 300, 3, 2, _NB, "warning", "standard deviations",
       _Q.RECENT_ERRORS, category=SECURITY, anomaly=True, minimum=0.1, maximum=10,
       when="opted in per function (AlarmSettings(enabled=True)); APIs have one by default"),
    # Service-wide: the account's concurrency, and health metrics from the service's logs
    _c("service", "account_concurrency", "account concurrency near its limit",
       "ConcurrentExecutions (account)", "Maximum", 0, GT, 60, 10, 10, _NB, "warning",
       "executions (default: 90% of concurrency_limit)", _Q.SLOWEST_INVOCATIONS, minimum=1),
    _c("service", "timeouts", "function timeouts", schema.HealthMetric.TIMEOUTS, "Sum", 0, GT,
       60, 1, 1, _NB, "critical", "timeouts per minute", _Q.TIMEOUTS),
    _c("service", "out_of_memory", "functions out of memory", schema.HealthMetric.OUT_OF_MEMORY,
       "Sum", 0, GT, 60, 1, 1, _NB, "critical", "events per minute", _Q.SLOWEST_INVOCATIONS),
    # HTTP APIs (AWS/ApiGateway, ApiId + Stage)
    _c("http_api", "server_errors", "5xx responses", "5xx", "Sum", 5, GTE, 60, 3, 3, _NB,
       "critical", "responses per minute", _Q.RECENT_ERRORS),
    _c("http_api", "server_error_rate", "5xx rate", "5xx", "Average", 0.05, GT, 60, 3, 3, _NB,
       "critical", "share of requests (0-1)", _Q.RECENT_ERRORS, maximum=1),
    _c("http_api", "client_error_rate", "4xx rate", "4xx", "Average", 0.05, GT, 60, 5, 5, _NB,
       "warning", "share of requests (0-1)", _Q.VALIDATION_FAILURES_BY_FIELD, maximum=1),
    _c("http_api", "latency", "p90 latency", "Latency", "p90", 2500, GT, 60, 5, 5, _NB,
       "warning", "ms", _Q.SLOWEST_INVOCATIONS, statistics=_PCT),
    _c("http_api", "traffic_anomaly", "requests above the expected band", "Count", "Sum", 3,
       ANOMALY_UPPER, 300, 3, 2, _NB, "warning", "standard deviations", _Q.TOP_OFFENDERS,
       category=SECURITY, anomaly=True, minimum=0.1, maximum=10),
    # REST APIs (AWS/ApiGateway, ApiName + Stage)
    _c("rest_api", "server_errors", "5XX responses", "5XXError", "Sum", 5, GTE, 60, 3, 3, _NB,
       "critical", "responses per minute", _Q.RECENT_ERRORS),
    _c("rest_api", "server_error_rate", "5XX rate", "5XXError", "Average", 0.05, GT, 60, 3, 3,
       _NB, "critical", "share of requests (0-1)", _Q.RECENT_ERRORS, maximum=1),
    _c("rest_api", "client_error_rate", "4XX rate", "4XXError", "Average", 0.05, GT, 60, 5, 5,
       _NB, "warning", "share of requests (0-1)", _Q.VALIDATION_FAILURES_BY_FIELD, maximum=1),
    _c("rest_api", "latency", "p90 latency", "Latency", "p90", 2500, GT, 60, 5, 5, _NB,
       "warning", "ms", _Q.SLOWEST_INVOCATIONS, statistics=_PCT),
    _c("rest_api", "traffic_anomaly", "requests above the expected band", "Count", "Sum", 3,
       ANOMALY_UPPER, 300, 3, 2, _NB, "warning", "standard deviations", _Q.TOP_OFFENDERS,
       category=SECURITY, anomaly=True, minimum=0.1, maximum=10),
    # SQS queues (AWS/SQS, QueueName)
    _c("queue", "age", "oldest message age", "ApproximateAgeOfOldestMessage", "Maximum", 300,
       GT, 60, 15, 15, _NB, "warning", "seconds", _Q.RECENT_ERRORS, maximum=1_209_600,
       when="not a dead-letter queue"),
    _c("queue", "dlq_messages", "messages on the dead-letter queue",
       "ApproximateNumberOfMessagesVisible", "Maximum", 0, GT, 60, 1, 1, _NB, "critical",
       "messages", _Q.RECENT_ERRORS, when="a dead-letter queue"),
    # DynamoDB tables (AWS/DynamoDB, TableName)
    # (missing data filled with 0: CloudWatch ignores TreatMissingData for AWS/DynamoDB)
    _c("table", "read_throttles", "read throttle events", "ReadThrottleEvents", "Sum", 0, GT,
       60, 5, 5, _NB, "warning", "events per minute", _Q.RECENT_ERRORS, missing_as_zero=True),
    _c("table", "write_throttles", "write throttle events", "WriteThrottleEvents", "Sum", 0, GT,
       60, 5, 5, _NB, "warning", "events per minute", _Q.RECENT_ERRORS, missing_as_zero=True),
    _c("table", "system_errors", "system errors", "SystemErrors (sum of 10 operations)", "Sum",
       0, GT, 60, 15, 15, _NB, "critical", "errors per minute", _Q.RECENT_ERRORS,
       missing_as_zero=True),
    # Step Functions state machines (AWS/States, StateMachineArn)
    _c("state_machine", "failed", "executions failed", "ExecutionsFailed", "Sum", 0, GT, 60, 1,
       1, _NB, "critical", "executions per minute", _Q.RECENT_ERRORS),
    _c("state_machine", "timed_out", "executions timed out", "ExecutionsTimedOut", "Sum", 0, GT,
       60, 1, 1, _NB, "critical", "executions per minute", _Q.RECENT_ERRORS),
    _c("state_machine", "throttled", "executions throttled", "ExecutionThrottled", "Sum", 0, GT,
       60, 5, 5, _NB, "warning", "events per minute", _Q.RECENT_ERRORS),
    _c("state_machine", "aborted", "executions aborted", "ExecutionsAborted", "Sum", 0, GT, 60,
       1, 1, _NB, "warning", "executions per minute", _Q.RECENT_ERRORS),
    # Security metrics from the service's logs (no dimensions)
    _c("security", "authn_failures", "authentication failures",
       schema.SecurityMetric.AUTHN_FAILURES, "Sum", 20, GTE, 300, 1, 1, _NB, "warning",
       "failures per 5 minutes", _Q.AUTH_FAILURES_BY_SOURCE, category=SECURITY),
    _c("security", "authn_failures_anomaly", "authentication failures above the expected band",
       schema.SecurityMetric.AUTHN_FAILURES, "Sum", 3, ANOMALY_UPPER, 300, 3, 2, _NB, "warning",
       "standard deviations", _Q.AUTH_FAILURES_BY_SOURCE, category=SECURITY, anomaly=True,
       minimum=0.1,
       maximum=10),
    _c("security", "authz_failures", "authorisation failures",
       schema.SecurityMetric.AUTHZ_FAILURES, "Sum", 1, GTE, 60, 1, 1, _NB, "warning",
       "failures per minute", _Q.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY),
    _c("security", "input_validation", "input validation failures",
       schema.SecurityMetric.INPUT_VALIDATION_FAILURES, "Sum", 50, GTE, 300, 1, 1, _NB,
       "warning", "failures per 5 minutes", _Q.VALIDATION_FAILURES_BY_FIELD, category=SECURITY),
    _c("security", "malicious_requests", "malicious requests",
       schema.SecurityMetric.MALICIOUS_REQUESTS, "Sum", 1, GTE, 60, 1, 1, _NB, "warning",
       "events per minute", _Q.TOP_OFFENDERS, category=SECURITY),
    _c("security", "security_events", "security events", schema.SECURITY_EVENTS_METRIC, "Sum",
       10, GTE, 300, 1, 1, _NB, "warning", "events per 5 minutes", _Q.TOP_OFFENDERS,
       category=SECURITY,
       when="log groups of functions deployed elsewhere (their compact filter set counts "
            "every security event in one metric)"),
    # Top offenders: the top contributor of a Contributor Insights rule on the service's
    # logs (contributor_insights.py), where one source or user hides in the service count.
    _c("security", "top_authn_failure_source", "authentication failures from one source IP",
       f"MaxContributorValue (authn failures by {schema.Field.SOURCE_IP})", "Maximum", 10, GTE,
       300, 1, 1, _NB, "warning", "failures per 5 minutes from one address",
       _Q.AUTH_FAILURES_BY_SOURCE, category=SECURITY, minimum=1,
       when="DetectionOptions.top_offenders (default True) and the service has function logs"),
    _c("security", "top_authn_failure_user", "authentication failures against one user",
       f"MaxContributorValue (authn failures by {schema.Field.USER_ID})", "Maximum", 10, GTE,
       300, 1, 1, _NB, "warning", "failures per 5 minutes for one user",
       _Q.AUTH_FAILURES_BY_SOURCE, category=SECURITY, minimum=1,
       when="DetectionOptions.top_offenders (default True) and the service has function logs"),
    # Opt-in: `security.authz_failures` fires at the first denial per minute already.
    _c("security", "top_authz_failure_source", "authorisation failures from one source IP",
       f"MaxContributorValue (authz failures by {schema.Field.SOURCE_IP})", "Maximum", 5, GTE,
       300, 1, 1, _NB, "warning", "failures per 5 minutes from one address",
       _Q.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY, minimum=1,
       when="opted in (AlarmSettings(enabled=True)); the rule and its widget always exist"),
    _c("security", "top_authz_failure_user", "authorisation failures by one user",
       f"MaxContributorValue (authz failures by {schema.Field.USER_ID})", "Maximum", 5, GTE,
       300, 1, 1, _NB, "warning", "failures per 5 minutes by one user",
       _Q.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY, minimum=1,
       when="opted in (AlarmSettings(enabled=True)); the rule and its widget always exist"),
)

#: Checks whose alarms contributor_insights.py builds on its rules (names start with it).
TOP_OFFENDER_CHECK_PREFIX = "top_"

CHECKS_BY_KEY: Mapping[str, Check] = {c.key: c for c in CHECKS}
KINDS: tuple[str, ...] = tuple(dict.fromkeys(c.kind for c in CHECKS))


def checks_of(kind: str, checks: Mapping[str, Check] | None = None) -> tuple[Check, ...]:
    """The checks of one kind, among ``checks`` (default: the built-in ``CHECKS``)."""
    return tuple(c for c in (checks or CHECKS_BY_KEY).values() if c.kind == kind)


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
    overrides: Mapping[str, AlarmSettings] | None, option: str, kind: str | None = None,
    checks: Mapping[str, Check] | None = None,
) -> dict[str, AlarmSettings]:
    """Validate ``alarm_overrides`` (keys ``kind.check``) or, with ``kind``, a resource's
    ``alarms`` (keys ``check``). Unknown names raise, listing the valid ones.

    :param checks: the checks known, by key. Default: the built-in ``CHECKS``; callers pass
        ``kinds.registry.known_checks()`` so that kinds added to the registry count too.
    """
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ValueError(f"{option}={overrides!r} must be a dict of name -> AlarmSettings")
    out: dict[str, AlarmSettings] = {}
    known = checks or CHECKS_BY_KEY
    for name, settings in overrides.items():
        key = f"{kind}.{name}" if kind else name
        check = known.get(key) if isinstance(name, str) else None
        if check is None:
            valid = [c.name for c in checks_of(kind, known)] if kind else list(known)
            raise ValueError(
                f"{option} has an unknown check {name!r}: use one of {', '.join(valid)}"
            )
        out[name] = validate_settings(settings, check, f"{option}[{name!r}]")
    return out


__all__ = [
    "CHECKS",
    "CHECKS_BY_KEY",
    "AlarmSettings",
    "Check",
    "Resolved",
    "checks_of",
    "resolve",
    "validate_overrides",
    "validate_settings",
]
