"""``watchkeeper preview``: see the dashboards of a cloud assembly before deploying them.

Every ``AWS::CloudWatch::Dashboard`` in a synthesized cloud assembly (nested stacks and
stages included) is drawn into one self-contained HTML page: inline CSS, no script, no
external resource. Widgets sit on CloudWatch's 24-column grid at their ``x``/``y``/``width``/
``height`` (CSS grid), with their titles, metrics, log queries and alarm lists, so a
reviewer sees the layout, and what each widget shows, in a pull request. ``--png`` takes a
screenshot of the page with headless Chromium.

The dashboard body is JSON inside the template, written as a plain string, as
``Fn::Join`` (CDK's dashboards) or as ``Fn::Sub``; the intrinsics are resolved by
:mod:`watchkeeper.cli.assembly` (the region shows as ``<region>`` for environment-agnostic stacks).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeeper.cli import CommandError, add_cdk_out_argument

DASHBOARD_TYPE = "AWS::CloudWatch::Dashboard"
GRID_COLUMNS = 24
#: CloudWatch's defaults for a widget that states no size
DEFAULT_WIDGET_WIDTH = 6
DEFAULT_WIDGET_HEIGHT = 6

#: The page's fixed geometry, in CSS pixels. Every block outside the widgets has a fixed
#: height (text does not wrap there), so the page height, which ``--png`` needs for the
#: window size, follows from the layout alone.
PAGE_WIDTH = 1600
PAGE_PADDING = 24
ROW_HEIGHT = 30
GRID_GAP = 8
TITLE_HEIGHT = 40
LINE_HEIGHT = 22
SECTION_GAP = 32
HEADING_HEIGHT = 64

#: executables tried in order when neither --chromium nor WATCHKEEPER_CHROMIUM names one
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ENV = "WATCHKEEPER_CHROMIUM"
SCREENSHOT_TIMEOUT_SECONDS = 120

_SOURCE_CLAUSE = re.compile(r"^\s*SOURCE\s+'((?:[^'\\]|\\.)*)'\s*(?:\||$)")
_ALARM_ARN = re.compile(r"^arn:[^:]*:cloudwatch:[^:]*:[^:]*:alarm:(?P<name>.+)$")


# --------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------


@dataclass
class PlacedWidget:
    """One widget, placed on the grid (0-based x/y, sizes in grid units)."""

    index: int
    type: str
    x: int
    y: int
    width: int
    height: int
    properties: dict[str, Any]

    @property
    def title(self) -> str:
        title = self.properties.get("title")
        return str(title) if title else f"({self.type} widget, untitled)"

    def overlaps(self, other: PlacedWidget) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass
class Dashboard:
    """A dashboard read from a template: its name, where it is defined, its widgets."""

    name: str
    location: str
    region: str
    widgets: list[PlacedWidget] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def rows(self) -> int:
        return max((w.y + w.height for w in self.widgets), default=0)


def read_dashboards(directory: str | Path) -> list[Dashboard]:
    """Every dashboard in the cloud assembly at ``directory``, in template order."""
    from watchkeeper.cli.assembly import (
        UNKNOWN_REGION,
        AssemblyError,
        json_string_escape,
        load_assembly,
    )

    try:
        assembly = load_assembly(directory)
    except AssemblyError as exc:
        raise CommandError(str(exc)) from None
    dashboards = []
    for resource in assembly.resources_of_type(DASHBOARD_TYPE):
        template, properties = resource.template, resource.properties
        name = properties.get("DashboardName")
        dashboard = Dashboard(
            name=template.resolve_text(name) if name is not None else f"<{resource.logical_id}>",
            location=resource.location,
            region=template.region or UNKNOWN_REGION,
        )
        if name is None:
            dashboard.warnings.append("no DashboardName: CloudFormation will generate the name")
        body = template.resolve(properties.get("DashboardBody"), escape=json_string_escape)
        try:
            parsed = json.loads(body) if isinstance(body, str) else body
            if not isinstance(parsed, dict):
                raise ValueError("the body is not a JSON object")
            dashboard.widgets = place_widgets(parsed.get("widgets") or [], dashboard.warnings)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            dashboard.error = f"DashboardBody is not valid dashboard JSON: {exc}"
        dashboards.append(dashboard)
    return dashboards


def _grid_int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def place_widgets(raw_widgets: Sequence[Any], warnings: list[str]) -> list[PlacedWidget]:
    """Widgets with a grid position each.

    A widget without ``x``/``y`` is placed the way CloudWatch does: to the right of the
    previous widget when it fits in the row, else at the start of the next row.
    """
    widgets: list[PlacedWidget] = []
    cursor_x = row_top = row_bottom = 0
    for index, raw in enumerate(raw_widgets):
        if not isinstance(raw, dict):
            warnings.append(f"widget {index + 1} is not a JSON object; skipped")
            continue
        width = _grid_int(raw.get("width"), DEFAULT_WIDGET_WIDTH, 1, GRID_COLUMNS)
        height = _grid_int(raw.get("height"), DEFAULT_WIDGET_HEIGHT, 1, 1000)
        if "x" in raw and "y" in raw:
            x = _grid_int(raw.get("x"), 0, 0, GRID_COLUMNS - 1)
            y = _grid_int(raw.get("y"), 0, 0, 100_000)
        else:
            if cursor_x + width > GRID_COLUMNS:
                cursor_x, row_top = 0, row_bottom
            x, y = cursor_x, row_top
        if x + width > GRID_COLUMNS:
            warnings.append(
                f"widget {index + 1} spans columns {x}-{x + width - 1}, past the "
                f"{GRID_COLUMNS}-column grid; drawn narrower"
            )
            width = GRID_COLUMNS - x
        properties = raw.get("properties")
        widget = PlacedWidget(
            index=index,
            type=str(raw.get("type", "unknown")),
            x=x,
            y=y,
            width=width,
            height=height,
            properties=properties if isinstance(properties, dict) else {},
        )
        for other in widgets:
            if widget.overlaps(other):
                warnings.append(
                    f"widget {index + 1} ({widget.title}) overlaps widget {other.index + 1} "
                    f"({other.title})"
                )
        widgets.append(widget)
        cursor_x, row_top = x + width, y
        row_bottom = max(row_bottom, y + height)
    return widgets


# --------------------------------------------------------------------------------------
# Geometry (shared by the CSS and the screenshot size)
# --------------------------------------------------------------------------------------


def grid_height(rows: int) -> int:
    return rows * ROW_HEIGHT + max(rows - 1, 0) * GRID_GAP


def header_height(dashboards: Sequence[Dashboard]) -> int:
    # title, one summary line, then one table-of-contents line per dashboard
    return TITLE_HEIGHT + LINE_HEIGHT + LINE_HEIGHT * len(dashboards)


def section_height(dashboard: Dashboard) -> int:
    notes = len(dashboard.warnings) + (1 if dashboard.error else 0)
    return SECTION_GAP + HEADING_HEIGHT + LINE_HEIGHT * notes + grid_height(dashboard.rows)


def page_height(dashboards: Sequence[Dashboard]) -> int:
    """Height in CSS pixels of the page :func:`render_html` writes for ``dashboards``."""
    return (
        2 * PAGE_PADDING
        + header_height(dashboards)
        + sum(section_height(dashboard) for dashboard in dashboards)
    )


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_CSS = f"""
*{{box-sizing:border-box}}
html,body{{margin:0;background:#f2f3f3;color:#16191f}}
body{{padding:{PAGE_PADDING}px;min-width:1200px;
  font:13px/1.35 -apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif}}
.wk-nowrap{{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
header h1{{margin:0;height:{TITLE_HEIGHT}px;line-height:{TITLE_HEIGHT}px;font-size:24px}}
.wk-line{{height:{LINE_HEIGHT}px;line-height:{LINE_HEIGHT}px}}
p{{margin:0}} header ol{{margin:0;padding:0}}
header ol{{list-style:none}}
header a{{color:#0972d3}}
.wk-muted{{color:#5f6b7a}}
section{{padding-top:{SECTION_GAP}px}}
section h2{{margin:0;height:{HEADING_HEIGHT - LINE_HEIGHT}px;
  line-height:{HEADING_HEIGHT - LINE_HEIGHT}px;font-size:20px}}
.wk-note{{color:#8d6605}} .wk-error{{color:#d91515;font-weight:600}}
.wk-grid{{display:grid;grid-template-columns:repeat({GRID_COLUMNS},minmax(0,1fr));
  grid-auto-rows:{ROW_HEIGHT}px;gap:{GRID_GAP}px}}
.wk-widget{{min-width:0;min-height:0;overflow:auto;background:#fff;border:1px solid #d1d5db;
  border-left:4px solid #8c8c94;border-radius:4px;padding:6px 10px}}
.wk-metric{{border-left-color:#0972d3}} .wk-log{{border-left-color:#7d4ce0}}
.wk-alarm{{border-left-color:#d91515}} .wk-text{{border-left-color:#8c8c94}}
.wk-widget h3{{margin:0 0 4px;font-size:14px}}
.wk-kind{{float:right;font-size:11px;color:#5f6b7a;margin-left:8px}}
.wk-widget ul{{margin:0;padding-left:16px}}
.wk-alarm ul{{columns:auto 220px;column-gap:24px}}
.wk-widget li{{margin:1px 0;overflow-wrap:anywhere}}
.wk-ns{{color:#5f6b7a}} .wk-dims{{color:#037f0c}} .wk-stat{{color:#5f6b7a;font-size:12px}}
.wk-label{{font-style:italic}}
pre{{margin:4px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;
  font:12px/1.4 "DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace}}
.wk-query{{background:#f4f4f4;padding:4px 6px;border-radius:3px}}
"""


def _e(value: Any) -> str:
    """HTML-escape anything (quotes too), so no template content can become markup."""
    return html.escape(str(value), quote=True)


def alarm_name(arn: str) -> str:
    """The alarm name of an alarm ARN (the ARN itself when it is not one)."""
    match = _ALARM_ARN.match(arn)
    return match.group("name") if match else arn


def split_sources(query: str) -> tuple[list[str], str]:
    """(log group names of the leading ``SOURCE '...' |`` clauses, the rest of the query)."""
    groups = []
    rest = query
    while match := _SOURCE_CLAUSE.match(rest):
        groups.append(match.group(1).replace("\\'", "'"))
        rest = rest[match.end() :]
    return groups, rest.strip()


def expand_metrics(metrics: Sequence[Any]) -> list[tuple[list[Any], dict[str, Any]]]:
    """Metric rows as (items, options), with CloudWatch's ``"."`` (same as above) expanded."""
    expanded: list[tuple[list[Any], dict[str, Any]]] = []
    previous: list[Any] = []
    for entry in metrics:
        if not isinstance(entry, list):
            continue
        has_options = bool(entry) and isinstance(entry[-1], dict)
        options = entry[-1] if has_options else {}
        items = entry[:-1] if has_options else entry
        items = [
            previous[i] if item == "." and i < len(previous) else item
            for i, item in enumerate(items)
        ]
        if items:
            previous = items
        expanded.append((items, options))
    return expanded


def _render_metric(widget: PlacedWidget) -> str:
    props = widget.properties
    parts = []
    view = props.get("view", "timeSeries")
    default_stat = props.get("stat", "Average")
    default_period = props.get("period", 300)
    rows = []
    for items, options in expand_metrics(props.get("metrics") or []):
        label = (
            f' <span class="wk-label">{_e(options["label"])}</span>' if "label" in options else ""
        )
        if "expression" in options:
            rows.append(
                f"<li>math <code>{_e(options['expression'])}</code>{label}"
                + (
                    f' <span class="wk-stat">id {_e(options["id"])}</span>'
                    if "id" in options
                    else ""
                )
                + "</li>"
            )
            continue
        namespace, name = (items + ["", ""])[:2]
        dims = items[2:]
        dimensions = ", ".join(
            f"{_e(dims[i])}={_e(dims[i + 1]) if i + 1 < len(dims) else ''}"
            for i in range(0, len(dims), 2)
        )
        hidden = ' <span class="wk-stat">(hidden)</span>' if options.get("visible") is False else ""
        stat = options.get("stat", default_stat)
        period = options.get("period", default_period)
        rows.append(
            f'<li><span class="wk-ns">{_e(namespace)}</span> <b>{_e(name)}</b>'
            + (f' <span class="wk-dims">{dimensions}</span>' if dimensions else "")
            + f' <span class="wk-stat">{_e(stat)} · {_e(period)} s</span>{label}{hidden}</li>'
        )
    insight = props.get("insightRule")
    if isinstance(insight, dict):  # a Contributor Insights top-N widget
        rows.append(
            f'<li>Contributor Insights rule <b>{_e(insight.get("ruleName", ""))}</b> '
            f'<span class="wk-stat">top {_e(insight.get("maxContributorCount", 10))} · '
            f'{_e(default_period)} s</span></li>'
        )
    parts.append(f"<ul>{''.join(rows)}</ul>" if rows else '<p class="wk-muted">no metrics</p>')
    annotations = props.get("annotations") or {}
    notes = []
    for arn in annotations.get("alarms") or []:
        notes.append(f"<li>alarm <b>{_e(alarm_name(str(arn)))}</b></li>")
    for kind in ("horizontal", "vertical"):
        for annotation in annotations.get(kind) or []:
            if isinstance(annotation, dict):
                notes.append(
                    f"<li>{kind} line {_e(annotation.get('value', ''))}"
                    + (f" {_e(annotation['label'])}" if annotation.get("label") else "")
                    + "</li>"
                )
    if notes:
        parts.append(f'<p class="wk-muted">annotations</p><ul>{"".join(notes)}</ul>')
    return f'<span class="wk-kind">metric · {_e(view)}</span>' + "".join(parts)


def _render_log(widget: PlacedWidget) -> str:
    props = widget.properties
    groups, rest = split_sources(str(props.get("query", "")))
    sources = "".join(f"<li><code>{_e(group)}</code></li>" for group in groups)
    return (
        f'<span class="wk-kind">log · {_e(props.get("view", "table"))}</span>'
        + (f'<p class="wk-muted">SOURCE</p><ul>{sources}</ul>' if sources else "")
        + f'<pre class="wk-query">{_e(rest)}</pre>'
    )


def _render_alarm(widget: PlacedWidget) -> str:
    alarms = widget.properties.get("alarms") or []
    items = "".join(f"<li>{_e(alarm_name(str(arn)))}</li>" for arn in alarms)
    return f'<span class="wk-kind">alarm status · {len(alarms)}</span><ul>{items}</ul>'


def _render_text(widget: PlacedWidget) -> str:
    return (
        f'<span class="wk-kind">text</span><pre>{_e(widget.properties.get("markdown", ""))}</pre>'
    )


def _render_other(widget: PlacedWidget) -> str:
    return (
        f'<span class="wk-kind">{_e(widget.type)}</span>'
        f"<pre>{_e(json.dumps(widget.properties, indent=1, sort_keys=True))}</pre>"
    )


_RENDERERS = {
    "metric": _render_metric,
    "log": _render_log,
    "alarm": _render_alarm,
    "text": _render_text,
}


def _render_widget(widget: PlacedWidget) -> str:
    body = _RENDERERS.get(widget.type, _render_other)(widget)
    # text widgets have no title field; their markdown is the content
    title = "" if widget.type == "text" and "title" not in widget.properties else widget.title
    return (
        f'<article class="wk-widget wk-{_e(widget.type)}" data-widget="{widget.index}" '
        f'data-x="{widget.x}" data-y="{widget.y}" data-width="{widget.width}" '
        f'data-height="{widget.height}" style="grid-column:{widget.x + 1} / span {widget.width};'
        f'grid-row:{widget.y + 1} / span {widget.height}">'
        + (f"<h3>{_e(title)}</h3>" if title else "")
        + body
        + "</article>"
    )


def render_html(dashboards: Sequence[Dashboard], source: str) -> str:
    """The preview page of ``dashboards`` (``source`` names the assembly in the header)."""
    toc = "".join(
        f'<li class="wk-line wk-nowrap"><a href="#dashboard-{number}">{_e(d.name)}</a> '
        f'<span class="wk-muted">{_e(d.location)} · {len(d.widgets)} widgets</span></li>'
        for number, d in enumerate(dashboards, start=1)
    )
    widget_count = sum(len(d.widgets) for d in dashboards)
    sections = []
    for number, dashboard in enumerate(dashboards, start=1):
        notes = "".join(
            f'<p class="wk-line wk-nowrap wk-note">⚠ {_e(w)}</p>' for w in dashboard.warnings
        )
        if dashboard.error:
            notes += f'<p class="wk-line wk-nowrap wk-error">{_e(dashboard.error)}</p>'
        widgets = "".join(_render_widget(widget) for widget in dashboard.widgets)
        sections.append(
            f'<section id="dashboard-{number}" style="height:{section_height(dashboard)}px">'
            f'<h2 class="wk-nowrap">{_e(dashboard.name)}</h2>'
            f'<p class="wk-line wk-nowrap wk-muted" style="margin:0">{_e(dashboard.location)} · '
            f"region {_e(dashboard.region)} · {len(dashboard.widgets)} widgets · "
            f"{dashboard.rows} rows</p>{notes}"
            f'<div class="wk-grid" style="height:{grid_height(dashboard.rows)}px">{widgets}</div>'
            "</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Dashboard preview · {_e(source)}</title><style>{_CSS}</style></head>\n"
        f'<body><header style="height:{header_height(dashboards)}px">'
        '<h1 class="wk-nowrap">Dashboard preview</h1>'
        f'<p class="wk-line wk-nowrap wk-muted">{len(dashboards)} dashboards, {widget_count} '
        f"widgets from <code>{_e(source)}</code> · drawn by watchkeeper before deployment; "
        "metrics are not fetched</p>"
        f"<ol>{toc}</ol></header>\n<main>{''.join(sections)}</main>\n</body></html>\n"
    )


# --------------------------------------------------------------------------------------
# Screenshot
# --------------------------------------------------------------------------------------


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: ``explicit``, else $WATCHKEEPER_CHROMIUM, else on PATH."""
    candidate = explicit or os.environ.get(CHROMIUM_ENV)
    if candidate:
        found = shutil.which(candidate)
        if not found:
            source = "--chromium" if explicit else CHROMIUM_ENV
            raise CommandError(f"{source} {candidate!r} is not an executable")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise CommandError(
        f"--png needs Chromium and none was found (tried {', '.join(CHROMIUM_NAMES)}). "
        f"Install it (Debian/Ubuntu: apt-get install chromium) or point --chromium or "
        f"{CHROMIUM_ENV} at a Chromium or Chrome executable"
    )


def chromium_command(
    chromium: str, url: str, user_data_dir: str, width: int, height: int
) -> list[str]:
    """Arguments for one headless Chromium run that loads ``url`` and nothing else."""
    return [
        chromium,
        "--headless",
        "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={width},{height}",
        url,
    ]


def screenshot(html_path: Path, png_path: Path, height: int, chromium: str) -> None:
    """Write a PNG of the page at ``html_path``, PAGE_WIDTH wide and ``height`` tall."""
    with tempfile.TemporaryDirectory(prefix="watchkeeper-chromium-") as profile:
        command = chromium_command(
            chromium, html_path.resolve().as_uri(), profile, PAGE_WIDTH, height
        )
        command.insert(-1, f"--screenshot={png_path.resolve()}")
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=SCREENSHOT_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            raise CommandError(
                f"Chromium did not finish the screenshot in {SCREENSHOT_TIMEOUT_SECONDS} s", 1
            ) from None
    if completed.returncode != 0 or not png_path.is_file():
        tail = " | ".join(completed.stderr.strip().splitlines()[-3:])
        raise CommandError(
            f"Chromium could not take the screenshot (exit {completed.returncode}): {tail}", 1
        )


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file, read from its IHDR chunk."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


# --------------------------------------------------------------------------------------
# Command
# --------------------------------------------------------------------------------------


def run_preview(args: argparse.Namespace) -> int:
    directory = Path(args.cdk_out)
    dashboards = read_dashboards(directory)
    if not dashboards:
        raise CommandError(f"{directory} has no {DASHBOARD_TYPE} in any stack", 1)
    output = Path(args.output) if args.output else directory / "preview.html"
    chromium = find_chromium(args.chromium) if args.png else None  # fail before writing
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render_html(dashboards, str(args.cdk_out)), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--output {output}: cannot write: {exc.strerror}", 1) from None
    print(output)
    if chromium:
        png = output.with_suffix(".png")
        screenshot(output, png, page_height(dashboards), chromium)
        print(png)
    problems = [
        f"{d.name} ({d.location}): {note}"
        for d in dashboards
        for note in ([d.error] if d.error else []) + d.warnings
    ]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 1 if any(d.error for d in dashboards) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="draw the dashboards of a cloud assembly into an HTML page (and a PNG)",
        description="Draw every CloudWatch dashboard in a synthesized cloud assembly on the "
        "24-column grid, into one self-contained HTML page, to review before deploying.",
    )
    add_cdk_out_argument(parser)
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="where to write the HTML page (default: CDK_OUT/preview.html)",
    )
    parser.add_argument(
        "--png",
        action="store_true",
        help="also take a screenshot with headless Chromium, written beside the page as .png",
    )
    parser.add_argument(
        "--chromium",
        metavar="PATH",
        help=f"the Chromium executable (default: ${CHROMIUM_ENV}, else the first of "
        f"{', '.join(CHROMIUM_NAMES)} on PATH)",
    )
    parser.set_defaults(run=run_preview)
