"""LogMetricFilters: the synthesized metric filters, their validation, and cfn-lint."""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402

from watchkeeper.constructs.metric_filters import LogMetricFilters  # noqa: E402
from watchkeeper.log_metrics import LOG_METRICS, LogMetric  # noqa: E402
from watchkeeper.schema import metric_namespace, service_log_group_name  # noqa: E402

NAMESPACE = metric_namespace("orders")
SERVICE_GROUP = service_log_group_name("orders")


class Synth:
    def __init__(self) -> None:
        app = cdk.App()
        self.stack = cdk.Stack(app, "Filters")
        self.json = LogMetricFilters(
            self.stack, "Service", log_group_name=SERVICE_GROUP, namespace=NAMESPACE
        )
        self.unknown = LogMetricFilters(
            self.stack,
            "Elsewhere",
            log_group_name="/aws/lambda/orders-prod-legacy",
            namespace=NAMESPACE,
            log_format="UNKNOWN",
        )
        self.dimensioned = LogMetricFilters(
            self.stack,
            "ByOperation",
            log_group_name="/watchkeeper/payments/functions",
            namespace=metric_namespace("payments"),
            metrics=["AuthenticationFailures"],
            dimensions={"Operation": "$.operation"},
        )
        self.with_default = LogMetricFilters(
            self.stack,
            "WithDefault",
            log_group_name="/watchkeeper/billing/functions",
            namespace=metric_namespace("billing"),
            metrics=[
                "Errors",
                LogMetric("Slow", "health", "slow", "{ $.durationMs > 1000 }", None),
            ],
            log_format="TEXT",
            default_value=0,
        )
        self.no_default = LogMetricFilters(
            self.stack,
            "NoDefault",
            log_group_name="/watchkeeper/audit/functions",
            namespace=metric_namespace("audit"),
            metrics=["AuthorizationFailures"],
            default_value=None,
        )
        self.template = Template.from_stack(self.stack)
        self.resources = self.template.to_json()["Resources"]


@pytest.fixture(scope="session")
def synth() -> Synth:
    return Synth()


def _filters_on(synth: Synth, group: str) -> dict[str, dict]:
    return {
        logical_id: r["Properties"]
        for logical_id, r in synth.resources.items()
        if r["Type"] == "AWS::Logs::MetricFilter" and r["Properties"]["LogGroupName"] == group
    }


def test_json_group_gets_one_filter_per_health_and_security_metric(synth: Synth) -> None:
    filters = _filters_on(synth, SERVICE_GROUP)
    assert len(filters) == 10
    assert synth.json.metric_names == [
        "Errors", "Timeouts", "OutOfMemory", "ColdStarts", "AuthenticationFailures",
        "AuthorizationFailures", "RateLimitExceeded", "InputValidationFailures",
        "MaliciousRequests", "SensitiveDataAccess",
    ]  # fmt: skip
    assert len(synth.json.filters) == 10
    for name in synth.json.metric_names:
        synth.template.has_resource_properties(
            "AWS::Logs::MetricFilter",
            {
                "LogGroupName": SERVICE_GROUP,
                "FilterPattern": LOG_METRICS[name].json_pattern,
                "MetricTransformations": [
                    {
                        "MetricName": name,
                        "MetricNamespace": NAMESPACE,
                        "MetricValue": "1",
                        "Unit": "Count",
                        "DefaultValue": 0,
                        "Dimensions": Match.absent(),
                    }
                ],
            },
        )


def test_unknown_format_group_counts_json_records_and_text_markers_into_one_metric(
    synth: Synth,
) -> None:
    filters = _filters_on(synth, "/aws/lambda/orders-prod-legacy")
    assert synth.unknown.metric_names == ["Errors", "Timeouts", "SecurityEvents"]
    patterns = sorted(
        (f["MetricTransformations"][0]["MetricName"], f["FilterPattern"]) for f in filters.values()
    )
    assert patterns == sorted(
        [
            ("Errors", LOG_METRICS["Errors"].json_pattern),
            ("Errors", LOG_METRICS["Errors"].text_pattern),
            ("Timeouts", LOG_METRICS["Timeouts"].json_pattern),
            ("Timeouts", LOG_METRICS["Timeouts"].text_pattern),
            ("SecurityEvents", LOG_METRICS["SecurityEvents"].json_pattern),
        ]
    )
    # Two regex patterns: within CloudWatch's five per log group.
    assert sum(p.startswith("%") for _, p in patterns) == 2
    assert all(f["MetricTransformations"][0]["DefaultValue"] == 0 for f in filters.values())


def test_dimensions_are_emitted_without_default_value(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "LogGroupName": "/watchkeeper/payments/functions",
            "MetricTransformations": [
                Match.object_like(
                    {
                        "MetricName": "AuthenticationFailures",
                        "Dimensions": [{"Key": "Operation", "Value": "$.operation"}],
                        "DefaultValue": Match.absent(),
                    }
                )
            ],
        },
    )
    for r in synth.resources.values():
        (transformation,) = r["Properties"]["MetricTransformations"]
        assert not ("Dimensions" in transformation and "DefaultValue" in transformation)


