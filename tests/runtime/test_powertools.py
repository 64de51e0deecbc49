from __future__ import annotations

import io
import json

import pytest
from aws_lambda_powertools import Logger

from watchkeeper.runtime.powertools import (
    RedactingPowertoolsFormatter,
    security_event,
    security_logger,
)
from watchkeeper.schema import Field, PowertoolsField


@pytest.fixture
def powertools(service_name):
    stream = io.StringIO()
    logger = security_logger(service_name + "-pt", stream=stream, level="DEBUG")
    return logger, stream


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_security_event_writes_our_fields_top_level_with_powertools_keys(powertools):
    logger, stream = powertools
    returned = security_event(
        "authn_login_fail", "bob", logger=logger, user_id="bob", source_ip="203.0.113.9"
    )
    (record,) = _records(stream)
    assert record[Field.EVENT] == "authn_login_fail:bob"
    assert record[Field.CATEGORY] == "authn"
    assert record[Field.USER_ID] == "bob"
    assert record[Field.SOURCE_IP] == "203.0.113.9"
    assert record[Field.LEVEL] == "WARNING"
    assert record[Field.MESSAGE] == "A login attempt failed"
    assert record[Field.SERVICE] == logger.service
    # Powertools' location points at the caller, not at watchkeeper.
    assert record[Field.LOCATION].startswith(
        "test_security_event_writes_our_fields_top_level_with_powertools_keys:"
    )
    assert returned[Field.EVENT] == record[Field.EVENT]
    assert returned[Field.SERVICE] == logger.service


def test_powertools_lambda_context_keys_are_kept(powertools, lambda_context):
    logger, stream = powertools
    lambda_context.memory_limit_in_mb = 128
    lambda_context.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:f"

    @logger.inject_lambda_context
    def handler(event, context):
        security_event("authz_fail", "bob", logger=logger)

    handler({}, lambda_context)
    (record,) = _records(stream)
    assert record[PowertoolsField.REQUEST_ID] == lambda_context.aws_request_id
    assert record[Field.EVENT] == "authz_fail:bob"


def test_formatter_redacts_messages_extras_and_exceptions(powertools):
    logger, stream = powertools
    logger.info(
        "calling with Authorization: Bearer abcdefgh12345678",
        extra={"apiKey": "k-123", "nested": {"password": "p"}},
    )
    try:
        raise ValueError("password=hunter2")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    for secret in ("abcdefgh12345678", "k-123", '"p"', "hunter2"):
        assert secret not in output
    first, second = _records(stream)
    assert first["apiKey"] == "[REDACTED]"
    assert second[PowertoolsField.EXCEPTION_NAME] == "ValueError"


def test_formatter_stringifies_what_json_cannot_encode(powertools):
    logger, stream = powertools
    logger.info("odd", extra={"s": {1}, "nan": float("nan"), "b": b"x"})
    (record,) = _records(stream)
    assert record["s"] == [1] and record["nan"] == "nan" and record["b"] == "x"


def test_formatter_on_a_plain_powertools_logger(service_name):
    stream = io.StringIO()
    logger = Logger(
        service=service_name + "-plain",
        stream=stream,
        logger_formatter=RedactingPowertoolsFormatter(),
    )
    logger.info("x", extra={"session_id": "abc"})
    assert json.loads(stream.getvalue())["session_id"] == "[REDACTED]"


def test_security_logger_timestamps_are_utc_rfc3339(powertools):
    logger, stream = powertools
    logger.info("t")
    assert _records(stream)[0][Field.TIMESTAMP].endswith("+00:00")


def test_filtered_out_event_returns_none(service_name):
    stream = io.StringIO()
    logger = security_logger(service_name + "-quiet", stream=stream, level="ERROR")
    assert security_event("authn_login_success", logger=logger) is None
    assert stream.getvalue() == ""
