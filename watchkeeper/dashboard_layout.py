"""Dashboard layout, pure Python: widgets on CloudWatch's 24-column grid, within its limits.

Builders describe a dashboard as ordered ``Section``s of ``Widget``s (plain data, no CDK);
this module
- packs widgets into rows left to right (a widget that does not fit starts a new row; a
  section always starts on a new row, so a function's widgets stay on one line);
- splits a log widget whose query would name more than 50 log groups into several widgets;
- splits a dashboard that would pass 500 widgets or 2,500 metrics into pages named
  ``<name>``, ``<name>-2``, ``<name>-3``... Whole sections move to the next page (a
  section bigger than a page is cut between widgets), and sections come in the order
  given, so the same input always gives the same pages and positions: a redeploy does not
  churn, and a dashboard diff shows only what changed;
- validates dashboard names (``[A-Za-z0-9_-]``, 1-255 characters) and widget sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.limits import (
    MAX_ALARMS_PER_ALARM_WIDGET,
    MAX_LOG_GROUPS_PER_QUERY,
    MAX_METRICS_PER_DASHBOARD,
    MAX_METRICS_PER_WIDGET,
    MAX_WIDGETS_PER_DASHBOARD,
)

GRID_WIDTH = 24
MAX_WIDGET_HEIGHT = 1_000
DASHBOARD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
WIDGET_TYPES = ("metric", "log", "alarm", "text", "explorer", "custom")


@dataclass(frozen=True)
class Widget:
    """One dashboard widget before placement.

    :param type: ``metric``, ``log``, ``alarm``, ``text`` (also ``explorer``, ``custom``).
    :param properties: the widget's ``properties`` object as CloudWatch reads it.
    :param width: columns, 1-24. Default: 8.
    :param height: rows, 1-1000. Default: 6.
    """

    type: str
    properties: dict[str, Any]
    width: int = 8
    height: int = 6

    def __post_init__(self) -> None:
        validate_widget_size(self.width, self.height, f"{self.type} widget")
        if self.type not in WIDGET_TYPES:
            raise ValueError(
                f"widget type={self.type!r} is not allowed: use one of {', '.join(WIDGET_TYPES)}"
            )
        if not isinstance(self.properties, dict):
            raise ValueError(f"widget properties={self.properties!r} must be a dict")
        metrics = self.metric_count
        if metrics > MAX_METRICS_PER_WIDGET:
            raise ValueError(
                f"a metric widget shows at most {MAX_METRICS_PER_WIDGET} metrics; this one "
                f"has {metrics}"
            )

    @property
    def metric_count(self) -> int:
        """Metrics this widget counts towards the dashboard's 2,500 (expressions included)."""
        if self.type != "metric":
            return 0
        return len(self.properties.get("metrics", ()))


