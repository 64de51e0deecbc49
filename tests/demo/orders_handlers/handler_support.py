"""Helpers for the orders handler tests (imported by their conftest before any handler).

The handlers are imported the way Lambda imports them: with their directory (the code asset)
on ``sys.path``. AWS calls go to botocore Stubbers; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from demo.orders_service import HANDLERS_DIR, SERVICE_ENV_VAR
from watchkeeper.schema import Field

ACCOUNT_ID = "111111111111"
OTHER_ACCOUNT_ID = "222222222222"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/OrdersClient/alice"
OTHER_CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/OrdersClient/mallory"
SOURCE_IP = "198.51.100.7"
TABLE_NAME = "orders-table"
QUEUE_URL = f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT_ID}/payments"
STATE_MACHINE_ARN = f"arn:aws:states:eu-west-1:{ACCOUNT_ID}:stateMachine:orders-fulfilment"

# What the stack sets, plus a region and dummy credentials so boto3 clients can be built.
os.environ.update(
    {
        SERVICE_ENV_VAR: "orders",
        "TABLE_NAME": TABLE_NAME,
        "QUEUE_URL": QUEUE_URL,
        "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "TRUSTED_ACCOUNT_IDS": ACCOUNT_ID,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
)
if str(HANDLERS_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLERS_DIR))


def lambda_context(function_name: str) -> SimpleNamespace:
    return SimpleNamespace(aws_request_id="req-0001", function_name=function_name)


def api_event(
    *,
    body: Any = None,
    raw_body: str | None = None,
    path_parameters: dict[str, str] | None = None,
    caller_arn: str | None = CALLER_ARN,
    account_id: str = ACCOUNT_ID,
    base64_encoded: bool = False,
) -> dict:
    """An HTTP API (payload 2.0) event as API Gateway sends it with the IAM authorizer."""
    text = raw_body if raw_body is not None else None if body is None else json.dumps(body)
    if text is not None and base64_encoded:
        text = base64.b64encode(text.encode()).decode()
    request_context: dict[str, Any] = {"http": {"sourceIp": SOURCE_IP}}
    if caller_arn is not None:
        request_context["authorizer"] = {"iam": {"userArn": caller_arn, "accountId": account_id}}
    event: dict[str, Any] = {
        "version": "2.0",
        "requestContext": request_context,
        "isBase64Encoded": base64_encoded,
    }
    if text is not None:
        event["body"] = text
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    return event


class LogCapture:
    """The JSON records the function wrote to standard output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def records(self) -> list[dict[str, Any]]:
        out = self._capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def events(self) -> list[str]:
        """The ``event`` values of the security events written since the last read."""
        return [r[Field.EVENT] for r in self.records() if Field.EVENT in r]
