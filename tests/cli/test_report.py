"""``watchkeeper report`` on hand-written cloud assemblies, and on one real CDK synth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cdk_alarm_shapes import add_alarm_shapes
from watchkeeper import cli
from watchkeeper.cli.report import (
    TOTAL_KEYS,
    format_duration,
    load_assembly,
    report_json,
    report_text,
)
from watchkeeper.schema import TemplateMetadata

ENV = "aws://111111111111/us-east-1"
OTHER_ENV = "aws://222222222222/eu-west-1"
NAMESPACE = "Watchkeeper/orders"
ASSET_HASH = "ab" * 32


# --------------------------------------------------------------------------------------
# building cloud assemblies by hand
# --------------------------------------------------------------------------------------


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def stack_artifact(template_file: str, display_name: str, env: str = ENV) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": env,
        "properties": {"templateFile": template_file, "stackName": display_name.replace("/", "-")},
        "displayName": display_name,
    }


def manifest(artifacts: dict[str, Any]) -> dict[str, Any]:
    base = {
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
        "flags": {"type": "cdk:feature-flag-report", "properties": {"module": "aws-cdk-lib"}},
    }
    return {"version": "48.0.0", "artifacts": {**base, **artifacts}}


def alarm(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def metric_stat(query_id: str, name: str, period: Any = 300) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": "AWS/Lambda", "MetricName": name},
            "Period": period,
            "Stat": "Sum",
        },
        "ReturnData": False,
    }


def metric_filter(name: Any, metric: str, dimensions: list[str] | None = None) -> dict[str, Any]:
    transformation: dict[str, Any] = {
        "MetricNamespace": NAMESPACE,
        "MetricName": metric,
        "MetricValue": "1",
    }
    if dimensions:
        transformation["Dimensions"] = [{"Key": k, "Value": f"$.{k}"} for k in dimensions]
    properties = {
        "LogGroupName": {"Ref": "ServiceLogs"},
        "FilterPattern": '{ $.level = "ERROR" }',
        "MetricTransformations": [transformation],
    }
    if name is not None:
        properties["FilterName"] = name
    return {"Type": "AWS::Logs::MetricFilter", "Properties": properties}


def orders_template() -> dict[str, Any]:
    """One of every counted type and every alarm kind."""
    return {
        "Metadata": {
            TemplateMetadata.KEY: {
                TemplateMetadata.SERVICES: [
                    {
                        TemplateMetadata.SERVICE: "orders",
                        TemplateMetadata.MONITORED: {
                            "functions": [{"Ref": "CreateFn"}, "orders-legacy"],
                            "queues": [{"Ref": "OrdersQueue"}],
                            "tables": [],
                        },
                    }
                ]
            }
        },
        "Parameters": {"FastPeriod": {"Type": "Number", "Default": 10}},
        "Resources": {
            "ServiceLogs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "/watchkeeper/orders/functions"},
            },
            "ApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "ErrorsFilter": metric_filter("orders-errors", "Errors"),
            "ErrorsFilterAgain": metric_filter(None, "Errors"),
            "AuthnFilter": metric_filter(
                {"Fn::Join": ["-", ["orders", {"Ref": "AWS::Region"}, "authn"]]},
                "AuthnFailures",
                ["functionName"],
            ),
            "StandardAlarm": alarm(
                AlarmName="orders-create-errors",
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=5,
                DatapointsToAlarm=3,
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
            ),
            "FastAlarm": alarm(
                AlarmName={
                    "Fn::Sub": "${AWS::StackName}-fast-${Suffix}",
                },
                Namespace=NAMESPACE,
                MetricName="AuthnFailures",
                Statistic="Sum",
                Period={"Ref": "FastPeriod"},
                EvaluationPeriods="2",
                Threshold=5,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            ),
            "MathAlarm": alarm(
                AlarmName="orders-error-rate",
                EvaluationPeriods=3,
                Threshold=5,
                ComparisonOperator="GreaterThanThreshold",
                Metrics=[
                    metric_stat("errors", "Errors"),
                    metric_stat("invocations", "Invocations"),
                    {"Id": "rate", "Expression": "100 * errors / invocations", "ReturnData": True},
                ],
            ),
            "TrafficAnomaly": alarm(
                EvaluationPeriods=4,
                DatapointsToAlarm=2,
                ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
                ThresholdMetricId="band",
                Metrics=[
                    metric_stat("m1", "Invocations", 900),
                    {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
                ],
            ),
            "Health": {
                "Type": "AWS::CloudWatch::CompositeAlarm",
                "Properties": {
                    "AlarmName": "orders-health",
                    "AlarmRule": 'ALARM("orders-create-errors") OR ALARM("orders-error-rate")',
                },
            },
            "OpsDashboard": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {"DashboardName": "orders-ops", "DashboardBody": "{}"},
            },
            "SecurityDashboard": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {"DashboardBody": "{}"},
            },
            "RecentErrors": {
                "Type": "AWS::Logs::QueryDefinition",
                "Properties": {"Name": "orders/recent-errors", "QueryString": "fields @message"},
            },
            "Shipping": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {}},
            "AccountShipping": {"Type": "AWS::Logs::AccountPolicy", "Properties": {}},
            "Detector": {"Type": "AWS::CloudWatch::AnomalyDetector", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "CreateFn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "ListFn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        },
    }


def nested_stack_resource(**extra: Any) -> dict[str, Any]:
    return {"Type": "AWS::CloudFormation::Stack", "Properties": {}, **extra}


@pytest.fixture
def assembly(tmp_path: Path) -> Path:
    """Orders (everything), Parent (nested stacks, two levels) and a Prod stage."""
    root = tmp_path / "cdk.out"
    write_json(root / "Orders.template.json", orders_template())
    write_json(
        root / "Parent.template.json",
        {
            "Resources": {
                "Logs": {"Type": "AWS::Logs::LogGroup"},
                "Child": nested_stack_resource(
                    Metadata={"aws:asset:path": "ParentChild.nested.template.json"}
                ),
                "External": nested_stack_resource(
                    Properties={"TemplateURL": "https://example.com/other.json"}
                ),
            }
        },
    )
    write_json(
        root / "ParentChild.nested.template.json",
        {
            "Resources": {
                "ChildLogs": {"Type": "AWS::Logs::LogGroup"},
                "ChildAlarm": alarm(
                    MetricName="Throttles",
                    Namespace="AWS/Lambda",
                    Statistic="Sum",
                    Period=30,
                    EvaluationPeriods=2,
                    Threshold=1,
                    ComparisonOperator="GreaterThanOrEqualToThreshold",
                ),
                # found through the asset manifest, as a plain `python app.py` writes it
                "Grandchild": nested_stack_resource(
                    Properties={
                        "TemplateURL": {
                            "Fn::Join": [
                                "",
                                [
                                    "https://s3.",
                                    {"Ref": "AWS::Region"},
                                    f".amazonaws.com/bucket/{ASSET_HASH}.json",
                                ],
                            ]
                        }
                    }
                ),
            }
        },
    )
    write_json(
        root / "ParentGrandchild.nested.template.json",
        {
            "Resources": {
                "Board": {
                    "Type": "AWS::CloudWatch::Dashboard",
                    "Properties": {"DashboardName": "deep"},
                }
            }
        },
    )
    write_json(
        root / "Parent.assets.json",
        {"files": {ASSET_HASH: {"source": {"path": "ParentGrandchild.nested.template.json"}}}},
    )
    write_json(
        root / "manifest.json",
        manifest(
            {
                "Orders": stack_artifact("Orders.template.json", "Orders"),
                "Parent.assets": {
                    "type": "cdk:asset-manifest",
                    "properties": {"file": "Parent.assets.json"},
                },
                "Parent": stack_artifact("Parent.template.json", "Parent"),
                "assembly-Prod": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
                },
            }
        ),
    )
    prod = root / "assembly-Prod"
    # the same metric as Orders' in the same environment (one metric), and in another (two)
    same_env = {"Resources": {"F": metric_filter("f", "Errors")}}
    write_json(prod / "ProdApi.template.json", same_env)
    write_json(prod / "ProdEu.template.json", same_env)
    write_json(
        prod / "manifest.json",
        manifest(
            {
                "ProdApi": stack_artifact("ProdApi.template.json", "Prod/Api"),
                "ProdEu": stack_artifact("ProdEu.template.json", "Prod/Eu", OTHER_ENV),
            }
        ),
    )
    return root


@pytest.fixture
def document(assembly: Path) -> dict[str, Any]:
    return report_json(load_assembly(assembly))


def stack(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in document["stacks"] if s["name"] == name)


# --------------------------------------------------------------------------------------
# counting
# --------------------------------------------------------------------------------------


def test_every_stack_of_the_app_and_its_stages_is_reported(document: dict[str, Any]) -> None:
    assert [s["name"] for s in document["stacks"]] == ["Orders", "Parent", "Prod/Api", "Prod/Eu"]
    assert stack(document, "Prod/Api")["assembly"] == "assembly-Prod"
    assert stack(document, "Prod/Eu")["environment"] == OTHER_ENV


def test_counts_each_resource_type_exactly(document: dict[str, Any]) -> None:
    orders = stack(document, "Orders")
    assert {k: orders[k] for k in TOTAL_KEYS if k != "monthly_usd"} == {
        "log_groups": 2,
        "metric_filters": 3,
        "custom_metrics": 2,
        "alarms": 4,
        "composite_alarms": 1,
        "dashboards": 2,
        "saved_queries": 1,
    }
    assert orders["other_resources"] == {
        "subscription_filters": 1,
        "account_policies": 1,
        "anomaly_detectors": 1,
        "sns_topics": 1,
        "lambda_functions": 2,
        "insight_rules": 0,
        "event_rules": 0,
    }


def test_alarms_are_classified_and_billed_by_metric(document: dict[str, Any]) -> None:
    orders = stack(document, "Orders")
    assert orders["alarm_kinds"] == {
        "standard": 1,
        "high-resolution": 1,
        "metric-math": 1,
        "anomaly-detection": 1,
    }
    billed = {a["logical_id"]: a["billed_alarm_metrics"] for a in orders["alarms_detail"]}
    assert billed == {
        "StandardAlarm": 1,
        "FastAlarm": 1,
        "MathAlarm": 2,
        "TrafficAnomaly": 3,
        "Health": 0,
    }
    # standard: 1 + 2 + 3; high resolution: the 10 s alarm
    assert orders["alarm_metrics"] == {"standard": 6, "high_resolution": 1}


def test_time_to_detect_is_period_times_datapoints(document: dict[str, Any]) -> None:
    detail = {a["logical_id"]: a for a in stack(document, "Orders")["alarms_detail"]}
    assert detail["StandardAlarm"]["time_to_detect_s"] == 60 * 3  # DatapointsToAlarm wins
    assert detail["FastAlarm"]["period_s"] == 10  # Ref to a parameter's default
    assert detail["FastAlarm"]["time_to_detect_s"] == 10 * 2  # EvaluationPeriods as a string
    assert detail["MathAlarm"]["time_to_detect_s"] == 300 * 3
    assert detail["TrafficAnomaly"]["time_to_detect_s"] == 900 * 2
    assert detail["Health"]["kind"] == "composite"
    assert detail["Health"]["time_to_detect_s"] is None
    assert detail["TrafficAnomaly"]["threshold"] == "outside band (band)"
    assert detail["StandardAlarm"]["threshold"] == "> 0"


def test_monthly_cost_is_list_price_without_the_free_tier(document: dict[str, Any]) -> None:
    orders = stack(document, "Orders")
    # 6 x 0.10 + 1 x 0.30 + 1 composite x 0.50 + 2 dashboards x 3.00 + 2 metrics x 0.30
    assert orders["monthly_usd"] == 8.00
    assert orders["cost"]["free_tier_usd"] == pytest.approx(0.60 + 6.00 + 0.60)


def test_custom_metrics_state_the_dimension_assumption(document: dict[str, Any]) -> None:
    detail = stack(document, "Orders")["custom_metrics_detail"]
    by_name = {m["name"]: m for m in detail}
    assert set(by_name) == {"Errors", "AuthnFailures"}  # the repeated Errors counts once
    assert by_name["AuthnFailures"]["dimensions"] == ["functionName"]
    assert by_name["AuthnFailures"]["per_distinct_dimension_values"] is True
    assert by_name["Errors"]["per_distinct_dimension_values"] is False
    assert any("dimension values" in note for note in document["notes"])


def test_nested_stacks_are_counted_under_their_parent_and_listed(
    document: dict[str, Any],
) -> None:
    parent = stack(document, "Parent")
    assert parent["log_groups"] == 2
    assert parent["alarms"] == 1
    assert parent["dashboards"] == 1  # two levels down, found via the asset manifest
    assert parent["alarm_metrics"] == {"standard": 0, "high_resolution": 1}
    assert parent["monthly_usd"] == 3.30
    nested = {n["logical_id"]: n for n in parent["nested_stacks"]}
    assert nested["Child"]["template"] == "ParentChild.nested.template.json"
    assert nested["Grandchild"]["template"] == "ParentGrandchild.nested.template.json"
    assert nested["Grandchild"]["parent_template"] == "ParentChild.nested.template.json"
    assert nested["Child"]["counts"]["alarms"] == 1
    assert nested["External"]["template"] is None
    assert any("External" in note and "not counted" in note for note in document["notes"])
    child_alarm = parent["alarms_detail"][0]
    assert child_alarm["nested_stack"] == "ParentChild.nested.template.json"


def test_totals_have_exactly_the_documented_keys(document: dict[str, Any]) -> None:
    assert list(document["totals"]) == list(TOTAL_KEYS)
    totals = document["totals"]
    for key in (
        "log_groups",
        "metric_filters",
        "alarms",
        "composite_alarms",
        "dashboards",
        "saved_queries",
    ):
        assert totals[key] == sum(s[key] for s in document["stacks"]), key
    # Errors in Orders and Prod/Api share an environment: one metric. Prod/Eu's is another.
    assert totals["custom_metrics"] == 3
    assert totals["monthly_usd"] == pytest.approx(8.00 + 3.30 + 0.30)
    assert document["free_tier"]["monthly_usd"] == pytest.approx(0.60 + 9.00 + 0.90)
    assert document["pricing"]["region"] == "us-east-1"


def test_names_render_intrinsics_best_effort(document: dict[str, Any]) -> None:
    names = stack(document, "Orders")["names"]
    assert names["log_groups"] == ["/watchkeeper/orders/functions", "ApiAccessLogs"]
    assert names["metric_filters"] == [
        "orders-errors",
        "ErrorsFilterAgain",
        "orders-<AWS::Region>-authn",
    ]
    assert names["dashboards"] == ["orders-ops", "SecurityDashboard"]
    assert names["saved_queries"] == ["orders/recent-errors"]
    alarm_names = [a["name"] for a in stack(document, "Orders")["alarms_detail"]]
    assert "<AWS::StackName>-fast-<Suffix>" in alarm_names
    assert "TrafficAnomaly" in alarm_names  # no AlarmName: the logical id


def test_monitored_services_come_from_template_metadata(document: dict[str, Any]) -> None:
    assert stack(document, "Orders")["monitored"] == [
        {
            "service": "orders",
            "monitored": {
                "functions": ["CreateFn", "orders-legacy"],
                "queues": ["OrdersQueue"],
                "tables": [],
            },
        }
    ]
    assert stack(document, "Parent")["monitored"] == []


# --------------------------------------------------------------------------------------
# the text report and the command
# --------------------------------------------------------------------------------------


def test_text_report_tabulates_stacks_alarms_and_cost(assembly: Path) -> None:
    text = report_text(load_assembly(assembly))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("STACK"))
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert len(total) == len(header)  # right-aligned columns end together
    assert total.split()[1:] == ["4", "5", "3", "5", "1", "3", "1", "11.60"]
    assert "us-east-1 list prices as of" in text
    standard_row = next(
        line for line in lines if "orders-create-errors" in line and "standard" in line
    )
    assert standard_row.split()[-3:] == ["1m", "3/5", "3m"]
    anomaly_row = next(line for line in lines if line.strip().startswith("TrafficAnomaly"))
    assert anomaly_row.rstrip().endswith("30m")
    assert "service orders monitors:" in text
    assert "functions (2): CreateFn, orders-legacy" in text
    assert "[+1 per distinct value of functionName]" in text
    assert "Free tier (per account, not subtracted): up to $10.50/month" in text
    assert "Logs ingestion, Standard class: $0.50 per GB" in text
    assert "unconfirmed: an anomaly-detection alarm" in text


DATA_PROTECTION_POLICY = {
    "Name": "credentials",
    "Version": "2021-06-01",
    "Statement": [
        {
            "Sid": "audit",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"],
            "Operation": {"Audit": {"FindingsDestination": {}}},
        },
        {
            "Sid": "redact",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"],
            "Operation": {"Deidentify": {"MaskConfig": {}}},
        },
    ],
}


@pytest.fixture
def protected_assembly(assembly: Path) -> Path:
    """Orders' service log group masks credentials; Prod/Api has an account-wide policy."""
    template = orders_template()
    service_logs = template["Resources"]["ServiceLogs"]["Properties"]
    service_logs["DataProtectionPolicy"] = DATA_PROTECTION_POLICY
    write_json(assembly / "Orders.template.json", template)
    api = {
        "Resources": {
            "F": metric_filter("f", "Errors"),
            "Masking": {
                "Type": "AWS::Logs::AccountPolicy",
                "Properties": {
                    "PolicyName": "account-masking",
                    "PolicyType": "DATA_PROTECTION_POLICY",
                    "PolicyDocument": json.dumps(DATA_PROTECTION_POLICY),
                },
            },
            "Shipping": {
                "Type": "AWS::Logs::AccountPolicy",
                "Properties": {"PolicyName": "ship", "PolicyType": "SUBSCRIPTION_FILTER_POLICY"},
            },
        }
    }
    write_json(assembly / "assembly-Prod" / "ProdApi.template.json", api)
    return assembly