@dataclass(frozen=True)
class Section:
    """Widgets that belong together (one function, one API...), kept on one page."""

    title: str
    widgets: tuple[Widget, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Page:
    """One dashboard: its name and its placed widgets (CloudWatch's widget JSON)."""

    name: str
    widgets: tuple[dict[str, Any], ...]

    @property
    def metric_count(self) -> int:
        return sum(
            len(w["properties"].get("metrics", ())) for w in self.widgets if w["type"] == "metric"
        )

    def body(self, **top_level: Any) -> dict[str, Any]:
        """The dashboard body (``{"widgets": [...]}`` plus e.g. ``start``/``periodOverride``)."""
        return {**top_level, "widgets": list(self.widgets)}


def validate_widget_size(width: Any, height: Any, what: str = "widget") -> None:
    for option, value, most in (
        ("width", width, GRID_WIDTH),
        ("height", height, MAX_WIDGET_HEIGHT),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise ValueError(
                f"{what} {option}={value!r} is not allowed: a whole number from 1 to {most} "
                f"(the dashboard grid is {GRID_WIDTH} columns wide)"
            )


def validate_dashboard_name(name: Any, option: str = "dashboard name") -> str:
    if not isinstance(name, str) or not DASHBOARD_NAME_RE.match(name):
        raise ValueError(
            f"{option}={name!r} is not allowed: 1-255 characters of letters, digits, '-' and '_'"
        )
    return name


def page_name(base: str, index: int) -> str:
    """Name of page ``index`` (0-based): ``base``, ``base-2``, ``base-3``..."""
    return base if index == 0 else f"{base}-{index + 1}"


def chunk(items: Sequence[Any], size: int) -> list[list[Any]]:
    """``items`` in consecutive runs of at most ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"chunk size={size!r} must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)] or [[]]


def split_log_widget(
    title: str,
    log_group_names: Sequence[str],
    render: Callable[[Sequence[str]], str],
    *,
    view: str = "table",
    region: str,
    width: int = GRID_WIDTH,
    height: int = 6,
) -> list[Widget]:
    """One log widget per 50 log groups: ``render(groups)`` gives each widget's query."""
    groups = list(log_group_names)
    parts = chunk(groups, MAX_LOG_GROUPS_PER_QUERY)
    widgets = []
    for index, part in enumerate(parts):
        part_title = title if len(parts) == 1 else f"{title} (part {index + 1} of {len(parts)})"
        widgets.append(
            Widget(
                "log",
                {"query": render(part), "region": region, "title": part_title, "view": view},
                width=width,
                height=height,
            )
        )
    return widgets


def split_alarm_widget(
    title: str, alarm_arns: Sequence[str], *, region: str | None = None, height: int = 3
) -> list[Widget]:
    """Alarm status widgets of at most 100 alarms each (CloudWatch's limit)."""
    parts = chunk(list(alarm_arns), MAX_ALARMS_PER_ALARM_WIDGET)
    widgets = []
    for index, part in enumerate(parts):
        if not part:
            continue
        props: dict[str, Any] = {
            "alarms": part,
            "title": title if len(parts) == 1 else f"{title} ({index + 1} of {len(parts)})",
        }
        if region is not None:
            props["region"] = region
        widgets.append(Widget("alarm", props, width=GRID_WIDTH, height=height))
    return widgets


def place(widgets_by_section: Iterable[Sequence[Widget]]) -> list[dict[str, Any]]:
    """Place widgets left to right, top to bottom; each section starts a new row."""
    placed: list[dict[str, Any]] = []
    y = 0
    for widgets in widgets_by_section:
        x, row_height = 0, 0
        for widget in widgets:
            if x + widget.width > GRID_WIDTH:
                y += row_height
                x, row_height = 0, 0
            placed.append(
                {
                    "type": widget.type,
                    "x": x,
                    "y": y,
                    "width": widget.width,
                    "height": widget.height,
                    "properties": widget.properties,
                }
            )
            x += widget.width
            row_height = max(row_height, widget.height)
        y += row_height
    return placed


def paginate(
    base_name: str,
    sections: Sequence[Section],
    *,
    max_widgets: int = MAX_WIDGETS_PER_DASHBOARD,
    max_metrics: int = MAX_METRICS_PER_DASHBOARD,
    repeat_on_every_page: Sequence[Widget] = (),
) -> list[Page]:
    """Split ``sections`` into dashboards within the widget and metric limits.

    ``repeat_on_every_page`` (a header, an alarm status widget) opens every page and counts
    towards its limits. Pages are filled in order; a section that does not fit on the
    current page starts the next one, and a section too big for an empty page is cut.
    """
    validate_dashboard_name(base_name)
    header = list(repeat_on_every_page)
    header_widgets = len(header)
    header_metrics = sum(w.metric_count for w in header)
    room_widgets = max_widgets - header_widgets
    room_metrics = max_metrics - header_metrics
    if room_widgets < 1 or room_metrics < 0:
        raise ValueError("the widgets repeated on every page leave no room for other widgets")

    pages: list[list[list[Widget]]] = [[]]
    used_widgets = used_metrics = 0

    def new_page() -> None:
        nonlocal used_widgets, used_metrics
        pages.append([])
        used_widgets = used_metrics = 0

    for section in sections:
        widgets = list(section.widgets)
        metrics = sum(w.metric_count for w in widgets)
        if not widgets:
            continue
        fits = (
            used_widgets + len(widgets) <= room_widgets and used_metrics + metrics <= room_metrics
        )
        if not fits and pages[-1]:
            new_page()
        current: list[Widget] = []
        pages[-1].append(current)
        for widget in widgets:
            if widget.metric_count > room_metrics:
                raise ValueError(
                    f"a widget of section {section.title!r} has {widget.metric_count} metrics; "
                    f"a page has room for {room_metrics}"
                )
            if used_widgets + 1 > room_widgets or used_metrics + widget.metric_count > room_metrics:
                new_page()
                current = []
                pages[-1].append(current)
            current.append(widget)
            used_widgets += 1
            used_metrics += widget.metric_count

    result: list[Page] = []
    for index, page_sections in enumerate(pages):
        name = validate_dashboard_name(page_name(base_name, index))
        body_sections = [header, *page_sections] if header else page_sections
        result.append(Page(name, tuple(place(body_sections))))
    return result


def check_layout(widgets: Sequence[dict[str, Any]]) -> list[str]:
    """Problems of a placed layout: off the grid, or overlapping widgets."""
    problems: list[str] = []
    cells: dict[tuple[int, int], int] = {}
    for index, w in enumerate(widgets):
        if w["x"] < 0 or w["y"] < 0 or w["x"] + w["width"] > GRID_WIDTH:
            problems.append(
                f"widget {index} is off the {GRID_WIDTH}-column grid: {w['x']}+{w['width']}"
            )
        for dx in range(w["width"]):
            for dy in range(w["height"]):
                cell = (w["x"] + dx, w["y"] + dy)
                if cell in cells:
                    problems.append(f"widget {index} overlaps widget {cells[cell]} at {cell}")
                    break
                cells[cell] = index
            else:
                continue
            break
    return problems


