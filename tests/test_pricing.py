from decimal import Decimal

import pytest

from watchkeeper import pricing
from watchkeeper.pricing import Usage, estimate_monthly_cost


def test_each_line_is_quantity_times_list_price() -> None:
    estimate = estimate_monthly_cost(
        Usage(
            standard_alarm_metrics=7,
            high_resolution_alarm_metrics=2,
            composite_alarms=3,
            dashboards=4,
            custom_metrics=11,
        )
    )
    by_item = {line.item: line for line in estimate.lines}
    assert by_item["Alarm metrics, standard resolution"].monthly_usd == Decimal("0.70")
    assert by_item["Alarm metrics, high resolution"].monthly_usd == Decimal("0.60")
    assert by_item["Composite alarms"].monthly_usd == Decimal("1.50")
    assert by_item["Dashboards"].monthly_usd == Decimal("12.00")
    assert by_item["Custom metrics"].monthly_usd == Decimal("3.30")
    assert estimate.monthly_usd == Decimal("18.10")


def test_free_tier_is_reported_beside_the_total_not_subtracted() -> None:
    estimate = estimate_monthly_cost(
        Usage(
            standard_alarm_metrics=12,
            high_resolution_alarm_metrics=5,
            dashboards=2,
            custom_metrics=3,
        )
    )
    # 12 x 0.10 + 5 x 0.30 + 2 x 3.00 + 3 x 0.30
    assert estimate.monthly_usd == Decimal("9.60")
    # capped at 10 standard alarm metrics (high resolution is never free), 3 dashboards,
    # 10 custom metrics: 1.00 + 6.00 + 0.90
    assert estimate.free_tier_usd == Decimal("7.90")


def test_nothing_costs_nothing() -> None:
    estimate = estimate_monthly_cost(Usage())
    assert estimate.monthly_usd == 0
    assert estimate.free_tier_usd == 0


def test_usages_add_up_field_by_field() -> None:
    total = Usage(standard_alarm_metrics=1, dashboards=2) + Usage(
        standard_alarm_metrics=3, custom_metrics=4
    )
    assert total == Usage(standard_alarm_metrics=4, dashboards=2, custom_metrics=4)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_usage_rejects_what_is_not_a_count(bad: object) -> None:
    with pytest.raises(ValueError, match=r"Usage.dashboards must be a whole number >= 0"):
        Usage(dashboards=bad)  # type: ignore[arg-type]


def test_prices_state_region_date_source_and_what_is_unconfirmed() -> None:
    table = pricing.price_table()
    assert table["region"] == "us-east-1"
    assert table["as_of"] == pricing.PRICES_AS_OF
    assert str(table["source"]).startswith("https://aws.amazon.com/cloudwatch/pricing")
    assert table["alarm_metric_standard_usd"] == 0.10
    assert table["alarm_metric_high_resolution_usd"] == 0.30
    assert table["composite_alarm_usd"] == 0.50
    assert table["dashboard_usd"] == 3.00
    assert table["custom_metric_usd"] == 0.30
    assert table["anomaly_detection_alarm_metrics"] == 3
    assert any("anomaly" in note for note in table["unconfirmed"])  # type: ignore[attr-defined]
    volume_items = [v["item"] for v in table["volume_prices"]]  # type: ignore[attr-defined]
    assert "Logs ingestion, Standard class" in volume_items
