"""An offline evaluator of CloudWatch Logs filter patterns.

CloudWatch evaluates metric filter patterns only inside the service: the one way AWS offers
to try a pattern is the ``TestMetricFilter`` API (or the console), which needs an account,
credentials and a network. No maintained Python library evaluates CloudWatch filter
patterns offline, so watchkeeper carries this evaluator, written for this project from the
CloudWatch Logs documentation ("Filter pattern syntax for metric filters, subscription
filters, filter log events, and Live Tail"). It lets watchkeeper's own tests, and users'
tests, prove a pattern against real log lines before anything is deployed::

    from watchkeeper.testing import matches, parse_pattern

    assert matches('{ $.level = "ERROR" }', '{"level": "ERROR", "message": "boom"}')
    pattern = parse_pattern('?"Task timed out after" ?"Status: timeout"')  # parse once
    assert pattern.matches("2024-05-01T10:00:03.012Z 4f1e Task timed out after 3.00 seconds")

What it evaluates, with the documented semantics:

* The empty pattern and ``""`` match every event.
* Term patterns: bare terms (letters, digits and ``_`` only) and double-quoted phrases are
  case-sensitive substrings of the event; every plain term must appear; ``-term`` excludes
  events that contain the term; ``?term`` alternatives match when any of them appears.
  Inside quotes a backslash escapes ``"`` and ``\\`` (the form aws-cdk-lib writes).
* JSON patterns ``{ ... }``: selectors ``$.a.b``, ``$.a[0]``, ``$.a[0].b``, ``$.a[0][1]``;
  ``=`` and ``!=`` with a quoted or bare string value, where a leading and/or trailing
  ``*`` is a wildcard (a ``*`` in the middle is a literal character, as documented) and
  ``*`` alone matches any value; ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with a number;
  ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS``; ``&&``, ``||`` and parentheses,
  with precedence ``()`` > ``&&`` > ``||``.
* A JSON pattern never matches an event that is not a JSON object.
* A comparison whose selector points to an object or an array, or to nothing, is false,
  whatever the operator (``!=`` included): CloudWatch applies a comparison only to a value.

Where the documentation is silent, the evaluator chooses the stricter reading and says so:

* A bare number compared with ``=``/``!=`` matches a JSON number numerically and a JSON
  string textually; ``<``, ``<=``, ``>``, ``>=`` apply to JSON numbers only.
* ``=``/``!=`` never match ``true``, ``false`` or ``null``: use ``IS TRUE``, ``IS FALSE``,
  ``IS NULL``.
* Keywords (``IS``, ``NULL``, ``TRUE``, ``FALSE``, ``NOT``, ``EXISTS``) are upper case.
* Mixing ``?term`` alternatives with plain or ``-`` terms in one pattern is not documented,
  so it is refused rather than guessed.
* Regular expressions (``%...%``), as a whole pattern or as the value of a JSON
  comparison (``{ $.level = %^ERR% }``, at most 2 per JSON pattern), with the documented
  subset: letters, digits, the symbols ``: _ # = @ / ; , -``, the operators
  ``^ $ ? [ ] { } | \\ * + .``, the escapes ``\\d \\D \\s \\S \\w \\W`` and ``\\xhh``
  (any other character, parentheses, a space or a multi-byte character is refused: write a
  space as ``\\s`` or ``\\x20``). ``^`` and ``$`` anchor to the start and end of the whole
  event, ``.`` matches any character (a newline too), ``|`` separates whole alternatives
  (there is no grouping), and a pattern matches when the expression is found anywhere in
  the event (in a JSON value: anywhere in the value).
* Space-delimited patterns (``[a, b=...]``) are not supported: they raise
  :class:`FilterPatternSyntaxError` saying so. Nor is a regular expression mixed with terms
  in one pattern (AWS documents no such form).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH
from watchkeeper.testing.filter_pattern_json import JsonPatternParser, match_json
from watchkeeper.testing.filter_pattern_syntax import (
    MAX_REGEX_PATTERNS_PER_LOG_GROUP,
    FilterPatternSyntaxError,
    has_regex,
    read_quoted,
    read_regex,
)

__all__ = [
    "MAX_REGEX_PATTERNS_PER_LOG_GROUP",
    "FilterPatternSyntaxError",
    "ParsedPattern",
    "has_regex",
    "matches",
    "parse_pattern",
]

_BARE_TERM_RE: Final = re.compile(r"[A-Za-z0-9_]+")


class ParsedPattern:
    """A parsed filter pattern. Parse once with :func:`parse_pattern`, match many lines."""

    def __init__(self, source: str, kind: str, predicate: Callable[[str], bool]) -> None:
        self.source = source
        #: ``"all"``, ``"terms"``, ``"regex"`` or ``"json"``.
        self.kind = kind
        self._predicate = predicate

    def matches(self, line: str) -> bool:
        """Whether CloudWatch would count the log event ``line`` (its message text)."""
        return self._predicate(line)

    def __repr__(self) -> str:
        return f"ParsedPattern({self.source!r}, kind={self.kind!r})"


def parse_pattern(pattern: str) -> ParsedPattern:
    """Parse a CloudWatch Logs filter pattern.

    Raises :class:`FilterPatternSyntaxError` (a ``ValueError``) for a pattern CloudWatch
    would refuse, one longer than 1,024 characters, or one of a form this evaluator does not
    support.
    """
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str, got {type(pattern).__name__}")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise FilterPatternSyntaxError(
            pattern,
            MAX_PATTERN_LENGTH,
            f"the pattern is {len(pattern)} characters long; CloudWatch allows at most "
            f"{MAX_PATTERN_LENGTH}",
        )
    stripped = pattern.strip()
    start = len(pattern) - len(pattern.lstrip())
    if stripped in ("", '""'):
        return ParsedPattern(pattern, "all", lambda line: True)
    if stripped.startswith("{"):
        node = JsonPatternParser(pattern, start).parse()
        return ParsedPattern(pattern, "json", lambda line: match_json(node, line))
    if stripped.startswith("["):
        raise FilterPatternSyntaxError(
            pattern,
            start,
            "space-delimited patterns ('[field, field=value, ...]') are not supported by "
            "watchkeeper's evaluator; use a JSON pattern or a term pattern",
        )
    if stripped.startswith("%"):
        compiled, end = read_regex(pattern, start)
        if pattern[end:].strip():
            raise FilterPatternSyntaxError(
                pattern,
                end,
                "a regular-expression pattern '%regex%' must be the whole pattern; AWS "
                "documents no form that mixes it with terms",
            )
        return ParsedPattern(pattern, "regex", lambda line: compiled.search(line) is not None)
    required, excluded, optional = _parse_terms(pattern)
    return ParsedPattern(
        pattern, "terms", lambda line: _match_terms(required, excluded, optional, line)
    )


def matches(pattern: str, line: str) -> bool:
    """Whether CloudWatch Logs would count the log event ``line`` for ``pattern``."""
    return parse_pattern(pattern).matches(line)


# --------------------------------------------------------------------------------------
# Term patterns
# --------------------------------------------------------------------------------------

def _parse_terms(pattern: str) -> tuple[list[str], list[str], list[str]]:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        if pattern[i].isspace():
            i += 1
            continue
        token_start = i
        target = required
        if pattern[i] in "?-":
            target = optional if pattern[i] == "?" else excluded
            i += 1
            while i < n and pattern[i].isspace():
                i += 1
            if i == n:
                raise FilterPatternSyntaxError(
                    pattern, token_start, f"expected a term after {pattern[token_start]!r}"
                )
        if pattern[i] == '"':
            term, i = read_quoted(pattern, i)
        elif pattern[i] == "'":
            raise FilterPatternSyntaxError(
                pattern, i, "single quotes are not allowed; quote terms with double quotes"
            )
        else:
            end = i
            while end < n and not pattern[end].isspace():
                end += 1
            word = pattern[i:end]
            if not _BARE_TERM_RE.fullmatch(word):
                raise FilterPatternSyntaxError(
                    pattern,
                    i,
                    f"the term {word!r} has characters other than letters, digits and '_'; "
                    "put it in double quotes",
                )
            term, i = word, end
        if i < n and not pattern[i].isspace():
            raise FilterPatternSyntaxError(
                pattern, i, "expected a space between terms after the closing double quote"
            )
        target.append(term)
    if optional and (required or excluded):
        raise FilterPatternSyntaxError(
            pattern,
            0,
            "mixing '?term' alternatives with plain or '-' terms is not documented by AWS; "
            "watchkeeper's evaluator does not guess its meaning",
        )
    return required, excluded, optional


def _match_terms(required: list[str], excluded: list[str], optional: list[str], line: str) -> bool:
    if optional:
        return any(term in line for term in optional)
    return all(term in line for term in required) and not any(term in line for term in excluded)