def test_default_value_and_custom_metric(synth: Synth) -> None:
    filters = _filters_on(synth, "/watchkeeper/billing/functions")
    by_name = {f["MetricTransformations"][0]["MetricName"]: f for f in filters.values()}
    assert by_name["Slow"]["FilterPattern"] == "{ $.durationMs > 1000 }"
    assert sorted(
        f["FilterPattern"]
        for f in filters.values()
        if f["MetricTransformations"][0]["MetricName"] == "Errors"
    ) == sorted([LOG_METRICS["Errors"].json_pattern, LOG_METRICS["Errors"].text_pattern])
    assert {f["MetricTransformations"][0]["DefaultValue"] for f in filters.values()} == {0}


def test_default_value_none_publishes_nothing(synth: Synth) -> None:
    (only,) = _filters_on(synth, "/watchkeeper/audit/functions").values()
    assert "DefaultValue" not in only["MetricTransformations"][0]


def test_construct_ids_are_the_metric_names(synth: Synth) -> None:
    assert [f.node.id for f in synth.json.filters] == synth.json.metric_names
    assert [c.node.id for c in synth.unknown.node.children] == [
        "Errors", "ErrorsText", "Timeouts", "TimeoutsText", "SecurityEvents",
    ]  # fmt: skip
    total = sum(1 for r in synth.resources.values() if r["Type"] == "AWS::Logs::MetricFilter")
    assert total == 10 + 5 + 1 + 3 + 1


def test_template_passes_cfn_lint(synth: Synth) -> None:
    from cfnlint.api import ManualArgs, lint

    findings = lint(
        json.dumps(synth.template.to_json()),
        config=ManualArgs(ignore_checks=["W3005"], regions=["us-east-1"]),
    )
    assert [str(f) for f in findings] == []


# --------------------------------------------------------------------------------------
# Validation: no synthesis needed, one scratch stack for all cases.
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def scratch() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Scratch")


_COUNTER = iter(range(10_000))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"namespace": "AWS/Lambda"}, "namespace 'AWS/Lambda' is not allowed"),
        ({"namespace": "orders:prod"}, "namespace 'orders:prod' is not allowed"),
        ({"namespace": ""}, "namespace '' is not allowed"),
        ({"namespace": "x" * 256}, "1-255 characters"),
        (
            {"log_format": "json"},
            "log_format 'json' is not allowed; use one of: JSON, TEXT, UNKNOWN",
        ),
        ({"log_group_name": "aws lambda"}, "log_group_name 'aws lambda' is not allowed"),
        ({"metrics": ["Nope"]}, "metric 'Nope' is not a watchkeeper log metric"),
        ({"metrics": "Errors"}, "must be a list of metric names"),
        ({"metrics": []}, "at least one metric"),
        ({"metrics": ["Errors", "Errors"]}, "metrics names 'Errors' twice"),
        (
            {"metrics": [LogMetric("Bad:Name", "health", "x", '{ $.a = "b" }', None)]},
            "metric name 'Bad:Name' is not allowed",
        ),
        (
            {"metrics": [LogMetric("Odd", "health", "x", '{ $.a = "b" }', None, unit="Things")]},
            "unit 'Things' of metric 'Odd' is not a CloudWatch unit",
        ),
        (
            {
                "metrics": [
                    LogMetric(f"M{i}", "health", "x", '{ $.a = "b" }', None) for i in range(101)
                ]
            },
            "101 metrics, which take 101 metric filters on a log group of format 'JSON'; a log "
            "group takes at most 100",
        ),
        (
            {
                "metrics": [
                    LogMetric(f"R{i}", "health", "x", '{ $.a = "b" }', f"%^R{i}%")
                    for i in range(6)
                ],
                "log_format": "TEXT",
            },
            "hold 6 patterns with a regular expression on a log group of format 'TEXT'; "
            "CloudWatch allows at most 5 per log group",
        ),
        ({"default_value": "zero"}, "default_value 'zero' is not allowed; use 'auto'"),
        (
            {"dimensions": {"A": "$.a", "B": "$.b", "C": "$.c", "D": "$.d"}},
            "dimensions has 4 entries (A, B, C, D); a metric filter takes at most 3",
        ),
        ({"dimensions": {"Operation": "operation"}}, "value 'operation' is not allowed"),
        ({"dimensions": {":x": "$.x"}}, "dimension name ':x' is not allowed"),
        (
            {"dimensions": {"Operation": "$.operation"}, "default_value": 0},
            "default_value 0 is not allowed together with dimensions",
        ),
        (
            {"dimensions": {"Operation": "$.operation"}, "log_format": "TEXT"},
            "need JSON log events; log_format 'TEXT'",
        ),
    ],
)
def test_invalid_options_raise_value_error_naming_them(
    scratch: cdk.Stack, options: dict, message: str
) -> None:
    kwargs = {"log_group_name": "/watchkeeper/x/functions", "namespace": "Watchkeeper/x"}
    kwargs.update(options)
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        LogMetricFilters(scratch, f"F{next(_COUNTER)}", **kwargs)
