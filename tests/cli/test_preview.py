"""``watchkeeper preview``: dashboards of a cloud assembly drawn on the 24-column grid.

The layout is checked in a real headless Chromium (Debian's ``chromium`` package). These
tests fail, never skip, when Chromium is missing: `make test` finds or installs it first
(scripts/ensure-chromium).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from watchkeeper import cli, schema
from watchkeeper.cli.preview import (
    GRID_GAP,
    PAGE_WIDTH,
    ROW_HEIGHT,
    chromium_command,
    find_chromium,
    page_height,
    png_size,
    read_dashboards,
    render_html,
)

SERVICE = "orders"
LOG_GROUP = schema.service_log_group_name(SERVICE)
NAMESPACE = schema.metric_namespace(SERVICE)
F = schema.Field
S = schema.SecurityMetric
FUNCTIONS = ("orders-create", "orders-get", "orders-list")

# sentinels for the intrinsics a dashboard body holds, replaced when the body is encoded
REGION = "@@AWS::Region@@"


def alarm_arn(logical_id: str) -> str:
    return f"@@{logical_id}.Arn@@"


_SENTINEL = re.compile(r"@@([A-Za-z0-9:]+?)(\.Arn)?@@")


def cdk_join(body: dict[str, Any]) -> dict[str, Any]:
    """The body the way aws-cdk-lib writes it: Fn::Join of JSON fragments and intrinsics."""
    text, parts, last = json.dumps(body), [], 0
    for match in _SENTINEL.finditer(text):
        parts.append(text[last : match.start()])
        name, arn = match.groups()
        parts.append({"Fn::GetAtt": [name, "Arn"]} if arn else {"Ref": name})
        last = match.end()
    parts.append(text[last:])
    return {"Fn::Join": ["", parts]}


def cdk_sub(body: dict[str, Any]) -> dict[str, Any]:
    """The body as one Fn::Sub string (how watchkeeper writes it to keep templates small)."""
    return {
        "Fn::Sub": _SENTINEL.sub(
            lambda m: "${" + m.group(1) + (m.group(2) or "") + "}", json.dumps(body)
        )
    }


def metric(
    x: int, y: int, w: int, h: int, title: str, metrics: list, **props: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "properties": {
            "view": "timeSeries",
            "title": title,
            "region": REGION,
            "metrics": metrics,
            **props,
        },
    }


def log(x: int, y: int, w: int, h: int, title: str, query: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "log",
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "properties": {
            "view": "table",
            "title": title,
            "region": REGION,
            "query": f"SOURCE '{LOG_GROUP}' | {query}",
            **props,
        },
    }


ALARMS = {
    "CreateErrors": "orders-create-errors",
    "GetErrors": "orders-get-errors",
    "ApiServerErrors": "orders-api-5xx",
    "ApiLatency": "orders-api-latency-p90",
    "DeadLetters": "orders-dlq-not-empty",
    "AuthnFailures": "orders-authn-failures",
    "ServiceHealth": None,  # no AlarmName: CloudFormation generates one
}


def operations_body() -> dict[str, Any]:
    lambda_metric = [
        ["AWS/Lambda", "Errors", "FunctionName", FUNCTIONS[0], {"stat": "Sum", "label": "create"}]
    ]
    lambda_metric += [
        [".", ".", ".", name, {"stat": "Sum", "label": name.split("-")[1]}]
        for name in FUNCTIONS[1:]
    ]
    return {
        "start": "-PT6H",
        "widgets": [
            {
                "type": "text",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 2,
                "properties": {
                    "markdown": "# orders · operations\nRunbook: https://wiki.example.com/orders "
                    "· alarms notify the **orders-alarms** topic"
                },
            },
            {
                "type": "alarm",
                "x": 0,
                "y": 2,
                "width": 24,
                "height": 3,
                "properties": {
                    "title": "Alarm status",
                    "alarms": [alarm_arn(logical_id) for logical_id in ALARMS],
                },
            },
            metric(0, 5, 8, 6, "Lambda errors", lambda_metric),
            metric(
                8, 5, 8, 6, "Lambda duration p90",
                [["AWS/Lambda", "Duration", "FunctionName", f, {"stat": "p90"}] for f in FUNCTIONS],
                annotations={"horizontal": [{"value": 2500, "label": "timeout budget"}]},
            ),
            metric(
                16, 5, 8, 6, "Throttles and concurrency",
                [
                    ["AWS/Lambda", "Throttles", {"stat": "Sum"}],
                    [".", "ConcurrentExecutions", {"stat": "Maximum"}],
                ],
            ),
            metric(
                0, 11, 12, 6, "API errors",
                [
                    ["AWS/ApiGateway", "5xx", "ApiId", "a1b2c3", {"stat": "Sum"}],
                    [".", "4xx", ".", ".", {"stat": "Sum"}],
                ],
                period=60,
            ),
            metric(
                12, 11, 12, 6, "API latency",
                [["AWS/ApiGateway", "Latency", "ApiId", "a1b2c3", {"stat": "p90"}]],
                annotations={"alarms": [alarm_arn("ApiLatency")]},
            ),
            log(
                0, 17, 12, 7, "Recent errors",
                f"fields @timestamp, {F.FUNCTION_NAME}, {F.ERROR_TYPE}, {F.ERROR_MESSAGE}\n"
                f'| filter {F.LEVEL} in ["ERROR", "CRITICAL"]\n| sort @timestamp desc\n| limit 50',
            ),
            log(
                12, 17, 12, 7, "Slowest invocations",
                "filter @type = \"REPORT\"\n| stats max(@duration) as slowest by "
                "@log\n| sort slowest desc\n| limit 20",
                view="bar",
            ),
            metric(
                0, 24, 8, 5, "Dead-letter queue",
                [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "orders-dlq",
                  {"stat": "Maximum"}]],
                view="singleValue",
            ),
            metric(
                8, 24, 8, 5, "DynamoDB throttles",
                [
                    ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", "orders", {"stat": "Sum"}],
                    [".", "WriteThrottleEvents", ".", ".", {"stat": "Sum"}],
                ],
            ),
            metric(
                16, 24, 8, 5, "Errors from logs",
                [
                    [NAMESPACE, schema.HealthMetric.ERRORS, {"id": "errors", "visible": False}],
                    [".", schema.HealthMetric.TIMEOUTS, {"id": "timeouts", "visible": False}],
                    [{"expression": "errors + timeouts", "label": "errors and timeouts",
                      "id": "total"}],
                ],
                stat="Sum",
            ),
        ],
    }  # fmt: skip


def security_body() -> dict[str, Any]:
    return {
        "widgets": [
            {
                "type": "text",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 2,
                "properties": {"markdown": "# orders · security\nOWASP events from the logs"},
            },
            metric(
                0, 2, 12, 6, "Authentication failures",
                [[NAMESPACE, S.AUTHN_FAILURES, {"stat": "Sum"}]],
                annotations={"alarms": [alarm_arn("AuthnFailures")]},
            ),
            metric(
                12, 2, 12, 6, "Authorization and input failures",
                [[NAMESPACE, S.AUTHZ_FAILURES, {"stat": "Sum"}],
                 [".", S.INPUT_VALIDATION_FAILURES, {"stat": "Sum"}]],
            ),
            log(
                0, 8, 16, 7, "Failed logins by user and source IP",
                f'filter {F.EVENT} like /^authn_login_fail/\n| stats count(*) as failures by '
                f"{F.USER_ID}, {F.SOURCE_IP}\n| sort failures desc\n| limit 25",
            ),
            {
                "type": "alarm",
                "x": 16,
                "y": 8,
                "width": 8,
                "height": 7,
                "properties": {"title": "Security alarms", "alarms": [alarm_arn("AuthnFailures")]},
            },
        ]
    }  # fmt: skip


def overview_body() -> dict[str, Any]:
    # a body written without x/y: CloudWatch flows the widgets left to right
    return {
        "widgets": [
            {"type": "metric", "width": 12, "height": 4, "properties": {"title": "Invocations",
             "metrics": [["AWS/Lambda", "Invocations"]], "region": "eu-west-1"}},
            {"type": "metric", "width": 12, "height": 4, "properties": {"title": "Errors",
             "metrics": [["AWS/Lambda", "Errors"]], "region": "eu-west-1"}},
            {"type": "text", "width": 8, "height": 3, "properties": {"markdown": "Flowed"}},
        ]
    }  # fmt: skip


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def alarm_resources() -> dict[str, Any]:
    return {
        logical_id: {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"AlarmName": name} if name else {},
        }
        for logical_id, name in ALARMS.items()
    }


def write_operations_assembly(root: Path, operations_title: str | None = None) -> Path:
    """An app stack (operations dashboard as Fn::Join) with a nested stack (security dashboard
    as Fn::Sub) and a stage holding a stack whose dashboard body is a plain string."""
    body = operations_body()
    if operations_title is not None:
        body["widgets"][2]["properties"]["title"] = operations_title
    write_json(
        root / "manifest.json",
        {
            "version": "36.0.0",
            "artifacts": {
                "OrdersMonitoring": {
                    "type": "aws:cloudformation:stack",
                    "environment": "aws://111122223333/eu-west-1",
                    "properties": {"templateFile": "OrdersMonitoring.template.json"},
                },
                "assembly-Prod": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
                },
            },
        },
    )
    write_json(
        root / "OrdersMonitoring.template.json",
        {
            "Resources": {
                **alarm_resources(),
                "OperationsDashboard": {
                    "Type": "AWS::CloudWatch::Dashboard",
                    "Properties": {
                        "DashboardName": f"{SERVICE}-operations",
                        "DashboardBody": cdk_join(body),
                    },
                },
                "Security": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": "https://example.invalid/security"},
                    "Metadata": {"aws:asset:path": "OrdersMonitoringSecurity.nested.template.json"},
                },
            }
        },
    )
    write_json(
        root / "OrdersMonitoringSecurity.nested.template.json",
        {
            "Resources": {
                **alarm_resources(),
                "SecurityDashboard": {
                    "Type": "AWS::CloudWatch::Dashboard",
                    "Properties": {
                        "DashboardName": {"Fn::Sub": "${AWS::StackName}-security"},
                        "DashboardBody": cdk_sub(security_body()),
                    },
                },
            }
        },
    )
    write_json(
        root / "assembly-Prod" / "manifest.json",
        {
            "version": "36.0.0",
            "artifacts": {
                "ProdOverview": {
                    "type": "aws:cloudformation:stack",
                    "environment": "aws://unknown-account/unknown-region",
                    "properties": {"templateFile": "ProdOverview.template.json"},
                    "displayName": "Prod/Overview",
                }
            },
        },
    )
    write_json(
        root / "assembly-Prod" / "ProdOverview.template.json",
        {
            "Resources": {
                "Overview": {
                    "Type": "AWS::CloudWatch::Dashboard",
                    "Properties": {"DashboardBody": json.dumps(overview_body())},
                }
            }
        },
    )
    return root


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    return write_operations_assembly(tmp_path_factory.mktemp("preview") / "cdk.out")


# --------------------------------------------------------------------------------------
# reading the dashboards
# --------------------------------------------------------------------------------------


def test_reads_dashboards_in_all_three_body_encodings(assembly: Path) -> None:
    dashboards = read_dashboards(assembly)
    assert [(d.name, d.location) for d in dashboards] == [
        ("orders-operations", "OrdersMonitoring/OperationsDashboard"),
        ("OrdersMonitoring-Security-security", "OrdersMonitoring/Security/SecurityDashboard"),
        ("<Overview>", "Prod/Overview/Overview"),
    ]
    operations, security, overview = dashboards
    assert [len(d.widgets) for d in dashboards] == [12, 5, 3]
    assert operations.region == "eu-west-1" and overview.region == "<region>"
    assert operations.rows == 29 and operations.error is None and security.error is None
    # Ref AWS::Region and Fn::GetAtt Alarm.Arn resolved inside the JSON body
    assert operations.widgets[2].properties["region"] == "eu-west-1"
    assert operations.widgets[1].properties["alarms"][0] == (
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-create-errors"
    )
    assert security.widgets[1].properties["annotations"]["alarms"] == [
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-authn-failures"
    ]
    # widgets without x/y flow left to right, then onto the next row
    assert [(w.x, w.y) for w in overview.widgets] == [(0, 0), (12, 0), (0, 4)]
    assert overview.warnings == ["no DashboardName: CloudFormation will generate the name"]


def test_overlaps_and_broken_bodies_are_reported(tmp_path: Path) -> None:
    body = {"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 12, "height": 4, "properties": {"markdown": "a"}},
        {"type": "text", "x": 6, "y": 2, "width": 12, "height": 4, "properties": {"markdown": "b"}},
        {"type": "text", "x": 20, "y": 9, "width": 8, "height": 1, "properties": {"markdown": "c"}},
    ]}  # fmt: skip
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}
    write_json(tmp_path / "manifest.json", {"artifacts": {"S": stack}})
    write_json(tmp_path / "S.template.json", {"Resources": {
        "Good": {"Type": "AWS::CloudWatch::Dashboard",
                 "Properties": {"DashboardName": "d", "DashboardBody": json.dumps(body)}},
        "Broken": {"Type": "AWS::CloudWatch::Dashboard",
                   "Properties": {"DashboardName": "e", "DashboardBody": "{\"widgets\": ["}},
    }})  # fmt: skip
    good, broken = read_dashboards(tmp_path)
    assert "widget 2 ((text widget, untitled)) overlaps widget 1" in good.warnings[0]
    assert "widget 3 spans columns 20-27, past the 24-column grid" in good.warnings[1]
    assert good.widgets[2].width == 4
    assert broken.error and broken.error.startswith("DashboardBody is not valid dashboard JSON")
    code = cli.main(["preview", str(tmp_path)])
    assert code == 1  # a broken body fails the command, after the page is written
    assert (tmp_path / "preview.html").is_file()


# --------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------


def test_page_shows_titles_metrics_queries_and_alarm_names(assembly: Path) -> None:
    page = render_html(read_dashboards(assembly), "cdk.out")
    for expected in (
        "Lambda errors",
        '<span class="wk-ns">AWS/Lambda</span> <b>Errors</b> '
        '<span class="wk-dims">FunctionName=orders-get</span> '
        '<span class="wk-stat">Sum · 300 s</span>',  # "." expanded, default period shown
        'ApiId=a1b2c3</span> <span class="wk-stat">Sum · 60 s</span>',
        "math <code>errors + timeouts</code>",
        "horizontal line 2500 timeout budget",
        "alarm <b>orders-api-latency-p90</b>",
        f"<li><code>{LOG_GROUP}</code></li>",  # the SOURCE log group of a log widget
        "| sort @timestamp desc",
        "<li>orders-dlq-not-empty</li>",
        "<li>&lt;ServiceHealth&gt;</li>",  # generated alarm name shows its logical id
        "# orders · operations",
        'href="#dashboard-2">OrdersMonitoring-Security-security</a>',
    ):
        assert expected in page, expected
    # self-contained, and no script at all
    for forbidden in ("<script", "<link", "<img", "src=", "url(", "@import"):
        assert forbidden not in page


def test_everything_from_the_template_is_html_escaped(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    app = write_operations_assembly(tmp_path / "cdk.out", operations_title=hostile)
    page = render_html(read_dashboards(app), f"{tmp_path}/<b>")
    assert "<script" not in page
    assert "/<b>" not in page and "/&lt;b&gt;" in page
    assert "<h3>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h3>" in page


def test_preview_writes_the_page_into_cdk_out_and_prints_its_path(assembly: Path, capsys) -> None:
    assert cli.main(["preview", str(assembly)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{assembly / 'preview.html'}\n"
    assert "no DashboardName" in err  # the overview's warning


def test_preview_of_a_directory_without_dashboards_or_manifest(tmp_path: Path, capsys) -> None:
    assert cli.main(["preview", str(tmp_path)]) == 2
    assert "not a cloud assembly (no manifest.json)" in capsys.readouterr().err
    write_json(tmp_path / "manifest.json", {"artifacts": {}})
    assert cli.main(["preview", str(tmp_path)]) == 1
    assert "has no AWS::CloudWatch::Dashboard in any stack" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# in a real browser
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return find_chromium()
    except cli.CommandError as exc:
        pytest.fail(f"these tests need Chromium (CI: apt-get install -y chromium): {exc}")


# Test hook only: the page itself has no script. It measures every widget and writes the
# rectangles into the DOM, which --dump-dom then prints.
_MEASURE = """<script>
const rect = e => { const r = e.getBoundingClientRect();
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width,
          height: r.height}; };
