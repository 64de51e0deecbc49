"""Builds every alarm of a ServiceMonitoring from its target records, at synth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from watchkeeper.constructs.alarms.api_alarms import plan_http_api, plan_rest_api
from watchkeeper.constructs.alarms.composite import build_health_composite
from watchkeeper.constructs.alarms.core import (
    DIRECT,
    VIA_COMPOSITE,
    AlarmPlan,
    PlanContext,
    WatchkeeperAlarm,
    render,
)
from watchkeeper.constructs.alarms.function_alarms import plan_function
from watchkeeper.constructs.alarms.queue_alarms import plan_queue
from watchkeeper.constructs.alarms.security_alarms import plan_service
from watchkeeper.constructs.alarms.state_machine_alarms import plan_state_machine
from watchkeeper.constructs.alarms.table_alarms import plan_table

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.service_monitoring import ServiceMonitoring


def plan_all(
    mon: ServiceMonitoring, published_log_metrics: frozenset[str] | None = None
) -> list[AlarmPlan]:
    """Every alarm plan of ``mon``, in a stable order (no CDK objects created).

    :param published_log_metrics: the log metrics the filters publish. Default: those of
        ``mon.metric_filters`` (the size estimate plans before any filter exists).
    """
    if published_log_metrics is None:
        published_log_metrics = frozenset(
            name for filters in mon.metric_filters for name in filters.metric_names
        )
    ctx = PlanContext(
        service=mon.qualified_name,
        kind_overrides=mon.alarm_overrides,
        concurrency_limit=mon.concurrency_limit,
        duration_threshold_share=mon.duration_threshold_share,
        has_api=bool(mon.http_apis or mon.rest_apis),
        published_log_metrics=published_log_metrics,
    )
    plans: list[AlarmPlan] = []
    for f in mon.functions:
        plans += plan_function(f, ctx)
    plans += plan_service(ctx, bool(mon.functions))
    for h in mon.http_apis:
        plans += plan_http_api(h, ctx)
    for r in mon.rest_apis:
        plans += plan_rest_api(r, ctx)
    for q in mon.queues:
        plans += plan_queue(q, ctx)
    for t in mon.tables:
        plans += plan_table(t, ctx)
    for s in mon.state_machines:
        plans += plan_state_machine(s, ctx)
    _shorten_names(plans, mon.qualified_name, mon.service_name)
    return plans


def _shorten_names(plans: list[AlarmPlan], *names: str) -> None:
    """``orders-orders-create-errors`` -> ``orders-create-errors``: drop the qualified or
    service name (the first of ``names`` it starts with) from a resource key, unless that
    would collide with another key."""
    keys = {p.resource_key for p in plans}
    prefixes = [f"{name}-" for name in dict.fromkeys(names)]
    for plan in plans:
        key = plan.resource_key
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is not None and key[len(prefix):] and key[len(prefix):] not in keys:
            plan.name_key = key[len(prefix):]


def build_alarms(mon: ServiceMonitoring, topic_arn: str) -> list[WatchkeeperAlarm]:
    plans = plan_all(mon)
    if not plans:
        return []
    scope = Construct(mon, "Alarms")
    actions = [topic_arn]
    ok_actions = actions if mon.notify_ok else []
    built: list[WatchkeeperAlarm] = []
    children = []
    # MonitoringStack places each function's resources in a nested stack of its own
    # shard (mon.scope_for); otherwise every alarm lives under one "Alarms" construct.
    targets = {t.key: t for t in mon.functions} if mon._placement is not None else {}
    for plan in plans:
        direct = plan.routing == DIRECT
        target = targets.get(plan.resource_key)
        plan_scope = mon.scope_for(target) if target is not None else scope
        cfn = render(plan_scope, plan, alarm_actions=actions if direct else [],
                     ok_actions=ok_actions if direct else [])
        built.append(WatchkeeperAlarm(
            cfn=cfn, name=plan.name, kind=plan.check.category, resource_key=plan.resource_key,
            check=plan.check.key, severity=plan.settings.severity, routing=plan.routing,
        ))
        if not direct:
            children.append((plan.name, cfn))
    composites = build_health_composite(
        scope, mon.qualified_name, children, alarm_actions=actions, ok_actions=ok_actions
    )
    for index, (name, composite, child_names) in enumerate(composites):
        top = index == 0
        built.append(WatchkeeperAlarm(
            cfn=composite, name=name, kind="composite", resource_key="service",
            check="service.health", severity="critical",
            routing=DIRECT if top else VIA_COMPOSITE, children=list(child_names),
        ))
    return built
