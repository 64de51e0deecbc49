"""What API Gateway's two kinds of API share: the namespace and the alarm checks, which
differ only in the names of the error metrics (HTTP APIs: ``5xx``/``4xx``; REST APIs:
``5XXError``/``4XXError``). The ``Average`` of an error metric is the error rate."""

from __future__ import annotations

from watchkeeper.constructs.alarms.settings import (
    ANOMALY_UPPER,
    GT,
    GTE,
    NOT_BREACHING,
    PERCENTILE_STATISTICS,
    SECURITY,
    Check,
)
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/ApiGateway"


def api_gateway_checks(kind: str, server_errors: str, client_errors: str,
                       spelling: str) -> tuple[tuple[Check, ...], dict[str, str]]:
    """(checks in the order of docs/alarms.md, metric of each check) of an API kind.

    :param spelling: how the kind's metrics write the status classes in titles (``xx`` or
        ``XX``).
    """
    five, four = f"5{spelling}", f"4{spelling}"
    checks = (
        Check(kind, "server_errors", f"{five} responses", server_errors, "Sum", 5, GTE, 60,
              3, 3, NOT_BREACHING, "critical", "responses per minute",
              QueryName.RECENT_ERRORS),
        Check(kind, "server_error_rate", f"{five} rate", server_errors, "Average", 0.05, GT,
              60, 3, 3, NOT_BREACHING, "critical", "share of requests (0-1)",
              QueryName.RECENT_ERRORS, maximum=1),
        Check(kind, "client_error_rate", f"{four} rate", client_errors, "Average", 0.05, GT,
              60, 5, 5, NOT_BREACHING, "warning", "share of requests (0-1)",
              QueryName.VALIDATION_FAILURES_BY_FIELD, maximum=1),
        Check(kind, "latency", "p90 latency", "Latency", "p90", 2500, GT, 60, 5, 5,
              NOT_BREACHING, "warning", "ms", QueryName.SLOWEST_INVOCATIONS,
              statistics=PERCENTILE_STATISTICS),
        Check(kind, "traffic_anomaly", "requests above the expected band", "Count", "Sum", 3,
              ANOMALY_UPPER, 300, 3, 2, NOT_BREACHING, "warning", "standard deviations",
              QueryName.TOP_OFFENDERS, category=SECURITY, anomaly=True, minimum=0.1,
              maximum=10),
    )
    return checks, {c.name: c.metric for c in checks}
