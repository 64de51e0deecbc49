"""The log schema and the security event vocabulary: watchkeeper's one source of truth.

Everything that reads or writes a log record derives from this module: the runtime helper
that function code uses (``watchkeeper.runtime``), the metric filters, the saved Logs
Insights queries and the dashboards' log widgets. Nothing else spells a field name or an
event name by hand.

This module is imported inside Lambda functions, so it uses the standard library only.

Field names follow Lambda's native JSON log format (``timestamp``, ``level``,
``message``, ``requestId``) so that a record written by the runtime helper, by Python's
``logging`` under Lambda's JSON format, and by Powertools Logger can be read by the same
filters and queries; where Powertools spells a field differently the alias is listed.

Security events use the OWASP Logging Vocabulary: the ``event`` field holds
``name[:param1,param2]``, e.g. ``authn_login_fail:joebob1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# --------------------------------------------------------------------------------------
# Record fields
# --------------------------------------------------------------------------------------


class Field:
    """Field names of a structured log record (top-level JSON keys)."""

    TIMESTAMP: Final = "timestamp"
    LEVEL: Final = "level"
    MESSAGE: Final = "message"
    LOGGER: Final = "logger"
    REQUEST_ID: Final = "requestId"
    FUNCTION_NAME: Final = "functionName"
    SERVICE: Final = "service"
    EVENT_SOURCE: Final = "eventSource"
    USER_ID: Final = "userId"
    SOURCE_IP: Final = "sourceIp"
    OPERATION: Final = "operation"
    DETAILS: Final = "details"
    #: OWASP Logging Vocabulary event, ``name[:params]``.
    EVENT: Final = "event"
    #: The vocabulary category of ``event`` (``authn``, ``authz``, ...), written by the
    #: runtime helper so queries can group without parsing the event name.
    CATEGORY: Final = "category"
    #: Exception fields of Lambda's native JSON format (Python runtime).
    ERROR_TYPE: Final = "errorType"
    ERROR_MESSAGE: Final = "errorMessage"
    STACK_TRACE: Final = "stackTrace"
    LOCATION: Final = "location"
    XRAY_TRACE_ID: Final = "xray_trace_id"


class RuntimeErrorField:
    """Fields of the record the Lambda runtime writes for an unhandled exception.

    The runtime writes ``log_level`` (not ``level``):
    ``{"timestamp","log_level":"ERROR","errorMessage","errorType","requestId","stackTrace"}``.
    """

    LEVEL: Final = "log_level"


class PowertoolsField:
    """Powertools for AWS Lambda (Python) Logger spellings of the same facts."""

    REQUEST_ID: Final = "function_request_id"
    FUNCTION_NAME: Final = "function_name"
    COLD_START: Final = "cold_start"
    EXCEPTION: Final = "exception"
    EXCEPTION_NAME: Final = "exception_name"
    STACK_TRACE: Final = "stack_trace"
    CORRELATION_ID: Final = "correlation_id"


class PlatformField:
    """Fields of Lambda's platform records in JSON format (``platform.report`` etc.)."""

    TIME: Final = "time"
    TYPE: Final = "type"
    REQUEST_ID: Final = "record.requestId"
    STATUS: Final = "record.status"
    ERROR_TYPE: Final = "record.errorType"
    DURATION_MS: Final = "record.metrics.durationMs"
    BILLED_DURATION_MS: Final = "record.metrics.billedDurationMs"
    MEMORY_SIZE_MB: Final = "record.metrics.memorySizeMB"
    MAX_MEMORY_USED_MB: Final = "record.metrics.maxMemoryUsedMB"
    INIT_DURATION_MS: Final = "record.metrics.initDurationMs"


class PlatformType:
    """Values of ``type`` on Lambda's JSON platform records."""

    INIT_START: Final = "platform.initStart"
    INIT_REPORT: Final = "platform.initReport"
    START: Final = "platform.start"
    RUNTIME_DONE: Final = "platform.runtimeDone"
    REPORT: Final = "platform.report"


class PlatformStatus:
    SUCCESS: Final = "success"
    ERROR: Final = "error"
    FAILURE: Final = "failure"
    TIMEOUT: Final = "timeout"


