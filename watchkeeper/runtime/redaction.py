"""Redaction of credentials before a record is written.

Two rules, applied to every record by the formatter (so ``logger.info(..., extra=...)`` is
covered too, not only :func:`~watchkeeper.runtime.security_event`):

* **Sensitive keys.** A mapping value whose key names a credential is replaced whole,
  at any depth. Keys are compared case-insensitively with separators ignored, so
  ``apiKey``, ``api-key`` and ``API_KEY`` are the same key.
* **Credential-shaped values.** Inside every string (messages included) bearer tokens,
  Basic credentials, AWS access key ids and secret keys, PEM private key blocks, JWTs,
  ``password=...``-style assignments and Luhn-valid card numbers are replaced.

Every pattern is linear: bounded or possessive quantifiers, anchored on a literal, so a
large or hostile message cannot make redaction slow (see the tests with 1 MB inputs).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Callable
from typing import Any, Final

#: What replaces a value whose key is sensitive.
REDACTED: Final = "[REDACTED]"


def redacted(kind: str) -> str:
    """What replaces a credential of ``kind`` found inside a string."""
    return f"[REDACTED:{kind}]"


# --------------------------------------------------------------------------------------
# Sensitive keys
# --------------------------------------------------------------------------------------

#: A key is sensitive when its normalised form (lower case, letters and digits only)
#: contains one of these ...
SENSITIVE_KEY_PARTS: Final = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "apikey",
    "cookie",
    "sessionid",
    "creditcard",
    "cardnumber",
    "privatekey",
    "credential",
)
#: ... or is one of these (too short or too common to match inside other words).
SENSITIVE_KEYS: Final = frozenset(
    {"pwd", "session", "sessionkey", "cc", "ccnumber", "ccnum", "cvv", "cvc", "cvv2", "pin"}
)

_key_cache: dict[str, bool] = {}
_KEY_CACHE_LIMIT: Final = 4096
_NOT_ALNUM: Final = re.compile(r"[^a-z0-9]+")


def is_sensitive_key(key: object) -> bool:
    """Whether a value stored under ``key`` is a credential (``apiKey``, ``X-Api-Key``...)."""
    if not isinstance(key, str):
        return False
    known = _key_cache.get(key)
    if known is not None:
        return known
    normalised = _NOT_ALNUM.sub("", key.lower())
    sensitive = normalised in SENSITIVE_KEYS or any(p in normalised for p in SENSITIVE_KEY_PARTS)
    if len(_key_cache) < _KEY_CACHE_LIMIT:
        _key_cache[key] = sensitive
    return sensitive


# --------------------------------------------------------------------------------------
# Credential-shaped values inside strings
# --------------------------------------------------------------------------------------

# A separator between a credential's name and its value: `=`, `:`, `": "`, ` = '`...
_ASSIGN: Final = r"""["']?[ \t]{0,8}[:=][ \t]{0,8}["']?"""

_PEM_BEGIN: Final = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END: Final = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# Base64 body, newlines possibly escaped as `\n`; possessive, so linear.
_PEM_BODY: Final = re.compile(r"[A-Za-z0-9+/=\s\\]*+")
#: A PEM block longer than this (far beyond a 4096-bit RSA key) is cut at its base64 body.
_PEM_MAX_CHARS: Final = 16384

_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]*+")
_BEARER: Final = re.compile(r"\b(Bearer[ \t]++)[A-Za-z0-9._~+/-]{8,}+=*+", re.IGNORECASE)
_BASIC: Final = re.compile(
    r"\b(Basic[ \t]++)([A-Za-z0-9+/]{8,}+={0,2})(?![A-Za-z0-9+/=])", re.IGNORECASE
)
_AWS_ACCESS_KEY_ID: Final = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")
_AWS_SECRET_KEY: Final = re.compile(
    r"((?i:secret[_-]?access[_-]?key|secret[_-]?key|aws[_-]?secret)[A-Za-z0-9_.-]{0,20}+"
    + _ASSIGN
    + r")[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_ASSIGNMENT: Final = re.compile(
    r"((?i:password|passwd|passphrase|pwd|secret|token|api[_-]?key|authorization|cookie"
    r"|session[_-]?id|private[_-]?key|credential)[A-Za-z0-9_.-]{0,24}+"
    + _ASSIGN
    + r")(?!\[REDACTED|Bearer\b|Basic\b)[^\s\"',;&]++"
)
# A run of digit groups separated by single spaces or dashes ("4111 1111 1111 1111").
# Possessive, so linear; the callback finds the card numbers inside the run.
_CARD: Final = re.compile(r"(?<![0-9])[0-9]++(?:[ -][0-9]++)*+")
_DIGIT_GROUP: Final = re.compile(r"[0-9]+")
# Issuer prefixes of the card schemes (Visa, Mastercard, Amex, Diners, Discover, JCB...):
# a Luhn-valid digit run outside these (an epoch timestamp, an order id) is left alone.
_CARD_PREFIX: Final = re.compile(r"4|5[1-5]|2[2-7]|3[0-9]|6[0245]")


_LUHN_DOUBLED: Final = str.maketrans("0123456789", "0246813579")


