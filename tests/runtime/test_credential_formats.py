"""Issue 18: the credential formats services leak never reach the output, in any position.

The corpus (tests/runtime/credential_corpus.py) holds a fake credential of every format
detected; each is logged in a message, an innocuously named field, a nested structure and
a JSON document held in a string. Hypothesis then embeds them at random depths in random
surrounding text. Benign look-alikes must survive all of it.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus.log_lines import CORPUS
from tests.runtime.credential_corpus import (
    AWS_KEY_ID,
    AWS_SECRET,
    BENIGN,
    CREDENTIALS,
    OTHER_AWS_SECRET,
    Credential,
)
from watchkeeper import schema
from watchkeeper.log_metrics import LOG_METRICS
from watchkeeper.runtime import (
    add_sensitive_keys,
    add_value_pattern,
    get_logger,
    is_sensitive_key,
    redact,
    redact_text,
    reset_user_rules,
    security_event,
)
from watchkeeper.runtime.formatter import redact_record
from watchkeeper.runtime.redaction import REDACTION_KINDS, redacted
from watchkeeper.schema import Field
from watchkeeper.testing import parse_pattern

IDS = [c.name for c in CREDENTIALS]


def _positions(text: str) -> dict[str, object]:
    """``text`` in an innocuous field, a nested structure and a JSON string."""
    return {
        "note": text,
        "details": {"attempt": [1, {"context": {"input": text}}]},
        "payload": json.dumps({"request": {"headers": {"x-trace": text}}}),
    }


def test_every_kind_has_a_corpus_credential():
    assert {c.kind for c in CREDENTIALS} == set(REDACTION_KINDS)


@pytest.mark.parametrize("credential", CREDENTIALS, ids=IDS)
def test_credential_is_replaced_by_its_kind_and_context_is_kept(credential: Credential):
    result = redact_text(credential.text)
    assert credential.secret not in result
    assert redacted(credential.kind) in result
    for kept in credential.kept:
        assert kept in result


@pytest.mark.parametrize("credential", CREDENTIALS, ids=IDS)
def test_credential_never_reaches_the_output_in_any_position(captured, credential: Credential):
    captured.logger.info(credential.text, extra=_positions(credential.text))
    line = captured.stream.getvalue()
    assert credential.secret not in line
    # JSON held in a string is escaped once more in the line: check its decoded form too.
    record = json.loads(line)
    assert credential.secret not in record["payload"]
    assert credential.secret not in json.dumps(json.loads(record["payload"]))
    assert redacted(credential.kind) in record[Field.MESSAGE]


@pytest.mark.parametrize("credential", CREDENTIALS, ids=IDS)
def test_credential_never_reaches_a_security_event(captured, credential: Credential):
    record = security_event(
        "authn_login_fail", credential.text, logger=captured.logger, details=credential.text
    )
    assert record is not None
    line = captured.stream.getvalue()
    assert credential.secret not in line
    assert json.loads(line)[Field.EVENT].startswith("authn_login_fail:")


@pytest.mark.parametrize("benign", BENIGN)
def test_benign_look_alikes_survive_every_position(captured, benign: str):
    assert redact_text(benign) == benign
    captured.logger.info(benign, extra=_positions(benign))
    record = json.loads(captured.stream.getvalue())
    assert record[Field.MESSAGE] == benign
    assert record["note"] == benign
    assert record["details"]["attempt"][1]["context"]["input"] == benign
    assert json.loads(record["payload"])["request"]["headers"]["x-trace"] == benign


# --------------------------------------------------------------------------------------
# AWS secret access keys without their label: context rules
# --------------------------------------------------------------------------------------


def test_unlabelled_aws_secret_beside_a_key_id_field_is_redacted(captured):
    captured.logger.info("rotated", extra={"id": AWS_KEY_ID, "value": OTHER_AWS_SECRET})
    nested = redact({"creds": {"a": AWS_KEY_ID, "b": OTHER_AWS_SECRET}, "other": "x"})
    line = captured.stream.getvalue()
    assert OTHER_AWS_SECRET not in line and AWS_KEY_ID not in line
    assert nested["creds"]["b"] == redacted("aws-secret-key")


@pytest.mark.parametrize("key", ["awsKey", "aws_key", "AccessKey", "s3_access_key"])
def test_unlabelled_aws_secret_under_a_key_ish_name_is_redacted(key):
    assert redact({key: AWS_SECRET}) == {key: redacted("aws-secret-key")}
    assert redact_record({key: AWS_SECRET}) == {key: redacted("aws-secret-key")}


@pytest.mark.parametrize(
    "text",
    [
        f"{AWS_KEY_ID} da39a3ee5e6b4b0d3255bfef95601890afd80709",  # SHA-1 beside a key id
        "ThisIsALongCamelCaseIdentifierName012345 without any key id",
        f"{AWS_KEY_ID} " + "x" * 300 + f" {OTHER_AWS_SECRET}",  # too far from the key id
    ],
)
def test_forty_characters_without_aws_context_or_randomness_are_kept(text):
    kept = text.split()[-1]
    assert kept in redact_text(text)


def test_a_hash_under_a_key_ish_name_is_kept():
    sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert redact({"accessKeyHash": sha1, "id": AWS_KEY_ID, "etag": sha1})["etag"] == sha1


# --------------------------------------------------------------------------------------
# Sensitive keys in other languages; keys and patterns of the user's own
# --------------------------------------------------------------------------------------

FOREIGN_KEYS = [
    "Passwort",
    "passwörd",
    "Kennwort",
    "wachtwoord",
    "mot_de_passe",
    "motDePasse",
    "contraseña",
    "contrasena",
    "senha",
    "salasana",
    "lösenord",
    "passord",
    "adgangskode",
    "пароль",
    "密码",
    "パスワード",
    "비밀번호",
    "neuesPasswort",
]


@pytest.mark.parametrize("key", FOREIGN_KEYS)
def test_password_in_other_languages_is_a_sensitive_key(captured, key):
    assert is_sensitive_key(key)
    captured.logger.info("x", extra={"form": {key: "geheim-123"}})
    assert "geheim-123" not in captured.stream.getvalue()


@pytest.mark.parametrize("key", ["parola", "haslo", "heslo", "sifre", "clave", "passport"])
def test_ambiguous_foreign_words_are_not_sensitive_keys(key):
    assert not is_sensitive_key(key)


@pytest.fixture
def user_rules():
    reset_user_rules()
    yield
    reset_user_rules()


def test_user_key_names_are_sensitive_in_mappings_and_text(captured, user_rules):
    assert not is_sensitive_key("payer_iban")
    add_sensitive_keys("IBAN", "Kundennummer")
    assert is_sensitive_key("payer_iban") and is_sensitive_key("kunden-nummer")
    captured.logger.info(
        "iban=DE89370400440532013000 sent", extra={"payer": {"ibanNumber": "DE8937040044"}}
    )
    line = captured.stream.getvalue()
    assert "DE89370400440532013000" not in line and "DE8937040044" not in line
    assert "iban=[REDACTED:secret] sent" in line


def test_user_value_patterns_are_applied_everywhere(captured, user_rules):
    add_value_pattern("acme-key", r"acme_[0-9a-f]{32}")
    key = "acme_" + "0123456789abcdef" * 2
    captured.logger.info(f"calling with {key}", extra={"n": {"k": [f"x {key}"]}})
    line = captured.stream.getvalue()
    assert key not in line
    assert line.count(redacted("acme-key")) == 2
    # a string cached as clean before the pattern was added is scanned again
    reset_user_rules()
    assert redact_text(f"again {key}") == f"again {key}"
    add_value_pattern("acme-key", re.compile(r"acme_[0-9a-f]{32}"))
    assert redact_text(f"again {key}") == f"again {redacted('acme-key')}"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_sensitive_keys("id"), r"'id' is not a usable key name"),
        (lambda: add_sensitive_keys(""), r"'' is not a usable key name"),
        (lambda: add_value_pattern("Acme Key", "acme"), r"kind='Acme Key' is not allowed"),
        (lambda: add_value_pattern("acme", "acme_(["), r"pattern='acme_\(\[' is not a regular"),
        (lambda: add_value_pattern("acme", "x*"), r"pattern='x\*' matches the empty string"),
    ],
)
def test_user_rules_are_validated(user_rules, call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------------------
# Property tests: random depths, random surrounding text
# --------------------------------------------------------------------------------------

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=0, max_size=12)
_SEPARATORS = st.sampled_from([" ", "\n", "\t", ", ", "; ", " | ", " (", ") "])
_KEYS = st.sampled_from(["note", "input", "ctx", "items", "data", "value", "meta", "args"])


def _embedded(credential: Credential, before: str, sep1: str, sep2: str, after: str) -> str:
    return f"{before}{sep1}{credential.text}{sep2}{after}"


def _nest(leaf: object, path: list[tuple[str, int]]) -> object:
    """``leaf`` wrapped in dicts (str step) and lists (int step, leaf at that index)."""
    value = leaf
    for key, index in reversed(path):
        if index < 0:
            value = {key: value, "other": "ok"}
        else:
            value = ["ok"] * (index % 3) + [value]
    return value


_PATH = st.lists(st.tuples(_KEYS, st.integers(-3, 3)), max_size=8)
_STREAM = io.StringIO()
_STORE = get_logger("property-credentials", level="INFO", stream=_STREAM)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    credential=st.sampled_from(CREDENTIALS),
    before=_WORDS,
    after=_WORDS,
    sep1=_SEPARATORS,
    sep2=_SEPARATORS,
    path=_PATH,
    as_json=st.booleans(),
    in_message=st.booleans(),
)
def test_secret_at_any_depth_in_any_surrounding_text_never_reaches_output(
    credential, before, after, sep1, sep2, path, as_json, in_message
):
    _STREAM.seek(0)
    _STREAM.truncate()
    text = _embedded(credential, before, sep1, sep2, after)
    value = _nest(text, path)
    if as_json:
        value = json.dumps({"wrapped": value})
    _STORE.info(text if in_message else "event", extra={"field": value})
    line = _STREAM.getvalue()
    assert credential.secret not in line
    assert credential.secret not in json.dumps(json.loads(line), ensure_ascii=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    benign=st.sampled_from(BENIGN),
    before=_WORDS,
    after=_WORDS,
    sep=st.sampled_from([", ", " | ", "\n"]),
    path=_PATH,
    as_json=st.booleans(),
)
def test_benign_values_survive_at_any_depth(benign, before, after, sep, path, as_json):
    value = _nest(f"{before}{sep}{benign}{sep}{after}", path)
    if as_json:
        value = json.dumps({"wrapped": value})
    assert redact({"field": value}) == {"field": value}


# --------------------------------------------------------------------------------------
# Metric filters and queries keep working on redacted records
# --------------------------------------------------------------------------------------

JSON_PATTERNS = {name: parse_pattern(m.json_pattern) for name, m in LOG_METRICS.items()}


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


JSON_CORPUS = [e for e in CORPUS if _is_json_object(e.line)]


@pytest.mark.parametrize("entry", JSON_CORPUS, ids=lambda e: e.id)
def test_metric_filters_count_the_same_on_runtime_redacted_records(entry):
    redacted_line = json.dumps(redact_record(json.loads(entry.line)), separators=(",", ":"))
    counted = {name for name, p in JSON_PATTERNS.items() if p.matches(redacted_line)}
    assert counted == entry.json


def test_no_field_the_filters_and_queries_read_is_sensitive():
    names = {
        *(v for k, v in vars(schema.Field).items() if k.isupper()),
        *(v for k, v in vars(schema.PowertoolsField).items() if k.isupper()),
    }
    assert names and not [n for n in names if is_sensitive_key(n)]


def test_no_vocabulary_event_name_is_redacted():
    for name in schema.VOCABULARY:
        assert redact_text(name) == name
        assert redact_record({Field.EVENT: f"{name}:joebob1"})[Field.EVENT] == f"{name}:joebob1"


@pytest.mark.parametrize(("escape", "written"), [("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")],
                         ids=["newline", "tab", "return"])
@pytest.mark.parametrize("credential", CREDENTIALS, ids=IDS)
def test_a_credential_right_after_a_json_escape_is_masked(credential, escape, written):
    # In the text of a JSON document a control character is written as `\n`, `\t`...: the
    # letter of the escape sits right before the credential, where a word boundary or a
    # lookbehind of letters would let it through (found by the property test above: an
    # access key id and its secret on a CSV line after a newline, JSON-encoded).
    text = json.dumps({"wrapped": f"row{escape}{credential.text}{escape}next"})
    assert written + credential.text[:1] in text  # the escape's letter touches it
    assert credential.secret not in json.dumps(redact({"field": text}))
