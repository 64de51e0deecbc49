"""CDK's built-in CloudFormation validation finds nothing in watchkeeper's templates.

Since aws-cdk-lib 2.27x every ``cdk synth`` runs a CloudFormation validator (the
"CloudFormation Validate" plugin) and prints what it finds as warnings. The other suites
switch it off for speed (tests/conftest.py sets ``CDK_VALIDATION=false``) and lint with
cfn-lint; this module runs it the way a user's synth does, in a process of its own, on the
reference app's stacks, and on a template with a known fault to show that it reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "CloudFormation Validate"

_SCRIPT = """
import sys
import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from demo.orders_service import OrdersServiceStack
from watchkeeper.stacks import MonitoringStack

env = cdk.Environment(account="123456789012", region="eu-west-1")
reference = cdk.App(outdir=sys.argv[1])
OrdersServiceStack(reference, "OrdersService", service_name="orders", env=env)
MonitoringStack(reference, "BillingMonitoring", service_name="billing", env=env,
                function_names=["billing-prod-charge", "billing-prod-refund"])
reference.synth()

faulty = cdk.App(outdir=sys.argv[2])
stack = cdk.Stack(faulty, "Faulty", env=env)
alarm = cloudwatch.CfnAlarm(
    stack, "Alarm", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
    metric_name="Errors", namespace="AWS/Lambda", period=60, statistic="Sum", threshold=1)
alarm.add_property_override("TreatMissingData", "sometimes")
faulty.synth()
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("builtin-validation")
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"}
    subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(base / "reference"), str(base / "faulty")],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=600,
    )
    return {name: json.loads((base / name / "validation-report.json").read_text())
            for name in ("reference", "faulty")}


def _violations(report: dict) -> list[dict]:
    return [v for plugin in report["pluginReports"] if plugin["pluginName"] == PLUGIN
            for v in plugin["violations"]]


def test_the_validator_reports_a_known_fault(reports) -> None:
    (violation,) = _violations(reports["faulty"])
    assert "TreatMissingData" in violation["description"]


def test_the_reference_stacks_have_no_finding(reports) -> None:
    assert [(v["ruleName"], v["description"],
             [c["constructPath"] for c in v["violatingConstructs"]])
            for v in _violations(reports["reference"])] == []
