"""Alarms of Step Functions state machines (AWS/States, dimension StateMachineArn)."""

from __future__ import annotations

from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.targets import StateMachineTarget

NAMESPACE = "AWS/States"
KIND = "state_machine"
_METRICS = {"failed": "ExecutionsFailed", "timed_out": "ExecutionsTimedOut",
            "throttled": "ExecutionThrottled", "aborted": "ExecutionsAborted"}


def plan_state_machine(target: StateMachineTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("StateMachineArn", target.state_machine_arn),)
    plans = []
    for name, metric_name in _METRICS.items():
        settings = ctx.resolve(KIND, name, target.alarm_overrides)
        if ctx.wanted(settings, True):
            plans.append(AlarmPlan(settings=settings, resource_key=target.key,
                                   label=target.label, service=ctx.service,
                                   metric=MetricRef(NAMESPACE, metric_name, dims)))
    return plans
