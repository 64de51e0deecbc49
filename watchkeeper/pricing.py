"""CloudWatch list prices, and the monthly cost of what a set of templates deploys.

The prices are the public on-demand list prices for **us-east-1** as of :data:`PRICES_AS_OF`.
Other regions differ (usually upward); a report states the region and the date beside every
figure it prints. Prices change: when AWS changes them, update the constants, their
sources and :data:`PRICES_AS_OF` together.

Only the charges that follow from a template alone are priced: alarm metrics, composite
alarms, dashboards and custom metrics. Log ingestion, storage, data protection scans and Logs
Insights scans depend on traffic, so they are listed (:data:`VOLUME_PRICES`) but never added
to a total.

The free tier is per account and per month, shared by everything else in the account, so it
is never subtracted from an estimate: :func:`estimate_monthly_cost` reports the most it
could save beside the undiscounted total.

Standard library only: ``watchkeeper report`` imports this without aws-cdk-lib.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

#: the region whose list prices these are
PRICES_REGION: Final = "us-east-1"
#: when the prices below were last checked against their sources
PRICES_AS_OF: Final = "2026-11"
#: the primary source of every price below
PRICES_SOURCE: Final = "https://aws.amazon.com/cloudwatch/pricing/"

# --- alarms ---------------------------------------------------------------------------
#: per standard-resolution (period >= 60 s) alarm metric per month. A metric-math alarm is
#: billed per metric it reads (each ``MetricStat``), not per expression.
ALARM_METRIC_STANDARD_USD: Final = Decimal("0.10")
#: per high-resolution (period 10 s or 30 s) alarm metric per month
ALARM_METRIC_HIGH_RESOLUTION_USD: Final = Decimal("0.30")
#: per composite alarm per month
COMPOSITE_ALARM_USD: Final = Decimal("0.50")
#: alarm metrics an anomaly-detection alarm is billed as, per metric it reads: the metric
#: and the band's upper and lower bound. From AWS's pricing examples as summarised in the
#: project's fact sheet; not confirmed from a primary source in this release.
ANOMALY_DETECTION_ALARM_METRICS: Final = 3

# --- dashboards and metrics -----------------------------------------------------------
#: per custom dashboard per month
DASHBOARD_USD: Final = Decimal("3.00")
#: per custom metric per month, first tier (the first 10,000 metrics). Every distinct
#: combination of namespace, metric name and dimension values is one metric.
CUSTOM_METRIC_USD: Final = Decimal("0.30")
#: size of the first custom-metric price tier; estimates above it overstate the cost
CUSTOM_METRIC_FIRST_TIER: Final = 10_000

# --- Contributor Insights and events ---------------------------------------------------
#: per Contributor Insights rule (on CloudWatch Logs) per month. From the pricing page's
#: Contributor Insights tab as summarised by third parties (the free tier below is
#: confirmed on the AWS page itself).
CONTRIBUTOR_INSIGHTS_RULE_USD: Final = Decimal("0.50")
#: per million log events that match a Contributor Insights rule
CONTRIBUTOR_INSIGHTS_EVENTS_USD_PER_MILLION: Final = Decimal("0.02")
#: per EventBridge rule on AWS service events (CloudTrail management events on the default
#: bus): the pricing page's free tier lists "all events except custom events"
EVENT_RULE_USD: Final = Decimal("0")
#: per million SNS publishes (what a matched control-plane change costs), and per 100,000
#: email deliveries. https://aws.amazon.com/sns/pricing/ ; first million publishes and
#: 1,000 emails a month are free.
SNS_PUBLISH_USD_PER_MILLION: Final = Decimal("0.50")
SNS_EMAIL_USD_PER_100K: Final = Decimal("2.00")

# --- free tier (per account per month; confirmed on the AWS pricing page) ---------------
#: alarm metrics free per month, standard resolution only
FREE_ALARM_METRICS: Final = 10
#: custom dashboards free per month (each up to 50 metrics)
FREE_DASHBOARDS: Final = 3
#: custom (and detailed-monitoring) metrics free per month
FREE_CUSTOM_METRICS: Final = 10
#: log data free per month (ingestion, archive storage and Insights scans together)
FREE_LOG_GB: Final = 5
#: Contributor Insights rules free per month (and the first million matched log events)
FREE_CONTRIBUTOR_INSIGHTS_RULES: Final = 1

# --- logs, by volume ------------------------------------------------------------------
#: per GB ingested, Standard log class
LOGS_INGESTION_STANDARD_USD_PER_GB: Final = Decimal("0.50")
#: per GB ingested, Infrequent Access log class
LOGS_INGESTION_INFREQUENT_ACCESS_USD_PER_GB: Final = Decimal("0.25")
#: per GB-month archived
LOGS_STORAGE_USD_PER_GB_MONTH: Final = Decimal("0.03")
#: per GB scanned by a log group's data protection policy ("Logs > Data protection" on the
#: pricing page): every GB ingested into a group with a policy is scanned, on top of its
#: ingestion. Checked 2026-12 against third-party summaries of the AWS pricing page.
LOGS_DATA_PROTECTION_USD_PER_GB: Final = Decimal("0.12")
#: per GB scanned by Logs Insights queries
LOGS_INSIGHTS_USD_PER_GB: Final = Decimal("0.005")

#: the item name of data protection in :data:`VOLUME_PRICES`
LOGS_DATA_PROTECTION_ITEM: Final = "Logs data protection"

#: volume-dependent prices: reported as notes, never added to an estimate
VOLUME_PRICES: Final = (
    ("Logs ingestion, Standard class", LOGS_INGESTION_STANDARD_USD_PER_GB, "per GB"),
    (
        "Logs ingestion, Infrequent Access class",
        LOGS_INGESTION_INFREQUENT_ACCESS_USD_PER_GB,
        "per GB",
    ),
    ("Logs storage (archive)", LOGS_STORAGE_USD_PER_GB_MONTH, "per GB-month"),
    (LOGS_DATA_PROTECTION_ITEM, LOGS_DATA_PROTECTION_USD_PER_GB, "per GB scanned"),
    ("Logs Insights queries", LOGS_INSIGHTS_USD_PER_GB, "per GB scanned"),
    (
        "Contributor Insights, matched log events",
        CONTRIBUTOR_INSIGHTS_EVENTS_USD_PER_MILLION,
        "per million events",
    ),
    ("SNS notifications (control-plane changes)", SNS_PUBLISH_USD_PER_MILLION,
     "per million publishes"),
    ("SNS email deliveries", SNS_EMAIL_USD_PER_100K, "per 100,000 emails"),
)

#: what the sources do not settle, stated in every report
UNCONFIRMED: Final = (
    "the alarm, composite-alarm, dashboard, custom-metric, data-protection and Contributor "
    "Insights prices are confirmed by third-party summaries of the AWS pricing page only",
    f"an anomaly-detection alarm is billed as {ANOMALY_DETECTION_ALARM_METRICS} alarm metrics "
    "per metric it reads",
    "Lambda's own log groups are priced as vended logs with volume tiers (not modelled)",
)

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Usage:
    """The billable things a set of templates deploys, per month."""

    #: alarm metrics at standard resolution (period >= 60 s)
    standard_alarm_metrics: int = 0
    #: alarm metrics at high resolution (period < 60 s)
    high_resolution_alarm_metrics: int = 0
    #: composite alarms
    composite_alarms: int = 0
    #: custom dashboards
    dashboards: int = 0
    #: custom metrics (distinct namespace, name and dimension values)
    custom_metrics: int = 0
    #: Contributor Insights rules
    insight_rules: int = 0
    #: EventBridge rules (on AWS service events: free, counted to show they are)
    event_rules: int = 0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Usage.{name} must be a whole number >= 0, got {value!r}")

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in vars(self)})


@dataclass(frozen=True)
class CostLine:
    """One priced item of an estimate."""

    item: str
    quantity: int
    unit_usd: Decimal
    monthly_usd: Decimal


@dataclass(frozen=True)
class CostEstimate:
    """A monthly cost at list price, with the most the free tier could take off it."""

    lines: tuple[CostLine, ...]
    #: the undiscounted monthly total, in USD, rounded to cents
    monthly_usd: Decimal
    #: the most the account's free tier could take off ``monthly_usd``, if nothing else in
    #: the account used it
    free_tier_usd: Decimal


def estimate_monthly_cost(usage: Usage) -> CostEstimate:
    """Price ``usage`` at the list prices above, without subtracting the free tier."""
    priced = (
        (
            "Alarm metrics, standard resolution",
            usage.standard_alarm_metrics,
            ALARM_METRIC_STANDARD_USD,
        ),
        (
            "Alarm metrics, high resolution",
            usage.high_resolution_alarm_metrics,
            ALARM_METRIC_HIGH_RESOLUTION_USD,
        ),
        ("Composite alarms", usage.composite_alarms, COMPOSITE_ALARM_USD),
        ("Dashboards", usage.dashboards, DASHBOARD_USD),
        ("Custom metrics", usage.custom_metrics, CUSTOM_METRIC_USD),
        ("Contributor Insights rules", usage.insight_rules, CONTRIBUTOR_INSIGHTS_RULE_USD),
        ("EventBridge rules (AWS service events)", usage.event_rules, EVENT_RULE_USD),
    )
    lines = tuple(
        CostLine(item, quantity, unit, _cents(unit * quantity)) for item, quantity, unit in priced
    )
    free = (
        ALARM_METRIC_STANDARD_USD * min(usage.standard_alarm_metrics, FREE_ALARM_METRICS)
        + DASHBOARD_USD * min(usage.dashboards, FREE_DASHBOARDS)
        + CUSTOM_METRIC_USD * min(usage.custom_metrics, FREE_CUSTOM_METRICS)
        + CONTRIBUTOR_INSIGHTS_RULE_USD
        * min(usage.insight_rules, FREE_CONTRIBUTOR_INSIGHTS_RULES)
    )
    return CostEstimate(
        lines=lines,
        monthly_usd=_cents(sum((line.monthly_usd for line in lines), Decimal(0))),
        free_tier_usd=_cents(free),
    )


def price_table() -> dict[str, object]:
    """The prices and their provenance, as JSON-ready data."""
    return {
        "region": PRICES_REGION,
        "as_of": PRICES_AS_OF,
        "source": PRICES_SOURCE,
        "alarm_metric_standard_usd": float(ALARM_METRIC_STANDARD_USD),
        "alarm_metric_high_resolution_usd": float(ALARM_METRIC_HIGH_RESOLUTION_USD),
        "anomaly_detection_alarm_metrics": ANOMALY_DETECTION_ALARM_METRICS,
        "composite_alarm_usd": float(COMPOSITE_ALARM_USD),
        "dashboard_usd": float(DASHBOARD_USD),
        "custom_metric_usd": float(CUSTOM_METRIC_USD),
        "contributor_insights_rule_usd": float(CONTRIBUTOR_INSIGHTS_RULE_USD),
        "event_rule_usd": float(EVENT_RULE_USD),
        "volume_prices": [
            {"item": item, "usd": float(price), "unit": unit} for item, price, unit in VOLUME_PRICES
        ],
        "unconfirmed": list(UNCONFIRMED),
    }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
