"""The logger next to the Lambda Python runtime's own root handler, in JSON and Text mode.

The runtime (awslambdaric) puts one handler on the root logger: in JSON mode its
formatter writes ``timestamp, level, message, logger, requestId`` plus every attribute the
record carries from ``extra=``; in Text mode ``[LEVEL]\\t<time>\\t<request id>\\t<message>``.
``RuntimeLikeJsonFormatter`` reproduces that behaviour so the tests can show that a record
from ``get_logger`` is written once, by us, with our fields at the top level.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from watchkeeper.runtime import bind_lambda_context, security_event
from watchkeeper.schema import Field

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "taskName", "aws_request_id"}


class RuntimeLikeJsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        result = {
            "timestamp": "2024-01-01T00:00:00.000Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        result.update((k, v) for k, v in record.__dict__.items() if k not in _STANDARD)
        return json.dumps(result, default=str) + "\n"


class RuntimeLikeTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"[{record.levelname}]\t2024-01-01T00:00:00.000Z\treq\t{record.getMessage()}\n"


@pytest.fixture(params=["JSON", "Text"])
def runtime_root_handler(request, monkeypatch) -> Iterator[io.StringIO]:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", request.param)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(
        RuntimeLikeJsonFormatter() if request.param == "JSON" else RuntimeLikeTextFormatter()
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield sink
    finally:
        root.removeHandler(handler)


def test_record_is_written_once_as_our_json(runtime_root_handler, captured, lambda_context):
    bind_lambda_context(lambda_context)
    captured.logger.info("order created", extra={"orderId": "o-1"})
    security_event("authn_login_fail", "bob", logger=captured.logger, source_ip="203.0.113.9")
    assert runtime_root_handler.getvalue() == ""  # the runtime's handler wrote nothing
    first, second = captured.records
    assert first[Field.MESSAGE] == "order created" and first["orderId"] == "o-1"
    assert second[Field.EVENT] == "authn_login_fail:bob"
    assert second[Field.SOURCE_IP] == "203.0.113.9"
    assert all(r[Field.REQUEST_ID] == lambda_context.aws_request_id for r in (first, second))
    # Not double-encoded: the message is text, not a JSON document inside a JSON document.
    assert not first[Field.MESSAGE].startswith("{")


def test_other_loggers_still_go_to_the_runtime_handler(runtime_root_handler, captured):
    logging.getLogger("botocore-like").warning("retrying")
    assert "retrying" in runtime_root_handler.getvalue()
    assert captured.lines == []


def test_security_event_on_a_propagating_logger_lands_top_level_in_runtime_json(monkeypatch):
    """Without get_logger, under the runtime's JSON format, fields still land top level."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(RuntimeLikeJsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.INFO)
    try:
        security_event("authz_fail", "bob", logger=logging.getLogger("app.plain"), user_id="bob")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    record = json.loads(sink.getvalue())
    assert record[Field.EVENT] == "authz_fail:bob"
    assert record[Field.CATEGORY] == "authz"
    assert record[Field.USER_ID] == "bob"
    assert record[Field.LEVEL] == "CRITICAL"
