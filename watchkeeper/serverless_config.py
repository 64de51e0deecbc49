"""Read a Serverless Framework ``serverless.yml``: service, stage, region, function names.

For monitoring functions that the Serverless Framework deploys: watchkeeper needs their
deployed names, which follow the framework's rule ``<service>-<stage>-<function key>``
unless a function sets ``name:``. Only the values that decide those names are read, the
way the framework (v3/v4) reads them:

- ``${self:<path>}`` (any value, also inside included files, which see the whole
  configuration as the framework does); ``${self:service}`` also with the v1/v2 object form
  ``service: {name: ...}``;
- ``${opt:stage}`` / ``${sls:stage}`` (the ``stage`` argument: ``--stage``),
  ``${opt:region}`` / ``${aws:region}`` (the ``region`` argument: the region the monitoring
  is deployed to, which is where the functions must be), ``${aws:accountId}``;
- ``${env:<NAME>}`` (the ``env`` argument, default the process environment);
- ``${param:<name>}``: the ``params`` argument (``--param``), then ``stages.<stage>.params``
  and ``stages.default.params`` (v4), ``params.<stage>`` and ``params.default`` (v3);
- ``${file(path)}`` and ``${file(path):a.b}`` for YAML and JSON files (other extensions
  are read as text), paths relative to the service directory (the directory of
  serverless.yml; the framework resolves every ``file()`` path from there, also in
  included files), nested; ``functions:`` as a list of mappings and ``${file(...)}``
  entries, merged as the framework merges them;
- fallbacks (``${opt:stage, 'dev'}``, ``${env:X, self:provider.stage}``) exactly where
  the framework takes them: when a source has no value. A source whose value is only known
  when the framework runs (``${ssm:...}``, ``${cf:...}``, ``${file(x.js)}``...) is an
  error, never skipped for its fallback;
- YAML as the framework's parser reads it: ``<<:`` merge keys, a tab after a value,
  YAML 1.2 scalars (``yes`` is a string).

Every value that cannot be resolved is reported with the file, line, variable and fix.
Other sections (environment variables, resources, events) are never read.

Standard library and PyYAML only (no aws-cdk-lib).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The Serverless Framework's default stage.
DEFAULT_STAGE = "dev"
#: Longest service name watchkeeper accepts (``schema.SERVICE_NAME_RE``).
MAX_SERVICE_NAME_LENGTH = 40
_HASH_LENGTH = 6

#: The fix named whenever a value cannot be known at synth time.
FUNCTION_NAMES_FIX = (
    "give the deployed names instead: MonitoringStack(function_names=[...]) "
    "(watchkeeper cdk-app: --function-name NAME)"
)

_LAMBDA_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCRIPT_EXTENSIONS = (".js", ".cjs", ".mjs", ".ts")
_YAML_EXTENSIONS = (".yml", ".yaml")
_JSON_EXTENSIONS = (".json", ".tfstate")
_TYPE_START = set("abcdefghijklmnopqrstuvwxyz")
_TYPE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
_RUN_TIME_SOURCES = {
    "ssm": "SSM parameters",
    "cf": "CloudFormation outputs",
    "s3": "S3 objects",
    "aws": "AWS account values",
    "sls": "framework values",
    "git": "git values",
    "strToBool": "converted values",
}

# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


class ServerlessConfigError(ValueError):
    """A serverless.yml that cannot be read; the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ServerlessFunction:
    """One function of the service."""

    #: Key under ``functions:``.
    key: str
    #: Deployed function name.
    name: str
    #: Line of the function's key in ``file``.
    line: int
    #: Timeout in seconds, when the file gives it (function or provider level).
    timeout_seconds: int | None = None
    #: Memory size in MB, when the file gives it (function or provider level).
    memory_mb: int | None = None
    #: The file that defines the function (serverless.yml or a file it includes).
    file: str = ""


