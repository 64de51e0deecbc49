from __future__ import annotations

import logging

import pytest

from watchkeeper.runtime import FIELD_ALIASES, bind_lambda_context, event_value, security_event
from watchkeeper.runtime.security import MAX_PARAM_LENGTH, RESERVED_FIELDS
from watchkeeper.schema import (
    CUSTOM_EVENT_LEVEL,
    CUSTOM_EVENT_PREFIX,
    LEVELS,
    VOCABULARY,
    Category,
    Field,
    split_event,
)


@pytest.mark.parametrize("name", list(VOCABULARY))
def test_every_vocabulary_event_uses_its_category_level_and_description(captured, name):
    spec = VOCABULARY[name]
    returned = security_event(name, logger=captured.logger)
    written = captured.one
    assert returned == written
    assert written[Field.EVENT] == name  # no colon without params
    assert written[Field.CATEGORY] == spec.category
    assert written[Field.LEVEL] == spec.level
    assert written[Field.MESSAGE] == spec.description


def test_params_follow_a_colon_separated_by_commas(captured):
    record = security_event("authz_fail", "joebob1", "/admin/users", 42, logger=captured.logger)
    assert record[Field.EVENT] == "authz_fail:joebob1,/admin/users,42"
    assert split_event(record[Field.EVENT]) == ("authz_fail", ("joebob1", "/admin/users", "42"))


def test_a_param_cannot_forge_another_param(captured):
    record = security_event("authn_login_fail", "eve,admin", "100%", logger=captured.logger)
    assert record[Field.EVENT] == "authn_login_fail:eve%2Cadmin,100%25"
    assert len(split_event(record[Field.EVENT])[1]) == 2


def test_long_param_is_cut():
    assert event_value("authn_login_fail", "x" * 10_000) == "authn_login_fail:" + "x" * (
        MAX_PARAM_LENGTH
    )


def test_snake_case_aliases_and_schema_names_are_the_same_field(captured):
    first = security_event(
        "authn_login_fail",
        "bob",
        logger=captured.logger,
        user_id="bob",
        source_ip="203.0.113.9",
        event_source="api",
        operation="POST /login",
    )
    second = security_event(
        "authn_login_fail",
        "bob",
        logger=captured.logger,
        userId="bob",
        sourceIp="203.0.113.9",
        eventSource="api",
        operation="POST /login",
    )
    for record in (first, second):
        assert record[Field.USER_ID] == "bob"
        assert record[Field.SOURCE_IP] == "203.0.113.9"
        assert record[Field.EVENT_SOURCE] == "api"
        assert record[Field.OPERATION] == "POST /login"
        assert "user_id" not in record
    assert FIELD_ALIASES["user_id"] == Field.USER_ID
    assert FIELD_ALIASES["source_ip"] == Field.SOURCE_IP


def test_other_fields_are_kept_and_redacted(captured):
    record = security_event(
        "sensitive_read",
        logger=captured.logger,
        details={"table": "cards", "token": "t0k3n"},
        resource="arn:aws:dynamodb:eu-west-1:123456789012:table/cards",
    )
    assert record[Field.DETAILS] == {"table": "cards", "token": "[REDACTED]"}
    assert record["resource"].endswith("table/cards")
    assert "t0k3n" not in captured.stream.getvalue()


def test_alias_and_schema_name_together_are_rejected(captured):
    with pytest.raises(ValueError, match="'userId' given twice"):
        security_event("authn_login_fail", logger=captured.logger, user_id="a", userId="b")


@pytest.mark.parametrize(
    "field", sorted(RESERVED_FIELDS - {Field.LEVEL, Field.MESSAGE, Field.LOGGER}) + ["msg", "name"]
)
def test_reserved_field_is_rejected(captured, field):
    with pytest.raises(ValueError, match=f"field '{field}' is reserved"):
        security_event("authn_login_fail", logger=captured.logger, **{field: "x"})
    assert captured.lines == []


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("authn_login_fial", "authn_login_fail"),
        ("authz_failed", "authz_fail"),
        ("malicious_sql", "malicious_sqli"),
        ("session_expire", "session_expired"),
    ],
)
def test_unknown_event_names_close_matches(typo, suggestion):
    with pytest.raises(ValueError) as error:
        security_event(typo)
    message = str(error.value)
    assert repr(typo) in message
    assert f"did you mean {suggestion!r}" in message or repr(suggestion) in message
    assert CUSTOM_EVENT_PREFIX in message


