"""POST /orders: responses, the writes made, and the security events written."""

from __future__ import annotations

import json
import uuid

import create_order
import pytest
from botocore.stub import ANY
from handler_support import (
    CALLER_ARN,
    OTHER_ACCOUNT_ID,
    QUEUE_URL,
    SOURCE_IP,
    TABLE_NAME,
    api_event,
    lambda_context,
)

from watchkeeper.schema import Field

GOOD_ORDER = {
    "currency": "EUR",
    "items": [
        {"sku": "MUG-1", "quantity": 2, "unitPriceCents": 1250},
        {"sku": "TEE-42", "quantity": 1, "unitPriceCents": 1999},
    ],
}


def _call(event: dict) -> dict:
    return create_order.handler(event, lambda_context("orders-create-order"))


def _security_records(logs) -> list[dict]:
    return [r for r in logs.records() if Field.EVENT in r]


def _no_aws_calls(stub) -> None:
    stub(create_order.dynamodb)
    stub(create_order.sqs)


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_valid_order_is_stored_and_queued(stub, logs, base64_encoded: bool):
    dynamodb = stub(create_order.dynamodb)
    sqs = stub(create_order.sqs)
    dynamodb.add_response(
        "put_item",
        {},
        {
            "TableName": TABLE_NAME,
            "Item": {
                "orderId": ANY,
                "customerId": {"S": CALLER_ARN},
                "status": {"S": "PENDING_PAYMENT"},
                "currency": {"S": "EUR"},
                "totalCents": {"N": "4499"},
                "items": {"S": json.dumps(GOOD_ORDER["items"])},
                "createdAt": ANY,
            },
            "ConditionExpression": "attribute_not_exists(orderId)",
        },
    )
    sqs.add_response(
        "send_message", {"MessageId": "m-1"}, {"QueueUrl": QUEUE_URL, "MessageBody": ANY}
    )

    response = _call(api_event(body=GOOD_ORDER, base64_encoded=base64_encoded))

    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert uuid.UUID(body["orderId"]).version == 4
    assert body == {"orderId": body["orderId"], "status": "PENDING_PAYMENT", "totalCents": 4499}
    assert response["headers"]["location"] == f"/orders/{body['orderId']}"
    records = logs.records()
    assert [r for r in records if Field.EVENT in r] == []
    (created,) = [r for r in records if r[Field.MESSAGE].startswith("Order created")]
    assert created[Field.LEVEL] == "INFO"
    assert created[Field.REQUEST_ID] == "req-0001"
    assert body["orderId"] in created[Field.MESSAGE]


def test_queued_message_names_the_order_and_amount(stub, logs):
    dynamodb = stub(create_order.dynamodb)
    sqs = stub(create_order.sqs)
    dynamodb.add_response("put_item", {})
    sqs.add_response("send_message", {"MessageId": "m-1"})
    sent: list[dict] = []
    create_order.sqs.meta.events.register(
        "provide-client-params.sqs.SendMessage", lambda params, **_: sent.append(params)
    )
    try:
        response = _call(api_event(body=GOOD_ORDER))
    finally:
        create_order.sqs.meta.events.unregister("provide-client-params.sqs.SendMessage")
    order_id = json.loads(response["body"])["orderId"]
    assert json.loads(sent[0]["MessageBody"]) == {
        "orderId": order_id,
        "totalCents": 4499,
        "currency": "EUR",
    }


def test_request_without_caller_identity_is_a_401_and_a_login_failure(stub, logs):
    _no_aws_calls(stub)
    response = _call(api_event(body=GOOD_ORDER, caller_arn=None))

    assert response["statusCode"] == 401
    (record,) = _security_records(logs)
    assert record[Field.EVENT] == "authn_login_fail"
    assert record[Field.CATEGORY] == "authn"
    assert record[Field.LEVEL] == "WARNING"
    assert record[Field.SOURCE_IP] == SOURCE_IP
    assert record[Field.OPERATION] == "CreateOrder"


def test_caller_from_an_untrusted_account_is_a_403_and_an_authz_failure(stub, logs):
    _no_aws_calls(stub)
    other = f"arn:aws:iam::{OTHER_ACCOUNT_ID}:user/eve"
    response = _call(api_event(body=GOOD_ORDER, caller_arn=other, account_id=OTHER_ACCOUNT_ID))

    assert response["statusCode"] == 403
    (record,) = _security_records(logs)
    assert record[Field.EVENT] == "authz_fail:CreateOrder"
    assert record[Field.LEVEL] == "CRITICAL"
    assert record[Field.USER_ID] == other
    assert record[Field.DETAILS] == {"accountId": OTHER_ACCOUNT_ID}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"currency": "EUR"}, ["items"]),
        ({**GOOD_ORDER, "items": []}, ["items"]),
        (
            {**GOOD_ORDER, "items": [{"sku": "mug 1", "quantity": 1, "unitPriceCents": 1}]},
            ["items"],
        ),
        (
            {**GOOD_ORDER, "items": [{"sku": "MUG-1", "quantity": 0, "unitPriceCents": 1}]},
            ["items"],
        ),
        (
            {**GOOD_ORDER, "items": [{"sku": "MUG-1", "quantity": True, "unitPriceCents": 1}]},
            ["items"],
        ),
        ({**GOOD_ORDER, "coupon": "FREE"}, ["coupon"]),
    ],
)
def test_invalid_order_is_a_400_naming_the_fields(stub, logs, body: dict, fields: list[str]):
    _no_aws_calls(stub)
    response = _call(api_event(body=body))

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["fields"] == fields
    (record,) = _security_records(logs)
    assert record[Field.EVENT] == f"input_validation_fail:{','.join(fields)}"
    assert set(record[Field.DETAILS]) == set(fields)
    assert record[Field.USER_ID] == CALLER_ARN


def test_rejected_values_are_not_written_to_the_logs(stub, logs):
    _no_aws_calls(stub)
    hostile = "<script>alert(1)</script>"
    _call(api_event(body={**GOOD_ORDER, "items": [{"sku": hostile, "quantity": 1}]}))
    assert hostile not in json.dumps(logs.records())


def test_body_that_is_not_a_json_object_is_a_400(stub, logs):
    _no_aws_calls(stub)
    for raw in ("not json", "[1, 2]"):
        response = _call(api_event(raw_body=raw))
        assert response["statusCode"] == 400
        assert logs.events() == ["input_validation_fail:body"]


def test_unknown_currency_is_a_discrete_validation_failure(stub, logs):
    _no_aws_calls(stub)
    response = _call(api_event(body={**GOOD_ORDER, "currency": "XBT"}))

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["fields"] == ["currency"]
    (record,) = _security_records(logs)
    assert record[Field.EVENT] == "input_validation_discrete_fail:currency"
    assert record[Field.DETAILS] == {"allowed": list(create_order.CURRENCIES)}


def test_several_problems_are_reported_together(stub, logs):
    _no_aws_calls(stub)
    response = _call(api_event(body={"currency": "XBT", "items": "all", "note": "x"}))

    assert json.loads(response["body"])["fields"] == ["currency", "items", "note"]
    assert logs.events() == [
        "input_validation_fail:items,note",
        "input_validation_discrete_fail:currency",
    ]


def test_server_owned_fields_are_an_extraneous_input_attack(stub, logs):
    _no_aws_calls(stub)
    response = _call(api_event(body={**GOOD_ORDER, "status": "PAID", "customerId": "x"}))

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["fields"] == ["customerId", "status"]
    (record,) = _security_records(logs)
    assert record[Field.EVENT] == "malicious_extraneous:customerId,status"
    assert record[Field.CATEGORY] == "malicious"
