"""Sensitive keys: a mapping value whose key names a credential is replaced whole.

Keys are compared case-insensitively with separators and accents ignored, so ``apiKey``,
``api-key`` and ``API_KEY`` are the same key, and so are ``Passwörd`` and ``password``.
The names users add (:func:`~watchkeeper.runtime.redaction.add_sensitive_keys`) reach
this module through :func:`use_user_key_parts`. Standard library only, like the rest of
:mod:`watchkeeper.runtime`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: What replaces a value whose key is sensitive.
REDACTED: Final = "[REDACTED]"

#: A key is sensitive when its normalised form (lower case, accents removed, letters and
#: digits only) contains one of these ...
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
#: ... or one of these words for "password" in other languages, each chosen because it
#: means nothing else (normalised: ``contraseña`` is ``contrasena``, ``mot_de_passe`` is
#: ``motdepasse``). Left out as ambiguous: Italian/Turkish ``parola`` (also "word"),
#: Polish ``haslo`` and Czech ``heslo`` (also "slogan", "keyword"), Turkish ``sifre``
#: (also "cipher", "code"), Spanish ``clave`` (also "key" in general).
FOREIGN_SENSITIVE_KEY_PARTS: Final = (
    "passwort",  # German
    "kennwort",  # German
    "wachtwoord",  # Dutch
    "motdepasse",  # French
    "contrasena",  # Spanish
    "senha",  # Portuguese
    "salasana",  # Finnish
    "losenord",  # Swedish (lösenord)
    "passord",  # Norwegian
    "adgangskode",  # Danish
    "пароль",  # Russian, Ukrainian
    "密码",  # Chinese
    "パスワード",  # Japanese
    "비밀번호",  # Korean
)
#: ... or is one of these (too short or too common to match inside other words).
SENSITIVE_KEYS: Final = frozenset(
    {"pwd", "session", "sessionkey", "cc", "ccnumber", "ccnum", "cvv", "cvc", "cvv2", "pin"}
)
#: Keys whose value is checked for an AWS secret access key without its usual label
#: (``{"awsKey": "wJalr..."}``, ``access_key=...``): see
#: :func:`watchkeeper.runtime.credential_formats._redact_aws_secret`.
AWS_KEY_LABEL_PARTS: Final = ("accesskey", "awskey")
# key -> 0 ordinary, 1 sensitive, 2 may hold an unlabelled AWS secret key
_key_cache: dict[str, int] = {}
_KEY_CACHE_LIMIT: Final = 4096
_NOT_WORD: Final = re.compile(r"[\W_]+")
_KEY_ORDINARY: Final = 0
_KEY_SENSITIVE: Final = 1
_KEY_AWS_LABEL: Final = 2


def normalise_key(key: str) -> str:
    """``key`` lower-cased, accents removed, letters and digits only (any script)."""
    text = key.lower()
    if not text.isascii():
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return _NOT_WORD.sub("", text)


# Compared in normalised form, as keys are (Japanese kana and Korean syllables change).
_BUILT_IN_KEY_PARTS: Final = tuple(
    normalise_key(p) for p in SENSITIVE_KEY_PARTS + FOREIGN_SENSITIVE_KEY_PARTS
)
_key_parts: tuple[str, ...] = _BUILT_IN_KEY_PARTS


def _key_class(key: str) -> int:
    known = _key_cache.get(key)
    if known is not None:
        return known
    normalised = normalise_key(key)
    if normalised in SENSITIVE_KEYS or any(p in normalised for p in _key_parts):
        kind = _KEY_SENSITIVE
    elif any(p in normalised for p in AWS_KEY_LABEL_PARTS):
        kind = _KEY_AWS_LABEL
    else:
        kind = _KEY_ORDINARY
    if len(_key_cache) < _KEY_CACHE_LIMIT:
        _key_cache[key] = kind
    return kind


def is_sensitive_key(key: object) -> bool:
    """Whether a value stored under ``key`` is a credential (``apiKey``, ``X-Api-Key``...)."""
    return isinstance(key, str) and _key_class(key) == _KEY_SENSITIVE


def use_user_key_parts(parts: tuple[str, ...]) -> None:
    """Treat keys containing any of ``parts`` (normalised) as sensitive too, beside the
    built-in names (``()``: the built-in names only). Called by ``add_sensitive_keys`` and
    ``reset_user_rules`` under their lock."""
    global _key_parts
    _key_parts = _BUILT_IN_KEY_PARTS + parts
    _key_cache.clear()
