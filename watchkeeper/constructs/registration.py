"""Registering resources: the ``monitor_*`` methods of ServiceMonitoring (mixed into it)
and what they share (argument checks, unique keys, alarm overrides)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Node

from watchkeeper.constructs.alarms.settings import AlarmSettings, validate_overrides
from watchkeeper.constructs.alarms.topic import (
    connect_slack,
    create_alarm_topic,
    create_delivery_dlq,
    subscribe_emails,
)
from watchkeeper.constructs.cdk_internals import (
    cfn_properties,
    is_token_string,
)
from watchkeeper.constructs.fn_sub import register_foreign
from watchkeeper.constructs.kinds.base import int_or_none as _int_or_none
from watchkeeper.constructs.kinds.base import literal as _literal
from watchkeeper.constructs.kinds.function import (
    read_only_target,
    validate_concurrency_threshold,
    validate_duration_threshold,
)
from watchkeeper.constructs.kinds.registry import KINDS_BY_NAME, known_checks
from watchkeeper.constructs.log_groups import (
    create_log_group,
)
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.targets import (
    FunctionTarget,
    HttpApiTarget,
    QueueTarget,
    RestApiTarget,
    StateMachineTarget,
    TableTarget,
    slugify,
)

if TYPE_CHECKING:
    # Imported where used (see cdk_internals.loaded_classes): a service without APIs,
    # queues, tables or state machines does not pay for loading these modules.
    from aws_cdk import aws_apigateway as apigateway
    from aws_cdk import aws_apigatewayv2 as apigatewayv2
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_sqs as sqs
    from aws_cdk import aws_stepfunctions as sfn


class RegistrationSteps(MonitoringState):
    """The ``monitor_*`` methods and what they share."""

    def monitor_function(
        self,
        function: lambda_.IFunction,
        *,
        timeout: cdk.Duration | None = None,
        manage_log_group: bool = False,
        alarms: dict[str, AlarmSettings] | None = None,
        asynchronous: bool | None = None,
    ) -> FunctionTarget:
        """Monitor a Lambda function: one defined in this app, or one imported by name/ARN.

        :param timeout: the function's timeout, for imported functions (their definition
            is not visible); used for the duration alarm. Default: read from the function.
        :param manage_log_group: for an imported function, create its
            ``/aws/lambda/<name>`` log group with this construct's settings instead of
            referencing the existing one. Deploy fails with "already exists" if the group
            exists (Lambda creates it on first invocation). Default: False (referenced; a
            missing group is created at deploy with the service's retention and never
            deleted, an existing one is left as it is).
        :param alarms: ``{"<check>": AlarmSettings(...)}`` for this function's alarms
            (checks: see ``function.*`` in docs/alarms.md). Default: none.
        :param asynchronous: whether the function is invoked asynchronously, which gives
            it the ``async_events_dropped`` and ``async_event_age`` alarms. Default: None,
            found from the stack (an EventInvokeConfig with a destination; an S3
            notification, SNS subscription, EventBridge rule, CloudWatch Logs subscription
            filter or a permission for S3, SNS, EventBridge, CloudWatch Logs, SES, IoT or
            CodeCommit to invoke it). Set it for callers the stack does not show.
        """
        self._check_open("monitor_function")
        if asynchronous is not None and not isinstance(asynchronous, bool):
            raise ValueError(
                f"asynchronous={asynchronous!r} must be True, False or None (found from "
                "the stack)"
            )
        target = self._monitor_function(function, None, timeout=timeout,
                                        manage_log_group=manage_log_group, alarms=alarms)
        if asynchronous is not None:
            target.asynchronous = asynchronous
        return target

    def _in_another_stack(self, path: str) -> bool:
        """Whether the construct at ``path`` is outside this ServiceMonitoring's stack and
        the stacks nested in it. watchkeeper monitors such a resource but changes nothing of
        it: a change would reference this stack from that one, which this stack already
        references (a dependency cycle that fails the synth)."""
        prefix = getattr(self, "_own_stack_prefix", None)
        if prefix is None:
            prefix = self._own_stack_prefix = self.stack.node.path + "/"
        return not path.startswith(prefix)

    def _import_from_another_stack(self, kind: str, path: str, identifier: str,
                                   value: Any) -> None:
        """A resource of another stack is named in the dashboards' and detection rules'
        ``Fn::Sub`` strings through a variable (``fn_sub.register_foreign``), which CDK
        turns into a cross-stack import. An identifier that is not a plain Ref or GetAtt
        cannot be, so it is refused here, not at deploy."""
        if not (isinstance(value, str) and is_token_string(value)):
            return
        if register_foreign(self, value):
            return
        raise ValueError(
            f"{kind} {path}: defined in another stack than this ServiceMonitoring "
            f"({self.stack.node.path}), and its {identifier} is known only at deploy time "
            "as an expression watchkeeper cannot import into its Fn::Sub strings. Monitor it "
            "from a ServiceMonitoring in the stack that defines it, or import it into this "
            "stack by its literal name or ARN (Function.from_function_name, "
            "Queue.from_queue_arn, ...)"
        )

    def _monitor_function(
        self,
        function: lambda_.IFunction,
        known: tuple[Node, str] | None,
        *,
        timeout: cdk.Duration | None = None,
        manage_log_group: bool = False,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> FunctionTarget:
        """``monitor_function``; discovery passes the node and path it has already read."""
        overrides = validate_overrides(alarms, "alarms", kind="function", checks=known_checks())
        # jsii interfaces are Protocols without runtime checks: a FunctionBase (every
        # function, alias, version or import of aws-cdk-lib) passes without a round trip
        # to Node; anything else must at least have the members.
        if not isinstance(function, lambda_.FunctionBase) and not (
            hasattr(function, "function_arn") and hasattr(function, "node")
        ):
            raise ValueError(
                f"monitor_function(function={function!r}): expected an aws_lambda.IFunction"
            )
        # Each attribute read below is a round trip to Node: read each once.
        if known is None:
            node = function.node
            path = node.path
        else:
            node, path = known
        existing = self._targets_by_path.get(path)
        if existing is not None:
            self._set_function_overrides(existing, overrides)
            return existing
        cfn: Any = node.default_child if isinstance(function, lambda_.Function) else None
        owned = isinstance(cfn, lambda_.CfnFunction)
        timeout_seconds: float | None = None
        if timeout is not None:
            if not isinstance(timeout, cdk.Duration):
                raise ValueError(f"timeout={timeout!r} must be a cdk.Duration")
            timeout_seconds = timeout.to_seconds()
            if not 1 <= timeout_seconds <= 900:
                raise ValueError(f"timeout={timeout_seconds}s: Lambda allows 1 to 900 seconds")
        if owned and self._in_another_stack(path):
            # Monitored as it is: pointing it at a group of this stack would make its stack
            # depend on this one, which already depends on it (alarms name it).
            target = read_only_target(self._registrar, cfn, path)
            self._import_from_another_stack(
                "function", path, "function_name", target.function_name)
            # An app's log group is a Ref; /aws/lambda/<name> joins the name registered above.
            if target.log_group_name and is_token_string(target.log_group_name):
                register_foreign(self, target.log_group_name)
            target.function = function
            if timeout_seconds is not None:
                target.timeout_seconds = timeout_seconds
            self._note(f"function {target.label}: defined in another stack than this "
                       "ServiceMonitoring; monitored, its logging unchanged")
        elif owned:
            # All properties in one round trip to Node instead of one per property.
            props = cfn_properties(cfn)
            given_name = props.get("functionName")
            literal_name = (
                given_name if isinstance(given_name, str) and not is_token_string(given_name)
                else None
            )
            if timeout_seconds is None:
                timeout_seconds = _int_or_none(props.get("timeout")) or 3  # Lambda's default
            target = FunctionTarget(
                key=self._unique_key(literal_name or path.rsplit("/", 1)[-1]),
                label=literal_name or path,
                function_name=literal_name or function.function_name,
                function=function,
                owned=True,
                timeout_seconds=timeout_seconds,
                reserved_concurrency=_int_or_none(props.get("reservedConcurrentExecutions")),
                memory_mb=_int_or_none(props.get("memorySize")) or 128,
                has_dead_letter=props.get("deadLetterConfig") is not None,
                cfn=cfn,
                node=node,
            )
            target.logging_config = props.get("loggingConfig")
        else:
            literal_name = _imported_function_name(function)
            if literal_name is None:
                raise ValueError(
                    f"monitor_function(function={function.node.path}): the function name of "
                    "an imported function must be known at synth; import it with "
                    "Function.from_function_name or from_function_arn with a literal ARN"
                )
            target = FunctionTarget(
                key=self._unique_key(literal_name),
                label=literal_name,
                function_name=literal_name,
                function=function,
                owned=False,
                timeout_seconds=timeout_seconds,
                log_group_name=f"/aws/lambda/{literal_name}",
            )
            group_id = f"{target.key}-LogGroup"
            if manage_log_group:
                group: logs.ILogGroup = create_log_group(
                    self.scope_for_log_group(target),
                    group_id,
                    name=target.log_group_name or "",
                    settings=self.log_settings,
                    purpose=f"the logs of {literal_name}",
                )
            else:
                group = logs.LogGroup.from_log_group_name(
                    self, group_id, target.log_group_name or ""
                )
                # It may not exist yet (a function that never ran): ensured at synth.
                self._referenced_targets.append(target)
            self.log_groups.append(group)
        self._set_function_overrides(target, overrides)
        self.functions.append(target)
        self._targets_by_path[path] = target
        return target

    def monitor_http_api(
        self,
        api: apigatewayv2.IHttpApi,
        *,
        stage: str | None = None,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> HttpApiTarget:
        """Monitor an API Gateway HTTP API (defined here or imported).

        :param stage: the stage whose metrics the alarms watch. Default: ``$default`` for
            an HttpApi with a default stage; for others all stages together (ApiId only).
        :param alarms: ``{"<check>": AlarmSettings(...)}`` (``http_api.*`` checks).
        """
        path, overrides, existing = self._begin_monitoring(
            "monitor_http_api", "api", api, "api_id", "aws_apigatewayv2.IHttpApi",
            "http_api", alarms)
        if existing is not None:
            return existing
        from aws_cdk import aws_apigatewayv2 as apigatewayv2

        if stage is None and isinstance(api, apigatewayv2.HttpApi) and api.default_stage:
            stage = "$default"
        name = _literal(api, getattr(api, "http_api_name", None))
        target = HttpApiTarget(
            key=self._unique_key(name or api.node.id),
            label=name or api.node.path,
            api_id=api.api_id,
            api=api,
            stage=_optional_literal(stage, "stage"),
            alarm_overrides=overrides,
        )
        return self._register("http_api", path, target)

    def monitor_rest_api(
        self,
        api: apigateway.IRestApi,
        *,
        api_name: str | None = None,
        stage: str | None = None,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> RestApiTarget:
        """Monitor an API Gateway REST API (RestApi, LambdaRestApi, SpecRestApi, imported).

        :param api_name: the API's name (the ApiName dimension). Default: the name of a
            RestApi defined here; required for imported APIs.
        :param stage: the stage whose metrics the alarms watch. Default: the API's
            deployment stage; for imported APIs all stages together (ApiName only).
        :param alarms: ``{"<check>": AlarmSettings(...)}`` (``rest_api.*`` checks).
        """
        path, overrides, existing = self._begin_monitoring(
            "monitor_rest_api", "api", api, "rest_api_id", "aws_apigateway.IRestApi",
            "rest_api", alarms)
        if existing is not None:
            return existing
        from aws_cdk import aws_apigateway as apigateway

        name = api_name
        if name is None and isinstance(api, apigateway.RestApiBase):
            name = _literal(api, api.rest_api_name)
        if not name or cdk.Token.is_unresolved(name):
            raise ValueError(
                f"monitor_rest_api(api={api.node.path}): api_name={api_name!r}: the API's name "
                "must be known at synth (metrics are published per ApiName); pass api_name="
            )
        if stage is None and isinstance(api, apigateway.RestApiBase):
            try:
                # stage_name of the L2 is a Ref token; the L1 holds the literal name.
                stage_l1: Any = api.deployment_stage.node.default_child
                stage = _literal(api, stage_l1.stage_name)
            except Exception:  # noqa: BLE001 - no deployment stage (deploy=False)
                stage = None
        target = RestApiTarget(
            key=self._unique_key(name),
            label=name,
            api_name=name,
            api=api,
            stage=_optional_literal(stage, "stage"),
            alarm_overrides=overrides,
        )
        return self._register("rest_api", path, target)

    def monitor_queue(
        self,
        queue: sqs.IQueue,
        *,
        is_dead_letter_queue: bool | None = None,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> QueueTarget:
        """Monitor an SQS queue (defined here or imported).

        A queue whose redrive policy names another queue registers that queue too, as its
        dead-letter queue; a queue that some queue or function of the stack uses as
        dead-letter queue is recognised as one at synth.

        :param is_dead_letter_queue: declare an imported queue a dead-letter queue.
            Default: recognised from redrive policies and dead-letter configurations.
        :param alarms: ``{"<check>": AlarmSettings(...)}`` (``queue.*`` checks).
        """
        if is_dead_letter_queue is not None and not isinstance(is_dead_letter_queue, bool):
            raise ValueError(f"is_dead_letter_queue={is_dead_letter_queue!r} must be a bool")
        path, overrides, target = self._begin_monitoring(
            "monitor_queue", "queue", queue, "queue_arn", "aws_sqs.IQueue", "queue", alarms)
        if target is None:
            name = _literal(queue, queue.queue_name)
            target = self._register("queue", path, QueueTarget(
                key=self._unique_key(name or queue.node.id),
                label=name or queue.node.path,
                queue_name=queue.queue_name,
                queue=queue,
                alarm_overrides=overrides,
            ))
        if is_dead_letter_queue is not None:
            target.is_dead_letter_queue = is_dead_letter_queue
        from aws_cdk import aws_sqs as sqs

        dlq = queue.dead_letter_queue if isinstance(queue, sqs.Queue) else None
        if dlq is not None:
            dlq_target = self.monitor_queue(dlq.queue)
            self._mark_dead_letter_queue(dlq_target, target.label)
        return target

    def monitor_table(
        self, table: dynamodb.ITable | dynamodb.ITableV2, *,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> TableTarget:
        """Monitor a DynamoDB table (Table, TableV2, or imported by name).

        :param alarms: ``{"<check>": AlarmSettings(...)}`` (``table.*`` checks).
        """
        path, overrides, existing = self._begin_monitoring(
            "monitor_table", "table", table, "table_name", "aws_dynamodb.ITable", "table",
            alarms)
        if existing is not None:
            return existing
        name = _literal(table, table.table_name)
        return self._register("table", path, TableTarget(
            key=self._unique_key(name or table.node.id),
            label=name or table.node.path,
            table_name=table.table_name,
            table=table,
            alarm_overrides=overrides,
        ))

    def monitor_state_machine(
        self, state_machine: sfn.IStateMachine, *,
        alarms: dict[str, AlarmSettings] | None = None,
    ) -> StateMachineTarget:
        """Monitor a Step Functions state machine (defined here or imported by ARN).

        :param alarms: ``{"<check>": AlarmSettings(...)}`` (``state_machine.*`` checks).
        """
        path, overrides, existing = self._begin_monitoring(
            "monitor_state_machine", "state_machine", state_machine, "state_machine_arn",
            "aws_stepfunctions.IStateMachine", "state_machine", alarms)
        if existing is not None:
            return existing
        from aws_cdk import aws_stepfunctions as sfn

        name = None
        cfn = state_machine.node.default_child
        if isinstance(cfn, sfn.CfnStateMachine):
            name = _literal(state_machine, cfn.state_machine_name)
        else:
            name = _state_machine_name_of_arn(
                self.stack.resolve(state_machine.state_machine_arn))
        return self._register("state_machine", path, StateMachineTarget(
            key=self._unique_key(name or state_machine.node.id),
            label=name or state_machine.node.path,
            state_machine_arn=state_machine.state_machine_arn,
            state_machine=state_machine,
            alarm_overrides=overrides,
        ))

    def monitor(self, resource: Any, *,
                alarms: dict[str, AlarmSettings] | None = None) -> Any:
        """Monitor one resource of a kind in ``kinds.registry.KINDS`` that has no
        ``monitor_<kind>`` method: an L2 of the kind, or an imported one (for example
        ``sns.Topic.from_topic_arn``). Discovery finds the kind's L2s and L1s of this
        stack by itself; call this for imports and for resources of other stacks (those
        are monitored as they are, never changed: README, "Resources of another stack").

        :param alarms: ``{"<check>": AlarmSettings(...)}`` (the kind's checks).
        :returns: the resource's target (``targets_of("<kind>")`` lists them).
        """
        from watchkeeper.constructs.kinds import registry

        own = [k for k in registry.KINDS if k.register_l2 is not None]
        kind = next((k for k in own if isinstance(resource, k.l2())), None) or next(
            (k for k in own if k.member and hasattr(resource, k.member)), None)
        if kind is None or kind.register_l2 is None:
            builtin = ", ".join(f"monitor_{k.name}" for k in registry.KINDS
                                if k.register_l2 is None)
            names = ", ".join(k.name for k in own) or "none"
            raise ValueError(
                f"monitor(resource={resource!r}): not a resource of a kind that monitor() "
                f"takes (kinds: {names}); the built-in kinds have their own methods "
                f"({builtin})")
        path, overrides, existing = self._begin_monitoring(
            "monitor", "resource", resource, kind.member or "node",
            f"{kind.name} resource", kind.name, alarms)
        if existing is None:
            kind.register_l2(self._registrar, resource, path)
            existing = self._targets_by_path.get(path)
            if existing is None:  # the kind explained in a note why it is not monitored
                return None
            existing.alarm_overrides.update(overrides)
        return existing

    def _set_function_overrides(
        self, target: FunctionTarget, overrides: dict[str, AlarmSettings]
    ) -> None:
        duration = overrides.get("duration")
        if duration is not None and duration.threshold is not None:
            validate_duration_threshold(target, duration.threshold, "alarms['duration']")
        concurrency = overrides.get("concurrency")
        if concurrency is not None and concurrency.threshold is not None:
            validate_concurrency_threshold(
                target, concurrency.threshold, "alarms['concurrency']", self.concurrency_limit
            )
        target.alarm_overrides.update(overrides)

    def _begin_monitoring(
        self, method: str, param: str, resource: Any, member: str, expected: str,
        kind: str, alarms: dict[str, AlarmSettings] | None,
    ) -> tuple[str, dict[str, AlarmSettings], Any]:
        """What every ``monitor_<resource>`` method does first: refuse after synth, check
        the argument's shape (jsii interfaces have no runtime check), validate ``alarms``.

        :returns: the construct path, the validated overrides, and the resource's target
            if it is monitored already (the overrides then added to it), else None.
        """
        self._check_open(method)
        if not (hasattr(resource, member) and hasattr(resource, "node")):
            raise ValueError(f"{method}({param}={resource!r}): expected an {expected}")
        overrides = validate_overrides(alarms, "alarms", kind=kind, checks=known_checks())
        path = resource.node.path
        existing = self._targets_by_path.get(path)
        if existing is not None:
            existing.alarm_overrides.update(overrides)
        return path, overrides, existing

    def _register(self, kind: str, path: str, target: Any) -> Any:
        if self._in_another_stack(path):
            identifier = KINDS_BY_NAME[kind].identifier
            self._import_from_another_stack(
                kind, path, identifier, getattr(target, identifier, None))
        self._targets[kind].append(target)
        self._targets_by_path[path] = target
        return target

    def targets_of(self, kind: str) -> list[Any]:
        """The monitored targets of one kind (``"function"``, ``"queue"``..., see
        ``kinds.registry.KINDS``)."""
        return list(self._targets[kind])

    @staticmethod
    def _mark_dead_letter_queue(target: QueueTarget, source_label: str) -> None:
        target.is_dead_letter_queue = True
        target.source_label = target.source_label or source_label

    def _unique_key(self, text: str) -> str:
        base = slugify(text, 48)
        key, n = base, 2
        while key in self._keys:
            key, n = f"{base}-{n}", n + 1
        self._keys.add(key)
        return key

    def _configure_alarms(
        self,
        *,
        alarm_topic: sns.ITopic | None,
        alarm_overrides: dict[str, AlarmSettings] | None,
        concurrency_limit: int,
        duration_threshold_share: float,
        chatbot_slack: tuple[str, str] | None,
        notify_ok: bool,
    ) -> None:
        # AlarmOptions validated each of these (options.py).
        self.alarm_overrides = dict(alarm_overrides or {})
        self.concurrency_limit = int(concurrency_limit)
        self.duration_threshold_share = float(duration_threshold_share)
        self.notify_ok = notify_ok
        #: The key that encrypts the topic watchkeeper created (None with alarm_topic).
        self.topic_key: kms.Key | None = None
        if alarm_topic is None:
            alarm_topic, self.topic_key = create_alarm_topic(self, self.qualified_name)
        #: The SNS topic every alarm action goes to.
        self.topic: sns.ITopic = alarm_topic
        self._topic_arn: str = alarm_topic.topic_arn
        #: Dead-letter queue of the email subscriptions (None without alarm_emails).
        self.alarm_delivery_dlq: sqs.Queue | None = None
        if self.alarm_emails:
            self.alarm_delivery_dlq = create_delivery_dlq(
                self, self.qualified_name, self._topic_arn, self.topic_key
            )
            subscribe_emails(self, self._topic_arn, self.alarm_emails,
                             self.alarm_delivery_dlq.queue_arn)
            # Undelivered notifications are worth a warning, not a service-health page.
            warning = {"dlq_messages": AlarmSettings(severity="warning")}
            archive = self.alarm_delivery_dlq.dead_letter_queue
            assert archive is not None  # create_delivery_dlq always gives it one
            self.monitor_queue(archive.queue, alarms=warning)
            self.monitor_queue(self.alarm_delivery_dlq, is_dead_letter_queue=True,
                               alarms=warning)
        if chatbot_slack is not None:
            connect_slack(self, self.qualified_name, alarm_topic, *chatbot_slack)


def _state_machine_name_of_arn(resolved: Any) -> str | None:
    """The name at the end of a state machine ARN: a literal ARN, or the ``Fn::Join`` that
    ``StateMachine.from_state_machine_name`` makes (partition, region and account are
    references there, the name is not)."""
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        if separator == "" and parts and isinstance(parts[-1], str):
            resolved = parts[-1]
    if isinstance(resolved, str) and ":stateMachine:" in resolved:
        # a version or alias ARN ends in ":<version or alias>" after the name
        return resolved.split(":stateMachine:", 1)[1].split(":", 1)[0] or None
    return None


def _optional_literal(value: Any, option: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{option}={value!r} must be a non-empty string")
    return value


def _imported_function_name(function: lambda_.IFunction) -> str | None:
    name = _literal(function, function.function_name)
    if name:
        return name
    # from_function_name builds the ARN with pseudo parameters and selects the name from
    # it: the literal tail of that ARN is the name.
    arn = cdk.Stack.of(function).resolve(function.function_arn)
    if isinstance(arn, dict) and "Fn::Join" in arn:
        parts = arn["Fn::Join"][1]
        if parts and isinstance(parts[-1], str) and ":function:" in parts[-1]:
            return parts[-1].split(":function:", 1)[1].split(":", 1)[0] or None
    return None
