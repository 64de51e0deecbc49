"""The security findings of a cloud assembly: Lambda function URLs anyone can call.

An ``AWS::Lambda::Url`` with ``AuthType: NONE`` lets anyone invoke its function without
signing the request. ``watchkeeper check`` reports it as a problem, like any other it finds,
unless the app acknowledged watchkeeper's synth warning on it
(``watchkeeper:public-function-url``); ``watchkeeper report`` lists every one, acknowledged
or not. Both read them through :func:`public_url_finding`. The ``ServiceMonitoring`` that
monitors the URL records the acknowledgement in its template metadata (``findings``, by the
URL's ``aws:cdk:path`` and logical id), which may be another template than the URL's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from watchkeeper import schema
from watchkeeper.cli.assembly import Resource, Template
from watchkeeper.cli.check_problems import CheckerBase, stated_text

FUNCTION_URL_TYPE: Final = "AWS::Lambda::Url"
FUNCTION_TYPE: Final = "AWS::Lambda::Function"
PUBLIC_URL_CHECK: Final = schema.PUBLIC_FUNCTION_URL_FINDING
_PATH_METADATA: Final = "aws:cdk:path"


@dataclass(frozen=True)
class Acknowledgements:
    """The public URLs whose warning the app acknowledged, from every watchkeeper
    service's ``findings`` metadata: by construct path, and by logical id."""

    paths: frozenset[str] = field(default_factory=frozenset)
    logical_ids: frozenset[str] = field(default_factory=frozenset)

    def cover(self, path: str | None, logical_id: str) -> bool:
        if path is not None:
            return path in self.paths
        return logical_id in self.logical_ids  # no path metadata: the id is all there is


def acknowledged_findings(templates: Iterable[Template]) -> Acknowledgements:
    """What the app acknowledged, read from every template's watchkeeper services."""
    paths: set[str] = set()
    logical_ids: set[str] = set()
    for template in templates:
        for service in schema.TemplateMetadata.services_of(template.body).services:
            findings = service.get(schema.TemplateMetadata.FINDINGS)
            for finding in findings if isinstance(findings, list) else ():
                if not (isinstance(finding, dict) and finding.get("acknowledged") is True
                        and finding.get("check") == PUBLIC_URL_CHECK):
                    continue
                if isinstance(finding.get("path"), str):
                    paths.add(finding["path"])
                if isinstance(finding.get("logical_id"), str):
                    logical_ids.add(finding["logical_id"])
    return Acknowledgements(frozenset(paths), frozenset(logical_ids))


@dataclass(frozen=True)
class PublicUrlFinding:
    """A function URL with ``AuthType: NONE``."""

    url: Resource
    #: the URL's construct path (``aws:cdk:path``); None when the template has none
    path: str | None
    #: the function: its name in the template, else its construct path, else the target
    #: as the template states it
    function: str
    acknowledged: bool
    #: the finding's name, as ``watchkeeper check`` reports it
    check: ClassVar[str] = PUBLIC_URL_CHECK

    @property
    def message(self) -> str:
        return (
            f"AuthType NONE: anyone can invoke {self.function} through this URL without "
            "signing; use AWS_IAM, or if it is public on purpose (a webhook that verifies its "
            "callers) acknowledge watchkeeper's synth warning "
            f"{schema.PUBLIC_FUNCTION_URL_WARNING} on it"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "stack": self.url.template.display_name,
            "logical_id": self.url.logical_id,
            "path": self.path,
            "function": self.function,
            "acknowledged": self.acknowledged,
            "message": self.message,
        }


def public_url_finding(url: Resource, acknowledged: Acknowledgements) -> PublicUrlFinding | None:
    """The finding of an ``AWS::Lambda::Url`` whose template states ``AuthType: NONE``;
    None for any other (an auth type left to deploy time is not judged)."""
    template, properties = url.template, url.properties
    if stated_text(template, properties.get("AuthType")) != "NONE":
        return None
    path = _construct_path(template.resources.get(url.logical_id))
    function = _function_label(template, properties.get("TargetFunctionArn"))
    return PublicUrlFinding(url, path, function, acknowledged.cover(path, url.logical_id))


def _function_label(template: Template, target: Any) -> str:
    """The URL's function for people: the name the template gives the function, else its
    construct path, else the target as the template states it (an ARN, ``<Fn.Arn>``)."""
    logical_id: Any = None
    if isinstance(target, dict) and len(target) == 1:
        ((function, argument),) = target.items()
        if function == "Fn::GetAtt" and isinstance(argument, list) and argument:
            logical_id = argument[0]
        elif function == "Ref":
            logical_id = argument
    resource = template.resources.get(logical_id) if isinstance(logical_id, str) else None
    if isinstance(resource, dict) and resource.get("Type") == FUNCTION_TYPE:
        properties = resource.get("Properties")
        name = properties.get("FunctionName") if isinstance(properties, dict) else None
        if isinstance(name, str):
            return name
        path = _construct_path(resource)
        if path is not None:
            return path.removesuffix("/Resource")
    return template.display(target)


def _construct_path(resource: Any) -> str | None:
    """A template resource's ``aws:cdk:path``; None without path metadata."""
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    path = metadata.get(_PATH_METADATA) if isinstance(metadata, dict) else None
    return path if isinstance(path, str) else None


def public_url_findings(templates: Iterable[Template]) -> list[PublicUrlFinding]:
    """Every public function URL of ``templates``, in template and resource order."""
    templates = list(templates)
    acknowledged = acknowledged_findings(templates)
    found = (public_url_finding(url, acknowledged) for template in templates
             for url in template.resources_of_type(FUNCTION_URL_TYPE))
    return [finding for finding in found if finding is not None]


class FindingChecks(CheckerBase):
    """``public-function-url``: a function URL with AuthType NONE, not acknowledged."""

    acknowledgements: Acknowledgements = Acknowledgements()

    def acknowledge(self, templates: Iterable[Template]) -> None:
        self.acknowledgements = acknowledged_findings(templates)

    def check_function_url(self, url: Resource) -> None:
        finding = public_url_finding(url, self.acknowledgements)
        if finding is not None and not finding.acknowledged:
            self.problem(url, PUBLIC_URL_CHECK, finding.message)
