"""Option structs of ``ServiceMonitoring`` and ``MonitoringStack``, CDK-style.

Each struct groups one family of options: frozen, keyword-only, every field with its
default documented, validated when it is built (errors name ``<Struct>.<field>``, the value
and what is allowed). The validation is the settings' own (``LogGroupSettings.build``,
``InsightsSettings.build``, ``LogShippingSettings.build``) or the shared validators of
``validation.py``, so a struct accepts exactly what the construct accepts.

``resolve_options`` turns the structs a caller passed, and the flat keywords of the first
release (deprecated: one ``DeprecationWarning`` per keyword, naming its new spelling), into
one ``MonitoringOptions`` with every struct filled in.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from watchkeeper import schema
from watchkeeper.constructs.alarms.settings import AlarmSettings, validate_overrides
from watchkeeper.constructs.graphql_logging import FIELD_LOG_LEVELS
from watchkeeper.constructs.kinds.registry import known_checks
from watchkeeper.constructs.log_groups import (
    DEFAULT_DATA_IDENTIFIERS,
    DEFAULT_RETENTION_DAYS,
    LogGroupSettings,
    validate_log_group_name,
)
from watchkeeper.constructs.log_shipping import LogShippingSettings
from watchkeeper.constructs.queries_and_dashboards import InsightsSettings
from watchkeeper.constructs.resource_logging import (
    REST_EXECUTION_LOGGING_LEVELS,
    STATE_MACHINE_LOG_LEVELS,
)
from watchkeeper.constructs.security_detections import DetectionOptions
from watchkeeper.constructs.validation import require_emails, require_number, require_one_of
from watchkeeper.dashboard_layout import Widget
from watchkeeper.queries import SavedQuery

__all__ = [
    "DEPRECATED_KEYWORDS",
    "AlarmOptions",
    "DetectionOptions",
    "FunctionLoggingOptions",
    "InsightsOptions",
    "LogGroupOptions",
    "MonitoringOptions",
    "ResourceLoggingOptions",
    "ShippingOptions",
    "resolve_options",
]


def _require_bool(value: Any, option: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{option}={value!r} must be True or False")
    return value


def _as_tuple(value: Any) -> Any:
    """Lists become tuples, so a struct holds no mutable sequence; anything else is kept
    for the validation to judge (a string, a single object)."""
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True, kw_only=True)
class LogGroupOptions:
    """The log groups watchkeeper creates.

    :param retention: days to keep logs: a value CloudWatch Logs accepts (1, 3, 5, 7, 14,
        30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
        3653), a ``logs.RetentionDays``, or None to never expire. Default: 365.
    :param encryption_key: customer-managed KMS key for the log groups (a key created in the
        app gets the key policy CloudWatch Logs needs). Default: none (CloudWatch Logs' own
        encryption).
    :param removal_policy: what happens to created log groups when they leave the stack.
        Default: ``RemovalPolicy.RETAIN`` (logs are evidence).
    :param data_protection: mask credentials with a data protection policy. Default: True.
    :param data_identifiers: data identifiers to mask: managed names or
        ``logs.DataIdentifier``, watchkeeper's custom ones by name, ``logs.CustomDataIdentifier``
        of your own (at most 10 custom per policy). Default: ``DEFAULT_DATA_IDENTIFIERS``
        (AWS secret keys, private keys, card numbers, and watchkeeper's 7 custom identifiers
        for service tokens and URL passwords).
    :param service_log_group_name: name of the service log group. Default:
        ``/watchkeeper/<service>/functions`` (``<service>-<stage>`` with a stage).
    :param per_function: give every owned function its own group
        ``/watchkeeper/<service>/functions/<key>`` instead of the one service log group
        (``MonitoringStack`` always does: its functions keep ``/aws/lambda/<name>``).
        Default: False.
    """

    retention: int | logs.RetentionDays | None = DEFAULT_RETENTION_DAYS
    encryption_key: kms.IKey | None = None
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    data_protection: bool = True
    data_identifiers: Sequence[str | logs.DataIdentifier | logs.CustomDataIdentifier] = (
        DEFAULT_DATA_IDENTIFIERS
    )
    service_log_group_name: str | None = None
    per_function: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_identifiers", _as_tuple(self.data_identifiers))
        _require_bool(self.data_protection, "LogGroupOptions.data_protection")
        _require_bool(self.per_function, "LogGroupOptions.per_function")
        LogGroupSettings.build(
            retention=self.retention,
            encryption_key=self.encryption_key,
            removal_policy=self.removal_policy,
            data_protection=self.data_protection,
            data_identifiers=self.data_identifiers,
        )
        if self.encryption_key is not None and not hasattr(self.encryption_key, "key_arn"):
            raise ValueError(
                f"LogGroupOptions.encryption_key={self.encryption_key!r} must be an "
                "aws_kms.IKey (a kms.Key, or one imported with kms.Key.from_key_arn)"
            )
        name = self.service_log_group_name
        if name is not None:
            validate_log_group_name(name, "LogGroupOptions.service_log_group_name")
            if self.per_function:
                raise ValueError(
                    f"LogGroupOptions.service_log_group_name={name!r} cannot be combined "
                    "with LogGroupOptions.per_function=True (each function then has a group "
                    "of its own)"
                )


@dataclass(frozen=True, kw_only=True)
class FunctionLoggingOptions:
    """The logging configuration of the Lambda functions the app defines.

    :param application_log_level: Lambda ``ApplicationLogLevel``: TRACE, DEBUG, INFO,
        WARN, ERROR or FATAL. Default: INFO.
    :param system_log_level: Lambda ``SystemLogLevel``: DEBUG or INFO. Default: INFO,
        because the platform records that the timeout, out-of-memory and cold-start metrics
        read (``platform.report``, ``platform.initStart``) are INFO records; WARN is refused
        for that reason.
    :param move_cdk_managed_log_groups: with the ``@aws-cdk/aws-lambda:useCdkManagedLogGroup``
        feature flag CDK gives every function a ``/aws/lambda/<name>`` group of its own;
        True moves such functions into the service log group anyway (CDK's group stays in
        the template with the logs it holds). Default: False (the app's group is kept, with
        the compact filters on it).
    :param move_functions_with_permissions_boundary: True says the permissions boundary on
        the app's roles (``Role(permissions_boundary=...)``, ``@aws-cdk/core:permissionsBoundary``)
        allows ``logs:CreateLogStream`` and ``logs:PutLogEvents`` on watchkeeper's groups.
        Default: False (a function under a boundary keeps its ``/aws/lambda/<name>`` group:
        watchkeeper cannot read the boundary, and Lambda drops logs it denies).
    """

    application_log_level: str = "INFO"
    system_log_level: str = "INFO"
    move_cdk_managed_log_groups: bool = False
    move_functions_with_permissions_boundary: bool = False

    def __post_init__(self) -> None:
        require_one_of(
            self.application_log_level,
            "FunctionLoggingOptions.application_log_level",
            schema.APPLICATION_LOG_LEVELS,
        )
        require_one_of(
            self.system_log_level, "FunctionLoggingOptions.system_log_level",
            schema.SYSTEM_LOG_LEVELS,
        )
        if self.system_log_level == "WARN":
            raise ValueError(
                "FunctionLoggingOptions.system_log_level='WARN' would switch off the "
                "Timeouts, OutOfMemory and ColdStarts metrics and their alarms: Lambda "
                "writes the platform.report records they read at INFO. Use 'INFO' (the "
                "default) or 'DEBUG'"
            )
        for name in ("move_cdk_managed_log_groups", "move_functions_with_permissions_boundary"):
            _require_bool(getattr(self, name), f"FunctionLoggingOptions.{name}")


@dataclass(frozen=True, kw_only=True)
class ResourceLoggingOptions:
    """Logging switched on where it is off, on the APIs and state machines the app defines.

    :param enabled: JSON access logs on every stage of monitored HTTP and REST APIs (to
        ``/watchkeeper/<service>/api-access``, with an ``EdgeAuthenticationFailures``
        metric), execution logs of monitored state machines (to
        ``/aws/vendedlogs/states/<service>-<key>``) and the logs of monitored AppSync
        GraphQL APIs (see ``graphql_field_log_level``). Only resources defined in this app are
        changed; REST API stages only when the account has API Gateway's CloudWatch Logs
        role (see ``rest_api_cloudwatch_role``). Default: True.
    :param rest_api_execution_logging: execution logging level set on REST API stages that
        have none: ``ERROR``, ``INFO`` or None (leave off). Default: ``ERROR``.
    :param rest_api_cloudwatch_role: how to know that the account has API Gateway's
        CloudWatch Logs role, which REST API access and execution logging need (without it
        the deploy fails): ``detect`` switches REST API logging on only when the app sets
        the role (an ``AWS::ApiGateway::Account`` for this account and region, e.g. a
        RestApi with ``cloud_watch_role=True``), otherwise leaves the stages as they are,
        with a synth warning; ``account-has-role``: the account has it already;
        ``create``: set it here (a role and an ``AWS::ApiGateway::Account``, once per app
        and region; account-wide, it replaces a role set before and stays when the stack is
        deleted). Default: ``detect``. HTTP APIs need no such role.
    :param state_machine_log_level: ``ALL``, ``ERROR`` or ``FATAL``. Default: ``ALL``.
    :param state_machine_include_execution_data: log state inputs and outputs.
        Default: False (payloads often hold personal data and secrets).
    :param graphql_field_log_level: field log level set on AppSync GraphQL APIs that have
        no log configuration (their logs go to ``/aws/appsync/apis/<api id>``, created
        with the service's log settings): ``NONE``, ``ERROR``, ``INFO``, ``DEBUG``,
        ``ALL``, or None (leave their logging off). Default: ``ERROR`` (``ALL`` logs every
        field's resolver data: arguments and results).
    :param graphql_include_verbose_content: also log headers, context and evaluated
        mapping templates of GraphQL requests. Default: False (they hold tokens and
        personal data).
    """

    enabled: bool = True
    rest_api_execution_logging: str | None = "ERROR"
    rest_api_cloudwatch_role: str = "detect"
    state_machine_log_level: str = "ALL"
    state_machine_include_execution_data: bool = False
    graphql_field_log_level: str | None = "ERROR"
    graphql_include_verbose_content: bool = False

    def __post_init__(self) -> None:
        _require_bool(self.enabled, "ResourceLoggingOptions.enabled")
        if self.rest_api_execution_logging is not None:
            require_one_of(
                self.rest_api_execution_logging,
                "ResourceLoggingOptions.rest_api_execution_logging",
                REST_EXECUTION_LOGGING_LEVELS,
            )
        require_one_of(
            self.rest_api_cloudwatch_role,
            "ResourceLoggingOptions.rest_api_cloudwatch_role",
            schema.REST_API_CLOUDWATCH_ROLE_OPTIONS,
        )
        require_one_of(
            self.state_machine_log_level,
            "ResourceLoggingOptions.state_machine_log_level",
            STATE_MACHINE_LOG_LEVELS,
        )
        _require_bool(
            self.state_machine_include_execution_data,
            "ResourceLoggingOptions.state_machine_include_execution_data",
        )
        level = self.graphql_field_log_level
        if level is not None and (not isinstance(level, str) or level not in FIELD_LOG_LEVELS):
            raise ValueError(
                f"ResourceLoggingOptions.graphql_field_log_level={level!r} is not allowed: use "
                f"one of {', '.join(FIELD_LOG_LEVELS)}, or None to leave GraphQL API logging off"
            )
        _require_bool(
            self.graphql_include_verbose_content,
            "ResourceLoggingOptions.graphql_include_verbose_content",
        )


@dataclass(frozen=True, kw_only=True)
class ShippingOptions:
    """Shipping every log group of the service to a central destination.

    :param destinations: required; a Kinesis/Firehose/Lambda destination of
        ``aws_logs_destinations``, a ``CrossAccountDestination`` (or its ``CfnDestination``,
        or a destination ARN), a ``CentralLogArchive``, or a list of at most two
        (CloudWatch Logs allows two subscription filters per log group).
    :param mode: ``subscription-filters`` (one filter per log group and destination) or
        ``account-policy`` (one account-wide subscription policy: an account decision, see
        docs/log-shipping.md). Default: ``subscription-filters``.
    :param filter_pattern: which events to ship. Default: "" (all).
    :param include_referenced_log_groups: also subscribe log groups watchkeeper only
        references (``/aws/lambda/<name>`` of imported functions); a group that already has
        two filters outside the app then fails the deployment. Default: True.
    :param excluded_log_groups: account-policy mode: log groups never subscribed (the
        destination's own logs, to avoid loops). Default: none.
    """

    destinations: Any
    mode: str = "subscription-filters"
    filter_pattern: str = ""
    include_referenced_log_groups: bool = True
    excluded_log_groups: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "destinations", _as_tuple(self.destinations))
        object.__setattr__(self, "excluded_log_groups", _as_tuple(self.excluded_log_groups))
        if self.destinations is None:
            raise ValueError(
                "ShippingOptions.destinations=None names no destination: to ship nothing, "
                "pass shipping=None (the default)"
            )
        _require_bool(
            self.include_referenced_log_groups, "ShippingOptions.include_referenced_log_groups"
        )
        LogShippingSettings.build(
            ship_logs_to=self.destinations,
            mode=self.mode,
            filter_pattern=self.filter_pattern,
            ship_referenced_log_groups=self.include_referenced_log_groups,
            excluded_log_groups=self.excluded_log_groups,
        )


@dataclass(frozen=True, kw_only=True)
class AlarmOptions:
    """Where alarms notify, and the settings every alarm of a kind shares.

    :param emails: email addresses subscribed to the alarm topic. Default: none.
    :param topic: an SNS topic of your own for alarm actions. Default: a topic
        ``<qualified name>-alarms`` created here, encrypted with a new customer-managed KMS
        key (rotation on) that CloudWatch may use, TLS enforced.
    :param overrides: ``{"<kind>.<check>": AlarmSettings(...)}`` applied to every resource
        of that kind (e.g. ``"function.errors"``, ``"queue.age"``,
        ``"security.authz_failures"``); ``AlarmSettings(enabled=False)`` switches a check
        off. Per resource: ``monitor_*(..., alarms={"<check>": AlarmSettings(...)})``.
        Default: none (docs/alarms.md lists every default).
    :param concurrency_limit: the account's regional Lambda concurrency quota, 10 to
        1,000,000; the account concurrency alarm fires at 90% of it. Default: 1000 (the
        default quota).
    :param duration_threshold_share: the p90 duration alarm of a function fires above this
        share of its timeout, 0.1 to 1. Default: 0.8.
    :param chatbot_slack: ``(workspace_id, channel_id)``: post alarm notifications to a
        Slack channel through AWS Chatbot (the workspace must be authorised in the Chatbot
        console once). Default: none.
    :param notify_ok: also notify when an alarm returns to OK. Default: True.
    """

    emails: Sequence[str] = ()
    topic: sns.ITopic | None = None
    overrides: dict[str, AlarmSettings] | None = None
    concurrency_limit: int = 1000
    duration_threshold_share: float = 0.8
    chatbot_slack: tuple[str, str] | None = None
    notify_ok: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "emails", _as_tuple(self.emails))
        if self.emails is None:  # the flat keyword's "none" (alarm_emails=None)
            object.__setattr__(self, "emails", ())
        object.__setattr__(self, "chatbot_slack", _as_tuple(self.chatbot_slack))
        require_emails(self.emails, "AlarmOptions.emails")
        if self.topic is not None and not hasattr(self.topic, "topic_arn"):
            raise ValueError(f"AlarmOptions.topic={self.topic!r} must be an aws_sns.ITopic")
        validate_overrides(self.overrides, "AlarmOptions.overrides", checks=known_checks())
        if self.overrides is not None:
            object.__setattr__(self, "overrides", dict(self.overrides))
        require_number(
            self.concurrency_limit, "AlarmOptions.concurrency_limit",
            minimum=10, maximum=1_000_000, integer=True,
        )
        require_number(
            self.duration_threshold_share, "AlarmOptions.duration_threshold_share",
            minimum=0.1, maximum=1,
        )
        slack = self.chatbot_slack
        if slack is not None and (
            not isinstance(slack, tuple) or len(slack) != 2
            or not all(isinstance(v, str) and v for v in slack)
        ):
            raise ValueError(
                f"AlarmOptions.chatbot_slack={slack!r} must be (workspace_id, channel_id), "
                "e.g. ('T0123ABCD', 'C0123ABCD')"
            )
        _require_bool(self.notify_ok, "AlarmOptions.notify_ok")


@dataclass(frozen=True, kw_only=True)
class InsightsOptions:
    """Saved queries, dashboards, field indexes and anomaly detection.

    :param saved_queries: save the query catalogue (``watchkeeper.queries``) as Logs
        Insights query definitions ``<service>/<name>``. Default: True.
    :param extra_queries: more ``SavedQuery``s to save next to the catalogue; each is
        checked by ``watchkeeper.insights``. Default: none.
    :param dashboards: create the operations and the security dashboard. Default: True.
    :param dashboard_name_prefix: dashboard names are ``<prefix>-operations`` and
        ``<prefix>-security`` (``-2``... when split). Default: the qualified name
        (``<service>`` or ``<service>-<stage>``).
    :param operations_widgets: ``dashboard_layout.Widget``s appended to the operations
        dashboard. Default: none.
    :param security_widgets: ``Widget``s appended to the security dashboard. Default: none.
    :param field_indexes: field index policy on the log groups watchkeeper creates: True
        indexes requestId, userId, event, sourceIp and function_request_id; a list names
        the fields (at most 20); False none. Default: True (no charge of its own; it cuts
        what forensics queries scan).
    :param log_anomaly_detection: a CloudWatch Logs anomaly detector on each log group
        watchkeeper creates. Default: False (see docs/queries-and-dashboards.md).
    :param function_graphs: how the operations dashboard draws functions: ``"per_function"``
        a row of three graphs each; ``"fleet"`` graphs with a line per function (at most 20
        per graph) and the account's Lambda concurrency; ``"auto"`` a row each up to 10
        functions, fleet graphs from 11. Default: ``"auto"``.
    """

    saved_queries: bool = True
    extra_queries: Sequence[SavedQuery] = ()
    dashboards: bool = True
    dashboard_name_prefix: str | None = None
    operations_widgets: Sequence[Widget] = ()
    security_widgets: Sequence[Widget] = ()
    field_indexes: bool | Sequence[str] = True
    log_anomaly_detection: bool = False
    function_graphs: str = "auto"

    def __post_init__(self) -> None:
        for name in ("extra_queries", "operations_widgets", "security_widgets"):
            value = getattr(self, name)
            # None was the flat keywords' "none"
            object.__setattr__(self, name, () if value is None else _as_tuple(value))
        object.__setattr__(self, "field_indexes", _as_tuple(self.field_indexes))
        for name in ("saved_queries", "dashboards", "log_anomaly_detection"):
            _require_bool(getattr(self, name), f"InsightsOptions.{name}")
        InsightsSettings.build(
            saved_queries=self.saved_queries,
            extra_queries=self.extra_queries,
            dashboards=self.dashboards,
            dashboard_name_prefix=self.dashboard_name_prefix,
            operations_widgets=self.operations_widgets,
            security_widgets=self.security_widgets,
            field_indexes=self.field_indexes,
            log_anomaly_detection=self.log_anomaly_detection,
            function_graphs=self.function_graphs,
        )


#: The argument of each struct (``ServiceMonitoring(log_groups=LogGroupOptions(...))``).
STRUCTS: dict[str, type] = {
    "log_groups": LogGroupOptions,
    "function_logging": FunctionLoggingOptions,
    "resource_logging": ResourceLoggingOptions,
    "shipping": ShippingOptions,
    "alarms": AlarmOptions,
    "insights": InsightsOptions,
    "detections": DetectionOptions,
}

#: The flat keywords of the first release (deprecated): keyword -> (argument, field).
DEPRECATED_KEYWORDS: dict[str, tuple[str, str]] = {
    "log_group_per_function": ("log_groups", "per_function"),
    "log_group_name": ("log_groups", "service_log_group_name"),
    "retention": ("log_groups", "retention"),
    "encryption_key": ("log_groups", "encryption_key"),
    "removal_policy": ("log_groups", "removal_policy"),
    "data_protection": ("log_groups", "data_protection"),
    "data_identifiers": ("log_groups", "data_identifiers"),
    "application_log_level": ("function_logging", "application_log_level"),
    "system_log_level": ("function_logging", "system_log_level"),
    "move_cdk_managed_log_groups": ("function_logging", "move_cdk_managed_log_groups"),
    "enable_resource_logging": ("resource_logging", "enabled"),
    "rest_api_execution_logging": ("resource_logging", "rest_api_execution_logging"),
    "rest_api_cloudwatch_role": ("resource_logging", "rest_api_cloudwatch_role"),
    "state_machine_log_level": ("resource_logging", "state_machine_log_level"),
    "state_machine_include_execution_data": (
        "resource_logging", "state_machine_include_execution_data"),
    "ship_logs_to": ("shipping", "destinations"),
    "ship_logs_mode": ("shipping", "mode"),
    "ship_logs_filter_pattern": ("shipping", "filter_pattern"),
    "ship_referenced_log_groups": ("shipping", "include_referenced_log_groups"),
    "ship_logs_excluded_log_groups": ("shipping", "excluded_log_groups"),
    "alarm_emails": ("alarms", "emails"),
    "alarm_topic": ("alarms", "topic"),
    "alarm_overrides": ("alarms", "overrides"),
    "concurrency_limit": ("alarms", "concurrency_limit"),
    "duration_threshold_share": ("alarms", "duration_threshold_share"),
    "chatbot_slack": ("alarms", "chatbot_slack"),
    "notify_ok": ("alarms", "notify_ok"),
    "saved_queries": ("insights", "saved_queries"),
    "extra_queries": ("insights", "extra_queries"),
    "dashboards": ("insights", "dashboards"),
    "dashboard_name_prefix": ("insights", "dashboard_name_prefix"),
    "operations_widgets": ("insights", "operations_widgets"),
    "security_widgets": ("insights", "security_widgets"),
    "field_indexes": ("insights", "field_indexes"),
    "log_anomaly_detection": ("insights", "log_anomaly_detection"),
}


@dataclass(frozen=True)
class MonitoringOptions:
    """Every option struct, filled in (``shipping`` None: logs are not shipped)."""

    log_groups: LogGroupOptions
    function_logging: FunctionLoggingOptions
    resource_logging: ResourceLoggingOptions
    shipping: ShippingOptions | None
    alarms: AlarmOptions
    insights: InsightsOptions
    detections: DetectionOptions

    def arguments(self) -> dict[str, Any]:
        """The structs as keyword arguments of ``ServiceMonitoring``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def deprecation_message(keyword: str) -> str:
    argument, field = DEPRECATED_KEYWORDS[keyword]
    return (
        f"{keyword}= is deprecated; use {argument}={STRUCTS[argument].__name__}({field}=...)"
    )


def resolve_options(owner: str, given: Mapping[str, Any]) -> MonitoringOptions:
    """The option structs from ``given``: the struct arguments (None: not given) and any
    deprecated flat keywords, for ``owner`` (the class named in errors).

    A flat keyword warns once (``DeprecationWarning``, attributed to the caller's line);
    one given together with the struct that holds its field is an error, as is an unknown
    keyword (``TypeError``, as Python raises for one) or a struct argument of another type.
    """
    structs: dict[str, Any] = {}
    flat: dict[str, dict[str, Any]] = {argument: {} for argument in STRUCTS}
    for name, value in given.items():
        if name in STRUCTS:
            structs[name] = _checked_struct(name, value)
        elif name in DEPRECATED_KEYWORDS:
            argument, field = DEPRECATED_KEYWORDS[name]
            flat[argument][field] = (name, value)
        else:
            raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")
    for argument, values in flat.items():
        if values and structs.get(argument) is not None:
            field, (keyword, _) = next(iter(values.items()))
            raise ValueError(
                f"{owner}: {keyword}= and {argument}= were both given; {keyword}= is "
                f"deprecated and {argument}= holds the same option: set "
                f"{STRUCTS[argument].__name__}.{field} in {argument}= instead"
            )
    level = _caller_level()
    for argument, values in flat.items():
        if not values:
            continue
        for keyword, _ in values.values():
            warnings.warn(deprecation_message(keyword), DeprecationWarning, stacklevel=level)
        fields_given = {field: value for field, (_, value) in values.items()}
        if argument == "shipping" and fields_given.get("destinations") is None:
            # The flat keywords allowed ship_logs_to=None (no shipping) with the others
            # still set; the rules for that case are the settings' own.
            LogShippingSettings.build(
                ship_logs_to=None,
                mode=fields_given.get("mode", "subscription-filters"),
                filter_pattern=fields_given.get("filter_pattern", ""),
                excluded_log_groups=fields_given.get("excluded_log_groups", ()),
            )
            continue
        structs[argument] = STRUCTS[argument](**fields_given)
    return MonitoringOptions(
        log_groups=structs.get("log_groups") or LogGroupOptions(),
        function_logging=structs.get("function_logging") or FunctionLoggingOptions(),
        resource_logging=structs.get("resource_logging") or ResourceLoggingOptions(),
        shipping=structs.get("shipping"),
        alarms=structs.get("alarms") or AlarmOptions(),
        insights=structs.get("insights") or InsightsOptions(),
        detections=structs.get("detections") or DetectionOptions(),
    )


def with_per_function_log_groups(options: MonitoringOptions, owner: str) -> MonitoringOptions:
    """``options`` for functions deployed elsewhere, which keep their ``/aws/lambda/<name>``
    groups: one group per function, and no service log group to name."""
    name = options.log_groups.service_log_group_name
    if name is not None:
        raise ValueError(
            f"LogGroupOptions.service_log_group_name={name!r} does not apply to {owner}: its "
            "functions are given by name and keep their /aws/lambda/<name> log groups"
        )
    return replace(options, log_groups=replace(options.log_groups, per_function=True))


def _checked_struct(argument: str, value: Any) -> Any:
    expected = STRUCTS[argument]
    if value is None or isinstance(value, expected):
        return value
    if isinstance(value, Mapping):
        spelled = ", ".join(f"{k}={v!r}" for k, v in value.items())
        hint = f": pass {argument}={expected.__name__}({spelled})"
    else:
        owner = next((a for a, s in STRUCTS.items() if isinstance(value, s)), None)
        hint = f" ({type(value).__name__} goes to {owner}=)" if owner else ""
    raise TypeError(
        f"{argument}={value!r} must be a watchkeeper.{expected.__name__}, not a "
        f"{type(value).__name__}{hint}"
    )


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside watchkeeper and jsii (the line of the
    app that passed the keyword), so the warning points there and default filters, which
    show DeprecationWarnings raised in ``__main__``, show it for a CDK app."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module == "watchkeeper" or module.startswith(("watchkeeper.", "jsii"))):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
