"""Files read as the Serverless Framework reads them (its YAML parser is js-yaml).

PyYAML differs from js-yaml where serverless.yml files rely on it, so composing here
follows js-yaml: a tab as the space between tokens, YAML 1.2 core-schema scalars
(``yes``/``on`` stay strings), a UTF-8 BOM. ``<<:`` merge keys are kept as nodes and
applied by the resolver, the way js-yaml applies them. A file that is not UTF-8, not
valid YAML or JSON, missing or unreadable is a ``ServerlessConfigError`` with its line.
Files are composed to nodes, not constructed, so every value keeps its file and line for
error messages (``location``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.serverless.errors import ServerlessConfigError

_YAML_EXTENSIONS = (".yml", ".yaml")
_JSON_EXTENSIONS = (".json", ".tfstate")


class _LenientLoader(yaml.SafeLoader):
    """js-yaml accepts a tab as the space between tokens (``key: value<TAB>``, ``key:<TAB>
    value``, JSON indented with tabs); PyYAML only accepts it inside scalars. Tabs as block
    indentation stay refused, as js-yaml refuses them."""

    def scan_to_next_token(self) -> None:
        if self.index == 0 and self.peek() == "\uFEFF":
            self.forward()
        while True:
            while self.peek() == " " or (self.peek() == "\t" and self._tab_is_separation()):
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                return

    def _tab_is_separation(self) -> bool:
        if self.flow_level:
            return True
        line_start = self.buffer.rfind("\n", 0, self.pointer) + 1
        return bool(self.buffer[line_start : self.pointer].strip(" \t"))


YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_NULL_RE = re.compile(r"(?:~|null|Null|NULL|)")
_BOOL_RE = re.compile(r"(?:true|True|TRUE|false|False|FALSE)")
_INT_RE = re.compile(r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN)"
)


def plain_scalar(text: str) -> Any:
    """A plain scalar by YAML 1.2's core schema (js-yaml's): ``yes``/``on`` stay strings."""
    if _NULL_RE.fullmatch(text):
        return None
    if _BOOL_RE.fullmatch(text):
        return text.lower() == "true"
    if _INT_RE.fullmatch(text):
        return int(text, 0) if text.lstrip("+-").startswith(("0o", "0x")) else int(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return text


def decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ServerlessConfigError(
            str(path),
            line,
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
        ) from None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ServerlessConfigError(str(path), None, "file not found") from None
    except IsADirectoryError:
        raise ServerlessConfigError(str(path), None, "is a directory, not a file") from None
    except OSError as error:
        raise ServerlessConfigError(str(path), None, f"cannot be read: {error.strerror}") from None


def compose(path: Path, text: str) -> yaml.Node | None:
    loader = _LenientLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ServerlessConfigError(str(path), line, f"invalid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ServerlessConfigError(str(path), None, f"invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _compose_json(path: Path, text: str) -> yaml.Node | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ServerlessConfigError(str(path), error.lineno, f"invalid JSON: {error.msg}") from None
    # JSON is YAML's flow style: composing it keeps the lines for error messages.
    return compose(path, text)


def load_document(path: Path) -> Any:
    """A file ``${file(...)}`` includes: YAML and JSON as nodes, any other file as text."""
    text = decode(path, read_bytes(path))
    if path.suffix in _YAML_EXTENSIONS:
        return compose(path, text)
    if path.suffix in _JSON_EXTENSIONS:
        return _compose_json(path, text)
    return text  # the framework reads any other file as text


def location(node: yaml.Node) -> tuple[str, int]:
    return node.start_mark.name, node.start_mark.line + 1


def kind_of(value: Any) -> str:
    if isinstance(value, yaml.MappingNode):
        return "a mapping"
    if isinstance(value, yaml.SequenceNode):
        return "a list"
    return type(value).__name__
