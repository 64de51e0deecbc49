"""``watchkeeper check`` on hand-written cloud assemblies (one violation each, and a clean one)
and on an app that watchkeeper's own ``ServiceMonitoring`` synthesizes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cdk_alarm_shapes import add_alarm_shapes
from watchkeeper import cli
from watchkeeper.cli.assembly import load_assembly
from watchkeeper.cli.check import check_assembly

ENV = "aws://111111111111/eu-west-1"
LOG_GROUP_NAME = "/watchkeeper/orders/functions"
ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:orders-errors"
TOPIC_ARN = "arn:aws:sns:eu-west-1:111111111111:alarms"


# --------------------------------------------------------------------------------------
# building cloud assemblies by hand
# --------------------------------------------------------------------------------------


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def metric_stat(query_id: str, period: Any = 60, return_data: bool = False) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors"},
            "Period": period,
            "Stat": "Sum",
        },
        "ReturnData": return_data,
    }


def widget(kind: str, x: int, y: int, width: int = 12, height: int = 6, **properties: Any):
    return {
        "type": kind,
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "properties": properties,
    }


def clean_template() -> dict[str, Any]:
    """A template with one resource of each checked type, within every limit."""
    body = {
        "widgets": [
            widget("metric", 0, 0, metrics=[["AWS/Lambda", "Errors"], [{"expression": "m1*2"}]]),
            widget("alarm", 12, 0, alarms=[ALARM_ARN]),
            widget(
                "log",
                0,
                6,
                width=24,
                query=f"SOURCE '{LOG_GROUP_NAME}' | fields @timestamp, @message | limit 20",
            ),
        ]
    }
    return {
        "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
        "Outputs": {"TopicArn": {"Value": TOPIC_ARN}},
        "Resources": {
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": LOG_GROUP_NAME, "RetentionInDays": 365},
            },
            "ErrorsFilter": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": {"Ref": "Logs"},
                    "FilterPattern": '{ $.level = "ERROR" }',
                    "MetricTransformations": [
                        {
                            "MetricNamespace": "Watchkeeper/orders",
                            "MetricName": "Errors",
                            "MetricValue": "1",
                            "Dimensions": [{"Key": "fn", "Value": "$.function_name"}],
                        }
                    ],
                },
            },
            "Shipping": {
                "Type": "AWS::Logs::SubscriptionFilter",
                "Properties": {
                    "LogGroupName": {"Ref": "Logs"},
                    "FilterPattern": "",
                    "DestinationArn": "arn:aws:firehose:eu-west-1:111111111111:deliverystream/x",
                },
            },
            "ErrorsAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "orders-errors",
                    "Namespace": "Watchkeeper/orders",
                    "MetricName": "Errors",
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 3,
                    "DatapointsToAlarm": 2,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "AlarmActions": [TOPIC_ARN],
                },
            },
            "RateAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [
                        metric_stat("e"),
                        metric_stat("i"),
                        {"Id": "rate", "Expression": "100 * e / i"},
                    ],
                    "EvaluationPeriods": 5,
                    "Threshold": 5,
                    "ComparisonOperator": "GreaterThanThreshold",
                },
            },
            "TrafficAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    # as AWS's template reference writes it: ReturnData left out on both
                    "Metrics": [
                        {k: v for k, v in metric_stat("m1", 300).items() if k != "ReturnData"},
                        {
                            "Id": "ad1",
                            "Expression": "ANOMALY_DETECTION_BAND(m1, 2)",
                        },
                    ],
                    "ThresholdMetricId": "ad1",
                    "EvaluationPeriods": 3,
                    "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
                },
            },
            "Health": {
                "Type": "AWS::CloudWatch::CompositeAlarm",
                "Properties": {
                    "AlarmName": "orders-health",
                    "AlarmRule": {
                        "Fn::Join": ["", ['ALARM("', {"Fn::GetAtt": ["ErrorsAlarm", "Arn"]}, '")']]
                    },
                },
            },
            "Board": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {
                    "DashboardName": {"Fn::Join": ["-", ["orders", {"Ref": "Stage"}]]},
                    "DashboardBody": json.dumps(body),
                },
            },
            "Recent": {
                "Type": "AWS::Logs::QueryDefinition",
                "Properties": {
                    "Name": "orders/recent-errors",
                    "QueryString": "fields @timestamp, @message | sort @timestamp desc | limit 20",
                    "LogGroupNames": [{"Ref": "Logs"}],
                },
            },
        },
    }


def write_assembly(root: Path, template: dict[str, Any]) -> Path:
    write_json(root / "Orders.template.json", template)
    write_json(
        root / "manifest.json",
        {
            "version": "48.0.0",
            "artifacts": {
                "Orders": {
                    "type": "aws:cloudformation:stack",
                    "environment": ENV,
                    "properties": {"templateFile": "Orders.template.json"},
                    "displayName": "Orders",
                }
            },
        },
    )
    return root


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    return json.loads(props(template, "Board")["DashboardBody"])


def set_dashboard_body(template: dict[str, Any], body: dict[str, Any]) -> None:
    props(template, "Board")["DashboardBody"] = json.dumps(body)


def lines_of(root: Path) -> list[str]:
    return [problem.line() for problem in check_assembly(load_assembly(root)).problems]


def clean_assembly(tmp_path: Path) -> Path:
    return write_assembly(tmp_path / "cdk.out", clean_template())


def test_a_clean_assembly_has_no_problems(tmp_path: Path, capsys) -> None:
    root = clean_assembly(tmp_path)
    assert lines_of(root) == []
    assert cli.main(["check", str(root)]) == 0
    assert capsys.readouterr().out == "OK: 1 template, 9 resources checked\n"


# --------------------------------------------------------------------------------------
# one violation per check: (name, change to the clean template, the one expected line)
# --------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def add_resources(count: int) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        for index in range(count):
            template["Resources"][f"Topic{index}"] = {"Type": "AWS::SNS::Topic"}

    return mutate


def add_section(section: str, count: int) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        entry = {"Outputs": {"Value": "x"}, "Parameters": {"Type": "String"}}.get(
            section, {"eu-west-1": {"Ami": "x"}}
        )
        template[section] = {f"{section}{index}": entry for index in range(count)}

    return mutate


def set_props(logical_id: str, **values: Any) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                props(template, logical_id).pop(key, None)
            else:
                props(template, logical_id)[key] = value

    return mutate


def change_widget(index: int, **values: Any) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        body = dashboard_body(template)
        body["widgets"][index].update(values)
        set_dashboard_body(template, body)

    return mutate


def change_widget_properties(index: int, **values: Any) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        body = dashboard_body(template)
        body["widgets"][index]["properties"].update(values)
        set_dashboard_body(template, body)

    return mutate


def add_filters(resource_type: str, count: int, extra: dict[str, Any]) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        for index in range(count):
            template["Resources"][f"Extra{index}"] = {
                "Type": resource_type,
                "Properties": {"LogGroupName": LOG_GROUP_NAME, "FilterPattern": "", **extra},
            }

    return mutate


def transformation(**values: Any) -> Mutation:
    def mutate(template: dict[str, Any]) -> None:
        props(template, "ErrorsFilter")["MetricTransformations"][0].update(values)

    return mutate


def sourced_query(sources: int) -> str:
    return "".join(f"SOURCE 'g{n}' | " for n in range(sources)) + "fields @message"


ALARM = "Orders/ErrorsAlarm (AWS::CloudWatch::Alarm): "
MATH = "Orders/RateAlarm (AWS::CloudWatch::Alarm): "
ANOMALY = "Orders/TrafficAlarm (AWS::CloudWatch::Alarm): "
COMPOSITE = "Orders/Health (AWS::CloudWatch::CompositeAlarm): "
BOARD = "Orders/Board (AWS::CloudWatch::Dashboard): "
FILTER = "Orders/ErrorsFilter (AWS::Logs::MetricFilter): "
QUERY = "Orders/Recent (AWS::Logs::QueryDefinition): "
LOGS = "Orders/Logs (AWS::Logs::LogGroup): "
LONG_NAME = "a" * 256
MANY_ALARM_ARNS = [ALARM_ARN] * 101

VIOLATIONS: list[tuple[str, Mutation, str]] = [
    (
        "cfn-resources",
        add_resources(492),
        "Orders (template): 501 resources; CloudFormation allows 500 per template "
        "(split the stack)",
    ),
    (
        "cfn-template-size",
        set_props("Logs", Padding="x" * 1_000_000),
        "Orders (template): Orders.template.json is {size} bytes; CloudFormation reads at most "
        "1,000,000 bytes from S3",
    ),
    (
        "cfn-outputs",
        add_section("Outputs", 201),
        "Orders (template): 201 outputs; CloudFormation allows 200 per template",
    ),
    (
        "cfn-parameters",
        add_section("Parameters", 201),
        "Orders (template): 201 parameters; CloudFormation allows 200 per template",
    ),
    (
        "cfn-mappings",
        add_section("Mappings", 201),
        "Orders (template): 201 mappings; CloudFormation allows 200 per template",
    ),
    (
        "alarm-name",
        set_props("ErrorsAlarm", AlarmName=LONG_NAME),
        ALARM + "AlarmName is 256 characters; CloudWatch allows 255",
    ),
    (
        "alarm-evaluation-range",
        set_props("ErrorsAlarm", Period=3600, EvaluationPeriods=25, DatapointsToAlarm=None),
        ALARM + "period 3600 s x EvaluationPeriods 25 = 90,000 s; CloudWatch allows at most "
        "86,400 s (1 day)",
    ),
    (
        "alarm-evaluation-range (metric math: the MetricStat periods)",
        lambda t: props(t, "RateAlarm")["Metrics"][1]["MetricStat"].update(Period=86_400),
        MATH + "period 86400 s x EvaluationPeriods 5 = 432,000 s; CloudWatch allows at most "
        "86,400 s (1 day)",
    ),
    (
        "alarm-datapoints",
        set_props("ErrorsAlarm", DatapointsToAlarm=4),
        ALARM + "DatapointsToAlarm 4 is more than EvaluationPeriods 3; it must be at most "
        "EvaluationPeriods",
    ),
    (
        "alarm-math-metrics",
        lambda t: props(t, "RateAlarm")["Metrics"].extend(metric_stat(f"x{n}") for n in range(9)),
        MATH + "Metrics reads 11 metrics (MetricStat entries); a metric-math alarm may read 10",
    ),
    (
        "alarm-return-data (none)",
        lambda t: props(t, "RateAlarm")["Metrics"][2].update(ReturnData=False),
        MATH + "0 Metrics entries have ReturnData true; an alarm needs exactly one "
        "(set ReturnData false on the others)",
    ),
    (
        "alarm-return-data (two: left out means true)",
        lambda t: props(t, "RateAlarm")["Metrics"][0].pop("ReturnData"),
        MATH + "2 Metrics entries have ReturnData true; an alarm needs exactly one "
        "(set ReturnData false on the others)",
    ),
    (
        "alarm-actions",
        set_props("ErrorsAlarm", OKActions=[TOPIC_ARN] * 6),
        ALARM + "OKActions has 6 actions; CloudWatch allows 5 per state",
    ),
    (
        "composite-rule-length",
        set_props("Health", AlarmRule=f'ALARM("{"x" * 10_240}")'),
        COMPOSITE + "AlarmRule is 10,249 characters; CloudWatch allows 10,240",
    ),
    (
        "composite-rule-alarms",
        set_props("Health", AlarmRule=" OR ".join(f'ALARM("a{n}")' for n in range(101))),
        COMPOSITE + "AlarmRule references 101 alarms; CloudWatch allows 100",
    ),
    (
        "alarm-anomaly-detection (no ThresholdMetricId)",
        set_props("TrafficAlarm", ThresholdMetricId=None),
        ANOMALY + "an ANOMALY_DETECTION_BAND alarm needs ThresholdMetricId (the band's Id)",
    ),
    (
        "alarm-return-data (anomaly band not returned)",
        lambda t: props(t, "TrafficAlarm")["Metrics"][1].update(ReturnData=False),
        ANOMALY + "ThresholdMetricId 'ad1' names no Metrics entry with ReturnData true; the "
        "band must be returned",
    ),
    (
        "alarm-anomaly-detection (Threshold set)",
        set_props("TrafficAlarm", Threshold=3),
        ANOMALY + "an ANOMALY_DETECTION_BAND alarm must not set Threshold (the band is the "
        "threshold)",
    ),
    (
        "alarm-period",
        set_props("ErrorsAlarm", Period=90),
        ALARM + "Period is 90 s; CloudWatch allows 10, 20, 30 or a multiple of 60",
    ),
    (
        "dashboard-name",
        set_props("Board", DashboardName="orders dashboard"),
        BOARD + "DashboardName 'orders dashboard' is not 1-255 characters of A-Z, a-z, 0-9, - "
        "and _",
    ),
    (
        "dashboard-body",
        set_props("Board", DashboardBody='{"widgets": [}'),
        BOARD + "DashboardBody is not valid JSON: Expecting value: line 1 column 14 (char 13)",
    ),
    (
        "dashboard-widgets",
        lambda t: set_dashboard_body(
            t, {"widgets": [{"type": "text", "properties": {"markdown": "x"}}] * 501}
        ),
        BOARD + "501 widgets; CloudWatch allows 500 per dashboard",
    ),
    (
        "dashboard-metrics",
        lambda t: set_dashboard_body(
            t,
            {
                "widgets": [
                    {"type": "metric", "properties": {"metrics": [["AWS/Lambda", "Errors"]] * 500}}
                ]
                * 6
            },
        ),
        BOARD + "3,000 metrics; CloudWatch allows 2,500 per dashboard",
    ),
    (
        "widget-metrics",
        change_widget_properties(0, metrics=[["AWS/Lambda", "Errors"]] * 501),
        BOARD + "widget 0 has 501 metrics; CloudWatch allows 500 per widget",
    ),
    (
        "widget-grid (x + width)",
        change_widget(1, x=13),
        BOARD + "widget 1 is off the 24-column grid: x 13 + width 12 = 25 passes column 24",
    ),
    (
        "widget-grid (width)",
        change_widget(1, width=0),
        BOARD + "widget 1 is off the 24-column grid: width 0 is not 1 to 24",
    ),
    (
        "widget-grid (height)",
        change_widget(1, height=0),
        BOARD + "widget 1 is off the 24-column grid: height 0 is not at least 1",
    ),
    (
        "widget-grid (x)",
        change_widget(1, x=-1),
        BOARD + "widget 1 is off the 24-column grid: x -1 is negative or not a whole number",
    ),
    (
        "widget-overlap",
        change_widget(2, y=5),
        BOARD + "widget 2 (x 0, y 5, 24x6) overlaps widget 0 (x 0, y 0, 12x6)",
    ),
    (
        "widget-alarms (none)",
        change_widget_properties(1, alarms=[]),
        BOARD + "alarm widget 1 lists 0 alarms; CloudWatch allows 1 to 100",
    ),
    (
        "widget-alarms (too many)",
        change_widget_properties(1, alarms=MANY_ALARM_ARNS),
        BOARD + "alarm widget 1 lists 101 alarms; CloudWatch allows 1 to 100",
    ),
    (
        "widget-query-sources",
        change_widget_properties(2, query=sourced_query(51)),
        BOARD + "log widget 2 queries 51 log groups (SOURCE); CloudWatch allows 50",
    ),
    (
        "widget-query",
        change_widget_properties(2, query=f"SOURCE '{LOG_GROUP_NAME}' | feilds @message"),
        BOARD + "log widget 2 query: command 1: 'feilds' is not a Logs Insights command; use "
        "one of anomaly, dedup, diff, display, fields, filter, filterIndex, limit, lookup, "
        "parse, pattern, sort, SOURCE, stats, unmask, unnest",
    ),
    (
        "filter-pattern",
        set_props("ErrorsFilter", FilterPattern='{ $.level = "ERROR" '),
        FILTER + "FilterPattern: invalid filter pattern at position 20: expected '&&', '||' "
        "or the closing '}', found the end of the pattern (pattern: '{ $.level = \"ERROR\" ')",
    ),
    (
        "filter-pattern-length",
        set_props("ErrorsFilter", FilterPattern="ERROR " * 171),
        FILTER + "FilterPattern is 1,026 characters; CloudWatch Logs allows 1,024",
    ),
    (
        "filter-dimensions",
        transformation(Dimensions=[{"Key": f"k{n}", "Value": f"$.k{n}"} for n in range(4)]),
        FILTER + "MetricTransformations[0] has 4 dimensions; CloudWatch Logs allows 3",
    ),
    (
        "filter-default-value",
        transformation(DefaultValue=0),
        FILTER + "MetricTransformations[0] sets DefaultValue and Dimensions; CloudWatch Logs "
        "allows a default value only without dimensions",
    ),
    (
        "filters-per-log-group",
        add_filters("AWS::Logs::MetricFilter", 100, {"MetricTransformations": []}),
        "Orders/Extra99 (AWS::Logs::MetricFilter): log group /watchkeeper/orders/functions has "
        "101 metric filters; CloudWatch Logs allows 100 per log group",
    ),
    (
        "filter-namespace",
        transformation(MetricNamespace="AWS/Lambda"),
        FILTER + "MetricTransformations[0] MetricNamespace 'AWS/Lambda' starts with 'AWS/', "
        "which is reserved for AWS services",
    ),
    (
        "subscription-filters-per-log-group",
        add_filters("AWS::Logs::SubscriptionFilter", 2, {"DestinationArn": "arn:x"}),
        "Orders/Extra1 (AWS::Logs::SubscriptionFilter): log group /watchkeeper/orders/functions "
        "has 3 subscription filters; CloudWatch Logs allows 2 per log group",
    ),
    (
        "query-name",
        set_props("Recent", Name=LONG_NAME),
        QUERY + "Name is 256 characters; CloudWatch Logs allows 1 to 255",
    ),
    (
        "query-log-groups",
        set_props("Recent", LogGroupNames=[f"g{n}" for n in range(51)]),
        QUERY + "LogGroupNames has 51 log groups; CloudWatch Logs allows 50",
    ),
    (
        "query-syntax",
        set_props("Recent", QueryString="fields @message | stats by bin(5m)"),
        QUERY + "QueryString: command 2 (stats): stats needs an aggregation function such as "
        "count(*)",
    ),
    (
        "query-length",
        set_props("Recent", QueryString="fields @message | " + "filter x = 1 | " * 700),
        QUERY + "QueryString is 10,518 characters; CloudWatch Logs allows 10,000",
    ),
    (
        "log-group-retention",
        set_props("Logs", RetentionInDays=100),
        LOGS + "RetentionInDays 100 is not one CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, "
        "60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ),
    (
        "log-group-name",
        set_props("Logs", LogGroupName="orders logs"),
        LOGS + "LogGroupName 'orders logs' is not 1-512 characters of A-Z, a-z, 0-9 and "
        ". - _ / # not starting with 'aws/'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in VIOLATIONS],
)
def test_each_violation_gives_exactly_its_line(
    tmp_path: Path, mutate: Mutation, expected: str
) -> None:
    template = copy.deepcopy(clean_template())
    mutate(template)
    root = write_assembly(tmp_path / "cdk.out", template)
    size = (root / "Orders.template.json").stat().st_size
    assert lines_of(root) == [expected.replace("{size}", f"{size:,}")]


# --------------------------------------------------------------------------------------
# the command: exit codes, output, nested stacks and stages
# --------------------------------------------------------------------------------------


@pytest.fixture
def broken_assembly(tmp_path: Path) -> Path:
    """Orders with two problems; a nested stack and a stage stack with one each."""
    template = clean_template()
    props(template, "ErrorsAlarm")["Period"] = 90
    props(template, "Logs")["RetentionInDays"] = 100
    template["Resources"]["Inner"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example.invalid/inner.json"},
        "Metadata": {"aws:asset:path": "OrdersInner.nested.template.json"},
    }
    root = write_assembly(tmp_path / "cdk.out", template)
    nested_logs = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": "/inner", "RetentionInDays": 2},
    }
    write_json(root / "OrdersInner.nested.template.json", {"Resources": {"Logs": nested_logs}})
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["artifacts"]["assembly-Prod"] = {
        "type": "cdk:cloud-assembly",
        "properties": {"directoryName": "assembly-Prod"},
    }
    write_json(root / "manifest.json", manifest)
    prod = root / "assembly-Prod"
    write_json(prod / "ProdApi.template.json", {"Resources": {"Logs": nested_logs}})
    write_json(
        prod / "manifest.json",
        {
            "artifacts": {
                "ProdApi": {
                    "type": "aws:cloudformation:stack",
                    "properties": {"templateFile": "ProdApi.template.json"},
                    "displayName": "Prod/Api",
                }
            }
        },
    )
    return root


RETENTION_2 = (
    "RetentionInDays 2 is not one CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, "
    "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"
)


def test_problems_are_one_line_each_with_a_count_and_exit_1(
    broken_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(broken_assembly)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        LOGS + RETENTION_2.replace(" 2 ", " 100 "),
        ALARM + "Period is 90 s; CloudWatch allows 10, 20, 30 or a multiple of 60",
        f"Orders/Inner/Logs (AWS::Logs::LogGroup): {RETENTION_2}",
        f"Prod/Api/Logs (AWS::Logs::LogGroup): {RETENTION_2}",
        "4 problems found (3 templates, 12 resources checked)",
    ]


def test_json_lists_problems_and_what_was_checked(
    broken_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(broken_assembly), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["problems"][1] == {
        "stack": "Orders",
        "logical_id": "ErrorsAlarm",
        "type": "AWS::CloudWatch::Alarm",
        "check": "alarm-period",
        "message": "Period is 90 s; CloudWatch allows 10, 20, 30 or a multiple of 60",
    }
    assert [p["check"] for p in document["problems"]] == [
        "log-group-retention",
        "alarm-period",
        "log-group-retention",
        "log-group-retention",
    ]
    assert document["checked"] == {
        "templates": 3,
        "resources": 12,
        "AWS::CloudWatch::Alarm": 3,
        "AWS::CloudWatch::CompositeAlarm": 1,
        "AWS::CloudWatch::Dashboard": 1,
        "AWS::Logs::MetricFilter": 1,
        "AWS::Logs::QueryDefinition": 1,
        "AWS::Logs::LogGroup": 3,
        "AWS::Lambda::Url": 0,
        "AWS::Logs::SubscriptionFilter": 1,
    }


def test_json_of_a_clean_assembly_has_no_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(clean_assembly(tmp_path)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []


def test_values_left_to_deploy_time_are_not_judged(tmp_path: Path) -> None:
    template = clean_template()
    template["Parameters"]["Days"] = {"Type": "Number"}
    props(template, "Logs")["RetentionInDays"] = {"Ref": "Days"}
    props(template, "Logs")["LogGroupName"] = {"Fn::ImportValue": "SharedLogGroupName"}
    props(template, "ErrorsAlarm")["Period"] = {"Ref": "Days"}
    assert lines_of(write_assembly(tmp_path / "cdk.out", template)) == []


def test_a_parameter_default_is_judged(tmp_path: Path) -> None:
    template = clean_template()
    template["Parameters"]["Period"] = {"Type": "Number", "Default": 45}
    props(template, "ErrorsAlarm")["Period"] = {"Ref": "Period"}
    assert lines_of(write_assembly(tmp_path / "cdk.out", template)) == [
        ALARM + "Period is 45 s; CloudWatch allows 10, 20, 30 or a multiple of 60"
    ]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: root / "missing", "no such directory"),
        (lambda root: root, "not a cloud assembly (no manifest.json)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    expected: str,
) -> None:
    assert cli.main(["check", str(make(tmp_path))]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("watchkeeper check: ") and expected in captured.err


def test_a_broken_template_is_one_line_without_traceback(tmp_path: Path) -> None:
    root = clean_assembly(tmp_path)
    (root / "Orders.template.json").write_text("{", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper.cli", "check", str(root)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "template of stack Orders:" in result.stderr and "is not valid JSON" in result.stderr


# --------------------------------------------------------------------------------------
# what the library itself synthesizes passes every check
# --------------------------------------------------------------------------------------


def cdk_alarms(stack: Any) -> None:
    """Alarms and widgets of every shape aws-cdk-lib writes (the library builds with it)."""
    from aws_cdk import aws_cloudwatch as cw

    errors = cw.Metric(namespace="AWS/Lambda", metric_name="Errors", statistic="Sum")
    add_alarm_shapes(stack, errors)
    board = cw.Dashboard(stack, "Board")
    board.add_widgets(
        cw.GraphWidget(left=[errors]),
        cw.AlarmStatusWidget(alarms=[cw.Alarm.from_alarm_name(stack, "Imported", "x")]),
    )


@pytest.fixture(scope="session")
def library_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    from watchkeeper import ServiceMonitoring

    outdir = tmp_path_factory.mktemp("check") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "Orders", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    code = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
    for construct_id, name in (("Create", "orders-create"), ("Get", None)):
        lambda_.Function(
            stack,
            construct_id,
            function_name=name,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=code,
        )
    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders")  # discovery on
    mon.monitor_function(
        lambda_.Function.from_function_name(stack, "Legacy", "orders-legacy-refund")
    )
    cdk_alarms(cdk.Stack(app, "CdkAlarms"))
    app.synth()
    return outdir


def test_what_the_library_synthesizes_passes_every_check(
    library_app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = check_assembly(load_assembly(library_app))
    assert [problem.line() for problem in result.problems] == []
    # the checks did look at the monitoring, not at an empty template
    assert result.checked["AWS::CloudWatch::Dashboard"] >= 2
    assert result.checked["AWS::Logs::MetricFilter"] >= 5
    assert result.checked["AWS::Logs::QueryDefinition"] >= 5
    assert result.checked["AWS::Logs::LogGroup"] >= 1
    assert result.checked["AWS::CloudWatch::Alarm"] >= 10  # the library's and the CDK shapes
    assert result.checked["AWS::CloudWatch::CompositeAlarm"] >= 1
    assert cli.main(["check", str(library_app)]) == 0
    assert capsys.readouterr().out.startswith("OK: 2 templates, ")
