"""One synthesized reference app for the alarm tests (a synth costs seconds)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
os.environ.setdefault("CDK_DISABLE_VERSION_CHECK", "true")

from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from tests.constructs.alarms.reference_app import build_service_stack  # noqa: E402
from watchkeeper import AlarmOptions, ServiceMonitoring  # noqa: E402
from watchkeeper.constructs.alarms import AlarmSettings  # noqa: E402


@dataclass
class Synthesized:
    mon: ServiceMonitoring
    template: Template
    raw: dict[str, Any]

    def alarm(self, name: str) -> dict[str, Any]:
        for resource in self.raw["Resources"].values():
            if resource["Type"].startswith("AWS::CloudWatch::") and (
                resource["Properties"].get("AlarmName") == name
            ):
                return resource["Properties"]
        raise KeyError(name)


@pytest.fixture(scope="session")
def reference() -> Synthesized:
    """The reference service, monitored with defaults plus an imported function."""
    app = cdk.App()
    stack = build_service_stack(app)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders",
                            alarms=AlarmOptions(emails=["oncall@example.com"]))
    legacy = lambda_.Function.from_function_name(stack, "Legacy", "orders-legacy-report")
    mon.monitor_function(legacy, timeout=cdk.Duration.seconds(60))
    # the busy queue worker: error rate instead of any-error (docs/alarms.md)
    worker: Any = stack.node.find_child("Worker")
    mon.monitor_function(worker, alarms={"errors": AlarmSettings(enabled=False),
                                         "error_rate": AlarmSettings(enabled=True)})
    assembly = app.synth()
    raw = assembly.get_stack_by_name("Orders").template
    return Synthesized(mon, Template.from_json(raw), raw)
