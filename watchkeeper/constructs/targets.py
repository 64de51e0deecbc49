"""What ServiceMonitoring monitors: one small record per resource.

Builders (log groups, metric filters, alarms, queries, dashboards) read these records, not
the CDK objects, so each builder crosses the jsii bridge only to create its own resources
(most synth time is spent in jsii round trips to Node).

Every target carries:
- ``key``: a short, stable, unique-in-the-service slug used in construct ids and names
  (``<service>-<key>-<check>``); it comes from the resource's literal name when it has
  one, else from its construct id, so it does not change between synths.
- ``label``: what a person reads on a dashboard or in an alarm description.
- the resource's name or identifier as CloudFormation sees it (a literal or a token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SLUG_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def slugify(text: str, max_length: int = 64) -> str:
    """``CreateOrderFn`` -> ``create-order-fn``; ``orders_prod/create`` -> ``orders-prod-create``.
    """
    parts = [p.lower() for p in _SLUG_SPLIT.split(text) if p]
    slug = "-".join(parts)[:max_length].strip("-")
    return slug or "resource"


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


@dataclass
class HttpApiTarget:
    key: str
    label: str
    api_id: str
    api: Any
    stage: str | None = "$default"
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class RestApiTarget:
    key: str
    label: str
    api_name: str
    api: Any
    stage: str | None = "prod"
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class QueueTarget:
    key: str
    label: str
    queue_name: str
    queue: Any
    is_dead_letter_queue: bool = False
    #: Key of the queue whose dead-letter queue this is, when known.
    source_key: str | None = None
    #: Label of the queue or function whose dead-letter queue this is, when known.
    source_label: str | None = None
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class TableTarget:
    key: str
    label: str
    table_name: str
    table: Any
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateMachineTarget:
    key: str
    label: str
    state_machine_arn: str
    state_machine: Any
    extra: dict[str, Any] = field(default_factory=dict)
    alarm_overrides: dict[str, Any] = field(default_factory=dict)
