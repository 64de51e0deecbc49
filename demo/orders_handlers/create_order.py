"""POST /orders: validate an order, store it, and queue its payment."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import order_status
from orders_common import Caller, Rejected, authenticate, json_body, response

from watchkeeper.runtime import get_logger, inject_context, security_event

OPERATION = "CreateOrder"
CURRENCIES = ("EUR", "GBP", "USD")
SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
MAX_ITEMS = 25
MAX_QUANTITY = 100
MAX_UNIT_PRICE_CENTS = 1_000_000
#: Fields the client may send.
CLIENT_FIELDS = frozenset({"items", "currency"})
#: Fields only the service sets: a client that sends them is probing for mass assignment.
SERVER_FIELDS = frozenset({"orderId", "customerId", "status", "totalCents", "createdAt"})

# The service name comes from WATCHKEEPER_SERVICE, set by the stack.
logger = get_logger()
dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")


@inject_context
def handler(event: dict, context: Any) -> dict:
    try:
        caller = authenticate(event, OPERATION)
        order = validated_order(json_body(event), caller)
    except Rejected as rejected:
        return rejected.response

    order_id = str(uuid.uuid4())
    total_cents = sum(i["quantity"] * i["unitPriceCents"] for i in order["items"])
    dynamodb.put_item(
        TableName=os.environ["TABLE_NAME"],
        Item={
            "orderId": {"S": order_id},
            "customerId": {"S": caller.arn},
            "status": {"S": order_status.PENDING_PAYMENT},
            "currency": {"S": order["currency"]},
            "totalCents": {"N": str(total_cents)},
            "items": {"S": json.dumps(order["items"])},
            "createdAt": {"S": datetime.now(UTC).isoformat()},
        },
        ConditionExpression="attribute_not_exists(orderId)",
    )
    sqs.send_message(
        QueueUrl=os.environ["QUEUE_URL"],
        MessageBody=json.dumps(
            {"orderId": order_id, "totalCents": total_cents, "currency": order["currency"]}
        ),
    )
    logger.info("Order created: %s", order_id)
    return response(
        201,
        {"orderId": order_id, "status": order_status.PENDING_PAYMENT, "totalCents": total_cents},
        headers={"location": f"/orders/{order_id}"},
    )


def validated_order(body: Any, caller: Caller) -> dict:
    """The order in ``body``; raises ``Rejected`` (400) and logs why when it is not valid.

    The security events name the offending fields and the reasons, never the values: input
    that failed validation is untrusted and does not belong in the logs.
    """
    log_fields = {"userId": caller.arn, "sourceIp": caller.source_ip, "operation": OPERATION}
    if not isinstance(body, dict):
        security_event(
            "input_validation_fail", "body", message="Body is not a JSON object", **log_fields
        )
        raise Rejected(400, "Body must be a JSON object", fields=["body"])

    server_fields = sorted(SERVER_FIELDS & body.keys())
    if server_fields:
        security_event(
            "malicious_extraneous",
            *server_fields,
            message="Client sent fields that only the service sets",
            **log_fields,
        )
        raise Rejected(400, "Unexpected fields", fields=server_fields)

    invalid: dict[str, str] = {}
    for name in sorted(body.keys() - CLIENT_FIELDS):
        invalid[name] = "unknown field"
    items_problem = _items_problem(body.get("items"))
    if items_problem:
        invalid["items"] = items_problem
    if invalid:
        security_event(
            "input_validation_fail",
            *sorted(invalid),
            message="Order failed validation",
            details=invalid,
            **log_fields,
        )
    currency_problem = body.get("currency") not in CURRENCIES
    if currency_problem:
        security_event(
            "input_validation_discrete_fail",
            "currency",
            message="Currency is not one of the allowed values",
            details={"allowed": list(CURRENCIES)},
            **log_fields,
        )
    if invalid or currency_problem:
        fields = sorted({*invalid, *(["currency"] if currency_problem else [])})
        raise Rejected(400, "Invalid order", fields=fields)
    return body


def _items_problem(items: Any) -> str | None:
    """Why ``items`` is not a valid list of order lines, or ``None``."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        return f"must be a list of 1 to {MAX_ITEMS} order lines"
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.keys() != {"sku", "quantity", "unitPriceCents"}:
            return f"line {index} must have exactly sku, quantity and unitPriceCents"
        if not isinstance(item["sku"], str) or not SKU_RE.match(item["sku"]):
            return f"line {index}: sku must be 1-32 of A-Z, 0-9 and '-'"
        if not _int_between(item["quantity"], 1, MAX_QUANTITY):
            return f"line {index}: quantity must be an integer from 1 to {MAX_QUANTITY}"
        if not _int_between(item["unitPriceCents"], 1, MAX_UNIT_PRICE_CENTS):
            return (
                f"line {index}: unitPriceCents must be an integer from 1 to {MAX_UNIT_PRICE_CENTS}"
            )
    return None


def _int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
