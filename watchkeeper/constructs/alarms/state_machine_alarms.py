"""Alarms of Step Functions state machines (AWS/States, dimension StateMachineArn)."""

from __future__ import annotations

from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.targets import StateMachineTarget

NAMESPACE = "AWS/States"
KIND = "state_machine"
_METRICS = {"failed": "ExecutionsFailed", "timed_out": "ExecutionsTimedOut",
            "throttled": "ExecutionThrottled", "aborted": "ExecutionsAborted"}


def plan_state_machine(target: StateMachineTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("StateMachineArn", target.state_machine_arn),)
    return ctx.metric_plans(KIND, target, NAMESPACE, dims, _METRICS)
