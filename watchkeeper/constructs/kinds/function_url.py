"""Lambda function URLs: discovery, target record, alarms (AWS/Lambda, dimension
FunctionName, plus Resource for a URL on an alias), dashboard panels, and the security
finding of a URL anyone can call (``AuthType: NONE``).

Lambda publishes ``UrlRequestCount``, ``Url4xxCount``, ``Url5xxCount`` (AWS recommends
Sum) and ``UrlRequestLatency`` per function (``FunctionName``: the URLs of the unqualified
function and of its aliases together) and per URL (``FunctionName`` + ``Resource``,
``<function>:<alias>``). A URL of the unqualified function is watched on FunctionName, a
URL of an alias on FunctionName + Resource. The counts are sparse (no data point in a
minute without requests), so the 4xx rate is metric math over the two counts.

A function URL is an HTTP entry point like an API: its request-count anomaly
alarm watches floods and cost attacks, on by default for a public URL, where they come
from; a URL with ``AWS_IAM`` is called by signed principals and gets it on opt-in.

The finding: a URL with ``AuthType: NONE`` is a synth warning on the URL
(``watchkeeper:public-function-url``, which the app acknowledges with
``cdk.Annotations.of(url).acknowledge_warning(...)`` when public is intended), a line on the
security dashboard with its request count, and ``findings`` in the template metadata, which
``watchkeeper check`` reads (an unacknowledged public URL is a problem there).

Sources: the metrics, the Sum statistic for the counts (Average or Maximum for the
latency) and the FunctionName / Resource dimensions are Lambda's "Monitoring Lambda
function URLs" (https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, PlanContext
from watchkeeper.constructs.alarms.settings import ANOMALY_UPPER, GT, GTE, SECURITY, Check
from watchkeeper.constructs.cdk_internals import cfn_properties
from watchkeeper.constructs.kinds.base import (
    PERCENTILES,
    Finding,
    Registrar,
    ResourceKind,
    literal,
)

NAMESPACE = "AWS/Lambda"
KIND = "function_url"
#: The id of the synth warning on a public URL (acknowledge it with this id).
PUBLIC_URL_WARNING = schema.PUBLIC_FUNCTION_URL_WARNING
#: The finding's name in the template metadata and in ``watchkeeper check``.
PUBLIC_URL_FINDING = schema.PUBLIC_FUNCTION_URL_FINDING
PUBLIC = "NONE"
#: The id ``fn.add_function_url()`` gives the URL construct (the function's id names it).
_DEFAULT_ID = "FunctionUrl"

_Q = schema.QueryName
_NB = "notBreaching"
_LATENCY_STATISTICS = ("p90", "p95", "p99", "p50", "p99.9", "Maximum", "Average")

SERVER_ERRORS = Check(
    kind=KIND, name="server_errors", title="5xx responses", metric="Url5xxCount",
    statistic="Sum", threshold=5, comparison=GTE, period=60, evaluation_periods=3,
    datapoints_to_alarm=3, treat_missing_data=_NB, severity="critical",
    category="operational", unit="responses per minute", query=_Q.RECENT_ERRORS,
)
CLIENT_ERROR_RATE = Check(
    kind=KIND, name="client_error_rate", title="4xx rate",
    metric="Url4xxCount/UrlRequestCount", statistic="Sum", threshold=0.05, comparison=GT,
    period=60, evaluation_periods=5, datapoints_to_alarm=5, treat_missing_data=_NB,
    severity="warning", category="operational", unit="share of requests (0-1)",
    query=_Q.VALIDATION_FAILURES_BY_FIELD, maximum=1,
)
LATENCY = Check(
    kind=KIND, name="latency", title="p90 latency", metric="UrlRequestLatency",
    statistic="p90", threshold=2500, comparison=GT, period=60, evaluation_periods=5,
    datapoints_to_alarm=5, treat_missing_data=_NB, severity="warning",
    category="operational", unit="ms", query=_Q.SLOWEST_INVOCATIONS,
    statistics=_LATENCY_STATISTICS,
)
TRAFFIC_ANOMALY = Check(
    kind=KIND, name="traffic_anomaly", title="requests above the expected band",
    metric="UrlRequestCount", statistic="Sum", threshold=3, comparison=ANOMALY_UPPER,
    period=300, evaluation_periods=3, datapoints_to_alarm=2, treat_missing_data=_NB,
    severity="warning", category=SECURITY, unit="standard deviations",
    query=_Q.TOP_OFFENDERS, anomaly=True, minimum=0.1, maximum=10,
    when="AuthType NONE (public); opted in (AlarmSettings(enabled=True)) for AWS_IAM",
)
CHECKS = (SERVER_ERRORS, CLIENT_ERROR_RATE, LATENCY, TRAFFIC_ANOMALY)


@dataclass
class FunctionUrlTarget:
    key: str
    label: str
    #: The function's name (literal, or a token of an in-app function): FunctionName.
    function_name: str
    #: The CDK object (``lambda_.FunctionUrl``, ``CfnUrl`` or an ``IFunctionUrl``).
    url: Any
    #: The alias the URL belongs to (Resource ``<function>:<alias>``); None: unqualified.
    qualifier: str | None = None
    #: ``NONE``, ``AWS_IAM``, or None when only known at deploy time.
    auth_type: str | None = None
    #: The URL's L1 (its logical id and path go to the metadata), when it has one.
    cfn: Any = None
    #: The construct path (named in the warning and the finding).
    path: str = ""
    alarm_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.auth_type == PUBLIC

    @property
    def dimensions(self) -> tuple[tuple[str, str], ...]:
        dims: tuple[tuple[str, str], ...] = (("FunctionName", self.function_name),)
        if self.qualifier:
            dims += (("Resource", f"{self.function_name}:{self.qualifier}"),)
        return dims


def plan_function_url(target: FunctionUrlTarget, ctx: PlanContext) -> list[AlarmPlan]:
    over = target.alarm_overrides
    dims = target.dimensions

    def metric(name: str) -> MetricRef:
        return MetricRef(NAMESPACE, name, dims)

    plans: list[AlarmPlan] = []

    def add(name: str, condition: bool, **kw: Any) -> None:
        settings = ctx.resolve(KIND, name, over)
        if ctx.wanted(settings, condition):
            plans.append(AlarmPlan(settings=settings, resource_key=target.key,
                                   label=target.label, service=ctx.service, **kw))

    add("server_errors", True, metric=metric("Url5xxCount"))
    # The counts are sparse and Lambda documents no 0/1 per request: the rate is math.
    add("client_error_rate", True, expression="IF(m2 > 0, m1 / m2, 0)",
        math_metrics=(metric("Url4xxCount"), metric("UrlRequestCount")))
    add("latency", True, metric=metric("UrlRequestLatency"))
    add("traffic_anomaly", target.public, metric=metric("UrlRequestCount"))
    return plans


def findings_of(target: FunctionUrlTarget) -> tuple[Finding, ...]:
    if not target.public:
        return ()
    return (Finding(
        check=PUBLIC_URL_FINDING, warning_id=PUBLIC_URL_WARNING, label=target.label,
        path=target.path, scope=target.url, cfn=target.cfn,
        traffic=(NAMESPACE, "UrlRequestCount", target.dimensions),
    ),)


def public_url_warning(path: str, function: str) -> str:
    return (
        f"watchkeeper: function URL {path} has AuthType NONE: anyone on the internet can "
        f"invoke {function} through it, unsigned. Fix: "
        "auth_type=FunctionUrlAuthType.AWS_IAM (callers sign their requests; CloudFront "
        "with origin access control can front it). If it is public on purpose (a webhook), "
        "verify each caller in the function (a signature or token) and acknowledge: "
        f"cdk.Annotations.of(url).acknowledge_warning('{PUBLIC_URL_WARNING}', '<why>')"
    )


def _parse_function(value: str) -> tuple[str, str | None]:
    """(name, qualifier) from TargetFunctionArn as written: an ARN, a partial ARN
    (``<account>:function:<name>``) or a name."""
    parts = value.split(":")
    if "function" in parts:
        rest = parts[parts.index("function") + 1:]
        return rest[0], (rest[1] if len(rest) > 1 and rest[1] else None)
    return value, None


def _function_of(scope: Any, arn: Any, same_stack: bool) -> tuple[str | None, str | None]:
    """(function name, qualifier in the ARN) of TargetFunctionArn: a literal, or the Arn
    of a function in the URL's stack (its Ref is the name). None when neither."""
    resolved = cdk.Stack.of(scope).resolve(arn)
    if isinstance(resolved, str):
        return _parse_function(resolved)
    get_att = resolved.get("Fn::GetAtt") if isinstance(resolved, dict) else None
    if isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == "Arn":
        if same_stack:
            return cdk.Fn.ref(get_att[0]), None
        # Another stack's function: its own Ref token, so CDK exports the name.
        stack = cdk.Stack.of(scope)
        for node in stack.node.find_all():
            if isinstance(node, lambda_.CfnFunction) and stack.resolve(
                    node.logical_id) == get_att[0]:
                return node.ref, None
    return None, None


