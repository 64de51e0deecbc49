"""Read a synthesized CDK cloud assembly (``cdk.out``) without importing aws-cdk-lib.

The one reader of the templates that ``cdk synth`` wrote, for every CLI command (``report``,
``check``, ``queries``, ``preview``...): ``manifest.json`` lists the stacks (and the nested
assemblies that CDK stages write into ``assembly-<Stage>/``); a stack's template may hold nested
stacks (``AWS::CloudFormation::Stack`` resources whose template file is named by their
``aws:asset:path`` metadata when the CDK CLI synthesized them, or, after a plain
``python app.py``, by the asset hash in their ``TemplateURL`` and the stack's asset manifest).
A problem with the input is an :class:`AssemblyError` with a one-line message.

Values in templates are often intrinsic functions. :class:`Intrinsics` is the one evaluator of
them for every command (:meth:`Template.resolve`, and :func:`display` for people): it turns the
simple ones into text: pseudo parameters become the stack's environment (or ``<region>``,
``<account>`` when the stack is environment-agnostic), ``Ref`` becomes the referenced
resource's literal name when the template states it (``LogGroupName``, ``AlarmName``...) and
``<LogicalId>`` otherwise, ``Fn::GetAtt`` of an alarm's ``Arn`` becomes the alarm ARN, and
``Fn::Join``, ``Fn::Sub`` and ``Fn::Select`` are evaluated, ``Fn::ImportValue`` becomes
``<import Name>``. Anything else becomes a visible ``<Fn::Name>`` placeholder, never an
exception: a preview should show what it can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
ASSET_PATH_METADATA = "aws:asset:path"
#: where ``cdk synth`` writes the cloud assembly unless told otherwise
DEFAULT_DIRECTORY = "cdk.out"
#: nested stacks deeper than this are a cycle or a mistake
MAX_NESTING = 20
#: values nested deeper than this are not evaluated (CloudFormation's own templates stay far
#: below it); they show as TOO_DEEP
MAX_INTRINSIC_DEPTH = 100
TOO_DEEP = "<...>"

#: placeholders for pseudo parameters a template does not know until deploy time
UNKNOWN_REGION = "<region>"
UNKNOWN_ACCOUNT = "<account>"

#: resource types whose ``Ref`` returns the value of one of their own properties; when the
#: template states that property literally, ``Ref`` resolves to it
_REF_NAME_PROPERTY = {
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::CompositeAlarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
}
_ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ENVIRONMENT = re.compile(r"^aws://(?P<account>[^/]+)/(?P<region>.+)$")
_ASSET_HASH = re.compile(r"([0-9a-f]{64})\.json")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AssemblyError(Exception):
    """The input is not a readable cloud assembly; the message is one line naming the file."""


@dataclass(frozen=True)
class Resource:
    """One resource of a template, with the template it came from."""

    template: Template
    logical_id: str
    type: str
    properties: dict[str, Any]

    @property
    def location(self) -> str:
        """``Stack/LogicalId`` (``Stack/Nested/LogicalId`` in nested stacks), for messages."""
        return f"{self.template.display_name}/{self.logical_id}"


@dataclass
class Template:
    """A CloudFormation template of a stack or nested stack, with its environment."""

    stack_name: str
    #: ``Stage/Stack`` as ``cdk ls`` shows it; ``Stack/NestedLogicalId`` for nested stacks
    display_name: str
    path: Path
    body: dict[str, Any]
    account: str | None = None
    region: str | None = None
    parent: Template | None = None
    nested: list[Template] = field(default_factory=list)
    #: the manifest's id of the stack artifact (a nested stack: its root stack's)
    artifact_id: str = ""
    #: the manifest's ``aws://account/region`` string, None when it states none
    environment: str | None = None
    #: the assembly directory holding the template, relative to the top one (``.`` or
    #: ``assembly-Prod``)
    assembly_path: str = "."
    #: the template's file name, as the manifest or the asset metadata names it
    template_file: str = ""
    #: a nested stack's logical id in its parent; None for a stack
    logical_id: str | None = None
    #: logical ids of nested stacks whose template the assembly does not hold
    unreadable_nested: list[str] = field(default_factory=list)

    @property
    def root(self) -> Template:
        """The stack this template belongs to (itself, unless it is a nested stack's)."""
        return self if self.parent is None else self.parent.root

    def walk(self) -> Iterator[Template]:
        """This template, then its nested stacks' (depth first)."""
        yield self
        for child in self.nested:
            yield from child.walk()

    @property
    def resources(self) -> dict[str, Any]:
        resources = self.body.get("Resources")
        return resources if isinstance(resources, dict) else {}

    def resources_of_type(self, resource_type: str) -> Iterator[Resource]:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") == resource_type:
                properties = resource.get("Properties")
                yield Resource(
                    self,
                    logical_id,
                    resource_type,
                    properties if isinstance(properties, dict) else {},
                )

    # -- intrinsic functions -----------------------------------------------------------

    def pseudo_parameter(self, name: str) -> str | None:
        """Value of a pseudo parameter (``AWS::Region``...), a placeholder, or None if unknown."""
        values = {
            "AWS::Region": self.region or UNKNOWN_REGION,
            "AWS::AccountId": self.account or UNKNOWN_ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"<{self.stack_name}.StackId>",
            "AWS::NoValue": "",
        }
        return values.get(name)

    def resolve(self, value: Any, escape: Callable[[str], str] | None = None) -> Any:
        """Evaluate the simple intrinsic functions in ``value`` (see the module docstring).

        ``escape`` is applied to every string an intrinsic produces before it is spliced into
        a literal, e.g. JSON string escaping when the literal is a dashboard body.
        """
        return Intrinsics(self, escape).resolve(value)

    def resolve_text(self, value: Any) -> str:
        """Resolve ``value`` and return it as text (non-strings as JSON)."""
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, str) else json.dumps(resolved)

    def display(self, value: Any) -> str:
        """``value`` resolved in this template, as one line for people (see :func:`display`)."""
        return display(value, self)


