"""The human-readable ``watchkeeper report``: a summary table, each stack, and the cost.

Renders the ``--json`` document of :mod:`watchkeeper.cli.report_json` as aligned text
tables, with the app's own resources listed on request (``--all``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchkeeper import pricing
from watchkeeper.cli.report_json import report_json
from watchkeeper.cli.report_model import TOTAL_KEYS, AssemblyReport, StackReport


def format_duration(seconds: float | None) -> str:
    """``90`` -> ``1m 30s``, ``3600`` -> ``1h``; ``None`` -> ``n/a``."""
    if seconds is None:
        return "n/a"
    remaining = int(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    return " ".join(parts) or "0s"


def _table(headers: list[str], rows: list[list[str]], right: set[int], indent: str) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "  ".join(padded)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def report_text(report: AssemblyReport, show_app_own: bool = False) -> str:
    """The human-readable report; ``show_app_own`` lists the app's own resources (``--all``)."""
    out: list[str] = []
    data = report_json(report)
    prices = f"{pricing.PRICES_REGION} list prices as of {pricing.PRICES_AS_OF}"
    out.append(f"watchkeeper report: {report.path}")
    out.append(f"Prices: {prices} ({pricing.PRICES_SOURCE}); free tier not subtracted")
    out.append("")
    headers = [
        "STACK",
        "LOG GROUPS",
        "METRIC FILTERS",
        "CUSTOM METRICS",
        "ALARMS",
        "COMPOSITE",
        "DASHBOARDS",
        "QUERIES",
        "USD/MONTH",
    ]
    keys = TOTAL_KEYS

    def summary_row(name: str, values: Mapping[str, Any]) -> list[str]:
        return [name, *(str(values[k]) for k in keys[:-1]), f"{values['monthly_usd']:.2f}"]

    rows = [summary_row(stack["name"], stack) for stack in data["stacks"]]
    rows.append(summary_row("TOTAL", data["totals"]))
    out += _table(headers, rows, set(range(1, len(headers))), "")
    for stack, stack_json in zip(report.stacks, data["stacks"], strict=True):
        out.append("")
        out += _stack_text(stack, stack_json)
        out += _app_own_text(stack_json["app_own"], show_app_own)
    out.append("")
    out += _cost_text(data)
    return "\n".join(out) + "\n"


def _stack_text(stack: StackReport, data: Mapping[str, Any]) -> list[str]:
    contents = stack.contents
    location = stack.template if stack.assembly == "." else f"{stack.assembly}/{stack.template}"
    out = [f"== {stack.display_name} (stack {stack.stack_name}, {location}, {stack.environment})"]
    for nested in contents.nested_stacks:
        out.append(f"  nested stack {nested.logical_id}: {nested.template or 'not in assembly'}")
    for service in contents.services:
        stage = f" (stage {service.stage})" if service.stage else ""
        out.append(f"  service {service.service}{stage} monitors:")
        for kind, items in service.monitored:
            out.append(f"    {kind.replace('_', ' ')} ({len(items)}): {', '.join(items)}")
        out.append(f"  service {service.service} changed on the app's resources "
                   f"({len(service.changes)}){':' if service.changes else ': none'}")
        for kind, resource, detail in service.changes:
            out.append(f"    {kind} {resource}: {detail}")
    out += _findings_text(stack)
    labels = {
        "log_groups": "log groups",
        "metric_filters": "metric filters",
        "saved_queries": "saved queries",
        "dashboards": "dashboards",
    }
    for key, label in labels.items():
        names = contents.names[key]
        out.append(f"  {label} ({len(names)}): {', '.join(names) if names else '-'}")
    protected = data["data_protection"]["log_group_names"]
    out.append(f"  data protection ({len(protected)}): {', '.join(protected) or '-'}")
    metrics = data["custom_metrics_detail"]
    out.append(f"  custom metrics ({len(metrics)}):")
    for metric in metrics:
        extra = (
            f"  [+1 per distinct value of {', '.join(metric['dimensions'])}]"
            if metric["dimensions"]
            else ""
        )
        out.append(f"    {metric['namespace']} {metric['name']}{extra}")
    kinds = ", ".join(f"{kind} {count}" for kind, count in data["alarm_kinds"].items())
    out.append(f"  alarms ({data['alarms']}): {kinds}; composite {data['composite_alarms']}")
    out.append(
        f"  alarm metrics billed: {data['alarm_metrics']['standard']} standard, "
        f"{data['alarm_metrics']['high_resolution']} high-resolution"
    )
    other = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["other_resources"].items())
    out.append(f"  other: {other}")
    if contents.alarms:
        rows = [
            [
                _clip(alarm.name, 48),
                alarm.kind,
                _clip("; ".join(alarm.metrics)),
                _clip(alarm.threshold, 24),
                format_duration(alarm.period_s),
                "n/a"
                if alarm.datapoints is None
                else f"{alarm.datapoints}/{alarm.evaluation_periods}",
                format_duration(alarm.time_to_detect_s),
            ]
            for alarm in contents.alarms
        ]
        out += _table(
            ["ALARM", "KIND", "METRIC(S)", "THRESHOLD", "PERIOD", "DATAPOINTS", "TIME TO DETECT"],
            rows,
            {4, 5, 6},
            "    ",
        )
    out.append(f"  estimated cost: ${data['monthly_usd']:.2f}/month")
    return out