@dataclass(frozen=True)
class ServerlessService:
    """What watchkeeper needs from a serverless.yml."""

    path: str
    service: str
    stage: str
    #: The ``region`` argument, else ``provider.region`` when it resolves; else None.
    region: str | None
    functions: tuple[ServerlessFunction, ...]
    #: What was deliberately not monitored or not read (plugins that add functions,
    #: functions the framework does not deploy), one sentence each.
    notes: tuple[str, ...] = field(default=())

    @property
    def function_names(self) -> list[str]:
        return [f.name for f in self.functions]


def monitoring_service_name(service: str) -> str:
    """A Serverless service name mapped into watchkeeper's ``service_name`` form.

    Lower case; every run of characters other than ``a-z0-9`` becomes one ``-``; no ``-``
    at either end (``SERVICE-NAME`` -> ``service-name``, ``Orders_API`` -> ``orders-api``).
    A result longer than 40 characters keeps its first 33 and ends with ``-`` and 6 hex
    digits of the SHA-256 of the service name as written, so two long names that share
    their start still map to different names, and the same name always maps the same way.

    :raises ValueError: when the name has no letter or digit.
    """
    mapped = re.sub(r"[^a-z0-9]+", "-", service.lower()).strip("-")
    if not mapped:
        raise ValueError(
            f"service_name: the Serverless service {service!r} has no letter or digit; "
            "pass service_name="
        )
    if len(mapped) <= MAX_SERVICE_NAME_LENGTH:
        return mapped
    digest = hashlib.sha256(service.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    head = mapped[: MAX_SERVICE_NAME_LENGTH - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


# --------------------------------------------------------------------------------------
# Variable syntax (the framework's: ${type(params):address, fallback, 'literal'})
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    #: ``self``, ``file``, ... ; None for a literal fallback.
    kind: str | None
    literal: Any = None
    params: tuple[_Template, ...] | None = None
    address: _Template | None = None


@dataclass(frozen=True)
class _Variable:
    text: str
    sources: tuple[_Source, ...]


_Template = tuple[str | _Variable, ...]


def _render(template: _Template) -> str:
    return "".join(part if isinstance(part, str) else part.text for part in template)


class _SyntaxError(Exception):
    pass


class _Parser:
    """Parses the framework's variable syntax; ``${Foo}``, ``${AWS::Region}`` stay text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def template(self) -> _Template:
        parts, _ = self._template(0, stop="")
        return parts

    def _template(self, index: int, stop: str) -> tuple[_Template, int]:
        """Text and variables from ``index`` until an unnested character of ``stop``."""
        text = self.text
        parts: list[str | _Variable] = []
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

    def _variable(self, start: int) -> tuple[_Variable | None, int]:
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
        sources: list[_Source] = []
        while True:
            while index < len(text) and text[index] == " ":
                index += 1
            source, index = self._source(index)
            sources.append(source)
            while index < len(text) and text[index] == " ":
                index += 1
            if index >= len(text):
                raise _SyntaxError(f"missing '}}' closing {text[start:]}")
            if text[index] == "}":
                return _Variable(text[start : index + 1], tuple(sources)), index + 1
            if text[index] == ",":
                if source.kind is None and isinstance(source.literal, str):
                    raise _SyntaxError(
                        f"a quoted fallback must be the last one in {text[start:]}"
                    )
                index += 1
                continue
            raise _SyntaxError(f"unexpected {text[index]!r} in {text[start:]}")

    def _quoted(self, index: int) -> tuple[str, int]:
        text = self.text
        quote = text[index]
        end = index + 1
        while end < len(text) and text[end] != quote:
            end += 2 if quote == '"' and text[end] == "\\" else 1
        if end >= len(text):
            raise _SyntaxError(f"unterminated string in {text[index:]}")
        raw = text[index : end + 1]
        value = raw[1:-1] if quote == "'" else json.loads(raw)
        return value, end + 1

    def _source(self, index: int) -> tuple[_Source, int]:
        text = self.text
        if index < len(text) and text[index] in "'\"":
            value, index = self._quoted(index)
            return _Source(None, literal=value), index
        start = index
        while index < len(text) and text[index] in _TYPE_CHARS:
            index += 1
        word = text[start:index]
        if index < len(text) and text[index] in ":(" and word and word[0] in _TYPE_START:
            params: tuple[_Template, ...] | None = None
            if text[index] == "(":
                params, index = self._params(index + 1)
            address: _Template | None = None
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
            return _Source(word, params=params, address=address), index
        literal = word.strip()
        if literal in ("true", "false"):
            return _Source(None, literal=literal == "true"), index
        if literal == "null":
            return _Source(None, literal=None), index
        try:
            number = float(literal)
        except ValueError:
            raise _SyntaxError(f"invalid variable source {literal!r} in {text}") from None
        return _Source(None, literal=int(number) if number.is_integer() else number), index

    def _params(self, index: int) -> tuple[tuple[_Template, ...], int]:
        text = self.text
        params: list[_Template] = []
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
                raise _SyntaxError(f"missing ')' in {text}")
            if text[index] == ")":
                return tuple(params), index + 1
            index += 1  # ","


def _strip(parts: _Template) -> _Template:
    items = list(parts)
    if items and isinstance(items[0], str):
        items[0] = items[0].lstrip()
    if items and isinstance(items[-1], str):
        items[-1] = items[-1].rstrip()
    return tuple(p for p in items if p != "")


# --------------------------------------------------------------------------------------
# YAML as the framework reads it
# --------------------------------------------------------------------------------------


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


_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_NULL_RE = re.compile(r"(?:~|null|Null|NULL|)")
_BOOL_RE = re.compile(r"(?:true|True|TRUE|false|False|FALSE)")
_INT_RE = re.compile(r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN)"
)


def _plain_scalar(text: str) -> Any:
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


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ServerlessConfigError(
            str(path),
            line,
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
        ) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ServerlessConfigError(str(path), None, "file not found") from None
    except IsADirectoryError:
        raise ServerlessConfigError(str(path), None, "is a directory, not a file") from None
    except OSError as error:
        raise ServerlessConfigError(str(path), None, f"cannot be read: {error.strerror}") from None


def _compose(path: Path, text: str) -> yaml.Node | None:
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
    return _compose(path, text)


# --------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------


class _NoValue(Exception):
    """A source without a value: the framework then takes the next fallback."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class _Refused(Exception):
    """A source whose value only the framework can know: never replaced by a fallback."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


def _where(node: yaml.Node) -> tuple[str, int]:
    return node.start_mark.name, node.start_mark.line + 1


def _kind_of(value: Any) -> str:
    if isinstance(value, yaml.MappingNode):
        return "a mapping"
    if isinstance(value, yaml.SequenceNode):
        return "a list"
    return type(value).__name__


class _Resolver:
    def __init__(
        self,
        path: Path,
        root: yaml.MappingNode,
        *,
        stage: str | None,
        region: str | None,
        account: str | None,
        env: Mapping[str, str],
        params: Mapping[str, Any],
    ) -> None:
        self.path = path
        self.service_dir = path.parent.resolve()
        self.root = root
        self.opt_stage = stage
        self.region = region
        self.account = account
        self.env = env
        self.cli_params = params
        self._files: dict[Path, Any] = {}
        self._entries: dict[int, list[tuple[str, yaml.Node, yaml.Node]]] = {}
        self._active: set[int] = set()
        self._stage: str | None = None

    # -- tree access ------------------------------------------------------------------

    def entries(
        self, node: yaml.MappingNode, where: str
    ) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """Key, key node and value node of a mapping, ``<<:`` merges applied as js-yaml
        applies them (keys written in the mapping win, then the first merged mapping)."""
        cached = self._entries.get(id(node))
        if cached is not None:
            return cached
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        file, line = _where(source)
                        raise ServerlessConfigError(
                            file, line, f"'<<:' in {where} must merge a mapping or a list of them"
                        )
                    for key, merged_key, merged_value in self.entries(source, where):
                        merged.setdefault(key, (merged_key, merged_value))
                continue
            key = str(key_node.value)
            if key in own:
                file, line = _where(key_node)
                first = own[key][0].start_mark.line + 1
                label = (
                    f"function '{key}'"
                    if where == "functions"
                    else f"'{key}' in {where or 'the top level'}"
                )
                raise ServerlessConfigError(
                    file, line, f"{label} is defined twice (first on line {first})"
                )
            own[key] = (key_node, value_node)
        result = [(k, kn, vn) for k, (kn, vn) in own.items()]
        result += [(k, kn, vn) for k, (kn, vn) in merged.items() if k not in own]
        self._entries[id(node)] = result
        return result

    def get(self, value: Any, key: str, where: str) -> Any:
        """The resolved value of ``key`` in a mapping value; None when absent."""
        if isinstance(value, yaml.MappingNode):
            for entry_key, _, value_node in self.entries(value, where):
                if entry_key == key:
                    return self.value(value_node, f"{where}.{key}" if where else key)
            return None
        if isinstance(value, yaml.SequenceNode) and key.isdigit():
            index = int(key)
            if index < len(value.value):
                return self.value(value.value[index], f"{where}.{key}")
            return None
        if isinstance(value, Mapping):  # JSON-like values from params
            return value.get(key)
        return None

    def at(self, dotted: str) -> Any:
        value: Any = self.root
        where = ""
        for part in dotted.split(".") if dotted else []:
            if where == "" and part == "service":
                value = self.service_value()
            else:
                value = self.get(value, part, where)
            where = f"{where}.{part}" if where else part
            if value is None:
                return None
        return value

    def service_value(self) -> Any:
        value = self.get(self.root, "service", "")
        if isinstance(value, yaml.MappingNode):  # v1/v2: service: {name: ...}
            return self.get(value, "name", "service")
        return value

    # -- values -----------------------------------------------------------------------

    def value(self, node: yaml.Node, where: str) -> Any:
        """A node's value: a mapping/list node as is, a scalar resolved (str, int, ...)."""
        if not isinstance(node, yaml.ScalarNode):
            return node
        if not node.tag.startswith(_YAML_TAG_PREFIX):
            file, line = _where(node)
            raise ServerlessConfigError(
                file,
                line,
                f"{where} is {node.tag} {node.value!r}, a CloudFormation function that only "
                f"CloudFormation resolves; {FUNCTION_NAMES_FIX}",
            )
        if node.style is None:
            plain = _plain_scalar(node.value)
            if not isinstance(plain, str):
                return plain
        if "${" not in node.value:
            return node.value
        if id(node) in self._active:
            file, line = _where(node)
            raise ServerlessConfigError(
                file, line, f"cannot resolve {node.value} in {where}: it refers to itself"
            )
        self._active.add(id(node))
        try:
            try:
                template = _Parser(node.value).template()
            except _SyntaxError as error:
                file, line = _where(node)
                raise ServerlessConfigError(
                    file, line, f"invalid variable in {where}: {error}"
                ) from None
            result = self.template(template, node, where)
        finally:
            self._active.discard(id(node))
        if isinstance(result, yaml.ScalarNode):
            return self.value(result, where)
        return result

    def template(self, template: _Template, node: yaml.Node, where: str) -> Any:
        if len(template) == 1 and isinstance(template[0], _Variable):
            return self.variable(template[0], node, where)
        pieces = []
        for part in template:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.variable(part, node, where)
            if isinstance(value, yaml.Node) or isinstance(value, (list, dict)):
                file, line = _where(node)
                raise ServerlessConfigError(
                    file,
                    line,
                    f"cannot resolve {part.text} in {where}: it is {_kind_of(value)}, and a "
                    "value inside a longer string must be a single value",
                )
            pieces.append(_as_text(value))
        return "".join(pieces)

    def variable(self, variable: _Variable, node: yaml.Node, where: str) -> Any:
        reasons: list[str] = []
        fixes: list[str] = []
        for source in variable.sources:
            if source.kind is None:
                if source.literal is not None:
                    return source.literal
                reasons.append("the fallback is null")
                continue
            try:
                value = self.source(source, node, where)
            except _NoValue as missing:
                reasons.append(missing.reason)
                fixes.append(missing.fix)
                continue
            except _Refused as refused:
                file, line = _where(node)
                raise ServerlessConfigError(
                    file,
                    line,
                    f"cannot resolve {variable.text} in {where}: {refused.reason}; {refused.fix}",
                ) from None
            return value
        file, line = _where(node)
        fix = " or ".join(dict.fromkeys(f for f in fixes if f)) or "give a value"
        raise ServerlessConfigError(
            file,
            line,
            f"cannot resolve {variable.text} in {where}: {'; '.join(reasons)}; fix: {fix}",
        )

    def _text_of(self, template: _Template, node: yaml.Node, where: str) -> str:
        value = self.template(template, node, where)
        if isinstance(value, yaml.Node):
            raise _Refused(
                f"{_render(template)} is {_kind_of(value)}", "use a single value there"
            )
        return _as_text(value)

    def source(self, source: _Source, node: yaml.Node, where: str) -> Any:
        kind = source.kind
        address = self._text_of(source.address, node, where) if source.address else ""
        reference = f"{kind}:{address}"
        if kind == "self":
            value = self.at(address)
            if value is None:
                raise _NoValue(
                    f"{reference} is not set in the configuration",
                    f"set {address or 'it'} in {self.path.name}",
                )
            return value
        if kind == "opt":
            if address == "stage":
                if self.opt_stage is None:
                    raise _NoValue("no stage was given (--stage)", "give stage=")
                return self.opt_stage
            if address == "region":
                return self.need_region(reference)
            raise _Refused(
                f"the command-line option --{address} is only known when the framework runs",
                FUNCTION_NAMES_FIX,
            )
        if kind == "sls" and address == "stage":
            return self.stage()
        if kind == "aws" and address == "region":
            return self.need_region(reference)
        if kind == "aws" and address == "accountId":
            if self.account is None:
                raise _Refused(
                    f"{reference} needs the account, and none is known",
                    "deploy the monitoring stack with env=cdk.Environment(account=...) "
                    "(watchkeeper cdk-app: --account or CDK_DEFAULT_ACCOUNT)",
                )
            return self.account
        if kind == "env":
            value = self.env.get(address)
            if value is None:
                raise _NoValue(
                    f"environment variable {address} is not set",
                    f"set {address} in the environment that synthesizes",
                )
            return value
        if kind == "param":
            return self.param(address)
        if kind == "file":
            return self.file(source, address, node, where)
        label = _RUN_TIME_SOURCES.get(kind or "", f"values of the '{kind}' source (a plugin's)")
        raise _Refused(
            f"{label} are only known when the Serverless Framework deploys", FUNCTION_NAMES_FIX
        )

    def need_region(self, reference: str) -> str:
        if self.region is None:
            raise _Refused(
                f"{reference} needs the region, and the monitoring stack has none",
                "deploy the monitoring stack with env=cdk.Environment(region=...) "
                "(watchkeeper cdk-app: --region or CDK_DEFAULT_REGION), the region the "
                "functions are deployed to",
            )
        return self.region

    def stage(self) -> str:
        if self._stage is None:
            if self.opt_stage is not None:
                self._stage = self.opt_stage
            else:
                provider = self.get(self.root, "provider", "")
                value = self.get(provider, "stage", "provider")
                if isinstance(value, yaml.Node):
                    file, line = _where(value)
                    raise ServerlessConfigError(
                        file, line, f"provider.stage is {_kind_of(value)}, not a stage name"
                    )
                self._stage = _as_text(value) if value not in (None, "") else DEFAULT_STAGE
        return self._stage

    def param(self, name: str) -> Any:
        if name in self.cli_params and self.cli_params[name] is not None:
            return self.cli_params[name]
        stage = self.stage()
        for section in (f"stages.{stage}.params", f"params.{stage}"):
            value = self.get(self.at(section), name, section)
            if value is not None:
                return value
        for section in ("stages.default.params", "params.default"):
            value = self.get(self.at(section), name, section)
            if value is not None:
                return value
        raise _NoValue(
            f"param {name} is not set for stage {stage}",
            f"give params={{{name!r}: ...}} (watchkeeper cdk-app: --param {name}=VALUE) or set "
            f"it under stages.{stage}.params or stages.default.params",
        )

    def file(self, source: _Source, address: str, node: yaml.Node, where: str) -> Any:
        if not source.params:
            raise _Refused("file() names no path", "write ${file(./path.yml)}")
        relative = self._text_of(source.params[0], node, where)
        path = (self.service_dir / relative).resolve()
        described = f"file({relative})"
        if path.suffix in _SCRIPT_EXTENSIONS:
            if not path.exists():
                raise _NoValue(f"{described} does not exist", "")
            raise _Refused(
                f"{described} is JavaScript, which only the Serverless Framework runs",
                FUNCTION_NAMES_FIX,
            )
        content = self.load(path)
        if content is None:
            includer = Path(node.start_mark.name).parent.resolve()
            hint = ""
            if includer != self.service_dir and (includer / relative).exists():
                hint = (
                    f" (the framework reads file() paths from the service directory, not "
                    f"from the including file's directory {includer})"
                )
            raise _NoValue(
                f"{described} does not exist in {self.service_dir}{hint}",
                "write the path relative to the directory of serverless.yml",
            )
        value: Any = content
        walked = ""
        for part in address.split(".") if address else []:
            value = self.get(value, part, walked)
            walked = f"{walked}.{part}" if walked else part
            if value is None:
                raise _NoValue(
                    f"{described} has no {address}", f"set {address} in {relative}"
                )
        return value

    def load(self, path: Path) -> Any:
        if path in self._files:
            return self._files[path]
        if not path.is_file():
            self._files[path] = None
            return None
        text = _decode(path, _read_bytes(path))
        content: Any
        if path.suffix in _YAML_EXTENSIONS:
            content = _compose(path, text)
        elif path.suffix in _JSON_EXTENSIONS:
            content = _compose_json(path, text)
        else:
            content = text  # the framework reads any other file as text
        if isinstance(content, yaml.ScalarNode):
            content = self.value(content, path.name)
        self._files[path] = content
        return content


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _int_or_none(resolver: _Resolver, body: Any, key: str, where: str) -> int | None:
    try:
        value = resolver.get(body, key, where)
    except ServerlessConfigError:
        return None  # useful for alarms, never required
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------

@dataclass
class _Definition:
    key: str
    key_node: yaml.Node
    bodies: list[Any]


def _function_definitions(
    resolver: _Resolver, functions: Any, functions_node: yaml.Node | None
) -> Iterator[_Definition]:
    """Functions as the framework merges them: a mapping, or a list of mappings (and
    ``${file(...)}`` entries) merged in order, a key in two entries merged deeply."""
    if isinstance(functions, yaml.MappingNode):
        for key, key_node, body in resolver.entries(functions, "functions"):
            yield _Definition(key, key_node, [body])
        return
    if not isinstance(functions, yaml.SequenceNode):
        file, line = _where(functions_node) if functions_node is not None else (
            str(resolver.path),
            None,
        )
        raise ServerlessConfigError(
            file, line, f"functions: is {_kind_of(functions)}, expected a mapping or a list"
        )
    merged: dict[str, _Definition] = {}
    for index, item in enumerate(functions.value):
        value = resolver.value(item, f"functions.{index}")
        if value is None or value == "":
            continue  # the framework skips empty entries
        if not isinstance(value, yaml.MappingNode):
            file, line = _where(item)
            raise ServerlessConfigError(
                file, line, f"functions entry {index} is {_kind_of(value)}, expected a mapping"
            )
        for key, key_node, body in resolver.entries(value, "functions"):
            if key in merged:
                merged[key].bodies.append(body)
            else:
                merged[key] = _Definition(key, key_node, [body])
    yield from merged.values()


def _function_field(resolver: _Resolver, bodies: list[Any], name: str, where: str) -> Any:
    """The last value a merged body gives ``name`` (later list entries win)."""
    result = None
    for body in bodies:
        value = resolver.get(body, name, where)
        if value is not None:
            result = value
    return result


def read_serverless_config(
    path: str | os.PathLike[str],
    *,
    stage: str | None = None,
    region: str | None = None,
    account: str | None = None,
    env: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> ServerlessService:
    """Read ``path`` and return the service, stage, region and deployed function names.

    :param stage: the stage deployed (``sls deploy --stage``). Default: ``provider.stage``,
        else ``dev``.
    :param region: the region the functions are deployed to (``--region``): the value of
        ``${opt:region}`` and ``${aws:region}``, ahead of any fallback. Default: none (a name
        that needs the region is then an error naming the fix).
    :param account: the value of ``${aws:accountId}``. Default: none.
    :param env: values for ``${env:...}``. Default: the process environment.
    :param params: values for ``${param:...}`` (``--param``), ahead of the file's stage
        params. Default: none.
    :raises ServerlessConfigError: (a ValueError) for a missing or malformed file, no
        functions, a name it cannot resolve, or two functions with the same name.
    """
    main = Path(path)
    file = str(path)
    text = _decode(main, _read_bytes(main))
    root = _compose(main, text)
    if not isinstance(root, yaml.MappingNode):
        raise ServerlessConfigError(file, 1, "expected a mapping with service: and functions:")
    # Errors name the file as the caller gave it.
    root_name = root.start_mark.name
    resolver = _Resolver(
        main,
        root,
        stage=stage,
        region=region,
        account=account,
        env=os.environ if env is None else env,
        params=params or {},
    )
    service_value = resolver.service_value()
    if service_value is None:
        raise ServerlessConfigError(root_name, 1, "no 'service:' name")
    if isinstance(service_value, yaml.Node):
        where_file, line = _where(service_value)
        raise ServerlessConfigError(
            where_file, line, f"service: is {_kind_of(service_value)}, not a name"
        )
    service = _as_text(service_value)
    resolved_stage = resolver.stage()
    notes: list[str] = []
    try:
        provider_region = resolver.at("provider.region")
    except ServerlessConfigError:
        provider_region = None  # needed for no name
    if not isinstance(provider_region, str):
        provider_region = None
    resolved_region = region or provider_region
    if region and provider_region and provider_region != region:
        notes.append(
            f"provider.region is {provider_region}, the monitoring's region {region}: the "
            f"framework deploys the functions to {provider_region} unless `--region {region}` "
            "is given, and alarms only see their own region"
        )
    provider = resolver.get(root, "provider", "")
    provider_timeout = _int_or_none(resolver, provider, "timeout", "provider")
    provider_memory = _int_or_none(resolver, provider, "memorySize", "provider")

    functions_node = next(
        (value for key, _, value in resolver.entries(root, "") if key == "functions"), None
    )
    functions_value = resolver.get(root, "functions", "")
    if functions_value is None:
        functions_line = functions_node.start_mark.line + 1 if functions_node else None
        raise ServerlessConfigError(root_name, functions_line, "no functions under 'functions:'")

    functions: list[ServerlessFunction] = []
    seen_names: dict[str, ServerlessFunction] = {}
    for definition in _function_definitions(resolver, functions_value, functions_node):
        key = definition.key
        key_file, line = _where(definition.key_node)
        where = f"functions.{key}"
        resolved = [(resolver.value(node, where), node) for node in definition.bodies]
        resolved = [(body, node) for body, node in resolved if body is not None]
        bodies = [body for body, _ in resolved]
        if not bodies:
            # The framework drops a function without a body (setFunctionNames).
            notes.append(
                f"{key_file}:{line}: function '{key}' has an empty body, which the "
                "Serverless Framework does not deploy: not monitored"
            )
            continue
        for body, node in resolved:
            if not isinstance(body, yaml.MappingNode):
                body_file, body_line = _where(node)
                raise ServerlessConfigError(
                    body_file,
                    body_line,
                    f"function '{key}' is {_kind_of(body)}, expected a mapping (handler:, ...)",
                )
        name_value = _function_field(resolver, bodies, "name", where)
        if isinstance(name_value, yaml.Node):
            name_file, name_line = _where(name_value)
            raise ServerlessConfigError(
                name_file, name_line, f"{where}.name is {_kind_of(name_value)}, not a name"
            )
        if name_value in (None, "", False, 0):
            name = f"{service}-{resolved_stage}-{key}"
        else:
            name = _as_text(name_value)
        timeouts = [_int_or_none(resolver, body, "timeout", where) for body in bodies]
        memories = [_int_or_none(resolver, body, "memorySize", where) for body in bodies]
        function = ServerlessFunction(
            key=key,
            name=name,
            line=line,
            timeout_seconds=next((t for t in reversed(timeouts) if t), None) or provider_timeout,
            memory_mb=next((m for m in reversed(memories) if m), None) or provider_memory,
            file=key_file,
        )
        if name in seen_names:
            first = seen_names[name]
            raise ServerlessConfigError(
                key_file,
                line,
                f"functions '{first.key}' (line {first.line}) and '{key}' are both deployed as "
                f"'{name}'",
            )
        if not _LAMBDA_NAME_RE.fullmatch(name):
            raise ServerlessConfigError(
                key_file,
                line,
                f"function '{key}' would be named '{name}', which is not a valid Lambda name "
                "(1-64 letters, digits, '-' and '_')",
            )
        seen_names[name] = function
        functions.append(function)
    notes.extend(_plugin_notes(resolver))
    if not functions:
        raise ServerlessConfigError(
            root_name, None, "no deployed functions under 'functions:' (every body is empty)"
        )
    return ServerlessService(
        path=file,
        service=service,
        stage=resolved_stage,
        region=resolved_region,
        functions=tuple(functions),
        notes=tuple(notes),
    )


def _plugin_notes(resolver: _Resolver) -> list[str]:
    """Plugins may add functions the file does not list: named, never guessed."""
    try:
        plugins = resolver.get(resolver.root, "plugins", "")
        if isinstance(plugins, yaml.MappingNode):  # plugins: {modules: [...], localPath: ...}
            plugins = resolver.get(plugins, "modules", "plugins")
        names: list[str] = []
        if isinstance(plugins, yaml.SequenceNode):
            for index, item in enumerate(plugins.value):
                value = resolver.value(item, f"plugins.{index}")
                if isinstance(value, str):
                    names.append(value)
        has_constructs = resolver.get(resolver.root, "constructs", "") is not None
    except ServerlessConfigError:
        return ["plugins: could not be read; functions that plugins add are not monitored"]
    notes = []
    if names:
        lift = " (Lift constructs: deploy functions of their own)" if has_constructs else ""
        notes.append(
            f"plugins {', '.join(names)}{lift}: functions a plugin adds are not read and not "
            "monitored; add them with function_names= (watchkeeper cdk-app: --function-name)"
        )
    elif has_constructs:
        notes.append(
            "constructs: (serverless-lift) are not read: the functions they deploy are not "
            "monitored; add them with function_names= (watchkeeper cdk-app: --function-name)"
        )
    return notes


__all__ = [
    "DEFAULT_STAGE",
    "FUNCTION_NAMES_FIX",
    "MAX_SERVICE_NAME_LENGTH",
    "ServerlessConfigError",
    "ServerlessFunction",
    "ServerlessService",
    "monitoring_service_name",
    "read_serverless_config",
]
