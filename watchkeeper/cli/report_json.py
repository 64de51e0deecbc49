"""The ``watchkeeper report --json`` document: counts, alarms and cost per stack and in total.

Built from the records of :mod:`watchkeeper.cli.report_model` and priced with
:mod:`watchkeeper.pricing`; :mod:`watchkeeper.cli.report_text` renders the same document
for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from watchkeeper import pricing
from watchkeeper.cli.report_model import (
    ALARM_KINDS,
    COMPOSITE_KIND,
    COUNTED_TYPES,
    TOTAL_KEYS,
    AssemblyReport,
    CustomMetric,
)


def _usd(value: Decimal) -> float:
    return float(value)


def report_json(report: AssemblyReport) -> dict[str, Any]:
    """The ``--json`` document: ``{"stacks": [...], "totals": {...}, ...}``."""
    stacks: list[dict[str, Any]] = []
    for stack in report.stacks:
        contents = stack.contents
        estimate = pricing.estimate_monthly_cost(stack.usage())
        metric_alarms = [a for a in contents.alarms if a.kind != COMPOSITE_KIND]
        stacks.append(
            {
                "name": stack.display_name,
                "artifact_id": stack.artifact_id,
                "stack_name": stack.stack_name,
                "environment": stack.environment,
                "assembly": stack.assembly,
                "template": stack.template,
                **{key: contents.counts[key] for key in TOTAL_KEYS if key in contents.counts},
                "custom_metrics": len(stack.custom_metric_keys()),
                "monthly_usd": _usd(estimate.monthly_usd),
                "other_resources": {
                    key: contents.counts[key] for key in COUNTED_TYPES if key not in TOTAL_KEYS
                },
                "alarm_kinds": {
                    kind: sum(1 for a in metric_alarms if a.kind == kind) for kind in ALARM_KINDS
                },
                "alarm_metrics": {
                    "standard": stack.usage().standard_alarm_metrics,
                    "high_resolution": stack.usage().high_resolution_alarm_metrics,
                },
                "custom_metrics_detail": [
                    {
                        "namespace": m.namespace,
                        "name": m.name,
                        "dimensions": list(m.dimensions),
                        "metric_filter": m.metric_filter,
                        "counted_as": 1,
                        "per_distinct_dimension_values": bool(m.dimensions),
                    }
                    for m in _distinct_metrics(contents.custom_metrics)
                ],
                "cost": _cost_json(estimate),
                "data_protection": _data_protection_json(
                    contents.data_protected_log_groups, contents.data_protection_account_policies
                ),
                "alarms_detail": [alarm.as_json() for alarm in contents.alarms],
                "names": {key: list(values) for key, values in contents.names.items()},
                "monitored": [
                    {
                        "service": s.service,
                        **({"stage": s.stage} if s.stage else {}),
                        "monitored": {k: list(v) for k, v in s.monitored},
                    }
                    for s in contents.services
                ],
                # Changes to the app's own resources: not created by watchkeeper, not priced.
                "changed": [
                    {"service": s.service, "kind": kind, "resource": resource, "detail": detail}
                    for s in contents.services
                    for kind, resource, detail in s.changes
                ],
                # Function URLs anyone can call: watchkeeper check's public-function-url
                # problems, and those the app acknowledged (public on purpose).
                "findings": [finding.as_json() for finding in stack.findings],
                # The app's own resources of the counted types: not counted, not priced.
                "app_own": {
                    "counts": {key: len(names) for key, names in contents.app_own.items()},
                    "names": {key: list(names) for key, names in contents.app_own.items()},
                },
                "nested_stacks": [
                    {
                        "logical_id": n.logical_id,
                        "template": n.template,
                        "parent_template": n.parent,
                        "counts": dict(n.counts),
                    }
                    for n in contents.nested_stacks
                ],
            }
        )
    counts = report.counts()
    estimate = pricing.estimate_monthly_cost(report.usage())
    totals: dict[str, Any] = {key: counts[key] for key in TOTAL_KEYS if key in counts}
    totals["custom_metrics"] = report.custom_metric_count()
    totals["monthly_usd"] = _usd(estimate.monthly_usd)
    return {
        "stacks": stacks,
        "totals": {key: totals[key] for key in TOTAL_KEYS},
        "other_totals": {key: counts[key] for key in COUNTED_TYPES if key not in TOTAL_KEYS},
        "cost": _cost_json(estimate),
        "free_tier": {
            "monthly_usd": _usd(estimate.free_tier_usd),
            "alarm_metrics": pricing.FREE_ALARM_METRICS,
            "dashboards": pricing.FREE_DASHBOARDS,
            "custom_metrics": pricing.FREE_CUSTOM_METRICS,
            "contributor_insights_rules": pricing.FREE_CONTRIBUTOR_INSIGHTS_RULES,
            "note": "per account and month, shared with everything else in the account; "
            "not subtracted from monthly_usd",
        },
        "data_protection": _data_protection_json(
            [name for s in report.stacks for name in s.contents.data_protected_log_groups],
            [name for s in report.stacks for name in s.contents.data_protection_account_policies],
        ),
        "pricing": pricing.price_table(),
        "notes": [*_assumptions(report), *report.notes()],
    }


def _data_protection_json(log_groups: list[str], account_policies: list[str]) -> dict[str, Any]:
    """Where data protection scans, priced per GB: not in ``monthly_usd`` (it is volume)."""
    return {
        "usd_per_gb_scanned": _usd(pricing.LOGS_DATA_PROTECTION_USD_PER_GB),
        "log_groups": len(log_groups),
        "log_group_names": list(log_groups),
        "account_policies": list(account_policies),
    }


def _cost_json(estimate: pricing.CostEstimate) -> dict[str, Any]:
    return {
        "lines": [
            {
                "item": line.item,
                "quantity": line.quantity,
                "unit_usd": _usd(line.unit_usd),
                "monthly_usd": _usd(line.monthly_usd),
            }
            for line in estimate.lines
        ],
        "monthly_usd": _usd(estimate.monthly_usd),
        "free_tier_usd": _usd(estimate.free_tier_usd),
    }


def _distinct_metrics(metrics: Iterable[CustomMetric]) -> list[CustomMetric]:
    distinct: dict[tuple[str, str, tuple[str, ...]], CustomMetric] = {}
    for metric in metrics:
        distinct.setdefault(metric.key, metric)
    return list(distinct.values())


def _assumptions(report: AssemblyReport) -> list[str]:
    notes = [
        "alarms_detail time_to_detect_s = period x datapoints to alarm (evaluation periods "
        "when DatapointsToAlarm is absent): the shortest breach that raises the alarm, "
        "before CloudWatch's own evaluation delay",
        "custom metrics: one per distinct (namespace, name, dimension keys) of the metric "
        "filters; a metric with dimensions is counted once but is billed once per distinct "
        "combination of dimension values in the logs",
        "a metric-math alarm is billed per metric it reads (each MetricStat); expressions are free",
    ]
    if any(m.dimensions for s in report.stacks for m in s.contents.custom_metrics):
        notes.append(
            "some custom metrics have dimensions: the real custom-metric cost is higher by "
            f"${pricing.CUSTOM_METRIC_USD} per month for each further distinct dimension value"
        )
    return notes + [f"unconfirmed: {item}" for item in pricing.UNCONFIRMED]
