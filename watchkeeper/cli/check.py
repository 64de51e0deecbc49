"""``watchkeeper check``: static checks of a cloud assembly, for a team's own CI.

Reads every template of a synthesized cloud assembly (``cdk.out``, through
:mod:`watchkeeper.cli.assembly`: stages and nested stacks included) and checks what CloudFormation,
CloudWatch and CloudWatch Logs would refuse at deploy time, or silently mishandle:

- CloudFormation: resources, template size, outputs, parameters and mappings per template;
- alarms: name length, period x evaluation periods, datapoints, metric-math metrics and
  ``ReturnData``, actions per state, composite rules, anomaly-detection thresholds, periods;
- dashboards: name, body JSON, widgets, metrics, grid, overlap, alarm and log widgets;
- metric filters: pattern syntax (:mod:`watchkeeper.testing.filter_pattern`), dimensions,
  default values, filters per log group, namespace;
- subscription filters per log group; saved queries (:func:`watchkeeper.insights.check_query`);
  log group retention and names;
- security: Lambda function URLs with ``AuthType: NONE`` whose synth warning the app did
  not acknowledge (:mod:`watchkeeper.cli.check_findings`).

Warnings are what the template alone cannot settle: REST API stages with access or
execution logging in an app that sets no API Gateway CloudWatch Logs role
(``AWS::ApiGateway::Account``) deploy only where the account has one; a function that logs to
a group watchkeeper created, while its role has a permissions boundary, loses the log lines
the boundary denies (:mod:`watchkeeper.cli.check_boundaries`).

Each problem is one line ``<stack>/<logical id> (<type>): <problem>`` that states the limit
and the value found; a warning is the same line after ``warning: ``. Exit 0 when no problem
is found (warnings or not), 1 when one is, 2 when the input is not a cloud assembly.
Standard library and the project's own checkers only: no aws-cdk-lib.

Values the template leaves to deploy time (a ``Ref`` to a parameter without a default, an
import) are not judged: a check applies to what the template states.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, Final

from watchkeeper import limits
from watchkeeper.cli import CommandError, add_cdk_out_argument
from watchkeeper.cli.assembly import (
    AssemblyError,
    CloudAssembly,
    Resource,
    Template,
    load_assembly,
)
from watchkeeper.cli.check_alarms import AlarmChecks
from watchkeeper.cli.check_boundaries import check_permissions_boundaries
from watchkeeper.cli.check_dashboards import DashboardChecks
from watchkeeper.cli.check_findings import FUNCTION_URL_TYPE, FindingChecks
from watchkeeper.cli.check_logs import LogChecks, check_rest_api_logging_role
from watchkeeper.cli.check_problems import (
    ALARM_TYPE,
    API_GATEWAY_ACCOUNT_TYPE,
    BAD_INPUT_EXIT_CODE,
    COMPOSITE_ALARM_TYPE,
    DASHBOARD_TYPE,
    LOG_GROUP_TYPE,
    METRIC_FILTER_TYPE,
    PROBLEMS_EXIT_CODE,
    QUERY_DEFINITION_TYPE,
    REST_DEPLOYMENT_TYPE,
    REST_STAGE_TYPE,
    SUBSCRIPTION_FILTER_TYPE,
    TEMPLATE_TYPE,
    CheckResult,
    Problem,
    template_resources,
)

__all__ = [
    "ALARM_TYPE",
    "API_GATEWAY_ACCOUNT_TYPE",
    "BAD_INPUT_EXIT_CODE",
    "COMPOSITE_ALARM_TYPE",
    "DASHBOARD_TYPE",
    "LOG_GROUP_TYPE",
    "METRIC_FILTER_TYPE",
    "PROBLEMS_EXIT_CODE",
    "QUERY_DEFINITION_TYPE",
    "REST_DEPLOYMENT_TYPE",
    "REST_STAGE_TYPE",
    "SUBSCRIPTION_FILTER_TYPE",
    "TEMPLATE_TYPE",
    "CheckResult",
    "Problem",
    "check_assembly",
    "check_rest_api_logging_role",
    "register",
    "run",
]


class _Checker(AlarmChecks, DashboardChecks, LogChecks, FindingChecks):
    """Collects the problems of one cloud assembly: every check, and the template's own."""

    # -- CloudFormation --------------------------------------------------------------------

    def check_template(self, template: Template) -> None:
        count = len(template.resources)
        if count > limits.MAX_RESOURCES_PER_TEMPLATE:
            self.template_problem(
                template,
                "cfn-resources",
                f"{count} resources; CloudFormation allows {limits.MAX_RESOURCES_PER_TEMPLATE} "
                "per template (split the stack)",
            )
        size = template.path.stat().st_size
        if size > limits.MAX_TEMPLATE_BYTES:
            self.template_problem(
                template,
                "cfn-template-size",
                f"{template.template_file} is {size:,} bytes; CloudFormation reads at most "
                f"{limits.MAX_TEMPLATE_BYTES:,} bytes from S3",
            )
        for section, limit in (
            ("Outputs", limits.MAX_OUTPUTS),
            ("Parameters", limits.MAX_PARAMETERS),
            ("Mappings", limits.MAX_MAPPINGS),
        ):
            entries = template.body.get(section)
            count = len(entries) if isinstance(entries, dict) else 0
            if count > limit:
                self.template_problem(
                    template,
                    f"cfn-{section.lower()}",
                    f"{count} {section.lower()}; CloudFormation allows {limit} per template",
                )


