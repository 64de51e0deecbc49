"""Log anomaly detectors that CloudWatch Logs accepts: ARNs without ``:*``, KMS key policy.

One app, built the way a team writes it (cdk.json's feature flags, a KMS key of its own,
a custom role, explicit names, several stacks), synthesized once for the module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from watchkeeper import FunctionLoggingOptions, InsightsOptions, LogGroupOptions, ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

REPO_ROOT = Path(__file__).resolve().parents[2]
DETECTOR = "AWS::Logs::LogAnomalyDetector"
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ACCOUNT, REGION = "111122223333", "eu-west-1"
#: sorted, as the minimizePolicies flag of cdk.json renders them
KEY_ACTIONS = [
    "kms:Decrypt*",
    "kms:Describe*",
    "kms:Encrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
]


@dataclass
class Synthesized:
    orders: dict[str, Any]  # env-agnostic, a key of its own
    billing: dict[str, Any]  # explicit env, a log group per function, no key
    shipping: dict[str, Any]  # an imported key
    orders_mon: ServiceMonitoring
    shipping_mon: ServiceMonitoring


def _function(stack: cdk.Stack, construct_id: str, **kwargs: Any) -> lambda_.Function:
    return lambda_.Function(
        stack,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=CODE,
        **kwargs,
    )


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(context=context)

    orders = cdk.Stack(app, "Orders")
    key = kms.Key(orders, "LogsKey", enable_key_rotation=True)
    role = iam.Role(orders, "CreateRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    _function(orders, "Create", function_name="orders-create", role=role)
    orders_mon = ServiceMonitoring(
        orders,
        "Monitoring",
        service_name="orders",
        log_groups=LogGroupOptions(encryption_key=key),
        insights=InsightsOptions(log_anomaly_detection=True),
        function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups=True),
        # (cdk.json's flag would keep the function in CDK's group: no service log group)
    )

    billing = cdk.Stack(app, "Billing", env=cdk.Environment(account=ACCOUNT, region=REGION))
    _function(billing, "Charge", function_name="billing-charge")
    _function(billing, "Refund")
    billing_mon = ServiceMonitoring(
        billing,
        "Monitoring",
        service_name="billing",
        log_groups=LogGroupOptions(per_function=True),
        insights=InsightsOptions(log_anomaly_detection=True),
        function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups=True),
        # cdk.json's useCdkManagedLogGroup gives each function a group of CDK's, which
        # would be kept: move them into groups of watchkeeper's
    )
    # referenced only: its log group belongs to another app, so it gets no detector
    billing_mon.monitor_function(
        lambda_.Function.from_function_name(billing, "Legacy", "billing-legacy"),
        timeout=cdk.Duration.seconds(30),
    )

    shipping = cdk.Stack(app, "Shipping", env=cdk.Environment(account=ACCOUNT, region=REGION))
    imported = kms.Key.from_key_arn(
        shipping,
        "SharedKey",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    _function(shipping, "Ship", function_name="shipping-ship")
    shipping_mon = ServiceMonitoring(
        shipping,
        "Monitoring",
        service_name="shipping",
        log_groups=LogGroupOptions(encryption_key=imported),
        insights=InsightsOptions(log_anomaly_detection=True),
        function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups=True),
    )

    assembly = app.synth()
    return Synthesized(
        orders=assembly.get_stack_by_name("Orders").template,
        billing=assembly.get_stack_by_name("Billing").template,
        shipping=assembly.get_stack_by_name("Shipping").template,
        orders_mon=orders_mon,
        shipping_mon=shipping_mon,
    )


def _of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def _arn_without_wildcard(region: Any, account: Any, group_id: str) -> dict[str, Any]:
    """``arn:<partition>:logs:<region>:<account>:log-group:<name>`` as CDK's format_arn
    renders it (a literal region also fixes the partition; literals merge)."""
    if isinstance(region, str):
        head: list[Any] = [f"arn:aws:logs:{region}:{account}:log-group:"]
    else:
        head = ["arn:", {"Ref": "AWS::Partition"}, ":logs:", region, ":", account, ":log-group:"]
    return {"Fn::Join": ["", [*head, {"Ref": group_id}]]}


def test_detector_arn_lists_name_the_log_group_without_the_wildcard(synth) -> None:
    cases = (
        (synth.orders, {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}),
        (synth.billing, REGION, ACCOUNT),
        (synth.shipping, REGION, ACCOUNT),
    )
    for template, region, account in cases:
        # the groups watchkeeper created for the service's logs (not CDK's groups of the
        # functions, not the log group ensurer's own)
        groups = sorted(
            k for k, r in _of_type(template, "AWS::Logs::LogGroup").items()
            if str(r["Properties"].get("LogGroupName", "")).startswith("/watchkeeper/"))
        detectors = _of_type(template, DETECTOR).values()
        named = sorted(
            item["Fn::Join"][1][-1]["Ref"]
            for d in detectors
            for item in d["Properties"]["LogGroupArnList"]
        )
        assert named == groups  # one detector per created log group
        for detector in detectors:
            (item,) = detector["Properties"]["LogGroupArnList"]
            group_id = item["Fn::Join"][1][-1]["Ref"]
            assert item == _arn_without_wildcard(region, account, group_id)
            assert ":*" not in json.dumps(item)
            # a literal group name leaves no reference to order the two by
            assert group_id in detector["DependsOn"]


def test_billing_gets_one_detector_per_function_log_group(synth) -> None:
    names = sorted(
        d["Properties"]["DetectorName"] for d in _of_type(synth.billing, DETECTOR).values()
    )
    assert names == ["billing-logs", "billing-logs-2"]
    assert all(
        "KmsKeyId" not in d["Properties"] for d in _of_type(synth.billing, DETECTOR).values()
    )


def test_detector_is_encrypted_with_the_key_whose_policy_lets_cloudwatch_logs_use_it(
    synth,
) -> None:
    template = Template.from_json(synth.orders)
    (key_id,) = [k for k in _of_type(synth.orders, "AWS::KMS::Key") if k.startswith("LogsKey")]
    template.has_resource_properties(DETECTOR, {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    detectors = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":anomaly-detector:*",
            ],
        ]
    }
    logs_principal = {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    statements = [
        Match.object_like(
            {
                "Effect": "Allow",
                "Principal": logs_principal,
                "Action": KEY_ACTIONS,
                "Resource": "*",
                "Condition": {"ArnLike": {context_key: detectors}},
            }
        )
        for context_key in (
            "kms:EncryptionContext:aws:logs:arn",
            "kms:EncryptionContext:aws-crypto-ec:aws:logs:arn",
        )
    ]
    template.has_resource_properties(
        "AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with(statements)}}
    )
    assert len(synth.orders_mon.anomaly_detector_key_statements) == 2


def test_an_imported_key_is_named_but_its_policy_is_left_alone(synth) -> None:
    (detector,) = _of_type(synth.shipping, DETECTOR).values()
    assert detector["Properties"]["KmsKeyId"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert synth.shipping_mon.anomaly_detector_key_statements == []


@pytest.mark.parametrize("stack", ["orders", "billing", "shipping"])
def test_templates_pass_cfn_lint(synth, stack: str) -> None:
    assert lint_template(getattr(synth, stack)) == []