def _key_text(name: str | None, qualifier: str | None, path: str) -> str:
    if name is not None and not cdk.Token.is_unresolved(name):
        base = f"{name}-{qualifier}" if qualifier else name
    else:
        parts = path.split("/")
        # fn.add_function_url() names the construct "FunctionUrl": the function's id says more
        base = parts[-2] if parts[-1] == _DEFAULT_ID and len(parts) > 1 else parts[-1]
    return base if base.lower().endswith("url") else f"{base}-url"


def _register(registrar: Registrar, path: str, url: Any, cfn: Any, name: str | None,
              qualifier: str | None, auth_type: str | None) -> None:
    if name is None:
        registrar.note(
            f"function URL {path}: not monitored, its function's name is known only at "
            "deploy time (Lambda publishes URL metrics per FunctionName); monitor the "
            "function's URL in the stack that defines the function")
        return
    literal_name = None if cdk.Token.is_unresolved(name) else name
    shown = (f"{literal_name}:{qualifier}" if qualifier else literal_name) if literal_name \
        else None
    target = FunctionUrlTarget(
        key=registrar.unique_key(_key_text(name, qualifier, path)),
        label=f"{shown} URL" if shown else path, function_name=name, url=url,
        qualifier=qualifier, auth_type=auth_type, cfn=cfn, path=path)
    registrar.register(KIND, path, target)
    if target.public:
        cdk.Annotations.of(url).add_warning_v2(
            PUBLIC_URL_WARNING, public_url_warning(path, shown or "its function"))