_RESOURCE_CHECKS: Final[dict[str, Callable[[_Checker, Resource], None]]] = {
    ALARM_TYPE: _Checker.check_alarm,
    COMPOSITE_ALARM_TYPE: _Checker.check_composite_alarm,
    DASHBOARD_TYPE: _Checker.check_dashboard,
    METRIC_FILTER_TYPE: _Checker.check_metric_filter,
    QUERY_DEFINITION_TYPE: _Checker.check_query_definition,
    LOG_GROUP_TYPE: _Checker.check_log_group,
    FUNCTION_URL_TYPE: _Checker.check_function_url,
}


def check_assembly(assembly: CloudAssembly) -> CheckResult:
    """Every problem in every template of ``assembly``, in template and resource order."""
    checker = _Checker()
    checked = {"templates": 0, "resources": 0, **dict.fromkeys(_RESOURCE_CHECKS, 0)}
    checked[SUBSCRIPTION_FILTER_TYPE] = 0
    templates = list(assembly.all_templates())
    checker.acknowledge(templates)
    for template in templates:
        checked["templates"] += 1
        checked["resources"] += len(template.resources)
        checker.check_template(template)
        for resource in template_resources(template):
            if resource.type in checked:
                checked[resource.type] += 1
            check = _RESOURCE_CHECKS.get(resource.type)
            if check is not None:
                check(checker, resource)
        checker.check_filters_per_log_group(
            template,
            METRIC_FILTER_TYPE,
            limits.MAX_METRIC_FILTERS_PER_LOG_GROUP,
            "filters-per-log-group",
        )
        checker.check_filters_per_log_group(
            template,
            SUBSCRIPTION_FILTER_TYPE,
            limits.MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP,
            "subscription-filters-per-log-group",
        )
    warnings = check_rest_api_logging_role(templates) + check_permissions_boundaries(templates)
    return CheckResult(checker.problems, checked, warnings)


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add ``watchkeeper check`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "check",
        help="check a cloud assembly against CloudFormation and CloudWatch limits",
        description=(
            "Check every template of a synthesized cloud assembly against CloudFormation, "
            "CloudWatch and CloudWatch Logs limits, metric filter pattern syntax and Logs "
            "Insights query syntax. Prints one line per problem and exits 1 when there are "
            "any, 0 when there are none, 2 when the directory is not a cloud assembly."
        ),
    )
    add_cdk_out_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"problems": [...], "checked": {...}} instead of lines',
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = check_assembly(load_assembly(args.cdk_out))
    except AssemblyError as exc:
        raise CommandError(str(exc), BAD_INPUT_EXIT_CODE) from None
    checked = (
        f"{_plural(result.checked['templates'], 'template')}, "
        f"{_plural(result.checked['resources'], 'resource')} checked"
    )
    if args.json:
        json.dump(result.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in result.problems:
            print(problem.line())
        for warning in result.warnings:
            print(f"warning: {warning.line()}")
        if result.warnings:
            checked += f", {_plural(len(result.warnings), 'warning')}"
        if result.problems:
            print(f"{_plural(len(result.problems), 'problem')} found ({checked})")
        else:
            print(f"OK: {checked}")
    return PROBLEMS_EXIT_CODE if result.problems else 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
