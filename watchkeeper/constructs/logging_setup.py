"""Switching logging on where it is off (API stages, state machines) and shipping the
service's logs. A step of ServiceMonitoring (mixed into it), run once when the app is
synthesized; the resources themselves are made by ``resource_logging`` and
``log_shipping``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs import graphql_logging, resource_logging
from watchkeeper.constructs.cdk_internals import (
    loaded_classes,
)
from watchkeeper.constructs.log_groups import (
    create_log_group,
)
from watchkeeper.constructs.log_shipping import (
    create_account_subscription_policy,
    destination_arns,
    references_to,
    ship_log_groups,
)
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.targets import (
    StateMachineTarget,
)

if TYPE_CHECKING:
    # Imported where used (see cdk_internals.loaded_classes): a service without APIs,
    # queues, tables or state machines does not pay for loading these modules.
    pass


class ResourceLoggingSteps(MonitoringState):
    """Logging switched on where it is off, and log shipping."""

    def _access_log_group(self) -> logs.LogGroup:
        if self.api_access_log_group is None:
            self.api_access_log_group = create_log_group(
                self,
                "ApiAccessLogGroup",
                name=schema.api_access_log_group_name(self.qualified_name),
                settings=self.log_settings,
                purpose=f"the API access logs of service {self.service_name}",
            )
            self.log_groups.append(self.api_access_log_group)
            resource_logging.add_access_log_metric_filters(
                self, self.api_access_log_group, namespace=self.namespace
            )
        return self.api_access_log_group

    @property
    def resource_changes(self) -> list[resource_logging.ResourceChange]:
        """The changes made to resources of the app (known after synth)."""
        return list(self._resource_changes)

    def _switch_on_resource_logging(self) -> None:
        if not self.enable_resource_logging:
            return
        api_targets: list[Any] = [*self.http_apis, *self.rest_apis]
        # L2s, and L1s written without one (CfnApi, CfnRestApi): both are the app's own.
        http_api = loaded_classes("aws_apigatewayv2", "HttpApi", "CfnApi")
        api_classes = http_api + loaded_classes("aws_apigateway", "RestApiBase", "CfnRestApi")
        changes = self._resource_changes
        for target in api_targets:
            api = target.api
            if self._left_as_defined_elsewhere(f"API {target.label}", api):
                continue
            # An imported REST API is a RestApiBase too, but has no stage in this app.
            stages = resource_logging.api_stages(api) if isinstance(api, api_classes) else []
            if not stages:
                if isinstance(api, cdk.CfnResource):
                    self._note(f"API {target.label}: no CfnStage in this app (a stage made "
                               "by a deployment's StageName); access logs unchanged")
                else:
                    self._note(f"API {target.label}: not defined in this app; logging "
                               "unchanged")
                continue
            if not resource_logging.stages_without_access_logs(api, stages) and (
                isinstance(api, http_api) or self.rest_api_execution_logging is None
            ):
                continue
            if isinstance(api, http_api):
                changes += resource_logging.enable_http_api_access_logging(
                    api, self._access_log_group(), label=target.label
                )
                continue
            has_role, account = self._api_gateway_cloudwatch_role(api)
            if not has_role:
                self._warn_rest_logging_off(target.label, stages)
                continue
            changes += resource_logging.enable_rest_api_access_logging(
                api,
                self._access_log_group(),
                execution_logging_level=self.rest_api_execution_logging,
                label=target.label,
                depends_on=account,
            )
        state_machine_class = loaded_classes("aws_stepfunctions", "StateMachine")
        for target in self.state_machines:
            machine: Any = target.state_machine
            if self._left_as_defined_elsewhere(f"state machine {target.label}", machine):
                continue
            role: tuple[iam.IRole, str] | None = None
            if isinstance(machine, cdk.CfnResource):  # a CfnStateMachine
                if target.state_machine.logging_configuration is not None:
                    continue
                role = self._role_of_cfn_state_machine(target)
                if role is None:
                    continue
            elif not isinstance(machine, state_machine_class):
                self._note(f"state machine {target.label}: imported; logging unchanged")
                continue
            else:
                machine_l1: Any = machine.node.default_child
                if machine_l1.logging_configuration is not None:
                    continue
            group = create_log_group(
                self,
                f"{target.key}-StateMachineLogGroup",
                name=schema.state_machine_log_group_name(
                    self.service_name, target.key, self.stage),
                settings=self.log_settings,
                purpose=f"the execution logs of {target.label}",
            )
            self.log_groups.append(group)
            changes += resource_logging.enable_state_machine_logging(
                self,
                f"{target.key}-LogDeliveryPolicy",
                machine,
                group,
                level=self.state_machine_log_level,
                include_execution_data=self.state_machine_include_execution_data,
                label=target.label,
                role=None if role is None else role[0],
                role_label=None if role is None else role[1],
            )
        self._switch_on_graphql_api_logging()

    def _switch_on_graphql_api_logging(self) -> None:
        """AppSync GraphQL APIs of this stack without a log configuration: their log group,
        a role for AppSync, and the configuration (``graphql_logging``)."""
        level = self.graphql_field_log_level
        if level is None:
            return
        for target in self._targets.get("graphql_api", ()):
            cfn = graphql_logging.graphql_api_l1(target.api)
            if cfn is None:
                self._note(f"GraphQL API {target.label}: imported; logging unchanged")
                continue
            if cdk.Stack.of(cfn).node.path != self.stack.node.path:
                self._note(f"GraphQL API {target.label}: defined in another stack than this "
                           "ServiceMonitoring; logging unchanged")
                continue
            if cfn.log_config is not None:
                self._note(
                    f"GraphQL API {target.label}: keeps its own log configuration (level and "
                    "role); AppSync creates its group /aws/appsync/apis/<api id>, which never "
                    "expires unless the app sets a retention")
                continue
            group = create_log_group(
                self,
                f"{target.key}-GraphqlApiLogGroup",
                name=graphql_logging.log_group_name(cfn.attr_api_id),
                settings=self.log_settings,
                purpose=f"the logs of GraphQL API {target.label}",
            )
            self.log_groups.append(group)
            changes: list[Any] = self._resource_changes
            changes += graphql_logging.enable_graphql_api_logging(
                self, f"{target.key}-GraphqlApiLogsRole", cfn, group,
                field_log_level=level,
                include_verbose_content=self.graphql_include_verbose_content,
                label=target.label,
            )

    def _role_of_cfn_state_machine(self, target: StateMachineTarget
                                   ) -> tuple[iam.IRole, str] | None:
        """The role of a ``CfnStateMachine`` and its construct path, when it is a role of
        this stack (its RoleArn a ``Fn::GetAtt``), imported so that the log-delivery
        statement can be attached; None (with a note) for a role from elsewhere, which is
        never changed."""
        machine: Any = target.state_machine
        stack = self.stack
        role_arn = machine.role_arn
        resolved = stack.resolve(role_arn)
        role_node = None
        if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
            role_id = resolved["Fn::GetAtt"][0]
            role_node = next(
                (n for n in stack.node.find_all()
                 if isinstance(n, iam.CfnRole) and stack.resolve(n.logical_id) == role_id),
                None)
        if role_node is None:
            self._note(
                f"state machine {target.label}: its role is not defined in this stack, so "
                "watchkeeper cannot allow it log delivery; logging unchanged (set its "
                "LoggingConfiguration, with logs:*LogDelivery on * on its role)")
            return None
        # Imported by its ARN (a GetAtt) whether the app wrote a Role or a CfnRole: the
        # statement then goes to a policy of watchkeeper's attached to the app's role.
        role = iam.Role.from_role_arn(self, f"{target.key}-StateMachineRole", role_arn)
        path = role_node.node.path
        return role, path.removesuffix("/Resource")  # the Role L2 around its CfnRole

    def _api_gateway_cloudwatch_role(self, api: Any) -> tuple[bool, Any]:
        """Whether the account of ``api`` has API Gateway's CloudWatch Logs role, and the
        ``AWS::ApiGateway::Account`` in the API's stack its stages must wait for (None when
        the role is the account's own, or set in a stack the API's stack now depends on).
        """
        mode = self.rest_api_cloudwatch_role
        if mode == "account-has-role":
            return True, None
        api_stack = cdk.Stack.of(api)
        accounts = resource_logging.api_gateway_accounts(api)
        for account in accounts:
            account_stack = cdk.Stack.of(account)
            if account_stack.node.path == api_stack.node.path:
                return True, account
            try:
                # Deployed before the API's stack, so a fresh account has the role in time.
                api_stack.add_stack_dependency(
                    account_stack, "sets the API Gateway CloudWatch Logs role REST logs need"
                )
            except RuntimeError:
                continue  # the account's stack depends on the API's stack: not in time
            return True, None
        if mode == "create" and not accounts and self.api_gateway_account is None:
            # One per account and region: a second ServiceMonitoring (or API) finds it.
            self.api_gateway_account = resource_logging.create_api_gateway_cloudwatch_role(
                self, "ApiGatewayAccount"
            )
            self._note(
                "created the account's API Gateway CloudWatch Logs role "
                "(AWS::ApiGateway::Account: account-wide, kept when the stack is deleted)"
            )
            return self._api_gateway_cloudwatch_role(api)
        return False, None

    def _warn_rest_logging_off(self, label: str, stages: list[Any]) -> None:
        names = ", ".join(sorted(str(self.stack.resolve(s.stage_name)) for s in stages))
        text = (
            f"REST API {label}: access and execution logging left off (stages: {names}): "
            "they need the account's API Gateway CloudWatch Logs role and this app sets "
            "none (no AWS::ApiGateway::Account), so the deploy would fail in a fresh "
            f"account. Fix: {schema.REST_API_CLOUDWATCH_ROLE_FIX}"
        )
        self.resource_logging_notes.append(text)
        cdk.Annotations.of(self).add_warning_v2(
            "watchkeeper:rest-api-logging-off", f"watchkeeper: {text}"
        )

    def _ship_logs(self) -> None:
        settings = self.log_shipping
        if settings is None:
            return
        if settings.mode == "account-policy":
            self.account_subscription_policy = create_account_subscription_policy(
                self, "AccountSubscriptionPolicy", service_name=self.qualified_name,
                settings=settings,
            )
            return
        groups = [
            g for g in self.log_groups
            if settings.ship_referenced_log_groups or isinstance(g, logs.LogGroup)
        ]
        self.subscription_filters = ship_log_groups(
            Construct(self, "LogShipping"),
            service_name=self.qualified_name,
            log_groups=groups,
            settings=settings,
            depends_on=self.log_group_ensurer.by_log_group,
        )
        owned = {t.label: t.function.function_arn for t in self.functions if t.owned}
        shipped_to = destination_arns(self.subscription_filters)
        for label, arn in owned.items():
            if references_to(self, [arn]) & shipped_to:
                raise ValueError(
                    f"ship_logs_to: the Lambda destination {label} is monitored by this "
                    "ServiceMonitoring, so its own logs would be shipped to itself in an "
                    "endless loop; pass exclude=[<the function>]"
                )

    def _left_as_defined_elsewhere(self, what: str, resource: Any) -> bool:
        """True, with a note, for a resource of another stack: its logging is left as it is
        (``_in_another_stack``)."""
        if not self._in_another_stack(resource.node.path):
            return False
        self._note(f"{what}: defined in another stack than this ServiceMonitoring; logging "
                   "unchanged")
        return True

    def _note(self, text: str) -> None:
        self.resource_logging_notes.append(text)
        cdk.Annotations.of(self).add_info(f"watchkeeper: {text}")