def _is_card_number(digits: str) -> bool:
    if not 13 <= len(digits) <= 19 or _CARD_PREFIX.match(digits) is None:
        return False
    # Luhn: every second digit from the right doubled (digit sum of the double).
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(map(int, digits[-2::-2].translate(_LUHN_DOUBLED)))
    return (kept + doubled) % 10 == 0


def _replace_card(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) < 13:
        return text
    groups = [(m.start(), m.end()) for m in _DIGIT_GROUP.finditer(text)]
    if len(groups) == 1:
        return redacted("card") if _is_card_number(text) else text
    # Grouped digits: a card number is consecutive groups of 3 or more digits, the first
    # of 4 (4-4-4-4, 4-6-5, 4-6-4...), somewhere in the run ("order 10 4111 1111 ...").
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(groups):
        if groups[first][1] - groups[first][0] != 4:
            first += 1
            continue
        digits = ""
        found = None
        for last in range(first, len(groups)):
            start, end = groups[last]
            if end - start < 3:
                break
            digits += text[start:end]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and _is_card_number(digits):
                found = last
        if found is None:
            first += 1
            continue
        spans.append((groups[first][0], groups[found][1]))
        first = found + 1
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(redacted("card"))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _replace_basic(match: re.Match[str]) -> str:
    # Prose says "basic" too; only a base64 `user:password` pair is a credential.
    try:
        decoded = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    if b":" not in decoded:
        return match.group(0)
    return match.group(1) + redacted("basic-auth")


def _redact_pem(text: str) -> str:
    begin = _PEM_BEGIN.search(text)
    if begin is None:
        return text
    # One pass for the END lines, then each BEGIN takes the first END after it: linear
    # however many BEGIN lines a (hostile) message holds.
    ends = [(m.start(), m.end()) for m in _PEM_END.finditer(text, begin.end())]
    end_starts = [start for start, _ in ends]
    parts: list[str] = []
    position = 0
    marker = redacted("private-key")
    while begin is not None:
        parts.append(text[position : begin.start()])
        parts.append(marker)
        index = bisect.bisect_left(end_starts, begin.end())
        if index < len(ends) and ends[index][0] - begin.end() <= _PEM_MAX_CHARS:
            position = ends[index][1]
        else:  # a truncated block: take its base64 body
            body = _PEM_BODY.match(text, begin.end())
            position = body.end() if body else begin.end()
        begin = _PEM_BEGIN.search(text, position)
    parts.append(text[position:])
    return "".join(parts)


def _sub(
    pattern: re.Pattern[str], replacement: str | Callable[[re.Match[str]], str]
) -> Callable[[str], str]:
    def apply(text: str) -> str:
        return pattern.sub(replacement, text)

    return apply


#: (kind, rule) in the order applied; specific shapes come before the generic
#: ``name=value`` rule so that the kind written is the specific one.
_RULES: Final[tuple[tuple[str, Callable[[str], str]], ...]] = (
    ("private-key", _redact_pem),
    ("jwt", _sub(_JWT, redacted("jwt"))),
    ("bearer", _sub(_BEARER, "\\g<1>" + redacted("bearer"))),
    ("basic-auth", _sub(_BASIC, _replace_basic)),
    ("aws-access-key-id", _sub(_AWS_ACCESS_KEY_ID, redacted("aws-access-key-id"))),
    ("aws-secret-key", _sub(_AWS_SECRET_KEY, "\\g<1>" + redacted("aws-secret-key"))),
    ("secret", _sub(_ASSIGNMENT, "\\g<1>" + redacted("secret"))),
    ("card", _sub(_CARD, _replace_card)),
)
#: The ``<kind>`` values of ``[REDACTED:<kind>]``.
REDACTION_KINDS: Final = tuple(kind for kind, _ in _RULES)

# Cheap gate, run on the lower-cased text: a string containing none of these can hold
# none of the shapes above. That is most log text, which then costs one linear scan.
_MAYBE_CREDENTIAL: Final = re.compile(
    r"[0-9](?:[ -]?[0-9]){12}|-----begin|eyj|akia|asia|abia|acca|bearer|basic|pass|pwd"
    r"|secret|token|api[_-]?key|authorization|cookie|session|private|credential"
)
# Short strings already found clean (messages, operations, user ids repeat a lot).
_clean: set[str] = set()
_CLEAN_CACHE_LIMIT: Final = 4096
_CLEAN_CACHE_MAX_CHARS: Final = 256


def redact_text(text: str) -> str:
    """``text`` with every credential-shaped substring replaced by ``[REDACTED:<kind>]``."""
    short = len(text) <= _CLEAN_CACHE_MAX_CHARS
    if short and text in _clean:
        return text
    if _MAYBE_CREDENTIAL.search(text.lower()) is None:
        if short:
            if len(_clean) >= _CLEAN_CACHE_LIMIT:
                _clean.clear()
            _clean.add(text)
        return text
    for _kind, rule in _RULES:
        text = rule(text)
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
                return {
                    _key(k): REDACTED if is_sensitive_key(k) else _redact(v, depth + 1, path)
                    for k, v in value.items()
                }
            return [_redact(item, depth + 1, path) for item in value]
        finally:
            path.discard(marker)
    return value


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
