"""Validation helpers: every error names the option, the value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# A pragmatic address check (RFC 5322 is far wider): one @, no spaces, a dotted domain.
# SNS rejects a malformed endpoint only at deploy time; this catches typos at synth.
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def require_one_of(value: Any, option: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{option}={value!r} is not allowed: use one of {', '.join(allowed)}")
    return value


def require_pattern(value: Any, option: str, pattern: re.Pattern[str], rule: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{option}={value!r} is not allowed: {rule}")
    return value


def require_emails(values: Iterable[str] | None, option: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        raise ValueError(f"{option}={values!r} must be a list of addresses, not a string")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or len(value) > 254 or not _EMAIL_RE.match(value):
            raise ValueError(
                f"{option} contains {value!r}, which is not an email address "
                "(expected name@domain.tld)"
            )
        if value not in out:
            out.append(value)
    return tuple(out)


def require_number(
    value: Any,
    option: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> float:
    kind = "a whole number" if integer else "a number"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not float(value).is_integer())
    ):
        raise ValueError(f"{option}={value!r} must be {kind}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{option}={value!r} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{option}={value!r} must be at most {maximum}")
    return value
