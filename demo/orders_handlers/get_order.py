"""GET /orders/{orderId}: return one of the caller's own orders."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import boto3
from orders_common import Rejected, authenticate, response

from watchkeeper.runtime import get_logger, inject_context, security_event

OPERATION = "GetOrder"
NOT_FOUND = {"message": "Order not found"}

# The service name comes from WATCHKEEPER_SERVICE, set by the stack.
logger = get_logger()
dynamodb = boto3.client("dynamodb")


@inject_context
def handler(event: dict, context: Any) -> dict:
    try:
        caller = authenticate(event, OPERATION)
    except Rejected as rejected:
        return rejected.response
    log_fields = {"userId": caller.arn, "sourceIp": caller.source_ip, "operation": OPERATION}

    order_id = (event.get("pathParameters") or {}).get("orderId", "")
    if not _is_uuid(order_id):
        security_event(
            "input_validation_fail", "orderId", message="orderId is not a UUID", **log_fields
        )
        return response(400, {"message": "orderId must be a UUID", "fields": ["orderId"]})

    item = dynamodb.get_item(
        TableName=os.environ["TABLE_NAME"], Key={"orderId": {"S": order_id}}, ConsistentRead=True
    ).get("Item")
    if item is None:
        logger.info("Order not found: %s", order_id)
        return response(404, NOT_FOUND)
    if item["customerId"]["S"] != caller.arn:
        # Answer exactly as for a missing order, so order ids cannot be probed.
        security_event(
            "malicious_direct_reference",
            order_id,
            message="Caller asked for another customer's order",
            **log_fields,
        )
        return response(404, NOT_FOUND)

    security_event(
        "sensitive_read", order_id, message="Order returned to its customer", **log_fields
    )
    return response(
        200,
        {
            "orderId": order_id,
            "customerId": item["customerId"]["S"],
            "status": item["status"]["S"],
            "currency": item["currency"]["S"],
            "totalCents": int(item["totalCents"]["N"]),
            "items": json.loads(item["items"]["S"]),
            "createdAt": item["createdAt"]["S"],
        },
    )


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
