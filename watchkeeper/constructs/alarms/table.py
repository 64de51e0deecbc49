"""The table of default alarms in docs/alarms.md and the README, generated from every
check (``kinds.registry.known_checks()``: each registered kind's ``ResourceKind.checks``,
the service-wide checks after the functions', the security checks last).

A test compares the document with this output, so the table cannot drift from the code.
"""

from __future__ import annotations

from watchkeeper.constructs.alarms.settings import ANOMALY_UPPER, GT, GTE, LT, SECURITY
from watchkeeper.pricing import ALARM_METRIC_STANDARD_USD, ANOMALY_DETECTION_ALARM_METRICS

_SYMBOL = {GT: ">", GTE: ">=", LT: "<", ANOMALY_UPPER: "above band"}


def metrics_billed(check_key: str, metric: str = "") -> int:
    # A rate is metric math over two metrics ("100*Errors/Invocations"): both are billed.
    if check_key == "function.error_rate" or "/" in metric:
        return 2
    if check_key == "table.system_errors":
        return 10
    return ANOMALY_DETECTION_ALARM_METRICS if check_key.endswith("anomaly") else 1


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min"


def _threshold(check) -> str:
    if check.key == "function.duration":
        return "> 80% of timeout"
    if check.key in ("function.concurrency",):
        return "> 90% of reserved"
    if check.key == "service.account_concurrency":
        return "> 90% of limit"
    if check.key == "stream.iterator_age":
        return "> 50% of retention"
    if check.anomaly:
        return f"band {check.threshold:g} sd"
    return f"{_SYMBOL[check.comparison]} {check.threshold:g}"


def default_alarm_table() -> str:
    rows = [
        "| check | metric | statistic | threshold | period | datapoints | time to detect "
        "| missing data | notifies | created when | $/month |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    # Imported here: the registry imports every kind module, which import alarms.
    from watchkeeper.constructs.kinds.registry import known_checks

    for c in known_checks().values():
        routing = ("direct (security)" if c.category == SECURITY
                   else "via composite" if c.severity == "critical" else "direct")
        detect = _minutes(c.period * c.datapoints_to_alarm)
        cost = metrics_billed(c.key, c.metric) * ALARM_METRIC_STANDARD_USD
        missing = "0 (FILL)" if c.missing_as_zero else c.treat_missing_data
        rows.append(
            f"| `{c.key}` | {c.metric} | {c.statistic} | {_threshold(c)} | {_minutes(c.period)} "
            f"| {c.datapoints_to_alarm} of {c.evaluation_periods} | ~{detect} "
            f"| {missing} | {routing} | {c.when} | {cost:.2f} |"
        )
    return "\n".join(rows)
