"""The metrics watchkeeper takes from logs, and the filter patterns that count them.

Every pattern here is derived from :mod:`watchkeeper.schema` (field names, levels, the
security vocabulary): nothing spells a field or an event name by hand. This module uses the
standard library only, so it can be imported inside a Lambda function as well as at synth.

Each :class:`LogMetric` carries a JSON pattern, which reads fields of JSON records and so
is never fooled by a word inside a message, and, for the health metrics, a text pattern: a
regular expression anchored at the start of the event, which matches only the level
markers and platform lines that the Lambda runtimes write in the Text format (never a
word of a message, never a JSON record). A log group whose format is Text or not known
gets both filters for such a metric, publishing to the same metric: every event matches
at most one of them. Security events are always written as JSON lines by the runtime
helper, whatever the function's log format, so security metrics have JSON patterns only.
``docs/metric-filters.md`` explains each choice; ``tests/corpus`` proves each pattern
against real log lines, including lines written to fool them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from watchkeeper import schema
from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH
from watchkeeper.schema import (
    ERROR_LEVELS,
    OUT_OF_MEMORY_ERROR_TYPE,
    SECURITY_EVENTS_METRIC,
    TEXT_INIT_DURATION_MARKER,
    TEXT_INIT_REPORT_MARKER,
    TEXT_REPORT_MARKER,
    TEXT_REPORT_TIMEOUT_MARKER,
    TEXT_TIMEOUT_MARKER,
    Field,
    HealthMetric,
    PlatformField,
    PlatformStatus,
    PlatformType,
    RuntimeErrorField,
)

__all__ = [
    "COMPACT_METRIC_NAMES",
    "LOG_METRICS",
    "MAX_PATTERN_LENGTH",
    "LogMetric",
    "MetricKind",
    "combined_json_pattern",
    "health_metrics",
    "log_metric",
    "security_events_metric",
    "security_metrics",
]

MetricKind = Literal["health", "security"]


@dataclass(frozen=True)
class LogMetric:
    """A metric counted from log events by a metric filter.

    ``json_pattern`` matches JSON records; ``text_pattern`` (``None`` when the events are
    JSON in every log format) matches the same facts in Text-format lines, and must match no
    event that ``json_pattern`` matches: on a group of Text or unknown format both count
    into the same metric. Every matching event adds 1 to the metric (``unit``: Count).
    """

    name: str
    kind: MetricKind
    description: str
    json_pattern: str
    text_pattern: str | None
    unit: str = "Count"

    def __post_init__(self) -> None:
        if self.kind not in ("health", "security"):
            raise ValueError(f"kind {self.kind!r} is not allowed; use 'health' or 'security'")
        for label, pattern in (
            ("json_pattern", self.json_pattern),
            ("text_pattern", self.text_pattern),
        ):
            if pattern is not None and len(pattern) > MAX_PATTERN_LENGTH:
                raise ValueError(
                    f"{label} of metric {self.name!r} is {len(pattern)} characters long; "
                    f"CloudWatch allows at most {MAX_PATTERN_LENGTH}"
                )
        if not self.json_pattern.startswith("{") or not self.json_pattern.endswith("}"):
            raise ValueError(
                f"json_pattern of metric {self.name!r} must be a JSON pattern '{{ ... }}'"
            )


# --------------------------------------------------------------------------------------
# Pattern building blocks
# --------------------------------------------------------------------------------------


def _selector(field: str) -> str:
    return f"$.{field}"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _equals(field: str, value: str) -> str:
    return f"{_selector(field)} = {_quote(value)}"


def _any_of(conditions: Iterable[str]) -> str:
    return " || ".join(conditions)


def _json(expression: str) -> str:
    return f"{{ {expression} }}"


def _inner(json_pattern: str) -> str:
    """The expression inside a JSON pattern's braces."""
    return json_pattern.strip()[1:-1].strip()


def _regex_literal(text: str) -> str:
    """``text`` as a CloudWatch regular expression: a space becomes ``\\s`` (the regex
    syntax takes no space), every character outside letters, digits and ``:_#=@/;,-`` is
    escaped."""
    out = []
    for ch in text:
        if ch == " ":
            out.append(r"\s")
        elif ch.isalnum() or ch in ":_#=@/;,-":
            out.append(ch)
        else:
            out.append("\\" + ch)
    return "".join(out)


def _line_starts(*alternatives: str) -> str:
    """A regex pattern that matches an event starting with any of ``alternatives``
    (regular expressions). Every alternative is anchored at the start of the event: a
    marker counts only where the runtime writes it, never inside a message, and never in a
    JSON record (which starts with ``{``)."""
    return "%" + "|".join(f"^{a}" for a in alternatives) + "%"


