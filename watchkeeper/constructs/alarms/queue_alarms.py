"""Alarms of SQS queues (AWS/SQS, dimension QueueName).

A working queue gets the age of its oldest message; a dead-letter queue (recognised from
another queue's redrive policy, or from a function's dead-letter configuration) gets an
alarm on any visible message instead: a message there is a request that failed for good.
"""

from __future__ import annotations

from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.targets import QueueTarget

NAMESPACE = "AWS/SQS"
KIND = "queue"


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