#: Error type Lambda reports on a platform record when a function runs out of memory.
OUT_OF_MEMORY_ERROR_TYPE: Final = "Runtime.OutOfMemory"
#: Text-format markers (functions whose log format is Text, or not known).
TEXT_TIMEOUT_MARKER: Final = "Task timed out after"
TEXT_ERROR_MARKER: Final = "[ERROR]"
#: Lambda's Text-format REPORT line ends with ``Status: timeout`` for a timed-out invocation
#: (newer platform versions write it instead of a separate "Task timed out after" line).
TEXT_REPORT_TIMEOUT_MARKER: Final = "Status: timeout"
TEXT_REPORT_MARKER: Final = "REPORT RequestId:"
#: Start of the Text-format line that reports an execution environment's init.
TEXT_INIT_REPORT_MARKER: Final = "INIT_REPORT"
TEXT_INIT_DURATION_MARKER: Final = "Init Duration"

class AccessLogField:
    """Keys of the JSON access log records watchkeeper configures on API Gateway stages.

    Where a key means the same as a field of the function log schema it is spelled the
    same (``requestId``, ``sourceIp``, ``userId``), so one query can follow a request from
    the edge into the functions.
    """

    REQUEST_ID: Final = Field.REQUEST_ID
    EXTENDED_REQUEST_ID: Final = "extendedRequestId"
    API_ID: Final = "apiId"
    STAGE: Final = "stage"
    REQUEST_TIME: Final = "requestTime"
    REQUEST_TIME_EPOCH: Final = "requestTimeEpoch"
    SOURCE_IP: Final = Field.SOURCE_IP
    USER_AGENT: Final = "userAgent"
    #: IAM principal that signed the request (IAM authorisation).
    CALLER: Final = "caller"
    #: Principal id a Lambda authoriser returned.
    USER_ID: Final = Field.USER_ID
    #: ``sub`` claim of a JWT / Cognito authoriser.
    CLAIMS_SUB: Final = "claimsSub"
    HTTP_METHOD: Final = "httpMethod"
    #: HTTP APIs: the route key (``GET /orders``); REST APIs: the resource path.
    ROUTE: Final = "route"
    PATH: Final = "path"
    PROTOCOL: Final = "protocol"
    #: HTTP status code, written as a string (``"401"``).
    STATUS: Final = "status"
    RESPONSE_LENGTH: Final = "responseLength"
    RESPONSE_LATENCY: Final = "responseLatency"
    INTEGRATION_LATENCY: Final = "integrationLatency"
    AUTHORIZER_ERROR: Final = "authorizerError"
    INTEGRATION_ERROR: Final = "integrationError"
    GATEWAY_ERROR: Final = "gatewayError"
    GATEWAY_ERROR_TYPE: Final = "gatewayErrorType"


class AccessLogMetric:
    """Names of the metrics published from API access logs (per-service namespace)."""

    #: Requests the API answered with 401 or 403: failed authentication at the edge.
    EDGE_AUTHN_FAILURES: Final = "EdgeAuthenticationFailures"


#: Status codes counted as edge authentication failures.
EDGE_AUTHN_FAILURE_STATUSES: Final = ("401", "403")


# --------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------

#: Level names written in the ``level`` field (Python's names, as Lambda's Python runtime
#: and Powertools write them). ``FATAL`` is what other runtimes write for CRITICAL.
LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ERROR_LEVELS: Final = ("ERROR", "CRITICAL", "FATAL")

#: Values allowed for Lambda's ``LoggingConfig.ApplicationLogLevel``.
APPLICATION_LOG_LEVELS: Final = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
#: Values allowed for Lambda's ``LoggingConfig.SystemLogLevel``.
SYSTEM_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARN")

# --------------------------------------------------------------------------------------
# The OWASP Logging Vocabulary
# --------------------------------------------------------------------------------------


class Category:
    AUTHN: Final = "authn"
    AUTHZ: Final = "authz"
    CRYPT: Final = "crypt"
    EXCESS: Final = "excess"
    INPUT: Final = "input"
    MALICIOUS: Final = "malicious"
    PRIVILEGE: Final = "privilege"
    SENSITIVE: Final = "sensitive"
    SEQUENCE: Final = "sequence"
    SESSION: Final = "session"
    SYS: Final = "sys"
    UPLOAD: Final = "upload"
    USER: Final = "user"
    CUSTOM: Final = "custom"


