"""The demo orders service stack: what it deploys, asserted on the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match
from cfnlint.api import lint
from cfnlint.config import ManualArgs

from demo.orders_handlers import order_status
from demo.orders_service import HANDLERS_DIR, SERVICE_ENV_VAR, OrdersServiceStack

FUNCTIONS = {
    # construct attribute: (function name, handler, timeout in seconds)
    "create_order_fn": ("orders-create-order", "create_order.handler", 10),
    "get_order_fn": ("orders-get-order", "get_order.handler", 10),
    "process_payment_fn": ("orders-process-payment", "process_payment.handler", 30),
}


def _logical_id(orders, construct: Any) -> str:
    return orders.stack.get_logical_id(construct.node.default_child)


def _only(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, resources
    return next(iter(resources.items()))


def _join_literals(value: Any) -> str:
    """The literal text of a string that may be an ``Fn::Join`` (tokens dropped)."""
    if isinstance(value, str):
        return value
    return "".join(part for part in value["Fn::Join"][1] if isinstance(part, str))


# --- attributes --------------------------------------------------------------------------


def test_functions_attribute_lists_the_three_functions_in_order(orders):
    stack = orders.stack
    assert stack.functions == [stack.create_order_fn, stack.get_order_fn, stack.process_payment_fn]
    assert all(isinstance(fn, lambda_.Function) for fn in stack.functions)


def test_every_resource_attribute_is_in_the_template(orders):
    stack = orders.stack
    resources = orders.template.to_json()["Resources"]
    for construct in (
        stack.http_api,
        stack.queue,
        stack.dead_letter_queue,
        stack.table,
        stack.state_machine,
        stack.payment_retry_rule,
        stack.retry_dead_letter_queue,
        *stack.functions,
    ):
        assert _logical_id(orders, construct) in resources


# --- functions ---------------------------------------------------------------------------


def test_three_functions_and_no_more(orders):
    orders.template.resource_count_is("AWS::Lambda::Function", 3)


@pytest.mark.parametrize("attribute", FUNCTIONS)
def test_function_settings(orders, attribute: str):
    name, handler, timeout = FUNCTIONS[attribute]
    fn = getattr(orders.stack, attribute)
    props = orders.template.to_json()["Resources"][_logical_id(orders, fn)]["Properties"]
    assert props["FunctionName"] == name
    assert props["Handler"] == handler
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Timeout"] == timeout
    assert props["MemorySize"] == 256
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Environment"]["Variables"][SERVICE_ENV_VAR] == "orders"
    assert props["Environment"]["Variables"]["TABLE_NAME"] == {
        "Ref": _logical_id(orders, orders.stack.table)
    }


@pytest.mark.parametrize("attribute", FUNCTIONS)
def test_handler_module_exists_in_the_code_asset(attribute: str):
    module = FUNCTIONS[attribute][1].split(".")[0]
    assert (HANDLERS_DIR / f"{module}.py").is_file()


def test_create_order_gets_the_queue_url_and_payment_gets_the_state_machine(
    orders,
):
    resources = orders.template.to_json()["Resources"]
    create_env = resources[_logical_id(orders, orders.stack.create_order_fn)]["Properties"][
        "Environment"
    ]["Variables"]
    payment_env = resources[_logical_id(orders, orders.stack.process_payment_fn)]["Properties"][
        "Environment"
    ]["Variables"]
    assert create_env["QUEUE_URL"] == {"Ref": _logical_id(orders, orders.stack.queue)}
    assert create_env["TRUSTED_ACCOUNT_IDS"] == orders.stack.account
    assert payment_env["STATE_MACHINE_ARN"] == {
        "Ref": _logical_id(orders, orders.stack.state_machine)
    }


def test_no_log_retention_custom_resource(orders):
    orders.template.resource_count_is("Custom::LogRetention", 0)


def _policy_actions(orders, fn: lambda_.Function) -> set[str]:
    role_id = orders.stack.get_logical_id(fn.role.node.default_child)
    policies = orders.template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}}
    )
    actions: set[str] = set()
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            action = statement["Action"]
            actions.update([action] if isinstance(action, str) else action)
    return actions


def test_each_function_may_make_only_the_calls_its_code_makes(orders):
    xray = {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}
    stack = orders.stack
    assert _policy_actions(orders, stack.get_order_fn) - xray == {"dynamodb:GetItem"}
    assert _policy_actions(orders, stack.create_order_fn) - xray == {
        "dynamodb:PutItem",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert _policy_actions(orders, stack.process_payment_fn) - xray == {
        "dynamodb:UpdateItem",
        "states:StartExecution",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }


# --- HTTP API ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route_key", "attribute"),
    [("POST /orders", "create_order_fn"), ("GET /orders/{orderId}", "get_order_fn")],
)
def test_route_is_iam_authorized_and_integrates_its_function(
    orders, route_key: str, attribute: str
):
    template = orders.template
    _, route = _only(
        template.find_resources("AWS::ApiGatewayV2::Route", {"Properties": {"RouteKey": route_key}})
    )
    assert route["Properties"]["AuthorizationType"] == "AWS_IAM"
    integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
    integration = template.to_json()["Resources"][integration_id]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == {
        "Fn::GetAtt": [_logical_id(orders, getattr(orders.stack, attribute)), "Arn"]
    }


def test_api_has_exactly_the_two_routes(orders):
    orders.template.resource_count_is("AWS::ApiGatewayV2::Route", 2)


def test_default_stage_is_throttled_and_kept_as_default_stage(orders):
    assert orders.stack.http_api.default_stage is not None
    orders.template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
        },
    )


# --- queue, table, state machine ---------------------------------------------------------


def test_queue_redrives_to_the_dead_letter_queue_after_three_receives(orders):
    props = orders.template.to_json()["Resources"][_logical_id(orders, orders.stack.queue)][
        "Properties"
    ]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {
            "Fn::GetAtt": [_logical_id(orders, orders.stack.dead_letter_queue), "Arn"]
        },
        "maxReceiveCount": 3,
    }
    assert props["SqsManagedSseEnabled"] is True
    # Six times the payment function's 30 s timeout.
    assert props["VisibilityTimeout"] == 180


def test_dead_letter_queue_keeps_messages_fourteen_days(orders):
    orders.template.has_resource_properties(
        "AWS::SQS::Queue",
        {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True},
    )


@pytest.mark.parametrize("attribute", ["queue", "dead_letter_queue", "retry_dead_letter_queue"])
def test_queues_refuse_requests_without_tls(orders, attribute: str):
    queue_id = _logical_id(orders, getattr(orders.stack, attribute))
    orders.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_payment_retry_rule_puts_the_events_detail_on_the_payments_queue(orders):
    rule_id, rule = _only(orders.template.find_resources("AWS::Events::Rule", {
        "Properties": {"Name": "orders-payment-retry"}}))
    props = rule["Properties"]
    assert props["EventPattern"] == {"source": ["orders.support"],
                                     "detail-type": ["Payment Retry Requested"]}
    assert "EventBusName" not in props  # the default bus
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_logical_id(orders, orders.stack.queue), "Arn"]}
    assert target["InputPath"] == "$.detail"  # {"orderId": ...}, what process_payment reads
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [
        _logical_id(orders, orders.stack.retry_dead_letter_queue), "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8,
                                     "MaximumEventAgeInSeconds": 7200}


def test_payment_retry_rule_is_monitored_and_its_dead_letter_queue_alarms(orders):
    monitoring = orders.stack.monitoring
    (rule,) = monitoring.targets_of("event_rule")
    assert (rule.rule_name, rule.event_bus_name) == ("orders-payment-retry", None)
    retry_dlq = next(q for q in monitoring.targets_of("queue")
                     if q.label.endswith("/PaymentRetryDeadLetterQueue"))
    assert (retry_dlq.is_dead_letter_queue, retry_dlq.source_label) == (
        True, "orders-payment-retry")
    names = {a.name for a in monitoring.alarm_details}
    assert {"orders-payment-retry-failed-invocations", "orders-payment-retry-throttled",
            "orders-payment-retry-dead-letter-invocations",
            "orders-payment-retry-dlq-delivery-failures",
            "orders-payment-retry-dead-letter-queue-dlq-messages"} <= names


def test_payment_function_consumes_the_queue_with_partial_batch_failures(
    orders,
):
    orders.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": _logical_id(orders, orders.stack.process_payment_fn)},
            "EventSourceArn": {"Fn::GetAtt": [_logical_id(orders, orders.stack.queue), "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "ScalingConfig": {"MaximumConcurrency": 5},
        },
    )


def test_table_is_on_demand_with_pitr_and_encryption(orders):
    orders.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
                "DeletionProtectionEnabled": False,
            },
            "DeletionPolicy": "Delete",
        },
    )


def test_state_machine_is_standard_and_traced(orders):
    orders.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "orders-fulfilment",
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
        },
    )


def test_state_machine_flow(orders):
    _, machine = _only(orders.template.find_resources("AWS::StepFunctions::StateMachine"))
    definition = json.loads(_join_literals(machine["Properties"]["DefinitionString"]))
    states = definition["States"]
    assert definition["StartAt"] == "CancellationWindow"
    assert definition["TimeoutSeconds"] == 15 * 60
    assert {name: state["Type"] for name, state in states.items()} == {
        "CancellationWindow": "Wait",
        "ReadOrder": "Task",
        "CheckStatus": "Choice",
        "MarkFulfilled": "Task",
        "Fulfilled": "Succeed",
        "Cancelled": "Fail",
        "NotPaid": "Fail",
    }
    choices = {c["StringEquals"]: c["Next"] for c in states["CheckStatus"]["Choices"]}
    assert choices == {order_status.PAID: "MarkFulfilled", order_status.CANCELLED: "Cancelled"}
    assert states["CheckStatus"]["Default"] == "NotPaid"
    assert states["ReadOrder"]["Resource"].endswith(":states:::dynamodb:getItem")
    assert states["MarkFulfilled"]["Resource"].endswith(":states:::dynamodb:updateItem")
    assert states["MarkFulfilled"]["Parameters"]["ExpressionAttributeValues"] == {
        ":fulfilled": {"S": order_status.FULFILLED},
        ":paid": {"S": order_status.PAID},
    }


# --- static checks -----------------------------------------------------------------------


def test_template_passes_cfn_lint(orders):
    # W3005 (redundant DependsOn) is how CDK writes dependencies; nothing else is ignored.
    config = ManualArgs(regions=[orders.stack.region], ignore_checks=["W3005"])
    matches = lint(json.dumps(orders.template.to_json()), config=config)
    assert [str(m) for m in matches] == []


# --- options -----------------------------------------------------------------------------


def test_data_removal_policy_retain_keeps_table_and_queues():
    stack = OrdersServiceStack(cdk.App(), "Retained", data_removal_policy=cdk.RemovalPolicy.RETAIN)
    for construct in (stack.table, stack.queue, stack.dead_letter_queue,
                      stack.retry_dead_letter_queue):
        resource = construct.node.default_child
        assert resource.cfn_options.deletion_policy == cdk.CfnDeletionPolicy.RETAIN
    assert stack.table.node.default_child.deletion_protection_enabled is True


def test_service_name_is_used_in_physical_names():
    stack = OrdersServiceStack(cdk.App(), "Carts", service_name="carts")
    assert stack.service_name == "carts"
    names = [fn.node.default_child.function_name for fn in stack.functions]
    assert names == ["carts-create-order", "carts-get-order", "carts-process-payment"]


@pytest.mark.parametrize("bad", ["Orders", "-orders", "orders_", "", "a" * 41, 7])
def test_invalid_service_name_is_rejected_naming_option_and_value(bad: Any):
    with pytest.raises(ValueError, match=r"service_name must be 1-40 characters") as error:
        OrdersServiceStack(cdk.App(), "Bad", service_name=bad)
    assert repr(bad) in str(error.value)


def test_invalid_data_removal_policy_is_rejected():
    with pytest.raises(ValueError, match=r"data_removal_policy must be an aws_cdk.RemovalPolicy"):
        OrdersServiceStack(cdk.App(), "Bad", data_removal_policy="destroy")  # type: ignore[arg-type]