def test_unknown_event_without_close_match_says_how_to_add_one():
    with pytest.raises(ValueError) as error:
        security_event("completely_unrelated")
    assert "did you mean" not in str(error.value)
    assert "custom_" in str(error.value)


@pytest.mark.parametrize("bad", ["custom_", "custom_Refund", "custom_order-refund", "custom__x"])
def test_bad_custom_event_name_states_the_rule(bad):
    with pytest.raises(ValueError, match="not a valid custom event name.*must match"):
        security_event(bad)


@pytest.mark.parametrize("bad", [None, 42, b"authz_fail"])
def test_non_string_event_name(bad):
    with pytest.raises(ValueError, match="not a string"):
        security_event(bad)  # type: ignore[arg-type]


def test_custom_event(captured):
    record = security_event("custom_order_refunded", "o-17", logger=captured.logger, amount=12)
    assert record[Field.EVENT] == "custom_order_refunded:o-17"
    assert record[Field.CATEGORY] == Category.CUSTOM
    assert record[Field.LEVEL] == CUSTOM_EVENT_LEVEL
    assert record[Field.MESSAGE] == "custom_order_refunded"
    assert record["amount"] == 12


def test_level_and_message_can_be_overridden(captured):
    record = security_event(
        "authn_login_success", "bob", logger=captured.logger, level="warn", message="odd hour"
    )
    assert record[Field.LEVEL] == "WARNING"
    assert record[Field.MESSAGE] == "odd hour"


@pytest.mark.parametrize("bad", ["LOUD", 7, "warnings"])
def test_invalid_level_is_rejected(captured, bad):
    with pytest.raises(ValueError, match="level:.*allowed"):
        security_event("authn_login_fail", logger=captured.logger, level=bad)


def test_filtered_out_event_returns_none_and_writes_nothing(captured):
    captured.logger.setLevel(logging.ERROR)
    assert security_event("authn_login_success", logger=captured.logger) is None
    assert captured.lines == []
    assert security_event("authz_fail", logger=captured.logger) is not None


def test_context_fields_are_stamped(captured, lambda_context, service_name):
    bind_lambda_context(lambda_context)
    record = security_event("authz_fail", "bob", logger=captured.logger)
    assert record[Field.REQUEST_ID] == lambda_context.aws_request_id
    assert record[Field.FUNCTION_NAME] == lambda_context.function_name
    assert record[Field.SERVICE] == service_name


def test_default_logger_comes_from_the_environment(monkeypatch, capsys, service_name):
    monkeypatch.setenv("WATCHKEEPER_SERVICE", service_name)
    record = security_event("sys_startup")
    assert record[Field.SERVICE] == service_name
    assert capsys.readouterr().out.count("\n") == 1


def test_event_on_a_plain_stdlib_logger_puts_fields_on_the_record():
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    plain = logging.getLogger("plain-stdlib-for-security-event")
    plain.propagate = False
    plain.setLevel(logging.INFO)
    plain.addHandler(Keep())
    returned = security_event("authz_fail", "bob", logger=plain, user_id="bob")
    assert getattr(seen[0], Field.EVENT) == "authz_fail:bob"
    assert getattr(seen[0], Field.USER_ID) == "bob"
    assert seen[0].funcName == "test_event_on_a_plain_stdlib_logger_puts_fields_on_the_record"
    assert returned[Field.EVENT] == "authz_fail:bob"


def test_vocabulary_levels_are_valid_levels():
    assert {spec.level for spec in VOCABULARY.values()} <= set(LEVELS)


def test_event_through_a_logger_adapter_keeps_its_fields(captured):
    adapter = logging.LoggerAdapter(captured.logger, {"tenant": "t-1"})
    record = security_event("authz_fail", "bob", logger=adapter, user_id="bob")
    assert record[Field.EVENT] == "authz_fail:bob"
    assert captured.one[Field.USER_ID] == "bob"
