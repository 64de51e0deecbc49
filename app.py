#!/usr/bin/env python3
"""The reference app: what watchkeeper gives a service, in two shapes.

- ``OrdersService``: a serverless service (HTTP API, three functions, a queue with a
  dead-letter queue, a table, a state machine) monitored in its own stack by one
  ``ServiceMonitoring`` line.
- ``BillingMonitoring``: a ``MonitoringStack`` for a service whose functions are deployed
  elsewhere (Serverless Framework, SAM, another stack), found by name.

Both get the security detections by default: top offenders (Contributor Insights rules on
authentication and authorisation failures by source IP and user, with alarms) and the
control-plane tampering rule (EventBridge, CloudTrail management events).

cdk-nag's AwsSolutions and Serverless packs run on every stack as validation plugins:
an unacknowledged finding fails the synth.

Environment: ``CDK_DEFAULT_ACCOUNT`` / ``CDK_DEFAULT_REGION`` (set by the CDK CLI from your
credentials), ``WATCHKEEPER_ALARM_EMAIL`` (comma-separated, optional).
"""

from __future__ import annotations

import os

import aws_cdk as cdk
import cdk_nag

from demo.orders_service import OrdersServiceStack
from watchkeeper import AlarmOptions
from watchkeeper.stacks import MonitoringStack


def build_app(app: cdk.App | None = None) -> cdk.App:
    app = app or cdk.App()
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    emails = [
        e.strip() for e in os.environ.get("WATCHKEEPER_ALARM_EMAIL", "").split(",") if e.strip()
    ]

    OrdersServiceStack(app, "OrdersService", service_name="orders", alarm_emails=emails, env=env)
    MonitoringStack(
        app,
        "BillingMonitoring",
        service_name="billing",
        function_names=["billing-prod-charge", "billing-prod-refund", "billing-prod-invoice"],
        function_timeouts={"billing-prod-charge": 30},
        alarms=AlarmOptions(emails=emails),
        env=env,
    )
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(verbose=True), cdk_nag.ServerlessChecks(verbose=True)
    )
    return app


if __name__ == "__main__":
    build_app().synth()
