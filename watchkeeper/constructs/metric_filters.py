"""Metric filters that count watchkeeper's log metrics on one log group."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, Literal

from aws_cdk import Token
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.limits import MAX_METRIC_FILTER_DIMENSIONS as MAX_DIMENSIONS
from watchkeeper.limits import MAX_METRIC_FILTERS_PER_LOG_GROUP as MAX_FILTERS_PER_LOG_GROUP
from watchkeeper.log_metrics import (
    COMPACT_METRIC_NAMES,
    JSON_METRIC_NAMES,
    MAX_PATTERN_LENGTH,
    LogMetric,
    log_metric,
)
from watchkeeper.testing.filter_pattern import MAX_REGEX_PATTERNS_PER_LOG_GROUP, has_regex

LogFormat = Literal["JSON", "TEXT", "UNKNOWN"]

#: Values allowed for ``log_format``.
LOG_FORMATS: Final = ("JSON", "TEXT", "UNKNOWN")

# CloudWatch namespaces: ASCII letters, digits, '.', '-', '_', '/', '#', ':' and space; the
# metric-filter API also refuses ':' (and '*', '$'). "AWS/" is reserved for AWS services.
_NAMESPACE_RE: Final = re.compile(r"[A-Za-z0-9._/# -]{1,255}")
_NAMESPACE_RULE: Final = (
    "1-255 characters of letters, digits, '.', '-', '_', '/', '#' and space, not all spaces, "
    "not starting with 'AWS/'"
)
# Metric names: the metric-filter API refuses ':', '*' and '$'; CloudWatch wants ASCII.
_METRIC_NAME_RE: Final = re.compile(r"[\x20-\x7e]{1,255}")
_METRIC_NAME_RULE: Final = "1-255 printable ASCII characters other than ':', '*' and '$'"
_LOG_GROUP_NAME_RE: Final = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
_DIMENSION_KEY_RE: Final = re.compile(r"[\x20-\x7e]{1,255}")
_DIMENSION_VALUE_RE: Final = re.compile(r"\$(?:\.[A-Za-z0-9_\-]+(?:\[\d+\])*)+")
_STANDARD_UNITS: Final = frozenset(
    (
        "Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits "
        "Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second "
        "Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second "
        "Megabits/Second Gigabits/Second Terabits/Second Count/Second None"
    ).split()
)


class LogMetricFilters(Construct):
    """Metric filters (``AWS::Logs::MetricFilter``) that count log metrics on one log group.

    Each metric gets one filter (two on a group of Text or unknown format, see
    ``log_format``); each matching log event adds 1 (unit Count) to the metric
    ``<namespace>/<metric name>``.

    :param log_group_name: name of the log group the filters read (a token is accepted).
    :param namespace: CloudWatch namespace of the metrics, e.g.
        ``watchkeeper.schema.metric_namespace("orders")``.
    :param metrics: the metrics to count: names (see ``watchkeeper.log_metrics.LOG_METRICS``)
        or :class:`~watchkeeper.log_metrics.LogMetric` objects of your own. Default: for
        ``log_format="JSON"`` the four health metrics and the six security metrics (10
        filters); otherwise ``Errors``, ``Timeouts`` and the combined ``SecurityEvents``
        (5 filters, see ``log_format``), because such groups are one per function and every
        filter is multiplied by the number of functions.
    :param log_format: the Lambda log format of the functions writing to the group:
        ``"JSON"`` (default; one JSON-pattern filter per metric), ``"TEXT"`` or
        ``"UNKNOWN"``: a metric with a text pattern then gets two filters publishing to the
        same metric, its JSON pattern (JSON records: Powertools writes JSON in every format)
        and its text pattern (a regular expression that matches only the level markers and
        platform lines the runtimes write at the start of a Text-format line); an event
        matches at most one of the two. Security events are JSON lines in every format, so
        they keep their JSON patterns only.
    :param dimensions: up to 3 dimensions, name -> JSON selector of the log event
        (``{"Operation": "$.operation"}``). Default: none. Every distinct value is one custom
        metric billed monthly: use low-cardinality fields only. Needs ``log_format="JSON"``.
    :param default_value: value published when log events arrive and none matches.
        Default: ``"auto"``, which is 0 for filters without dimensions (as AWS recommends:
        the metric then has a datapoint, 0, for every period in which the group received
        events, so sums and anomaly bands see the quiet periods) and nothing for filters
        with dimensions (CloudWatch refuses a default value there). ``None`` publishes
        nothing when nothing matches; a number publishes that number (not allowed together
        with ``dimensions``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_group_name: str,
        namespace: str,
        metrics: Sequence[str | LogMetric] | None = None,
        log_format: LogFormat = "JSON",
        dimensions: Mapping[str, str] | None = None,
        default_value: float | Literal["auto"] | None = "auto",
    ) -> None:
        super().__init__(scope, id)
        _validate_namespace(namespace)
        if log_format not in LOG_FORMATS:
            raise ValueError(
                f"log_format {log_format!r} is not allowed; use one of: {', '.join(LOG_FORMATS)}"
            )
        _validate_log_group_name(log_group_name)
        selected = _select_metrics(metrics, log_format)
        dimension_list = _validate_dimensions(dimensions)
        if dimension_list and log_format != "JSON":
            raise ValueError(
                f"dimensions {dict(dimensions or {})!r} need JSON log events; log_format "
                f"{log_format!r} counts with text patterns, which have no fields. Use "
                "log_format='JSON' or no dimensions"
            )
        if isinstance(default_value, str):
            if default_value != "auto":
                raise ValueError(
                    f"default_value {default_value!r} is not allowed; use 'auto' (0 without "
                    "dimensions), None (publish nothing) or a number"
                )
            default_value = None if dimension_list else 0
        if dimension_list and default_value is not None:
            raise ValueError(
                f"default_value {default_value!r} is not allowed together with dimensions: "
                "CloudWatch refuses a metric filter with both. Use one or the other"
            )

        self.namespace = namespace
        self.log_format: LogFormat = log_format
        self.metrics: tuple[LogMetric, ...] = selected
        #: The names of the metrics the filters publish, in filter order.
        self.metric_names: list[str] = [m.name for m in selected]
        #: The ``AWS::Logs::MetricFilter`` resources, in metric order.
        self.filters: list[logs.CfnMetricFilter] = []

        # Build plain Python data and make ONE jsii call per resource (the L1 constructor):
        # the L2 MetricFilter and FilterPattern helpers cost several Node round trips each,
        # which adds up at hundreds of functions.
        for metric in selected:
            transformation = logs.CfnMetricFilter.MetricTransformationProperty(
                metric_name=metric.name,
                metric_namespace=namespace,
                metric_value="1",
                unit=metric.unit,
                default_value=default_value,
                dimensions=[
                    logs.CfnMetricFilter.DimensionProperty(key=k, value=v)
                    for k, v in dimension_list
                ]
                or None,
            )
            # CloudWatch refuses a filter with both; guarded by the validation above.
            assert not (dimension_list and default_value is not None)
            for suffix, pattern in filter_patterns_for(metric, log_format):
                self.filters.append(
                    logs.CfnMetricFilter(
                        self,
                        metric.name + suffix,
                        log_group_name=log_group_name,
                        filter_pattern=pattern,
                        metric_transformations=[transformation],
                    )
                )


