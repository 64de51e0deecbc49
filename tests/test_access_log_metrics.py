"""Access-log metric definitions derive from the schema."""

from __future__ import annotations

from watchkeeper import schema
from watchkeeper.access_log_metrics import ACCESS_LOG_METRICS, EDGE_AUTHN_FAILURES


def test_edge_authentication_failures_count_401_and_403_by_the_schema_status_field():
    assert EDGE_AUTHN_FAILURES.metric_name == schema.AccessLogMetric.EDGE_AUTHN_FAILURES
    assert EDGE_AUTHN_FAILURES.filter_pattern == '{ ($.status = "401") || ($.status = "403") }'
    assert schema.AccessLogField.STATUS == "status"
    assert EDGE_AUTHN_FAILURES.default_value == 0


def test_every_definition_has_a_unique_name_and_a_json_pattern_within_limits():
    names = [m.metric_name for m in ACCESS_LOG_METRICS]
    assert len(names) == len(set(names))
    for metric in ACCESS_LOG_METRICS:
        assert metric.filter_pattern.startswith("{ ") and metric.filter_pattern.endswith(" }")
        assert len(metric.filter_pattern) <= 1024
