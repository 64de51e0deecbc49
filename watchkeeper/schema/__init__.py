"""The log schema and the security event vocabulary: watchkeeper's one source of truth.

Everything that reads or writes a log record derives from this package: the runtime helper
that function code uses (``watchkeeper.runtime``), the metric filters, the saved Logs
Insights queries and the dashboards' log widgets. Nothing else spells a field name or an
event name by hand.

This package is imported inside Lambda functions, so it uses the standard library only.

Field names follow Lambda's native JSON log format (``timestamp``, ``level``,
``message``, ``requestId``) so that a record written by the runtime helper, by Python's
``logging`` under Lambda's JSON format, and by Powertools Logger can be read by the same
filters and queries; where Powertools spells a field differently the alias is listed.

Security events use the OWASP Logging Vocabulary: the ``event`` field holds
``name[:param1,param2]``, e.g. ``authn_login_fail:joebob1``.

Every public name is imported here, so ``from watchkeeper import schema`` and
``schema.<name>`` reach all of them. The submodules, one concept each:
:mod:`~watchkeeper.schema.fields` (record fields, Text-format markers, access log keys,
levels), :mod:`~watchkeeper.schema.events` (the vocabulary and the metrics counted from
the logs), :mod:`~watchkeeper.schema.naming` (service names, stages and every physical
name built from them) and :mod:`~watchkeeper.schema.metadata` (template metadata).
"""

from watchkeeper.schema.events import (
    CUSTOM_EVENT_LEVEL,
    CUSTOM_EVENT_PREFIX,
    CUSTOM_EVENT_RE,
    SECURITY_EVENTS_METRIC,
    VOCABULARY,
    Category,
    HealthMetric,
    SecurityEvent,
    SecurityMetric,
    event_name_globs,
    events_counted_by,
    security_metric_names,
    split_event,
)
from watchkeeper.schema.fields import (
    APPLICATION_LOG_LEVELS,
    EDGE_AUTHN_FAILURE_STATUSES,
    ERROR_LEVELS,
    LEVELS,
    OUT_OF_MEMORY_ERROR_TYPE,
    SYSTEM_LOG_LEVELS,
    TEXT_ERROR_MARKER,
    TEXT_INIT_DURATION_MARKER,
    TEXT_INIT_REPORT_MARKER,
    TEXT_REPORT_MARKER,
    TEXT_REPORT_TIMEOUT_MARKER,
    TEXT_TIMEOUT_MARKER,
    AccessLogField,
    AccessLogMetric,
    Field,
    PlatformField,
    PlatformStatus,
    PlatformType,
    PowertoolsField,
    RuntimeErrorField,
)
from watchkeeper.schema.metadata import (
    PUBLIC_FUNCTION_URL_FINDING,
    PUBLIC_FUNCTION_URL_WARNING,
    REST_API_CLOUDWATCH_ROLE_FIX,
    REST_API_CLOUDWATCH_ROLE_OPTIONS,
    TemplateMetadata,
)
from watchkeeper.schema.naming import (
    MAX_QUALIFIED_NAME_LENGTH,
    QUALIFIED_NAME_RE,
    SERVICE_NAME_RE,
    SERVICE_NAME_RULE,
    STAGE_RE,
    STAGE_RULE,
    TRACE_QUERY_NAME,
    QueryName,
    api_access_log_group_name,
    function_log_group_name,
    metric_namespace,
    qualified_name,
    query_folder,
    query_parameter,
    saved_query_name,
    service_log_group_name,
    stage_from_name,
    state_machine_log_group_name,
    subscription_filter_name,
)

__all__ = [
    "APPLICATION_LOG_LEVELS",
    "AccessLogField",
    "AccessLogMetric",
    "CUSTOM_EVENT_LEVEL",
    "CUSTOM_EVENT_PREFIX",
    "CUSTOM_EVENT_RE",
    "Category",
    "EDGE_AUTHN_FAILURE_STATUSES",
    "ERROR_LEVELS",
    "Field",
    "HealthMetric",
    "LEVELS",
    "MAX_QUALIFIED_NAME_LENGTH",
    "OUT_OF_MEMORY_ERROR_TYPE",
    "PlatformField",
    "PlatformStatus",
    "PlatformType",
    "PowertoolsField",
    "QUALIFIED_NAME_RE",
    "QueryName",
    "PUBLIC_FUNCTION_URL_FINDING",
    "PUBLIC_FUNCTION_URL_WARNING",
    "REST_API_CLOUDWATCH_ROLE_FIX",
    "REST_API_CLOUDWATCH_ROLE_OPTIONS",
    "RuntimeErrorField",
    "SECURITY_EVENTS_METRIC",
    "SERVICE_NAME_RE",
    "SERVICE_NAME_RULE",
    "STAGE_RE",
    "STAGE_RULE",
    "SYSTEM_LOG_LEVELS",
    "SecurityEvent",
    "SecurityMetric",
    "TEXT_ERROR_MARKER",
    "TEXT_INIT_DURATION_MARKER",
    "TEXT_INIT_REPORT_MARKER",
    "TEXT_REPORT_MARKER",
    "TEXT_REPORT_TIMEOUT_MARKER",
    "TEXT_TIMEOUT_MARKER",
    "TRACE_QUERY_NAME",
    "TemplateMetadata",
    "VOCABULARY",
    "api_access_log_group_name",
    "event_name_globs",
    "events_counted_by",
    "function_log_group_name",
    "metric_namespace",
    "qualified_name",
    "query_folder",
    "query_parameter",
    "saved_query_name",
    "security_metric_names",
    "service_log_group_name",
    "split_event",
    "stage_from_name",
    "state_machine_log_group_name",
    "subscription_filter_name",
]