#: Construct id suffix of the filter that counts a metric's text pattern.
TEXT_FILTER_SUFFIX: Final = "Text"


def filter_patterns_for(metric: LogMetric, log_format: LogFormat) -> list[tuple[str, str]]:
    """The ``(construct id suffix, pattern)`` of each filter that counts ``metric`` on a
    group of the given log format: the JSON pattern, plus the text pattern on a group of
    Text or unknown format."""
    patterns = [("", metric.json_pattern)]
    if log_format != "JSON" and metric.text_pattern is not None:
        patterns.append((TEXT_FILTER_SUFFIX, metric.text_pattern))
    return patterns


def _validate_log_group_name(name: str) -> None:
    if isinstance(name, str) and Token.is_unresolved(name):
        return
    if not isinstance(name, str) or not _LOG_GROUP_NAME_RE.fullmatch(name):
        raise ValueError(
            f"log_group_name {name!r} is not allowed; use 1-512 characters of letters, digits, "
            "'.', '-', '_', '/' and '#' (or a token such as log_group.log_group_name)"
        )


def _validate_namespace(namespace: str) -> None:
    if (
        not isinstance(namespace, str)
        or Token.is_unresolved(namespace)
        or not _NAMESPACE_RE.fullmatch(namespace)
        or not namespace.strip()
        or namespace.startswith("AWS/")
    ):
        raise ValueError(f"namespace {namespace!r} is not allowed; use {_NAMESPACE_RULE}")