# Text-format prefixes the runtimes write before a message (see docs/metric-filters.md):
# Node.js ``<ISO timestamp>\t<requestId>\t<LEVEL>\t``; log4j2 with the Lambda appender and
# its documented layout ``<yyyy-MM-dd HH:mm:ss> <requestId> <LEVEL> `` (the request id is
# empty outside an invocation); the platform's ``<ISO timestamp> <requestId> Task timed out``.
_ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
_LOG4J_TIMESTAMP = r"\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}"


# A platform REPORT line: "REPORT RequestId: <id>\tDuration: ..." (a line that merely starts
# with "REPORT RequestId:" is not enough).
_REPORT_LINE = rf"{_regex_literal(TEXT_REPORT_MARKER)}\s\S+\sDuration:\s.*"


def _node_level(level: str) -> str:
    return rf"{_ISO_TIMESTAMP}\s\S+\s{level}\s"


def _log4j_level(level: str) -> str:
    return rf"{_LOG4J_TIMESTAMP}\s\S*\s{level}\s"


def _bracket_level(level: str) -> str:
    # Python's logging ("[ERROR]\t<timestamp>\t<requestId>\t", and "[ERROR] <Type>: ..." for
    # an unhandled exception) and Java's LambdaLogger ("[ERROR] <message>").
    return _regex_literal(f"[{level}]")


# --------------------------------------------------------------------------------------
# Health metrics
# --------------------------------------------------------------------------------------

_PLATFORM_REPORT = _equals(PlatformField.TYPE, PlatformType.REPORT)

# An error is a record at an error level, written by Python's logging under Lambda's JSON
# format or by Powertools (``level``), or by the runtime for an unhandled exception
# (``log_level``). Records that carry ``event`` are security events: they have metrics of
# their own (authz_fail logs at CRITICAL), and counting them as application errors would page
# the on-call engineer for every denied request.
_ERROR_LEVEL_CONDITIONS = [
    _equals(level_field, level)
    for level_field in (Field.LEVEL, RuntimeErrorField.LEVEL)
    for level in ERROR_LEVELS
]
# A runtime that writes its unhandled-error record without any level (the bare
# {"errorMessage","errorType","stackTrace"} object) is counted by errorType.
_LEVELLESS_ERROR_RECORD = (
    f"{_selector(Field.ERROR_TYPE)} = * && {_selector(Field.LEVEL)} NOT EXISTS && "
    f"{_selector(RuntimeErrorField.LEVEL)} NOT EXISTS"
)
_ERRORS = LogMetric(
    name=HealthMetric.ERRORS,
    kind="health",
    description=(
        "Records at ERROR, CRITICAL or FATAL (application logging, Powertools, the runtime's "
        "unhandled-error records); security events excluded"
    ),
    json_pattern=_json(
        f"({_any_of([*_ERROR_LEVEL_CONDITIONS, f'({_LEVELLESS_ERROR_RECORD})'])}) && "
        f"{_selector(Field.EVENT)} NOT EXISTS"
    ),
    # Text: the level marker each runtime writes at the start of a line, and nothing else.
    # Python writes CRITICAL where Java and Node.js write FATAL.
    text_pattern=_line_starts(
        *(_bracket_level(level) for level in ERROR_LEVELS),
        *(_node_level(level) for level in ("ERROR", "FATAL")),
        *(_log4j_level(level) for level in ("ERROR", "FATAL")),
    ),
)

# A timeout is counted once per invocation from platform.report (INFO, sent at the default
# system log level), not also from platform.runtimeDone (DEBUG, same status).
_TIMEOUTS = LogMetric(
    name=HealthMetric.TIMEOUTS,
    kind="health",
    description="Invocations that ran past the function's timeout (platform.report status)",
    json_pattern=_json(
        f"{_PLATFORM_REPORT} && {_equals(PlatformField.STATUS, PlatformStatus.TIMEOUT)}"
    ),
    # Older platform versions write "<timestamp> <requestId> Task timed out after N seconds";
    # newer ones end the REPORT line with "Status: timeout" instead (and an init that timed
    # out ends its INIT_REPORT line so).
    text_pattern=_line_starts(
        rf"{_REPORT_LINE}{_regex_literal(TEXT_REPORT_TIMEOUT_MARKER)}",
        rf"{TEXT_INIT_REPORT_MARKER}\s.*{_regex_literal(TEXT_REPORT_TIMEOUT_MARKER)}",
        rf"{_ISO_TIMESTAMP}\s\S+\s{_regex_literal(TEXT_TIMEOUT_MARKER)}",
    ),
)

