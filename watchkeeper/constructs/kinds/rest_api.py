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
from watchkeeper.constructs.cdk_internals import loaded_classes
from watchkeeper.constructs.kinds.api_gateway import NAMESPACE, api_gateway_checks
from watchkeeper.constructs.kinds.base import PERCENTILES, Registrar, ResourceKind, literal

KIND = "rest_api"

CHECKS, _METRICS = api_gateway_checks(KIND, "5XXError", "4XXError", "XX")

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