def _select_metrics(
    metrics: Sequence[str | LogMetric] | None, log_format: LogFormat
) -> tuple[LogMetric, ...]:
    if metrics is None:
        names = JSON_METRIC_NAMES if log_format == "JSON" else COMPACT_METRIC_NAMES
        return tuple(log_metric(n) for n in names)
    if isinstance(metrics, str):
        raise ValueError(f"metrics {metrics!r} must be a list of metric names, not one string")
    selected: list[LogMetric] = []
    for item in metrics:
        metric = item if isinstance(item, LogMetric) else log_metric(item)
        if not _METRIC_NAME_RE.fullmatch(metric.name) or any(c in metric.name for c in ":*$"):
            raise ValueError(f"metric name {metric.name!r} is not allowed; use {_METRIC_NAME_RULE}")
        if metric.unit not in _STANDARD_UNITS:
            raise ValueError(
                f"unit {metric.unit!r} of metric {metric.name!r} is not a CloudWatch unit; use "
                f"one of: {', '.join(sorted(_STANDARD_UNITS))}"
            )
        for _, pattern in filter_patterns_for(metric, log_format):
            if len(pattern) > MAX_PATTERN_LENGTH:
                raise ValueError(
                    f"the filter pattern of metric {metric.name!r} is {len(pattern)} characters "
                    f"long; CloudWatch allows at most {MAX_PATTERN_LENGTH}"
                )
        if any(m.name == metric.name for m in selected):
            raise ValueError(f"metrics names {metric.name!r} twice; name each metric once")
        selected.append(metric)
    if not selected:
        raise ValueError("metrics must name at least one metric (or be None for the default)")
    filters = sum(len(filter_patterns_for(m, log_format)) for m in selected)
    if filters > MAX_FILTERS_PER_LOG_GROUP:
        raise ValueError(
            f"metrics names {len(selected)} metrics, which take {filters} metric filters on a "
            f"log group of format {log_format!r}; a log group takes at most "
            f"{MAX_FILTERS_PER_LOG_GROUP} metric filters"
        )
    regex_filters = sum(
        has_regex(p) for m in selected for _, p in filter_patterns_for(m, log_format)
    )
    if regex_filters > MAX_REGEX_PATTERNS_PER_LOG_GROUP:
        raise ValueError(
            f"metrics names {len(selected)} metrics, whose filters hold {regex_filters} "
            f"patterns with a regular expression on a log group of format {log_format!r}; "
            f"CloudWatch allows at most {MAX_REGEX_PATTERNS_PER_LOG_GROUP} per log group"
        )
    return tuple(selected)


def _validate_dimensions(dimensions: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if not dimensions:
        return []
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValueError(
            f"dimensions has {len(dimensions)} entries ({', '.join(dimensions)}); a metric "
            f"filter takes at most {MAX_DIMENSIONS}"
        )
    for key, value in dimensions.items():
        if not isinstance(key, str) or not _DIMENSION_KEY_RE.fullmatch(key) or key[0] == ":":
            raise ValueError(
                f"dimension name {key!r} is not allowed; use 1-255 printable ASCII characters "
                "not starting with ':'"
            )
        if not isinstance(value, str) or not _DIMENSION_VALUE_RE.fullmatch(value):
            raise ValueError(
                f"dimension {key!r} value {value!r} is not allowed; use a JSON selector of the "
                "log event such as '$.operation'"
            )
    return sorted(dimensions.items())
