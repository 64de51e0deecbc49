"""Dashboard layout: grid placement and splitting at exactly CloudWatch's limits."""

from __future__ import annotations

import pytest

from watchkeeper.dashboard_layout import (
    GRID_WIDTH,
    Section,
    Widget,
    check_layout,
    chunk,
    page_name,
    paginate,
    place,
    split_alarm_widget,
    split_log_widget,
    validate_dashboard_name,
)


def metric_widget(metrics: int = 1, width: int = 8) -> Widget:
    return Widget("metric", {"metrics": [["NS", f"M{i}"] for i in range(metrics)]}, width=width)


def test_place_packs_rows_and_starts_each_section_on_a_new_row() -> None:
    placed = place(
        [
            [metric_widget(), metric_widget(), metric_widget(), metric_widget()],
            [metric_widget(width=24)],
        ]
    )
    assert [(w["x"], w["y"]) for w in placed] == [(0, 0), (8, 0), (16, 0), (0, 6), (0, 12)]
    assert check_layout(placed) == []


def test_check_layout_finds_overlaps_and_off_grid() -> None:
    a = {"x": 0, "y": 0, "width": 12, "height": 2}
    assert "overlaps" in check_layout([a, {**a, "x": 6}])[0]
    assert "off the 24-column grid" in check_layout([{**a, "x": 20}])[0]


def test_widgets_exactly_at_the_widget_limit_stay_on_one_page() -> None:
    sections = [
        Section(f"s{i}", (Widget("text", {"markdown": "x"}, width=4, height=1),))
        for i in range(500)
    ]
    pages = paginate("svc-operations", sections)
    assert [p.name for p in pages] == ["svc-operations"]
    assert len(pages[0].widgets) == 500
    pages = paginate("svc-operations", [*sections, sections[0]])
    assert [p.name for p in pages] == ["svc-operations", "svc-operations-2"]
    assert [len(p.widgets) for p in pages] == [500, 1]


def test_metrics_exactly_at_the_metric_limit() -> None:
    sections = [Section(f"s{i}", (metric_widget(metrics=5),)) for i in range(500)]
    pages = paginate("d", sections)  # 500 widgets, 2,500 metrics: exactly both limits
    assert len(pages) == 1 and pages[0].metric_count == 2500
    sections.append(Section("one more", (metric_widget(metrics=1),)))
    pages = paginate("d", sections)
    assert [p.metric_count for p in pages] == [2500, 1]


def test_three_hundred_functions_split_deterministically_keeping_sections_whole() -> None:
    header = [Widget("text", {"markdown": "# head"}, width=24, height=2)]
    sections = [
        Section(f"fn{i:03}", (metric_widget(3), metric_widget(3), metric_widget(2)))
        for i in range(300)
    ]
    pages = paginate("orders-operations", sections, repeat_on_every_page=header)
    again = paginate("orders-operations", sections, repeat_on_every_page=header)
    assert pages == again
    assert [p.name for p in pages] == ["orders-operations", "orders-operations-2"]
    for page in pages:
        assert len(page.widgets) <= 500 and page.metric_count <= 2500
        assert page.widgets[0]["properties"] == {"markdown": "# head"}
        assert check_layout(list(page.widgets)) == []
        # every function's three widgets share one row
        rows: dict[int, int] = {}
        for w in page.widgets[1:]:
            rows[w["y"]] = rows.get(w["y"], 0) + 1
        assert set(rows.values()) == {3}
    assert len(pages[0].widgets) == 1 + 3 * 166  # 499: the 167th function would pass 500
    assert sum(len(p.widgets) - 1 for p in pages) == 900


def test_a_section_bigger_than_a_page_is_cut() -> None:
    big = Section("big", tuple(metric_widget() for _ in range(700)))
    pages = paginate("d", [big])
    assert [len(p.widgets) for p in pages] == [500, 200]


def test_log_widget_split_at_fifty_groups() -> None:
    def render(groups):
        return " | ".join(f"SOURCE '{g}'" for g in groups) + " | fields @message"

    assert len(split_log_widget("Errors", [f"g{i}" for i in range(50)], render, region="r")) == 1
    widgets = split_log_widget("Errors", [f"g{i}" for i in range(101)], render, region="r")
    assert [w.properties["title"] for w in widgets] == [
        "Errors (part 1 of 3)",
        "Errors (part 2 of 3)",
        "Errors (part 3 of 3)",
    ]
    assert widgets[1].properties["query"].startswith("SOURCE 'g50' |")
    assert widgets[2].properties["query"].count("SOURCE") == 1


def test_alarm_widgets_hold_at_most_100_alarms() -> None:
    widgets = split_alarm_widget("Alarms", [f"arn{i}" for i in range(201)])
    assert [len(w.properties["alarms"]) for w in widgets] == [100, 100, 1]
    assert split_alarm_widget("Alarms", []) == []


@pytest.mark.parametrize("name", ["", "a" * 256, "orders ops", "orders/ops", "ünïcode"])
def test_bad_dashboard_names(name: str) -> None:
    with pytest.raises(ValueError, match="1-255 characters of letters, digits, '-' and '_'"):
        validate_dashboard_name(name, "dashboard_name_prefix")


def test_good_dashboard_name_and_page_names() -> None:
    assert validate_dashboard_name("a" * 255) == "a" * 255
    assert [page_name("x", i) for i in range(3)] == ["x", "x-2", "x-3"]


@pytest.mark.parametrize(
    ("width", "height"), [(0, 6), (25, 6), (8, 0), (8, 1001), (True, 6), (8.5, 6)]
)
def test_widget_size_outside_the_grid(width, height) -> None:
    with pytest.raises(ValueError, match="24 columns wide"):
        Widget("text", {"markdown": "x"}, width=width, height=height)


def test_widget_type_and_metric_count_validation() -> None:
    with pytest.raises(ValueError, match="type='graph' is not allowed"):
        Widget("graph", {})
    with pytest.raises(ValueError, match="at most 500 metrics"):
        metric_widget(metrics=501)
    assert GRID_WIDTH == 24


def test_chunk() -> None:
    assert chunk([1, 2, 3], 2) == [[1, 2], [3]]
    assert chunk([], 2) == [[]]
    with pytest.raises(ValueError):
        chunk([1], 0)
