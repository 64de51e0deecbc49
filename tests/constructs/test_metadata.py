"""What the template metadata attributes to watchkeeper (the ``created`` list that
``watchkeeper report`` counts and prices): what is under the ServiceMonitoring, never the
app's own resources, whatever the app names its attributes; all of a MonitoringStack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from watchkeeper import ServiceMonitoring
from watchkeeper.schema import TemplateMetadata
from watchkeeper.stacks import MonitoringStack

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


class OrdersStack(cdk.Stack):
    """An app stack that keeps its monitoring in an attribute named ``monitoring``, as
    many apps (and MonitoringStack) do."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, env=ENV)
        self.function = lambda_.Function(
            self, "Create", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_inline("def handler(e, c):\n    return e\n"))
        self.monitoring = ServiceMonitoring(self, "Monitoring", service_name="orders")


@pytest.fixture(scope="module")
def templates() -> dict[str, dict]:
    app = cdk.App()
    OrdersStack(app, "Orders")
    MonitoringStack(app, "Billing", service_name="billing", function_names=["billing-charge"],
                    env=ENV)
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in ("Orders", "Billing")}


def _created(template: dict) -> set[str]:
    return set(template["Metadata"]["Watchkeeper"]["services"][0][TemplateMetadata.CREATED])


def test_the_apps_own_resources_are_never_attributed_to_watchkeeper(templates):
    template = templates["Orders"]
    created = _created(template)
    app_own = {lid for lid in template["Resources"] if lid.startswith("Create")}
    assert app_own  # the function and its role
    assert created & app_own == set()
    alarms = {lid for lid, r in template["Resources"].items()
              if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms and alarms <= created


def test_a_monitoring_stack_is_watchkeepers_whole(templates):
    template = templates["Billing"]
    assert _created(template) == set(template["Resources"])
