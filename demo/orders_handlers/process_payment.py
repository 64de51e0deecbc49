"""Consume the payments queue: take each order's payment, mark it paid, start fulfilment.

The payment itself is simulated (the demo has no payment provider). Failed messages are
reported in ``batchItemFailures`` so that only they are retried; after the queue's
``maxReceiveCount`` receives SQS moves them to the dead-letter queue.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import order_status

from watchkeeper.runtime import get_logger, inject_context, security_event

OPERATION = "ProcessPayment"
ORDER_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The service name comes from WATCHKEEPER_SERVICE, set by the stack.
logger = get_logger()
dynamodb = boto3.client("dynamodb")
stepfunctions = boto3.client("stepfunctions")


class PoisonMessageError(ValueError):
    """A message that no retry can process; it ends in the dead-letter queue."""


@inject_context
def handler(event: dict, context: Any) -> dict:
    failures = []
    for record in event.get("Records", []):
        try:
            process(record)
        except Exception:
            logger.exception("Payment message failed: %s", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def process(record: dict) -> None:
    order_id = parse(record)
    try:
        dynamodb.update_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"orderId": {"S": order_id}},
            UpdateExpression="SET #status = :paid, paidAt = :now",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":paid": {"S": order_status.PAID},
                ":pending": {"S": order_status.PENDING_PAYMENT},
                ":now": {"S": datetime.now(UTC).isoformat()},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as error:
        status = error.response.get("Item", {}).get("status", {}).get("S")
        if status == order_status.FULFILLED:
            logger.info("Order %s already fulfilled; duplicate message ignored", order_id)
            return
        if status != order_status.PAID:
            # Not retryable: paying an order that is not awaiting payment breaks the flow.
            security_event(
                "sequence_fail",
                order_id,
                message="Payment for an order that is not awaiting payment",
                operation=OPERATION,
                details={"status": status},
            )
            return
        # PAID already: an earlier delivery stopped before fulfilment started; start it now.
    start_fulfilment(order_id)
    logger.info("Order %s paid", order_id)


def parse(record: dict) -> str:
    """The order id of a payments message; raises ``PoisonMessageError`` when malformed."""
    try:
        message = json.loads(record["body"])
    except (KeyError, TypeError, ValueError) as error:
        raise PoisonMessageError("message body is not JSON") from error
    order_id = message.get("orderId") if isinstance(message, dict) else None
    if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
        raise PoisonMessageError("message has no valid orderId")
    return order_id


def start_fulfilment(order_id: str) -> None:
    """Start the order's fulfilment; the execution name makes a repeated start harmless."""
    try:
        stepfunctions.start_execution(
            stateMachineArn=os.environ["STATE_MACHINE_ARN"],
            name=order_id,
            input=json.dumps({"orderId": order_id}),
        )
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        logger.info("Fulfilment of order %s already started", order_id)
