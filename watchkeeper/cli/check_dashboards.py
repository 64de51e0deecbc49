"""The dashboard checks of ``watchkeeper check``: name, body, widgets and the grid.

Dashboard name and body JSON, widgets and metrics per dashboard, metrics per widget, alarms
per alarm widget, log widget queries (``SOURCE`` log groups and Logs Insights syntax), widget
places on the grid and overlaps.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from watchkeeper.cli.assembly import Resource, json_string_escape
from watchkeeper.cli.check_problems import CheckerBase, as_list, stated_number, stated_text
from watchkeeper.dashboard_layout import DASHBOARD_NAME_RE, GRID_WIDTH
from watchkeeper.insights import check_query
from watchkeeper.limits import (
    MAX_ALARMS_PER_ALARM_WIDGET,
    MAX_LOG_GROUPS_PER_QUERY,
    MAX_METRICS_PER_DASHBOARD,
    MAX_METRICS_PER_WIDGET,
    MAX_WIDGETS_PER_DASHBOARD,
)

_LEADING_SOURCE: Final = re.compile(r"""\s*SOURCE\s+(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\|""")


class DashboardChecks(CheckerBase):
    """The checks of ``AWS::CloudWatch::Dashboard``."""

    def check_dashboard(self, dashboard: Resource) -> None:
        template, properties = dashboard.template, dashboard.properties
        name = stated_text(template, properties.get("DashboardName"))
        if name is not None and not DASHBOARD_NAME_RE.match(name):
            self.problem(
                dashboard,
                "dashboard-name",
                f"DashboardName {name!r} is not 1-255 characters of A-Z, a-z, 0-9, - and _",
            )
        body = template.resolve(properties.get("DashboardBody"), escape=json_string_escape)
        try:
            parsed = json.loads(body) if isinstance(body, str) else body
        except ValueError as exc:
            self.problem(dashboard, "dashboard-body", f"DashboardBody is not valid JSON: {exc}")
            return
        widgets = parsed.get("widgets") if isinstance(parsed, dict) else None
        if not isinstance(widgets, list):
            self.problem(dashboard, "dashboard-body", "DashboardBody has no widgets list")
            return
        if len(widgets) > MAX_WIDGETS_PER_DASHBOARD:
            self.problem(
                dashboard,
                "dashboard-widgets",
                f"{len(widgets)} widgets; CloudWatch allows {MAX_WIDGETS_PER_DASHBOARD} per "
                "dashboard",
            )
        metrics = 0
        placed: list[tuple[int, int, int, int, int]] = []
        for index, widget in enumerate(widgets):
            if not isinstance(widget, dict):
                self.problem(dashboard, "dashboard-body", f"widget {index} is not an object")
                continue
            widget_properties = widget.get("properties")
            widget_properties = widget_properties if isinstance(widget_properties, dict) else {}
            metrics += self._check_widget_content(dashboard, index, widget, widget_properties)
            box = self._check_widget_box(dashboard, index, widget)
            if box is not None:
                placed.append((index, *box))
        if metrics > MAX_METRICS_PER_DASHBOARD:
            self.problem(
                dashboard,
                "dashboard-metrics",
                f"{metrics:,} metrics; CloudWatch allows {MAX_METRICS_PER_DASHBOARD:,} per "
                "dashboard",
            )
        self._check_overlaps(dashboard, placed)

    def _check_widget_content(
        self, dashboard: Resource, index: int, widget: dict[str, Any], properties: dict[str, Any]
    ) -> int:
        """Check a widget's own limits; returns the metrics it counts toward the dashboard's."""
        kind = widget.get("type")
        if kind == "metric":
            count = len(as_list(properties.get("metrics")))
            if count > MAX_METRICS_PER_WIDGET:
                self.problem(
                    dashboard,
                    "widget-metrics",
                    f"widget {index} has {count} metrics; CloudWatch allows "
                    f"{MAX_METRICS_PER_WIDGET} per widget",
                )
            return count
        if kind == "alarm":
            count = len(as_list(properties.get("alarms")))
            if not 1 <= count <= MAX_ALARMS_PER_ALARM_WIDGET:
                self.problem(
                    dashboard,
                    "widget-alarms",
                    f"alarm widget {index} lists {count} alarms; CloudWatch allows 1 to "
                    f"{MAX_ALARMS_PER_ALARM_WIDGET}",
                )
        elif kind == "log":
            self._check_log_widget_query(dashboard, index, properties.get("query"))
        return 0

    def _check_log_widget_query(self, dashboard: Resource, index: int, query: Any) -> None:
        if not isinstance(query, str):
            self.problem(dashboard, "widget-query", f"log widget {index} has no query")
            return
        sources, rest = 0, query
        while match := _LEADING_SOURCE.match(rest):
            sources += 1
            rest = rest[match.end() :]
        if sources > MAX_LOG_GROUPS_PER_QUERY:
            self.problem(
                dashboard,
                "widget-query-sources",
                f"log widget {index} queries {sources} log groups (SOURCE); CloudWatch allows "
                f"{MAX_LOG_GROUPS_PER_QUERY}",
            )
        for problem in check_query(rest):
            self.problem(dashboard, "widget-query", f"log widget {index} query: {problem}")

    def _check_widget_box(
        self, dashboard: Resource, index: int, widget: dict[str, Any]
    ) -> tuple[int, int, int, int] | None:
        """Check a widget's place on the grid; returns (x, y, width, height) when it has one."""
        # CloudWatch's defaults when the body leaves them out
        width = stated_number(dashboard.template, widget.get("width", 6))
        height = stated_number(dashboard.template, widget.get("height", 6))
        x, y = widget.get("x"), widget.get("y")
        problems = []
        if width is None or not 1 <= width <= GRID_WIDTH:
            problems.append(f"width {widget.get('width')} is not 1 to {GRID_WIDTH}")
        if height is None or height < 1:
            problems.append(f"height {widget.get('height')} is not at least 1")
        if x is not None and (not isinstance(x, int) or x < 0):
            problems.append(f"x {x} is negative or not a whole number")
        if y is not None and (not isinstance(y, int) or y < 0):
            problems.append(f"y {y} is negative or not a whole number")
        if not problems and isinstance(x, int) and width is not None and x + width > GRID_WIDTH:
            problems.append(f"x {x} + width {width} = {x + width} passes column {GRID_WIDTH}")
        for problem in problems:
            self.problem(
                dashboard,
                "widget-grid",
                f"widget {index} is off the {GRID_WIDTH}-column grid: {problem}",
            )
        if problems or not isinstance(x, int) or not isinstance(y, int):
            return None  # CloudWatch places a widget without x and y itself
        assert width is not None and height is not None
        return x, y, width, height

    def _check_overlaps(
        self, dashboard: Resource, placed: list[tuple[int, int, int, int, int]]
    ) -> None:
        for position, (index, x, y, width, height) in enumerate(placed):
            for other, ox, oy, owidth, oheight in placed[:position]:
                if x < ox + owidth and ox < x + width and y < oy + oheight and oy < y + height:
                    self.problem(
                        dashboard,
                        "widget-overlap",
                        f"widget {index} (x {x}, y {y}, {width}x{height}) overlaps widget "
                        f"{other} (x {ox}, y {oy}, {owidth}x{oheight})",
                    )
                    break
