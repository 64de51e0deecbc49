"""Switch logging on for AppSync GraphQL APIs that log nowhere.

AppSync writes an API's request and field logs to ``/aws/appsync/apis/<api id>`` with a role
the API names in its ``LogConfig``. For an API of the app without a ``LogConfig``,
watchkeeper:

- creates that log group itself (with the service's retention, removal policy, data
  protection and key), so it is not the never-expiring group AppSync would create;
- creates a role trusted by ``appsync.amazonaws.com`` (for this account only) that may
  create streams in, and write to, that one group and nothing else (no
  ``logs:CreateLogGroup``: AppSync cannot make the group before the stack does);
- sets the ``LogConfig``: field log level ``ERROR`` by default, verbose content excluded.

``ALL`` would log, for every field of every request, the resolved request and response
mapping templates: resolver arguments and results, where personal data and tokens are, at
one record per field. ``ERROR`` logs only the fields that failed. Verbose content (headers,
context, evaluated templates) is excluded for the same reason; cdk-nag's
AwsSolutions-ASC3 counts that as request logging off, so that one finding is acknowledged on
the API, with the reason, when watchkeeper excluded it.

An API that already has a ``LogConfig`` keeps it (its level, role and verbosity): nothing
of it is missing (CloudFormation requires the role and the level), and its log group may
exist already (AppSync creates it), so none is created.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.constructs.validation import require_one_of

#: The kind of change (``app_changes.CHANGE_KINDS``): a GraphQL API's LogConfig set.
CHANGE_GRAPHQL_API_LOGGING = "graphql-api-logging"
#: AppSync's field log levels (``LogConfig.FieldLogLevel``).
FIELD_LOG_LEVELS: tuple[str, ...] = ("NONE", "ERROR", "INFO", "DEBUG", "ALL")
#: The actions AppSync needs on its log group (AppSync developer guide, "Monitoring and
#: logging"), without logs:CreateLogGroup: the group is created by the stack.
LOG_WRITE_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
#: cdk-nag's finding for an API whose LogConfig excludes verbose content.
NAG_REQUEST_LOGGING_FINDING = "AwsSolutions::AwsSolutions-ASC3"


def log_group_name(api_id: str) -> str:
    """The group AppSync writes an API's logs to (a token for an API of this app)."""
    return f"/aws/appsync/apis/{api_id}"


def graphql_api_l1(api: Any) -> Any:
    """The ``CfnGraphQLApi`` of ``api`` (itself, or a ``GraphqlApi``'s), None for an
    imported API (it has no L1 in this app)."""
    from aws_cdk import aws_appsync as appsync

    if isinstance(api, appsync.CfnGraphQLApi):
        return api
    child = api.node.default_child
    return child if isinstance(child, appsync.CfnGraphQLApi) else None


def enable_graphql_api_logging(
    scope: Construct,
    construct_id: str,
    api: Any,
    log_group: logs.ILogGroup,
    *,
    field_log_level: str = "ERROR",
    include_verbose_content: bool = False,
    label: str | None = None,
) -> list[tuple[str, str, str]]:
    """Log ``api`` (a ``GraphqlApi`` or ``CfnGraphQLApi`` of this app) to ``log_group``,
    which must be ``/aws/appsync/apis/<api id>``, if it has no ``LogConfig``.

    :param construct_id: the id of the role created under ``scope``.
    :param field_log_level: ``NONE``, ``ERROR`` (default), ``INFO``, ``DEBUG`` or ``ALL``.
    :param include_verbose_content: log headers, context and evaluated mapping templates.
        Default False (they hold tokens and personal data).
    :param label: how the change names the API. Default: its construct path.
    :returns: the change (``graphql-api-logging``); empty when the API had a LogConfig.
    """
    require_one_of(field_log_level, "field_log_level", FIELD_LOG_LEVELS)
    if not isinstance(include_verbose_content, bool):
        raise ValueError(
            f"include_verbose_content={include_verbose_content!r} must be True or False")
    cfn = graphql_api_l1(api)
    if cfn is None:
        raise ValueError(
            f"api={api.node.path}: expected a GraphQL API defined in this app "
            "(aws_appsync.GraphqlApi or CfnGraphQLApi), not an imported one")
    if cfn.log_config is not None:
        return []
    from aws_cdk import aws_appsync as appsync

    stack = cdk.Stack.of(cfn)
    role = iam.Role(
        scope, construct_id,
        assumed_by=iam.ServicePrincipal("appsync.amazonaws.com", conditions={
            "StringEquals": {"aws:SourceAccount": stack.account}}),
        description="Lets AppSync write the API's logs to its log group (watchkeeper)",
    )
    # The group's Arn attribute ends in ":*": the group and its streams, nothing else.
    role.add_to_policy(iam.PolicyStatement(
        actions=list(LOG_WRITE_ACTIONS), resources=[log_group.log_group_arn]))
    exclude = not include_verbose_content
    cfn.log_config = appsync.CfnGraphQLApi.LogConfigProperty(
        cloud_watch_logs_role_arn=role.role_arn,
        field_log_level=field_log_level,
        exclude_verbose_content=exclude,
    )
    detail = (f"field log level {field_log_level}, verbose content "
              f"{'excluded' if exclude else 'included'}, to /aws/appsync/apis/<api id> with "
              f"the role {role.node.path} ({', '.join(LOG_WRITE_ACTIONS)} on that group)")
    if exclude:
        cdk.Validations.of(cfn).acknowledge(cdk.Acknowledgment(
            id=NAG_REQUEST_LOGGING_FINDING,
            reason=(
                "Logging switched on by watchkeeper with verbose content excluded: headers, "
                "context and evaluated mapping templates carry tokens and personal data; "
                "request and field errors are logged"),
        ))
        detail += f" (cdk-nag {NAG_REQUEST_LOGGING_FINDING.split('::', 1)[1]} acknowledged)"
    return [(CHANGE_GRAPHQL_API_LOGGING, label or api.node.path, detail)]


__all__ = [
    "CHANGE_GRAPHQL_API_LOGGING",
    "FIELD_LOG_LEVELS",
    "LOG_WRITE_ACTIONS",
    "NAG_REQUEST_LOGGING_FINDING",
    "enable_graphql_api_logging",
    "graphql_api_l1",
    "log_group_name",
]
