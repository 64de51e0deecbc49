"""Where each function of the app logs, and the metric filters on those log groups. A step
of ServiceMonitoring (mixed into it), run once when the app is synthesized (README: "Adding
watchkeeper to a running app")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.cdk_internals import (
    is_token_string,
)
from watchkeeper.constructs.kinds.function import (
    logging_config_dict as _logging_config_dict,
)
from watchkeeper.constructs.log_groups import (
    create_log_group,
)
from watchkeeper.constructs.metric_filters import LogMetricFilters
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.targets import (
    FunctionTarget,
)
from watchkeeper.log_metrics import COMPACT_METRIC_NAMES

if TYPE_CHECKING:
    # Imported where used (see cdk_internals.loaded_classes): a service without APIs,
    # queues, tables or state machines does not pay for loading these modules.
    pass


class FunctionLoggingSteps(MonitoringState):
    """Where each function logs, and the metric filters on those log groups."""

    def _wire_function_logging(self, found: dict[str, list[Any]]) -> None:
        """Where each function of the app logs (README: "Adding watchkeeper to a running
        app"). A destination the app chose is kept: ``log_group=``, ``log_retention=``, a
        CDK-managed group. Otherwise the function moves to the service log group (JSON) or
        to a group of its own under the service's prefix (Text, or log_group_per_function),
        and only when its role can write there: a role defined in the app gets the grant; an
        imported or immutable role keeps the function in ``/aws/lambda/<name>``.
        """
        stack = self.stack
        service_group = self.service_log_group
        service_ref = (
            stack.resolve(service_group.log_group_name) if service_group is not None else None
        )
        moved: list[FunctionTarget] = []
        group_names: dict[str, str] = {}  # each group's name token, by its literal name
        stage_boundary = self._stage_permissions_boundary()  # read once
        bounded: dict[str, list[str]] = {}  # functions kept because of a boundary, by it
        for target in self.functions:
            if not target.owned:
                continue
            cfn: lambda_.CfnFunction = target.cfn
            current = _logging_config_dict(cfn, target.logging_config)
            fn: Any = target.function
            log_format = current.get("logFormat") or "JSON"
            target.log_format = log_format
            config: dict[str, Any] = {"log_format": log_format}
            if log_format == "JSON":
                # Levels are only valid with JSON; a function that chose Text keeps it.
                config["application_log_level"] = (
                    current.get("applicationLogLevel") or self.application_log_level)
                config["system_log_level"] = (
                    current.get("systemLogLevel") or self.system_log_level)
                if config["system_log_level"] == "WARN":
                    cdk.Annotations.of(self).add_warning(
                        f"watchkeeper: function {target.label} sets SystemLogLevel WARN, so "
                        "Lambda writes no platform.report for it: its timeouts, out-of-memory "
                        "errors and cold starts are not counted by the log metrics (its "
                        "AWS/Lambda alarms still work). Set system_log_level INFO on it to "
                        "count them."
                    )
            app_group = current.get("logGroup")
            # One round trip for the children; their types are checked on the Python side.
            children = (target.node or fn.node).children
            cdk_managed = next((c for c in children if isinstance(c, logs.LogGroup)), None)
            kept: logs.ILogGroup | None = None
            moved_to: str | None = None  # the group's name, when watchkeeper moves it
            if app_group:
                if service_ref is not None and stack.resolve(app_group) == service_ref:
                    # The app points the function at the service log group itself.
                    assert service_group is not None
                    target.log_group_name = service_group.log_group_name
                    target.in_service_log_group = True
                else:
                    kept = logs.LogGroup.from_log_group_name(
                        self, f"{target.key}-AppLogGroup", app_group)
                config["log_group"] = app_group
            elif any(isinstance(c, logs.LogRetention) for c in children):
                # log_retention=: the app chose /aws/lambda/<name> and its retention. The
                # function's log_group is read from the LogRetention resource, so filters on
                # it are created after it (it creates the group if the function never ran).
                kept = fn.log_group
            elif cdk_managed is not None and not self.move_cdk_managed_log_groups:
                # @aws-cdk/aws-lambda:useCdkManagedLogGroup: the app's flag made this group.
                # Referenced, not handed on as a LogGroup: what watchkeeper adds to groups
                # it created (field indexes, anomaly detectors) is not for the app's group.
                # Its name is a Ref, so filters on it still wait for it.
                kept = logs.LogGroup.from_log_group_name(
                    self, f"{target.key}-AppLogGroup", cdk_managed.log_group_name)
            else:
                # A Role child is the role CDK made for the function (with Lambda's basic
                # execution policy): no need to look at it.
                own_role = any(isinstance(c, iam.Role) for c in children)
                boundary = (None if self.move_functions_with_permissions_boundary
                            else _permissions_boundary(fn, own_role, stage_boundary))
                if boundary is not None:
                    bounded.setdefault(boundary, []).append(target.label)
                    destination = None
                else:
                    destination = self._choose_destination(target, log_format, own_role)
                if destination is not None:
                    group, display_name = destination
                    # Read once per group (the service log group is shared by most).
                    if display_name not in group_names:
                        group_names[display_name] = group.log_group_name
                    config["log_group"] = group_names[display_name]
                    target.log_group_name = group_names[display_name]
                    # (the service log group may have been created just now)
                    target.in_service_log_group = group is self._service_log_group
                    target.log_group_display_name = display_name
                    moved.append(target)
                    moved_to = display_name
                else:
                    kept = self._lambda_log_group(target)
            if kept is not None:
                target.log_group_name = kept.log_group_name
                self.log_groups.append(kept)
            # One change record per function: its new destination, format and levels
            # (a function that keeps its destination may still get JSON and levels).
            change = _logging_change(current, config, moved_to)
            if change:
                self.app_changes.record("logging-config", target.label, change)
            # A plain dict in jsii's camelCase: the struct class would be type-checked
            # field by field on the Python side, once per function.
            untyped: Any = cfn  # the property is typed as the struct; a dict is accepted
            untyped.logging_config = {_camel(k): v for k, v in config.items()}
        for boundary, labels in bounded.items():
            cdk.Annotations.of(self).add_warning(
                f"watchkeeper: {len(labels)} function(s) keep logging to their own "
                f"/aws/lambda/<name> groups because their roles have {boundary}: watchkeeper "
                "cannot read a boundary at synth, and moving them to a group it does not "
                "allow (logs:CreateLogStream, logs:PutLogEvents) would lose their logs. The "
                "compact metric filters are put on their own groups. If the boundary allows "
                "writing to the service's log groups, set FunctionLoggingOptions("
                "move_functions_with_permissions_boundary=True). Functions: "
                + ", ".join(labels)
            )
        if moved:
            self._warn_about_app_monitoring_of(moved, found)

    def _stage_permissions_boundary(self) -> Any:
        """The boundary CDK puts on every role of the stage or stack (the context value), or
        None: none is set, or ``move_functions_with_permissions_boundary`` says boundaries
        allow watchkeeper's groups. Functions under it keep their own groups, as the size
        estimate counts them."""
        if self.move_functions_with_permissions_boundary:
            return None
        return self.node.try_get_context(PERMISSIONS_BOUNDARY_CONTEXT)

    def _choose_destination(self, target: FunctionTarget, log_format: str, own_role: bool
                            ) -> tuple[logs.ILogGroup, str] | None:
        """The group watchkeeper moves a function to (the service log group for JSON, a group
        of its own under the service prefix otherwise), after granting its role write
        access; None when the role cannot be granted it (the function then stays put)."""
        problem = None if own_role else _role_problem(target.function)
        if problem is not None:
            cdk.Annotations.of(self).add_warning(
                f"watchkeeper: function {target.label} keeps logging to its own "
                f"/aws/lambda/<name> group: {problem}, so watchkeeper cannot let it write to "
                "the service's log group, and moving it would lose its logs. The compact "
                "metric filters are put on its own group. To move it, give its role "
                "logs:CreateLogStream and logs:PutLogEvents on the service log group and "
                "pass log_group= to the function."
            )
            return None
        group: logs.ILogGroup
        service_group = (
            self._create_service_log_group() if log_format == "JSON" else None)
        if service_group is not None:
            group = service_group
            display_name = self._service_log_group_display_name
        else:
            # Text (the service log group holds JSON only, which its filters read) or
            # log_group_per_function, where it never moves between stacks (a named,
            # retained log group: scope_for_log_group).
            display_name = schema.function_log_group_name(self.qualified_name, target.key)
            group = create_log_group(
                self.scope_for_log_group(target), f"{target.key}-LogGroup", name=display_name,
                settings=self.log_settings, purpose=f"the logs of {target.label}")
            self.log_groups.append(group)
        if not own_role:
            self._grant_write(target, group, display_name)
        return group, display_name

    def _grant_write(self, target: FunctionTarget, group: logs.ILogGroup,
                     display_name: str) -> None:
        role: Any = target.function.role
        if _writes_every_log_group(role):
            return
        key = (role.node.addr, display_name)
        if key in self._granted_roles:
            return
        self._granted_roles.add(key)
        grant = group.grant_write(role)
        # The role may write there before the function is pointed at the group.
        grant.apply_before(target.cfn)
        self.app_changes.record(
            "role-statement", role.node.path,
            f"logs:CreateLogStream, logs:PutLogEvents on {display_name} (for {target.label})")

    def _lambda_log_group(self, target: FunctionTarget) -> logs.ILogGroup:
        """The ``/aws/lambda/<name>`` group that Lambda writes to by default, referenced,
        and ensured before its filters (a function that never ran has none yet)."""
        self._referenced_targets.append(target)
        return logs.LogGroup.from_log_group_name(
            self, f"{target.key}-LambdaLogGroup", f"/aws/lambda/{target.function_name}")

    def _warn_about_app_monitoring_of(self, moved: list[FunctionTarget],
                                      found: dict[str, list[Any]]) -> None:
        """Warn about the app's own filters, queries and dashboards that read the
        ``/aws/lambda/<name>`` group of a function whose logs now go elsewhere."""
        stack = self.stack
        own_prefix = self.node.path + "/"
        readers = (
            ("metric_filters", "metric filter", "log_group_name"),
            ("subscription_filters", "subscription filter", "log_group_name"),
            ("query_definitions", "saved query", "log_group_names"),
            ("app_dashboards", "dashboard", "dashboard_body"),
        )
        candidates = [(node, what, prop) for bucket, what, prop in readers
                      for node in found.get(bucket, ())]
        root = self.node.root
        if sum(isinstance(c, cdk.Stack | cdk.Stage) for c in root.node.children) > 1:
            # Other stacks of the app can only name a function by its literal name.
            types = {logs.CfnMetricFilter: readers[0], logs.CfnSubscriptionFilter: readers[1],
                     logs.CfnQueryDefinition: readers[2],
                     cloudwatch.CfnDashboard: readers[3]}
            stack_prefix = stack.node.path + "/"
            for node in root.node.find_all():
                reader = next((r for t, r in types.items() if isinstance(node, t)), None)
                if reader is not None and not node.node.path.startswith(stack_prefix):
                    candidates.append((node, reader[1], reader[2]))
        if not candidates:
            return  # nothing of the app's reads a log group: no logical id to look up
        # What a resolved property holds when it names the function's /aws/lambda group:
        # the literal name, or "/aws/lambda/" joined with a Ref to the function.
        markers: list[tuple[FunctionTarget, tuple[str, ...]]] = []
        for target in moved:
            name = target.function_name
            if not is_token_string(name):
                markers.append((target, (json.dumps(f"/aws/lambda/{name}")[1:-1],)))
            else:
                ref = json.dumps({"Ref": stack.resolve(target.cfn.logical_id)})
                markers.append((target, ("/aws/lambda/", ref)))
        for node, what, prop in candidates:
            path = node.node.path
            if path.startswith(own_prefix):
                continue
            text = json.dumps(cdk.Stack.of(node).resolve(getattr(node, prop)))
            for target, parts in markers:
                if all(part in text for part in parts):
                    cdk.Annotations.of(self).add_warning(
                        f"watchkeeper: the app's {what} {path} reads the /aws/lambda "
                        f"group of {target.label}, whose logs now go to "
                        f"{target.log_group_display_name or 'another group'}; it will "
                        "receive nothing new. Point it at the new group, or keep the "
                        "function where it is with log_group= (README: 'Adding "
                        "watchkeeper to a running app')."
                    )

    def _build_metric_filters(self) -> None:
        """Health and security metrics from the logs, in the service's namespace.

        The service log group gets the full JSON set once for every function. A log group
        of one function (imported functions, per-function groups, a group of the user's)
        gets the compact set, because those filters multiply with the number of functions.
        """
        if self.service_log_group is not None:
            self.metric_filters.append(
                LogMetricFilters(
                    self,
                    "ServiceLogMetrics",
                    log_group_name=self.service_log_group.log_group_name,
                    namespace=self.namespace,
                )
            )
        self._ensure_referenced_log_groups()
        ensured = self.log_group_ensurer.by_log_group
        seen: set[str] = set()
        for target in self.functions:
            name = target.log_group_name
            if target.in_service_log_group or name is None:
                continue
            group_key = name if not cdk.Token.is_unresolved(name) else str(self.stack.resolve(name))
            if group_key in seen:
                continue
            seen.add(group_key)
            json_logs = target.log_format == "JSON"
            filters = LogMetricFilters(
                self.scope_for(target),
                f"{target.key}-LogMetrics",
                log_group_name=name,
                namespace=self.namespace,
                log_format="JSON" if json_logs else "UNKNOWN",
                metrics=COMPACT_METRIC_NAMES,
            )
            if name in ensured:
                filters.node.add_dependency(ensured[name])
            self.metric_filters.append(filters)

    def _ensure_referenced_log_groups(self) -> None:
        """One ensuring resource per stack that holds filters on referenced groups."""
        by_scope: dict[int, tuple[Construct, list[str]]] = {}
        for target in self._referenced_targets:
            scope = self.scope_for(target)
            by_scope.setdefault(id(scope), (scope, []))[1].append(target.log_group_name or "")
        self.log_group_ensurer.ensure(by_scope)


#: The context key through which CDK puts a permissions boundary on every role of a stage
#: or stack (``Stage(permissions_boundary=...)``, ``Stack(permissions_boundary=...)``,
#: cdk.json); documented by aws-cdk-lib, not exported to Python.
PERMISSIONS_BOUNDARY_CONTEXT = "@aws-cdk/core:permissionsBoundary"

#: AWS managed policies that let a role write to every log group of the account.
_WRITES_EVERY_LOG_GROUP = ("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole")


def _role_problem(function: Any) -> str | None:
    """Why the function's role cannot be granted write access to a log group, or None."""
    role = getattr(function, "role", None)
    if role is None:
        return "it has no execution role that this app can see"
    if not isinstance(role, iam.Role):
        return (f"its role {role.node.path} is imported or immutable (Role.from_role_arn, "
                "without_policy_updates)")
    return None


def _permissions_boundary(function: Any, own_role: bool, stage_boundary: Any) -> str | None:
    """The permissions boundary on the function's role, said in words, or None.

    Two boundaries are visible at synth: the stage's or stack's (``stage_boundary``, the
    context value ``{"name": ...}`` or ``{"arn": ...}``), which CDK puts on every role the
    app defines, and ``Role(permissions_boundary=...)``. One applied with
    ``PermissionsBoundary.of(scope).apply()`` is an aspect's property override that no
    public API reads; ``watchkeeper check`` finds it in the template.
    """
    role = None if own_role else getattr(function, "role", None)
    if not own_role and not isinstance(role, iam.Role):
        return None  # imported: CDK puts no boundary on it (and it cannot be granted)
    if stage_boundary:
        named = (stage_boundary.get("name") or stage_boundary.get("arn")
                 if isinstance(stage_boundary, dict) else stage_boundary)
        return f"the stage's permissions boundary {named} ({PERMISSIONS_BOUNDARY_CONTEXT})"
    boundary = role.permissions_boundary if role is not None else None
    if boundary is not None:
        return f"a permissions boundary ({boundary.node.path})"
    return None


def _writes_every_log_group(role: iam.Role) -> bool:
    """True when one of the role's managed policies already allows writing anywhere
    (Lambda's default execution role has AWSLambdaBasicExecutionRole): no grant needed."""
    cfn: Any = role.node.default_child
    arns = json.dumps(cdk.Stack.of(role).resolve(cfn.managed_policy_arns))
    return any(f"service-role/{name}" in arns for name in _WRITES_EVERY_LOG_GROUP)


def _logging_change(current: dict[str, Any], config: dict[str, Any],
                    new_group: str | None) -> str:
    """What changes in a function's LoggingConfig, e.g. ``LogFormat Text -> JSON``."""
    parts = []
    if new_group is not None:
        parts.append(f"LogGroup {current.get('logGroup') or '/aws/lambda/<name>'} -> "
                     f"{new_group}")
    for key in ("log_format", "application_log_level", "system_log_level"):
        camel = _camel(key)
        if key in config and current.get(camel) != config[key]:
            label = camel[0].upper() + camel[1:]
            parts.append(f"{label} {current.get(camel) or 'unset'} -> {config[key]}")
    return "; ".join(parts)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