const out = {
  pageWidth: document.documentElement.clientWidth,
  pageHeight: document.documentElement.scrollHeight,
  grids: [...document.querySelectorAll('.wk-grid')].map(g => ({rect: rect(g),
    widgets: [...g.querySelectorAll('.wk-widget')].map(w => ({rect: rect(w),
      x: +w.dataset.x, y: +w.dataset.y, width: +w.dataset.width, height: +w.dataset.height,
      visible: getComputedStyle(w).visibility === 'visible'
        && getComputedStyle(w).display !== 'none',
      title: (w.querySelector('h3') || w).textContent.slice(0, 40)}))}))};
const pre = document.createElement('pre'); pre.id = 'layout';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>"""


def measure_layout(chromium: str, page: Path) -> dict[str, Any]:
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        command = chromium_command(chromium, probe.as_uri(), profile, PAGE_WIDTH, 1000)
        command.insert(-1, "--dump-dom")
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="layout">(.*?)</pre>', completed.stdout, re.S)
    assert match, (
        f"Chromium printed no layout (exit {completed.returncode}): {completed.stderr[-500:]}"
    )
    return json.loads(
        match.group(1)
        .replace("&quot;", '"')
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )


def intersect(a: dict[str, float], b: dict[str, float], tolerance: float = 0.5) -> bool:
    return (
        a["left"] < b["right"] - tolerance
        and b["left"] < a["right"] - tolerance
        and a["top"] < b["bottom"] - tolerance
        and b["top"] < a["bottom"] - tolerance
    )


def test_widgets_are_laid_out_on_the_grid_without_overlap(assembly: Path, chromium: str) -> None:
    assert cli.main(["preview", str(assembly)]) == 0
    layout = measure_layout(chromium, assembly / "preview.html")
    dashboards = read_dashboards(assembly)
    assert [len(g["widgets"]) for g in layout["grids"]] == [len(d.widgets) for d in dashboards]
    # the page is exactly as tall as the size --png computes for the window
    assert layout["pageHeight"] == page_height(dashboards)
    for grid in layout["grids"]:
        origin, widgets = grid["rect"], grid["widgets"]
        column = (origin["width"] - 23 * GRID_GAP) / 24
        for widget in widgets:
            rect = widget["rect"]
            assert widget["visible"], widget["title"]
            assert rect["width"] > 0 and rect["height"] > 0, widget["title"]
            assert 0 <= rect["left"] and rect["right"] <= layout["pageWidth"], widget["title"]
            # placed by x/y/width/height on the 24-column grid
            assert rect["left"] - origin["left"] == pytest.approx(
                widget["x"] * (column + GRID_GAP), abs=1
            )
            assert rect["top"] - origin["top"] == pytest.approx(
                widget["y"] * (ROW_HEIGHT + GRID_GAP), abs=1
            )
            assert rect["width"] == pytest.approx(
                widget["width"] * column + (widget["width"] - 1) * GRID_GAP, abs=1
            )
            assert rect["height"] == pytest.approx(
                widget["height"] * ROW_HEIGHT + (widget["height"] - 1) * GRID_GAP, abs=1
            )
        for i, first in enumerate(widgets):
            for second in widgets[i + 1 :]:
                assert not intersect(first["rect"], second["rect"]), (
                    first["title"],
                    second["title"],
                )
    # dashboards follow each other without overlapping either
    grids = [g["rect"] for g in layout["grids"]]
    assert all(a["bottom"] <= b["top"] for a, b in zip(grids, grids[1:], strict=False))


def test_png_screenshot_has_the_layout_size(
    assembly: Path, chromium: str, tmp_path: Path, capsys
) -> None:
    output = tmp_path / "review" / "dashboards.html"
    assert cli.main(["preview", str(assembly), "--png", "--output", str(output)]) == 0
    out = capsys.readouterr().out.splitlines()
    png = output.with_suffix(".png")
    assert out == [str(output), str(png)]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(png) == (PAGE_WIDTH, page_height(read_dashboards(assembly)))
    assert png.stat().st_size > 20_000  # a drawn page, not a blank one


def test_missing_chromium_says_how_to_install(assembly: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("WATCHKEEPER_CHROMIUM", raising=False)
    assert cli.main(["preview", str(assembly), "--png"]) == 2
    err = capsys.readouterr().err
    assert "--png needs Chromium and none was found" in err and "apt-get install chromium" in err
    assert cli.main(["preview", str(assembly), "--png", "--chromium", "/no/such/chromium"]) == 2
    assert "--chromium '/no/such/chromium' is not an executable" in capsys.readouterr().err
