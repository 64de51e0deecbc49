"""The saved Logs Insights query catalogue: one text per question asked during an incident.

Every query text here is built from the field and event names of ``watchkeeper.schema``, so
a record written by the runtime helper, by Python's ``logging`` under Lambda's JSON format,
by Powertools Logger, by the Lambda runtime itself (unhandled errors, with ``log_level``)
and by the Lambda platform (``platform.report``) is found by the same query. Where two
writers spell one fact differently the query reads both with ``coalesce()``.

The same texts feed three consumers, so nothing is written twice:
- ``watchkeeper.constructs.saved_queries`` saves them as ``AWS::Logs::QueryDefinition``s
  named ``<service>/<query name>``;
- ``watchkeeper.constructs.dashboards`` renders them into the dashboards' log widgets
  (``render_for_widget``: ``SOURCE '<group>' | ... | <text>``);
- the ``watchkeeper query`` command runs them by name.

Parameterised queries write their placeholders (``{{requestId}}``) inside quoted string
literals, so the saved text is valid Logs Insights as it is; CloudWatch's query parameters
and the CLI substitute them.

This module is imported by the CLI: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from watchkeeper import schema
from watchkeeper.limits import MAX_LOG_GROUPS_PER_QUERY
from watchkeeper.schema import (
    Field,
    PlatformField,
    PlatformStatus,
    PlatformType,
    PowertoolsField,
    RuntimeErrorField,
)
from watchkeeper.schema import SecurityMetric as Metric

#: A saved query's own name: lower-case words joined by '-' (the console folder is added).
QUERY_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Views a dashboard log widget can take.
WIDGET_VIEWS = ("table", "timeSeries", "bar", "pie")
#: ``{{name}}`` placeholder of a parameterised query (CloudWatch's query parameter syntax).
PLACEHOLDER_RE = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


@dataclass(frozen=True)
class SavedQuery:
    """One saved Logs Insights query.

    :param name: the query's name inside the service folder, ``[a-z0-9-]``
        (saved as ``<service>/<name>``).
    :param title: what a person reads (widget title, console list).
    :param description: when to run it and what to do with the answer.
    :param text: the Logs Insights query, without ``SOURCE`` commands (the log groups are
        given by the query definition or the widget).
    :param parameters: names of the ``{{placeholders}}`` in ``text``, each inside a quoted
        string literal. Default: none.
    :param widget_view: how a dashboard log widget shows the result (table, timeSeries,
        bar, pie). Default: table.
    :param parameter_descriptions: what to pass for each parameter. Default: none.
    """

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[str, ...] = ()
    widget_view: str = "table"
    parameter_descriptions: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not QUERY_NAME_RE.match(self.name):
            raise ValueError(
                f"SavedQuery name={self.name!r} is not allowed: lower-case letters, digits and "
                "single '-' between words (the '<service>/' folder is added)"
            )
        if len(self.name) > 200:
            raise ValueError(f"SavedQuery name={self.name!r} is longer than 200 characters")
        for option in ("title", "description", "text"):
            value = getattr(self, option)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"SavedQuery {option}={value!r} must be a non-empty string")
        if self.widget_view not in WIDGET_VIEWS:
            raise ValueError(
                f"SavedQuery widget_view={self.widget_view!r} is not allowed: use one of "
                f"{', '.join(WIDGET_VIEWS)}"
            )
        object.__setattr__(self, "parameters", tuple(self.parameters))
        used = tuple(dict.fromkeys(PLACEHOLDER_RE.findall(self.text)))
        if set(used) != set(self.parameters):
            raise ValueError(
                f"SavedQuery {self.name!r}: parameters={list(self.parameters)} but the text uses "
                f"placeholders {list(used)}; list exactly the {{{{name}}}} placeholders it uses"
            )

    @property
    def parameterised(self) -> bool:
        return bool(self.parameters)

    def full_name(self, service: str) -> str:
        """``<service>/<name>``: the saved query's name in the console folder."""
        return f"{schema.query_folder(service)}{self.name}"

    def substitute(self, **values: str) -> str:
        """The text with every placeholder replaced (values are escaped for a "..." literal)."""
        missing = [p for p in self.parameters if p not in values]
        if missing:
            raise ValueError(f"query {self.name!r} needs a value for {', '.join(missing)}")
        unknown = [k for k in values if k not in self.parameters]
        if unknown:
            raise ValueError(
                f"query {self.name!r} has no parameter {', '.join(unknown)} "
                f"(it takes: {', '.join(self.parameters) or 'none'})"
            )

        def replace(match: re.Match[str]) -> str:
            value = str(values[match.group(1)])
            return value.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")

        return PLACEHOLDER_RE.sub(replace, self.text)


