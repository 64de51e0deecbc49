"""AWS AppSync GraphQL APIs: discovery, target record, alarms (AWS/AppSync, dimension
GraphQLAPIId) and dashboard panels. Their logging is switched on by ``graphql_logging``.

AppSync publishes ``4XXError``, ``5XXError`` and ``Latency`` per API, one data point per
request (an error metric is 0 or 1), so the ``Average`` of an error metric is its rate and
the ``SampleCount`` of ``4XXError`` is the API's request count; the ``Requests`` metric is
per account and Region only. A GraphQL field error (a resolver that failed) is answered
with HTTP 200 and an ``errors`` entry, so it counts in neither error metric: the API's
``ERROR`` field logs are where it shows.

Sources: the metrics, their units and ``Requests`` being per account and Region are
AppSync's "Using CloudWatch to monitor and log GraphQL API data"
(https://docs.aws.amazon.com/appsync/latest/devguide/monitoring.html); ``GraphQLAPIId`` is
the dimension of aws-cdk-lib's generated AppSync metric catalogue. The 5XX rate (Average)
and p90 latency alarms are AWS's "Recommended alarms" page, AWS AppSync section. That an
error metric has one 0/1 data point per request is not on AppSync's page (it suggests Sum):
the rate alarms and the ``SampleCount`` request count rely on it; ``server_errors`` does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import ANOMALY_UPPER, GT, GTE, SECURITY, Check
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import (
    PERCENTILES,
    Registrar,
    ResourceKind,
    last_id,
    literal,
)

NAMESPACE = "AWS/AppSync"
DIMENSION = "GraphQLAPIId"
KIND = "graphql_api"
#: check -> metric (the statistic is the check's).
_METRICS = {"server_errors": "5XXError", "server_error_rate": "5XXError",
            "client_error_rate": "4XXError", "latency": "Latency",
            "traffic_anomaly": "4XXError"}
_NB = "notBreaching"
_Q = schema.QueryName
_PCT = ("p90", "p95", "p99", "p50", "p99.9", "Maximum", "Average")


def _check(name: str, title: str, metric: str, statistic: str, threshold: float,
           comparison: str, period: int, evaluation_periods: int, datapoints: int,
           severity: str, unit: str, query: str, **extra: Any) -> Check:
    return Check(kind=KIND, name=name, title=title, metric=metric, statistic=statistic,
                 threshold=threshold, comparison=comparison, period=period,
                 evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints,
                 treat_missing_data=_NB, severity=severity,
                 category=extra.pop("category", "operational"), unit=unit, query=query,
                 **extra)


# The thresholds of AWS's recommended alarms for API Gateway and AppSync: a 5% error rate
# (Average of the 0/1 error metric), p90 latency; the same windows as the REST API kind.
CHECKS: tuple[Check, ...] = (
    _check("server_errors", "5XX responses", "5XXError", "Sum", 5, GTE, 60, 3, 3,
           "critical", "responses per minute", _Q.RECENT_ERRORS),
    _check("server_error_rate", "5XX rate", "5XXError", "Average", 0.05, GT, 60, 3, 3,
           "critical", "share of requests (0-1)", _Q.RECENT_ERRORS, maximum=1),
    _check("client_error_rate", "4XX rate (bad queries, auth, throttling)", "4XXError",
           "Average", 0.05, GT, 60, 5, 5, "warning", "share of requests (0-1)",
           _Q.VALIDATION_FAILURES_BY_FIELD, maximum=1),
    _check("latency", "p90 latency", "Latency", "p90", 2500, GT, 60, 5, 5, "warning", "ms",
           _Q.SLOWEST_INVOCATIONS, statistics=_PCT),
    # Requests are counted as the SampleCount of 4XXError (one data point per request).
    _check("traffic_anomaly", "requests above the expected band", "4XXError (requests)",
           "SampleCount", 3, ANOMALY_UPPER, 300, 3, 2, "warning", "standard deviations",
           _Q.TOP_OFFENDERS, category=SECURITY, anomaly=True, minimum=0.1, maximum=10),
)


@dataclass
class GraphqlApiTarget:
    key: str
    label: str
    #: The API's id (``GraphQLAPIId``): a token for an API of this app.
    api_id: str
    #: A ``GraphqlApi``, a ``CfnGraphQLApi`` written without one, or an import.
    api: Any
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_graphql_api(target: GraphqlApiTarget, ctx: PlanContext) -> list[AlarmPlan]:
    return ctx.metric_plans(KIND, target, NAMESPACE, ((DIMENSION, target.api_id),), _METRICS)


def register_cfn_graphql_api(registrar: Registrar, cfn: Any, path: str) -> None:
    """A ``CfnGraphQLApi`` (its ``ApiId`` attribute names it in the metrics)."""
    name = literal(cfn, cfn.name)
    registrar.register(KIND, path, GraphqlApiTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        api_id=cfn.attr_api_id, api=cfn))


def register_graphql_api(registrar: Registrar, api: Any, path: str) -> None:
    """A ``GraphqlApi`` of this app (its L1 holds the literal name), or an imported one
    (``GraphqlApi.from_graphql_api_attributes``: no L1, its id is what was given)."""
    cfn = api.node.default_child
    if cfn is not None:
        name = literal(cfn, cfn.name)
    else:
        name = literal(api, api.api_id)
    registrar.register(KIND, path, GraphqlApiTarget(
        key=registrar.unique_key(name or last_id(path)), label=name or path,
        api_id=api.api_id, api=api))


GRAPHQL_API = ResourceKind(
    name=KIND,
    collection="graphql_apis",
    identifier="api_id",
    l2=lambda: loaded_classes("aws_appsync", "GraphqlApi"),
    l1=lambda: loaded_classes("aws_appsync", "CfnGraphQLApi"),
    register_l1=register_cfn_graphql_api,
    register_l2=register_graphql_api,
    # Every IGraphqlApi has it, an import too (HTTP APIs have an api_id, not this).
    member="graph_ql_endpoint_arn",
    plan_alarms=plan_graphql_api,
    checks=CHECKS,
    panels=(NAMESPACE, DIMENSION, (
        ("requests and errors", (("4XXError", "SampleCount", {"label": "requests"}),
                                 ("4XXError", "Sum", {"label": "4XX"}),
                                 ("5XXError", "Sum", {"label": "5XX"}))),
        ("latency (ms)", tuple(("Latency", st, o) for st, o in PERCENTILES)),
    )),
)
