"""Builds every alarm of a monitored service from its model, at synth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from watchkeeper.constructs.alarms.composite import build_health_composite
from watchkeeper.constructs.alarms.core import (
    DIRECT,
    VIA_COMPOSITE,
    AlarmPlan,
    PlanContext,
    WatchkeeperAlarm,
    render,
)
from watchkeeper.constructs.alarms.security_alarms import plan_service
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.kinds.function import KIND as FUNCTION_KIND

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.model import ServiceModel


def plan_all(model: ServiceModel, published_log_metrics: frozenset[str]) -> list[AlarmPlan]:
    """Every alarm plan of the service, in a stable order (no CDK objects created): each
    kind's targets in registry order, the service-wide alarms after the functions'.

    :param published_log_metrics: the log metrics the filters publish (the size estimate,
        which plans before any filter exists, passes all of them).
    """
    options = model.alarms
    ctx = PlanContext(
        service=model.qualified_name,
        kind_overrides=dict(options.overrides),
        concurrency_limit=options.concurrency_limit,
        duration_threshold_share=options.duration_threshold_share,
        published_log_metrics=published_log_metrics,
        checks=registry.known_checks(),
    )
    plans: list[AlarmPlan] = []
    for kind in registry.KINDS:
        for target in model.of(kind.name):
            plans += kind.plan_alarms(target, ctx)
        if kind.name == FUNCTION_KIND:
            # The service-wide alarms read the functions' logs: they follow them.
            plans += plan_service(ctx, bool(model.functions))
    _shorten_names(plans, model.qualified_name, model.service_name)
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


def build_alarms(owner: Construct, model: ServiceModel,
                 published_log_metrics: frozenset[str]) -> list[WatchkeeperAlarm]:
    """Every alarm, under ``owner`` (or the target's nested stack, ``model.placement``)."""
    plans = plan_all(model, published_log_metrics)
    if not plans:
        return []
    scope = Construct(owner, "Alarms")
    actions = [model.alarms.topic_arn]
    ok_actions = actions if model.alarms.notify_ok else []
    built: list[WatchkeeperAlarm] = []
    children = []
    # A placement puts each function's resources in a nested stack of its own shard;
    # otherwise every alarm lives under one "Alarms" construct.
    placed = model.placement.scope_for_target is not None
    targets = {t.key: t for t in model.functions} if placed else {}
    for plan in plans:
        direct = plan.routing == DIRECT
        target = targets.get(plan.resource_key)
        plan_scope = model.scope_for(target, owner) if target is not None else scope
        cfn = render(plan_scope, plan, alarm_actions=actions if direct else [],
                     ok_actions=ok_actions if direct else [])
        built.append(WatchkeeperAlarm(
            cfn=cfn, name=plan.name, kind=plan.check.category, resource_key=plan.resource_key,
            check=plan.check.key, severity=plan.settings.severity, routing=plan.routing,
        ))
        if not direct:
            children.append((plan.name, cfn))
    composites = build_health_composite(
        scope, model.qualified_name, children, alarm_actions=actions, ok_actions=ok_actions
    )
    for index, (name, composite, child_names) in enumerate(composites):
        top = index == 0
        built.append(WatchkeeperAlarm(
            cfn=composite, name=name, kind="composite", resource_key="service",
            check="service.health", severity="critical",
            routing=DIRECT if top else VIA_COMPOSITE, children=list(child_names),
        ))
    return built
