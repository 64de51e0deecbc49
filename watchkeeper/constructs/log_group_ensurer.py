"""Make sure the ``/aws/lambda/<name>`` groups of functions deployed elsewhere exist.

Lambda creates a function's log group on its first invocation, so a function that has never
run has none, and a metric or subscription filter on it fails the deploy ("The specified log
group does not exist"). One custom resource per stack that holds such filters (the
enclosing stack, or each nested stack shard) lists the groups its filters need; its handler
(``ensure_log_groups_handler``) creates the missing ones and leaves existing ones untouched.

Why not ``custom_resources.AwsCustomResource`` per group: it adds a resource per function
(700 more at 700 functions) and one Lambda invocation per function at every deploy; one
resource per shard keeps it at 16, and lets the handler retry CloudWatch Logs' throttling.
The provider is one function with an inline handler (no asset to publish), in the stack of
the ServiceMonitoring; nested shards reach it through a parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.constructs.log_groups import LogGroupSettings, retention_enum

RESOURCE_TYPE = "Custom::WatchkeeperLogGroups"
#: Construct id of the provider function; discovery never monitors it (see
#: service_monitoring._CDK_INTERNAL_FUNCTION_ID).
PROVIDER_ID = "WatchkeeperLogGroupEnsurer"
_HANDLER_SOURCE = Path(__file__).with_name("ensure_log_groups_handler.py")
#: The handler makes a couple of calls per group, with backoff when throttled.
_TIMEOUT = cdk.Duration.minutes(10)


def _acknowledgment(rule_id: str, reason: str) -> cdk.Acknowledgment:
    return cdk.Acknowledgment(id=f"{rule_id.split('-', 1)[0]}::{rule_id}", reason=reason)


def _as_nag_shows(resolved: Any) -> str:
    """A resource as cdk-nag names it in a finding: references as ``<Name>``."""
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(_as_nag_shows(p) for p in parts)
    return str(resolved)


class LogGroupEnsurer:
    """One ensuring custom resource per scope, sharing one provider function.

    :param owner: the construct the provider is created under (the ServiceMonitoring).
    :param settings: the service's log group settings; their retention is applied to the
        groups the handler creates (an existing group keeps its own).
    """

    def __init__(self, owner: Construct, *, settings: LogGroupSettings):
        self._owner = owner
        self._settings = settings
        self._function: lambda_.Function | None = None
        #: The ensuring resources created, by log group name.
        self.by_log_group: dict[str, cdk.CustomResource] = {}
        self.resources: list[cdk.CustomResource] = []

    def ensure(self, groups: dict[int, tuple[Construct, list[str]]]) -> None:
        """``groups``: per scope (keyed by ``id(scope)``), the scope and its group names."""
        for scope, names in groups.values():
            properties: dict[str, Any] = {"LogGroupNames": sorted(set(names))}
            if self._settings.retention_days is not None:
                properties["RetentionInDays"] = self._settings.retention_days
            resource = cdk.CustomResource(
                scope,
                "EnsureLogGroups",
                service_token=self._provider().function_arn,
                resource_type=RESOURCE_TYPE,
                properties=properties,
            )
            self.resources.append(resource)
            for name in names:
                self.by_log_group[name] = resource

    def _provider(self) -> lambda_.Function:
        if self._function is not None:
            return self._function
        scope = Construct(self._owner, "LogGroupEnsurer")
        stack = cdk.Stack.of(scope)
        # Unnamed: a second stage of the service in the same account gets its own.
        own_logs = logs.LogGroup(
            scope,
            "Logs",
            retention=retention_enum(self._settings.retention_days),
            removal_policy=self._settings.removal_policy,
        )
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="watchkeeper: creates missing /aws/lambda log groups at deploy",
        )
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[own_logs.log_group_arn],
        ))
        lambda_groups = stack.format_arn(
            service="logs", resource="log-group", resource_name="/aws/lambda/*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
            resources=[lambda_groups],
        ))
        function = lambda_.Function(
            scope,
            PROVIDER_ID,
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_inline(_HANDLER_SOURCE.read_text()),
            timeout=_TIMEOUT,
            memory_size=256,
            role=role,
            log_group=own_logs,
            logging_format=lambda_.LoggingFormat.JSON,
            description="watchkeeper: creates missing /aws/lambda log groups at deploy",
        )
        cdk.Validations.of(scope).acknowledge(
            _acknowledgment(
                f"AwsSolutions-IAM5[Resource::{_as_nag_shows(stack.resolve(lambda_groups))}]",
                "Creates the /aws/lambda/<name> groups of functions deployed elsewhere: "
                "hundreds of names would pass the role policy's size limit; the handler "
                "only creates missing groups and sets retention on those it created",
            ),
            _acknowledgment(
                "Serverless-LambdaDLQ",
                "Called only by CloudFormation, which waits for its answer: a failure "
                "fails the stack operation, there is no event to replay",
            ),
            _acknowledgment(
                "Serverless-LambdaTracing",
                "A deploy-time helper that makes a few CloudWatch Logs calls; its JSON "
                "logs say what it created, traces would add nothing",
            ),
        )
        self._function = function
        return function