class Intrinsics:
    """The one evaluator of CloudFormation intrinsic functions (see the module docstring).

    ``template`` gives ``Ref`` and ``Fn::GetAtt`` their values (pseudo parameters, resources'
    literal names, alarm ARNs); without one, every reference stays a placeholder (``<Name>``,
    ``<AWS::Region>``, ``<Logical.Attribute>``).
    """

    def __init__(
        self, template: Template | None = None, escape: Callable[[str], str] | None = None
    ) -> None:
        self.template = template
        self.escape: Callable[[str], str] = escape or (lambda text: text)

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, list):
            return [self.resolve(item, depth) for item in value]
        if not isinstance(value, dict):
            return value
        if depth > MAX_INTRINSIC_DEPTH:
            return self.escape(TOO_DEEP)
        if len(value) != 1:
            return {key: self.resolve(item, depth + 1) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self.escape(self._ref(str(argument)))
        if function == "Fn::GetAtt":
            return self.escape(self._get_att(argument))
        if function == "Fn::Join":
            return self._join(argument, depth)
        if function == "Fn::Sub":
            return self._sub(argument, depth)
        if function == "Fn::Select":
            return self._select(argument, depth)
        if function == "Fn::ImportValue" and isinstance(argument, str):
            return self.escape(f"<import {argument}>")
        if function.startswith("Fn::") or function == "Condition":
            return self.escape(f"<{function}>")
        return {function: self.resolve(argument, depth + 1)}

    def _ref(self, name: str) -> str:
        template = self.template
        if template is None:
            return f"<{name}>"
        if name.startswith("AWS::"):
            pseudo = template.pseudo_parameter(name)
            return pseudo if pseudo is not None else f"<{name}>"
        resource = template.resources.get(name)
        if isinstance(resource, dict):
            name_property = _REF_NAME_PROPERTY.get(str(resource.get("Type")))
            literal = (
                (resource.get("Properties") or {}).get(name_property) if name_property else None
            )
            if isinstance(literal, str):
                return literal
        return f"<{name}>"

    def _get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            return "<Fn::GetAtt>"
        logical_id, attribute = (str(part) for part in argument)
        template = self.template
        resource = template.resources.get(logical_id) if template is not None else None
        if (
            template is not None
            and attribute == "Arn"
            and isinstance(resource, dict)
            and resource.get("Type") in _ALARM_TYPES
        ):
            alarm_name = (resource.get("Properties") or {}).get("AlarmName")
            if not isinstance(alarm_name, str):
                # CloudFormation generates the name; the logical id is what a reviewer can find
                alarm_name = f"<{logical_id}>"
            return (
                f"arn:aws:cloudwatch:{template.pseudo_parameter('AWS::Region')}:"
                f"{template.pseudo_parameter('AWS::AccountId')}:alarm:{alarm_name}"
            )
        return f"<{logical_id}.{attribute}>"

    def _join(self, argument: Any, depth: int) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            return self.escape("<Fn::Join>")
        delimiter, parts = argument
        resolved = self.resolve(parts, depth + 1)
        if not isinstance(resolved, list):
            return self.escape("<Fn::Join>")
        return str(delimiter).join(_as_text(part) for part in resolved)

    def _sub(self, argument: Any, depth: int) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            return self.escape("<Fn::Sub>")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the escape for a literal "${Literal}"
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(self.resolve(variables[name], depth + 1))
            if "." in name and not name.startswith("AWS::"):
                return self.escape(self._get_att(name.split(".", 1)))
            return self.escape(self._ref(name))

        return _SUB_VARIABLE.sub(substitute, argument)

    def _select(self, argument: Any, depth: int) -> Any:
        if isinstance(argument, list) and len(argument) == 2:
            index = Intrinsics(self.template).resolve(argument[0], depth + 1)
            items = self.resolve(argument[1], depth + 1)
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
        return self.escape("<Fn::Select>")


def display(value: Any, template: Template | None = None) -> str:
    """A template value as one line for people (names, metrics, thresholds in a report).

    Intrinsics are evaluated by :class:`Intrinsics` (in ``template`` when given); literals
    show as they are (numbers without a trailing ``.0``, lists comma-separated, an absent
    value as nothing, an object as ``<object>``). Never raises: a name must never crash a
    report.
    """
    try:
        return one_line(_display(Intrinsics(template).resolve(value)))
    except Exception:  # noqa: BLE001 - input is arbitrary JSON
        return "<unrenderable>"


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_display(item) for item in value)
    return "<object>"


