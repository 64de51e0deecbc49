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
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.options import (
    DEPRECATED_KEYWORDS,
    resolve_options,
    with_per_function_log_groups,
)
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
    named = (p for p, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY)
    return frozenset(named) | frozenset(DEPRECATED_KEYWORDS)


class MonitoringStack(cdk.Stack):
    """A stack that monitors the functions of one service, found by name.

    :param service_name: the service's name (``[a-z0-9-]``, 1-40). Default with
        ``serverless_yml``: the file's service, lower-cased, every other run of characters
        a ``-``, a name past 40 characters cut to 33 plus ``-`` and 6 hex digits of its
        SHA-256 (``serverless_config.monitoring_service_name``); required otherwise.
    :param function_names: names of the deployed functions; with ``serverless_yml``,
        functions monitored besides the file's (e.g. those a plugin adds). Default: none
        (then ``serverless_yml`` must be given).
    :param serverless_yml: path of a Serverless Framework ``serverless.yml`` whose
        functions are monitored (service, stage and naming rules applied; ``${opt:region}``
        and ``${aws:region}`` are this stack's region, ``${aws:accountId}`` its account).
        Default: none.
    :param serverless_params: values of ``${param:...}`` (``sls deploy --param``), ahead of
        the file's stage params. Default: none.
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
    :param kwargs: ``ServiceMonitoring``'s option structs (``log_groups=``, ``alarms=``,
        ``insights=``, ``shipping=``, ...) and any ``cdk.Stack`` option (env, description,
        ...); each goes where it belongs. The functions always keep their
        ``/aws/lambda/<name>`` groups (``LogGroupOptions.per_function`` is set). The flat
        keywords of the first release (``alarm_emails=``, ``retention=``...) still work,
        deprecated, as in ``ServiceMonitoring``.
    """

    #: Everything in this stack is watchkeeper's (``watchkeeper report`` counts it all):
    #: a ServiceMonitoring whose discovery walks it never takes any of it as the app's.
    WATCHKEEPER_OWNED = True

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str | None = None,
        function_names: Sequence[str] | None = None,
        serverless_yml: str | None = None,
        serverless_params: Mapping[str, str] | None = None,
        stage: str | None = None,
        function_timeouts: dict[str, int] | None = None,
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
        description_given = "description" in kwargs
        # ---- Options: ServiceMonitoring's structs (and deprecated flat keywords), with
        # the functions' own /aws/lambda/<name> groups; rules in constructs/options.py. ----
        structs = with_per_function_log_groups(
            resolve_options("MonitoringStack", options), "MonitoringStack"
        ).arguments()
        # Compact JSON: these templates grow with the number of functions, and
        # CloudFormation takes at most 1 MB per template.
        kwargs.setdefault("suppress_template_indentation", True)
        super().__init__(scope, construct_id, **kwargs)
        # ... for the nested stacks too (they read the setting from context).
        self.node.set_context("@aws-cdk/core:suppressTemplateIndentation", True)
        self.shard_count = validate_shard_count(shard_count)
        names, file_timeouts, monitoring_stage, service = self._function_names(
            function_names, serverless_yml, stage, serverless_params
        )
        if service_name is None:
            if service is None:
                raise ValueError(
                    "service_name= is required with function_names (it defaults to the "
                    "service of serverless_yml)"
                )
            from watchkeeper.serverless_config import monitoring_service_name

            service_name = monitoring_service_name(service)
        if not description_given:
            self.template_options.description = (
                f"watchkeeper monitoring for service {service_name} (functions by name)"
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
            discover=False,
            **structs,
        )
        self._placement = NestedStackPlacement(self, self.shard_count)
        self.monitoring.use_placement(
            scope_for_target=self._placement.scope_for_target,
            scope_for_dashboard=self._placement.scope_for_dashboard,
            owns_stack=True,
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

    def _function_names(
        self,
        function_names: Sequence[str] | None,
        serverless_yml: str | None,
        stage: str | None,
        serverless_params: Mapping[str, str] | None,
    ) -> tuple[list[str], dict[str, int], str | None, str | None]:
        """Function names, timeouts from the file, the stage to qualify names with, and
        the Serverless service (None without a file)."""
        if isinstance(function_names, str):
            raise ValueError(f"function_names={function_names!r} must be a list of names")
        service: str | None = None
        if serverless_yml is not None:
            from watchkeeper.serverless_config import read_serverless_config

            # The functions are where the monitoring is: the stack's region is --region.
            config = read_serverless_config(
                serverless_yml,
                stage=stage,
                region=None if cdk.Token.is_unresolved(self.region) else self.region,
                account=None if cdk.Token.is_unresolved(self.account) else self.account,
                params=serverless_params,
            )
            for note in config.notes:
                cdk.Annotations.of(self).add_warning_v2("watchkeeper:serverless-note", note)
            service = config.service
            file_names = {f.name for f in config.functions}
            names = [f.name for f in config.functions] + list(function_names or ())
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
            file_names = set()
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
                if name in file_names:  # the reader refuses duplicates within the file
                    raise ValueError(
                        f"function_names contains {name!r}, which {serverless_yml} already "
                        "names (function_names adds functions the file does not name)"
                    )
                raise ValueError(f"function_names contains {name!r} twice")
            seen.add(name)
        return names, file_timeouts, stage, service
