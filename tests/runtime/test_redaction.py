from __future__ import annotations

import base64
import io
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.credential_corpus import CREDENTIALS
from watchkeeper.runtime import (
    REDACTED,
    get_logger,
    is_sensitive_key,
    redact,
    redact_text,
    security_event,
)
from watchkeeper.runtime.redaction import REDACTION_KINDS, redacted
from watchkeeper.schema import Field

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4"
BASIC = base64.b64encode(b"admin:s3cr3t-Pa55").decode()

# (secret that must not appear in output, text embedding it, kind expected in its place)
EMBEDDED_SECRETS = [
    ("abcDEF123456789token", "Authorization: Bearer abcDEF123456789token", "bearer"),
    ("abcDEF123456789token", "authorization=bearer abcDEF123456789token", "bearer"),
    (BASIC, f"Authorization: Basic {BASIC}", "basic-auth"),
    ("AKIAIOSFODNN7EXAMPLE", "using key AKIAIOSFODNN7EXAMPLE for s3", "aws-access-key-id"),
    ("ASIAY34FZKBOKMUTVV7A", "temp creds ASIAY34FZKBOKMUTVV7A", "aws-access-key-id"),
    (AWS_SECRET, f"aws_secret_access_key={AWS_SECRET}", "aws-secret-key"),
    (AWS_SECRET, f'{{"SecretAccessKey": "{AWS_SECRET}"}}', "aws-secret-key"),
    (AWS_SECRET, f"AWS_SECRET_ACCESS_KEY: '{AWS_SECRET}'", "aws-secret-key"),
    (
        PEM_BODY[:30],
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----",
        "private-key",
    ),
    (
        PEM_BODY[:30],
        f"-----BEGIN RSA PRIVATE KEY-----\\n{PEM_BODY}\\n-----END RSA PRIVATE KEY-----",
        "private-key",
    ),
    (PEM_BODY[:30], f"key: -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}", "private-key"),
    (JWT.split(".")[1], f"id token {JWT} rejected", "jwt"),
    ("4111111111111111", "paid with 4111111111111111 today", "card"),
    ("4111 1111 1111 1111", "card 4111 1111 1111 1111", "card"),
    ("5500-0000-0000-0004", "mc 5500-0000-0000-0004", "card"),
    ("378282246310005", "amex 378282246310005.", "card"),
    ("3782 822463 10005", "amex 3782 822463 10005 ok", "card"),
    ("1111 1111 1111", "qty 10 4111 1111 1111 1111 0 units", "card"),
    ("hunter2", "login with password=hunter2 failed", "secret"),
    ("hunter2", "db_password: hunter2", "secret"),
    ("hunter2", '{"Password": "hunter2"}', "secret"),
    ("s3cr3tv4lue", "client_secret=s3cr3tv4lue&grant_type=x", "secret"),
    ("tok_123456", "GET /cb?access_token=tok_123456&state=1", "secret"),
    ("k-9f8e7d6c", "x-api-key: k-9f8e7d6c", "secret"),
    ("k-9f8e7d6c", "apiKey=k-9f8e7d6c", "secret"),
    ("sess-77aa", "Cookie: sess-77aa", "secret"),
    ("abc123sid", "session_id=abc123sid", "secret"),
]

# Every format of the credential corpus (issue 18), in the same checks.
EMBEDDED_SECRETS += [(c.secret, c.text, c.kind) for c in CREDENTIALS]


@pytest.mark.parametrize(("secret", "text", "kind"), EMBEDDED_SECRETS)
def test_embedded_secret_is_replaced_by_its_kind(secret, text, kind):
    result = redact_text(text)
    assert secret not in result
    assert redacted(kind) in result


@pytest.mark.parametrize(("secret", "text", "kind"), EMBEDDED_SECRETS)
def test_embedded_secret_never_reaches_output(captured, secret, text, kind):
    captured.logger.info(text, extra={"note": text, "nested": {"list": [text, {"deep": text}]}})
    security_event("input_validation_fail", text, logger=captured.logger, details=text)
    output = captured.stream.getvalue()
    assert secret not in output
    assert len(captured.records) == 2