def json_string_escape(text: str) -> str:
    """``escape`` for :meth:`Template.resolve` when the literal around it is JSON text (a
    dashboard body): resolved values land inside JSON string literals."""
    return json.dumps(text)[1:-1]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class CloudAssembly:
    """The stacks of a cloud assembly directory, nested assemblies and nested stacks included."""

    directory: Path
    templates: list[Template]

    def all_templates(self) -> Iterator[Template]:
        """Every template, each stack followed by its nested stacks (depth first)."""
        for template in self.templates:
            yield from template.walk()

    def resources_of_type(self, resource_type: str) -> Iterator[Resource]:
        for template in self.all_templates():
            yield from template.resources_of_type(resource_type)


def load_assembly(directory: str | Path) -> CloudAssembly:
    """Read the cloud assembly in ``directory`` (the ``cdk.out`` that ``cdk synth`` writes).

    ``directory`` may also name its ``manifest.json``. The app's own stacks come first, then
    each stage's (as ``cdk ls`` lists them). Raises :class:`AssemblyError`, with a one-line
    message naming the file and what is wrong, when the input is not a readable assembly.
    """
    root = Path(directory)
    if root.is_file() and root.name == MANIFEST_FILE:
        root = root.parent
    if not root.exists():
        raise AssemblyError(f"{directory}: no such directory (run `cdk synth` first?)")
    if not root.is_dir():
        raise AssemblyError(
            f"{directory}: not a directory; expected a cloud assembly such as {DEFAULT_DIRECTORY}"
        )
    templates: list[Template] = []
    try:
        _read_assembly(root, Path("."), templates, seen=set())
    except AssemblyError as exc:
        # names and logical ids come from the input: keep the message on one line
        raise AssemblyError(one_line(str(exc))) from None
    return CloudAssembly(root, templates)


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so it cannot break a line or a table."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`AssemblyError` saying ``what`` it is otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssemblyError(
            f"{what}: {path} is listed in the cloud assembly but does not exist"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise AssemblyError(f"{what}: cannot read {path}: {reason}") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else "nested too deeply"
        )
        raise AssemblyError(f"{what}: {path} is not valid JSON ({detail})") from None
    if not isinstance(data, dict):
        raise AssemblyError(f"{what}: {path} does not hold a JSON object")
    return data


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AssemblyError(f"{where}: expected an object, found {type(value).__name__}")
    return value


