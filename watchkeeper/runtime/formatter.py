"""The JSON formatter: one log record -> one redacted JSON object on one line.

Field names come from :class:`watchkeeper.schema.Field` and follow Lambda's native JSON
format for Python, so records written here, by the Lambda runtime's own formatter and by
Powertools are read by the same metric filters and queries.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import json
import logging
import time
import traceback
from contextvars import ContextVar
from typing import Any, Final

from watchkeeper.runtime.context import current_context, current_trace_id
from watchkeeper.runtime.redaction import (
    _safe_str,
    aws_key_ids_seen,
    redact_aws_secrets_beside_key_ids,
    redact_field_value,
    redact_text,
)
from watchkeeper.schema import Field, split_event

#: Attributes every ``LogRecord`` has (plus those the Lambda runtime's filter adds); any
#: other attribute came from ``extra=`` and is written as a field.
LOG_RECORD_ATTRIBUTES: Final = frozenset(
    {
        *logging.makeLogRecord({}).__dict__,
        "message",
        "asctime",
        "taskName",
        # Set by the Lambda runtime's root-handler filter (awslambdaric).
        "aws_request_id",
        "tenant_id",
        "_frame_type",
    }
)

# Fields the formatter owns; an ``extra=`` key of the same name does not replace them.
_BASE_FIELDS: Final = frozenset({Field.TIMESTAMP, Field.LEVEL, Field.MESSAGE, Field.LOGGER})
# Fields written by the formatter itself and never scanned for credentials.
_TRUSTED_FIELDS: Final = frozenset({Field.TIMESTAMP, Field.LEVEL, Field.LOGGER})

# While `security_event` hands a record to its logger, the formatter puts the dict it
# wrote here, so the call can return exactly what was written.
_written: ContextVar[list[dict[str, Any]] | None] = ContextVar("watchkeeper_written", default=None)


def _default(value: Any) -> Any:
    """JSON fallback for values json cannot encode: a readable, redacted stand-in."""
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return redact_text(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, enum.Enum):
        return _default_scalar(value.value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return redact_text(_safe_str(value))


def _default_scalar(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return _default(value)


_encode: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
).encode


# Line breaks that JSON leaves unescaped but that some line readers split on.
_UNICODE_LINE_BREAKS: Final = ("\u2028", "\u2029", "\x85")


def _one_line(text: str) -> str:
    for char in _UNICODE_LINE_BREAKS:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def to_json(data: dict[str, Any]) -> str:
    """``data`` as one line of JSON; a field json cannot encode is written as a string.

    Never raises for any value: NaN, circular structures, objects whose ``__str__`` fails
    and values nested too deep end up as strings instead of losing the record.
    """
    try:
        return _one_line(_encode(data))
    except (TypeError, ValueError, OverflowError, RecursionError):
        pass
    safe: dict[str, Any] = {}
    for key, value in data.items():
        try:
            _encode(value)
        except (TypeError, ValueError, OverflowError, RecursionError):
            value = redact_text(_safe_str(value))
        safe[key if isinstance(key, str) else _safe_str(key)] = value
    return _one_line(_encode(safe))


def redact_field(key: str, value: Any) -> Any:
    """The value of top-level field ``key`` as it may be written."""
    if key in _TRUSTED_FIELDS:
        return value
    if key == Field.EVENT and isinstance(value, str):
        # `authn_token_created:joe` would read as `token...: value`; only params are data.
        name, params = split_event(value)
        if not params or redact_text(value) == value:
            return value
        return f"{name}:{','.join(redact_text(p) for p in params)}"
    return redact_field_value(key, value)


def redact_record(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a whole record with every field passed through :func:`redact_field`."""
    seen = aws_key_ids_seen()
    redacted = {key: redact_field(key, value) for key, value in data.items()}
    redact_aws_secrets_beside_key_ids(redacted, seen)
    return redacted


class StructuredFormatter(logging.Formatter):
    """Formats a ``LogRecord`` as one line of JSON in watchkeeper's record format.

    :param service: written as ``service`` on every record; default: none written.
    """

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service
        # (epoch second, its formatted text), replaced as one object so threads sharing
        # the formatter never pair one second with another's text.
        self._second: tuple[int, str] = (-1, "")

    def _timestamp(self, record: logging.LogRecord) -> str:
        # ISO 8601 UTC with milliseconds, as Lambda writes it: 2024-05-01T12:00:00.123Z
        second = int(record.created)
        cached_second, text = self._second
        if second != cached_second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        return f"{text}.{int(record.msecs):03d}Z"

    def build(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as a dict, redacted, before serialisation."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - bad %-args must not lose the record
            message = f"{_safe_str(record.msg)} {_safe_str(record.args)}"
        data: dict[str, Any] = {
            Field.TIMESTAMP: self._timestamp(record),
            Field.LEVEL: record.levelname,
            Field.MESSAGE: redact_text(message),
            Field.LOGGER: record.name,
        }
        key_ids_seen = aws_key_ids_seen()
        invocation = current_context()
        request_id = invocation.request_id or getattr(record, "aws_request_id", None)
        if request_id:
            data[Field.REQUEST_ID] = request_id
        if invocation.function_name:
            data[Field.FUNCTION_NAME] = invocation.function_name
        if self.service:
            data[Field.SERVICE] = self.service
        trace_id = current_trace_id()
        if trace_id:
            data[Field.XRAY_TRACE_ID] = trace_id
        for key, value in record.__dict__.items():
            if key in LOG_RECORD_ATTRIBUTES or key in _BASE_FIELDS:
                continue
            data[key] = redact_field(key, value)
        # An access key id in one field makes a 40-character base64 value beside it a secret.
        redact_aws_secrets_beside_key_ids(data, key_ids_seen)
        exc_info = record.exc_info
        if exc_info and exc_info[0] is not None:
            data[Field.ERROR_TYPE] = exc_info[0].__name__
            data[Field.ERROR_MESSAGE] = redact_text(_safe_str(exc_info[1]))
            frames = traceback.format_tb(exc_info[2])
            data[Field.STACK_TRACE] = [redact_text(frame) for frame in frames]
            data[Field.LOCATION] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        return data

    def format(self, record: logging.LogRecord) -> str:
        try:
            data = self.build(record)
        except Exception as error:  # noqa: BLE001 - logging must never break the function
            data = {
                Field.TIMESTAMP: self._timestamp(record),
                Field.LEVEL: record.levelname,
                Field.MESSAGE: redact_text(_safe_str(record.msg)),
                Field.LOGGER: record.name,
                Field.DETAILS: f"record could not be formatted: {type(error).__name__}",
            }
        written = _written.get()
        if written is not None:
            written.append(data)
        return to_json(data)
