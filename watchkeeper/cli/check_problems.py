"""What ``watchkeeper check`` finds and reads: problems, results, and template values.

The exit codes and the CloudFormation types the checks know; :class:`Problem` (one line of
the output) and :class:`CheckResult`; the helpers that read what a template states (literal
values, intrinsics that resolve without deploy-time placeholders, ``Ref`` to a parameter's
default); and :class:`CheckerBase`, which collects problems for the checks of
:mod:`watchkeeper.cli.check_alarms`, :mod:`watchkeeper.cli.check_dashboards` and
:mod:`watchkeeper.cli.check_logs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from watchkeeper.cli.assembly import Resource, Template, one_line

#: exit codes: problems found; the input is not a cloud assembly
PROBLEMS_EXIT_CODE: Final = 1
BAD_INPUT_EXIT_CODE: Final = 2

#: ``type`` of problems about a whole template rather than one resource
TEMPLATE_TYPE: Final = "template"

ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
COMPOSITE_ALARM_TYPE: Final = "AWS::CloudWatch::CompositeAlarm"
DASHBOARD_TYPE: Final = "AWS::CloudWatch::Dashboard"
LOG_GROUP_TYPE: Final = "AWS::Logs::LogGroup"
METRIC_FILTER_TYPE: Final = "AWS::Logs::MetricFilter"
SUBSCRIPTION_FILTER_TYPE: Final = "AWS::Logs::SubscriptionFilter"
QUERY_DEFINITION_TYPE: Final = "AWS::Logs::QueryDefinition"
REST_STAGE_TYPE: Final = "AWS::ApiGateway::Stage"
REST_DEPLOYMENT_TYPE: Final = "AWS::ApiGateway::Deployment"
API_GATEWAY_ACCOUNT_TYPE: Final = "AWS::ApiGateway::Account"


@dataclass(frozen=True)
class Problem:
    """One thing the deploy would refuse or mishandle."""

    #: the template's display name (``Stage/Stack``, ``Stack/NestedStack``)
    stack: str
    #: the resource's logical id; None for a problem of the whole template
    logical_id: str | None
    #: the resource's CloudFormation type, or ``template``
    type: str
    #: which check found it (stable, for filtering in CI)
    check: str
    message: str

    def line(self) -> str:
        where = self.stack if self.logical_id is None else f"{self.stack}/{self.logical_id}"
        return one_line(f"{where} ({self.type}): {self.message}")


@dataclass
class CheckResult:
    """The problems found in a cloud assembly, its warnings and what was checked."""

    problems: list[Problem]
    checked: dict[str, int]
    #: what deploys in some accounts only (same form as problems; exit code unaffected)
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [asdict(p) for p in self.problems],
            "warnings": [asdict(w) for w in self.warnings],
            "checked": dict(self.checked),
        }


def stated_text(template: Template, value: Any) -> str | None:
    """``value`` as the template states it: a string, or intrinsics that resolve without
    deploy-time placeholders (``<...>``); None otherwise."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    resolved = template.resolve(value)
    if isinstance(resolved, str) and "<" not in resolved:
        return resolved
    return None


def stated_number(template: Template, value: Any) -> int | None:
    """A whole number the template states: a literal, a numeric string or a ``Ref`` to a
    parameter's default; None when it is left to deploy time."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = (template.body.get("Parameters") or {}).get(value["Ref"])
        value = parameter.get("Default") if isinstance(parameter, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def log_group_key(template: Template, value: Any) -> str:
    # filters on the same log group name the same group, by literal name or by Ref
    resolved = template.resolve(value)
    return resolved if isinstance(resolved, str) else json.dumps(resolved, sort_keys=True)


def template_resources(template: Template) -> Iterator[Resource]:
    for logical_id, resource in template.resources.items():
        yield Resource(template, logical_id, resource["Type"], resource.get("Properties", {}))


class CheckerBase:
    """Collects the problems of one cloud assembly; the checks are its subclasses' methods."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, resource: Resource, check: str, message: str) -> None:
        self.problems.append(
            Problem(
                resource.template.display_name, resource.logical_id, resource.type, check, message
            )
        )

    def template_problem(self, template: Template, check: str, message: str) -> None:
        self.problems.append(Problem(template.display_name, None, TEMPLATE_TYPE, check, message))
