"""Read a Serverless Framework ``serverless.yml``: service, stage, region, function names.

For monitoring functions that the Serverless Framework deploys: watchkeeper needs their
deployed names, which follow the framework's rule ``<service>-<stage>-<function key>``
unless a function sets ``name:``. Variables are resolved where the answer is known at
synth time:

- ``${self:<path>}`` (any value in the file, e.g. ``${self:custom.prefix}``),
- ``${opt:stage}`` / ``${opt:region}`` (the ``stage`` / ``region`` arguments),
- ``${sls:stage}`` (the resolved stage), ``${param:<name>}`` (the ``params`` argument),
- ``${env:<NAME>}`` (the ``env`` argument, default the process environment),
- fallbacks: ``${opt:stage, 'dev'}``, ``${env:X, self:provider.stage}``; nesting works.

Sources only known at deploy time (``${ssm:...}``, ``${file(...)}``, ``${cf:...}``,
``${s3:...}``, ``${aws:...}``...) and variables without a value are reported with the
file, line and variable, when the value is one watchkeeper needs. Other sections
(environment variables, resources) are not resolved and never cause an error.

Standard library and PyYAML only (no aws-cdk-lib).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: The Serverless Framework's default stage.
DEFAULT_STAGE = "dev"

_VARIABLE_RE = re.compile(r"\$\{([^${}]*)\}")
_QUOTED_RE = re.compile(r"""^(['"])(.*)\1$""", re.S)


class ServerlessConfigError(ValueError):
    """A serverless.yml that cannot be read; the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ServerlessFunction:
    """One function of the service."""

    #: Key under ``functions:``.
    key: str
    #: Deployed function name.
    name: str
    #: Line of the function's key in the file.
    line: int
    #: Timeout in seconds, when the file gives it (function or provider level).
    timeout_seconds: int | None = None
    #: Memory size in MB, when the file gives it (function or provider level).
    memory_mb: int | None = None


@dataclass(frozen=True)
class ServerlessService:
    """What watchkeeper needs from a serverless.yml."""

    path: str
    service: str
    stage: str
    #: ``provider.region`` or the ``region`` argument; None when neither is given.
    region: str | None
    functions: tuple[ServerlessFunction, ...]

    @property
    def function_names(self) -> list[str]:
        return [f.name for f in self.functions]


class _Unresolved(Exception):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(variable)
        self.variable = variable
        self.reason = reason


class _Reader:
    def __init__(
        self,
        path: str,
        root: yaml.MappingNode,
        *,
        stage: str | None,
        region: str | None,
        env: Mapping[str, str],
        params: Mapping[str, str],
    ) -> None:
        self.path = path
        self.root = root
        self.opt = {"stage": stage, "region": region}
        self.env = env
        self.params = params
        self._stage: str | None = None
        self._resolving: set[str] = set()

    # -- tree access ------------------------------------------------------------------

    def child(self, node: yaml.Node | None, key: str) -> yaml.Node | None:
        if not isinstance(node, yaml.MappingNode):
            return None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
        return None

    def at(self, dotted: str) -> yaml.Node | None:
        node: yaml.Node | None = self.root
        for part in dotted.split("."):
            if isinstance(node, yaml.SequenceNode) and part.isdigit():
                index = int(part)
                node = node.value[index] if index < len(node.value) else None
            else:
                node = self.child(node, part)
            if node is None:
                return None
        return node

    def line(self, node: yaml.Node | None) -> int | None:
        return node.start_mark.line + 1 if node is not None else None

    # -- resolution -------------------------------------------------------------------

    def stage(self) -> str:
        if self._stage is None:
            given = self.opt["stage"]
            if given is not None:
                self._stage = given
            else:
                node = self.at("provider.stage")
                self._stage = self.text(node, "provider.stage") if node is not None else None
                self._stage = self._stage or DEFAULT_STAGE
        return self._stage

    def scalar(self, node: yaml.Node, where: str) -> Any:
        """The resolved value of a scalar node (str, or int/float/bool for plain YAML)."""
        if not isinstance(node, yaml.ScalarNode):
            raise ServerlessConfigError(
                self.path, self.line(node), f"{where} must be a single value"
            )
        if node.tag.endswith((":int", ":float", ":bool")) or (
            node.style is None and re.fullmatch(r"-?\d+", node.value)
        ):
            return yaml.safe_load(node.value)
        try:
            return self.substitute(node.value)
        except _Unresolved as error:
            raise ServerlessConfigError(
                self.path,
                self.line(node),
                f"cannot resolve {error.variable} in {where}: {error.reason}",
            ) from None

    def text(self, node: yaml.Node, where: str) -> str:
        value = self.scalar(node, where)
        return str(value)

    def substitute(self, text: str) -> Any:
        """Replace variables innermost first; a whole-value variable keeps its type."""
        while True:
            match = _VARIABLE_RE.search(text)
            if match is None:
                return text
            value = self.variable(match.group(0), match.group(1))
            if match.span() == (0, len(text)) and not isinstance(value, str):
                return value
            text = text[: match.start()] + str(value) + text[match.end() :]

    def variable(self, whole: str, body: str) -> Any:
        alternatives = [a.strip() for a in _split_alternatives(body)]
        reasons = []
        for alternative in alternatives:
            quoted = _QUOTED_RE.match(alternative)
            if quoted:
                return quoted.group(2)
            if re.fullmatch(r"-?\d+(\.\d+)?", alternative):
                return yaml.safe_load(alternative)
            try:
                value = self.source(alternative)
            except _Unresolved as error:
                reasons.append(error.reason)
                continue
            if value is not None:
                return value
            reasons.append(f"{alternative} has no value")
        raise _Unresolved(whole, "; ".join(reasons))

    def source(self, reference: str) -> Any:
        kind, _, address = reference.partition(":")
        kind = kind.strip()
        address = address.strip()
        if kind == "self":
            if reference in self._resolving:
                raise _Unresolved(reference, f"{reference} refers to itself")
            node = self.at(address) if address else self.root
            if node is None:
                return None
            self._resolving.add(reference)
            try:
                return self.scalar(node, address) if isinstance(node, yaml.ScalarNode) else None
            except ServerlessConfigError as error:
                raise _Unresolved(reference, str(error).split(": ", 1)[1]) from None
            finally:
                self._resolving.discard(reference)
        if kind == "opt":
            if address not in self.opt:
                raise _Unresolved(
                    reference, f"only opt:stage and opt:region are known, not {reference}"
                )
            return self.opt[address]
        if kind == "sls" and address == "stage":
            return self.stage()
        if kind == "env":
            return self.env.get(address)
        if kind == "param":
            return self.params.get(address)
        name = kind.split("(", 1)[0] or reference
        raise _Unresolved(
            reference,
            f"'{name}' values are only known when the Serverless Framework deploys; give a "
            "literal value, a fallback (${x, 'value'}) or function_names= instead",
        )


def _split_alternatives(body: str) -> list[str]:
    """Split ``a, 'b, c', d`` at top-level commas (commas inside quotes stay)."""
    parts, current, quote = [], [], None
    for char in body:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _int_or_none(reader: _Reader, node: yaml.Node | None, where: str) -> int | None:
    if node is None:
        return None
    try:
        value = reader.scalar(node, where)
    except ServerlessConfigError:
        return None  # useful for alarms, never required
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def read_serverless_config(
    path: str | os.PathLike[str],
    *,
    stage: str | None = None,
    region: str | None = None,
    env: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> ServerlessService:
    """Read ``path`` and return the service, stage, region and deployed function names.

    :param stage: the stage deployed (``sls deploy --stage``). Default: ``provider.stage``,
        else ``dev``.
    :param region: the region deployed (``--region``). Default: ``provider.region``.
    :param env: values for ``${env:...}``. Default: the process environment.
    :param params: values for ``${param:...}``. Default: none.
    :raises ServerlessConfigError: (a ValueError) for a missing or malformed file, no
        functions, a name it cannot resolve, or two functions with the same name.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ServerlessConfigError(file, None, "file not found") from None
    except OSError as error:
        raise ServerlessConfigError(file, None, f"cannot be read: {error.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ServerlessConfigError(file, line, f"invalid YAML: {error.problem}") from None
    if not isinstance(root, yaml.MappingNode):
        raise ServerlessConfigError(file, 1, "expected a mapping with service: and functions:")

    reader = _Reader(
        file,
        root,
        stage=stage,
        region=region,
        env=os.environ if env is None else env,
        params=params or {},
    )
    service_node = reader.child(root, "service")
    if isinstance(service_node, yaml.MappingNode):  # framework v1: service: {name: ...}
        service_node = reader.child(service_node, "name")
    if service_node is None:
        raise ServerlessConfigError(file, 1, "no 'service:' name")
    service = reader.text(service_node, "service")
    resolved_stage = reader.stage()
    region_node = reader.at("provider.region")
    resolved_region = region or (
        reader.text(region_node, "provider.region") if region_node is not None else None
    )
    provider_timeout = _int_or_none(reader, reader.at("provider.timeout"), "provider.timeout")
    provider_memory = _int_or_none(reader, reader.at("provider.memorySize"), "provider.memorySize")

    functions_node = reader.child(root, "functions")
    entries: list[tuple[yaml.Node, yaml.Node]] = []
    if isinstance(functions_node, yaml.MappingNode):
        entries = list(functions_node.value)
    elif isinstance(functions_node, yaml.SequenceNode):  # a list of mappings
        for item in functions_node.value:
            if isinstance(item, yaml.MappingNode):
                entries.extend(item.value)
    if not entries:
        line = reader.line(functions_node) if functions_node is not None else None
        raise ServerlessConfigError(file, line, "no functions under 'functions:'")

    functions: list[ServerlessFunction] = []
    seen_keys: dict[str, int] = {}
    seen_names: dict[str, ServerlessFunction] = {}
    for key_node, body in entries:
        key = str(key_node.value)
        line = reader.line(key_node) or 0
        if key in seen_keys:
            raise ServerlessConfigError(
                file, line, f"function '{key}' is defined twice (first on line {seen_keys[key]})"
            )
        seen_keys[key] = line
        name_node = reader.child(body, "name")
        if name_node is not None:
            name = reader.text(name_node, f"functions.{key}.name")
        else:
            name = f"{service}-{resolved_stage}-{key}"
        function = ServerlessFunction(
            key=key,
            name=name,
            line=line,
            timeout_seconds=_int_or_none(
                reader, reader.child(body, "timeout"), f"functions.{key}.timeout"
            )
            or provider_timeout,
            memory_mb=_int_or_none(
                reader, reader.child(body, "memorySize"), f"functions.{key}.memorySize"
            )
            or provider_memory,
        )
        if name in seen_names:
            first = seen_names[name]
            raise ServerlessConfigError(
                file,
                line,
                f"functions '{first.key}' (line {first.line}) and '{key}' are both deployed as "
                f"'{name}'",
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise ServerlessConfigError(
                file,
                line,
                f"function '{key}' would be named '{name}', which is not a valid Lambda name "
                "(1-64 letters, digits, '-' and '_')",
            )
        seen_names[name] = function
        functions.append(function)
    return ServerlessService(
        path=file,
        service=service,
        stage=resolved_stage,
        region=resolved_region,
        functions=tuple(functions),
    )


__all__ = [
    "DEFAULT_STAGE",
    "ServerlessConfigError",
    "ServerlessFunction",
    "ServerlessService",
    "read_serverless_config",
]
