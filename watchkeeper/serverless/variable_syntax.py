"""The Serverless Framework's variable syntax: ``${type(params):address, fallback, 'literal'}``.

``Parser`` turns a string into a ``Template``: its text and its variables, each with its
sources in fallback order (``self:``, ``file(...)``, a quoted or literal fallback...),
nested variables parsed inside params and addresses. A ``${...}`` the framework does not
treat as a variable (``${Foo}``, ``${AWS::Region}``: CloudFormation's) stays text.
Malformed variables raise ``VariableSyntaxError``, which the resolver reports with the file
and line. Parsing only: what a source's value is, is the resolver's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_TYPE_START = set("abcdefghijklmnopqrstuvwxyz")
_TYPE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")


@dataclass(frozen=True)
class Source:
    """One source of a variable, in fallback order: ``self:a.b``, ``file(x.yml):c``, ``'dev'``."""

    #: ``self``, ``file``, ... ; None for a literal fallback.
    kind: str | None
    literal: Any = None
    params: tuple[Template, ...] | None = None
    address: Template | None = None


@dataclass(frozen=True)
class Variable:
    """One ``${...}``: its text as written and its sources in fallback order."""

    text: str
    sources: tuple[Source, ...]


#: A string as parsed: text and variables, in order.
Template = tuple[str | Variable, ...]


def render(template: Template) -> str:
    return "".join(part if isinstance(part, str) else part.text for part in template)


class VariableSyntaxError(Exception):
    pass


class Parser:
    """Parses the framework's variable syntax; ``${Foo}``, ``${AWS::Region}`` stay text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def template(self) -> Template:
        parts, _ = self._template(0, stop="")
        return parts

    def _template(self, index: int, stop: str) -> tuple[Template, int]:
        """Text and variables from ``index`` until an unnested character of ``stop``."""
        text = self.text
        parts: list[str | Variable] = []
        literal: list[str] = []
        while index < len(text):
            char = text[index]
            if char in stop:
                break
            if char == "$" and text.startswith("${", index):
                variable, end = self._variable(index)
                if variable is not None:
                    if literal:
                        parts.append("".join(literal))
                        literal = []
                    parts.append(variable)
                else:
                    literal.append(text[index:end])
                index = end
                continue
            literal.append(char)
            index += 1
        if literal:
            parts.append("".join(literal))
        return tuple(parts), index

    def _foreign_end(self, index: int) -> int:
        """End of a ``${...}`` that is not a framework variable (CloudFormation's)."""
        depth = 0
        while index < len(self.text):
            if self.text.startswith("${", index):
                depth += 1
                index += 2
                continue
            if self.text[index] == "}":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        return len(self.text)

    def _variable(self, start: int) -> tuple[Variable | None, int]:
        text = self.text
        index = start + 2
        if index >= len(text) or text[index] not in _TYPE_START:
            return None, self._foreign_end(start)
        scan = index
        while scan < len(text) and text[scan] in _TYPE_CHARS:
            scan += 1
        if scan >= len(text) or text[scan] not in ":(":
            # ${foo} or ${foo bar}: not a variable for the framework either
            return None, self._foreign_end(start)
        sources: list[Source] = []
        while True:
            while index < len(text) and text[index] == " ":
                index += 1
            source, index = self._source(index)
            sources.append(source)
            while index < len(text) and text[index] == " ":
                index += 1
            if index >= len(text):
                raise VariableSyntaxError(f"missing '}}' closing {text[start:]}")
            if text[index] == "}":
                return Variable(text[start : index + 1], tuple(sources)), index + 1
            if text[index] == ",":
                if source.kind is None and isinstance(source.literal, str):
                    raise VariableSyntaxError(
                        f"a quoted fallback must be the last one in {text[start:]}"
                    )
                index += 1
                continue
            raise VariableSyntaxError(f"unexpected {text[index]!r} in {text[start:]}")

    def _quoted(self, index: int) -> tuple[str, int]:
        text = self.text
        quote = text[index]
        end = index + 1
        while end < len(text) and text[end] != quote:
            end += 2 if quote == '"' and text[end] == "\\" else 1
        if end >= len(text):
            raise VariableSyntaxError(f"unterminated string in {text[index:]}")
        raw = text[index : end + 1]
        value = raw[1:-1] if quote == "'" else json.loads(raw)
        return value, end + 1

    def _source(self, index: int) -> tuple[Source, int]:
        text = self.text
        if index < len(text) and text[index] in "'\"":
            value, index = self._quoted(index)
            return Source(None, literal=value), index
        start = index
        while index < len(text) and text[index] in _TYPE_CHARS:
            index += 1
        word = text[start:index]
        if index < len(text) and text[index] in ":(" and word and word[0] in _TYPE_START:
            params: tuple[Template, ...] | None = None
            if text[index] == "(":
                params, index = self._params(index + 1)
            address: Template | None = None
            if index < len(text) and text[index] == ":":
                index += 1
                while index < len(text) and text[index] == " ":
                    index += 1
                if index < len(text) and text[index] in "'\"":
                    value, index = self._quoted(index)
                    address = (value,)
                else:
                    parts, index = self._template(index, stop=",}")
                    address = _strip(parts)
            return Source(word, params=params, address=address), index
        literal = word.strip()
        if literal in ("true", "false"):
            return Source(None, literal=literal == "true"), index
        if literal == "null":
            return Source(None, literal=None), index
        try:
            number = float(literal)
        except ValueError:
            raise VariableSyntaxError(f"invalid variable source {literal!r} in {text}") from None
        return Source(None, literal=int(number) if number.is_integer() else number), index

    def _params(self, index: int) -> tuple[tuple[Template, ...], int]:
        text = self.text
        params: list[Template] = []
        while True:
            while index < len(text) and text[index] == " ":
                index += 1
            if index < len(text) and text[index] in "'\"":
                value, index = self._quoted(index)
                params.append((value,))
                while index < len(text) and text[index] == " ":
                    index += 1
            else:
                parts, index = self._template(index, stop=",)}")
                parts = _strip(parts)
                if parts:
                    params.append(parts)
            if index >= len(text) or text[index] == "}":
                raise VariableSyntaxError(f"missing ')' in {text}")
            if text[index] == ")":
                return tuple(params), index + 1
            index += 1  # ","


def _strip(parts: Template) -> Template:
    items = list(parts)
    if items and isinstance(items[0], str):
        items[0] = items[0].lstrip()
    if items and isinstance(items[-1], str):
        items[-1] = items[-1].rstrip()
    return tuple(p for p in items if p != "")
