"""Dashboards on a synthesized app: one Fn::Sub body each, contents, limits, snapshot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from insights_app import resources, synth

from watchkeeper import InsightsOptions, ServiceMonitoring, schema
from watchkeeper.constructs.dashboards import (
    FLEET_LINES,
    PER_FUNCTION_UP_TO,
    DashboardInputs,
    FunctionRow,
    function_sections,
    operations_sections,
    plan_dashboards,
)
from watchkeeper.constructs.fn_sub import escape_literal, sub_ref
from watchkeeper.dashboard_layout import Widget, check_layout
from watchkeeper.insights import check_query
from watchkeeper.limits import MAX_METRICS_PER_DASHBOARD, MAX_METRICS_PER_WIDGET
from watchkeeper.queries import get_query, render_for_widget

DB = "AWS::CloudWatch::Dashboard"


ARN_PREFIX = {"Fn::Join": ["", [
    "arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}, ":",
    {"Ref": "AWS::AccountId"}, ":alarm:"]]}


def _bodies(template) -> dict[str, dict]:
    out = {}
    for props in (v["Properties"] for v in resources(template, DB).values()):
        # One string, no Fn::Join; its one variable is the alarm ARN prefix.
        body, variables = props["DashboardBody"]["Fn::Sub"]
        assert isinstance(body, str)
        assert variables == {"WatchkeeperAlarmArn": ARN_PREFIX}
        out[props["DashboardName"]] = json.loads(body)
    return out


@pytest.fixture(scope="module")
def bodies() -> dict[str, dict]:
    return _bodies(synth().orders)


def _widgets(body, type_name):
    return [w for w in body["widgets"] if w["type"] == type_name]


def test_both_dashboards_exist_with_stable_names(bodies) -> None:
    assert sorted(bodies) == ["orders-operations", "orders-security"]
    assert len(synth().orders_mon.dashboards) == 2


def test_snapshot_of_dashboard_bodies(bodies, snapshot) -> None:
    assert bodies == snapshot


def test_layout_is_on_the_grid_without_overlaps(bodies) -> None:
    for body in bodies.values():
        assert check_layout(body["widgets"]) == []


def test_function_rows_use_lambda_metrics_and_sub_placeholders(bodies) -> None:
    ops = bodies["orders-operations"]
    ids = synth().logical_ids
    titles = {w["properties"].get("title"): w for w in _widgets(ops, "metric")}
    # unnamed function: ${LogicalId}; named: literal; imported: literal
    unnamed = next(
        w for t, w in titles.items() if t.endswith("CreateOrder: invocations, errors, error rate")
    )
    assert unnamed["properties"]["metrics"][0] == [
        "AWS/Lambda",
        "Invocations",
        "FunctionName",
        "${" + ids["create"] + "}",
        {"id": "i", "stat": "Sum"},
    ]
    assert unnamed["properties"]["metrics"][2][0]["expression"] == "100 * e / i"
    duration = titles["orders-legacy: duration (ms) against the timeout"]["properties"]
    assert [m[-1]["stat"] for m in duration["metrics"]] == ["p50", "p90", "p99"]
    assert duration["annotations"]["horizontal"][0]["value"] == 30_000
    assert "orders-get: throttles, concurrency" in titles
    assert all(w["properties"]["region"] == "${AWS::Region}" for w in _widgets(ops, "metric"))
    # A metric widget is a time series unless it says otherwise: no "view" per graph.
    assert not [w for w in _widgets(ops, "metric") if "view" in w["properties"]]


def test_rows_for_apis_queues_tables_and_state_machines(bodies) -> None:
    ops = bodies["orders-operations"]
    ids = synth().logical_ids
    flat = json.dumps(ops)
    assert '"AWS/ApiGateway", "Count", "ApiId", "a1b2c3d4e5"' in flat
    assert '".", "4xx"' in flat and '".", "5XXError"' in flat
    assert '"ApiName", "orders-admin"' in flat
    assert (
        f'"ApproximateNumberOfMessagesVisible", "QueueName", "${{{ids["queue"]}.QueueName}}"'
        in flat
    )
    assert (
        f'"AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", "${{{ids["table"]}}}"' in flat
    )
    assert f'"AWS/States", "ExecutionsStarted", "StateMachineArn", "${{{ids["flow"]}}}"' in flat


def test_alarm_status_widgets_split_by_kind(bodies) -> None:
    mon = synth().orders_mon

    def arn_refs(kinds: set[str]) -> list[str]:
        return sorted(
            "${WatchkeeperAlarmArn}" + d.name
            for d in mon.alarm_details
            if d.kind in kinds
        )

    ops = [
        a for w in _widgets(bodies["orders-operations"], "alarm") for a in w["properties"]["alarms"]
    ]
    sec = [
        a for w in _widgets(bodies["orders-security"], "alarm") for a in w["properties"]["alarms"]
    ]
    assert sorted(ops) == arn_refs({"operational", "composite"})
    assert sorted(sec) == arn_refs({"security"})
    assert sec and ops


def test_log_widgets_run_the_saved_query_texts(bodies) -> None:
    groups = ["${" + synth().logical_ids["group"] + "}", "/aws/lambda/orders-legacy"]
    for name, expected_queries in (
        (
            "orders-operations",
            ["recent-errors", "top-error-types", "timeouts", "slowest-invocations"],
        ),
        (
            "orders-security",
            [
                "latest-auth-failures",
                "top-offenders",
                "validation-failures-by-field",
                "authz-failures-by-resource",
                "auth-failures-by-source",
            ],
        ),
    ):
        logs = _widgets(bodies[name], "log")
        assert [w["properties"]["query"] for w in logs] == [
            render_for_widget(get_query(q), groups) for q in expected_queries
        ]
        for widget in logs:
            assert check_query(widget["properties"]["query"]) == []


def test_security_dashboard_metrics_and_guide(bodies) -> None:
    sec = bodies["orders-security"]
    # The security detections' widgets (top-N insightRule widgets and the AWS/Events
    # control-plane graph, see test_security_detections.py) come after these.
    metrics = [w["properties"]["metrics"][0] for w in _widgets(sec, "metric")
               if "insightRule" not in w["properties"]]
    metrics = [m for m in metrics if m[0] != "AWS/Events"]
    assert [m[:2] for m in metrics] == [
        ["Watchkeeper/orders", name] for name in schema.security_metric_names()
    ]
    guide = _widgets(sec, "text")[0]["properties"]["markdown"]
    assert "How to read it" in guide
    for query in ("top-offenders", "user-activity", "latest-auth-failures", "trace-request"):
        assert f"`orders/{query}`" in guide


def test_extra_widget_is_appended(bodies) -> None:
    last = bodies["orders-operations"]["widgets"][-1]
    assert last["properties"] == {"markdown": "Runbook: see the wiki"}


# ---------------------------------------------------------------------------------------
# Functions as fleet graphs (a line per function) or a row each
# ---------------------------------------------------------------------------------------


def _functions(count: int, timeout: float | None = 10) -> tuple[FunctionRow, ...]:
    return tuple(FunctionRow(f"S/Fn{i:03}", f"${{Fn{i:03}}}", timeout) for i in range(count))


def _lines_by_title(sections) -> dict[str, list]:
    return {w.properties["title"]: w.properties["metrics"]
            for section in sections for w in section.widgets}


def _labels(lines: list) -> list[str]:
    return [line[-1]["label"] for line in lines if "label" in line[-1]]


def test_auto_draws_a_row_per_function_up_to_ten_then_fleet_graphs() -> None:
    rows = function_sections(_functions(PER_FUNCTION_UP_TO))
    assert [s.title for s in rows] == [f"S/Fn{i:03}" for i in range(PER_FUNCTION_UP_TO)]
    assert all(len(s.widgets) == 3 for s in rows)
    fleet = function_sections(_functions(PER_FUNCTION_UP_TO + 1))
    assert [s.title for s in fleet] == ["Functions", "Lambda concurrency"]
    assert function_sections(()) == []


def test_the_option_forces_either_drawing() -> None:
    assert len(function_sections(_functions(50), "per_function")) == 50
    assert [s.title for s in function_sections(_functions(1), "fleet")] == [
        "Functions", "Lambda concurrency"]


def test_fleet_groups_are_balanced_and_draw_every_function_once_per_graph() -> None:
    functions = _functions(45)
    sections = function_sections(functions)
    assert [s.title for s in sections] == [
        "Functions 1-15 of 45", "Functions 16-30 of 45", "Functions 31-45 of 45",
        "Lambda concurrency"]
    lines = _lines_by_title(sections)
    labels = [fn.label for fn in functions]
    for graph in ("invocations", "errors", "throttles", "p90 duration, % of the timeout"):
        drawn = [label for title, metrics in lines.items() if title.endswith(f": {graph}")
                 for label in _labels(metrics)]
        assert drawn == labels, graph
    first = lines["Functions 1-15 of 45: errors"]
    assert first[0] == ["AWS/Lambda", "Errors", "FunctionName", "${Fn000}", {"label": "S/Fn000"}]
    assert first[1] == [".", ".", ".", "${Fn001}", {"label": "S/Fn001"}]
    assert all(len(_labels(m)) <= FLEET_LINES for m in lines.values())


def test_fleet_duration_is_each_functions_share_of_its_timeout() -> None:
    functions = (FunctionRow("S/A", "${A}", 10), FunctionRow("S/B", "b-legacy", None),
                 FunctionRow("S/C", "${C}", 2.5))
    group = function_sections(functions, "fleet")[0]
    graphs = {w.properties["title"]: w.properties for w in group.widgets}
    share = graphs["Functions: p90 duration, % of the timeout"]
    assert share["stat"] == "p90"
    assert share["metrics"] == [
        ["AWS/Lambda", "Duration", "FunctionName", "${A}", {"id": "d0", "visible": False}],
        [".", ".", ".", "${C}", {"id": "d1", "visible": False}],
        [{"expression": "100*d0/10000", "label": "S/A", "id": "t0"}],
        [{"expression": "100*d1/2500", "label": "S/C", "id": "t1"}],
    ]
    assert share["annotations"] == {"horizontal": [{"label": "Timeout", "value": 100}]}
    unknown = graphs["Functions: p90 duration (ms), timeout unknown"]
    assert unknown["metrics"] == [
        ["AWS/Lambda", "Duration", "FunctionName", "b-legacy", {"label": "S/B"}]]
    assert graphs["Functions: invocations"]["stat"] == "Sum"


def test_fleet_header_says_how_functions_are_drawn() -> None:
    def guide(count: int) -> str:
        header, _ = operations_sections(DashboardInputs("s", functions=_functions(count)))
        return header[0].properties["markdown"]

    assert "Functions, a line each" in guide(PER_FUNCTION_UP_TO + 1)
    assert "Per function: traffic and error rate" in guide(PER_FUNCTION_UP_TO)


def test_fleet_graphs_stay_within_the_dashboard_limits_at_scale() -> None:
    pages = plan_dashboards(DashboardInputs("s", functions=_functions(600)))["operations"]
    for page in pages:
        assert check_layout(page.widgets) == []
        assert page.metric_count <= MAX_METRICS_PER_DASHBOARD
        for widget in page.widgets:
            assert len(widget["properties"].get("metrics", ())) <= MAX_METRICS_PER_WIDGET
    drawn = [line[-1]["label"] for page in pages for w in page.widgets
             if w["properties"].get("title", "").endswith(": errors")
             for line in w["properties"]["metrics"]]
    assert drawn == [f"S/Fn{i:03}" for i in range(600)]


def test_fleet_graphs_on_a_synthesized_app() -> None:
    ops = _bodies(synth().fleet)["fleet-operations"]
    titles = [w["properties"].get("title") for w in _widgets(ops, "metric")]
    assert [t for t in titles if t and t.startswith(("Functions", "Lambda"))] == [
        "Functions: invocations", "Functions: errors", "Functions: throttles",
        "Functions: p90 duration, % of the timeout",
        "Functions: p90 duration (ms), timeout unknown",
        "Lambda concurrency in this account and region (all services)",
    ]
    graphs = {w["properties"]["title"]: w["properties"] for w in _widgets(ops, "metric")}
    share = graphs["Functions: p90 duration, % of the timeout"]["metrics"]
    expressions = {line[0]["label"]: line[0]["expression"] for line in share
                   if "expression" in line[0]}
    # Lambda's default timeout is 3 s when the app sets none.
    assert expressions == {"Fleet/Checkout": "100*d0/10000", "Fleet/Ping": "100*d1/3000",
                           "Fleet/Refund": "100*d2/30000"}
    unknown = graphs["Functions: p90 duration (ms), timeout unknown"]["metrics"]
    assert unknown == [["AWS/Lambda", "Duration", "FunctionName", "fleet-legacy",
                        {"label": "fleet-legacy"}]]
    concurrency = graphs["Lambda concurrency in this account and region (all services)"]
    assert [line[1] for line in concurrency["metrics"]] == [
        "ConcurrentExecutions", "ClaimedAccountConcurrency"]
    assert check_layout(ops["widgets"]) == []
    # "auto": the 50 imported functions of Big, in three groups, each p90 in ms.
    big = _bodies(synth().big)["Big_Service-operations"]
    big_titles = [w["properties"].get("title", "") for w in _widgets(big, "metric")]
    assert [t for t in big_titles if t.endswith("timeout unknown")] == [
        f"Functions {r} of 50: p90 duration (ms), timeout unknown"
        for r in ("1-17", "18-34", "35-50")]
    assert not [t for t in big_titles if "error rate" in t]


def test_big_service_log_widgets_split_at_50_groups() -> None:
    bodies = _bodies(synth().big)
    assert sorted(bodies) == ["Big_Service-operations", "Big_Service-security"]
    logs = _widgets(bodies["Big_Service-operations"], "log")
    titles = [w["properties"]["title"] for w in logs]
    assert "Recent errors with stack traces (part 1 of 2)" in titles
    assert "Recent errors with stack traces (part 2 of 2)" in titles
    for widget in logs:
        assert widget["properties"]["query"].count("SOURCE ") <= 50


def test_field_indexes_on_created_log_groups_only() -> None:
    # (the log group ensurer's own logs are not the service's: no field index)
    orders_groups = {k: v for k, v in resources(synth().orders, "AWS::Logs::LogGroup").items()
                     if "LogGroupEnsurer" not in k}
    # the service log group and the state machine's execution log group, both created here
    assert [g["Properties"]["FieldIndexPolicies"] for g in orders_groups.values()] == [
        [{"Fields": ["requestId", "userId", "event", "sourceIp", "function_request_id"]}]
    ] * 2
    big_groups = {k: v for k, v in resources(synth().big, "AWS::Logs::LogGroup").items()
                  if "LogGroupEnsurer" not in k}
    assert [g["Properties"]["FieldIndexPolicies"] for g in big_groups.values()] == [
        [{"Fields": ["requestId", "tenantId"]}]
    ]  # the 50 imported groups are referenced, not created


def test_anomaly_detection_is_opt_in() -> None:
    assert resources(synth().orders, "AWS::Logs::LogAnomalyDetector") == {}
    detectors = list(resources(synth().big, "AWS::Logs::LogAnomalyDetector").values())
    assert len(detectors) == 1
    assert detectors[0]["Properties"]["EvaluationFrequency"] == "FIFTEEN_MIN"


def test_cfn_lint_clean(tmp_path: Path) -> None:
    paths = []
    for name, template in (("orders", synth().orders), ("big", synth().big),
                           ("fleet", synth().fleet)):
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps(template))
        paths.append(str(path))
    exe = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run(
        [exe, "--ignore-checks", "W3005", "--", *paths], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------
# Fn::Sub helper and bad input (no synth)
# ---------------------------------------------------------------------------------------


def test_sub_ref_forms() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    res = cdk.CfnResource(stack, "Thing", type="AWS::SQS::Queue")
    assert sub_ref("plain-name", stack) == "plain-name"
    assert sub_ref("a ${b}", stack) == "a ${!b}"
    assert sub_ref(res.ref, stack) == "${Thing}"
    assert sub_ref(res.get_att("Arn").to_string(), stack) == "${Thing.Arn}"
    assert sub_ref("/aws/lambda/" + res.ref, stack) == "/aws/lambda/${Thing}"
    assert sub_ref(cdk.Aws.REGION, stack) == "${AWS::Region}"
    with pytest.raises(ValueError, match="cannot write .* into an Fn::Sub string"):
        sub_ref(cdk.Fn.select(0, cdk.Fn.split(",", res.ref)), stack)
    assert escape_literal("${x}") == "${!x}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dashboard_name_prefix": "orders service"},
            "InsightsOptions.dashboard_name_prefix='orders service' is not allowed",
        ),
        ({"dashboard_name_prefix": "a" * 242}, "is not allowed: 1-241 characters"),
        ({"operations_widgets": ["x"]}, "InsightsOptions.operations_widgets contains 'x'"),
        (
            {"security_widgets": Widget("text", {})},
            "InsightsOptions.security_widgets must be a list",
        ),
        (
            {"field_indexes": "requestId"},
            "InsightsOptions.field_indexes='requestId' is not allowed",
        ),
        (
            {"field_indexes": [f"f{i}" for i in range(21)]},
            "InsightsOptions.field_indexes has 21 fields",
        ),
        ({"field_indexes": ["bad field"]}, "InsightsOptions.field_indexes contains 'bad field'"),
    ],
)
def test_bad_options_fail_at_construction(kwargs, message) -> None:
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        InsightsOptions(**kwargs)


def test_widget_off_the_grid_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"text widget width=25 is not allowed: .*24 columns wide"):
        Widget("text", {"markdown": "x"}, width=25)


def test_dashboards_and_queries_can_be_switched_off() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Off")
    mon = ServiceMonitoring(
        stack, "M", service_name="quiet",
        insights=InsightsOptions(dashboards=False, saved_queries=False, field_indexes=False),
    )
    assert mon.service_log_group is not None  # read before synth: created
    template = app.synth().get_stack_by_name("Off").template
    assert resources(template, DB) == {} and resources(template, "AWS::Logs::QueryDefinition") == {}
    group = next(iter(resources(template, "AWS::Logs::LogGroup").values()))
    assert "FieldIndexPolicies" not in group["Properties"]
    assert mon.dashboards == [] and mon.saved_queries == []
