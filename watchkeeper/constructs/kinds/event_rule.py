"""EventBridge rules: discovery, target record, alarms (AWS/Events) and dashboard panels.

Dimensions ("Monitoring Amazon EventBridge", EventBridge user guide): a rule on the
default bus publishes its metrics under ``RuleName`` alone, a rule on a custom bus under
``EventBusName`` and ``RuleName``. A rule whose name CloudFormation generates on a custom
bus is noted, not monitored: its ``Ref`` is ``<bus>|<rule>``, not the name its metrics
carry. Event buses get no kind of their own: EventBridge publishes per bus only sums of
its rules' metrics (matched events, invocation attempts, latency); whether ``PutEvents``
calls fail or are throttled is published for the account, not per bus.

The checks: invocations that failed for good, throttled rules, dead-letter invocations
(events a target never got), invocations that could not be sent to the target's
dead-letter queue (when a target has one), and an opt-in anomaly band on invocations. The
dead-letter queue of a target is marked as one by discovery, so its messages alarm
(``queue.dlq_messages``).

Sources: the metrics, their dimensions and which are sent only when not zero are
EventBridge's "Monitoring Amazon EventBridge"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import ANOMALY_UPPER, GT, Check
from watchkeeper.constructs.cdk_internals import loaded_classes, object_key
from watchkeeper.constructs.kinds.base import Registrar, ResourceKind, last_id, literal

NAMESPACE = "AWS/Events"
KIND = "event_rule"
DEFAULT_BUS = "default"
_NB = "notBreaching"
_Q = schema.QueryName


@dataclass
class EventRuleTarget:
    key: str
    label: str
    #: The ``RuleName`` dimension: a literal, or the rule's ``Ref`` (default bus only).
    rule_name: str
    rule: Any
    #: The ``EventBusName`` dimension of a rule on a custom bus (a literal or a ``Ref``);
    #: None on the default bus.
    event_bus_name: str | None = None
    #: ``schedule`` (a schedule expression) or ``pattern`` (an event pattern).
    trigger: str = "pattern"
    alarm_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def extra_dimensions(self) -> tuple[tuple[str, str], ...]:
        """Dimensions after ``RuleName`` (dashboards draw them too)."""
        return (("EventBusName", self.event_bus_name),) if self.event_bus_name else ()


def _check(name: str, title: str, metric: str, threshold: float, evals: int, severity: str,
           unit: str, **extra: Any) -> Check:
    return Check(kind=KIND, name=name, title=title, metric=metric, statistic="Sum",
                 threshold=threshold, comparison=extra.pop("comparison", GT),
                 period=extra.pop("period", 60), evaluation_periods=evals,
                 datapoints_to_alarm=extra.pop("datapoints", evals), treat_missing_data=_NB,
                 severity=severity, category="operational", unit=unit,
                 query=_Q.RECENT_ERRORS, **extra)


# EventBridge publishes these only when they are not zero: missing data is "nothing failed".
CHECKS: tuple[Check, ...] = (
    _check("failed_invocations",
           "events that failed for good (retries used up; check the target's permissions, "
           "that it exists, and its errors)", "FailedInvocations", 0, 1, "critical",
           "invocations per minute"),
    _check("throttled", "rule throttled (the account's invocation quota, or the target's "
           "own; events are retried and delayed)", "ThrottledRules", 0, 5, "warning",
           "throttled per minute"),
    _check("dead_letter_invocations",
           "events the target never got (an invocation loop, or an undeliverable target)",
           "DeadLetterInvocations", 0, 1, "critical", "invocations per minute"),
    _check("dlq_delivery_failures",
           "events lost: the target's dead-letter queue refused them (its policy must let "
           "events.amazonaws.com send, and its KMS key allow it)",
           "InvocationsFailedToBeSentToDlq", 0, 1, "critical", "invocations per minute",
           when="a target has a dead-letter queue"),
    # Opt-in: 3 alarm metrics ($0.30) per rule; a scheduled rule invokes at a fixed rate,
    # and failures are alarmed above. Worth it on event-pattern rules whose volume matters
    # (a loop or a flooding producer shows here first).
    _check("invocations_anomaly", "invocations above the expected band (a loop, or a "
           "producer flooding the bus)", "Invocations", 3, 3, "warning",
           "standard deviations", comparison=ANOMALY_UPPER, period=300, datapoints=2,
           anomaly=True, minimum=0.1, maximum=10,
           when="opted in (AlarmSettings(enabled=True)), for scheduled and event-pattern "
                "rules"),
)
_METRICS = {c.name: c.metric for c in CHECKS}


def has_dead_letter_queue(rule: Any) -> bool:
    """Whether a target of the rule (an L2 ``Rule`` or a ``CfnRule``) has a dead-letter
    queue, read from the synthesized targets."""
    cfn = rule if isinstance(rule, cdk.CfnResource) else rule.node.default_child
    if not isinstance(cfn, cdk.CfnResource):
        return False  # imported: its targets are not known
    targets = cdk.Stack.of(cfn).resolve(getattr(cfn, "targets", None))
    return isinstance(targets, list) and any(
        isinstance(t, dict) and (t.get("deadLetterConfig") or t.get("DeadLetterConfig"))
        for t in targets)


def plan_event_rule(target: EventRuleTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims = (("RuleName", target.rule_name), *target.extra_dimensions)
    defaults = {
        "failed_invocations": True, "throttled": True, "dead_letter_invocations": True,
        "dlq_delivery_failures": None,  # read from the targets only when needed
        "invocations_anomaly": False,
    }
    plans = []
    for name, default in defaults.items():
        settings = ctx.resolve(KIND, name, target.alarm_overrides)
        wanted = settings.enabled if settings.enabled is not None else (
            default if default is not None else has_dead_letter_queue(target.rule))
        if wanted:
            plans.append(AlarmPlan(settings=settings, resource_key=target.key,
                                   label=target.label, service=ctx.service,
                                   metric=MetricRef(NAMESPACE, _METRICS[name], dims)))
    return plans


def mark_target_dead_letter_queues(registrar: Registrar, targets: list[EventRuleTarget],
                                   found: dict[str, list[Any]]) -> None:
    """The monitored queues that are dead-letter queues of a rule target of the stack
    (``DeadLetterConfig.Arn``, the queue's ``Fn::GetAtt <queue>.Arn``), whether the rule is
    monitored or not: their messages are events a target never got."""
    monitored = {object_key(t.rule): t for t in targets}
    for rule in found.get("event_rules", ()):
        rule_targets = cdk.Stack.of(rule).resolve(rule.targets)
        for target in rule_targets if isinstance(rule_targets, list) else ():
            config = target.get("deadLetterConfig") if isinstance(target, dict) else None
            arn = config.get("arn") if isinstance(config, dict) else None
            if not (isinstance(arn, dict) and "Fn::GetAtt" in arn):
                continue
            source = monitored.get(object_key(rule))
            registrar.mark_dead_letter_queue(
                arn["Fn::GetAtt"][0],
                source.label if source else literal(rule, rule.name) or rule.node.path)


def _dimension(scope: Any, value: Any) -> str | None:
    """``value`` as a dimension value: a literal, or a token that resolves to a ``Ref`` or
    ``Fn::GetAtt <bus>.Name`` (dashboards write those as ``${...}``); None otherwise."""
    if value is None:
        return None
    text = literal(scope, value)
    if text is not None:
        return text
    resolved = cdk.Stack.of(scope).resolve(value)
    if isinstance(resolved, dict) and ("Ref" in resolved or (
            "Fn::GetAtt" in resolved and resolved["Fn::GetAtt"][1] == "Name")):
        return str(value)
    return None


def _bus_name(scope: Any, value: Any) -> tuple[bool, str | None]:
    """(known, name) of the bus a rule is on: ``(True, None)`` for the default bus."""
    if value is None:
        return True, None
    name = _dimension(scope, value)
    if name is None:
        return False, None
    if not cdk.Token.is_unresolved(name) and ":event-bus/" in name:
        name = name.split(":event-bus/", 1)[1]  # an ARN literal
    return True, None if name == DEFAULT_BUS else name


def register_cfn_event_rule(registrar: Registrar, cfn: Any, path: str) -> None:
    """An ``events.CfnRule`` (also the L1 of an ``events.Rule``)."""
    known, bus = _bus_name(cfn, cfn.event_bus_name)
    name = literal(cfn, cfn.name)
    if not known or (bus is not None and name is None):
        registrar.note(
            f"EventBridge rule {path} is not monitored: its metrics are published per "
            "EventBusName and RuleName, and " + (
                "its bus is neither a name nor a reference to an event bus of this stack"
                if not known else "its name is generated by CloudFormation (give it a "
                "rule_name / Name to monitor it)"))
        return
    _register(registrar, path, name=name, rule_name=name or cfn.ref, bus=bus, rule=cfn,
              trigger="schedule" if cfn.schedule_expression is not None else "pattern")


def register_event_rule(registrar: Registrar, rule: Any, path: str) -> None:
    """An ``events.Rule`` (its L1 holds the literal name and bus), or an imported rule
    (``Rule.from_event_rule_arn``: the ARN names the bus and the rule)."""
    cfn = rule.node.default_child
    if isinstance(cfn, cdk.CfnResource):
        register_cfn_event_rule(registrar, cfn, path)  # the L1 holds the literal names
        return
    arn = literal(rule, rule.rule_arn)
    if arn is None or ":rule/" not in arn:
        registrar.note(f"EventBridge rule {path} is not monitored: import it by a literal "
                       "ARN (Rule.from_event_rule_arn) so that its name and bus are known")
        return
    bus, _, name = arn.split(":rule/", 1)[1].rpartition("/")
    _register(registrar, path, name=name, rule_name=name, bus=bus or None, rule=rule,
              trigger="unknown")


def _register(registrar: Registrar, path: str, *, name: str | None, rule_name: str,
              bus: str | None, rule: Any, trigger: str) -> None:
    label = name or path
    if bus is not None and not cdk.Token.is_unresolved(bus):
        label = f"{label} (bus {bus})"
    registrar.register(KIND, path, EventRuleTarget(
        key=registrar.unique_key(name or last_id(path)), label=label, rule_name=rule_name,
        rule=rule, event_bus_name=bus, trigger=trigger))


EVENT_RULE = ResourceKind(
    name=KIND,
    collection="event_rules",
    identifier="rule_name",
    l2=lambda: loaded_classes("aws_events", "Rule"),
    l1=lambda: loaded_classes("aws_events", "CfnRule"),
    register_l1=register_cfn_event_rule,
    register_l2=register_event_rule,
    plan_alarms=plan_event_rule,
    checks=CHECKS,
    member="rule_arn",
    stack_facts=mark_target_dead_letter_queues,
    panels=(NAMESPACE, "RuleName", (
        ("invocations", (("Invocations", "Sum", {}), ("TriggeredRules", "Sum", {}))),
        ("failures", (("FailedInvocations", "Sum", {}), ("ThrottledRules", "Sum", {}),
                      ("DeadLetterInvocations", "Sum", {}),
                      ("InvocationsFailedToBeSentToDlq", "Sum", {}))),
    )),
)