class SecurityMetric:
    """Names of the security metrics published from the logs (per-service namespace)."""

    AUTHN_FAILURES: Final = "AuthenticationFailures"
    AUTHZ_FAILURES: Final = "AuthorizationFailures"
    INPUT_VALIDATION_FAILURES: Final = "InputValidationFailures"
    RATE_LIMIT_EXCEEDED: Final = "RateLimitExceeded"
    MALICIOUS_REQUESTS: Final = "MaliciousRequests"
    SENSITIVE_DATA_ACCESS: Final = "SensitiveDataAccess"


#: The one metric that counts every counted security event, for log groups that should carry
#: as few metric filters as possible (functions deployed elsewhere, one group each).
SECURITY_EVENTS_METRIC: Final = "SecurityEvents"


class HealthMetric:
    """Names of the health metrics published from the logs (per-service namespace)."""

    ERRORS: Final = "Errors"
    TIMEOUTS: Final = "Timeouts"
    OUT_OF_MEMORY: Final = "OutOfMemory"
    COLD_STARTS: Final = "ColdStarts"


@dataclass(frozen=True)
class SecurityEvent:
    """One event of the vocabulary.

    ``level`` is the Python logging level name the runtime helper uses by default;
    ``metric`` is the security metric that counts it (``None``: logged, not counted).
    """

    name: str
    category: str
    level: str
    description: str
    metric: str | None = None


def _ev(name: str, level: str, description: str, metric: str | None = None) -> SecurityEvent:
    return SecurityEvent(name, name.split("_", 1)[0], level, description, metric)


