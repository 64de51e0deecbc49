"""The state that ServiceMonitoring's steps share, declared for the type checker.

ServiceMonitoring is assembled from steps, one module each (``registration``,
``discovery``, ``sizing``, ``function_logging``, ``logging_setup``), mixed into the one
construct the app sees. Each step is a class deriving from ``MonitoringState``, which
declares the attributes the constructor sets, so that no step module needs to import
``service_monitoring`` (that would be an import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from constructs import Construct

if TYPE_CHECKING:  # pragma: no cover
    from aws_cdk import aws_logs as logs

    from watchkeeper.constructs.alarms.core import WatchkeeperAlarm
    from watchkeeper.constructs.app_changes import AppChangeLog
    from watchkeeper.constructs.kinds.function import FunctionTarget
    from watchkeeper.constructs.kinds.http_api import HttpApiTarget
    from watchkeeper.constructs.kinds.queue import QueueTarget
    from watchkeeper.constructs.kinds.rest_api import RestApiTarget
    from watchkeeper.constructs.kinds.state_machine import StateMachineTarget
    from watchkeeper.constructs.kinds.table import TableTarget
    from watchkeeper.constructs.log_groups import LogGroupSettings
    from watchkeeper.constructs.metric_filters import LogMetricFilters
    from watchkeeper.constructs.placement import SizeEstimate

    # The steps are Constructs to the type checker (ServiceMonitoring is one); at run time
    # they are plain mixins before Construct in ServiceMonitoring's bases.
    _Base = Construct
else:
    _Base = object


class MonitoringState(_Base):
    """Attributes of ServiceMonitoring that its steps read and write (set in its
    constructor; documented there)."""

    @property
    def stack(self) -> cdk.Stack:
        """The stack this construct is in."""
        return cdk.Stack.of(self)

    if TYPE_CHECKING:
        service_name: str
        stage: str | None
        qualified_name: str
        namespace: str
        app_changes: AppChangeLog
        log_settings: LogGroupSettings
        log_groups: list[logs.ILogGroup]
        metric_filters: list[LogMetricFilters]
        alarm_details: list[WatchkeeperAlarm]
        functions: list[FunctionTarget]
        http_apis: list[HttpApiTarget]
        rest_apis: list[RestApiTarget]
        queues: list[QueueTarget]
        tables: list[TableTarget]
        state_machines: list[StateMachineTarget]
        _targets: dict[str, list[Any]]
        _targets_by_path: dict[str, Any]
        _placement: Callable[[Any], Construct] | None
        size_estimate: SizeEstimate | None
        nested_automatically: bool
        account_subscription_policy: logs.CfnAccountPolicy | None
        api_access_log_group: logs.LogGroup | None
        api_gateway_account: Any

        # Everything else the constructor sets, and the methods of the other steps.
        def __getattr__(self, name: str) -> Any: ...
