"""Metrics taken from API Gateway access logs: what to count and with which pattern.

Standard library only (like ``schema``), so the metric filter builder can absorb these
definitions and tests can check the patterns without synthesizing anything. The CDK side
(``watchkeeper.constructs.resource_logging.add_access_log_metric_filters``) turns each
definition into an ``AWS::Logs::MetricFilter`` on the access log group.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper import schema


@dataclass(frozen=True)
class AccessLogMetricDefinition:
    """One metric counted from access log records.

    - ``metric_name``: name in the service namespace (``schema.metric_namespace``).
    - ``filter_pattern``: CloudWatch Logs JSON filter pattern over the access log record.
    - ``description``: what one count means, for dashboards and alarm descriptions.
    - ``unit``: CloudWatch unit of the published value (an ``aws_cloudwatch.Unit`` member name).
    """

    metric_name: str
    filter_pattern: str
    description: str
    unit: str = "COUNT"
    metric_value: str = "1"
    #: Published when no record matches, so alarms see zeros rather than missing data.
    default_value: float = 0


def _any_status(statuses: tuple[str, ...]) -> str:
    field = schema.AccessLogField.STATUS
    return " || ".join(f'($.{field} = "{status}")' for status in statuses)


#: 401/403 answered by API Gateway or the integration: authentication refused at the edge.
EDGE_AUTHN_FAILURES = AccessLogMetricDefinition(
    metric_name=schema.AccessLogMetric.EDGE_AUTHN_FAILURES,
    filter_pattern="{ " + _any_status(schema.EDGE_AUTHN_FAILURE_STATUSES) + " }",
    description=(
        "API requests answered with "
        + " or ".join(schema.EDGE_AUTHN_FAILURE_STATUSES)
        + " (authentication or authorisation refused at the API)"
    ),
)

#: Every metric counted from access logs, in a stable order.
ACCESS_LOG_METRICS: tuple[AccessLogMetricDefinition, ...] = (EDGE_AUTHN_FAILURES,)

__all__ = ["ACCESS_LOG_METRICS", "EDGE_AUTHN_FAILURES", "AccessLogMetricDefinition"]
