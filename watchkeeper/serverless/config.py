"""``read_serverless_config``: a serverless.yml's service, stage, region and functions.

What watchkeeper monitors is the deployed functions, named by the framework's rule
``<service>-<stage>-<function key>`` unless a function sets ``name:``. This module reads
the values that decide those names (through the resolver) and only those, merges
``functions:`` as the framework merges it (a mapping, or a list of mappings and
``${file(...)}`` entries), checks the names (valid Lambda names, no two alike) and notes
what it does not monitor: functions with an empty body, functions plugins add, a
``provider.region`` other than the monitoring's. ``monitoring_service_name`` maps the
Serverless service name into watchkeeper's ``service_name`` form.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.serverless.errors import ServerlessConfigError
from watchkeeper.serverless.resolver import Resolver, as_text
from watchkeeper.serverless.yaml_loader import compose, decode, kind_of, location, read_bytes

#: Longest service name watchkeeper accepts (``schema.SERVICE_NAME_RE``).
MAX_SERVICE_NAME_LENGTH = 40
_HASH_LENGTH = 6

_LAMBDA_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


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


def _int_or_none(resolver: Resolver, body: Any, key: str, where: str) -> int | None:
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


@dataclass
class _Definition:
    key: str
    key_node: yaml.Node
    bodies: list[Any]


def _function_definitions(
    resolver: Resolver, functions: Any, functions_node: yaml.Node | None
) -> Iterator[_Definition]:
    """Functions as the framework merges them: a mapping, or a list of mappings (and
    ``${file(...)}`` entries) merged in order, a key in two entries merged deeply."""
    if isinstance(functions, yaml.MappingNode):
        for key, key_node, body in resolver.entries(functions, "functions"):
            yield _Definition(key, key_node, [body])
        return
    if not isinstance(functions, yaml.SequenceNode):
        file, line = location(functions_node) if functions_node is not None else (
            str(resolver.path),
            None,
        )
        raise ServerlessConfigError(
            file, line, f"functions: is {kind_of(functions)}, expected a mapping or a list"
        )
    merged: dict[str, _Definition] = {}
    for index, item in enumerate(functions.value):
        value = resolver.value(item, f"functions.{index}")
        if value is None or value == "":
            continue  # the framework skips empty entries
        if not isinstance(value, yaml.MappingNode):
            file, line = location(item)
            raise ServerlessConfigError(
                file, line, f"functions entry {index} is {kind_of(value)}, expected a mapping"
            )
        for key, key_node, body in resolver.entries(value, "functions"):
            if key in merged:
                merged[key].bodies.append(body)
            else:
                merged[key] = _Definition(key, key_node, [body])
    yield from merged.values()


def _function_field(resolver: Resolver, bodies: list[Any], name: str, where: str) -> Any:
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
    text = decode(main, read_bytes(main))
    root = compose(main, text)
    if not isinstance(root, yaml.MappingNode):
        raise ServerlessConfigError(file, 1, "expected a mapping with service: and functions:")
    # Errors name the file as the caller gave it.
    root_name = root.start_mark.name
    resolver = Resolver(
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
        where_file, line = location(service_value)
        raise ServerlessConfigError(
            where_file, line, f"service: is {kind_of(service_value)}, not a name"
        )
    service = as_text(service_value)
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
        key_file, line = location(definition.key_node)
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
                body_file, body_line = location(node)
                raise ServerlessConfigError(
                    body_file,
                    body_line,
                    f"function '{key}' is {kind_of(body)}, expected a mapping (handler:, ...)",
                )
        name_value = _function_field(resolver, bodies, "name", where)
        if isinstance(name_value, yaml.Node):
            name_file, name_line = location(name_value)
            raise ServerlessConfigError(
                name_file, name_line, f"{where}.name is {kind_of(name_value)}, not a name"
            )
        if name_value in (None, "", False, 0):
            name = f"{service}-{resolved_stage}-{key}"
        else:
            name = as_text(name_value)
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


def _plugin_notes(resolver: Resolver) -> list[str]:
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
