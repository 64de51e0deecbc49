"""JSON filter patterns (``{ $.a = "b" && $.n > 1 }``): their parser and their evaluator.

:class:`JsonPatternParser` reads a JSON pattern into a tree of ``||``, ``&&``, comparisons
and ``IS``/``NOT EXISTS`` checks; :func:`match_json` evaluates the tree against a log event.
The semantics are listed in :mod:`watchkeeper.testing.filter_pattern`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from watchkeeper.testing.filter_pattern_syntax import (
    FilterPatternSyntaxError,
    read_quoted,
    read_regex,
)

_BARE_VALUE_RE: Final = re.compile(r"[A-Za-z0-9_.*+\-]+")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PROPERTY_RE: Final = re.compile(r"[A-Za-z0-9_\-]+")
_OPERATORS: Final = ("!=", "<=", ">=", "=", "<", ">")
_MISSING: Final = object()
#: regular expressions a JSON pattern may hold
MAX_REGEX_PER_JSON_PATTERN: Final = 2


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


class JsonPatternParser:
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
            text, self.pos = read_quoted(self.src, self.pos)
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
            regex, self.pos = read_regex(self.src, self.pos)
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


def match_json(node: Any, line: str) -> bool:
    text = line.strip()
    if not text.startswith("{"):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and _evaluate(node, document)
