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

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH

__all__ = [
    "MAX_REGEX_PATTERNS_PER_LOG_GROUP",
    "FilterPatternSyntaxError",
    "ParsedPattern",
    "has_regex",
    "matches",
    "parse_pattern",
]

_BARE_TERM_RE: Final = re.compile(r"[A-Za-z0-9_]+")
_BARE_VALUE_RE: Final = re.compile(r"[A-Za-z0-9_.*+\-]+")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PROPERTY_RE: Final = re.compile(r"[A-Za-z0-9_\-]+")
_OPERATORS: Final = ("!=", "<=", ">=", "=", "<", ">")
_MISSING: Final = object()
#: Regular expressions: the characters CloudWatch allows besides letters and digits, the
#: escapes it documents, and how many a JSON (or space-delimited) pattern may hold.
_REGEX_SYMBOLS: Final = frozenset(":_#=@/;,-")
_REGEX_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_REGEX_CLASS_ESCAPES: Final = frozenset("dDsSwW")
MAX_REGEX_PER_JSON_PATTERN: Final = 2
#: CloudWatch Logs: filter patterns containing a regular expression, per log group.
MAX_REGEX_PATTERNS_PER_LOG_GROUP: Final = 5


class FilterPatternSyntaxError(ValueError):
    """A filter pattern that CloudWatch would refuse, or that this evaluator cannot judge.

    ``position`` is the 0-based index in ``pattern`` where the problem was found.
    """

    def __init__(self, pattern: str, position: int, problem: str) -> None:
        self.pattern = pattern
        self.position = position
        self.problem = problem
        shown = pattern if len(pattern) <= 120 else pattern[:117] + "..."
        super().__init__(
            f"invalid filter pattern at position {position}: {problem} (pattern: {shown!r})"
        )


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
        node = _JsonParser(pattern, start).parse()
        return ParsedPattern(pattern, "json", lambda line: _match_json(node, line))
    if stripped.startswith("["):
        raise FilterPatternSyntaxError(
            pattern,
            start,
            "space-delimited patterns ('[field, field=value, ...]') are not supported by "
            "watchkeeper's evaluator; use a JSON pattern or a term pattern",
        )
    if stripped.startswith("%"):
        compiled, end = _read_regex(pattern, start)
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
# Regular expressions
# --------------------------------------------------------------------------------------


def _read_regex(pattern: str, pos: int) -> tuple[re.Pattern[str], int]:
    """Read ``%regex%`` starting at ``pattern[pos] == '%'``; return (compiled, end).

    Only the documented subset is accepted; it is translated to Python's ``re`` with the
    documented meanings (``\\w`` is ASCII, ``.`` takes a newline too, ``^``/``$`` anchor to
    the whole event).
    """
    i = pos + 1
    n = len(pattern)
    out: list[str] = []
    while True:
        if i >= n:
            raise FilterPatternSyntaxError(
                pattern, pos, "a regular expression '%...' is never closed"
            )
        ch = pattern[i]
        if ch == "%":
            break
        if ch == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt in _REGEX_CLASS_ESCAPES:
                out.append(ch + nxt)
                i += 2
            elif nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[i + 2 : i + 4]):
                out.append(pattern[i : i + 4])
                i += 4
            elif nxt and nxt != "%" and not nxt.isalnum() and nxt.isascii() and nxt.isprintable():
                out.append(re.escape(nxt))
                i += 2
            else:
                raise FilterPatternSyntaxError(
                    pattern,
                    i,
                    f"the escape '\\{nxt}' is not one CloudWatch documents for regular "
                    "expressions (\\d \\D \\s \\S \\w \\W \\xhh, or '\\' before an operator)",
                )
            continue
        if ch.isascii() and ch.isalnum() or ch in _REGEX_SYMBOLS or ch in _REGEX_OPERATORS:
            out.append(ch)
            i += 1
            continue
        what = "a space" if ch == " " else repr(ch)
        hint = " (write a space as \\s or \\x20)" if ch == " " else ""
        raise FilterPatternSyntaxError(
            pattern,
            i,
            f"{what} is not allowed in a regular expression: CloudWatch takes letters, digits, "
            f"': _ # = @ / ; , -' and the operators '^ $ ? [ ] {{ }} | \\ * + .'{hint}",
        )
    if i == pos + 1:
        raise FilterPatternSyntaxError(pattern, pos, "a regular expression '%%' is empty")
    try:
        compiled = re.compile("".join(out), re.ASCII | re.DOTALL)
    except re.error as exc:
        raise FilterPatternSyntaxError(
            pattern, pos, f"the regular expression is not valid: {exc}"
        ) from None
    return compiled, i + 1


