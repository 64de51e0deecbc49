"""One synthesized app shared by the query and dashboard tests (a synth costs seconds).

Stack ``Orders``: an existing-looking app (an unnamed function, a named one, an imported
one, a queue, a table, a state machine, an HTTP and a REST API target) with fake alarm
details of both kinds, an extra query and an extra widget. Stack ``Big``: 50 imported
functions, so queries and log widgets must split at 50 log groups (and functions are drawn
as fleet graphs, ``function_graphs="auto"``). Stack ``Fleet``: three functions with
timeouts and an imported one, drawn as fleet graphs because the option says so.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_apigateway as apigw  # noqa: E402
from aws_cdk import aws_apigatewayv2 as apigwv2  # noqa: E402
from aws_cdk import aws_dynamodb as dynamodb  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk import aws_sqs as sqs  # noqa: E402
from aws_cdk import aws_stepfunctions as sfn  # noqa: E402

from watchkeeper import InsightsOptions, ServiceMonitoring  # noqa: E402
from watchkeeper.dashboard_layout import Widget  # noqa: E402
from watchkeeper.queries import SavedQuery  # noqa: E402

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
EXTRA_QUERY = SavedQuery(
    name="payments-declined",
    title="Declined payments",
    description="When payments fail: declined payments by reason.",
    text='filter operation = "pay" and outcome = "declined" | stats count(*) by reason',
)


@dataclass
class SynthResult:
    orders: dict[str, Any]
    big: dict[str, Any]
    fleet: dict[str, Any]
    orders_mon: ServiceMonitoring
    big_mon: ServiceMonitoring
    logical_ids: dict[str, str]


def _code() -> lambda_.Code:
    return lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


def _orders(app: cdk.App) -> tuple[cdk.Stack, ServiceMonitoring, dict[str, str]]:
    stack = cdk.Stack(app, "Orders", env=ENV)
    mon = ServiceMonitoring(
        stack,
        "Monitoring",
        service_name="orders",
        insights=InsightsOptions(extra_queries=[EXTRA_QUERY], operations_widgets=[
            Widget("text", {"markdown": "Runbook: see the wiki"}, width=24, height=2)
        ]),
    )
    create = lambda_.Function(
        stack,
        "CreateOrder",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=_code(),
        timeout=cdk.Duration.seconds(10),
    )
    lambda_.Function(
        stack,
        "GetOrder",
        function_name="orders-get",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=_code(),
    )
    mon.monitor_function(
        lambda_.Function.from_function_name(stack, "Legacy", "orders-legacy"),
        timeout=cdk.Duration.seconds(30),
    )
    queue = sqs.Queue(stack, "Jobs")
    table = dynamodb.Table(
        stack,
        "OrdersTable",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
    )
    machine = sfn.StateMachine(
        stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Start"))
    )
    # Registered before discovery runs: discovery must not monitor them a second time.
    mon.monitor_queue(queue)
    mon.monitor_table(table)
    mon.monitor_state_machine(machine)
    # APIs of another app, imported: their metrics are watched, their logging left alone.
    mon.monitor_http_api(
        apigwv2.HttpApi.from_http_api_attributes(stack, "PublicApi", http_api_id="a1b2c3d4e5")
    )
    mon.monitor_rest_api(apigw.RestApi.from_rest_api_id(stack, "AdminApi", "q1w2e3r4t5"),
                         api_name="orders-admin")
    ids = {
        "create": stack.get_logical_id(create.node.default_child),
        "queue": stack.get_logical_id(queue.node.default_child),
        "table": stack.get_logical_id(table.node.default_child),
        "flow": stack.get_logical_id(machine.node.default_child),
        "group": stack.get_logical_id(mon.service_log_group.node.default_child),
    }
    return stack, mon, ids


def _big(app: cdk.App) -> tuple[cdk.Stack, ServiceMonitoring]:
    stack = cdk.Stack(app, "Big", env=ENV)
    mon = ServiceMonitoring(
        stack,
        "Monitoring",
        service_name="big",
        insights=InsightsOptions(
            log_anomaly_detection=True,
            field_indexes=["requestId", "tenantId"],
            dashboard_name_prefix="Big_Service",
        ),
    )
    # Read before synth, the service log group is created although no function of this
    # stack writes to it (the app may hand it to functions or containers of its own).
    assert mon.service_log_group is not None
    for i in range(50):  # + the service log group = 51 groups: one more than a query takes
        mon.monitor_function(
            lambda_.Function.from_function_name(stack, f"Fn{i:02}", f"big-fn-{i:02}")
        )
    return stack, mon


def _fleet(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "Fleet", env=ENV)
    for name, timeout in (("Checkout", 10), ("Refund", 30), ("Ping", None)):
        lambda_.Function(
            stack, name, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=_code(), timeout=cdk.Duration.seconds(timeout) if timeout else None,
        )
    mon = ServiceMonitoring(stack, "Monitoring", service_name="fleet",
                            insights=InsightsOptions(function_graphs="fleet"))
    mon.monitor_function(lambda_.Function.from_function_name(stack, "Legacy", "fleet-legacy"))
    return stack


@functools.cache
def synth() -> SynthResult:
    app = cdk.App()
    orders_stack, orders_mon, ids = _orders(app)
    big_stack, big_mon = _big(app)
    fleet_stack = _fleet(app)
    assembly = app.synth()
    return SynthResult(
        orders=assembly.get_stack_by_name(orders_stack.stack_name).template,
        big=assembly.get_stack_by_name(big_stack.stack_name).template,
        fleet=assembly.get_stack_by_name(fleet_stack.stack_name).template,
        orders_mon=orders_mon,
        big_mon=big_mon,
        logical_ids=ids,
    )


def resources(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}
