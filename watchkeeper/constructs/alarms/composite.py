"""The service-health composite alarm, and the notification policy.

Policy (so that one incident pages once, not ten times):
- **critical operational** alarms (errors, error rate, throttles, 5xx, dead-letter
  messages, async events dropped, DynamoDB system errors, failed state machine executions,
  timeouts, out of memory...) have no action of their own: they are children of
  ``<service>-service-health``, which notifies (ALARM, and OK when ``notify_ok``). An outage
  that breaks ten functions flips ten children and sends one notification.
- **warning** alarms (slow-burn signals: duration, latency, 4xx rate, queue age,
  throttle events, concurrency) notify directly.
- **security** alarms always notify directly and are not children of the composite: each
  is a distinct signal that a security engineer must see even while the service is down.

A composite alarm takes at most 100 children and a rule of 10,240 characters. Above that
the children are split into ``<service>-service-health-part-<n>`` composites (no actions)
under the one ``<service>-service-health`` that notifies.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from watchkeeper import schema
from watchkeeper.limits import MAX_ALARM_RULE_LENGTH as MAX_RULE_LENGTH
from watchkeeper.limits import MAX_ALARMS_PER_ALARM_RULE as MAX_CHILDREN


def health_alarm_name(service: str) -> str:
    return f"{service}-service-health"


def _chunks(names: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    length = 0
    for name in names:
        term = len(_term(name)) + 4  # " OR "
        if len(chunks[-1]) >= MAX_CHILDREN or length + term > MAX_RULE_LENGTH:
            chunks.append([])
            length = 0
        chunks[-1].append(name)
        length += term
    return chunks


def _term(name: str) -> str:
    return f'ALARM("{name}")'


def build_health_composite(
    scope: Construct,
    service: str,
    children: list[tuple[str, Any]],
    *,
    alarm_actions: list[str],
    ok_actions: list[str],
) -> list[tuple[str, cloudwatch.CfnCompositeAlarm, list[str]]]:
    """Composite alarm(s) over ``children`` (name, CfnAlarm); the top one notifies.

    Returns (name, construct, child names) for every composite created, top one first.
    """
    if not children:
        return []
    by_name = dict(children)
    chunks = _chunks([name for name, _ in children])
    query = schema.saved_query_name(service, schema.QueryName.RECENT_ERRORS)
    top_name = health_alarm_name(service)
    created: list[tuple[str, cloudwatch.CfnCompositeAlarm, list[str]]] = []
    if len(chunks) == 1:
        top_children = chunks[0]
        top_deps = [by_name[n] for n in top_children]
    else:
        top_children, top_deps = [], []
        for index, chunk in enumerate(chunks, start=1):
            name = f"{top_name}-part-{index}"
            part = cloudwatch.CfnCompositeAlarm(
                scope, f"ServiceHealthPart{index}", alarm_name=name,
                alarm_rule=" OR ".join(_term(n) for n in chunk),
                alarm_description=f"Part {index} of {top_name}; notifies through it.",
                actions_enabled=False,
            )
            part.node.add_dependency(*[by_name[n] for n in chunk])
            created.append((name, part, chunk))
            top_children.append(name)
            top_deps.append(part)
    top = cloudwatch.CfnCompositeAlarm(
        scope,
        "ServiceHealth",
        alarm_name=top_name,
        alarm_rule=" OR ".join(_term(n) for n in top_children),
        alarm_description=(
            f"Service {service} is unhealthy: a critical alarm fired (see the state reason). "
            f"First run saved query {query}."
        ),
        actions_enabled=True,
        alarm_actions=alarm_actions,
        ok_actions=ok_actions or None,
    )
    top.node.add_dependency(*top_deps)
    created.insert(0, (top_name, top, top_children))
    return created