def test_data_protection_is_located_and_priced_per_gb_not_per_month(
    protected_assembly: Path,
) -> None:
    protected = report_json(load_assembly(protected_assembly))
    orders = stack(protected, "Orders")
    # ApiAccessLogs has no policy: only the service log group is scanned
    assert orders["data_protection"] == {
        "usd_per_gb_scanned": 0.12,
        "log_groups": 1,
        "log_group_names": ["/watchkeeper/orders/functions"],
        "account_policies": [],
    }
    assert stack(protected, "Prod/Api")["data_protection"]["account_policies"] == [
        "account-masking"  # the subscription filter policy is not data protection
    ]
    assert protected["data_protection"]["log_group_names"] == ["/watchkeeper/orders/functions"]
    assert protected["data_protection"]["account_policies"] == ["account-masking"]
    volume = {v["item"]: v for v in protected["pricing"]["volume_prices"]}
    assert volume["Logs data protection"] == {
        "item": "Logs data protection",
        "usd": 0.12,
        "unit": "per GB scanned",
    }
    # by volume: never in the monthly estimate (the same total as without any policy)
    assert protected["totals"]["monthly_usd"] == pytest.approx(8.00 + 3.30 + 0.30)


def test_text_report_says_where_data_protection_scans(protected_assembly: Path) -> None:
    text = report_text(load_assembly(protected_assembly))
    assert "  data protection (1): /watchkeeper/orders/functions\n" in text
    assert (
        "    Logs data protection: $0.12 per GB scanned (every GB ingested into the 1 log group "
        "with a data protection policy; account-wide data protection policy account-masking: "
        "every log group it selects)\n"
    ) in text


