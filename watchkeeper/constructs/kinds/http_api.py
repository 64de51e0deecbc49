"""API Gateway HTTP APIs: discovery, target record, alarms (AWS/ApiGateway, dimensions
ApiId and Stage) and dashboard panels. Access logging is switched on by
``resource_logging``.

HTTP APIs publish ``4xx``, ``5xx``, ``Count`` and ``Latency``; the ``Average`` of the error
metrics is the error rate (errors / requests), so the rate alarms need no metric math. Each
API also gets an anomaly-detection alarm on its request count: floods and cost attacks
enter through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.constructs import resource_logging
from watchkeeper.constructs.alarms.core import AlarmPlan, PlanContext
from watchkeeper.constructs.cdk_internals import cfn_properties, loaded_classes
from watchkeeper.constructs.kinds.api_gateway import NAMESPACE, api_gateway_checks
from watchkeeper.constructs.kinds.base import (
    PERCENTILES,
    Registrar,
    ResourceKind,
    last_id,
    literal,
)

KIND = "http_api"

CHECKS, _METRICS = api_gateway_checks(KIND, "5xx", "4xx", "xx")

@dataclass
class HttpApiTarget:
    key: str
    label: str
    api_id: str
    api: Any
    stage: str | None = "$default"
    alarm_overrides: dict[str, Any] = field(default_factory=dict)


def plan_http_api(target: HttpApiTarget, ctx: PlanContext) -> list[AlarmPlan]:
    dims: tuple[tuple[str, str], ...] = (("ApiId", target.api_id),)
    if target.stage:
        dims += (("Stage", target.stage),)
    return ctx.metric_plans(KIND, target, NAMESPACE, dims, _METRICS)


def register_cfn_api(registrar: Registrar, cfn: Any, path: str) -> None:
    """An ``apigatewayv2.CfnApi``: an HTTP API is monitored by its id (a Ref), on its
    ``$default`` stage or its only stage; a WebSocket API is named in a note."""
    props = cfn_properties(cfn)
    name = literal(cfn, props.get("name"))
    label = name or path
    protocol = literal(cfn, props.get("protocolType"))
    if protocol == "WEBSOCKET":
        registrar.note(f"WebSocket API {label}: not monitored (watchkeeper monitors HTTP "
                       "and REST APIs)")
        return
    if protocol not in (None, "HTTP"):
        registrar.note(f"API {label}: its protocol is known only at deploy time; not "
                       "monitored (pass a literal ProtocolType)")
        return
    names = [literal(s, s.stage_name) for s in resource_logging.api_stages(cfn)]
    stage = "$default" if "$default" in names else (
        names[0] if len(names) == 1 else None)
    registrar.register(KIND, path, HttpApiTarget(
        key=registrar.unique_key(name or last_id(path)), label=label,
        api_id=cfn.ref, api=cfn, stage=stage))


HTTP_API = ResourceKind(
    name=KIND,
    collection="http_apis",
    identifier="api_id",
    l2=lambda: loaded_classes("aws_apigatewayv2", "HttpApi"),
    l1=lambda: loaded_classes("aws_apigatewayv2", "CfnApi"),
    register_l1=register_cfn_api,
    plan_alarms=plan_http_api,
    checks=CHECKS,
    panels=(NAMESPACE, "ApiId", (
        ("requests and errors",
         (("Count", "Sum", {}), ("4xx", "Sum", {}), ("5xx", "Sum", {}))),
        ("latency (ms)", tuple(("Latency", st, o) for st, o in PERCENTILES)),
    )),
)
