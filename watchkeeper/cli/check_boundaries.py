"""The permissions-boundary warning of ``watchkeeper check``.

watchkeeper keeps a function in its ``/aws/lambda/<name>`` group when its role has a
permissions boundary that synth shows (``Role(permissions_boundary=...)``, the stage's
``@aws-cdk/core:permissionsBoundary``). A boundary put on with
``PermissionsBoundary.of(scope).apply()`` is an aspect's property override that no public
CDK API reads, so it shows only in the template: there this check finds a function that
logs to a group watchkeeper created while its role has a boundary. The boundary's policy
is not in the template, so this is a warning (Lambda drops the log lines the boundary
denies), not a problem.
"""

from __future__ import annotations

import json
from typing import Any, Final

from watchkeeper.cli.assembly import Template
from watchkeeper.cli.check_findings import FUNCTION_TYPE
from watchkeeper.cli.check_problems import Problem
from watchkeeper.schema import TemplateMetadata

_ROLE_TYPE: Final = "AWS::IAM::Role"


def check_permissions_boundaries(templates: list[Template]) -> list[Problem]:
    """Warnings for functions that log to a group watchkeeper created and whose role (in
    the same template) has a ``PermissionsBoundary``."""
    warnings = []
    for template in templates:
        created = _created(template)
        if not created:
            continue
        resources = template.resources
        for resource in template.resources_of_type(FUNCTION_TYPE):
            logging = resource.properties.get("LoggingConfig")
            group = _ref(logging.get("LogGroup")) if isinstance(logging, dict) else None
            if group not in created:
                continue
            role_id = _role_of(resource.properties.get("Role"))
            role = resources.get(role_id) if role_id else None
            if not isinstance(role, dict) or role.get("Type") != _ROLE_TYPE:
                continue
            boundary = (role.get("Properties") or {}).get("PermissionsBoundary")
            if boundary is None:
                continue
            warnings.append(
                Problem(
                    template.display_name,
                    resource.logical_id,
                    resource.type,
                    "permissions-boundary",
                    f"logs to {group}, a group watchkeeper created, and its role {role_id} has "
                    f"a permissions boundary ({_stated(boundary)}): Lambda drops the log lines "
                    "the boundary does not allow. Make sure it allows logs:CreateLogStream and "
                    f"logs:PutLogEvents on {group}, or keep the function in its own group "
                    "(README: 'Log groups')",
                )
            )
    return warnings


def _created(template: Template) -> set[str]:
    """The logical ids that the template's services record as created by watchkeeper."""
    services, _ = TemplateMetadata.services_of(template.body)
    created: set[str] = set()
    for service in services:
        ids = service.get(TemplateMetadata.CREATED)
        if isinstance(ids, list):
            created.update(i for i in ids if isinstance(i, str))
    return created


def _ref(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    return None


def _role_of(value: Any) -> str | None:
    """The logical id of a role given as ``Fn::GetAtt: [Role, Arn]``, else None."""
    attribute = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if isinstance(attribute, list) and len(attribute) == 2 and isinstance(attribute[0], str):
        return attribute[0]
    return None


def _stated(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
