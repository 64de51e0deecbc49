"""What every kind of monitored resource provides, and the helpers kind modules share.

A kind module (``function``, ``queue``...) defines one ``ResourceKind``: how discovery
recognises the resource (its L2 and L1 classes), how a found construct becomes a target
record, its alarm checks (the default of each alarm) and the alarms planned for a target,
the dashboard panels of a target, and the attribute that names the target in metrics and
in the template metadata. ``registry.KINDS`` lists them; discovery, alarms, dashboards and
metadata iterate it, and ``registry.known_checks()`` lists every check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aws_cdk as cdk
from constructs import IConstruct

if TYPE_CHECKING:  # pragma: no cover
    from aws_cdk import aws_logs as logs

    from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
    from watchkeeper.constructs.alarms.settings import Check

#: One metric of a dashboard panel: (metric name, statistic, extra widget options).
PanelMetric = tuple[str, str, dict[str, str]]
#: The panels of one resource row: namespace, dimension name, and per panel its title and
#: metrics.
Panels = tuple[str, str, tuple[tuple[str, tuple[PanelMetric, ...]], ...]]
PERCENTILES: tuple[tuple[str, dict[str, str]], ...] = (("p50", {}), ("p90", {}), ("p99", {}))


@dataclass(frozen=True)
class Finding:
    """A security finding about one monitored resource (a function URL anyone can call):
    a synth warning on it (``warning_id``, which the app can acknowledge), a line on the
    security dashboard, and an entry of ``findings`` in the template metadata, which
    ``watchkeeper check`` reads."""

    #: The finding's name in the metadata and in ``watchkeeper check`` (stable).
    check: str
    #: The id of the synth warning (``Annotations.add_warning_v2``) on ``scope``.
    warning_id: str
    label: str
    #: Construct path of the resource.
    path: str
    #: The construct that carries the warning.
    scope: Any
    #: The resource's L1, whose logical id and path the metadata records (None: none).
    cfn: Any = None
    #: The resource's traffic for the security dashboard: namespace, metric, dimensions.
    traffic: tuple[str, str, tuple[tuple[str, str], ...]] | None = None

    def acknowledged(self) -> bool:
        """The app acknowledged the warning (``Annotations.acknowledge_warning``): CDK then
        drops it from the construct's metadata, or never adds it."""
        tag = f"[ack: {self.warning_id}]"
        return not any(
            entry.type == "aws:cdk:warning" and tag in str(entry.data)
            for entry in self.scope.node.metadata
        )


class Registrar(Protocol):
    """What a kind needs from the construct that registers its targets
    (``ServiceMonitoring``)."""

    def unique_key(self, text: str) -> str: ...

    def register(self, kind: str, path: str, target: Any) -> Any: ...

    def note(self, text: str) -> None: ...

    def reference_log_group(self, construct_id: str, name: str) -> logs.ILogGroup: ...

    def lambda_log_group(self, target: Any) -> logs.ILogGroup: ...

    def add_log_group(self, group: logs.ILogGroup) -> None: ...

    def is_alarm_topic(self, resource: Any) -> bool: ...

    def mark_dead_letter_queue(self, logical_id: str, source_label: str) -> bool: ...


@dataclass(frozen=True)
class ResourceKind:
    """One kind of resource watchkeeper monitors.

    :param name: the kind's name: alarm checks are ``<name>.<check>``; ``alarms=`` of
        ``monitor_*`` and ``alarm_overrides`` use it.
    :param collection: plural name: ``ServiceMonitoring.<collection>`` lists the targets,
        and the template metadata's ``monitored.<collection>`` their identifiers.
    :param identifier: the target attribute that names the resource in its metrics'
        dimension (and in the metadata).
    :param l2: the L2 classes discovery recognises (only those of loaded modules).
    :param l1: the L1 classes discovery recognises when written without an L2.
    :param register_l1: turns an L1 found without an L2 into a target (or a note).
    :param plan_alarms: the alarm plans of one target.
    :param panels: the dashboard panels of one target (None: the kind draws its own).
    :param register_l2: turns an L2 found by discovery into a target. Default: None (the
        built-in kinds have a ``ServiceMonitoring.monitor_<name>`` method, which is used).
    :param checks: the kind's alarm checks (defaults of each alarm), in the order of the
        table in docs/alarms.md; ``kinds.registry.known_checks()`` lists them with the
        service-wide and security checks (``alarms.service_checks``). Default: none.
    :param findings: the security findings of one target (a public function URL).
        Default: none.
    :param member: an attribute every resource of the kind has, defined here or imported
        (``"topic_arn"`` for ``sns.ITopic``): ``ServiceMonitoring.monitor(resource)``
        recognises the kind of a resource that is not an instance of ``l2`` by it (jsii
        interfaces have no runtime check). ``register_l2`` then receives the imported
        resource, which has no L1 below it. Default: "" (only instances of ``l2``).
    :param stack_facts: called once at synth, after discovery, with the registrar, the
        kind's targets (possibly none) and the stack scan (``DiscoverySteps._scan`` buckets,
        e.g. ``sns_subscriptions``, ``event_rules``): facts about the targets that other
        resources of the stack state, and facts the kind's resources state about other
        targets, monitored or not (``registrar.mark_dead_letter_queue``). Default: None.
    """

    name: str
    collection: str
    identifier: str
    l2: Callable[[], tuple[type[Any], ...]]
    l1: Callable[[], tuple[type[Any], ...]]
    register_l1: Callable[[Registrar, Any, str], None]
    plan_alarms: Callable[[Any, PlanContext], list[AlarmPlan]]
    panels: Panels | None = None
    register_l2: Callable[[Registrar, Any, str], None] | None = None
    checks: tuple[Check, ...] = ()
    member: str = ""
    stack_facts: Callable[[Registrar, list[Any], dict[str, list[Any]]], None] | None = None
    findings: Callable[[Any], tuple[Finding, ...]] | None = None


def literal(scope: IConstruct, value: Any) -> str | None:
    """The literal string behind ``value``, or None if it is only known at deploy time."""
    if value is None:
        return None
    if isinstance(value, str) and not cdk.Token.is_unresolved(value):
        return value
    resolved = cdk.Stack.of(scope).resolve(value)
    return resolved if isinstance(resolved, str) else None


def int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def last_id(path: str) -> str:
    """The construct id at the end of a path."""
    return path.rsplit("/", 1)[-1]
