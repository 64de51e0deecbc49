"""MonitoringStack: the reference monitoring stack for a service deployed elsewhere.

For teams whose functions are deployed by the Serverless Framework, SAM or another stack:
the functions are found by name, their ``/aws/lambda/<name>`` log groups are referenced
(never recreated; created at deploy only if missing, for functions that never ran), and
everything else ServiceMonitoring builds is deployed here.

Scale: resources that belong to one function (its metric filters and alarms) go into
nested stacks, chosen by a hash of the function's name. Placement therefore never depends
on the other functions: adding or removing a function leaves every other resource in its
stack with its logical ID (log groups are retained resources; moving one would orphan it
or fail with "already exists"). Service-wide resources (topic, composite alarm, security
alarms, saved queries, dashboards) stay in this stack.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.placement import (
    DEFAULT_SHARD_COUNT,
    MAX_SHARD_COUNT,
    NestedStackPlacement,
    shard_of,
    validate_shard_count,
)
from watchkeeper.constructs.service_monitoring import ServiceMonitoring

__all__ = ["DEFAULT_SHARD_COUNT", "MAX_SHARD_COUNT", "MonitoringStack", "shard_of"]

#: Characters of a Lambda function name.
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _monitoring_option_names() -> frozenset[str]:
    params = inspect.signature(ServiceMonitoring.__init__).parameters
    return frozenset(p for p in params if p not in ("self", "scope", "construct_id"))


class MonitoringStack(cdk.Stack):
    """A stack that monitors the functions of one service, found by name.

    :param service_name: required; the service's name (``[a-z0-9-]``).
    :param function_names: names of the deployed functions. Default: none (then
        ``serverless_yml`` must be given).
    :param serverless_yml: path of a Serverless Framework ``serverless.yml`` whose
        functions are monitored (service, stage and naming rules applied). Default: none.
    :param stage: the stage of the monitored service. With ``serverless_yml`` it is the
        Serverless stage (function names ``<service>-<stage>-<key>``), and the stage the
        monitoring's names are qualified with too (``ServiceMonitoring(stage=)``, mapped
        into ``[a-z0-9-]``): dev and prod of one service deploy side by side. With
        ``function_names`` it is ``ServiceMonitoring(stage=)``. Default: with
        ``serverless_yml`` the file's ``provider.stage``, else ``dev``; with
        ``function_names`` the enclosing ``cdk.Stage``'s name, else none.
    :param function_timeouts: seconds per function name, for the duration alarm (the
        definition of a function deployed elsewhere is not visible). Default: none.
    :param shard_count: nested stacks that per-function resources are spread over.
        Changing it moves resources between stacks; keep the default. Default: 16.
    :param kwargs: any ``ServiceMonitoring`` option (retention, alarm_overrides, ...) and
        any ``cdk.Stack`` option (env, description, ...); each goes where it belongs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        function_names: Sequence[str] | None = None,
        serverless_yml: str | None = None,
        stage: str | None = None,
        function_timeouts: dict[str, int] | None = None,
        alarm_emails: Sequence[str] | None = None,
        shard_count: int = DEFAULT_SHARD_COUNT,
        **kwargs: Any,
    ) -> None:
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in _monitoring_option_names()}
        for reserved in (
            "discover",
            "exclude",
            "include_cdk_internal_functions",
            "log_group_per_function",
            "log_group_name",
            "nested_stacks",
        ):
            if reserved in options:
                raise ValueError(
                    f"{reserved}= does not apply to MonitoringStack: its functions are given "
                    "by name"
                )
        kwargs.setdefault(
            "description", f"watchkeeper monitoring for service {service_name} (functions by name)"
        )
        # Compact JSON: these templates grow with the number of functions, and
        # CloudFormation takes at most 1 MB per template.
        kwargs.setdefault("suppress_template_indentation", True)
        super().__init__(scope, construct_id, **kwargs)
        # ... for the nested stacks too (they read the setting from context).
        self.node.set_context("@aws-cdk/core:suppressTemplateIndentation", True)
        self.shard_count = validate_shard_count(shard_count)
        names, file_timeouts, monitoring_stage = self._function_names(
            function_names, serverless_yml, stage
        )
        # Timeouts given in serverless.yml, overridden by function_timeouts.
        timeouts = {**file_timeouts, **(function_timeouts or {})}
        unknown = sorted(set(timeouts) - set(names))
        if unknown:
            raise ValueError(
                f"function_timeouts names {unknown}, which are not among the monitored functions"
            )

        self.monitoring = ServiceMonitoring(
            self,
            "Monitoring",
            service_name=service_name,
            stage=monitoring_stage,
            alarm_emails=alarm_emails,
            discover=False,
            # Functions deployed elsewhere keep their /aws/lambda/<name> groups.
            log_group_per_function=True,
            **options,
        )
        self._placement = NestedStackPlacement(self, self.shard_count)
        self.monitoring.use_placement(
            scope_for_target=self._placement.scope_for_target,
            scope_for_dashboard=self._placement.scope_for_dashboard,
        )
        for name in names:
            fn = lambda_.Function.from_function_name(self, f"Fn-{name}", name)
            timeout = timeouts.get(name)
            self.monitoring.monitor_function(
                fn, timeout=cdk.Duration.seconds(timeout) if timeout is not None else None
            )

    @property
    def shards(self) -> list[cdk.NestedStack]:
        """The nested stacks of per-function resources created so far, in shard order."""
        return self._placement.shards

    @staticmethod
    def _function_names(
        function_names: Sequence[str] | None, serverless_yml: str | None, stage: str | None
    ) -> tuple[list[str], dict[str, int], str | None]:
        """Function names, timeouts from the file, and the stage to qualify names with."""
        if function_names is not None and serverless_yml is not None:
            raise ValueError("give either function_names or serverless_yml, not both")
        if serverless_yml is not None:
            from watchkeeper.serverless_config import read_serverless_config

            config = read_serverless_config(serverless_yml, stage=stage)
            names = [f.name for f in config.functions]
            file_timeouts = {
                f.name: f.timeout_seconds for f in config.functions if f.timeout_seconds
            }
            # The deployed functions belong to this Serverless stage: so do their alarms.
            stage = schema.stage_from_name(config.stage)
            if not stage:
                raise ValueError(
                    f"stage: the Serverless stage {config.stage!r} of {serverless_yml} has no "
                    "letter or digit; pass stage="
                )
        elif function_names is not None:
            file_timeouts = {}
            if isinstance(function_names, str):
                raise ValueError(f"function_names={function_names!r} must be a list of names")
            names = list(function_names)
        else:
            raise ValueError("MonitoringStack needs function_names=[...] or serverless_yml=PATH")
        if not names:
            raise ValueError("function_names=[] is empty: name at least one function")
        seen: set[str] = set()
        for name in names:
            if (
                not isinstance(name, str)
                or not 1 <= len(name) <= 64
                or not set(name) <= _NAME_CHARS
            ):
                raise ValueError(
                    f"function_names contains {name!r}: a Lambda function name is 1-64 "
                    "characters of letters, digits, '-' and '_'"
                )
            if name in seen:
                raise ValueError(f"function_names contains {name!r} twice")
            seen.add(name)
        return names, file_timeouts, stage