_OUT_OF_MEMORY = LogMetric(
    name=HealthMetric.OUT_OF_MEMORY,
    kind="health",
    description="Invocations that ran out of memory (platform.report errorType)",
    json_pattern=_json(
        f"{_PLATFORM_REPORT} && {_equals(PlatformField.ERROR_TYPE, OUT_OF_MEMORY_ERROR_TYPE)}"
    ),
    # The Text-format REPORT line ends with "Error Type: Runtime.OutOfMemory".
    text_pattern=_line_starts(
        f"{_REPORT_LINE}{_regex_literal('Error Type: ' + OUT_OF_MEMORY_ERROR_TYPE)}"
    ),
)

# A cold start is counted from the platform.report of the invocation that waited for the
# init, which alone carries initDurationMs. platform.initStart would also count
# provisioned-concurrency pre-warming (no caller waits) and an init retried after a failure.
_COLD_STARTS = LogMetric(
    name=HealthMetric.COLD_STARTS,
    kind="health",
    description="Invocations that waited for a new execution environment (initDurationMs)",
    json_pattern=_json(f"{_PLATFORM_REPORT} && {_selector(PlatformField.INIT_DURATION_MS)} >= 0"),
    text_pattern=_line_starts(
        f"{_REPORT_LINE}{_regex_literal(TEXT_INIT_DURATION_MARKER)}:"
    ),
)


def health_metrics() -> tuple[LogMetric, ...]:
    """Errors, Timeouts, OutOfMemory, ColdStarts."""
    return (_ERRORS, _TIMEOUTS, _OUT_OF_MEMORY, _COLD_STARTS)


# --------------------------------------------------------------------------------------
# Security metrics
# --------------------------------------------------------------------------------------


def _event_conditions(globs: Iterable[str]) -> str:
    return _any_of(_equals(Field.EVENT, glob) for glob in globs)


def _security_metric(name: str) -> LogMetric:
    events = ", ".join(e.name for e in schema.events_counted_by(name))
    return LogMetric(
        name=name,
        kind="security",
        description=f"Security events {events}",
        json_pattern=_json(_event_conditions(schema.event_name_globs(name))),
        text_pattern=None,
    )


def security_metrics() -> tuple[LogMetric, ...]:
    """One metric per :class:`watchkeeper.schema.SecurityMetric`, in vocabulary order."""
    return tuple(_security_metric(name) for name in schema.security_metric_names())


def security_events_metric() -> LogMetric:
    """``SecurityEvents``: every counted security event, in ONE filter.

    For log groups that should carry few filters (one group per function deployed
    elsewhere): one metric instead of six, at the price of not telling the kinds apart on
    the metric (the saved queries still do).
    """
    globs = [g for name in schema.security_metric_names() for g in schema.event_name_globs(name)]
    return LogMetric(
        name=SECURITY_EVENTS_METRIC,
        kind="security",
        description="Every security event that a security metric counts",
        json_pattern=_json(_event_conditions(globs)),
        text_pattern=None,
    )


def combined_json_pattern(metrics: Iterable[LogMetric]) -> str:
    """One JSON pattern that matches what any of ``metrics`` matches.

    Raises ``ValueError`` when the combined pattern would pass CloudWatch's 1,024 characters.
    """
    inner = [_inner(m.json_pattern) for m in metrics]
    if not inner:
        raise ValueError("metrics must name at least one metric to combine")
    pattern = _json(inner[0] if len(inner) == 1 else _any_of(f"({e})" for e in inner))
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"the combined pattern of {len(inner)} metrics is {len(pattern)} characters long; "
            f"CloudWatch allows at most {MAX_PATTERN_LENGTH}: combine fewer metrics"
        )
    return pattern


#: Every metric by name: the four health metrics, the six security metrics and
#: ``SecurityEvents`` (read-only).
LOG_METRICS: Final = MappingProxyType(
    {m.name: m for m in (*health_metrics(), *security_metrics(), security_events_metric())}
)

#: The few filters put on a log group that should carry as few as possible.
COMPACT_METRIC_NAMES: Final = (HealthMetric.ERRORS, HealthMetric.TIMEOUTS, SECURITY_EVENTS_METRIC)
#: The filters put on a log group of JSON-format functions by default.
JSON_METRIC_NAMES: Final = tuple(m.name for m in (*health_metrics(), *security_metrics()))


def log_metric(name: str) -> LogMetric:
    """The metric called ``name``; ``ValueError`` naming the allowed names otherwise."""
    try:
        return LOG_METRICS[name]
    except KeyError:
        allowed = ", ".join(LOG_METRICS)
        raise ValueError(
            f"metric {name!r} is not a watchkeeper log metric; use one of: {allowed}"
        ) from None
