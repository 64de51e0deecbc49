"""SQS queues: discovery, target record, alarms (AWS/SQS, dimension QueueName) and
dashboard panels.

A working queue gets the age of its oldest message; a dead-letter queue (recognised from
another queue's redrive policy, or from a function's dead-letter configuration) gets an
alarm on any visible message instead: a message there is a request that failed for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import GT, NOT_BREACHING, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/SQS"
KIND = "queue"

#: The kind's alarm checks, in the order of docs/alarms.md.
CHECKS: tuple[Check, ...] = (
    Check(KIND, "age", "oldest message age", "ApproximateAgeOfOldestMessage", "Maximum", 300, GT,
          60, 15, 15, NOT_BREACHING, "warning", "seconds", QueryName.RECENT_ERRORS,
          maximum=1_209_600, when="not a dead-letter queue"),
    Check(KIND, "dlq_messages", "messages on the dead-letter queue",
          "ApproximateNumberOfMessagesVisible", "Maximum", 0, GT, 60, 1, 1, NOT_BREACHING,
          "critical", "messages", QueryName.RECENT_ERRORS, when="a dead-letter queue"),
)


@dataclass
class QueueTarget:
    key: str
    label: str
    queue_name: str
    queue: Any
    is_dead_letter_queue: bool = False
    #: Label of the queue or function whose dead-letter queue this is, when known.
    source_label: str | None = None
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_queue(target: QueueTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("QueueName", target.queue_name),)
    plans = []
    for name, metric_name, condition in (
        ("age", "ApproximateAgeOfOldestMessage", not target.is_dead_letter_queue),
        ("dlq_messages", "ApproximateNumberOfMessagesVisible", target.is_dead_letter_queue),
    ):
        settings = ctx.resolve(KIND, name, target.alarm_overrides)
        if ctx.wanted(settings, condition):
            label = target.label
            if name == "dlq_messages" and target.source_label:
                label = f"{target.label} (dead-letter queue of {target.source_label})"
            plans.append(AlarmPlan(settings=settings, resource_key=target.key, label=label,
                                   service=ctx.service,
                                   metric=MetricRef(NAMESPACE, metric_name, dims)))
    return plans


def register_cfn_queue(registrar: Registrar, cfn: Any, path: str) -> None:
    """An ``sqs.CfnQueue``; dead-letter queues are recognised from redrive policies at
    synth."""
    name = literal(cfn, cfn.queue_name)
    registrar.register(KIND, path, QueueTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        queue_name=name or cfn.attr_queue_name, queue=cfn))


QUEUE = ResourceKind(
    name=KIND,
    collection="queues",
    identifier="queue_name",
    l2=lambda: loaded_classes("aws_sqs", "Queue"),
    l1=lambda: loaded_classes("aws_sqs", "CfnQueue"),
    register_l1=register_cfn_queue,
    plan_alarms=plan_queue,
    checks=CHECKS,
    panels=(NAMESPACE, "QueueName", (
        ("backlog", (("ApproximateNumberOfMessagesVisible", "Maximum", {}),
                     ("ApproximateAgeOfOldestMessage", "Maximum", {"yAxis": "right"}))),
        ("throughput", (("NumberOfMessagesSent", "Sum", {}),
                        ("NumberOfMessagesDeleted", "Sum", {}))),
    )),
)
