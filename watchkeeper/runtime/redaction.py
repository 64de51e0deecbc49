"""Redaction of credentials before a record is written.

Two rules, applied to every record by the formatter (so ``logger.info(..., extra=...)`` is
covered too, not only :func:`~watchkeeper.runtime.security_event`):

* **Sensitive keys.** A mapping value whose key names a credential is replaced whole,
  at any depth. Keys are compared case-insensitively with separators and accents ignored,
  so ``apiKey``, ``api-key`` and ``API_KEY`` are the same key, and so are ``Passwörd`` and
  ``password``.
* **Credential-shaped values.** Inside every string (messages, nested values, JSON held in
  strings, URLs) the credential formats of :data:`REDACTION_KINDS` are replaced by
  ``[REDACTED:<kind>]``: each by its documented shape (prefix, length, alphabet; the Luhn
  check for card numbers), so that request ids, hashes, ARNs and order ids stay.

Users add key names with :func:`add_sensitive_keys` and value patterns of their own with
:func:`add_value_pattern`. The key rule lives in :mod:`watchkeeper.runtime.sensitive_keys`,
the value rules in :mod:`watchkeeper.runtime.credential_formats`; this module holds the
user's rules and the walk over records, and every public name of the three.

Every pattern is linear: bounded or possessive quantifiers, anchored on a literal, so a
large or hostile message cannot make redaction slow (see the tests with 1 MB inputs).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Final

from watchkeeper.runtime.credential_formats import (
    _RULES,
    AWS_SECRET_PROXIMITY,
    REDACTION_KINDS,
    _aws_key_ids_seen,
    _gate_pattern,
    _is_card_number,
    _redact_aws_secret,
    aws_key_ids_seen,
    redact_aws_secrets_beside_key_ids,
    redacted,
    use_user_labels,
)
from watchkeeper.runtime.sensitive_keys import (
    _KEY_AWS_LABEL,
    _KEY_ORDINARY,
    _KEY_SENSITIVE,
    AWS_KEY_LABEL_PARTS,
    FOREIGN_SENSITIVE_KEY_PARTS,
    REDACTED,
    SENSITIVE_KEY_PARTS,
    SENSITIVE_KEYS,
    _key_class,
    is_sensitive_key,
    normalise_key,
    use_user_key_parts,
)

__all__ = [
    "AWS_KEY_LABEL_PARTS",
    "AWS_SECRET_PROXIMITY",
    "FOREIGN_SENSITIVE_KEY_PARTS",
    "MAX_DEPTH",
    "MIN_USER_KEY_CHARS",
    "REDACTED",
    "REDACTION_KINDS",
    "SENSITIVE_KEYS",
    "SENSITIVE_KEY_PARTS",
    "add_sensitive_keys",
    "add_value_pattern",
    "aws_key_ids_seen",
    "is_sensitive_key",
    "normalise_key",
    "redact",
    "redact_aws_secrets_beside_key_ids",
    "redact_field_value",
    "redact_text",
    "redacted",
    "reset_user_rules",
]

# The gate of the built-in value rules, with the user's key names (rebuilt as they change).
_maybe_credential: re.Pattern[str] = _gate_pattern(())
# Short strings already found clean (messages, operations, user ids repeat a lot).
_clean: set[str] = set()
_CLEAN_CACHE_LIMIT: Final = 4096
_CLEAN_CACHE_MAX_CHARS: Final = 256

# --------------------------------------------------------------------------------------
# Rules of the user's own
# --------------------------------------------------------------------------------------

# (kind, pattern) added with `add_value_pattern`.
_user_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
_KIND_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_rules_lock: Final = threading.Lock()
# Key names added with `add_sensitive_keys`, normalised.
_user_key_parts: tuple[str, ...] = ()
#: A key name added by the user must have at least this many letters or digits
#: (normalised), or it would match inside most keys.
MIN_USER_KEY_CHARS: Final = 3


def add_sensitive_keys(*names: str) -> None:
    """Treat keys containing any of ``names`` as sensitive, like ``password``.

    Compared like the built-in names: case, separators and accents ignored, anywhere in
    the key (``add_sensitive_keys("iban")`` covers ``IBAN``, ``payer_iban``,
    ``ibanNumber``). ``name=value`` and ``"name": "value"`` inside strings are redacted too.
    Process-wide; call it once at import time of the handler module.
    """
    global _user_key_parts, _maybe_credential
    added: list[str] = []
    for name in names:
        normalised = normalise_key(name) if isinstance(name, str) else ""
        if len(normalised) < MIN_USER_KEY_CHARS:
            raise ValueError(
                f"add_sensitive_keys: {name!r} is not a usable key name: give a string with at "
                f"least {MIN_USER_KEY_CHARS} letters or digits (e.g. 'iban')"
            )
        if normalised not in _user_key_parts and normalised not in added:
            added.append(normalised)
    with _rules_lock:
        _user_key_parts = _user_key_parts + tuple(added)
        use_user_key_parts(_user_key_parts)
        labels = [re.escape(part) for part in _user_key_parts]
        use_user_labels(labels)
        _maybe_credential = _gate_pattern(labels)
        _clean.clear()


def add_value_pattern(kind: str, pattern: str | re.Pattern[str]) -> None:
    """Replace every match of ``pattern`` in every string by ``[REDACTED:<kind>]``.

    ``kind``: 1-40 characters of lower-case letters, digits and ``-``. ``pattern``: a
    regular expression (``re`` syntax) that cannot match the empty string; keep it linear
    (anchored on a literal, bounded quantifiers), since it runs on every string written.
    Applied after the built-in rules. Process-wide; call it once at import time.
    """
    global _user_patterns
    if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
        raise ValueError(
            f"add_value_pattern: kind={kind!r} is not allowed: 1-40 characters of lower-case "
            "letters, digits and '-' (it is written as [REDACTED:<kind>])"
        )
    try:
        compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    except (re.error, TypeError) as error:
        raise ValueError(
            f"add_value_pattern: pattern={pattern!r} is not a regular expression: {error}"
        ) from None
    if compiled.search("") is not None:
        raise ValueError(
            f"add_value_pattern: pattern={compiled.pattern!r} matches the empty string; "
            "give one that matches only the value to hide"
        )
    with _rules_lock:
        _user_patterns = (*_user_patterns, (kind, compiled))
        _clean.clear()


def reset_user_rules() -> None:
    """Forget every key name and value pattern added by the user (tests use this)."""
    global _user_key_parts, _maybe_credential, _user_patterns
    with _rules_lock:
        _user_key_parts = ()
        use_user_key_parts(())
        use_user_labels(())
        _maybe_credential = _gate_pattern(())
        _user_patterns = ()
        _clean.clear()


def _apply_user_patterns(text: str) -> str:
    for kind, pattern in _user_patterns:
        text = pattern.sub(redacted(kind), text)
    return text


def redact_text(text: str) -> str:
    """``text`` with every credential-shaped substring replaced by ``[REDACTED:<kind>]``."""
    short = len(text) <= _CLEAN_CACHE_MAX_CHARS
    if short and text in _clean:
        return text
    lowered = text.lower()
    if _maybe_credential.search(lowered) is None:
        if _user_patterns:
            result = _apply_user_patterns(text)
            if result != text:
                return result
        if short:
            if len(_clean) >= _CLEAN_CACHE_LIMIT:
                _clean.clear()
            _clean.add(text)
        return text
    for _kind, rule, markers in _RULES:
        if markers and not any(marker in lowered for marker in markers):
            continue
        text = rule(text)
    if _user_patterns:
        text = _apply_user_patterns(text)
    return text


# --------------------------------------------------------------------------------------
# Structures
# --------------------------------------------------------------------------------------

#: Containers nested deeper than this are written as their (redacted) string form.
MAX_DEPTH: Final = 32
_CIRCULAR: Final = "[Circular]"
_SCALARS: Final = (bool, float, type(None))


def redact(value: Any) -> Any:
    """A copy of ``value`` safe to write: sensitive keys and credential shapes replaced.

    Dicts, lists, tuples and sets are walked (a reference cycle becomes ``"[Circular]"``);
    strings are scanned; numbers that look like card numbers are scanned; anything else is
    returned as is and scanned when it is stringified for output.
    """
    return _redact(value, 0, set())


def _redact(value: Any, depth: int, path: set[int]) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, int):
        if 10**12 <= value < 10**19 and _is_card_number(str(value)):
            return redacted("card")
        return value
    if isinstance(value, dict | list | tuple | set | frozenset):
        marker = id(value)
        if marker in path:
            return _CIRCULAR
        if depth >= MAX_DEPTH:
            return redact_text(_safe_str(value))
        path.add(marker)
        try:
            if isinstance(value, dict):
                seen = _aws_key_ids_seen.count
                result = {_key(k): _redact_item(k, v, depth, path) for k, v in value.items()}
                redact_aws_secrets_beside_key_ids(result, seen)
                return result
            return [_redact(item, depth + 1, path) for item in value]
        finally:
            path.discard(marker)
    return value


def _redact_item(key: Any, value: Any, depth: int, path: set[int]) -> Any:
    kind = _key_class(key) if isinstance(key, str) else _KEY_ORDINARY
    if kind == _KEY_SENSITIVE:
        return REDACTED
    item = redact_text(value) if type(value) is str else _redact(value, depth + 1, path)
    if kind == _KEY_AWS_LABEL and type(item) is str:
        return _redact_aws_secret(item, anywhere=True)
    return item


def redact_field_value(key: str, value: Any) -> Any:
    """The value of a record's top-level field ``key``, redacted as a mapping item."""
    return _redact_item(key, value, -1, set())


def _key(key: Any) -> Any:
    # JSON object keys must be strings (numbers and booleans are converted by json).
    if isinstance(key, str | int | float | bool) or key is None:
        return key
    return _safe_str(key)


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<unprintable {type(value).__name__}>"
