"""Step Functions state machines: discovery, target record, alarms (AWS/States, dimension
StateMachineArn) and dashboard panels. Their execution logging is switched on by
``resource_logging``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import GT, NOT_BREACHING, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import (
    PERCENTILES,
    Registrar,
    ResourceKind,
    last_id,
    literal,
)
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/States"
KIND = "state_machine"

#: The kind's alarm checks, in the order of docs/alarms.md.
CHECKS: tuple[Check, ...] = (
    Check(KIND, "failed", "executions failed", "ExecutionsFailed", "Sum", 0, GT, 60, 1,
          1, NOT_BREACHING, "critical", "executions per minute", QueryName.RECENT_ERRORS),
    Check(KIND, "timed_out", "executions timed out", "ExecutionsTimedOut", "Sum", 0, GT,
          60, 1, 1, NOT_BREACHING, "critical", "executions per minute", QueryName.RECENT_ERRORS),
    Check(KIND, "throttled", "executions throttled", "ExecutionThrottled", "Sum", 0, GT,
          60, 5, 5, NOT_BREACHING, "warning", "events per minute", QueryName.RECENT_ERRORS),
    Check(KIND, "aborted", "executions aborted", "ExecutionsAborted", "Sum", 0, GT, 60,
          1, 1, NOT_BREACHING, "warning", "executions per minute", QueryName.RECENT_ERRORS),
)
_METRICS = {"failed": "ExecutionsFailed", "timed_out": "ExecutionsTimedOut",
            "throttled": "ExecutionThrottled", "aborted": "ExecutionsAborted"}


@dataclass
class StateMachineTarget:
    key: str
    label: str
    state_machine_arn: str
    state_machine: Any
    extra: dict[str, Any] = field(default_factory=dict)
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_state_machine(target: StateMachineTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("StateMachineArn", target.state_machine_arn),)
    return ctx.metric_plans(KIND, target, NAMESPACE, dims, _METRICS)


def register_cfn_state_machine(registrar: Registrar, cfn: Any, path: str) -> None:
    """A ``stepfunctions.CfnStateMachine`` (Ref: its ARN)."""
    name = literal(cfn, cfn.state_machine_name)
    registrar.register(KIND, path, StateMachineTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        state_machine_arn=cfn.ref, state_machine=cfn))


STATE_MACHINE = ResourceKind(
    name=KIND,
    collection="state_machines",
    identifier="state_machine_arn",
    l2=lambda: loaded_classes("aws_stepfunctions", "StateMachine"),
    l1=lambda: loaded_classes("aws_stepfunctions", "CfnStateMachine"),
    register_l1=register_cfn_state_machine,
    plan_alarms=plan_state_machine,
    checks=CHECKS,
    panels=(NAMESPACE, "StateMachineArn", (
        ("executions", tuple((m, "Sum", {}) for m in (
            "ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed",
            "ExecutionsTimedOut", "ExecutionThrottled"))),
        ("execution time (ms)", tuple(("ExecutionTime", st, o) for st, o in PERCENTILES)),
    )),
)
