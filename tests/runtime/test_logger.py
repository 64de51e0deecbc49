from __future__ import annotations

import io
import json
import logging
import re
import sys
from typing import Any

import pytest

from watchkeeper.runtime import bind_lambda_context, get_logger
from watchkeeper.runtime.logger import (
    DEFAULT_LOGGER_NAME,
    StructuredHandler,
    logger_name,
    resolve_level,
)
from watchkeeper.schema import LEVELS, Field

ISO_UTC_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_record_has_schema_fields_in_order(captured, lambda_context, service_name, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    bind_lambda_context(lambda_context)
    captured.logger.info("order %s created", "o-1", extra={"orderId": "o-1", "items": 3})
    record = captured.one
    assert list(record) == [
        Field.TIMESTAMP,
        Field.LEVEL,
        Field.MESSAGE,
        Field.LOGGER,
        Field.REQUEST_ID,
        Field.FUNCTION_NAME,
        Field.SERVICE,
        Field.XRAY_TRACE_ID,
        "orderId",
        "items",
    ]
    assert ISO_UTC_MS.match(record[Field.TIMESTAMP])
    assert record[Field.LEVEL] == "INFO"
    assert record[Field.MESSAGE] == "order o-1 created"
    assert record[Field.LOGGER] == f"watchkeeper.{service_name}"
    assert record[Field.REQUEST_ID] == lambda_context.aws_request_id
    assert record[Field.FUNCTION_NAME] == lambda_context.function_name
    assert record[Field.SERVICE] == service_name
    assert record[Field.XRAY_TRACE_ID] == "1-5759e988-bd862e3fe1be46a994272793"
    assert record["items"] == 3


def test_one_line_per_record_even_with_newlines_in_message(captured):
    captured.logger.warning("line one\nline two\r\nthree")
    assert len(captured.lines) == 1
    assert captured.one[Field.MESSAGE] == "line one\nline two\r\nthree"


def test_unbound_record_has_no_request_id_and_takes_function_name_from_env(captured, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders-prod-list")
    captured.logger.info("cold start")
    record = captured.one
    assert Field.REQUEST_ID not in record
    assert record[Field.FUNCTION_NAME] == "orders-prod-list"


@pytest.mark.parametrize("python_level", ["debug", "info", "warning", "error", "critical"])
def test_level_field_is_the_python_level_name(captured, python_level):
    getattr(captured.logger, python_level)("x")
    assert captured.one[Field.LEVEL] == python_level.upper()
    assert captured.one[Field.LEVEL] in LEVELS


def test_exception_fields_as_lambda_native_format(captured):
    def fail() -> None:
        raise KeyError("order-42")

    try:
        fail()
    except KeyError:
        captured.logger.exception("could not load order")
    record = captured.one
    assert record[Field.LEVEL] == "ERROR"
    assert record[Field.ERROR_TYPE] == "KeyError"
    assert record[Field.ERROR_MESSAGE] == "'order-42'"
    assert isinstance(record[Field.STACK_TRACE], list)
    assert any("in fail" in frame for frame in record[Field.STACK_TRACE])
    path, function, line = record[Field.LOCATION].rsplit(":", 2)
    assert (path, function) == (__file__, "test_exception_fields_as_lambda_native_format")
    assert line.isdigit()


def test_exc_info_true_outside_an_exception_writes_no_error_fields(captured):
    captured.logger.error("no exception here", exc_info=True)
    assert Field.ERROR_TYPE not in captured.one


def test_exception_message_is_redacted(captured):
    try:
        raise RuntimeError("connect failed: password=hunter2")
    except RuntimeError:
        captured.logger.exception("db")
    assert "hunter2" not in captured.stream.getvalue()


def test_extra_cannot_replace_base_fields(captured):
    captured.logger.info("real", extra={Field.LEVEL: "FAKE", Field.TIMESTAMP: "then"})
    record = captured.one
    assert record[Field.LEVEL] == "INFO"
    assert ISO_UTC_MS.match(record[Field.TIMESTAMP])


def test_bad_format_args_keep_the_record(captured):
    # pytest attaches its capture handler to every logger; it raises on bad arguments.
    for handler in list(captured.logger.handlers):
        if not isinstance(handler, StructuredHandler):
            captured.logger.removeHandler(handler)
    captured.logger.info("%d items", "not-a-number")
    assert "%d items" in captured.one[Field.MESSAGE]


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")

    __repr__ = __str__


class Custom:
    def __str__(self) -> str:
        return "Custom(token=abc123)"


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({3}, [3]),
        (frozenset({"a"}), ["a"]),
        ((1, 2), [1, 2]),
        (__import__("datetime").datetime(2024, 5, 1, 12, 0, 1), "2024-05-01T12:00:01"),
        (__import__("datetime").date(2024, 5, 1), "2024-05-01"),
        (__import__("decimal").Decimal("1.10"), "1.10"),
        (b"raw bytes", "raw bytes"),
        (b"\xff\xfe", "\ufffd\ufffd"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (Custom(), "Custom(token=[REDACTED:secret]"),  # the value runs to a separator
        (Unprintable(), "<unprintable Unprintable>"),
        (_circular(), {"name": "loop", "self": "[Circular]"}),
        ({(1, 2): "tuple key"}, {"(1, 2)": "tuple key"}),
    ],
    ids=lambda v: type(v).__name__,
)
def test_unserialisable_field_is_stringified_not_dropped(captured, value, expected):
    captured.logger.info("odd value", extra={"value": value, "after": "kept"})
    record = captured.one
    assert record["value"] == expected
    assert record["after"] == "kept"


def test_deep_nesting_is_cut_not_crashing(captured):
    deep: Any = "bottom"
    for _ in range(200):
        deep = {"down": deep}
    captured.logger.info("deep", extra={"deep": deep})
    record = captured.one
    depth = 0
    node = record["deep"]
    while isinstance(node, dict):
        node = node["down"]
        depth += 1
    assert isinstance(node, str) and "bottom" in node
    assert depth <= 40


def test_repeated_get_logger_adds_no_second_handler(service_name):
    stream = io.StringIO()
    first = get_logger(service_name, stream=stream)
    second = get_logger(service_name)
    assert first is second
    assert sum(isinstance(h, StructuredHandler) for h in first.handlers) == 1
    second.info("once")
    assert len(stream.getvalue().splitlines()) == 1


def test_logger_does_not_propagate(captured):
    assert captured.logger.propagate is False


def test_service_and_logger_name_from_environment(monkeypatch, service_name):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", service_name + "-pt")
    assert get_logger().name == logger_name(service_name + "-pt")
    monkeypatch.setenv("WATCHKEEPER_SERVICE", service_name + "-wk")
    stream = io.StringIO()
    logger = get_logger(stream=stream)
    logger.info("x")
    assert logger.name == f"watchkeeper.{service_name}-wk"
    assert json.loads(stream.getvalue())[Field.SERVICE] == service_name + "-wk"


def test_without_service_logger_is_named_watchkeeper_and_writes_no_service():
    stream = io.StringIO()
    logger = get_logger(stream=stream)
    logger.info("x")
    assert logger.name == DEFAULT_LOGGER_NAME
    assert Field.SERVICE not in json.loads(stream.getvalue().splitlines()[-1])


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, logging.INFO),
        ({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, logging.WARNING),
        ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, logging.DEBUG),
        ({"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, logging.CRITICAL),
        ({"WATCHKEEPER_LOG_LEVEL": "error", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, logging.ERROR),
    ],
)
def test_level_from_environment(monkeypatch, service_name, environment, expected):
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert get_logger(service_name).level == expected


def test_level_argument_wins_over_environment(monkeypatch, service_name):
    monkeypatch.setenv("WATCHKEEPER_LOG_LEVEL", "ERROR")
    logger = get_logger(service_name, level="debug")
    assert logger.level == logging.DEBUG
    get_logger(service_name, level=logging.WARNING)
    assert logger.level == logging.WARNING


def test_records_below_level_are_not_written(service_name):
    stream = io.StringIO()
    logger = get_logger(service_name, level="WARNING", stream=stream)
    logger.info("dropped")
    logger.warning("kept")
    assert [json.loads(line)[Field.MESSAGE] for line in stream.getvalue().splitlines()] == ["kept"]


@pytest.mark.parametrize("bad", ["LOUD", "", 15, True, None, 3.0])
def test_bad_level_names_option_value_and_allowed(bad):
    with pytest.raises(ValueError) as error:
        resolve_level(bad)  # type: ignore[arg-type]
    message = str(error.value)
    assert message.startswith("level:")
    assert repr(bad) in message
    assert "WARNING" in message


def test_bad_level_from_environment_names_the_variable(monkeypatch, service_name):
    monkeypatch.setenv("WATCHKEEPER_LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="WATCHKEEPER_LOG_LEVEL.*'chatty'"):
        get_logger(service_name)


@pytest.mark.parametrize("bad", ["", "   ", 42])
def test_bad_service_is_rejected(bad):
    with pytest.raises(ValueError, match="service:"):
        get_logger(bad)  # type: ignore[arg-type]


def test_default_stream_is_stdout_at_write_time(service_name, monkeypatch):
    logger = get_logger(service_name)
    replaced = io.StringIO()
    monkeypatch.setattr(sys, "stdout", replaced)
    logger.info("to stdout")
    assert json.loads(replaced.getvalue())[Field.MESSAGE] == "to stdout"


def test_a_failing_stream_does_not_raise(service_name, monkeypatch):
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("pipe closed")

    monkeypatch.setattr(logging, "raiseExceptions", False)
    logger = get_logger(service_name, stream=Broken())
    logger.info("lost, but the function goes on")


def test_child_loggers_are_written_by_the_service_logger(captured, service_name):
    captured.logger.getChild("db").warning("slow query")
    record = captured.one
    assert record[Field.LOGGER] == f"watchkeeper.{service_name}.db"
    assert record[Field.SERVICE] == service_name


def test_a_powertools_logger_of_the_same_service_does_not_share_ours(captured, service_name):
    from aws_lambda_powertools import Logger

    powertools_stream = io.StringIO()
    powertools = Logger(service=service_name, stream=powertools_stream)
    powertools.info("from powertools")
    captured.logger.info("from watchkeeper")
    assert [r[Field.MESSAGE] for r in captured.records] == ["from watchkeeper"]
    assert [
        json.loads(line)[Field.MESSAGE] for line in powertools_stream.getvalue().splitlines()
    ] == ["from powertools"]
