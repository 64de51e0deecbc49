"""Central log shipping: subscription filters, the account policy, validation."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from _shipping_app import ENV, function, monitored_app
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from watchkeeper import ShippingOptions
from watchkeeper.constructs.log_shipping import (
    LogShippingSettings,
    ship_log_groups,
)
from watchkeeper.constructs.service_monitoring import ServiceMonitoring

CROSS_ACCOUNT_ARN = "arn:aws:logs:eu-west-1:222222222222:destination:central"


def _filters(template) -> list[dict]:
    return [
        r["Properties"] for r in template.find_resources("AWS::Logs::SubscriptionFilter").values()
    ]


def test_every_service_log_group_is_subscribed_to_each_destination_with_stable_names():
    built = monitored_app()
    t = built.template
    filters = _filters(t)
    groups = {json.dumps(f["LogGroupName"], sort_keys=True) for f in filters}
    # service log group, API access logs, state machine logs, and the imported function's group
    assert len(groups) == 4
    assert json.dumps("/aws/lambda/legacy-fn") in groups
    for group in groups:
        names = sorted(
            f["FilterName"]
            for f in filters
            if json.dumps(f["LogGroupName"], sort_keys=True) == group
        )
        assert names == ["watchkeeper-orders-1", "watchkeeper-orders-2"]
    assert {f["FilterPattern"] for f in filters} == {""}
    assert len(built.monitoring.subscription_filters) == 8


def test_archive_destination_uses_the_stream_and_the_archive_logs_role():
    filters = [
        f for f in _filters(monitored_app().template) if f["FilterName"] == "watchkeeper-orders-1"
    ]
    for f in filters:
        assert "ArchiveStream" in f["DestinationArn"]["Fn::ImportValue"]
        assert "ArchiveLogsRole" in f["RoleArn"]["Fn::ImportValue"]


def test_account_policy_subscribes_the_account_minus_exclusions():
    built = monitored_app()
    t = built.policy_template
    assert _filters(t) == []
    (policy,) = t.find_resources("AWS::Logs::AccountPolicy").values()
    props = policy["Properties"]
    assert props["PolicyType"] == "SUBSCRIPTION_FILTER_POLICY"
    assert props["Scope"] == "ALL"
    assert props["PolicyName"] == "watchkeeper-payments-subscription"
    document = props["PolicyDocument"]["Fn::Join"][1]
    assert document[0] == '{"DestinationArn":"'
    assert '","FilterPattern":"","Distribution":"Random","RoleArn":"' in document
    criteria = props["SelectionCriteria"]["Fn::Join"][1]
    assert criteria[0] == 'LogGroupName NOT IN ["/aws/lambda/log-router","'
    assert "ArchiveDeliveryErrors" in criteria[1]["Fn::ImportValue"]
    assert built.policy_monitoring.account_subscription_policy is not None


def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Direct", env=ENV)


def test_referenced_log_groups_can_be_left_out():
    stack = _stack()
    mon = ServiceMonitoring(
        stack,
        "M",
        service_name="svc",
        shipping=ShippingOptions(
            destinations=CROSS_ACCOUNT_ARN, include_referenced_log_groups=False
        ),
    )
    mon.monitor_function(lambda_.Function.from_function_name(stack, "F", "other"))
    group = mon.service_log_group  # read before synth: created (the app may write to it)
    assert group is not None
    Template.from_stack(stack)  # synthesizes: the monitoring is built
    names = [stack.resolve(f.node.default_child.log_group_name) for f in mon.subscription_filters]
    assert names == [{"Ref": stack.get_logical_id(group.node.default_child)}]


def test_cross_account_arn_needs_no_role():
    stack = _stack()
    group = logs.LogGroup(stack, "G")
    settings = LogShippingSettings.build(ship_logs_to=CROSS_ACCOUNT_ARN)
    (created,) = ship_log_groups(stack, service_name="svc", log_groups=[group], settings=settings)
    cfn = created.node.default_child
    assert cfn.destination_arn == CROSS_ACCOUNT_ARN
    assert cfn.role_arn is None
    assert cfn.filter_name == "watchkeeper-svc-1"


def test_filter_pattern_restricts_what_is_shipped():
    stack = _stack()
    group = logs.LogGroup(stack, "G")
    settings = LogShippingSettings.build(
        ship_logs_to=CROSS_ACCOUNT_ARN, filter_pattern='{ $.level = "ERROR" }'
    )
    (created,) = ship_log_groups(stack, service_name="svc", log_groups=[group], settings=settings)
    assert created.node.default_child.filter_pattern == '{ $.level = "ERROR" }'


def test_more_than_two_filters_on_one_log_group_is_refused_naming_the_group_and_filters():
    stack = _stack()
    group = logs.LogGroup(stack, "Busy")
    logs.SubscriptionFilter(
        stack,
        "Existing",
        log_group=group,
        destination=destinations.LambdaDestination(function(stack, "Router")),
        filter_pattern=logs.FilterPattern.all_events(),
    )
    settings = LogShippingSettings.build(
        ship_logs_to=[CROSS_ACCOUNT_ARN, "arn:aws:logs:eu-west-1:333333333333:destination:second"]
    )
    with pytest.raises(ValueError) as error:
        ship_log_groups(stack, service_name="svc", log_groups=[group], settings=settings)
    message = str(error.value)
    assert "Direct/Busy would get 3 subscription filters" in message
    assert "Direct/Existing" in message
    assert "allows 2 per log group" in message


def test_a_lambda_destination_that_is_itself_monitored_is_refused():
    app = cdk.App()
    stack = cdk.Stack(app, "Loop", env=ENV)
    router = function(stack, "Router")
    ServiceMonitoring(
        stack, "M", service_name="loop",
        shipping=ShippingOptions(destinations=destinations.LambdaDestination(router)),
    )
    with pytest.raises(RuntimeError, match=(
            r"Validation failed with the following errors:\s+\[Loop/M\] watchkeeper: "
            r"ship_logs_to: the Lambda destination .* endless loop; pass exclude")):
        app.synth()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"destinations": "orders-stream"},
            "ShippingOptions.destinations='orders-stream' is not a CloudWatch Logs destination "
            "ARN",
        ),
        (
            {"destinations": 42},
            "ShippingOptions.destinations=42 is not a supported log destination: use "
            "aws_logs_destinations",
        ),
        ({"destinations": []}, r"ShippingOptions.destinations=\[\] names no destination"),
        (
            {"destinations": [CROSS_ACCOUNT_ARN] * 3},
            "ShippingOptions.destinations names 3 destinations: CloudWatch Logs allows 2 "
            "subscription filters",
        ),
        (
            {"destinations": CROSS_ACCOUNT_ARN, "mode": "firehose"},
            "ShippingOptions.mode='firehose' is not allowed",
        ),
        (
            {
                "destinations": [
                    CROSS_ACCOUNT_ARN,
                    "arn:aws:logs:eu-west-1:333333333333:destination:x",
                ],
                "mode": "account-policy",
            },
            "account-policy' takes one destination",
        ),
        (
            {"destinations": CROSS_ACCOUNT_ARN, "excluded_log_groups": ["/x"]},
            "applies to ShippingOptions.mode='account-policy' only",
        ),
        (
            {"destinations": CROSS_ACCOUNT_ARN, "filter_pattern": "x" * 1025},
            "at most 1024 characters",
        ),
    ],
)
def test_bad_shipping_options_are_rejected_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ShippingOptions(**kwargs)


def test_unsupported_cdk_object_and_lambda_in_account_policy_are_rejected():
    stack = _stack()
    with pytest.raises(ValueError, match="is not a supported log destination"):
        LogShippingSettings.build(ship_logs_to=s3.Bucket(stack, "B"))
    lambda_destination = destinations.LambdaDestination(function(stack, "Fn"))
    with pytest.raises(
        ValueError, match="account-policy' with a LambdaDestination is not supported"
    ):
        LogShippingSettings.build(ship_logs_to=lambda_destination, mode="account-policy")
    with pytest.raises(ValueError, match="names the same destination twice"):
        LogShippingSettings.build(ship_logs_to=[lambda_destination, lambda_destination])


def test_no_shipping_by_default():
    stack = _stack()
    mon = ServiceMonitoring(stack, "M", service_name="svc")
    Template.from_stack(stack)  # synthesizes: the monitoring is built
    assert mon.log_shipping is None
    assert mon.subscription_filters == []
    assert mon.account_subscription_policy is None