def register_cfn_url(registrar: Registrar, cfn: Any, path: str, *,
                     same_stack: bool = True) -> None:
    """A ``CfnUrl`` written without an L2 (discovery: in the monitoring's stack)."""
    props = cfn_properties(cfn)
    name, arn_qualifier = _function_of(cfn, props.get("targetFunctionArn"), same_stack)
    qualifier = literal(cfn, props.get("qualifier")) or arn_qualifier
    _register(registrar, path, cfn, cfn, name, qualifier,
              literal(cfn, props.get("authType")))


def _nameable(scope: Any, name: str) -> bool:
    """A literal, or a token the dashboards can write (a Ref: a function of the app)."""
    if not cdk.Token.is_unresolved(name):
        return True
    resolved = cdk.Stack.of(scope).resolve(name)
    return isinstance(resolved, dict) and set(resolved) == {"Ref"}


def _name_of(function: Any) -> str:
    """A function's name: the literal its L1 states (a named function), else its token."""
    cfn = function.node.default_child
    if isinstance(cfn, lambda_.CfnFunction):
        return literal(cfn, cfn.function_name) or function.function_name
    return function.function_name  # type: ignore[no-any-return]


def register_function_url(registrar: Registrar, url: Any, path: str) -> None:
    """A ``FunctionUrl`` found by discovery or given to ``monitor()`` (perhaps of another
    stack), or a ``CfnUrl`` given to ``monitor()``. ``fn.add_function_url()`` makes the
    function (or alias) the URL's scope, which names the function for any stack."""
    if isinstance(url, lambda_.CfnUrl):
        register_cfn_url(registrar, url, path, same_stack=False)
        return
    cfn = url.node.default_child
    cfn = cfn if isinstance(cfn, lambda_.CfnUrl) else None
    # The L1's TargetFunctionArn is the function's own token (the L2's function_arn is
    # the URL's FunctionArn attribute); an import has no L1 and only its scope to go by.
    arn = cfn.target_function_arn if cfn is not None else None
    scope = url.node.scope
    name: str | None = None
    qualifier: str | None = None
    if hasattr(scope, "alias_name") and hasattr(scope, "version"):
        function = scope.version.lambda_
        if arn is None or function.function_arn == arn:  # the same token: no round trip
            name, qualifier = _name_of(function), literal(scope, scope.alias_name)
    elif hasattr(scope, "function_name") and hasattr(scope, "function_arn") and (
            arn is None or scope.function_arn == arn):
        name = _name_of(scope)
    if name is not None and not _nameable(url, name):
        name = None  # e.g. Fn::Select of an imported function's ARN: not drawable
    if name is None and arn is not None:
        name, qualifier = _function_of(url, arn, same_stack=False)
    if cfn is not None:
        qualifier = literal(cfn, cfn.qualifier) or qualifier
    auth = getattr(url, "auth_type", None)
    auth_type = auth.value if isinstance(auth, lambda_.FunctionUrlAuthType) else (
        literal(url, auth) if isinstance(auth, str) else None)
    _register(registrar, path, url, cfn, name, qualifier, auth_type)


FUNCTION_URL = ResourceKind(
    name=KIND,
    collection="function_urls",
    identifier="function_name",
    l2=lambda: (lambda_.FunctionUrl,),
    l1=lambda: (lambda_.CfnUrl,),
    register_l1=register_cfn_url,
    register_l2=register_function_url,
    plan_alarms=plan_function_url,
    checks=CHECKS,
    # IFunctionUrl's own member (functions, APIs and the other kinds have none), and
    # CfnUrl's property: monitor() takes both.
    member="auth_type",
    panels=(NAMESPACE, "FunctionName", (
        ("requests and errors", (("UrlRequestCount", "Sum", {}), ("Url4xxCount", "Sum", {}),
                                 ("Url5xxCount", "Sum", {}))),
        ("latency (ms)", tuple(("UrlRequestLatency", st, o) for st, o in PERCENTILES)),
    )),
    findings=findings_of,
)
