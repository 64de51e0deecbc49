"""The monitored service as the builders see it: a frozen model built once at synth.

``ServiceMonitoring`` collects options (validated in its constructor) and resources
(``monitor_*`` and discovery). When the app is synthesized it decides where things go
(placement) and where each function logs, then freezes that picture into a
``ServiceModel`` and hands it to the builders (metric filters, resource logging, shipping,
alarms, queries, dashboards, metadata). A builder reads the model and what earlier
builders returned to it, nothing else: none of them imports ``service_monitoring``.

The target records inside the model are the ones registration filled; the model's own
fields cannot be reassigned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.log_groups import LogGroupSettings


@dataclass(frozen=True)
class Placement:
    """Where resources that belong to one target, and dashboard pages, are created.

    :param scope_for_target: the construct for a target's alarms and filters. Default:
        None (under the ServiceMonitoring).
    :param scope_for_dashboard: the construct for a dashboard page, by page name.
        Default: None (under the ServiceMonitoring).
    :param automatic: chosen by the size estimate (``nested_stacks=None``), so it may
        switch between deploys and named log groups stay in the enclosing stack.
    """

    scope_for_target: Callable[[Any], Construct] | None = None
    scope_for_dashboard: Callable[[str], Construct] | None = None
    automatic: bool = False


@dataclass(frozen=True)
class AlarmPolicy:
    """The validated alarm options of the constructor."""

    overrides: Mapping[str, AlarmSettings]
    concurrency_limit: int
    duration_threshold_share: float
    notify_ok: bool
    topic_arn: str


@dataclass(frozen=True)
class ServiceModel:
    """Everything the builders need to know about one monitored service."""

    service_name: str
    stage: str | None
    #: ``<service>-<stage>`` or ``<service>``.
    qualified_name: str
    #: The CloudWatch namespace of the log metrics.
    namespace: str
    #: The monitored targets by kind name (``function``, ``http_api``...), in registry order.
    targets: Mapping[str, tuple[Any, ...]]
    alarms: AlarmPolicy
    log_settings: LogGroupSettings
    #: The service log group, when one was created (its name: ``service_log_group_name``).
    service_log_group: Any
    placement: Placement = field(default_factory=Placement)
    #: The service log group's name as written (None: per-function groups).
    service_log_group_name: str | None = None

    def of(self, kind: str) -> tuple[Any, ...]:
        """The targets of one kind (empty for a kind nothing was found of)."""
        return self.targets.get(kind, ())

    @property
    def functions(self) -> tuple[Any, ...]:
        return self.of("function")

    def findings(self) -> list[Any]:
        """The security findings of every target (``kinds.base.Finding``), registry order."""
        return [finding for kind in registry.KINDS if kind.findings is not None
                for target in self.of(kind.name) for finding in kind.findings(target)]

    def all_targets(self) -> list[Any]:
        return [t for kind in registry.KINDS for t in self.of(kind.name)]

    def scope_for(self, target: Any, default: Construct) -> Construct:
        """The construct under which resources that belong to one target are created."""
        place = self.placement.scope_for_target
        return place(target) if place is not None else default
