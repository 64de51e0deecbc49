"""Whether the monitoring fits the enclosing stack's template: the size estimate, the
automatic nested-stack placement, the alarms retained near a limit, and the check of
``nested_stacks=False``. A step of ServiceMonitoring (mixed into it), run at synth."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk

from watchkeeper.constructs.alarms.build import plan_all
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.placement import (
    RETAIN_MARGIN_RESOURCES,
    NestedStackPlacement,
    SizeEstimate,
)
from watchkeeper.constructs.targets import (
    FunctionTarget,
)
from watchkeeper.limits import MAX_RESOURCES_PER_TEMPLATE
from watchkeeper.log_metrics import COMPACT_METRIC_NAMES, LOG_METRICS
from watchkeeper.queries import CATALOGUE

if TYPE_CHECKING:
    # Imported where used (see cdk_internals.loaded_classes): a service without APIs,
    # queues, tables or state machines does not pay for loading these modules.
    pass


class SizingSteps(MonitoringState):
    """Whether the monitoring fits the enclosing stack's template."""

    def _estimate_size(self) -> SizeEstimate:
        """An upper bound of the enclosing stack's template once the monitoring is built,
        from what is known before anything is built: the resources already counted by
        ``_scan`` and the registered targets. Cheap first: a rough bound per target; only
        a stack that may come near a limit pays for planning its alarms."""
        targets = sum(len(found) for found in self._targets.values())
        queries = (len(CATALOGUE) + len(self.insights_settings.extra_queries)
                   if self.insights_settings.saved_queries else 0)
        # service filters, topic extras, service and security alarms, composite alarm,
        # dashboards and their pages, the log-group ensurer, CDKMetadata: generous
        fixed = 60 + queries + targets // 10 + self._most_detection_resources(targets)
        rough = SizeEstimate(self.stack.stack_name, self._resources_in_stack,
                             fixed + _MOST_RESOURCES_PER_TARGET * targets)
        if not (rough.over_limit or rough.near_limit):
            return rough
        # Every metric a filter could publish: plans for all of them are an upper bound.
        plans = plan_all(self._model(), published_log_metrics=frozenset(LOG_METRICS))
        shipped = (len(self.log_shipping.destinations)
                   if self.log_shipping is not None
                   and self.log_shipping.mode == "subscription-filters" else 0)
        # Functions whose logs do not go to the service log group get a filter set, a
        # log group (created or referenced) and its subscription filters each.
        # Every function keeps a group of its own under the flag that gives it one, and
        # under the stage's permissions boundary (function_logging decides the same).
        keeps_own_group = (not self.move_cdk_managed_log_groups and bool(
            self.node.try_get_context("@aws-cdk/aws-lambda:useCdkManagedLogGroup"))) or bool(
            self._stage_permissions_boundary())
        own_groups = sum(1 for t in self.functions
                         if not _logs_to_service_group(self, t, keeps_own_group))
        added = (
            fixed
            + len(plans) + len(plans) // 90  # alarms, composite alarms of 100 children
            + own_groups * (len(COMPACT_METRIC_NAMES) + 1 + shipped)
            + 6 * (len(self.http_apis) + len(self.rest_apis))  # access logs, stage changes
            + 3 * len(self.state_machines)  # execution log group, delivery policy
            + shipped * len(self.log_groups)
        )
        return SizeEstimate(self.stack.stack_name, self._resources_in_stack, added)

    def _most_detection_resources(self, targets: int) -> int:
        """The security detections' resources at most: 4 Contributor Insights rules and
        their 4 alarms; the tampering rules (one per about 30 names that share no prefix,
        each pattern within 2,048 characters, at most 20)."""
        settings = self.detection_settings
        top_offenders = 8 if settings.top_offenders else 0
        tampering = min(20, 1 + targets // 20) if settings.control_plane_tampering else 0
        return top_offenders + tampering

    def _decide_placement(self) -> None:
        """nested_stacks=None: nested stacks when the stack would pass a template limit."""
        if self.nested_stacks is not None or self._placement is not None:
            return  # explicit, or placed by MonitoringStack
        estimate = self.size_estimate = self._estimate_size()
        if not estimate.over_limit:
            return
        self._placement = NestedStackPlacement(self).scope_for_target
        self.nested_automatically = True
        cdk.Annotations.of(self).add_warning_v2(
            "watchkeeper:nested-stacks",
            f"watchkeeper: {estimate.describe()}, so each function's alarms and metric "
            "filters are placed in 16 nested stacks (nested_stacks=None, automatic); "
            "per-function log groups stay in this stack. Alarms keep their names; moved "
            "from this stack they survive only if its last deploy gave them DeletionPolicy "
            f"Retain, which watchkeeper does within {RETAIN_MARGIN_RESOURCES} resources of "
            "the limit: if this stack was deployed with watchkeeper's alarms and fewer than "
            f"{MAX_RESOURCES_PER_TEMPLATE - RETAIN_MARGIN_RESOURCES} resources, deploy the "
            "growth in two steps (README, 'Scale: hundreds of functions'). "
            "nested_stacks=True keeps this placement whatever the size.",
        )

    def _protect_alarms_that_may_move(self) -> None:
        """Near a limit, the automatic placement may move per-function alarms between this
        stack and the nested stacks on a later deploy. Alarms have fixed names, so the new
        stack takes the alarm over (PutMetricAlarm overwrites) and the old stack then
        deletes it by name in its cleanup phase. A removed resource keeps the
        DeletionPolicy of the template it was deployed with: Retain there makes the
        cleanup leave the alarm alone. Applied only within the margin, because a retained
        alarm also outlives the removal of its function."""
        estimate = self.size_estimate
        if estimate is None or not estimate.near_limit:
            return
        functions = {t.key for t in self.functions}
        for alarm in self.alarm_details:
            if alarm.resource_key in functions:
                alarm.cfn.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

    def _check_stack_fits(self) -> None:
        """nested_stacks=False: refuse a template CloudFormation would refuse, naming the
        option (counted once everything is built, so the numbers are exact)."""
        stack = self.stack
        count = 1  # CDKMetadata, added when the template is written
        nested = [n.node.path + "/" for n in stack.node.find_all()
                  if isinstance(n, cdk.Stack) and n is not stack]
        for node in stack.node.find_all():
            if isinstance(node, cdk.CfnResource) and not any(
                node.node.path.startswith(p) for p in nested
            ):
                count += 1
        if count > MAX_RESOURCES_PER_TEMPLATE:
            raise ValueError(
                f"nested_stacks=False: stack {stack.stack_name} would hold {count} resources "
                f"({self._resources_in_stack} of its own + {count - self._resources_in_stack}"
                f" added by watchkeeper); CloudFormation allows {MAX_RESOURCES_PER_TEMPLATE} "
                "per template. Use nested_stacks=None (automatic) or True, or monitor fewer "
                "resources (exclude=[...])"
            )


#: Resources one monitored target can add at most (a function: 10 alarms, 3 metric
#: filters, its log group, 2 subscription filters), for the first, rough size estimate.
_MOST_RESOURCES_PER_TARGET = 20


def _logs_to_service_group(mon: MonitoringState, target: FunctionTarget,
                           keeps_own_group: bool) -> bool:
    """Whether the function's logs will go to the service log group (as
    ``_wire_function_logging`` decides, from what is known before it runs).

    :param keeps_own_group: the app's feature flag gives functions a group of their own,
        which they keep, or the stage's permissions boundary keeps them in theirs (read once
        per service, not once per function).
    """
    if not target.owned or mon.log_group_per_function:
        return False
    if keeps_own_group:
        return False
    config = target.logging_config
    if not isinstance(config, dict):
        return config is None
    return not config.get("logGroup") and config.get("logFormat", "JSON") == "JSON"
