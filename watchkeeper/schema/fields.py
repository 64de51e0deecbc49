"""Field names of log records, the markers of Lambda's Text format, and the level names.

Function records follow Lambda's native JSON log format (``timestamp``, ``level``,
``message``, ``requestId``); the spellings of the Lambda runtime's unhandled-error record,
of Powertools Logger and of Lambda's platform records are listed beside them, and so are
the keys of the API Gateway access log records watchkeeper configures. Standard library
only: this module runs inside Lambda functions.
"""

from __future__ import annotations

from typing import Final


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