def _read_assembly(
    directory: Path, relative: Path, templates: list[Template], seen: set[Path]
) -> None:
    resolved = directory.resolve()
    if resolved in seen:
        raise AssemblyError(f"{directory}: the cloud assembly includes itself")
    seen.add(resolved)
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise AssemblyError(
            f"{directory}: not a cloud assembly (no {MANIFEST_FILE}); run `cdk synth` first, "
            f"or pass the directory it writes (by default {DEFAULT_DIRECTORY})"
        )
    manifest = read_json_object(manifest_path, "cloud assembly manifest")
    artifacts = manifest.get("artifacts", {})
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path}: 'artifacts' is not an object")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict) or not isinstance(artifact.get("type"), str):
            raise AssemblyError(f"{manifest_path}: artifact {artifact_id} has no type")
    assets = _AssetManifests(directory, manifest_path, artifacts)
    stages: list[tuple[str, dict[str, Any]]] = []
    # Other artifact types (asset manifests, the construct tree, feature-flag reports, and
    # whatever later CDK releases add) hold no templates.
    for artifact_id, artifact in artifacts.items():
        properties = _object(artifact.get("properties", {}), f"{manifest_path}: {artifact_id}")
        if artifact["type"] == STACK_ARTIFACT:
            templates.append(_read_stack(directory, relative, artifact_id, artifact, properties))
            _read_nested_stacks(templates[-1], assets, depth=0)
        elif artifact["type"] == NESTED_ASSEMBLY_ARTIFACT:
            stages.append((artifact_id, properties))
    for artifact_id, properties in stages:
        sub = properties.get("directoryName")
        if not isinstance(sub, str):
            raise AssemblyError(
                f"{manifest_path}: nested assembly {artifact_id} has no directoryName"
            )
        if not (directory / sub).is_dir():
            raise AssemblyError(
                f"{manifest_path}: nested assembly {artifact_id}: directory {sub} is missing"
            )
        _read_assembly(directory / sub, relative / sub, templates, seen)


def _read_stack(
    directory: Path,
    relative: Path,
    artifact_id: str,
    artifact: dict[str, Any],
    properties: dict[str, Any],
) -> Template:
    template_file = properties.get("templateFile")
    if not isinstance(template_file, str):
        raise AssemblyError(f"stack {artifact_id}: the manifest names no templateFile")
    display_name = artifact.get("displayName")
    display_name = display_name if isinstance(display_name, str) else artifact_id
    stack_name = properties.get("stackName")
    environment = artifact.get("environment")
    account, region = _environment(environment)
    template = Template(
        stack_name=stack_name if isinstance(stack_name, str) else artifact_id,
        display_name=one_line(display_name),
        path=directory / template_file,
        body=read_json_object(directory / template_file, f"template of stack {display_name}"),
        account=account,
        region=region,
        artifact_id=artifact_id,
        environment=environment if isinstance(environment, str) else None,
        assembly_path=relative.as_posix(),
        template_file=template_file,
    )
    _check_structure(template)
    return template