_A = SecurityMetric
_EVENTS: tuple[SecurityEvent, ...] = (
    # Authentication
    _ev("authn_login_success", "INFO", "A user logged in"),
    _ev("authn_login_successafterfail", "INFO", "A user logged in after failed attempts"),
    _ev("authn_login_fail", "WARNING", "A login attempt failed", _A.AUTHN_FAILURES),
    _ev("authn_login_fail_max", "WARNING", "Too many failed logins for a user", _A.AUTHN_FAILURES),
    _ev(
        "authn_login_lock",
        "WARNING",
        "An account was locked after failed logins",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_password_change", "INFO", "A password was changed"),
    _ev("authn_password_change_fail", "CRITICAL", "A password change failed", _A.AUTHN_FAILURES),
    _ev(
        "authn_impossible_travel",
        "CRITICAL",
        "Logins from places too far apart in time",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_token_created", "INFO", "A token was issued"),
    _ev("authn_token_revoked", "INFO", "A token was revoked"),
    _ev(
        "authn_token_reuse",
        "CRITICAL",
        "A revoked or used token was presented again",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_token_delete", "WARNING", "A token was deleted"),
    # Authorisation
    _ev("authz_fail", "CRITICAL", "Access to a resource was denied", _A.AUTHZ_FAILURES),
    _ev("authz_change", "WARNING", "A user's entitlements changed"),
    _ev("authz_admin", "WARNING", "An administrative action was taken"),
    # Cryptography
    _ev("crypt_decrypt_fail", "WARNING", "Decryption failed"),
    _ev("crypt_encrypt_fail", "WARNING", "Encryption failed"),
    # Excess use
    _ev(
        "excess_rate_limit_exceeded",
        "WARNING",
        "A caller passed a rate limit",
        _A.RATE_LIMIT_EXCEEDED,
    ),
    _ev(
        "excess_sessions_exceeded",
        "WARNING",
        "A user passed the session limit",
        _A.RATE_LIMIT_EXCEEDED,
    ),
    # File upload
    _ev("upload_complete", "INFO", "A file upload completed"),
    _ev("upload_stored", "INFO", "An uploaded file was stored"),
    _ev("upload_validation", "WARNING", "An uploaded file was validated (or rejected)"),
    _ev("upload_delete", "INFO", "An uploaded file was deleted"),
    # Input validation
    _ev(
        "input_validation_fail",
        "WARNING",
        "Input failed server-side validation",
        _A.INPUT_VALIDATION_FAILURES,
    ),
    _ev(
        "input_validation_discrete_fail",
        "WARNING",
        "Input was not one of the allowed discrete values",
        _A.INPUT_VALIDATION_FAILURES,
    ),
    # Malicious behaviour
    _ev(
        "malicious_excess_404",
        "WARNING",
        "Many requests for resources that do not exist",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_extraneous",
        "CRITICAL",
        "Unexpected input that a normal client never sends",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_attack_tool",
        "CRITICAL",
        "A known attack tool was recognised",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev("malicious_sqli", "CRITICAL", "An SQL injection attempt", _A.MALICIOUS_REQUESTS),
    _ev(
        "malicious_cors",
        "CRITICAL",
        "A request from an origin that is not allowed",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_direct_reference",
        "CRITICAL",
        "Direct reference to an object the user may not see",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_csrf", "CRITICAL", "A cross-site request forgery attempt", _A.MALICIOUS_REQUESTS
    ),
    _ev(
        "malicious_csp_violation",
        "WARNING",
        "A Content Security Policy violation report",
        _A.MALICIOUS_REQUESTS,
    ),
    # Privileges
    _ev("privilege_permissions_changed", "WARNING", "An object's permissions changed"),
    # Sensitive data
    _ev("sensitive_create", "WARNING", "Sensitive data was created", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_read", "WARNING", "Sensitive data was read", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_update", "WARNING", "Sensitive data was changed", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_delete", "WARNING", "Sensitive data was deleted", _A.SENSITIVE_DATA_ACCESS),
    # Sequence
    _ev("sequence_fail", "CRITICAL", "A business flow was taken out of its order"),
    # Sessions
    _ev("session_created", "INFO", "A session was created"),
    _ev("session_renewed", "INFO", "A session was renewed"),
    _ev("session_expired", "INFO", "A session expired"),
    _ev("session_use_after_expire", "CRITICAL", "An expired session was used"),
    _ev("session_logout", "INFO", "A user logged out"),
    # System
    _ev("sys_startup", "WARNING", "The system started"),
    _ev("sys_shutdown", "WARNING", "The system shut down"),
    _ev("sys_restart", "WARNING", "The system restarted"),
    _ev("sys_crash", "WARNING", "The system crashed"),
    _ev("sys_monitor_disabled", "WARNING", "Monitoring was switched off"),
    _ev("sys_monitor_enabled", "WARNING", "Monitoring was switched on"),
    # User management
    _ev("user_created", "WARNING", "A user was created"),
    _ev("user_updated", "WARNING", "A user was changed"),
    _ev("user_archived", "WARNING", "A user was archived"),
    _ev("user_deleted", "WARNING", "A user was deleted"),
)

#: Every event of the vocabulary, by name (read-only).
VOCABULARY: Final = MappingProxyType({e.name: e for e in _EVENTS})

#: Prefix under which applications may log events of their own (``custom_<name>``).
CUSTOM_EVENT_PREFIX: Final = "custom_"
CUSTOM_EVENT_RE: Final = re.compile(r"^custom_[a-z0-9]+(?:_[a-z0-9]+)*$")
#: Default level of a custom event.
CUSTOM_EVENT_LEVEL: Final = "WARNING"


def events_counted_by(metric: str) -> tuple[SecurityEvent, ...]:
    """The vocabulary events that a security metric counts, in vocabulary order."""
    return tuple(e for e in _EVENTS if e.metric == metric)


def security_metric_names() -> tuple[str, ...]:
    """Every security metric that at least one event feeds, in vocabulary order."""
    seen: dict[str, None] = {}
    for e in _EVENTS:
        if e.metric:
            seen.setdefault(e.metric, None)
    return tuple(seen)


def event_name_globs(metric: str) -> tuple[str, ...]:
    """Shortest set of ``event`` value globs that match exactly the events of ``metric``.

    A whole category collapses to ``<category>_*`` when every event of the category is
    counted by the metric; otherwise each event becomes ``<name>*`` (the ``*`` takes the
    ``:params`` suffix). A glob never matches an event that the metric does not count:
    ``authn_login_fail*`` would also take ``authn_login_fail_max``, which is why that
    check is made against the whole vocabulary.
    """
    counted = events_counted_by(metric)
    globs: list[str] = []
    categories_done: set[str] = set()
    for event in counted:
        cat = event.category
        if cat in categories_done:
            continue
        in_category = [e for e in _EVENTS if e.category == cat]
        if all(e.metric == metric for e in in_category):
            globs.append(f"{cat}_*")
            categories_done.add(cat)
            continue
        globs.append(f"{event.name}*")
    # Drop a glob that is covered by a shorter one of the same metric.
    pruned = [g for g in globs if not any(o != g and g.startswith(o[:-1]) for o in globs)]
    for glob in pruned:
        prefix = glob[:-1]
        over = [e.name for e in _EVENTS if e.name.startswith(prefix) and e.metric != metric]
        if over:  # pragma: no cover - guards the vocabulary above against future edits
            raise AssertionError(f"glob {glob!r} of {metric} would also count {over}")
    return tuple(pruned)


def split_event(value: str) -> tuple[str, tuple[str, ...]]:
    """Split an ``event`` field value ``name:p1,p2`` into ``(name, (p1, p2))``."""
    name, _, params = value.partition(":")
    return name, tuple(p for p in params.split(",") if p) if params else ()


# --------------------------------------------------------------------------------------
# Naming conventions
# --------------------------------------------------------------------------------------

SERVICE_NAME_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
SERVICE_NAME_RULE: Final = (
    "1-40 characters of lower-case letters, digits and '-', starting and ending with a "
    "letter or digit"
)


#: Longest qualified name ``<service>-<stage>``. The tightest limit on a name built from it
#: is SQS's 80 characters for the alarm delivery queue ``<name>-alarm-delivery-archive``;
#: every other name stays well inside its own limit (alarm and dashboard names and query
#: definitions 255, SNS topics 256, log groups 512, metric namespaces 255).
MAX_QUALIFIED_NAME_LENGTH: Final = 80 - len("-alarm-delivery-archive")
STAGE_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
STAGE_RULE: Final = (
    "lower-case letters, digits and '-', starting and ending with a letter or digit, and "
    f"'<service_name>-<stage>' at most {MAX_QUALIFIED_NAME_LENGTH} characters"
)
#: What a qualified name (``<service>`` or ``<service>-<stage>``) looks like: the readers of
#: deployed names (``watchkeeper queries``, ``query``, ``trace``) recognise folders by it.
QUALIFIED_NAME_RE: Final = re.compile(
    rf"^[a-z0-9](?:[a-z0-9-]{{0,{MAX_QUALIFIED_NAME_LENGTH - 2}}}[a-z0-9])?$"
)


def qualified_name(service: str, stage: str | None = None) -> str:
    """The name every physical name of a service is built from: ``<service>-<stage>``, or
    ``<service>`` without a stage (names then stay as they were before stages existed).

    The functions below take this qualified name where they say ``service``: with stage
    ``prod`` the service log group of ``orders`` is ``/watchkeeper/orders-prod/functions``,
    its namespace ``Watchkeeper/orders-prod``, its topic ``orders-prod-alarms``, its alarms
    ``orders-prod-<resource>-<check>``, its saved queries ``orders-prod/<query>``.
    """
    return f"{service}-{stage}" if stage else service


def stage_from_name(name: str) -> str:
    """A CDK Stage's or Serverless stage's name mapped into the allowed form: lower case,
    every run of characters other than letters and digits becomes one ``-``, no ``-`` at
    either end (``Prod`` -> ``prod``, ``EU_Prod.1`` -> ``eu-prod-1``). May be empty."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def metric_namespace(service: str) -> str:
    """CloudWatch namespace of the metrics taken from a service's logs."""
    return f"Watchkeeper/{service}"


def service_log_group_name(service: str) -> str:
    """Name of the one log group that every function of a service writes to."""
    return f"/watchkeeper/{service}/functions"


def function_log_group_name(service: str, function_key: str) -> str:
    """Name of a log group of one function that watchkeeper creates (a Text-format function,
    or ``log_group_per_function``). Under the service's own prefix, never
    ``/aws/lambda/<name>``: Lambda creates that group by itself when a function runs, so
    creating it in CloudFormation would fail the next deploy with "already exists"."""
    return f"{service_log_group_name(service)}/{function_key}"


def query_folder(service: str) -> str:
    """Console folder of a service's saved Logs Insights queries (``<service>/``)."""
    return f"{service}/"


# --------------------------------------------------------------------------------------
# Template metadata (what the constructs record, what ``watchkeeper report`` reads)
# --------------------------------------------------------------------------------------


class TemplateMetadata:
    """Template-level ``Metadata`` that records what watchkeeper monitors in a stack.

    Shape: ``{KEY: {SERVICES: [{SERVICE: "orders", MONITORED: {<kind>: [item, ...]}}]}}``
    where each kind is one of :data:`MONITORED_KINDS` and each item is a resource name or a
    CloudFormation intrinsic (``{"Ref": "LogicalId"}``).
    """

    KEY: Final = "Watchkeeper"
    SERVICES: Final = "services"
    SERVICE: Final = "service"
    #: the service's stage, present only when it has one (names then use
    #: ``qualified_name(service, stage)``)
    STAGE: Final = "stage"
    MONITORED: Final = "monitored"
    #: what was changed on the app's own resources: ``[{kind, resource, detail}]``
    CHANGES: Final = "changes"
    #: logical ids of the resources watchkeeper created in this template; a nested stack
    #: listed here was created whole, with everything in its template. A report counts and
    #: prices only these when any service of the template records the list.
    CREATED: Final = "created"
    #: kinds of monitored resources, in the order reports list them
    MONITORED_KINDS: Final = (
        "functions",
        "http_apis",
        "rest_apis",
        "queues",
        "tables",
        "state_machines",
    )


#: Short name of the saved query that traces one request across a service's log groups
#: (saved as ``<service>/trace-request``); its text holds the parameter ``{{requestId}}``.
TRACE_QUERY_NAME: Final = "trace-request"


def query_parameter(name: str) -> str:
    """How a saved query's text writes a parameter: ``{{name}}`` (Logs Insights' syntax)."""
    return "{{" + name + "}}"
def api_access_log_group_name(service: str) -> str:
    """Name of the log group that receives the access logs of a service's API stages."""
    return f"/watchkeeper/{service}/api-access"


#: ``rest_api_cloudwatch_role`` values: how ServiceMonitoring learns that the account has
#: API Gateway's CloudWatch Logs role, which REST API access and execution logging need.
#: ``detect``: the app sets it (an ``AWS::ApiGateway::Account``, e.g. a RestApi with
#: ``cloud_watch_role=True``), else REST logging stays off; ``account-has-role``: the
#: account already has it; ``create``: watchkeeper sets it (an account-wide setting).
REST_API_CLOUDWATCH_ROLE_OPTIONS: Final = ("detect", "account-has-role", "create")

#: The one line that switches REST API logging on when the app sets no CloudWatch role
#: (synth warning and ``watchkeeper check`` print it).
REST_API_CLOUDWATCH_ROLE_FIX: Final = (
    'ServiceMonitoring(..., resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role='
    '"create")) to have watchkeeper set the account\'s API Gateway CloudWatch Logs role, or '
    '"account-has-role" if it is already set'
)


def state_machine_log_group_name(service: str, key: str, stage: str | None = None) -> str:
    """Name of a state machine's log group: ``/aws/vendedlogs/states/<qualified>-<key>``,
    without the qualified or service name the key may start with.

    Under ``/aws/vendedlogs/`` because CloudWatch Logs then does not add a statement to
    the account's log resource policy per group (that policy is limited to 5,120
    characters, which a few dozen state machines would fill).
    """
    qualified = qualified_name(service, stage)
    name = key
    for prefix in dict.fromkeys((f"{qualified}-", f"{service}-")):
        if key.startswith(prefix):
            name = key[len(prefix) :]
            break
    return f"/aws/vendedlogs/states/{qualified}-{name}"


def subscription_filter_name(service: str, index: int) -> str:
    """Name of watchkeeper's ``index``-th (1-based) subscription filter on a log group."""
    return f"watchkeeper-{service}-{index}"


class QueryName:
    """Names of the saved Logs Insights queries of a service (inside ``query_folder``).

    The query catalogue (``watchkeeper.queries``) saves them under these names, alarm
    descriptions name the first one to run, and the CLI runs them by name.
    """

    RECENT_ERRORS: Final = "recent-errors"
    TRACE_REQUEST: Final = "trace-request"
    USER_ACTIVITY: Final = "user-activity"
    LATEST_AUTH_FAILURES: Final = "latest-auth-failures"
    AUTH_FAILURES_BY_SOURCE: Final = "auth-failures-by-source"
    AUTHZ_FAILURES_BY_RESOURCE: Final = "authz-failures-by-resource"
    VALIDATION_FAILURES_BY_FIELD: Final = "validation-failures-by-field"
    TOP_OFFENDERS: Final = "top-offenders"
    SLOWEST_INVOCATIONS: Final = "slowest-invocations"
    COLD_STARTS: Final = "cold-starts"
    TIMEOUTS: Final = "timeouts"
    TOP_ERROR_TYPES: Final = "top-error-types"


def saved_query_name(service: str, query: str) -> str:
    """Console name of a saved query: ``<service>/<query>``."""
    return f"{query_folder(service)}{query}"
