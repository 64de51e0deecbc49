"""Request and response helpers shared by the orders API handlers (HTTP API payload 2.0)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from watchkeeper.runtime import security_event

JSON_HEADERS = {"content-type": "application/json"}


def response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    """An API Gateway proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body),
    }


class Rejected(Exception):
    """The request is refused; ``response`` is what the caller gets."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = response(status, {"message": message, **extra})


@dataclass(frozen=True)
class Caller:
    """Who signed the request, as API Gateway's IAM authorizer reports it."""

    arn: str
    account_id: str
    source_ip: str


def source_ip(event: dict) -> str:
    return event.get("requestContext", {}).get("http", {}).get("sourceIp", "")


def authenticate(event: dict, operation: str) -> Caller:
    """The caller of an IAM-authorized route; raises ``Rejected`` (401/403) otherwise.

    API Gateway already refuses unsigned requests; these checks are defence in depth against
    a route deployed without the authorizer, and they log what they refuse.
    """
    ip = source_ip(event)
    iam = (event.get("requestContext", {}).get("authorizer") or {}).get("iam") or {}
    arn, account_id = iam.get("userArn"), iam.get("accountId")
    if not arn or not account_id:
        security_event(
            "authn_login_fail",
            message="Request without IAM caller identity",
            sourceIp=ip,
            operation=operation,
        )
        raise Rejected(401, "Unauthorized")
    trusted = {a for a in os.environ.get("TRUSTED_ACCOUNT_IDS", "").split(",") if a}
    if account_id not in trusted:
        security_event(
            "authz_fail",
            operation,
            message="Caller's account is not trusted by this service",
            userId=arn,
            sourceIp=ip,
            operation=operation,
            details={"accountId": account_id},
        )
        raise Rejected(403, "Forbidden")
    return Caller(arn=arn, account_id=account_id, source_ip=ip)


def json_body(event: dict) -> Any:
    """The request body parsed as JSON; ``None`` when it is missing or not JSON."""
    raw = event.get("body")
    if raw is None:
        return None
    try:
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode("utf-8")
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
