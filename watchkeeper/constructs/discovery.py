"""Discovery: finding the supported resources of the enclosing stack at synth, and the
facts about them that the stack shows (event sources, asynchronous invocation, dead-letter
queues). A step of ServiceMonitoring (mixed into it), run once when the app is synthesized.
Every kind of resource comes from ``kinds.registry.KINDS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import IConstruct, Node

from watchkeeper.constructs.cdk_internals import (
    cdk_helper_function_id,
    cfn_properties,
    is_token_string,
    loaded_classes,
    object_key,
)
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.kinds.base import ResourceKind
from watchkeeper.constructs.kinds.base import literal as _literal
from watchkeeper.constructs.log_group_ensurer import PROVIDER_ID
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.targets import (
    FunctionTarget,
    QueueTarget,
)


class DiscoverySteps(MonitoringState):
    """Finding the resources to monitor, and the facts the stack shows about them."""

    def _is_excluded(self, node: IConstruct) -> bool:
        return self._is_excluded_path(node.node.path)

    def _is_excluded_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self._excluded_paths)

    def _scan(self) -> dict[str, list[Any]]:
        """One walk over the stack: resources to discover and facts about functions."""
        l1_buckets = tuple(_l1_bucket(kind) for kind in registry.KINDS)
        found: dict[str, list[Any]] = {k: [] for k in (
            *(kind.name for kind in registry.KINDS),
            "event_source_mappings", "event_invoke_configs", "permissions",
            "metric_filters", "subscription_filters", "query_definitions", "app_dashboards",
            "sns_subscriptions", "event_rules", "buckets", "plain_resources",
            *l1_buckets, "nested_stack_prefixes", "watchkeeper_prefixes")}
        stack = self.stack
        nodes = stack.node.find_all()
        # After find_all, every type in the tree has its module loaded (loaded_classes).
        kinds: list[tuple[Any, str]] = [
            (classes, bucket) for classes, bucket in (
            *((kind.l2(), kind.name) for kind in registry.KINDS),
            ((lambda_.CfnEventSourceMapping,), "event_source_mappings"),
            ((lambda_.CfnEventInvokeConfig,), "event_invoke_configs"),
            ((lambda_.CfnPermission,), "permissions"),
            # The app's own log monitoring, which must follow logs that move.
            ((logs.CfnMetricFilter,), "metric_filters"),
            ((logs.CfnSubscriptionFilter,), "subscription_filters"),
            ((logs.CfnQueryDefinition,), "query_definitions"),
            (loaded_classes("aws_cloudwatch", "CfnDashboard"), "app_dashboards"),
            # What invokes a function asynchronously (with the permissions above).
            ((sns.CfnSubscription,), "sns_subscriptions"),
            (loaded_classes("aws_events", "CfnRule"), "event_rules"),
            (loaded_classes("aws_s3", "CfnBucket"), "buckets"),
            # L1s: those that are the default child of an L2 above are dropped in
            # _discover (found through their L2), the others are monitored themselves.
            *((kind.l1(), _l1_bucket(kind)) for kind in registry.KINDS),
        ) if classes]
        resources: list[cdk.CfnResource] = []
        for node in nodes:
            # Read before the stack test: a MonitoringStack is watchkeeper's whole, this
            # stack included (a class attribute: no round trip).
            if getattr(node, "WATCHKEEPER_OWNED", False):
                found["watchkeeper_prefixes"].append(node.node.path + "/")
            if isinstance(node, cdk.Stack):
                if node is not stack:
                    found["nested_stack_prefixes"].append(node.node.path + "/")
                continue
            # Counted for the size estimate (a Python-side isinstance: no round trip).
            if isinstance(node, cdk.CfnResource):
                resources.append(node)
                # Custom resources (S3 bucket notifications among them) are plain
                # CfnResources; their type is read later, only when it matters.
                if type(node) is cdk.CfnResource:
                    found["plain_resources"].append(node)
                    continue
            for classes, bucket in kinds:
                if isinstance(node, classes):
                    found[bucket].append(node)
                    if bucket not in _FACT_BUCKETS_OF_KIND_L1S:
                        break
        prefixes = found["nested_stack_prefixes"]
        #: Resources in the enclosing stack's own template before the monitoring is built.
        self._resources_in_stack = len(resources) if not prefixes else sum(
            1 for r in resources if not any(r.node.path.startswith(p) for p in prefixes)
        )
        return found

    def _discover(self, found: dict[str, list[Any]]) -> None:
        own_prefix = self.node.path + "/"
        # Paths of every L2 found: an L1 directly below one is its default child.
        l2_paths: set[str] = set()

        def wanted(node: IConstruct) -> tuple[Node, str] | None:
            """(node, path) of the construct if it is to be monitored (each read is a
            round trip to Node: monitor_function reuses them)."""
            # This construct's own resources (the alarm delivery queues) are never
            # discovered: the ones worth watching are registered where they are created;
            # nor is anything below a construct of watchkeeper's (``WATCHKEEPER_OWNED``:
            # another ServiceMonitoring, CentralLogArchive's stream, a MonitoringStack).
            info = node.node
            path = info.path
            l2_paths.add(path)
            keep = (not path.startswith(own_prefix)
                    and not any(path.startswith(p) for p in found["watchkeeper_prefixes"])
                    and not self._is_excluded_path(path)
                    # in this stack, not in one of its nested stacks
                    and not any(path.startswith(p) for p in found["nested_stack_prefixes"])
                    and (self.include_cdk_internal_functions
                         or not isinstance(node, lambda_.Function)
                         or not _CDK_INTERNAL_FUNCTION_ID.match(path.rsplit("/", 1)[-1]))
                    and path not in self._targets_by_path)
            return (info, path) if keep else None

        for kind in registry.KINDS:
            for node in found[kind.name]:
                known = wanted(node)
                if known is not None:
                    self._monitor_discovered(kind, node, known)
        if any(found[_l1_bucket(kind)] for kind in registry.KINDS):
            self._discover_l1(found, wanted, l2_paths)

    def _monitor_discovered(self, kind: ResourceKind, node: Any,
                            known: tuple[Node, str]) -> None:
        """Register an L2 found by discovery (``monitor_<kind>``, or the kind's own
        ``register_l2`` for kinds without a method here)."""
        if kind.name == "function":
            self._monitor_function(node, known)
        elif kind.register_l2 is not None:
            kind.register_l2(self._registrar, node, known[1])
        else:
            getattr(self, f"monitor_{kind.name}")(node)

    def _discover_l1(self, found: dict[str, list[Any]],
                     wanted: Callable[[IConstruct], tuple[Node, str] | None],
                     l2_paths: set[str]) -> None:
        """Resources written as L1s (``CfnFunction``, ``CfnApi``, ...) without an L2.

        The L1 below an L2 is found through the L2 and never counted twice: the default
        children of the functions registered so far are known by their jsii object
        reference (no round trip to Node, which matters for stacks of hundreds of
        functions); any other L1 whose parent is an L2 found by ``_scan`` (an excluded or
        CDK-internal function, too) is skipped by its path, and an L1 that a monitored
        import references (``Table.from_table_name(cfn.ref)``) by its logical id.
        """
        claimed = {object_key(t.cfn) for t in self.functions if t.cfn is not None}
        stack = self.stack
        # Logical ids that monitored resources of the same kind reference (an L1 the app
        # monitors through an import, e.g. Table.from_table_name(cfn.ref)), per kind: a
        # function URL naming a CfnFunction does not make the function monitored. Read
        # only when an L1 of the kind is left.
        referenced: dict[str, set[str]] = {}
        for kind in registry.KINDS:
            for node in found[_l1_bucket(kind)]:
                if object_key(node) in claimed:
                    continue
                known = wanted(node)
                if known is None or known[1].rsplit("/", 1)[0] in l2_paths:
                    continue
                if kind.name not in referenced:
                    referenced[kind.name] = self._referenced_logical_ids(kind)
                if stack.resolve(node.logical_id) not in referenced[kind.name]:
                    kind.register_l1(self._registrar, node, known[1])

    def _referenced_logical_ids(self, kind: ResourceKind) -> set[str]:
        """Logical ids that the names, ids and ARNs of the monitored resources of ``kind``
        reference."""
        stack = self.stack
        values: list[Any] = [getattr(t, kind.identifier) for t in self._targets[kind.name]]
        found: set[str] = set()
        for value in values:
            if isinstance(value, str) and is_token_string(value):
                _collect_logical_ids(stack.resolve(value), found)
        return found

    def _apply_stack_facts(self, found: dict[str, list[Any]]) -> None:
        """Event sources, asynchronous invocation and dead-letter queues, from the stack."""
        stack = self.stack
        owned = [t for t in self.functions if t.owned]
        # Functions defined in this stack (L2 or L1), by the logical id references name.
        defined = [t for t in self.functions if t.cfn is not None]
        by_logical_id: dict[str, FunctionTarget] = {}
        if defined and found["plain_resources"]:
            # Custom resources are few; only S3 notifications say anything about functions.
            found["plain_resources"] = [
                r for r in found["plain_resources"]
                if r.cfn_resource_type == "Custom::S3BucketNotifications"]
        if defined and any(found[k] for k in _FUNCTION_FACT_BUCKETS):
            for t in defined:
                by_logical_id[stack.resolve(t.cfn.logical_id)] = t
        if by_logical_id:
            self._apply_function_facts(found, by_logical_id)
        for t in self.functions:
            if t.asynchronous is not None:
                t.async_invoked = t.asynchronous
        # Dead-letter queues: of queues (redrive policy) and of functions.
        queue_by_addr = {q.queue.node.addr: q for q in self.queues}
        for queue in found["queue"]:
            dlq = queue.dead_letter_queue
            if dlq is not None and dlq.queue.node.addr in queue_by_addr:
                name = _literal(queue, queue.queue_name)
                self._mark_dead_letter_queue(queue_by_addr[dlq.queue.node.addr],
                                             name or queue.node.path)
        for target in owned:
            if not target.has_dead_letter:
                continue
            dlq = getattr(target.function, "dead_letter_queue", None)
            if dlq is not None and dlq.node.addr in queue_by_addr:
                self._mark_dead_letter_queue(queue_by_addr[dlq.node.addr], target.label)
        self._mark_l1_dead_letter_queues()
        # Every kind's, with or without targets: an EventBridge rule's dead-letter queue is
        # one whether the rule is monitored or not.
        for kind in registry.KINDS:
            if kind.stack_facts is not None:
                kind.stack_facts(self._registrar, self._targets[kind.name], found)

    def _mark_l1_dead_letter_queues(self) -> None:
        """Dead-letter queues named by L1s: a CfnQueue's RedrivePolicy, a CfnFunction's
        DeadLetterConfig (both reference the queue's ``Fn::GetAtt <queue>.Arn``)."""
        sources: list[tuple[Any, str]] = []
        for q in self.queues:
            queue: Any = q.queue
            if _written_as_l1(queue):  # a CfnQueue
                sources.append((queue.redrive_policy, q.label))
        for t in self.functions:
            if t.has_dead_letter and not t.owned and t.cfn is not None:
                sources.append((t.cfn.dead_letter_config, t.label))
        if not sources:
            return
        stack = self.stack
        by_logical_id = self.queues_by_logical_id()
        for reference, source_label in sources:
            resolved = stack.resolve(reference)
            if not isinstance(resolved, dict):
                continue
            for key, value in resolved.items():
                if key in ("deadLetterTargetArn", "TargetArn", "targetArn") and isinstance(
                        value, dict) and "Fn::GetAtt" in value:
                    dlq = by_logical_id.get(value["Fn::GetAtt"][0])
                    if dlq is not None:
                        self._mark_dead_letter_queue(dlq, source_label)

    def queues_by_logical_id(self) -> dict[str, QueueTarget]:
        """The monitored queues of this stack by the logical id of their L1 (what a
        dead-letter reference, ``Fn::GetAtt <queue>.Arn``, names); imports have none."""
        stack = self.stack
        by_logical_id: dict[str, QueueTarget] = {}
        for q in self.queues:
            cfn: Any = q.queue if isinstance(q.queue, cdk.CfnResource) else (
                q.queue.node.default_child)
            if isinstance(cfn, cdk.CfnResource):
                by_logical_id[stack.resolve(cfn.logical_id)] = q
        return by_logical_id

    def _apply_function_facts(self, found: dict[str, list[Any]],
                              by_logical_id: dict[str, FunctionTarget]) -> None:
        """Event sources and asynchronous invocation of the stack's functions.

        Asynchronous means something really invokes the function that way: an
        EventInvokeConfig with a destination, an S3 notification, an SNS subscription, an
        EventBridge rule target, a CloudWatch Logs subscription filter, or a permission for
        one of ``_ASYNC_PRINCIPALS``. An EventInvokeConfig alone (``retry_attempts=0``,
        ``max_event_age``) only configures what would happen if it were: a function called
        only by API Gateway or a stream would get two alarms that can never fire.
        """
        stack = self.stack

        def mark_async(resolved: Any) -> None:
            target = _referenced_target(resolved, by_logical_id)
            if target is not None:
                target.async_invoked = True

        for esm in found["event_source_mappings"]:
            target = _referenced_target(stack.resolve(esm.function_name), by_logical_id)
            if target is not None:
                kind = _event_source_kind(esm, stack)
                if kind not in target.event_sources:
                    target.event_sources = (*target.event_sources, kind)
        for config in found["event_invoke_configs"]:
            destinations = stack.resolve(config.destination_config)
            if isinstance(destinations, dict) and any(destinations.values()):
                mark_async(stack.resolve(config.function_name))
        for permission in found["permissions"]:
            principal = stack.resolve(permission.principal)
            if isinstance(principal, str) and principal.split(".", 1)[0] in _ASYNC_PRINCIPALS:
                mark_async(stack.resolve(permission.function_name))
        for subscription in found["sns_subscriptions"]:
            if stack.resolve(subscription.protocol) == "lambda":
                mark_async(stack.resolve(subscription.endpoint))
        for rule in found["event_rules"]:
            mark_async(stack.resolve(rule.targets))
        for log_filter in found["subscription_filters"]:
            mark_async(stack.resolve(log_filter.destination_arn))
        for bucket in found["buckets"]:
            configuration = stack.resolve(bucket.notification_configuration)
            if isinstance(configuration, dict):
                mark_async(configuration.get("LambdaConfigurations"))
        for notifications in found["plain_resources"]:  # Custom::S3BucketNotifications
            properties = stack.resolve(cfn_properties(notifications))
            configuration = (properties or {}).get("NotificationConfiguration") or {}
            mark_async(configuration.get("LambdaFunctionConfigurations"))


#: Construct ids of functions that CDK itself adds (custom-resource providers, log
#: retention, bucket deployment and notification handlers): not part of the service.
_CDK_INTERNAL_FUNCTION_ID = cdk_helper_function_id((PROVIDER_ID,))


def _l1_bucket(kind: ResourceKind) -> str:
    """The bucket of ``_scan`` holding a kind's L1 resources that may have no L2."""
    return f"cfn:{kind.name}"


#: Buckets of ``_scan`` that say how a function is invoked.
_FUNCTION_FACT_BUCKETS = ("event_source_mappings", "event_invoke_configs", "permissions",
                          "sns_subscriptions", "event_rules", "subscription_filters",
                          "buckets", "plain_resources")


#: Buckets of ``_scan`` whose L1s are also a kind's L1s (a ``CfnRule`` says how a
#: function is invoked, and is a monitored EventBridge rule).
_FACT_BUCKETS_OF_KIND_L1S = frozenset({"event_rules"})


#: Services that invoke Lambda functions asynchronously (their permission principals).
_ASYNC_PRINCIPALS = frozenset({"s3", "sns", "events", "logs", "ses", "iot", "codecommit"})


def _referenced_target(resolved: Any, by_logical_id: dict[str, FunctionTarget]
                       ) -> FunctionTarget | None:
    """The function that ``Ref``/``Fn::GetAtt`` in ``resolved`` points at, if monitored."""
    if isinstance(resolved, dict):
        if "Ref" in resolved:
            return by_logical_id.get(resolved["Ref"])
        if "Fn::GetAtt" in resolved:
            return by_logical_id.get(resolved["Fn::GetAtt"][0])
        for value in resolved.values():
            found = _referenced_target(value, by_logical_id)
            if found is not None:
                return found
    elif isinstance(resolved, list):
        for value in resolved:
            found = _referenced_target(value, by_logical_id)
            if found is not None:
                return found
    return None


def _written_as_l1(resource: Any) -> bool:
    """A target's resource that the app wrote as an L1 (``Cfn*``), without an L2."""
    return isinstance(resource, cdk.CfnResource)


def _collect_logical_ids(resolved: Any, found: set[str]) -> None:
    """Every logical id a ``Ref`` or ``Fn::GetAtt`` in ``resolved`` names, into ``found``."""
    if isinstance(resolved, dict):
        if isinstance(resolved.get("Ref"), str):
            found.add(resolved["Ref"])
        getatt = resolved.get("Fn::GetAtt")
        if isinstance(getatt, list) and getatt and isinstance(getatt[0], str):
            found.add(getatt[0])
        for value in resolved.values():
            _collect_logical_ids(value, found)
    elif isinstance(resolved, list):
        for value in resolved:
            _collect_logical_ids(value, found)


def _event_source_kind(esm: lambda_.CfnEventSourceMapping, stack: cdk.Stack) -> str:
    """``kinesis``, ``dynamodb``, ``kafka``, ``sqs`` or ``other``."""
    if esm.self_managed_event_source is not None or (
        esm.amazon_managed_kafka_event_source_config is not None
    ):
        return "kafka"
    source = str(stack.resolve(esm.event_source_arn))
    for marker, kind in ((":kafka:", "kafka"), ("StreamArn", "dynamodb"),
                         (":dynamodb:", "dynamodb"), (":kinesis:", "kinesis"),
                         (":sqs:", "sqs"), (":mq:", "other")):
        if marker in source:
            return kind
    if esm.starting_position is not None:
        # A stream given as a reference to a Kinesis stream (Fn::GetAtt <Stream>.Arn).
        return "kinesis"
    return "sqs"
