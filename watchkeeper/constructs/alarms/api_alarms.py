"""Alarms of HTTP APIs and REST APIs (AWS/ApiGateway), as AWS recommends.

HTTP APIs publish ``4xx``, ``5xx``, ``Count`` and ``Latency`` with dimensions ApiId and
Stage; REST APIs publish ``4XXError``, ``5XXError``, ``Count`` and ``Latency`` with ApiName
and Stage. For both, the ``Average`` of the error metrics is the error rate (errors /
requests), so the rate alarms need no metric math. Each API also gets an anomaly-detection
alarm on its request count: floods and cost attacks enter through the API.
"""

from __future__ import annotations

from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.targets import HttpApiTarget, RestApiTarget

NAMESPACE = "AWS/ApiGateway"
_HTTP_METRICS = {"server_errors": "5xx", "server_error_rate": "5xx",
                 "client_error_rate": "4xx", "latency": "Latency", "traffic_anomaly": "Count"}
_REST_METRICS = {"server_errors": "5XXError", "server_error_rate": "5XXError",
                 "client_error_rate": "4XXError", "latency": "Latency",
                 "traffic_anomaly": "Count"}


def plan_http_api(target: HttpApiTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims: tuple[tuple[str, str], ...] = (("ApiId", target.api_id),)
    if target.stage:
        dims += (("Stage", target.stage),)
    return ctx.metric_plans("http_api", target, NAMESPACE, dims, _HTTP_METRICS)


def plan_rest_api(target: RestApiTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims: tuple[tuple[str, str], ...] = (("ApiName", target.api_name),)
    if target.stage:
        dims += (("Stage", target.stage),)
    return ctx.metric_plans("rest_api", target, NAMESPACE, dims, _REST_METRICS)
