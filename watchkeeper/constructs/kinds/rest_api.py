"""API Gateway REST APIs: discovery, target record, alarms (AWS/ApiGateway, dimensions
ApiName and Stage) and dashboard panels. Access and execution logging are switched on by
``resource_logging``.

REST APIs publish ``4XXError``, ``5XXError``, ``Count`` and ``Latency`` per ApiName, so a
REST API is monitored only when its name is known at synth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.constructs import resource_logging
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.alarms.settings import (
    ANOMALY_UPPER,
    GT,
    GTE,
    NOT_BREACHING,
    PERCENTILE_STATISTICS,
    SECURITY,
    Check,
)
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.base import PERCENTILES, Registrar, ResourceKind, literal
from watchkeeper.schema import QueryName

NAMESPACE = "AWS/ApiGateway"
KIND = "rest_api"

#: The kind's alarm checks, in the order of docs/alarms.md.
CHECKS: tuple[Check, ...] = (
    Check(KIND, "server_errors", "5XX responses", "5XXError", "Sum", 5, GTE, 60, 3, 3,
          NOT_BREACHING, "critical", "responses per minute", QueryName.RECENT_ERRORS),
    Check(KIND, "server_error_rate", "5XX rate", "5XXError", "Average", 0.05, GT, 60, 3, 3,
          NOT_BREACHING, "critical", "share of requests (0-1)", QueryName.RECENT_ERRORS, maximum=1),
    Check(KIND, "client_error_rate", "4XX rate", "4XXError", "Average", 0.05, GT, 60, 5, 5,
          NOT_BREACHING, "warning", "share of requests (0-1)",
          QueryName.VALIDATION_FAILURES_BY_FIELD, maximum=1),
    Check(KIND, "latency", "p90 latency", "Latency", "p90", 2500, GT, 60, 5, 5, NOT_BREACHING,
          "warning", "ms", QueryName.SLOWEST_INVOCATIONS, statistics=PERCENTILE_STATISTICS),
    Check(KIND, "traffic_anomaly", "requests above the expected band", "Count", "Sum", 3,
          ANOMALY_UPPER, 300, 3, 2, NOT_BREACHING, "warning", "standard deviations",
          QueryName.TOP_OFFENDERS, category=SECURITY, anomaly=True, minimum=0.1, maximum=10),
)
_METRICS = {"server_errors": "5XXError", "server_error_rate": "5XXError",
            "client_error_rate": "4XXError", "latency": "Latency",
            "traffic_anomaly": "Count"}


@dataclass
class RestApiTarget:
    key: str
    label: str
    api_name: str
    api: Any
    stage: str | None = "prod"
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_rest_api(target: RestApiTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims: tuple[tuple[str, str], ...] = (("ApiName", target.api_name),)
    if target.stage:
        dims += (("Stage", target.stage),)
    return ctx.metric_plans(KIND, target, NAMESPACE, dims, _METRICS)


def register_cfn_rest_api(registrar: Registrar, cfn: Any, path: str) -> None:
    """An ``apigateway.CfnRestApi``: monitored by its literal name, on its only stage (a
    CfnStage or a CfnDeployment's StageName) or all stages together."""
    name = literal(cfn, cfn.name)
    if not name:
        registrar.note(
            f"REST API {path}: not monitored, its name is known only at deploy time "
            "(from a token or the OpenAPI body) and CloudWatch publishes REST API "
            "metrics per ApiName; give the CfnRestApi a literal Name, or call "
            "monitor_rest_api(RestApi.from_rest_api_id(...), api_name=...)")
        return
    names = {literal(s, s.stage_name) for s in resource_logging.api_stages(cfn)}
    names |= set(resource_logging.deployment_stage_names(cfn))
    stage = next(iter(names)) if len(names) == 1 else None
    registrar.register(KIND, path, RestApiTarget(
        key=registrar.unique_key(name), label=name, api_name=name, api=cfn, stage=stage))


REST_API = ResourceKind(
    name=KIND,
    collection="rest_apis",
    identifier="api_name",
    l2=lambda: loaded_classes("aws_apigateway", "RestApiBase"),
    l1=lambda: loaded_classes("aws_apigateway", "CfnRestApi"),
    register_l1=register_cfn_rest_api,
    plan_alarms=plan_rest_api,
    checks=CHECKS,
    panels=(NAMESPACE, "ApiName", (
        ("requests and errors",
         (("Count", "Sum", {}), ("4XXError", "Sum", {}), ("5XXError", "Sum", {}))),
        ("latency (ms)", tuple(("Latency", st, o) for st, o in PERCENTILES)),
    )),
)
