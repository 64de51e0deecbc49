"""Lambda functions: discovery, target record, alarms (AWS/Lambda, dimension FunctionName)
and dashboard section. Where a function logs is decided by ``function_logging``.


Which checks a function gets:
- always: errors, throttles, and duration p90 when its timeout is known (owned functions;
  imported ones with ``monitor_function(fn, timeout=...)``);
- error_rate (metric math guarded against zero invocations): opt in; at the default
  thresholds it fires only when errors fires too;
- concurrency: when the function has reserved concurrency (90% of it); the account-wide
  limit is watched once per service (``service.account_concurrency``);
- iterator_age: when a Kinesis or DynamoDB stream event source mapping invokes it;
- async_events_dropped / async_event_age: when it is invoked asynchronously (an
  EventInvokeConfig with a destination, an S3 notification, SNS subscription, EventBridge
  rule, CloudWatch Logs subscription filter, or a permission for S3, SNS, EventBridge,
  CloudWatch Logs, SES, IoT or CodeCommit to invoke it; ``monitor_function(fn,
  asynchronous=...)`` decides instead);
- dead_letter_errors: when it has a dead-letter queue or topic;
- traffic_anomaly: opt in per function (the API's traffic anomaly alarm is on by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import (
    ANOMALY_UPPER,
    GT,
    NOT_BREACHING,
    PERCENTILE_STATISTICS,
    SECURITY,
    Check,
)
from watchkeeper.constructs.cdk_internals import cfn_properties
from watchkeeper.constructs.kinds.base import (
    Registrar,
    ResourceKind,
    int_or_none,
    last_id,
    literal,
)
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/Lambda"
#: The dimension of a function's metrics in ``NAMESPACE``.
DIMENSION = "FunctionName"
KIND = "function"

#: The kind's alarm checks, in the order of docs/alarms.md.
CHECKS: tuple[Check, ...] = (
    Check(KIND, "errors", "errors", "Errors", "Sum", 0, GT, 60, 3, 3, NOT_BREACHING,
          "critical", "errors per minute", QueryName.RECENT_ERRORS),
    # Opt-in: at the defaults it can only fire when `errors` (> 0, same 3 of 3) fires too,
    # so it would add $0.20 per function per month and no detection. It is the alarm for
    # busy functions where some errors are normal (switch `errors` off or raise it).
    Check(KIND, "error_rate", "error rate", "100*Errors/Invocations", "Sum", 5, GT, 60, 3, 3,
          NOT_BREACHING, "critical", "% of invocations", QueryName.RECENT_ERRORS, maximum=100,
          when="opted in (AlarmSettings(enabled=True)), e.g. for busy functions with "
               "`errors` switched off"),
    Check(KIND, "throttles", "throttles", "Throttles", "Sum", 0, GT, 60, 5, 5, NOT_BREACHING,
          "critical", "throttles per minute", QueryName.RECENT_ERRORS),
    Check(KIND, "duration", "p90 duration near timeout", "Duration", "p90", 0, GT, 60, 15, 15,
          NOT_BREACHING, "warning", "ms (default: duration_threshold_share of the timeout)",
          QueryName.SLOWEST_INVOCATIONS, statistics=PERCENTILE_STATISTICS),
    Check(KIND, "concurrency", "concurrency near its limit", "ConcurrentExecutions",
          "Maximum", 0, GT, 60, 10, 10, NOT_BREACHING, "warning",
          "executions (default: 90% of reserved concurrency)", QueryName.SLOWEST_INVOCATIONS,
          minimum=1, when="the function has reserved concurrency"),
    Check(KIND, "iterator_age", "stream iterator age", "IteratorAge", "Maximum", 60_000, GT,
          60, 15, 15, NOT_BREACHING, "warning", "ms", QueryName.RECENT_ERRORS,
          when="a Kinesis or DynamoDB stream event source mapping"),
    Check(KIND, "async_events_dropped", "async events dropped", "AsyncEventsDropped", "Sum",
          0, GT, 60, 1, 1, NOT_BREACHING, "critical", "events per minute", QueryName.RECENT_ERRORS,
          when="invoked asynchronously"),
    Check(KIND, "async_event_age", "async event age", "AsyncEventAge", "Maximum", 300_000, GT,
          60, 5, 5, NOT_BREACHING, "warning", "ms", QueryName.RECENT_ERRORS,
          when="invoked asynchronously"),
    Check(KIND, "dead_letter_errors", "dead-letter delivery errors", "DeadLetterErrors",
          "Sum", 0, GT, 60, 1, 1, NOT_BREACHING, "critical", "errors per minute",
          QueryName.RECENT_ERRORS, when="a dead-letter queue or topic"),
    Check(KIND, "traffic_anomaly", "invocations above the expected band", "Invocations",
          "Sum", 3, ANOMALY_UPPER, 300, 3, 2, NOT_BREACHING, "warning", "standard deviations",
          QueryName.RECENT_ERRORS, category=SECURITY, anomaly=True, minimum=0.1, maximum=10,
          when="opted in per function (AlarmSettings(enabled=True)); APIs have one by default"),
)
#: CloudWatch alarms on a share of reserved concurrency use this share by default.
CONCURRENCY_SHARE = 0.9
_STREAM_SOURCES = ("kinesis", "dynamodb")


@dataclass
class FunctionTarget:
    """A Lambda function the service owns (``owned``) or references by name."""

    key: str
    label: str
    #: Function name for metric dimensions: a literal, or a token of the in-app function.
    function_name: str
    #: The CDK function (``aws_lambda.IFunction``).
    function: Any
    #: Defined in this app, so its logging configuration can be set.
    owned: bool
    #: Timeout in seconds: from the function's definition, or given for an imported one.
    timeout_seconds: float | None = None
    #: Reserved concurrency, when set.
    reserved_concurrency: int | None = None
    #: Name of the log group the function writes to (literal or token).
    log_group_name: str | None = None
    #: The literal name of the group watchkeeper moved the function to, for messages.
    log_group_display_name: str | None = None
    #: True when the log group is the service log group (JSON, full filter set).
    in_service_log_group: bool = False
    #: Kinds of event source mappings found: "sqs", "kinesis", "dynamodb", "kafka", ...
    event_sources: tuple[str, ...] = ()
    #: Has a dead-letter queue/topic configured (DeadLetterErrors is meaningful).
    has_dead_letter: bool = False
    #: Memory size in MB, when known.
    memory_mb: int | None = None
    #: The L1 resource for owned functions (``aws_lambda.CfnFunction``), else None.
    cfn: Any = None
    #: The function's construct node, as registration read it (each read of ``.node`` is
    #: a round trip to Node); None when not read.
    node: Any = None
    #: Its LoggingConfig as read at registration (None: not set).
    logging_config: Any = None
    #: Lambda log format once wired: "JSON" or "Text" (None: not known, e.g. imported).
    log_format: str | None = None
    #: Invoked asynchronously: found from what the app wires (an EventInvokeConfig with a
    #: destination; S3, SNS, EventBridge, CloudWatch Logs, SES, IoT or CodeCommit invoking
    #: it), or as ``monitor_function(fn, asynchronous=...)`` says.
    async_invoked: bool = False
    #: ``monitor_function(fn, asynchronous=...)``: overrides discovery (None: discover).
    asynchronous: bool | None = None
    #: Per-resource alarm overrides (``monitor_function(fn, alarms=...)``), validated.
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def duration_threshold_ms(target: FunctionTarget, share: float) -> float | None:
    if target.timeout_seconds is None:
        return None
    return round(target.timeout_seconds * 1000 * share)


def validate_duration_threshold(target: FunctionTarget, threshold: float, option: str) -> None:
    """A p90 duration above the timeout can never be reached: say so at synth."""
    if target.timeout_seconds is not None and threshold > target.timeout_seconds * 1000:
        raise ValueError(
            f"{option}.threshold={threshold:g} ms is above the timeout of {target.label} "
            f"({target.timeout_seconds:g} s = {target.timeout_seconds * 1000:g} ms): a "
            "duration alarm above the timeout never fires; use a lower threshold"
        )


def validate_concurrency_threshold(
    target: FunctionTarget, threshold: float, option: str, concurrency_limit: int
) -> None:
    limit = target.reserved_concurrency or concurrency_limit
    if threshold > limit:
        what = "reserved concurrency" if target.reserved_concurrency else "concurrency_limit"
        raise ValueError(
            f"{option}.threshold={threshold:g} is above the {what} of {target.label} "
            f"({limit}): the alarm could never fire"
        )


def plan_function(target: FunctionTarget, ctx: PlanContext) -> list[AlarmPlan]:
    over = target.alarm_overrides
    dims = ((DIMENSION, target.function_name),)

    def metric(name: str) -> MetricRef:
        return MetricRef(NAMESPACE, name, dims)

    def plan(name: str, **kw: object) -> AlarmPlan:
        return AlarmPlan(settings=ctx.resolve(KIND, name, over), resource_key=target.key,
                         label=target.label, service=ctx.service, **kw)  # type: ignore[arg-type]

    plans: list[AlarmPlan] = []

    def add(name: str, condition: bool, **kw: object) -> AlarmPlan | None:
        p = plan(name, **kw)
        if ctx.wanted(p.settings, condition):
            plans.append(p)
            return p
        return None

    add("errors", True, metric=metric("Errors"))
    add("error_rate", False, expression="IF(m2 > 0, 100 * m1 / m2, 0)",
        math_metrics=(metric("Errors"), metric("Invocations")))
    add("throttles", True, metric=metric("Throttles"))

    # Duration: a share of the function's own timeout unless a threshold is given.
    duration = plan("duration", metric=metric("Duration"))
    explicit = _explicit_threshold(ctx, "duration", over)
    default_ms = duration_threshold_ms(target, ctx.duration_threshold_share)
    if ctx.wanted(duration.settings, default_ms is not None or explicit):
        if explicit:
            validate_duration_threshold(target, duration.settings.threshold,
                                        ctx.option_of(KIND, "duration", over))
        elif default_ms is None:
            raise ValueError(
                f"{ctx.option_of(KIND, 'duration', over)}: {target.label} is imported and its "
                "timeout is unknown; pass monitor_function(fn, timeout=...) or a threshold"
            )
        else:
            duration.threshold = default_ms
            duration.threshold_note = (
                f"ms ({ctx.duration_threshold_share:.0%} of the {target.timeout_seconds:g}s "
                "timeout)")
        plans.append(duration)

    concurrency = plan("concurrency", metric=metric("ConcurrentExecutions"))
    explicit = _explicit_threshold(ctx, "concurrency", over)
    if ctx.wanted(concurrency.settings, target.reserved_concurrency is not None):
        limit = target.reserved_concurrency or ctx.concurrency_limit
        if explicit:
            validate_concurrency_threshold(target, concurrency.settings.threshold,
                                           ctx.option_of(KIND, "concurrency", over),
                                           ctx.concurrency_limit)
        else:
            concurrency.threshold = int(limit * CONCURRENCY_SHARE)
            what = "reserved concurrency" if target.reserved_concurrency else "account limit"
            concurrency.threshold_note = f"(90% of {what} {limit})"
        plans.append(concurrency)

    add("iterator_age", any(s in _STREAM_SOURCES for s in target.event_sources),
        metric=metric("IteratorAge"))
    add("async_events_dropped", target.async_invoked, metric=metric("AsyncEventsDropped"))
    add("async_event_age", target.async_invoked, metric=metric("AsyncEventAge"))
    add("dead_letter_errors", target.has_dead_letter, metric=metric("DeadLetterErrors"))
    # Opt-in per function: an anomaly alarm bills three alarm metrics, and the API's
    # traffic anomaly alarm (on by default) already watches for floods at the edge.
    add("traffic_anomaly", False, metric=metric("Invocations"))
    return plans


def _explicit_threshold(ctx: PlanContext, name: str, over: dict) -> bool:
    layers = (ctx.kind_overrides.get(f"{KIND}.{name}"), over.get(name))
    return any(layer is not None and layer.threshold is not None for layer in layers)


def register_cfn_function(registrar: Registrar, cfn: lambda_.CfnFunction, path: str) -> None:
    """A ``CfnFunction``: monitored by its name; its logging configuration is left as
    the app wrote it (its role is the app's to grant), and the compact metric filters
    go on the group it logs to."""
    registrar.register(KIND, path, read_only_target(registrar, cfn, path))


def read_only_target(registrar: Registrar, cfn: lambda_.CfnFunction, path: str
                     ) -> FunctionTarget:
    """A function of the app that watchkeeper monitors without changing it (an L1, or a
    function of another stack), reading the group it logs to from its LoggingConfig."""
    props = cfn_properties(cfn)
    literal_name = literal(cfn, props.get("functionName"))
    config = logging_config_dict(cfn, props.get("loggingConfig"))
    target = FunctionTarget(
        key=registrar.unique_key(literal_name or last_id(path)),
        label=literal_name or path,
        function_name=literal_name or cfn.ref,  # Ref: the function's name
        function=cfn,
        owned=False,
        timeout_seconds=int_or_none(props.get("timeout")) or 3,
        reserved_concurrency=int_or_none(props.get("reservedConcurrentExecutions")),
        memory_mb=int_or_none(props.get("memorySize")) or 128,
        has_dead_letter=props.get("deadLetterConfig") is not None,
        cfn=cfn,
        logging_config=props.get("loggingConfig"),
        log_format="JSON" if config.get("logFormat") == "JSON" else "Text",
    )
    app_group = config.get("logGroup")
    if app_group:
        group = registrar.reference_log_group(f"{target.key}-AppLogGroup", app_group)
    else:
        group = registrar.lambda_log_group(target)
    target.log_group_name = group.log_group_name
    registrar.add_log_group(group)
    return target


def logging_config_dict(cfn: lambda_.CfnFunction, current: Any) -> dict[str, Any]:
    """The function's LoggingConfig (``current``, as read from ``cfn``) as a dict."""
    if current is None:
        return {}
    resolved = cdk.Stack.of(cfn).resolve(current)
    if not isinstance(resolved, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in resolved.items():
        out[key[0].lower() + key[1:]] = value
    # A log group given as a token resolves to {"Ref": ...}; keep the original token.
    if "logGroup" in out and not isinstance(out["logGroup"], str):
        group = getattr(current, "log_group", None)
        out["logGroup"] = group if isinstance(group, str) else cdk.Token.as_string(out["logGroup"])
    return out


FUNCTION = ResourceKind(
    name=KIND,
    collection="functions",
    identifier="function_name",
    l2=lambda: (lambda_.Function,),
    l1=lambda: (lambda_.CfnFunction,),
    register_l1=register_cfn_function,
    plan_alarms=plan_function,
    checks=CHECKS,
)