# --------------------------------------------------------------------------------------
# Term patterns
# --------------------------------------------------------------------------------------


def _read_quoted(pattern: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``pattern[pos] == '"'``; return (text, end)."""
    chars: list[str] = []
    i = pos + 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in ('"', "\\"):
            chars.append(pattern[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(chars), i + 1
        chars.append(ch)
        i += 1
    raise FilterPatternSyntaxError(pattern, pos, "a double quote is never closed")


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
            term, i = _read_quoted(pattern, i)
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


# --------------------------------------------------------------------------------------
# JSON patterns
# --------------------------------------------------------------------------------------

Step = str | int  # a property name or an array index


@dataclass(frozen=True)
class _Or:
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class _And:
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class _Comparison:
    path: tuple[Step, ...]
    operator: str
    #: ``float`` for a numeric literal, else a string value (``*`` wildcards at its ends).
    number: float | None
    text: str
    quoted: bool
    #: a regular-expression value (``%...%``), matched anywhere in a string value
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Check:
    path: tuple[Step, ...]
    check: str  # "NULL", "TRUE", "FALSE", "NOT EXISTS"


class _JsonParser:
    def __init__(self, pattern: str, start: int) -> None:
        self.src = pattern
        self.pos = start
        self.regex_count = 0

    # -- helpers ------------------------------------------------------------------------
    def error(self, problem: str, pos: int | None = None) -> FilterPatternSyntaxError:
        return FilterPatternSyntaxError(self.src, self.pos if pos is None else pos, problem)

    def skip_space(self) -> None:
        while self.pos < len(self.src) and self.src[self.pos].isspace():
            self.pos += 1

    def peek(self, text: str) -> bool:
        return self.src.startswith(text, self.pos)

    def describe_here(self) -> str:
        if self.pos >= len(self.src):
            return "the end of the pattern"
        return repr(self.src[self.pos : self.pos + 12])

    # -- grammar ------------------------------------------------------------------------
    def parse(self) -> Any:
        self.skip_space()
        self.pos += 1  # the opening brace, checked by the caller
        self.skip_space()
        if self.peek("}"):
            raise self.error("expected a condition such as '$.level = \"ERROR\"' inside '{ }'")
        node = self.parse_or()
        self.skip_space()
        if not self.peek("}"):
            raise self.error(
                f"expected '&&', '||' or the closing '}}', found {self.describe_here()}"
            )
        self.pos += 1
        self.skip_space()
        if self.pos != len(self.src):
            raise self.error("unexpected text after the closing '}'")
        return node

    def parse_or(self) -> Any:
        parts = [self.parse_and()]
        while True:
            self.skip_space()
            if not self.peek("||"):
                break
            self.pos += 2
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else _Or(tuple(parts))

    def parse_and(self) -> Any:
        parts = [self.parse_unary()]
        while True:
            self.skip_space()
            if not self.peek("&&"):
                break
            self.pos += 2
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else _And(tuple(parts))

    def parse_unary(self) -> Any:
        self.skip_space()
        if self.peek("("):
            self.pos += 1
            node = self.parse_or()
            self.skip_space()
            if not self.peek(")"):
                raise self.error(f"expected ')' or an operator, found {self.describe_here()}")
            self.pos += 1
            return node
        return self.parse_condition()

    def parse_selector(self) -> tuple[Step, ...]:
        if not self.peek("$"):
            raise self.error(
                f"expected a selector starting with '$.' (e.g. '$.level'), found "
                f"{self.describe_here()}"
            )
        start = self.pos
        self.pos += 1
        steps: list[Step] = []
        while self.pos < len(self.src):
            if self.peek("."):
                self.pos += 1
                m = _PROPERTY_RE.match(self.src, self.pos)
                if not m:
                    raise self.error(
                        "expected a property name (letters, digits, '_' or '-') after '.'"
                    )
                steps.append(m.group())
                self.pos = m.end()
            elif self.peek("["):
                if not steps:
                    raise self.error("an array index must follow a property, as in '$.a[0]'")
                close = self.src.find("]", self.pos)
                index = self.src[self.pos + 1 : close] if close != -1 else ""
                if not index.isdigit():
                    raise self.error("expected an array index '[NUMBER]'")
                steps.append(int(index))
                self.pos = close + 1
            else:
                break
        if not steps:
            raise self.error("a selector needs at least one property, as in '$.level'", start)
        return tuple(steps)

    def parse_condition(self) -> Any:
        path = self.parse_selector()
        self.skip_space()
        if self.peek("IS") or self.peek("NOT"):
            return self.parse_keyword_check(path)
        for operator in _OPERATORS:
            if self.peek(operator):
                self.pos += len(operator)
                break
        else:
            raise self.error(
                "expected an operator (=, !=, <, <=, >, >=) or IS NULL / IS TRUE / IS FALSE / "
                f"NOT EXISTS, found {self.describe_here()}"
            )
        self.skip_space()
        value_pos = self.pos
        if self.peek('"'):
            text, self.pos = _read_quoted(self.src, self.pos)
            quoted = True
        elif self.peek("'"):
            raise self.error("single quotes are not allowed; quote values with double quotes")
        elif self.peek("%"):
            self.regex_count += 1
            if self.regex_count > MAX_REGEX_PER_JSON_PATTERN:
                raise self.error(
                    f"a JSON pattern may hold at most {MAX_REGEX_PER_JSON_PATTERN} regular "
                    "expressions"
                )
            if operator not in ("=", "!="):
                raise self.error(f"a regular expression needs '=' or '!=', not {operator!r}")
            regex, self.pos = _read_regex(self.src, self.pos)
            return _Comparison(path, operator, None, regex.pattern, False, regex)
        else:
            m = _BARE_VALUE_RE.match(self.src, self.pos)
            if not m:
                raise self.error(
                    f"expected a value after {operator!r}, found {self.describe_here()}"
                )
            text, self.pos, quoted = m.group(), m.end(), False
        number = None
        if not quoted and _NUMBER_RE.fullmatch(text):
            number = float(text)
        if operator in ("<", "<=", ">", ">=") and number is None:
            raise self.error(f"the operator {operator!r} needs a number, found {text!r}", value_pos)
        return _Comparison(path, operator, number, text, quoted)

    def parse_keyword_check(self, path: tuple[Step, ...]) -> _Check:
        for words, check in (
            (("IS", "NULL"), "NULL"),
            (("IS", "TRUE"), "TRUE"),
            (("IS", "FALSE"), "FALSE"),
            (("NOT", "EXISTS"), "NOT EXISTS"),
        ):
            m = re.compile(rf"{words[0]}\s+{words[1]}(?![A-Za-z0-9_])").match(self.src, self.pos)
            if m:
                self.pos = m.end()
                return _Check(path, check)
        raise self.error(
            "expected IS NULL, IS TRUE, IS FALSE or NOT EXISTS (upper case; plain EXISTS and "
            f"IS NOT are not supported by CloudWatch), found {self.describe_here()}"
        )


def _resolve(document: Any, path: tuple[Step, ...]) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return _MISSING
            node = node[step]
    return node


def _wildcard_match(text: str, value: str) -> bool:
    if text == "*":
        return True
    leading = text.startswith("*")
    trailing = text.endswith("*") and len(text) > 1
    core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
    if leading and trailing:
        return core in value
    if leading:
        return value.endswith(core)
    if trailing:
        return value.startswith(core)
    return value == core


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(node: _Comparison, value: Any) -> bool:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (isinstance(value, str) or is_number):
        return False  # objects, arrays, booleans, null and missing values never compare
    op = node.operator
    if op in ("<", "<=", ">", ">="):
        if not is_number:
            return False
        assert node.number is not None
        return {
            "<": value < node.number,
            "<=": value <= node.number,
            ">": value > node.number,
            ">=": value >= node.number,
        }[op]
    if node.regex is not None:
        text = value if isinstance(value, str) else _number_text(value)
        equal = node.regex.search(text) is not None
    elif node.number is not None and is_number:
        equal = float(value) == node.number
    elif node.number is not None:
        equal = value == node.text
    else:
        equal = _wildcard_match(node.text, value if isinstance(value, str) else _number_text(value))
    return equal if op == "=" else not equal


def _evaluate(node: Any, document: Any) -> bool:
    if isinstance(node, _Or):
        return any(_evaluate(part, document) for part in node.parts)
    if isinstance(node, _And):
        return all(_evaluate(part, document) for part in node.parts)
    value = _resolve(document, node.path)
    if isinstance(node, _Check):
        if node.check == "NOT EXISTS":
            return value is _MISSING
        if node.check == "NULL":
            return value is None
        return value is (node.check == "TRUE")
    return _compare(node, value)


def _match_json(node: Any, line: str) -> bool:
    text = line.strip()
    if not text.startswith("{"):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and _evaluate(node, document)


def has_regex(pattern: str) -> bool:
    """Whether a filter pattern holds a regular expression: such patterns count against
    CloudWatch's limit of 5 per log group (:data:`MAX_REGEX_PATTERNS_PER_LOG_GROUP`).

    Outside double quotes, ``%`` appears in a pattern only around a regular expression (a
    bare term or value cannot hold it), so this reads the text without parsing it.
    """
    in_quotes = escaped = False
    for ch in pattern:
        if in_quotes:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "%":
            return True
    return False
