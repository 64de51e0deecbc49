"""GET /orders/{orderId}: responses and the security events written."""

from __future__ import annotations

import json

import get_order
import pytest
from handler_support import (
    CALLER_ARN,
    OTHER_CALLER_ARN,
    SOURCE_IP,
    TABLE_NAME,
    api_event,
    lambda_context,
)

from watchkeeper.schema import Field

ORDER_ID = "0b6f5a3c-2d4e-4f8a-9b1c-7d2e3f4a5b6c"


def _item(customer_arn: str) -> dict:
    return {
        "orderId": {"S": ORDER_ID},
        "customerId": {"S": customer_arn},
        "status": {"S": "PENDING_PAYMENT"},
        "currency": {"S": "EUR"},
        "totalCents": {"N": "2500"},
        "items": {"S": json.dumps([{"sku": "MUG-1", "quantity": 1, "unitPriceCents": 2500}])},
        "createdAt": {"S": "2026-01-01T00:00:00+00:00"},
    }


def _expect_get(stub, item: dict | None) -> None:
    stubber = stub(get_order.dynamodb)
    stubber.add_response(
        "get_item",
        {} if item is None else {"Item": item},
        {"TableName": TABLE_NAME, "Key": {"orderId": {"S": ORDER_ID}}, "ConsistentRead": True},
    )


def _call(event: dict) -> dict:
    return get_order.handler(event, lambda_context("orders-get-order"))


def test_owner_gets_the_order_and_a_sensitive_read_is_logged(stub, logs):
    _expect_get(stub, _item(CALLER_ARN))
    response = _call(api_event(path_parameters={"orderId": ORDER_ID}))

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["orderId"] == ORDER_ID
    assert body["customerId"] == CALLER_ARN
    assert body["totalCents"] == 2500
    assert body["items"] == [{"sku": "MUG-1", "quantity": 1, "unitPriceCents": 2500}]
    (record,) = [r for r in logs.records() if Field.EVENT in r]
    assert record[Field.EVENT] == f"sensitive_read:{ORDER_ID}"
    assert record[Field.USER_ID] == CALLER_ARN
    assert record[Field.SOURCE_IP] == SOURCE_IP
    assert record[Field.OPERATION] == "GetOrder"
    assert record[Field.REQUEST_ID] == "req-0001"
    assert record[Field.FUNCTION_NAME] == "orders-get-order"
    assert record[Field.SERVICE] == "orders"


def test_another_customers_order_is_a_404_and_a_direct_reference_attempt(stub, logs):
    _expect_get(stub, _item(OTHER_CALLER_ARN))
    response = _call(api_event(path_parameters={"orderId": ORDER_ID}))

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == get_order.NOT_FOUND
    records = [r for r in logs.records() if Field.EVENT in r]
    assert [r[Field.EVENT] for r in records] == [f"malicious_direct_reference:{ORDER_ID}"]
    assert records[0][Field.LEVEL] == "CRITICAL"
    assert records[0][Field.USER_ID] == CALLER_ARN
    # Nothing of the other customer's order reaches the caller or the logs.
    assert OTHER_CALLER_ARN not in response["body"]


def test_missing_order_is_a_404_without_security_event(stub, logs):
    _expect_get(stub, None)
    response = _call(api_event(path_parameters={"orderId": ORDER_ID}))

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == get_order.NOT_FOUND
    assert logs.events() == []


@pytest.mark.parametrize("bad_id", ["42", "../orders", ORDER_ID.upper(), ""])
def test_malformed_order_id_is_rejected_before_any_read(stub, logs, bad_id: str):
    stub(get_order.dynamodb)  # no response queued: a read would fail the test
    response = _call(api_event(path_parameters={"orderId": bad_id}))

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["fields"] == ["orderId"]
    assert logs.events() == ["input_validation_fail:orderId"]


def test_request_without_caller_identity_is_a_401_and_a_login_failure(stub, logs):
    stub(get_order.dynamodb)
    response = _call(api_event(path_parameters={"orderId": ORDER_ID}, caller_arn=None))

    assert response["statusCode"] == 401
    records = [r for r in logs.records() if Field.EVENT in r]
    assert [r[Field.EVENT] for r in records] == ["authn_login_fail"]
    assert records[0][Field.SOURCE_IP] == SOURCE_IP
    assert Field.USER_ID not in records[0]
