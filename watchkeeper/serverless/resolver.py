"""Values of a serverless.yml resolved as the Serverless Framework resolves them.

``Resolver`` walks the composed configuration (``<<:`` merges applied as js-yaml applies
them, a key defined twice refused) and resolves each scalar's variables by their sources:
``self:``, ``opt:stage``/``sls:stage``, ``opt:region``/``aws:region``, ``aws:accountId``,
``env:``, ``param:`` (given params, then the stage's and the default params, v3 and v4
layouts) and ``file(...)`` includes, read from the service directory and cached.

A fallback is taken exactly where the framework takes it: when a source has no value
(``NoValue``). A source only the framework can know when it deploys (``ssm:``, ``cf:``, a
JavaScript file, ...) is ``Refused``: an error naming the fix, never skipped for its
fallback. Both become a ``ServerlessConfigError`` with the file, line and variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.serverless.errors import FUNCTION_NAMES_FIX, ServerlessConfigError
from watchkeeper.serverless.variable_syntax import (
    Parser,
    Source,
    Template,
    Variable,
    VariableSyntaxError,
    render,
)
from watchkeeper.serverless.yaml_loader import (
    YAML_TAG_PREFIX,
    kind_of,
    load_document,
    location,
    plain_scalar,
)

#: The Serverless Framework's default stage.
DEFAULT_STAGE = "dev"

_SCRIPT_EXTENSIONS = (".js", ".cjs", ".mjs", ".ts")
_RUN_TIME_SOURCES = {
    "ssm": "SSM parameters",
    "cf": "CloudFormation outputs",
    "s3": "S3 objects",
    "aws": "AWS account values",
    "sls": "framework values",
    "git": "git values",
    "strToBool": "converted values",
}


class NoValue(Exception):
    """A source without a value: the framework then takes the next fallback."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class Refused(Exception):
    """A source whose value only the framework can know: never replaced by a fallback."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class Resolver:
    """The configuration's values, resolved on demand from the root of serverless.yml."""

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
                        file, line = location(source)
                        raise ServerlessConfigError(
                            file, line, f"'<<:' in {where} must merge a mapping or a list of them"
                        )
                    for key, merged_key, merged_value in self.entries(source, where):
                        merged.setdefault(key, (merged_key, merged_value))
                continue
            key = str(key_node.value)
            if key in own:
                file, line = location(key_node)
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
        if not node.tag.startswith(YAML_TAG_PREFIX):
            file, line = location(node)
            raise ServerlessConfigError(
                file,
                line,
                f"{where} is {node.tag} {node.value!r}, a CloudFormation function that only "
                f"CloudFormation resolves; {FUNCTION_NAMES_FIX}",
            )
        if node.style is None:
            plain = plain_scalar(node.value)
            if not isinstance(plain, str):
                return plain
        if "${" not in node.value:
            return node.value
        if id(node) in self._active:
            file, line = location(node)
            raise ServerlessConfigError(
                file, line, f"cannot resolve {node.value} in {where}: it refers to itself"
            )
        self._active.add(id(node))
        try:
            try:
                template = Parser(node.value).template()
            except VariableSyntaxError as error:
                file, line = location(node)
                raise ServerlessConfigError(
                    file, line, f"invalid variable in {where}: {error}"
                ) from None
            result = self.template(template, node, where)
        finally:
            self._active.discard(id(node))
        if isinstance(result, yaml.ScalarNode):
            return self.value(result, where)
        return result

    def template(self, template: Template, node: yaml.Node, where: str) -> Any:
        if len(template) == 1 and isinstance(template[0], Variable):
            return self.variable(template[0], node, where)
        pieces = []
        for part in template:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.variable(part, node, where)
            if isinstance(value, yaml.Node) or isinstance(value, (list, dict)):
                file, line = location(node)
                raise ServerlessConfigError(
                    file,
                    line,
                    f"cannot resolve {part.text} in {where}: it is {kind_of(value)}, and a "
                    "value inside a longer string must be a single value",
                )
            pieces.append(as_text(value))
        return "".join(pieces)

    def variable(self, variable: Variable, node: yaml.Node, where: str) -> Any:
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
            except NoValue as missing:
                reasons.append(missing.reason)
                fixes.append(missing.fix)
                continue
            except Refused as refused:
                file, line = location(node)
                raise ServerlessConfigError(
                    file,
                    line,
                    f"cannot resolve {variable.text} in {where}: {refused.reason}; {refused.fix}",
                ) from None
            return value
        file, line = location(node)
        fix = " or ".join(dict.fromkeys(f for f in fixes if f)) or "give a value"
        raise ServerlessConfigError(
            file,
            line,
            f"cannot resolve {variable.text} in {where}: {'; '.join(reasons)}; fix: {fix}",
        )

    def _text_of(self, template: Template, node: yaml.Node, where: str) -> str:
        value = self.template(template, node, where)
        if isinstance(value, yaml.Node):
            raise Refused(
                f"{render(template)} is {kind_of(value)}", "use a single value there"
            )
        return as_text(value)

    def source(self, source: Source, node: yaml.Node, where: str) -> Any:
        kind = source.kind
        address = self._text_of(source.address, node, where) if source.address else ""
        reference = f"{kind}:{address}"
        if kind == "self":
            value = self.at(address)
            if value is None:
                raise NoValue(
                    f"{reference} is not set in the configuration",
                    f"set {address or 'it'} in {self.path.name}",
                )
            return value
        if kind == "opt":
            if address == "stage":
                if self.opt_stage is None:
                    raise NoValue("no stage was given (--stage)", "give stage=")
                return self.opt_stage
            if address == "region":
                return self.need_region(reference)
            raise Refused(
                f"the command-line option --{address} is only known when the framework runs",
                FUNCTION_NAMES_FIX,
            )
        if kind == "sls" and address == "stage":
            return self.stage()
        if kind == "aws" and address == "region":
            return self.need_region(reference)
        if kind == "aws" and address == "accountId":
            if self.account is None:
                raise Refused(
                    f"{reference} needs the account, and none is known",
                    "deploy the monitoring stack with env=cdk.Environment(account=...) "
                    "(watchkeeper cdk-app: --account or CDK_DEFAULT_ACCOUNT)",
                )
            return self.account
        if kind == "env":
            value = self.env.get(address)
            if value is None:
                raise NoValue(
                    f"environment variable {address} is not set",
                    f"set {address} in the environment that synthesizes",
                )
            return value
        if kind == "param":
            return self.param(address)
        if kind == "file":
            return self.file(source, address, node, where)
        label = _RUN_TIME_SOURCES.get(kind or "", f"values of the '{kind}' source (a plugin's)")
        raise Refused(
            f"{label} are only known when the Serverless Framework deploys", FUNCTION_NAMES_FIX
        )

    def need_region(self, reference: str) -> str:
        if self.region is None:
            raise Refused(
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
                    file, line = location(value)
                    raise ServerlessConfigError(
                        file, line, f"provider.stage is {kind_of(value)}, not a stage name"
                    )
                self._stage = as_text(value) if value not in (None, "") else DEFAULT_STAGE
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
        raise NoValue(
            f"param {name} is not set for stage {stage}",
            f"give params={{{name!r}: ...}} (watchkeeper cdk-app: --param {name}=VALUE) or set "
            f"it under stages.{stage}.params or stages.default.params",
        )

    def file(self, source: Source, address: str, node: yaml.Node, where: str) -> Any:
        if not source.params:
            raise Refused("file() names no path", "write ${file(./path.yml)}")
        relative = self._text_of(source.params[0], node, where)
        path = (self.service_dir / relative).resolve()
        described = f"file({relative})"
        if path.suffix in _SCRIPT_EXTENSIONS:
            if not path.exists():
                raise NoValue(f"{described} does not exist", "")
            raise Refused(
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
            raise NoValue(
                f"{described} does not exist in {self.service_dir}{hint}",
                "write the path relative to the directory of serverless.yml",
            )
        value: Any = content
        walked = ""
        for part in address.split(".") if address else []:
            value = self.get(value, part, walked)
            walked = f"{walked}.{part}" if walked else part
            if value is None:
                raise NoValue(
                    f"{described} has no {address}", f"set {address} in {relative}"
                )
        return value

    def load(self, path: Path) -> Any:
        if path in self._files:
            return self._files[path]
        if not path.is_file():
            self._files[path] = None
            return None
        content = load_document(path)
        if isinstance(content, yaml.ScalarNode):
            content = self.value(content, path.name)
        self._files[path] = content
        return content


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
