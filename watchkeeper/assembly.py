"""Read a synthesized CDK cloud assembly (``cdk.out``) without importing aws-cdk-lib.

The CLI's ``queries`` and ``preview`` commands need the templates that ``cdk synth`` wrote:
``manifest.json`` lists the stacks (and the nested assemblies that CDK stages write into
``assembly-<Stage>/``); a stack's template may hold nested stacks (``AWS::CloudFormation::Stack``
resources whose ``aws:asset:path`` metadata names the nested template file).

Values in templates are often intrinsic functions. :meth:`Template.resolve` turns the simple
ones into text: pseudo parameters become the stack's environment (or ``<region>``,
``<account>`` when the stack is environment-agnostic), ``Ref`` becomes the referenced
resource's literal name when the template states it (``LogGroupName``, ``AlarmName``...) and
``<LogicalId>`` otherwise, ``Fn::GetAtt`` of an alarm's ``Arn`` becomes the alarm ARN, and
``Fn::Join``, ``Fn::Sub`` and ``Fn::Select`` are evaluated. Anything else becomes a visible
``<Fn::Name>`` placeholder, never an exception: a preview should show what it can.
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
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
ASSET_PATH_METADATA = "aws:asset:path"

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


class AssemblyError(Exception):
    """The directory is not a readable cloud assembly (missing or malformed file)."""


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
    display_name: str
    path: Path
    body: dict[str, Any]
    account: str | None = None
    region: str | None = None
    parent: Template | None = None
    nested: list[Template] = field(default_factory=list)

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
        escape = escape or (lambda text: text)
        if isinstance(value, list):
            return [self.resolve(item, escape) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item, escape) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return escape(self._ref(str(argument)))
        if function == "Fn::GetAtt":
            return escape(self._get_att(argument))
        if function == "Fn::Join":
            return self._join(argument, escape)
        if function == "Fn::Sub":
            return self._sub(argument, escape)
        if function == "Fn::Select":
            return self._select(argument, escape)
        if function.startswith("Fn::") or function == "Condition":
            return escape(f"<{function}>")
        return {function: self.resolve(argument, escape)}

    def resolve_text(self, value: Any) -> str:
        """Resolve ``value`` and return it as text (non-strings as JSON)."""
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, str) else json.dumps(resolved)

    def _ref(self, name: str) -> str:
        if name.startswith("AWS::"):
            pseudo = self.pseudo_parameter(name)
            return pseudo if pseudo is not None else f"<{name}>"
        resource = self.resources.get(name)
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
        resource = self.resources.get(logical_id)
        if (
            attribute == "Arn"
            and isinstance(resource, dict)
            and resource.get("Type") in _ALARM_TYPES
        ):
            alarm_name = (resource.get("Properties") or {}).get("AlarmName")
            if not isinstance(alarm_name, str):
                # CloudFormation generates the name; the logical id is what a reviewer can find
                alarm_name = f"<{logical_id}>"
            return (
                f"arn:aws:cloudwatch:{self.pseudo_parameter('AWS::Region')}:"
                f"{self.pseudo_parameter('AWS::AccountId')}:alarm:{alarm_name}"
            )
        return f"<{logical_id}.{attribute}>"

    def _join(self, argument: Any, escape: Callable[[str], str]) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            return escape("<Fn::Join>")
        delimiter, parts = argument
        resolved = self.resolve(parts, escape)
        if not isinstance(resolved, list):
            return escape("<Fn::Join>")
        return str(delimiter).join(_as_text(part) for part in resolved)

    def _sub(self, argument: Any, escape: Callable[[str], str]) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            return escape("<Fn::Sub>")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the escape for a literal "${Literal}"
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(self.resolve(variables[name], escape))
            if "." in name and not name.startswith("AWS::"):
                return escape(self._get_att(name.split(".", 1)))
            return escape(self._ref(name))

        return _SUB_VARIABLE.sub(substitute, argument)

    def _select(self, argument: Any, escape: Callable[[str], str]) -> Any:
        if isinstance(argument, list) and len(argument) == 2:
            index, items = self.resolve(argument[0]), self.resolve(argument[1], escape)
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
        return escape("<Fn::Select>")


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class CloudAssembly:
    """The stacks of a cloud assembly directory, nested assemblies and nested stacks included."""

    directory: Path
    templates: list[Template]

    def all_templates(self) -> Iterator[Template]:
        """Every template, each stack followed by its nested stacks (depth first)."""

        def walk(template: Template) -> Iterator[Template]:
            yield template
            for child in template.nested:
                yield from walk(child)

        for template in self.templates:
            yield from walk(template)

    def resources_of_type(self, resource_type: str) -> Iterator[Resource]:
        for template in self.all_templates():
            yield from template.resources_of_type(resource_type)


def load_assembly(directory: str | Path) -> CloudAssembly:
    """Read the cloud assembly in ``directory`` (the ``cdk.out`` that ``cdk synth`` writes).

    Raises :class:`AssemblyError` naming the file when the directory has no manifest or a
    file is not valid JSON.
    """
    root = Path(directory)
    if not (root / MANIFEST_FILE).is_file():
        raise AssemblyError(
            f"{root} is not a cloud assembly: it has no {MANIFEST_FILE} (run `cdk synth` first, "
            "or pass the directory that `cdk synth` wrote)"
        )
    return CloudAssembly(root, list(_read_stacks(root, seen=set())))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{path} is listed in the cloud assembly but does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssemblyError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AssemblyError(f"{path} is not a JSON object")
    return data


def _read_stacks(directory: Path, seen: set[Path]) -> Iterator[Template]:
    # a nested assembly listed twice (or a cycle) must not be read twice
    resolved = directory.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    manifest = _read_json(directory / MANIFEST_FILE)
    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, dict):
        return
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties") or {}
        if artifact.get("type") == NESTED_ASSEMBLY_ARTIFACT and properties.get("directoryName"):
            yield from _read_stacks(directory / str(properties["directoryName"]), seen)
        elif artifact.get("type") == STACK_ARTIFACT and properties.get("templateFile"):
            account, region = _environment(artifact.get("environment"))
            stack_name = str(properties.get("stackName") or artifact_id)
            template = Template(
                stack_name=stack_name,
                display_name=str(artifact.get("displayName") or stack_name),
                path=directory / str(properties["templateFile"]),
                body=_read_json(directory / str(properties["templateFile"])),
                account=account,
                region=region,
            )
            _read_nested_stacks(template, directory)
            yield template


def _environment(environment: Any) -> tuple[str | None, str | None]:
    match = _ENVIRONMENT.match(environment) if isinstance(environment, str) else None
    if not match:
        return None, None
    account, region = match.group("account"), match.group("region")
    return (
        None if account.startswith("unknown-") else account,
        None if region.startswith("unknown-") else region,
    )


def _read_nested_stacks(template: Template, directory: Path) -> None:
    for logical_id, resource in template.resources.items():
        if not (isinstance(resource, dict) and resource.get("Type") == NESTED_STACK_TYPE):
            continue
        asset_path = (resource.get("Metadata") or {}).get(ASSET_PATH_METADATA)
        if not isinstance(asset_path, str) or not (directory / asset_path).is_file():
            continue  # a stack deployed from a URL we cannot read offline
        child = Template(
            stack_name=f"{template.stack_name}-{logical_id}",
            display_name=f"{template.display_name}/{logical_id}",
            path=directory / asset_path,
            body=_read_json(directory / asset_path),
            account=template.account,
            region=template.region,
            parent=template,
        )
        template.nested.append(child)
        _read_nested_stacks(child, directory)