def _check_structure(template: Template) -> None:
    # CloudFormation rejects these templates; every reader may then rely on the shape
    where = f"stack {template.root.display_name} ({template.template_file})"
    resources = template.body.get("Resources", {})
    if not isinstance(resources, dict):
        raise AssemblyError(f"{where}: Resources is not an object")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise AssemblyError(f"{where}: resource {logical_id} has no Type")
        if not isinstance(resource.get("Properties", {}), dict):
            raise AssemblyError(f"{where}: resource {logical_id}: Properties is not an object")


def _environment(environment: Any) -> tuple[str | None, str | None]:
    match = _ENVIRONMENT.match(environment) if isinstance(environment, str) else None
    if not match:
        return None, None
    account, region = match.group("account"), match.group("region")
    return (
        None if account.startswith("unknown-") else account,
        None if region.startswith("unknown-") else region,
    )


class _AssetManifests:
    """Asset hash -> file in the assembly, from the asset manifests (read when first needed)."""

    def __init__(self, directory: Path, manifest_path: Path, artifacts: dict[str, Any]) -> None:
        self.directory = directory
        self.manifest_path = manifest_path
        self.artifacts = artifacts
        self._paths: dict[str, str] | None = None

    def path_of(self, asset_hash: str) -> str | None:
        if self._paths is None:
            self._paths = {}
            for artifact_id, artifact in self.artifacts.items():
                if artifact["type"] != ASSET_MANIFEST_ARTIFACT:
                    continue
                properties = _object(artifact.get("properties"), f"artifact {artifact_id}")
                file_name = properties.get("file")
                if not isinstance(file_name, str):
                    continue
                assets = read_json_object(self.directory / file_name, f"asset manifest {file_name}")
                for key, asset in _object(assets.get("files", {}), file_name).items():
                    source = asset.get("source", {}) if isinstance(asset, dict) else {}
                    if isinstance(source, dict) and isinstance(source.get("path"), str):
                        self._paths[key] = source["path"]
        return self._paths.get(asset_hash)


def _read_nested_stacks(template: Template, assets: _AssetManifests, depth: int) -> None:
    for logical_id, resource in template.resources.items():
        if resource["Type"] != NESTED_STACK_TYPE:
            continue
        if depth >= MAX_NESTING:
            raise AssemblyError(
                f"stack {template.root.display_name}: nested stacks deeper than {MAX_NESTING} "
                f"levels at {logical_id}"
            )
        template_file = _nested_template_file(resource, assets)
        if template_file is None:
            template.unreadable_nested.append(logical_id)
            continue
        path = assets.directory / template_file
        what = f"template of nested stack {logical_id} in {template.root.display_name}"
        child = Template(
            stack_name=f"{template.stack_name}-{logical_id}",
            display_name=f"{template.display_name}/{one_line(logical_id)}",
            path=path,
            body=read_json_object(path, what),
            account=template.account,
            region=template.region,
            parent=template,
            artifact_id=template.artifact_id,
            environment=template.environment,
            assembly_path=template.assembly_path,
            template_file=template_file,
            logical_id=logical_id,
        )
        _check_structure(child)
        template.nested.append(child)
        _read_nested_stacks(child, assets, depth + 1)


def _nested_template_file(resource: dict[str, Any], assets: _AssetManifests) -> str | None:
    # The CDK CLI records the template's file as asset metadata; without it (a plain
    # `python app.py`), the TemplateURL names the asset hash of an asset manifest entry.
    metadata = resource.get("Metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get(ASSET_PATH_METADATA), str):
        return metadata[ASSET_PATH_METADATA]
    url = resource.get("Properties", {}).get("TemplateURL")
    for asset_hash in _ASSET_HASH.findall(json.dumps(url)):
        path = assets.path_of(asset_hash)
        if path is not None:
            return path
    return None  # a stack deployed from a URL we cannot read offline
