"""The CloudWatch Logs checks of ``watchkeeper check``, and the REST API logging warning.

Metric filters (pattern length and syntax, dimensions, default values, namespace), filters
per log group, saved queries (name, log groups, length, Logs Insights syntax) and log groups
(retention, name); and the warning for REST API stages that log in an app that sets no API
Gateway CloudWatch Logs role.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from watchkeeper import limits, schema
from watchkeeper.cli.assembly import Resource, Template
from watchkeeper.cli.check_problems import (
    API_GATEWAY_ACCOUNT_TYPE,
    METRIC_FILTER_TYPE,
    REST_DEPLOYMENT_TYPE,
    REST_STAGE_TYPE,
    CheckerBase,
    Problem,
    as_list,
    log_group_key,
    stated_number,
    stated_text,
    template_resources,
)
from watchkeeper.insights import check_query
from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH
from watchkeeper.limits import MAX_LOG_GROUPS_PER_QUERY, MAX_QUERY_LENGTH
from watchkeeper.testing.filter_pattern import FilterPatternSyntaxError, parse_pattern

#: execution logging levels that write logs (``OFF`` writes none)
_EXECUTION_LOGGING_LEVELS: Final = ("ERROR", "INFO")
#: Logs Insights' own query language, the one :func:`check_query` knows
_INSIGHTS_LANGUAGE: Final = "CWLI"


class LogChecks(CheckerBase):
    """The checks of metric filters, subscription filters, saved queries and log groups."""

    def check_metric_filter(self, metric_filter: Resource) -> None:
        template, properties = metric_filter.template, metric_filter.properties
        pattern = stated_text(template, properties.get("FilterPattern"))
        if pattern is not None:
            if len(pattern) > MAX_PATTERN_LENGTH:
                self.problem(
                    metric_filter,
                    "filter-pattern-length",
                    f"FilterPattern is {len(pattern):,} characters; CloudWatch Logs allows "
                    f"{MAX_PATTERN_LENGTH:,}",
                )
            else:
                try:
                    parse_pattern(pattern)
                except FilterPatternSyntaxError as exc:
                    self.problem(metric_filter, "filter-pattern", f"FilterPattern: {exc}")
        for index, transformation in enumerate(as_list(properties.get("MetricTransformations"))):
            if not isinstance(transformation, dict):
                continue
            where = f"MetricTransformations[{index}]"
            dimensions = as_list(transformation.get("Dimensions"))
            if len(dimensions) > limits.MAX_METRIC_FILTER_DIMENSIONS:
                self.problem(
                    metric_filter,
                    "filter-dimensions",
                    f"{where} has {len(dimensions)} dimensions; CloudWatch Logs allows "
                    f"{limits.MAX_METRIC_FILTER_DIMENSIONS}",
                )
            if dimensions and transformation.get("DefaultValue") is not None:
                self.problem(
                    metric_filter,
                    "filter-default-value",
                    f"{where} sets DefaultValue and Dimensions; CloudWatch Logs allows a "
                    "default value only without dimensions",
                )
            namespace = stated_text(template, transformation.get("MetricNamespace"))
            if namespace is not None and namespace.startswith(limits.RESERVED_NAMESPACE_PREFIX):
                self.problem(
                    metric_filter,
                    "filter-namespace",
                    f"{where} MetricNamespace {namespace!r} starts with "
                    f"{limits.RESERVED_NAMESPACE_PREFIX!r}, which is reserved for AWS services",
                )

    def check_filters_per_log_group(
        self, template: Template, resource_type: str, limit: int, check: str
    ) -> None:
        by_log_group: dict[str, list[Resource]] = defaultdict(list)
        for resource in template.resources_of_type(resource_type):
            key = log_group_key(template, resource.properties.get("LogGroupName"))
            by_log_group[key].append(resource)
        kind = "metric" if resource_type == METRIC_FILTER_TYPE else "subscription"
        for log_group, filters in by_log_group.items():
            if len(filters) > limit:
                self.problem(
                    filters[limit],
                    check,
                    f"log group {log_group} has {len(filters)} {kind} filters; CloudWatch Logs "
                    f"allows {limit} per log group",
                )

    def check_query_definition(self, query: Resource) -> None:
        template, properties = query.template, query.properties
        name = template.resolve_text(properties.get("Name", ""))
        if not 1 <= len(name) <= limits.MAX_QUERY_DEFINITION_NAME_LENGTH:
            self.problem(
                query,
                "query-name",
                f"Name is {len(name)} characters; CloudWatch Logs allows 1 to "
                f"{limits.MAX_QUERY_DEFINITION_NAME_LENGTH}",
            )
        log_groups = len(as_list(properties.get("LogGroupNames")))
        if log_groups > MAX_LOG_GROUPS_PER_QUERY:
            self.problem(
                query,
                "query-log-groups",
                f"LogGroupNames has {log_groups} log groups; CloudWatch Logs allows "
                f"{MAX_LOG_GROUPS_PER_QUERY}",
            )
        text = template.resolve_text(properties.get("QueryString", ""))
        if len(text) > MAX_QUERY_LENGTH:
            self.problem(
                query,
                "query-length",
                f"QueryString is {len(text):,} characters; CloudWatch Logs allows "
                f"{MAX_QUERY_LENGTH:,}",
            )
        elif properties.get("QueryLanguage", _INSIGHTS_LANGUAGE) == _INSIGHTS_LANGUAGE:
            for problem in check_query(text):
                self.problem(query, "query-syntax", f"QueryString: {problem}")

    def check_log_group(self, log_group: Resource) -> None:
        template, properties = log_group.template, log_group.properties
        retention = properties.get("RetentionInDays")
        days = stated_number(template, retention)
        if retention is not None and days is not None and days not in limits.ALLOWED_RETENTION_DAYS:
            self.problem(
                log_group,
                "log-group-retention",
                f"RetentionInDays {days} is not one CloudWatch Logs accepts: "
                + ", ".join(str(d) for d in limits.ALLOWED_RETENTION_DAYS),
            )
        name = stated_text(template, properties.get("LogGroupName"))
        if name is not None and (
            not limits.LOG_GROUP_NAME_RE.match(name)
            or name.startswith(limits.RESERVED_LOG_GROUP_PREFIX)
        ):
            self.problem(
                log_group,
                "log-group-name",
                f"LogGroupName {name!r} is not 1-512 characters of A-Z, a-z, 0-9 and . - _ / # "
                f"not starting with {limits.RESERVED_LOG_GROUP_PREFIX!r}",
            )


def _rest_logging(resource: Resource) -> str | None:
    """What REST API logging a stage (or a deployment's stage) switches on, or None."""
    properties: Any = resource.properties
    if resource.type == REST_DEPLOYMENT_TYPE:
        properties = properties.get("StageDescription")
    if not isinstance(properties, dict):
        return None
    kinds = []
    if properties.get("AccessLogSetting"):
        kinds.append("access logs")
    settings = [properties] + [m for m in as_list(properties.get("MethodSettings"))
                               if isinstance(m, dict)]
    if any(
        m.get("LoggingLevel") in _EXECUTION_LOGGING_LEVELS or m.get("DataTraceEnabled") is True
        for m in settings
    ):
        kinds.append("execution logging")
    return " and ".join(kinds) or None


def check_rest_api_logging_role(templates: list[Template]) -> list[Problem]:
    """Warnings for REST API stages that log in an app without an ``AWS::ApiGateway::Account``:
    API Gateway refuses them where the account has no CloudWatch Logs role ("CloudWatch
    Logs role ARN must be set in account settings to enable logging")."""
    if any(next(t.resources_of_type(API_GATEWAY_ACCOUNT_TYPE), None) for t in templates):
        return []
    warnings = []
    for template in templates:
        for resource in template_resources(template):
            if resource.type not in (REST_STAGE_TYPE, REST_DEPLOYMENT_TYPE):
                continue
            logging = _rest_logging(resource)
            if logging is not None:
                warnings.append(
                    Problem(
                        template.display_name,
                        resource.logical_id,
                        resource.type,
                        "rest-api-logging-role",
                        f"REST API logging ({logging}) needs the account's API Gateway "
                        "CloudWatch Logs role, and the app sets none (no "
                        "AWS::ApiGateway::Account): the deploy fails in an account without it. "
                        f"Fix: {schema.REST_API_CLOUDWATCH_ROLE_FIX}",
                    )
                )
    return warnings
