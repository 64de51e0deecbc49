"""The apps the log-shipping and resource-logging tests share, each synthesized once.

``monitored_app()``: a service stack with an HTTP API, a REST API, a state machine and
functions, monitored by ServiceMonitoring with resource logging on and logs shipped to a
CentralLogArchive and a Kinesis stream; a second service stack uses the account policy.
The API and state machine targets are registered directly on the target lists (the
``monitor_*`` methods live on another branch).
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
from aws_cdk import aws_apigatewayv2_integrations as integrations  # noqa: E402
from aws_cdk import aws_kinesis as kinesis  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk import aws_logs_destinations as destinations  # noqa: E402
from aws_cdk import aws_stepfunctions as sfn  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from watchkeeper import ResourceLoggingOptions, ShippingOptions
from watchkeeper.constructs.central_log_archive import CentralLogArchive  # noqa: E402
from watchkeeper.constructs.service_monitoring import ServiceMonitoring  # noqa: E402

ENV = cdk.Environment(account="111111111111", region="eu-west-1")


def function(scope: Any, construct_id: str) -> lambda_.Function:
    return lambda_.Function(
        scope,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
    )


def service_resources(stack: cdk.Stack) -> dict[str, Any]:
    handler = function(stack, "Handler")
    http_api = apigwv2.HttpApi(
        stack,
        "HttpApi",
        default_integration=integrations.HttpLambdaIntegration("Integration", handler),
    )
    rest_api = apigw.LambdaRestApi(stack, "RestApi", handler=handler)
    machine = sfn.StateMachine(
        stack,
        "Workflow",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Start")),
    )
    return {"handler": handler, "http_api": http_api, "rest_api": rest_api, "machine": machine}


def register(mon: ServiceMonitoring, resources: dict[str, Any]) -> None:
    http_api, rest_api, machine = resources["http_api"], resources["rest_api"], resources["machine"]
    mon.monitor_http_api(http_api)
    mon.monitor_rest_api(rest_api)
    mon.monitor_state_machine(machine)


@dataclass
class MonitoredApp:
    app: cdk.App
    service: cdk.Stack
    archive_stack: cdk.Stack
    policy_service: cdk.Stack
    monitoring: ServiceMonitoring
    policy_monitoring: ServiceMonitoring
    archive: CentralLogArchive
    resources: dict[str, Any]
    template: Template
    archive_template: Template
    policy_template: Template


@functools.cache
def monitored_app() -> MonitoredApp:
    app = cdk.App()
    archive_stack = cdk.Stack(app, "LogArchive", env=ENV)
    archive = CentralLogArchive(archive_stack, "Archive")

    service = cdk.Stack(app, "Orders", env=ENV)
    resources = service_resources(service)
    stream = kinesis.Stream(service, "Stream", encryption=kinesis.StreamEncryption.MANAGED)
    mon = ServiceMonitoring(
        service,
        "Monitoring",
        service_name="orders",
        shipping=ShippingOptions(destinations=[archive, destinations.KinesisDestination(stream)]),
    )
    register(mon, resources)
    lambda_.Function.from_function_name(service, "Legacy", "legacy-fn")
    mon.monitor_function(lambda_.Function.from_function_name(service, "Legacy2", "legacy-fn"))

    policy_service = cdk.Stack(app, "Payments", env=ENV)
    policy_resources = service_resources(policy_service)
    policy_mon = ServiceMonitoring(
        policy_service,
        "Monitoring",
        service_name="payments",
        shipping=ShippingOptions(
            destinations=archive,
            mode="account-policy",
            excluded_log_groups=["/aws/lambda/log-router"],
        ),
        resource_logging=ResourceLoggingOptions(
            state_machine_include_execution_data=True, rest_api_execution_logging=None
        ),
    )
    register(policy_mon, policy_resources)

    assembly = app.synth()
    del assembly
    return MonitoredApp(
        app=app,
        service=service,
        archive_stack=archive_stack,
        policy_service=policy_service,
        monitoring=mon,
        policy_monitoring=policy_mon,
        archive=archive,
        resources=resources,
        template=Template.from_stack(service),
        archive_template=Template.from_stack(archive_stack),
        policy_template=Template.from_stack(policy_service),
    )


@dataclass
class PlainApp:
    """Resource logging switched off, no shipping; and imported resources only."""

    plain: Template
    imported_monitoring: ServiceMonitoring
    imported: Template


@functools.cache
def plain_app() -> PlainApp:
    app = cdk.App()
    plain = cdk.Stack(app, "Plain", env=ENV)
    resources = service_resources(plain)
    mon = ServiceMonitoring(
        plain, "Monitoring", service_name="plain",
        resource_logging=ResourceLoggingOptions(enabled=False),
    )
    register(mon, resources)

    imported = cdk.Stack(app, "Imported", env=ENV)
    imported_mon = ServiceMonitoring(imported, "Monitoring", service_name="imported")
    imported_mon.monitor_http_api(
        apigwv2.HttpApi.from_http_api_attributes(imported, "Api", http_api_id="abc123"))
    # an imported REST API is a RestApiBase too, with no stage in this app
    imported_mon.monitor_rest_api(apigw.RestApi.from_rest_api_id(imported, "Rest", "xyz789"),
                                  api_name="orders-admin")
    imported_mon.monitor_state_machine(
        sfn.StateMachine.from_state_machine_name(imported, "Machine", "orders-flow"))
    imported_mon.monitor_state_machine(sfn.StateMachine.from_state_machine_arn(
        imported, "Versioned", "arn:aws:states:eu-west-1:111111111111:stateMachine:billing-flow:3"))
    app.synth()
    return PlainApp(
        plain=Template.from_stack(plain),
        imported_monitoring=imported_mon,
        imported=Template.from_stack(imported),
    )