# --------------------------------------------------------------------------------------
# Building blocks (every field name comes from watchkeeper.schema)
# --------------------------------------------------------------------------------------


def _lit(value: str) -> str:
    """A double-quoted Logs Insights string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def _event_regex(metrics: Sequence[str]) -> str:
    """A regex literal matching the ``event`` values that the security metrics count.

    Built from ``schema.event_name_globs`` (``authn_login_fail*`` -> ``authn_login_fail``),
    anchored at the start: the ``:params`` suffix of an event is allowed by the prefix match.
    """
    prefixes: list[str] = []
    for metric in metrics:
        for glob in schema.event_name_globs(metric):
            prefix = glob.rstrip("*")
            if not re.fullmatch(r"[a-z0-9_]+", prefix):  # pragma: no cover - vocabulary guard
                raise AssertionError(f"event glob {glob!r} is not a plain prefix")
            prefixes.append(prefix)
    return "/^(" + "|".join(dict.fromkeys(prefixes)) + ")/"


def _coalesce(*names: str) -> str:
    return f"coalesce({', '.join(names)})"


#: The level of any application record: ``level`` (native JSON, Powertools, the runtime
#: helper) or ``log_level`` (the runtime's unhandled-error record).
LEVEL = _coalesce(Field.LEVEL, RuntimeErrorField.LEVEL)
REQUEST_ID = _coalesce(Field.REQUEST_ID, PowertoolsField.REQUEST_ID, PlatformField.REQUEST_ID)
ERROR_TYPE = _coalesce(Field.ERROR_TYPE, PowertoolsField.EXCEPTION_NAME, PlatformField.ERROR_TYPE)
ERROR_MESSAGE = _coalesce(Field.ERROR_MESSAGE, Field.MESSAGE, "@message")
STACK_TRACE = _coalesce(Field.STACK_TRACE, PowertoolsField.STACK_TRACE, PowertoolsField.EXCEPTION)
MESSAGE = _coalesce(Field.MESSAGE, Field.ERROR_MESSAGE, "@message")
#: The function that wrote a record in a shared log group: Lambda names the stream
#: ``YYYY/MM/DD/<function>[<version>]<id>`` there; ``/aws/lambda/<name>`` groups have no
#: function part, so the log group name stands in.
_PARSE_FUNCTION = r"parse @logStream /^\d+\/\d+\/\d+\/(?<streamFunction>[^\[]+)\[/"
FUNCTION = "coalesce(streamFunction, @log)"
#: Platform report in either log format (JSON ``platform.report``; text ``REPORT`` lines,
#: whose fields Logs Insights discovers as ``@duration``, ``@maxMemoryUsed`` in bytes...).
_IS_REPORT = f'({PlatformField.TYPE} = {_lit(PlatformType.REPORT)} or @type = "REPORT")'
_ERROR_LEVELS = _list(schema.ERROR_LEVELS)
_SECURITY_FAILURE_METRICS = (
    Metric.AUTHN_FAILURES,
    Metric.AUTHZ_FAILURES,
    Metric.INPUT_VALIDATION_FAILURES,
    Metric.RATE_LIMIT_EXCEEDED,
    Metric.MALICIOUS_REQUESTS,
)


def _q(*commands: str) -> str:
    return "\n| ".join(commands)


def _build_catalogue() -> tuple[SavedQuery, ...]:
    authn = _event_regex([Metric.AUTHN_FAILURES])
    authz = _event_regex([Metric.AUTHZ_FAILURES])
    validation = _event_regex([Metric.INPUT_VALIDATION_FAILURES])
    failures = _event_regex(_SECURITY_FAILURE_METRICS)
    E, U, IP, OP = Field.EVENT, Field.USER_ID, Field.SOURCE_IP, Field.OPERATION
    return (
        SavedQuery(
            name="recent-errors",
            title="Recent errors with stack traces",
            description=(
                "First query of an incident: the latest error records of every function "
                "(logged errors, unhandled exceptions written by the Lambda runtime, "
                "Powertools exceptions and text-format [ERROR] lines) with their stack "
                "traces and request ids. Take a request id to trace-request next."
            ),
            text=_q(
                f"fields @timestamp, @logStream, {LEVEL} as severity, {REQUEST_ID} as request, "
                f"{ERROR_TYPE} as errorKind, {ERROR_MESSAGE} as text, {STACK_TRACE} as trace",
                f"filter severity in {_ERROR_LEVELS} or @message like "
                f"{_lit(schema.TEXT_ERROR_MARKER)}",
                "sort @timestamp desc",
                "limit 100",
            ),
        ),
        SavedQuery(
            name="trace-request",
            title="Trace one request across the service",
            description=(
                "Every record of one request id, oldest first, across every function of the "
                "service: application records (native, Powertools) and the platform's "
                "start/report records. Run it with a request id taken from an error, an "
                "alarm or a user report."
            ),
            text=_q(
                f"fields @timestamp, @logStream, "
                f"{_coalesce(Field.LEVEL, RuntimeErrorField.LEVEL, PlatformField.TYPE)} as kind, "
                f"{MESSAGE} as text, {PlatformField.DURATION_MS} as durationMs",
                f'filter {Field.REQUEST_ID} = "{{{{requestId}}}}" or '
                f'{PowertoolsField.REQUEST_ID} = "{{{{requestId}}}}" or '
                f'{PlatformField.REQUEST_ID} = "{{{{requestId}}}}"',
                "sort @timestamp asc",
                "limit 1000",
            ),
            parameters=("requestId",),
            parameter_descriptions=(("requestId", "The Lambda request id to follow"),),
        ),
        SavedQuery(
            name="user-activity",
            title="One user's activity",
            description=(
                "Everything one user did, newest first: security events, operations and "
                "source addresses. Run it when a user is reported, locked out or named by "
                "top-offenders."
            ),
            text=_q(
                f"fields @timestamp, @logStream, {E}, {OP}, {IP}, {REQUEST_ID} as request, "
                f"{MESSAGE} as text",
                f'filter {U} = "{{{{userId}}}}"',
                "sort @timestamp desc",
                "limit 1000",
            ),
            parameters=("userId",),
            parameter_descriptions=(("userId", "The user id as the application logs it"),),
        ),
        SavedQuery(
            name="latest-auth-failures",
            title="Latest authentication failures",
            description=(
                "The newest failed logins, lock-outs and token reuse, with user and source "
                "address. Run it when the AuthenticationFailures metric rises."
            ),
            text=_q(
                f"fields @timestamp, {E}, {U}, {IP}, {OP}, {REQUEST_ID} as request",
                f"filter {E} like {authn}",
                "sort @timestamp desc",
                "limit 100",
            ),
        ),
        SavedQuery(
            name="auth-failures-by-source",
            title="Authentication failures by user and source address",
            description=(
                "Authentication failures per hour by user and source address: tells "
                "credential stuffing (many users, few addresses) from a forgotten password "
                "(one user, one address). Block or rate-limit the addresses on top."
            ),
            text=_q(
                f"filter {E} like {authn}",
                f"stats count(*) as failures by bin(1h), {U}, {IP}",
                "sort failures desc",
                "limit 500",
            ),
        ),
        SavedQuery(
            name="authz-failures-by-resource",
            title="Authorisation failures by resource",
            description=(
                "Denied accesses grouped by the resource named in the event "
                "(authz_fail:<user>,<resource>) and operation. A user probing many "
                "resources is an attack; one resource denied to many users is a bug."
            ),
            text=_q(
                f"filter {E} like {authz}",
                f"parse {E} /^[a-z_]+:(?<deniedUser>[^,]*),(?<resource>.+)$/",
                f"stats count(*) as denials, count_distinct({U}) as users by resource, {OP}",
                "sort denials desc",
                "limit 100",
            ),
        ),
        SavedQuery(
            name="validation-failures-by-field",
            title="Input validation failures by field",
            description=(
                "Input validation failures grouped by the first field named in the event "
                "(input_validation_fail:(field,...),<user>). A spike on one field after a "
                "release is a client bug; spread over fields from few addresses is probing."
            ),
            text=_q(
                f"filter {E} like {validation}",
                rf"parse {E} /^[a-z_]+:\(?(?<invalidField>[^,)]+)/",
                f"stats count(*) as failures, count_distinct({IP}) as sources by invalidField",
                "sort failures desc",
                "limit 100",
            ),
        ),
        SavedQuery(
            name="top-offenders",
            title="Top offending source addresses and users",
            description=(
                "Source addresses and users behind the most security failures "
                "(authentication, authorisation, validation, rate limits, malicious "
                "requests). Run user-activity for a user on top."
            ),
            text=_q(
                f"filter {E} like {failures}",
                f"stats count(*) as failures, count_distinct({E}) as kinds by {IP}, {U}",
                "sort failures desc",
                "limit 50",
            ),
        ),
        SavedQuery(
            name="slowest-invocations",
            title="Slowest invocations with memory use",
            description=(
                "The slowest invocations from Lambda's platform reports with billed duration, "
                "memory size and peak memory used. Run it when p99 duration rises or a "
                "duration alarm fires; peak memory near the size means more memory."
            ),
            text=_q(
                f"filter {_IS_REPORT}",
                _PARSE_FUNCTION,
                f"fields @timestamp, {FUNCTION} as lambdaFunction, "
                f"coalesce({PlatformField.REQUEST_ID}, @requestId) as request, "
                f"coalesce({PlatformField.DURATION_MS}, @duration) as durationMs, "
                f"coalesce({PlatformField.BILLED_DURATION_MS}, @billedDuration) as billedMs, "
                f"coalesce({PlatformField.MEMORY_SIZE_MB}, @memorySize / 1000 / 1000) as memoryMB, "
                f"coalesce({PlatformField.MAX_MEMORY_USED_MB}, @maxMemoryUsed / 1000 / 1000) "
                "as maxMemoryUsedMB",
                "sort durationMs desc",
                "limit 50",
            ),
        ),
        SavedQuery(
            name="cold-starts",
            title="Cold starts per function",
            description=(
                "Cold starts (platform reports with an init duration) per function and hour "
                "with average and worst init time. Run it when latency rises after a deploy "
                "or a traffic jump; consider provisioned concurrency for functions on top."
            ),
            text=_q(
                f"filter {_IS_REPORT}",
                f"fields coalesce({PlatformField.INIT_DURATION_MS}, @initDuration) as initMs",
                "filter ispresent(initMs)",
                _PARSE_FUNCTION,
                f"fields {FUNCTION} as lambdaFunction",
                "stats count(*) as coldStarts, avg(initMs) as avgInitMs, max(initMs) as "
                "maxInitMs by bin(1h), lambdaFunction",
                "sort coldStarts desc",
                "limit 200",
            ),
        ),
        SavedQuery(
            name="timeouts",
            title="Timed-out invocations",
            description=(
                "Invocations that hit their timeout (platform reports with status timeout, "
                "and text-format 'Task timed out' lines), newest first. Trace the request "
                "to see the last thing it did."
            ),
            text=_q(
                f"filter ({PlatformField.TYPE} = {_lit(PlatformType.REPORT)} and "
                f"{PlatformField.STATUS} = {_lit(PlatformStatus.TIMEOUT)}) or "
                f"@message like {_lit(schema.TEXT_TIMEOUT_MARKER)}",
                _PARSE_FUNCTION,
                f"fields @timestamp, {FUNCTION} as lambdaFunction, "
                f"coalesce({PlatformField.REQUEST_ID}, @requestId) as request, "
                f"{PlatformField.DURATION_MS} as durationMs, @message",
                "sort @timestamp desc",
                "limit 100",
            ),
        ),
        SavedQuery(
            name="top-error-types",
            title="Top error types",
            description=(
                "Error types by count with the latest message of each: what breaks most. "
                "Out-of-memory shows as " + schema.OUT_OF_MEMORY_ERROR_TYPE + ". Run "
                "recent-errors next for the stack trace."
            ),
            text=_q(
                f"fields {ERROR_TYPE} as errorKind, {ERROR_MESSAGE} as text",
                "filter ispresent(errorKind)",
                "stats count(*) as occurrences, latest(text) as latestMessage by errorKind",
                "sort occurrences desc",
                "limit 25",
            ),
            widget_view="table",
        ),
    )


#: The catalogue, in the order the console and the docs list it.
CATALOGUE: tuple[SavedQuery, ...] = _build_catalogue()
_BY_NAME = {q.name: q for q in CATALOGUE}


def query_names() -> tuple[str, ...]:
    return tuple(q.name for q in CATALOGUE)


def get_query(name: str) -> SavedQuery:
    """A catalogue query by its name (``recent-errors``) or full name (``orders/recent-errors``)."""
    short = name.split("/", 1)[1] if "/" in name else name
    try:
        return _BY_NAME[short]
    except KeyError:
        raise ValueError(f"unknown query {name!r}: use one of {', '.join(query_names())}") from None


def render_for_widget(query: SavedQuery, log_group_names: Sequence[str]) -> str:
    """The text a dashboard log widget runs: ``SOURCE '<group>' | ... | <query text>``.

    Raises for a parameterised query (a widget cannot prompt for a value) and for more
    than 50 log groups (split the widget first: ``dashboard_layout.chunk``).
    """
    if query.parameterised:
        raise ValueError(
            f"query {query.name!r} takes parameters ({', '.join(query.parameters)}) and "
            "cannot be shown in a dashboard widget"
        )
    if not log_group_names:
        raise ValueError(f"query {query.name!r}: a log widget needs at least one log group")
    if len(log_group_names) > MAX_LOG_GROUPS_PER_QUERY:
        raise ValueError(
            f"query {query.name!r} names {len(log_group_names)} log groups; a Logs Insights "
            f"query may name at most {MAX_LOG_GROUPS_PER_QUERY}"
        )
    sources = [f"SOURCE '{name}'" for name in log_group_names]
    return " | ".join(sources) + " | " + " ".join(query.text.split("\n"))

