"""Credential-shaped values inside strings: the formats, the rules that replace them and
the cheap gate that skips strings holding none.

Inside every string (messages, nested values, JSON held in strings, URLs) the credential
formats of :data:`REDACTION_KINDS` are replaced by ``[REDACTED:<kind>]``: each by its
documented shape (prefix, length, alphabet; the Luhn check for card numbers), so that
request ids, hashes, ARNs and order ids stay. :func:`~watchkeeper.runtime.redaction.
redact_text` applies the rules; the key names users add reach the ``name=value`` rule
through :func:`use_user_labels`.

Every pattern is linear: bounded or possessive quantifiers, anchored on a literal, so a
large or hostile message cannot make redaction slow (see the tests with 1 MB inputs).
Standard library only, like the rest of :mod:`watchkeeper.runtime`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final


def redacted(kind: str) -> str:
    """What replaces a credential of ``kind`` found inside a string."""
    return f"[REDACTED:{kind}]"


# A separator between a credential's name and its value: `=`, `:`, `": "`, ` = '`...
# Quotes may be escaped (`\"`), up to twice, for JSON held in a JSON string.
_ASSIGN: Final = r"""(?:\\{0,3}["'])?[ \t]{0,8}[:=][ \t]{0,8}(?:\\{0,3}["'])?"""
# A value runs to whitespace, a quote (escaped or not), `,`, `;` or `&`.
_VALUE: Final = r"""(?:[^\s"',;&\\]|\\(?![\\"']))++"""

_PEM_BEGIN: Final = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END: Final = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# Base64 body, newlines possibly escaped as `\n`; possessive, so linear.
_PEM_BODY: Final = re.compile(r"[A-Za-z0-9+/=\s\\]*+")
#: A PEM block longer than this (far beyond a 4096-bit RSA key) is cut at its base64 body.
_PEM_MAX_CHARS: Final = 16384

# A token may follow a JSON escape: in the text of a JSON document `\nAKIA...` has the
# letter `n` right before the key, which would defeat a word boundary or a lookbehind of
# letters. Every rule's left edge accepts the escapes of control characters too.
_AFTER_JSON_ESCAPE: Final = r"(?<=\\[nrtbf])"
_AFTER_WORD_START: Final = r"(?:(?<!\w)|" + _AFTER_JSON_ESCAPE + r")"


def _edge(not_after: str) -> str:
    """A token's left edge: not after a character of ``not_after`` (a class body), or
    right after a JSON escape."""
    return f"(?:(?<![{not_after}])|{_AFTER_JSON_ESCAPE})"


_JWT: Final = re.compile(
    _AFTER_WORD_START + r"eyJ[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]*+"
)
# The token must end where the run of token characters ends: "Bearer password=x" is not a
# bearer token ("password=") but an assignment, left to the `secret` rule.
_BEARER: Final = re.compile(
    _AFTER_WORD_START + r"(Bearer[ \t]++)[A-Za-z0-9._~+/-]{8,}+=*+(?![A-Za-z0-9._~+/-])",
    re.IGNORECASE,
)
_BASIC: Final = re.compile(
    _AFTER_WORD_START + r"(Basic[ \t]++)([A-Za-z0-9+/]{8,}+={0,2})(?![A-Za-z0-9+/=])", re.IGNORECASE
)
_AWS_ACCESS_KEY_ID: Final = re.compile(_AFTER_WORD_START + r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")
_AWS_SECRET_KEY: Final = re.compile(
    r"((?i:secret[_-]?access[_-]?key|secret[_-]?key|aws[_-]?secret|aws[_-]?key|access[_-]?key)"
    r"[A-Za-z0-9_.-]{0,20}+" + _ASSIGN + r")[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
# An AWS secret access key is 40 characters of base64 (30 random bytes). Alone, that
# shape is also a SHA-1 in hex or a long identifier, so it counts as a secret only in
# context (see `_redact_aws_secret`) and only when it mixes upper case, lower case and a
# digit, `/` or `+`, as random base64 nearly always does and hex hashes never do.
_AWS_SECRET_CANDIDATE: Final = re.compile(
    _edge(r"A-Za-z0-9/+=") + r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
#: An unlabelled AWS secret key is redacted within this many characters of an access
#: key id in the same string.
AWS_SECRET_PROXIMITY: Final = 256
_UPPER: Final = re.compile(r"[A-Z]")
_LOWER: Final = re.compile(r"[a-z]")
_DIGIT_OR_SYMBOL: Final = re.compile(r"[0-9/+]")

# Service tokens, by the shapes their issuers document. A lookbehind keeps each from
# starting inside a longer word; lengths are minimums (a longer token is still hidden).
_GITHUB_TOKEN: Final = re.compile(
    _edge(r"A-Za-z0-9_") + r"(?:gh[pousr]_[A-Za-z0-9]{36,}+|github_pat_[A-Za-z0-9_]{22,}+)"
)
_GITLAB_TOKEN: Final = re.compile(_edge(r"A-Za-z0-9_-") + r"glpat-[A-Za-z0-9_.-]{20,}+")
_SLACK_TOKEN: Final = re.compile(_edge(r"A-Za-z0-9") + r"xox[abeoprs]-[A-Za-z0-9-]{10,}+")
_SLACK_WEBHOOK: Final = re.compile(
    r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]{20,}+"
)
# Secret and restricted keys, live and test, and webhook signing secrets; publishable
# keys (`pk_`) are public by design.
_STRIPE_KEY: Final = re.compile(
    _edge(r"A-Za-z0-9") + r"(?:[sr]k_(?:live|test)_[0-9A-Za-z]{10,}+|whsec_[0-9A-Za-z]{24,}+)"
)
_GOOGLE_API_KEY: Final = re.compile(_edge(r"A-Za-z0-9_-") + r"AIza[0-9A-Za-z_-]{35,}+")
_NPM_TOKEN: Final = re.compile(_edge(r"A-Za-z0-9_") + r"npm_[A-Za-z0-9]{36,}+")
_SENDGRID_KEY: Final = re.compile(
    _edge(r"A-Za-z0-9_-") + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43,}+"
)
# Account SIDs (AC) and API key SIDs (SK): two capitals and 32 lower-case hex digits.
_TWILIO_SID: Final = re.compile(_edge(r"A-Za-z0-9") + r"(?:AC|SK)[0-9a-f]{32}(?![A-Za-z0-9])")
# Azure storage / Service Bus / Event Hubs connection strings: the key after its name.
_AZURE_KEY: Final = re.compile(
    r"((?i:AccountKey|SharedAccessKey)[ \t]{0,8}=[ \t]{0,8})[A-Za-z0-9+/]{20,}+={0,2}"
)
# scheme://user:password@host -> only the password goes; scheme, user, host, path stay.
# The password runs to the last `@` before the host (unencoded `@` in passwords happen).
_URL_PASSWORD: Final = re.compile(
    _edge(r"A-Za-z0-9+.-") + r"([A-Za-z][A-Za-z0-9+.-]{1,31}+://[^\s:/?#@\"'<>\\]{0,256}+:)"
    r"[^\s/?#\"'<>\\]{1,256}(?=@)"
)

# Names of credentials in `name=value` text, beside the English ones: the foreign words
# of FOREIGN_SENSITIVE_KEY_PARTS as written (accents, separators), without accents, and
# as JSON escapes them (`passw\u00f6rd`).
_FOREIGN_WORDS: Final = (
    "passwörd",
    "passwoerd",
    "passwort",
    "kennwort",
    "wachtwoord",
    "contraseña",
    "contrasena",
    "senha",
    "salasana",
    "lösenord",
    "losenord",
    "passord",
    "adgangskode",
    "пароль",
    "密码",
    "パスワード",
    "비밀번호",
)


def _spellings(word: str) -> list[str]:
    escaped = json.dumps(word)[1:-1]
    return [word] if escaped == word else [word, escaped]


_FOREIGN_LABELS: Final = "|".join(
    [r"mot[_-]?de[_-]?passe"] + [re.escape(s) for word in _FOREIGN_WORDS for s in _spellings(word)]
)
_ENGLISH_LABELS: Final = (
    r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|authorization|cookie"
    r"|session[_-]?id|private[_-]?key|credential"
)


def _assignment_pattern(user_labels: Iterable[str]) -> re.Pattern[str]:
    labels = "|".join((_ENGLISH_LABELS, _FOREIGN_LABELS, *user_labels))
    return re.compile(
        r"((?i:"
        + labels
        + r")[A-Za-z0-9_.-]{0,24}+"
        + _ASSIGN
        + r")(?!\[REDACTED|Bearer\b|Basic\b)"
        + _VALUE
    )


_assignment: re.Pattern[str] = _assignment_pattern(())
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


class _AwsKeyIdsSeen(threading.local):
    """How many AWS access key ids this thread has redacted: a record whose count moved
    while one of its mappings was redacted had a key id beside that mapping's values."""

    count = 0


_aws_key_ids_seen: Final = _AwsKeyIdsSeen()


def _replace_aws_key_id(match: re.Match[str]) -> str:
    _aws_key_ids_seen.count += 1
    return redacted("aws-access-key-id")


def _is_random_base64(candidate: str) -> bool:
    return (
        _UPPER.search(candidate) is not None
        and _LOWER.search(candidate) is not None
        and _DIGIT_OR_SYMBOL.search(candidate) is not None
    )


def _redact_aws_secret(text: str, anywhere: bool = False) -> str:
    """Unlabelled AWS secret access keys: a random-looking 40-character base64 run within
    :data:`AWS_SECRET_PROXIMITY` characters of an access key id in ``text`` (or
    ``anywhere`` in it, when the context is known: a sibling field holds a key id, or the
    key names one)."""
    # Start offsets of the key ids, sorted: each candidate bisects them (linear overall,
    # however many ids and candidates a hostile string holds).
    starts = [] if anywhere else [m.start() for m in _AWS_ACCESS_KEY_ID.finditer(text)]
    if not anywhere and not starts:
        return text

    def replace(match: re.Match[str]) -> str:
        candidate = match.group(0)
        if not _is_random_base64(candidate):
            return candidate
        if anywhere:
            return redacted("aws-secret-key")
        # a key id (20 characters) starting in [end - proximity - 20, start + proximity]
        index = bisect.bisect_left(starts, match.end() - AWS_SECRET_PROXIMITY - 20)
        if index < len(starts) and starts[index] <= match.start() + AWS_SECRET_PROXIMITY:
            return redacted("aws-secret-key")
        return candidate

    return _AWS_SECRET_CANDIDATE.sub(replace, text)


def _redact_assignment(text: str) -> str:
    return _assignment.sub("\\g<1>" + redacted("secret"), text)


# (kind, rule, markers) in the order applied: a rule runs only when the lower-cased text
# holds one of its markers (no markers: always). Specific shapes come before the generic
# ``name=value`` rule so that the kind written is the specific one, and the unlabelled
# AWS secret key before the key id whose position it needs.
_Rule = tuple[str, Callable[[str], str], tuple[str, ...]]
_RULES: Final[tuple[_Rule, ...]] = (
    ("private-key", _redact_pem, ("-----begin",)),
    ("jwt", _sub(_JWT, redacted("jwt")), ("eyj",)),
    ("bearer", _sub(_BEARER, "\\g<1>" + redacted("bearer")), ("bearer",)),
    ("basic-auth", _sub(_BASIC, _replace_basic), ("basic",)),
    (
        "github-token",
        _sub(_GITHUB_TOKEN, redacted("github-token")),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    ("gitlab-token", _sub(_GITLAB_TOKEN, redacted("gitlab-token")), ("glpat-",)),
    ("slack-token", _sub(_SLACK_TOKEN, redacted("slack-token")), ("xox",)),
    (
        "slack-webhook",
        _sub(_SLACK_WEBHOOK, "\\g<1>" + redacted("slack-webhook")),
        ("hooks.slack.com",),
    ),
    ("stripe-key", _sub(_STRIPE_KEY, redacted("stripe-key")), ("_live_", "_test_", "whsec_")),
    ("google-api-key", _sub(_GOOGLE_API_KEY, redacted("google-api-key")), ("aiza",)),
    ("npm-token", _sub(_NPM_TOKEN, redacted("npm-token")), ("npm_",)),
    ("sendgrid-key", _sub(_SENDGRID_KEY, redacted("sendgrid-key")), ("sg.",)),
    ("twilio-key", _sub(_TWILIO_SID, redacted("twilio-key")), ()),
    (
        "azure-key",
        _sub(_AZURE_KEY, "\\g<1>" + redacted("azure-key")),
        ("accountkey", "sharedaccesskey"),
    ),
    ("url-password", _sub(_URL_PASSWORD, "\\g<1>" + redacted("url-password")), ("://",)),
    ("aws-secret-key", _redact_aws_secret, ("akia", "asia", "abia", "acca")),
    (
        "aws-access-key-id",
        _sub(_AWS_ACCESS_KEY_ID, _replace_aws_key_id),
        ("akia", "asia", "abia", "acca"),
    ),
    (
        "aws-secret-key",
        _sub(_AWS_SECRET_KEY, "\\g<1>" + redacted("aws-secret-key")),
        ("secret", "key"),
    ),
    ("secret", _redact_assignment, ()),
    ("card", _sub(_CARD, _replace_card), ()),
)
#: The ``<kind>`` values of ``[REDACTED:<kind>]`` that the built-in rules write.
REDACTION_KINDS: Final = tuple(dict.fromkeys(kind for kind, _, _ in _RULES))

# Cheap gate, run on the lower-cased text: a string containing none of these can hold
# none of the shapes above. That is most log text, which then costs one linear scan.
# Grouped by first character, so the scan tries few alternatives at each position and
# skips positions whose character starts none.
_GATE_MARKERS: Final = (
    r"[0-9](?:[ -]?[0-9]){12}|-----begin|://[^\s/?#@]{0,512}@|_(?:live|test)_"
    r"|a(?:kia|sia|bia|cca|iza|pi[_-]?key|uthorization|ccountkey|dgangskode|c[0-9a-f]{32})"
    r"|b(?:earer|asic)|c(?:ookie|redential|ontrase)|eyj|g(?:h[pousr]_|ithub_pat_|lpat-)"
    r"|hooks\.slack\.com|kennwort|npm_|p(?:ass|wd|rivate)"
    r"|s(?:e(?:cret|ssion|nha|nord)|g\.|k[0-9a-f]{32}|haredaccesskey|alasana)|token"
    r"|w(?:achtwoord|hsec_)|xox|пароль|密码|パスワード|비밀번호"
    r"|\\u(?:043f\\u0430\\u0440|5bc6\\u7801|30d1\\u30b9|be44\\ubc00)"
)


def _gate_pattern(user_labels: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join((_GATE_MARKERS, *user_labels)))


def use_user_labels(labels: Iterable[str]) -> None:
    """Redact ``<label>=value`` for the user's key names (regular expressions) too, beside
    the built-in names (``()``: the built-in names only). Called by ``add_sensitive_keys``
    and ``reset_user_rules`` under their lock."""
    global _assignment
    _assignment = _assignment_pattern(labels)


def aws_key_ids_seen() -> int:
    """How many AWS access key ids this thread has redacted so far (see
    :func:`redact_aws_secrets_beside_key_ids`)."""
    return _aws_key_ids_seen.count


def redact_aws_secrets_beside_key_ids(values: dict[Any, Any], seen_before: int) -> None:
    """In place: when an access key id was redacted since ``seen_before`` (so one sat among
    ``values``), redact unlabelled AWS secret keys in the other string values too."""
    if _aws_key_ids_seen.count == seen_before:
        return
    for key, value in values.items():
        if type(value) is str:
            values[key] = _redact_aws_secret(value, anywhere=True)
