"""Payments queue consumer: partial batch failures, idempotency, and what it logs."""

from __future__ import annotations

import json

import process_payment
from botocore.stub import ANY
from handler_support import STATE_MACHINE_ARN, TABLE_NAME, lambda_context

from watchkeeper.schema import Field

ORDER_A = "0b6f5a3c-2d4e-4f8a-9b1c-7d2e3f4a5b6c"
ORDER_B = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def _record(message_id: str, body: object) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"messageId": message_id, "body": text, "eventSource": "aws:sqs"}


def _call(*records: dict) -> dict:
    return process_payment.handler(
        {"Records": list(records)}, lambda_context("orders-process-payment")
    )


def _expect_paid(dynamodb, order_id: str) -> None:
    dynamodb.add_response(
        "update_item",
        {},
        {
            "TableName": TABLE_NAME,
            "Key": {"orderId": {"S": order_id}},
            "UpdateExpression": "SET #status = :paid, paidAt = :now",
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":paid": {"S": "PAID"},
                ":pending": {"S": "PENDING_PAYMENT"},
                ":now": ANY,
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )


def _expect_not_pending(dynamodb, status: str | None) -> None:
    dynamodb.add_client_error(
        "update_item",
        service_error_code="ConditionalCheckFailedException",
        http_status_code=400,
        modeled_fields={} if status is None else {"Item": {"status": {"S": status}}},
    )


def _expect_started(stepfunctions, order_id: str) -> None:
    stepfunctions.add_response(
        "start_execution",
        {"executionArn": f"{STATE_MACHINE_ARN}:{order_id}", "startDate": "2026-01-01"},
        {
            "stateMachineArn": STATE_MACHINE_ARN,
            "name": order_id,
            "input": json.dumps({"orderId": order_id}),
        },
    )


def test_a_good_batch_marks_each_order_paid_and_starts_fulfilment(stub, logs):
    dynamodb, stepfunctions = stub(process_payment.dynamodb), stub(process_payment.stepfunctions)
    for order_id in (ORDER_A, ORDER_B):
        _expect_paid(dynamodb, order_id)
        _expect_started(stepfunctions, order_id)

    result = _call(_record("m-1", {"orderId": ORDER_A}), _record("m-2", {"orderId": ORDER_B}))

    assert result == {"batchItemFailures": []}
    messages = [r[Field.MESSAGE] for r in logs.records()]
    assert messages == [f"Order {ORDER_A} paid", f"Order {ORDER_B} paid"]


def test_poison_message_fails_alone_and_is_logged_with_its_exception(stub, logs):
    dynamodb, stepfunctions = stub(process_payment.dynamodb), stub(process_payment.stepfunctions)
    _expect_paid(dynamodb, ORDER_B)
    _expect_started(stepfunctions, ORDER_B)

    result = _call(
        _record("m-bad-json", "{not json"),
        _record("m-no-id", {"amount": 3}),
        _record("m-good", {"orderId": ORDER_B}),
    )

    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m-bad-json"}, {"itemIdentifier": "m-no-id"}]
    }
    errors = [r for r in logs.records() if r[Field.LEVEL] == "ERROR"]
    assert [e[Field.MESSAGE] for e in errors] == [
        "Payment message failed: m-bad-json",
        "Payment message failed: m-no-id",
    ]
    assert {e[Field.ERROR_TYPE] for e in errors} == {"PoisonMessageError"}
    assert all(e[Field.STACK_TRACE] for e in errors)
    assert all(e[Field.REQUEST_ID] == "req-0001" for e in errors)


def test_transient_aws_error_fails_the_message_so_it_is_retried(stub, logs):
    dynamodb = stub(process_payment.dynamodb)
    stub(process_payment.stepfunctions)
    dynamodb.add_client_error(
        "update_item", service_error_code="ProvisionedThroughputExceededException"
    )

    result = _call(_record("m-1", {"orderId": ORDER_A}))

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    (error,) = [r for r in logs.records() if r[Field.LEVEL] == "ERROR"]
    assert error[Field.ERROR_TYPE] == "ProvisionedThroughputExceededException"


def test_redelivery_of_a_paid_order_starts_fulfilment_again(stub, logs):
    dynamodb, stepfunctions = stub(process_payment.dynamodb), stub(process_payment.stepfunctions)
    _expect_not_pending(dynamodb, "PAID")
    stepfunctions.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists")

    result = _call(_record("m-1", {"orderId": ORDER_A}))

    assert result == {"batchItemFailures": []}
    assert logs.events() == []


def test_redelivery_of_a_fulfilled_order_is_ignored(stub, logs):
    dynamodb = stub(process_payment.dynamodb)
    stub(process_payment.stepfunctions)  # no response queued: starting would fail the test
    _expect_not_pending(dynamodb, "FULFILLED")

    assert _call(_record("m-1", {"orderId": ORDER_A})) == {"batchItemFailures": []}
    assert logs.events() == []


def test_payment_for_an_order_not_awaiting_payment_is_a_sequence_failure(stub, logs):
    dynamodb = stub(process_payment.dynamodb)
    stub(process_payment.stepfunctions)
    _expect_not_pending(dynamodb, "CANCELLED")
    _expect_not_pending(dynamodb, None)  # no such order

    result = _call(_record("m-1", {"orderId": ORDER_A}), _record("m-2", {"orderId": ORDER_B}))

    assert result == {"batchItemFailures": []}  # retrying cannot help
    records = [r for r in logs.records() if Field.EVENT in r]
    assert [r[Field.EVENT] for r in records] == [
        f"sequence_fail:{ORDER_A}",
        f"sequence_fail:{ORDER_B}",
    ]
    assert [r[Field.DETAILS] for r in records] == [{"status": "CANCELLED"}, {"status": None}]
    assert all(r[Field.OPERATION] == "ProcessPayment" for r in records)