def _findings_text(stack: StackReport) -> list[str]:
    """The stack's public function URLs: those not acknowledged fail ``watchkeeper check``."""
    out = [f"  security findings ({len(stack.findings)}){':' if stack.findings else ': -'}"]
    for finding in stack.findings:
        state = ("acknowledged (public on purpose)" if finding.acknowledged
                 else "not acknowledged: watchkeeper check fails on it")
        out.append(f"    {finding.check} {finding.url.location} (function "
                   f"{finding.function}): {state}")
    return out


def _app_own_text(app_own: Mapping[str, Any], show: bool) -> list[str]:
    total = sum(app_own["counts"].values())
    if not total:
        return []
    if not show:
        return [
            f"  the app's own ({total}): not created by watchkeeper, not counted; "
            "--all lists them"
        ]
    out = [f"  the app's own (not counted) ({total}):"]
    for key, names in app_own["names"].items():
        if names:
            out.append(f"    {key.replace('_', ' ')} ({len(names)}): {', '.join(names)}")
    return out


def _cost_text(data: Mapping[str, Any]) -> list[str]:
    cost = data["cost"]
    out = [
        f"Estimated monthly CloudWatch cost ({pricing.PRICES_REGION}, list prices as of "
        f"{pricing.PRICES_AS_OF})"
    ]
    rows = [
        [
            line["item"],
            str(line["quantity"]),
            f"{line['unit_usd']:.2f}",
            f"{line['monthly_usd']:.2f}",
        ]
        for line in cost["lines"]
    ]
    rows.append(["Total", "", "", f"{cost['monthly_usd']:.2f}"])
    out += _table(["ITEM", "QUANTITY", "USD EACH", "USD/MONTH"], rows, {1, 2, 3}, "  ")
    free = data["free_tier"]
    out.append(
        f"  Free tier (per account, not subtracted): up to ${free['monthly_usd']:.2f}/month "
        f"({free['alarm_metrics']} standard alarm metrics, {free['dashboards']} dashboards, "
        f"{free['custom_metrics']} custom metrics, {free['contributor_insights_rules']} "
        "Contributor Insights rule)"
    )
    out.append("  Not included (depends on log volume):")
    where = _data_protection_scope(data["data_protection"])
    for item, price, unit in pricing.VOLUME_PRICES:
        scope = f" ({where})" if item == pricing.LOGS_DATA_PROTECTION_ITEM else ""
        out.append(f"    {item}: ${price} {unit}{scope}")
    out.append("Notes:")
    out += [f"  - {note}" for note in data["notes"]]
    return out


def _data_protection_scope(protection: Mapping[str, Any]) -> str:
    count = protection["log_groups"]
    where = (
        f"every GB ingested into the {count} log group{'' if count == 1 else 's'} with a "
        "data protection policy"
        if count
        else "no log group has a data protection policy"
    )
    if protection["account_policies"]:
        where += (
            "; account-wide data protection policy "
            f"{', '.join(protection['account_policies'])}: every log group it selects"
        )
    return where