def test_text_report_without_data_protection_says_so(assembly: Path) -> None:
    text = report_text(load_assembly(assembly))
    assert "  data protection (0): -\n" in text
    assert (
        "Logs data protection: $0.12 per GB scanned (no log group has a data protection policy)"
    ) in text


def test_command_prints_json_with_the_documented_shape(
    assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(assembly), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) >= {"stacks", "totals"}
    assert list(document["totals"]) == list(TOTAL_KEYS)
    assert document["totals"]["alarms"] == 5


def test_command_reads_cdk_out_by_default(
    assembly: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(assembly.parent)
    assert cli.main(["report"]) == 0
    assert "watchkeeper report: cdk.out" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# bad input: one line on stderr, exit code 2
# --------------------------------------------------------------------------------------


def run_bad(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("watchkeeper report: ")
    return captured.err


def test_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such directory" in run_bad([str(tmp_path / "nope")], capsys)


def test_directory_without_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "not a cloud assembly (no manifest.json)" in run_bad([str(tmp_path)], capsys)


def test_malformed_manifest(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (assembly / "manifest.json").write_text('{"artifacts": {', encoding="utf-8")
    assert "is not valid JSON (line 1 column" in run_bad([str(assembly)], capsys)


def test_missing_template(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (assembly / "Orders.template.json").unlink()
    err = run_bad([str(assembly)], capsys)
    assert "template of stack Orders" in err and "does not exist" in err


def test_unreadable_template(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (assembly / "Orders.template.json").write_bytes(b"\xff\xfe{}")
    assert "cannot read" in run_bad([str(assembly)], capsys)


def test_missing_nested_template(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (assembly / "ParentChild.nested.template.json").unlink()
    assert "template of nested stack Child in Parent" in run_bad([str(assembly)], capsys)


def test_artifact_without_type(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((assembly / "manifest.json").read_text())
    data["artifacts"]["Odd"] = {"properties": {}}
    write_json(assembly / "manifest.json", data)
    assert "artifact Odd has no type" in run_bad([str(assembly)], capsys)


def test_missing_stage_directory(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for child in (assembly / "assembly-Prod").iterdir():
        child.unlink()
    (assembly / "assembly-Prod").rmdir()
    assert "directory assembly-Prod is missing" in run_bad([str(assembly)], capsys)


def test_template_that_is_not_an_object(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_json(assembly / "Orders.template.json", ["not", "a", "template"])
    assert "does not hold a JSON object" in run_bad([str(assembly)], capsys)


@pytest.mark.parametrize(
    ("prop", "value", "expected"),
    [
        ("Period", {"Ref": "SomeResource"}, "property Period: <SomeResource> does not resolve"),
        ("Period", {"Fn::GetAtt": ["X", "Y"]}, "property Period: <X.Y> does not resolve"),
        ("EvaluationPeriods", None, "property EvaluationPeriods: missing"),
        ("DatapointsToAlarm", "three", "property DatapointsToAlarm: three does not resolve"),
    ],
)
def test_unresolvable_alarm_timing_names_stack_resource_and_property(
    assembly: Path, capsys: pytest.CaptureFixture[str], prop: str, value: Any, expected: str
) -> None:
    template = orders_template()
    template["Resources"]["StandardAlarm"]["Properties"][prop] = value
    write_json(assembly / "Orders.template.json", template)
    err = run_bad([str(assembly)], capsys)
    assert "stack Orders (Orders.template.json): resource StandardAlarm" in err
    assert expected in err


def test_unresolvable_math_period_names_the_query(
    assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = orders_template()
    queries = template["Resources"]["MathAlarm"]["Properties"]["Metrics"]
    queries[1]["MetricStat"]["Period"] = {"Ref": "Nope"}
    write_json(assembly / "Orders.template.json", template)
    assert "property Metrics[1].MetricStat.Period" in run_bad([str(assembly)], capsys)


def test_bad_input_never_prints_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper.cli", "report", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("watchkeeper report: cloud assembly manifest: ")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "n/a"),
        (0, "0s"),
        (30, "30s"),
        (90, "1m 30s"),
        (900, "15m"),
        (3600, "1h"),
        (86_400 + 60, "1d 1m"),
    ],
)
def test_format_duration(seconds: int | None, expected: str) -> None:
    assert format_duration(seconds) == expected


# --------------------------------------------------------------------------------------
# a real CDK app, synthesized once
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    import aws_cdk as cdk
    from aws_cdk import aws_cloudwatch as cw
    from aws_cdk import aws_logs as logs

    outdir = tmp_path_factory.mktemp("cdk") / "cdk.out"
    app = cdk.App(outdir=str(outdir))

    def monitoring(stack: cdk.Stack) -> None:
        log_group = logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_MONTH)
        errors = logs.MetricFilter(
            stack,
            "Errors",
            log_group=log_group,
            metric_namespace=NAMESPACE,
            metric_name="Errors",
            filter_pattern=logs.FilterPattern.literal('{ $.level = "ERROR" }'),
        ).metric(statistic="Sum", period=cdk.Duration.minutes(1))
        add_alarm_shapes(stack, errors)
        dashboard = cw.Dashboard(stack, "Board")
        dashboard.add_widgets(cw.GraphWidget(left=[errors]))
        logs.QueryDefinition(
            stack,
            "Recent",
            query_definition_name="orders/recent",
            query_string=logs.QueryString(fields=["@timestamp", "@message"], limit=20),
            log_groups=[log_group],
        )

    parent = cdk.Stack(app, "Orders")
    monitoring(parent)
    logs.LogGroup(
        parent,
        "Audit",
        log_group_name="orders-audit",
        data_protection_policy=logs.DataProtectionPolicy(
            identifiers=[logs.DataIdentifier.EMAILADDRESS]
        ),
    )
    monitoring(cdk.NestedStack(parent, "Inner"))
    api = cdk.Stack(cdk.Stage(app, "Prod"), "Api")
    monitoring(api)
    logs.CfnAccountPolicy(
        api,
        "Masking",
        policy_name="prod-masking",
        policy_type="DATA_PROTECTION_POLICY",
        policy_document=json.dumps(DATA_PROTECTION_POLICY),
    )
    app.synth()
    return outdir


def count_templates(outdir: Path) -> tuple[dict[str, int], float]:
    """Resource counts and the list-price floor, read straight from every template file."""
    counts: dict[str, int] = {}
    floor = 0.0
    for path in outdir.rglob("*.template.json"):
        for resource in json.loads(path.read_text())["Resources"].values():
            counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                queries = properties.get("Metrics", [])
                reads = sum(1 for q in queries if "MetricStat" in q) or 1
                if any("ANOMALY_DETECTION_BAND" in q.get("Expression", "") for q in queries):
                    reads *= 3
                floor += 0.10 * reads
            elif resource["Type"] == "AWS::CloudWatch::CompositeAlarm":
                floor += 0.50
            elif resource["Type"] == "AWS::CloudWatch::Dashboard":
                floor += 3.00
    return counts, floor


def test_report_on_a_synthesized_app_counts_what_the_templates_hold(
    synthesized_app: Path,
) -> None:
    document = report_json(load_assembly(synthesized_app))
    counts, floor = count_templates(synthesized_app)
    types = {
        "log_groups": "AWS::Logs::LogGroup",
        "metric_filters": "AWS::Logs::MetricFilter",
        "alarms": "AWS::CloudWatch::Alarm",
        "composite_alarms": "AWS::CloudWatch::CompositeAlarm",
        "dashboards": "AWS::CloudWatch::Dashboard",
        "saved_queries": "AWS::Logs::QueryDefinition",
    }
    for key, cfn_type in types.items():
        assert document["totals"][key] == counts[cfn_type], key
    assert document["totals"]["alarms"] == 12  # 4 per monitoring set, 3 sets
    assert [s["name"] for s in document["stacks"]] == ["Orders", "Prod/Api"]
    orders = stack(document, "Orders")
    assert orders["alarms"] == 8  # its own and its nested stack's
    assert [n["logical_id"].startswith("Inner") for n in orders["nested_stacks"]] == [True]
    assert orders["alarm_kinds"] == {
        "standard": 2,
        "high-resolution": 2,
        "metric-math": 2,
        "anomaly-detection": 2,
    }
    assert document["totals"]["custom_metrics"] == 1  # one (namespace, name), one environment
    assert document["totals"]["monthly_usd"] >= round(floor, 2)
    fast = next(a for a in orders["alarms_detail"] if a["resolution"] == "high")
    assert fast["time_to_detect_s"] == 10
    protected = [
        resource["Properties"]["LogGroupName"]
        for path in synthesized_app.rglob("*.template.json")
        for resource in json.loads(path.read_text())["Resources"].values()
        if resource["Type"] == "AWS::Logs::LogGroup"
        and "DataProtectionPolicy" in resource.get("Properties", {})
    ]
    assert protected == ["orders-audit"]
    assert document["data_protection"]["log_group_names"] == protected
    assert stack(document, "Prod/Api")["data_protection"]["account_policies"] == ["prod-masking"]


def test_metrics_insights_alarm_takes_its_period_from_the_query(assembly: Path) -> None:
    template = orders_template()
    template["Resources"]["InsightsAlarm"] = alarm(
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "q",
                "Expression": 'SELECT SUM(Errors) FROM "AWS/Lambda"',
                "Period": 60,
                "ReturnData": True,
            }
        ],
    )
    write_json(assembly / "Orders.template.json", template)
    detail = {
        a["logical_id"]: a
        for a in stack(report_json(load_assembly(assembly)), "Orders")["alarms_detail"]
    }
    assert detail["InsightsAlarm"]["kind"] == "metric-math"
    assert detail["InsightsAlarm"]["billed_alarm_metrics"] == 1
    assert detail["InsightsAlarm"]["time_to_detect_s"] == 60


def test_malformed_watchkeeper_metadata_is_a_note_not_a_crash(assembly: Path) -> None:
    template = orders_template()
    template["Metadata"][TemplateMetadata.KEY] = {TemplateMetadata.SERVICES: "orders"}
    write_json(assembly / "Orders.template.json", template)
    document = report_json(load_assembly(assembly))
    assert stack(document, "Orders")["monitored"] == []
    assert any("has no services list" in note for note in document["notes"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 400) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
resource_types = st.sampled_from(
    [
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::CompositeAlarm",
        "AWS::Logs::MetricFilter",
        "AWS::CloudFormation::Stack",
        "AWS::Logs::LogGroup",
    ]
)
property_names = st.sampled_from(
    [
        "Period",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Metrics",
        "MetricName",
        "AlarmName",
        "MetricTransformations",
        "FilterName",
        "TemplateURL",
        "Threshold",
        "AlarmRule",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    resources=st.dictionaries(
        st.text("ABC", min_size=1, max_size=3),
        st.fixed_dictionaries(
            {
                "Type": resource_types,
                "Properties": st.dictionaries(property_names, json_values, max_size=5),
            }
        ),
        max_size=4,
    ),
    metadata=json_values,
)
def test_any_template_gives_a_report_or_a_one_line_error(
    tmp_path: Path, resources: dict[str, Any], metadata: Any
) -> None:
    root = tmp_path / "fuzz"
    write_json(
        root / "S.template.json", {"Metadata": {"Watchkeeper": metadata}, "Resources": resources}
    )
    write_json(root / "manifest.json", manifest({"S": stack_artifact("S.template.json", "S")}))
    try:
        report = load_assembly(root)
    except cli.CommandError as exc:
        assert "\n" not in str(exc)
        return
    assert report_json(report)["totals"]["alarms"] == sum(
        1 for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
    )
    report_text(report)


def test_malformed_service_entries_are_notes_naming_the_template(assembly: Path) -> None:
    template = orders_template()
    services = template["Metadata"][TemplateMetadata.KEY][TemplateMetadata.SERVICES]
    services[1:1] = ["billing", 7]
    write_json(assembly / "Orders.template.json", template)
    document = report_json(load_assembly(assembly))
    assert [s["service"] for s in stack(document, "Orders")["monitored"]] == ["orders"]
    assert [n for n in document["notes"] if "Metadata.Watchkeeper" in n] == [
        "stack Orders (Orders.template.json): a Metadata.Watchkeeper service is not an "
        "object"] * 2
