"""Service-wide alarms on the metrics taken from the service's logs.

The metric filters publish ``schema.SecurityMetric.*`` and ``schema.HealthMetric.*`` in
``schema.metric_namespace(service)`` without dimensions (one metric per service, value 1 per
matching line), so these alarms are per service, not per function: their cost does not
grow with the number of functions. The account-wide concurrency alarm lives here too.
"""

from __future__ import annotations

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.service_checks import (
    SECURITY_CHECKS,
    SERVICE_CHECKS,
    TOP_OFFENDER_CHECK_PREFIX,
)
from watchkeeper.constructs.kinds.function import CONCURRENCY_SHARE
from watchkeeper.constructs.kinds.function import NAMESPACE as LAMBDA_NAMESPACE

#: Resource keys of the service-wide alarms (reserved: no resource may use them).
SERVICE_KEY = "service"
SECURITY_KEY = "security"


def plan_service(ctx: PlanContext, has_functions: bool) -> list[AlarmPlan]:
    """Health (timeouts, out of memory, account concurrency) and security alarms."""
    if not has_functions:
        return []
    namespace = schema.metric_namespace(ctx.service)
    label = f"service {ctx.service}"
    plans: list[AlarmPlan] = []
    log_metrics = {
        value
        for names in (schema.HealthMetric, schema.SecurityMetric)
        for key, value in vars(names).items()
        if key.isupper()
    } | {schema.SECURITY_EVENTS_METRIC}
    for checks, key in ((SERVICE_CHECKS, SERVICE_KEY), (SECURITY_CHECKS, SECURITY_KEY)):
        for check in checks:
            if check.name.startswith(TOP_OFFENDER_CHECK_PREFIX):
                continue  # alarms on Contributor Insights rules: contributor_insights.py
            # An alarm on a log metric that no filter of this service publishes would
            # never fire: functions deployed elsewhere get the compact filter set
            # (Errors, Timeouts, SecurityEvents), the service log group the full one.
            published = ctx.published_log_metrics
            if check.metric in log_metrics and published is not None and (
                check.metric not in published
            ):
                continue
            settings = ctx.resolve(check.kind, check.name, {})
            if not ctx.wanted(settings, True):
                continue
            if check.name == "account_concurrency":
                plan = AlarmPlan(settings=settings, resource_key=key,
                                 label=f"account (seen from {label})", service=ctx.service,
                                 metric=MetricRef(LAMBDA_NAMESPACE, "ConcurrentExecutions"))
                if ctx.kind_overrides.get(check.key, None) is None or \
                        ctx.kind_overrides[check.key].threshold is None:
                    plan.threshold = int(ctx.concurrency_limit * CONCURRENCY_SHARE)
                    plan.threshold_note = f"(90% of concurrency_limit {ctx.concurrency_limit})"
                elif settings.threshold > ctx.concurrency_limit:
                    raise ValueError(
                        f"AlarmOptions.overrides['service.account_concurrency'].threshold="
                        f"{settings.threshold:g} is above AlarmOptions.concurrency_limit="
                        f"{ctx.concurrency_limit}: the alarm could never fire"
                    )
            else:
                plan = AlarmPlan(settings=settings, resource_key=key, label=label,
                                 service=ctx.service,
                                 metric=MetricRef(namespace, check.metric))
            plans.append(plan)
    return plans
