"""The security findings of ``watchkeeper check``: Lambda function URLs anyone can call.

An ``AWS::Lambda::Url`` with ``AuthType: NONE`` lets anyone invoke its function without
signing the request. It is a problem, like any other the check finds, unless the app
acknowledged watchkeeper's synth warning on it (``watchkeeper:public-function-url``): the
``ServiceMonitoring`` that monitors the URL records that in its template metadata
(``findings``, by the URL's ``aws:cdk:path`` and logical id), which may be another
template than the URL's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from watchkeeper import schema
from watchkeeper.cli.assembly import Resource, Template
from watchkeeper.cli.check_problems import CheckerBase, stated_text

FUNCTION_URL_TYPE: Final = "AWS::Lambda::Url"
PUBLIC_URL_CHECK: Final = schema.PUBLIC_FUNCTION_URL_FINDING
_PATH_METADATA: Final = "aws:cdk:path"


def acknowledged_findings(templates: Iterable[Template]) -> tuple[set[str], set[str]]:
    """(construct paths, logical ids) of the public URLs whose warning the app
    acknowledged, from every watchkeeper service's ``findings`` metadata."""
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
    return paths, logical_ids


class FindingChecks(CheckerBase):
    """``public-function-url``: a function URL with AuthType NONE, not acknowledged."""

    acknowledged_paths: set[str] = set()
    acknowledged_logical_ids: set[str] = set()

    def acknowledge(self, templates: Iterable[Template]) -> None:
        self.acknowledged_paths, self.acknowledged_logical_ids = acknowledged_findings(
            templates)

    def check_function_url(self, url: Resource) -> None:
        template, properties = url.template, url.properties
        if stated_text(template, properties.get("AuthType")) != "NONE":
            return
        metadata = template.resources.get(url.logical_id, {}).get("Metadata")
        path = metadata.get(_PATH_METADATA) if isinstance(metadata, dict) else None
        if path is not None:
            if path in self.acknowledged_paths:
                return
        elif url.logical_id in self.acknowledged_logical_ids:
            return  # no path metadata: the logical id is all there is to match
        function = template.display(properties.get("TargetFunctionArn"))
        self.problem(
            url,
            PUBLIC_URL_CHECK,
            f"AuthType NONE: anyone can invoke {function} through this URL without signing; "
            "use AWS_IAM, or if it is public on purpose (a webhook that verifies its "
            "callers) acknowledge watchkeeper's synth warning "
            f"{schema.PUBLIC_FUNCTION_URL_WARNING} on it",
        )
