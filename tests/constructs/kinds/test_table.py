"""DynamoDB alarms return to OK: every AWS/DynamoDB metric an alarm reads is under
``FILL(..., 0)`` (CloudWatch ignores TreatMissingData for that namespace), and
``watchkeeper report`` / ``check`` read the new shape consistently.

One app, synthesized once: the tables a team has (Table, TableV2, an L1 table monitored
through an imported reference, a table of another app), cdk.json's feature flags, one
per-kind override of the period.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from tests.cli.test_report import count_templates
from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.cli.assembly import load_assembly as load_cloud_assembly
from watchkeeper.cli.check import check_assembly
from watchkeeper.cli.report import load_assembly, report_json
from watchkeeper.constructs.alarms import AlarmSettings
from watchkeeper.testing.cfn import lint_template

REPO_ROOT = Path(__file__).resolve().parents[3]
DYNAMODB = "AWS/DynamoDB"
ALARM = "AWS::CloudWatch::Alarm"
KEY = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)


@dataclass
class Synthesized:
    outdir: Path
    template: dict[str, Any]


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("tables") / "cdk.out"
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(context=context, outdir=str(outdir))
    stack = cdk.Stack(app, "Orders")
    dynamodb.Table(
        stack,
        "Orders",
        table_name="orders",
        partition_key=KEY,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
    )
    dynamodb.TableV2(stack, "Carts", partition_key=KEY)  # unnamed
    legacy = dynamodb.CfnTable(
        stack,
        "Ledger",
        key_schema=[dynamodb.CfnTable.KeySchemaProperty(attribute_name="pk", key_type="HASH")],
        attribute_definitions=[
            dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name="pk", attribute_type="S")
        ],
        billing_mode="PAY_PER_REQUEST",
    )
    lambda_.Function(
        stack,
        "Create",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    mon = ServiceMonitoring(
        stack,
        "Monitoring",
        service_name="orders",
        alarms=AlarmOptions(overrides={
            "table.write_throttles": AlarmSettings(
                period=cdk.Duration.minutes(5), evaluation_periods=3
            )
        }),
    )
    mon.monitor_table(dynamodb.Table.from_table_name(stack, "LedgerRef", legacy.ref))
    mon.monitor_table(dynamodb.Table.from_table_name(stack, "Payments", "payments-prod"))
    app.synth()
    template = json.loads((outdir / "Orders.template.json").read_text())
    return Synthesized(outdir, template)


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == ALARM}


def _filled_ids(expression: str) -> set[str]:
    """The ids inside a ``FILL(<x>, 0)`` of ``expression`` (nesting allowed)."""
    filled: set[str] = set()
    for match in re.finditer(r"\bFILL\s*\(", expression, re.IGNORECASE):
        depth, start = 1, match.end()
        for end in range(start, len(expression)):
            depth += {"(": 1, ")": -1}.get(expression[end], 0)
            if depth == 0:
                inner = expression[start:end]
                if re.search(r",\s*0\s*$", inner):
                    filled |= set(re.findall(r"\b[a-z]\w*\b", inner))
                break
    return filled


def unfilled_dynamodb_reads(alarm: dict[str, Any]) -> list[str]:
    """What ``alarm`` reads from AWS/DynamoDB without a FILL(..., 0) over it."""
    if alarm.get("Namespace") == DYNAMODB:
        return [alarm["MetricName"]]  # a single-metric alarm: missing data is ignored
    queries = alarm.get("Metrics", [])
    returned = [q["Expression"] for q in queries if q.get("ReturnData", True) and "Expression" in q]
    filled = set().union(*(_filled_ids(e) for e in returned))
    return [
        q["Id"]
        for q in queries
        if q.get("MetricStat", {}).get("Metric", {}).get("Namespace") == DYNAMODB
        and q["Id"] not in filled
    ]


def test_no_alarm_reads_a_dynamodb_metric_without_fill(synth) -> None:
    alarms = _alarms(synth.template)
    dynamodb_alarms = [
        a
        for a in alarms.values()
        if a.get("Namespace") == DYNAMODB or DYNAMODB in json.dumps(a.get("Metrics", []))
    ]
    assert len(dynamodb_alarms) == 4 * 3  # four tables, three checks each
    assert {a["AlarmName"]: unfilled_dynamodb_reads(a) for a in dynamodb_alarms} == {
        a["AlarmName"]: [] for a in dynamodb_alarms
    }


def test_the_filled_alarm_keeps_its_metric_statistic_period_and_threshold(synth) -> None:
    by_name = {a["AlarmName"]: a for a in _alarms(synth.template).values()}
    (table_id,) = [
        k
        for k, v in synth.template["Resources"].items()
        if v["Properties"].get("TableName") == "orders"
    ]
    reads = by_name["orders-orders-read-throttles"]
    assert reads["Metrics"] == [
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {
                    "Namespace": DYNAMODB,
                    "MetricName": "ReadThrottleEvents",
                    "Dimensions": [{"Name": "TableName", "Value": {"Ref": table_id}}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {
            "Id": "e1",
            "Expression": "FILL(m1, 0)",
            "Label": "read throttle events",
            "ReturnData": True,
        },
    ]
    assert (reads["Threshold"], reads["EvaluationPeriods"]) == (0, 5)
    assert "Period" not in reads and "MetricName" not in reads
    writes = by_name["orders-orders-write-throttles"]
    assert writes["Metrics"][0]["MetricStat"]["Period"] == 300  # the override
    assert writes["EvaluationPeriods"] == 3
    errors = by_name["orders-orders-system-errors"]
    assert errors["Metrics"][-1]["Expression"] == (
        "FILL(SUM([m1, m2, m3, m4, m5, m6, m7, m8, m9, m10]), 0)"
    )
    assert {q["MetricStat"]["Stat"] for q in errors["Metrics"][:-1]} == {"Sum"}
    imported = by_name["orders-payments-prod-read-throttles"]
    assert imported["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "TableName", "Value": "payments-prod"}
    ]
    assert reads["AlarmDescription"].endswith(
        ": read throttle events. First run saved query orders/recent-errors.")


def test_report_counts_and_prices_the_filled_alarms_as_the_template_holds_them(synth) -> None:
    document = report_json(load_assembly(synth.outdir))
    counts, floor = count_templates(synth.outdir)
    assert document["totals"]["alarms"] == counts[ALARM]
    assert document["totals"]["monthly_usd"] >= round(floor, 2)
    (orders,) = document["stacks"]
    detail = {a["name"]: a for a in orders["alarms_detail"]}
    expected = {
        "orders-orders-read-throttles": (1, 300),
        "orders-orders-write-throttles": (1, 900),  # 5 min x 3
        "orders-orders-system-errors": (10, 900),
    }
    for name, (billed, detect) in expected.items():
        assert detail[name]["kind"] == "metric-math"
        assert detail[name]["billed_alarm_metrics"] == billed
        assert detail[name]["time_to_detect_s"] == detect
    table_alarms = [a for a in detail.values() if any(DYNAMODB in m for m in a["metrics"])]
    assert len(table_alarms) == 4 * 3
    assert sum(a["billed_alarm_metrics"] for a in table_alarms) == 4 * (1 + 1 + 10)


def test_check_finds_no_problem_and_cfn_lint_is_clean(synth) -> None:
    result = check_assembly(load_cloud_assembly(synth.outdir))
    assert [p.line() for p in result.problems] == []
    assert lint_template(synth.template) == []