SENSITIVE_KEYS = [
    "password",
    "Password",
    "db_password",
    "passwd",
    "secret",
    "clientSecret",
    "token",
    "access_token",
    "refreshToken",
    "Authorization",
    "apiKey",
    "api-key",
    "API_KEY",
    "apikey",
    "x-api-key",
    "X-Api-Key",
    "cookie",
    "Set-Cookie",
    "session",
    "session_id",
    "sessionId",
    "credit_card",
    "creditCardNumber",
    "card_number",
    "cc",
    "CVV",
    "private_key",
    "privateKey",
    "aws_secret_access_key",
    "credentials",
]
NOT_SENSITIVE_KEYS = [
    "user",
    "userId",
    "orderId",
    "partitionKey",
    "keyName",
    "sessions_count_hint",
    "status",
    "access",
    "cache",
    "card_type",
    42,
    None,
]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_keys_whatever_the_spelling(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", NOT_SENSITIVE_KEYS)
def test_ordinary_keys_are_kept(key):
    assert not is_sensitive_key(key)


def test_no_schema_field_is_treated_as_sensitive():
    fields = [v for k, v in vars(Field).items() if k.isupper()]
    assert fields and not [f for f in fields if is_sensitive_key(f)]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_key_value_replaced_at_any_depth_in_output(captured, key):
    value = {"any": ["shape", 1]}
    captured.logger.info(
        "x", extra={key: "top-value", "wrap": [{key: value}, {"inner": {key: 12345}}]}
    )
    record = captured.one
    assert record[key] == REDACTED
    assert record["wrap"][0][key] == REDACTED
    assert record["wrap"][1]["inner"][key] == REDACTED
    assert "top-value" not in captured.stream.getvalue()


def test_redact_keeps_ordinary_structure():
    value = {"user": "bob", "items": [1, 2.5, None, True], "nested": {"ok": "fine"}}
    assert redact(value) == value


def test_redact_card_number_as_integer():
    assert redact({"n": 4111111111111111, "m": 1700000000000}) == {
        "n": redacted("card"),
        "m": 1700000000000,
    }


@pytest.mark.parametrize(
    "text",
    [
        "Basic information about the order",  # prose, not base64 user:password
        "order 1700000000000 at epoch ms",  # Luhn-irrelevant: not a card prefix
        "4111111111111112 fails Luhn",
        "login failed: invalid password",
        "tokens issued: 3",
        "a bearer of news",
        "event authn_login_fail recorded",
    ],
)
def test_ordinary_text_is_not_redacted(text):
    assert redact_text(text) == text


def test_every_kind_is_exercised():
    assert {kind for _, _, kind in EMBEDDED_SECRETS} == set(REDACTION_KINDS)


def test_event_params_are_redacted_but_event_name_kept(captured):
    record = security_event("authn_token_created", "AKIAIOSFODNN7EXAMPLE", logger=captured.logger)
    assert record[Field.EVENT] == f"authn_token_created:{redacted('aws-access-key-id')}"
    captured.logger.info("x", extra={Field.EVENT: "authn_token_reuse:password=hunter2"})
    assert captured.records[-1][Field.EVENT] == "authn_token_reuse:password=[REDACTED:secret]"


HOSTILE_MEGABYTE = {
    "letters": "a" * 1_000_000,
    "digits": "1" * 1_000_000,
    "spaced digits": "1 " * 500_000,
    "card-like groups": "4111 " * 200_000,
    "dashed card-like groups": "4111-" * 200_000,
    "pem headers": "-----BEGIN PRIVATE KEY-----" * 37_000,
    "pem ends": "-----BEGIN PRIVATE KEY-----" + "-----END" * 125_000,
    "assignments": "password=" * 111_000,
    "keywords": "token secret bearer basic " * 38_000,
    "jwt starts": "eyJ" * 333_000,
    "bearer": "Bearer " * 142_000,
    "basic": "Basic " + "A" * 1_000_000,
    "access key prefixes": "AKIA" * 250_000,
    "url schemes": "postgres://" * 90_000,
    "url userinfo": "https://" + "a:" * 500_000 + "@",
    "url at signs": "x://a:" + "@" * 1_000_000,
    "key ids beside base64": ("AKIAIOSFODNN7EXAMPLE " + "Aa1" * 13 + "A ") * 16_000,
    "token prefixes": "ghp_ xoxb- glpat- sk_live_ AIza npm_ SG. " * 24_000,
    "escaped quotes": 'password\\": \\"' * 70_000,
}


@pytest.mark.parametrize("name", list(HOSTILE_MEGABYTE))
def test_one_megabyte_hostile_message_is_redacted_quickly(name):
    text = HOSTILE_MEGABYTE[name]
    started = time.perf_counter()
    redact_text(text)
    # A guard against catastrophic backtracking, not a speed target (bench/bench_runtime.py
    # measures speed): linear patterns take about a second on a busy 2-core machine, a
    # backtracking one takes minutes. The bound leaves room for a loaded CI machine.
    assert time.perf_counter() - started < 20.0


def test_one_megabyte_message_with_secrets_is_fully_redacted(captured):
    filler = "order processed ok; " * 25_000
    text = filler + "password=hunter2 " + filler + f"Bearer {JWT} " + filler
    started = time.perf_counter()
    captured.logger.info(text)
    assert time.perf_counter() - started < 20.0  # backtracking guard, as above
    output = captured.stream.getvalue()
    assert "hunter2" not in output and JWT not in output
    assert len(output) > 1_000_000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.text(max_size=200),
    suffix=st.text(max_size=200),
    index=st.integers(0, len(EMBEDDED_SECRETS) - 1),
)
def test_secret_survives_no_surrounding_text(prefix, suffix, index):
    secret, text, _ = EMBEDDED_SECRETS[index]
    result = redact_text(f"{prefix} {text} {suffix}")
    if secret in prefix or secret in suffix:
        return  # the surrounding text itself holds the secret outside its context
    assert secret not in result


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_redact_text_never_raises_and_is_idempotent(text):
    once = redact_text(text)
    assert redact_text(once) == once


_HYPOTHESIS_STREAM = io.StringIO()
_HYPOTHESIS_LOGGER = get_logger("hypothesis-json", level="INFO", stream=_HYPOTHESIS_STREAM)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=10), children, max_size=5)
        ),
        max_leaves=30,
    )
)
def test_any_json_like_value_is_written_as_one_json_line(value):
    _HYPOTHESIS_STREAM.seek(0)
    _HYPOTHESIS_STREAM.truncate()
    _HYPOTHESIS_LOGGER.info("v", extra={"value": value})
    lines = _HYPOTHESIS_STREAM.getvalue().splitlines()  # splits on \x85, \u2028 too
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "v"
