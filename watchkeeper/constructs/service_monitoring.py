"""ServiceMonitoring: everything a serverless service needs to be observed, in one construct.

How it is built:
- The constructor validates every option and creates the service log group.
- ``monitor_*`` methods register resources at once (validating their options).
- Discovery and everything that needs the complete list of resources (log wiring, metric
  filters, alarms, queries, dashboards) happen in one pass when the app is synthesized,
  through an Aspect on this construct: functions added to the stack after the
  ``ServiceMonitoring`` line are found too, and every builder sees the final picture, so
  dashboards can be split deterministically and the composite alarm knows all children.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct, IValidation

from watchkeeper import schema
from watchkeeper.constructs.alarms.core import WatchkeeperAlarm
from watchkeeper.constructs.alarms.security_alarms import SECURITY_KEY, SERVICE_KEY
from watchkeeper.constructs.app_changes import AppChangeLog
from watchkeeper.constructs.build_steps import BuildSteps
from watchkeeper.constructs.discovery import DiscoverySteps
from watchkeeper.constructs.function_logging import FunctionLoggingSteps
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.log_group_ensurer import LogGroupEnsurer
from watchkeeper.constructs.log_groups import (
    LogGroupSettings,
    create_log_group,
)
from watchkeeper.constructs.log_shipping import (
    LogShippingSettings,
)
from watchkeeper.constructs.logging_setup import ResourceLoggingSteps
from watchkeeper.constructs.metadata import record_metadata
from watchkeeper.constructs.metric_filters import LogMetricFilters
from watchkeeper.constructs.naming import claim_names, resolve_stage
from watchkeeper.constructs.options import (
    AlarmOptions,
    DetectionOptions,
    FunctionLoggingOptions,
    InsightsOptions,
    LogGroupOptions,
    ResourceLoggingOptions,
    ShippingOptions,
    resolve_options,
)
from watchkeeper.constructs.placement import (
    NestedStackPlacement,
    SizeEstimate,
)
from watchkeeper.constructs.queries_and_dashboards import InsightsSettings
from watchkeeper.constructs.registration import RegistrationSteps
from watchkeeper.constructs.resource_logging import (
    ResourceChange,
)
from watchkeeper.constructs.security_detections import SecurityDetections
from watchkeeper.constructs.sizing import SizingSteps
from watchkeeper.constructs.targets import (
    FunctionTarget,
    HttpApiTarget,
    QueueTarget,
    RestApiTarget,
    StateMachineTarget,
    TableTarget,
)
from watchkeeper.constructs.validation import (
    require_pattern,
)

if TYPE_CHECKING:
    # Imported where used (see cdk_internals.loaded_classes): a service without APIs,
    # queues, tables or state machines does not pay for loading these modules.
    pass


@jsii.implements(cdk.IAspect)
class _FinalizeAtSynth:
    """Runs ``ServiceMonitoring._finalize`` once, when the app is synthesized.

    It is attached to an empty child construct rather than to the ServiceMonitoring: an
    aspect is called (from Node into Python) for every construct below the one it is
    attached to, and the hundreds of alarms created below the ServiceMonitoring would
    each cost a round trip.
    """

    def __init__(self, owner: ServiceMonitoring) -> None:
        self._owner = owner

    def visit(self, node: IConstruct) -> None:
        self._owner._finalize()


@jsii.implements(IValidation)
class _SynthProblem:
    """A problem found while building at synth, reported as a CDK validation error (with
    the construct path) instead of an exception from inside the aspect."""

    def __init__(self, message: str) -> None:
        self._message = message

    def validate(self) -> list[str]:
        return [self._message]


class _Registrar:
    """What kind modules may do to a ServiceMonitoring while registering targets
    (``kinds.base.Registrar``)."""

    #: The monitored queues by logical id, once no more can be registered.
    _queues_by_logical_id: dict[str, Any] | None = None

    def __init__(self, owner: ServiceMonitoring) -> None:
        self._owner = owner

    def unique_key(self, text: str) -> str:
        return self._owner._unique_key(text)

    def register(self, kind: str, path: str, target: Any) -> Any:
        return self._owner._register(kind, path, target)

    def note(self, text: str) -> None:
        self._owner._note(text)

    def reference_log_group(self, construct_id: str, name: str) -> logs.ILogGroup:
        return logs.LogGroup.from_log_group_name(self._owner, construct_id, name)

    def lambda_log_group(self, target: Any) -> logs.ILogGroup:
        return self._owner._lambda_log_group(target)

    def add_log_group(self, group: logs.ILogGroup) -> None:
        self._owner.log_groups.append(group)

    def is_alarm_topic(self, resource: Any) -> bool:
        """``resource`` is the topic the service's alarms notify (watchkeeper's own or
        ``AlarmOptions(topic=)``): never monitored as one of the app's topics."""
        topic = self._owner.topic
        if resource.node.path in (topic.node.path, f"{topic.node.path}/Resource"):
            return True
        # an L1 CfnTopic: its Ref is the ARN (the alarm topic may import it by that Ref)
        arn = resource.topic_arn if hasattr(resource, "topic_arn") else getattr(
            resource, "ref", None)
        if arn is None or cdk.Token.is_unresolved(arn) != cdk.Token.is_unresolved(
                topic.topic_arn):
            return False
        if not cdk.Token.is_unresolved(arn):  # two imports of one literal ARN
            return bool(arn == topic.topic_arn)
        same_stack = cdk.Stack.of(resource).node.path == cdk.Stack.of(topic).node.path
        return same_stack and self._owner.stack.resolve(arn) == self._owner.stack.resolve(
            topic.topic_arn)

    def mark_dead_letter_queue(self, logical_id: str, source_label: str) -> bool:
        """Mark the monitored queue whose L1 has ``logical_id`` as a dead-letter queue of
        ``source_label``; False if no monitored queue has it."""
        queues = self._queues_by_logical_id
        if queues is None:
            queues = self._owner.queues_by_logical_id()
            if self._owner._finalized:  # read once per synth, not once per reference
                self._queues_by_logical_id = queues
        target = queues.get(logical_id)
        if target is None:
            return False
        self._owner._mark_dead_letter_queue(target, source_label)
        return True


class ServiceMonitoring(RegistrationSteps, DiscoverySteps, SizingSteps, FunctionLoggingSteps,
                        ResourceLoggingSteps, BuildSteps, Construct):
    """Logging and monitoring for one serverless service.

    :param service_name: required; 1-40 of ``[a-z0-9-]``, used in every name.
    :param stage: the deployment stage (``dev``, ``prod``, a branch), for several stages of
        one service in one account and region: every physical name is then built from
        ``<service>-<stage>`` (``schema.qualified_name``), e.g.
        ``/watchkeeper/orders-prod/functions``, ``Watchkeeper/orders-prod``,
        ``orders-prod-alarms``. ``[a-z0-9-]``, with the service name at most 57 characters;
        ``""``: no stage. Default: the name of the enclosing ``cdk.Stage`` (lower-cased, other
        characters mapped to ``-``), else none (names without a stage).
    :param discover: find every supported resource in the enclosing stack. Default: True.
    :param exclude: constructs never to monitor (with their children). Default: none.
    :param include_cdk_internal_functions: also monitor CDK's own helper functions
        (custom-resource providers, log retention). Default: False.
    :param nested_stacks: put each function's alarms and per-function filters in one of
        16 nested stacks (chosen by a stable hash, so adding a function moves nothing).
        True: always; False: never (synth fails with a clear error if the stack would
        pass 500 resources or 1 MB); None: when the monitoring would take the enclosing
        stack past either limit, with a warning that says so. Default: None (automatic).
    :param log_groups: the log groups watchkeeper creates (retention, encryption, data
        protection, names). Default: ``LogGroupOptions()``.
    :param function_logging: log levels of the app's functions. Default:
        ``FunctionLoggingOptions()``.
    :param resource_logging: logging switched on for APIs and state machines. Default:
        ``ResourceLoggingOptions()``.
    :param shipping: ship every log group to a central destination. Default: None (no
        shipping).
    :param alarms: alarm notifications and shared alarm settings. Default:
        ``AlarmOptions()``.
    :param insights: saved queries, dashboards, field indexes, anomaly detection.
        Default: ``InsightsOptions()``.
    :param detections: the security detections (top offenders, control-plane tampering).
        Default: ``DetectionOptions()``.
    :param deprecated_options: the flat keywords of the first release (``retention=``,
        ``ship_logs_to=``...), deprecated: each warns and maps to its struct field
        (``options.DEPRECATED_KEYWORDS``; README, "Migrating from the flat keywords").
    """

    #: What is below it is watchkeeper's: another ServiceMonitoring of the stack never
    #: discovers its alarm-delivery queues or control-plane rules as the app's.
    WATCHKEEPER_OWNED = True

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        stage: str | None = None,
        discover: bool = True,
        exclude: Sequence[IConstruct] = (),
        include_cdk_internal_functions: bool = False,
        nested_stacks: bool | None = None,
        log_groups: LogGroupOptions | None = None,
        function_logging: FunctionLoggingOptions | None = None,
        resource_logging: ResourceLoggingOptions | None = None,
        shipping: ShippingOptions | None = None,
        alarms: AlarmOptions | None = None,
        insights: InsightsOptions | None = None,
        detections: DetectionOptions | None = None,
        **deprecated_options: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        # ---- Options: the structs (and the deprecated flat keywords) as the values the
        # rest of the constructor reads; the rules live in constructs/options.py. ----
        options = resolve_options("ServiceMonitoring", {
            "log_groups": log_groups, "function_logging": function_logging,
            "resource_logging": resource_logging, "shipping": shipping, "alarms": alarms,
            "insights": insights, "detections": detections, **deprecated_options,
        })
        lg, fl, rl = options.log_groups, options.function_logging, options.resource_logging
        retention, encryption_key = lg.retention, lg.encryption_key
        removal_policy = lg.removal_policy
        data_protection, data_identifiers = lg.data_protection, lg.data_identifiers
        log_group_name, log_group_per_function = lg.service_log_group_name, lg.per_function
        application_log_level, system_log_level = fl.application_log_level, fl.system_log_level
        move_cdk_managed_log_groups = fl.move_cdk_managed_log_groups
        move_functions_with_permissions_boundary = fl.move_functions_with_permissions_boundary
        enable_resource_logging = rl.enabled
        rest_api_execution_logging = rl.rest_api_execution_logging
        rest_api_cloudwatch_role = rl.rest_api_cloudwatch_role
        state_machine_log_level = rl.state_machine_log_level
        state_machine_include_execution_data = rl.state_machine_include_execution_data
        #: AppSync GraphQL API logging (validated by ResourceLoggingOptions).
        self.graphql_field_log_level = rl.graphql_field_log_level
        self.graphql_include_verbose_content = rl.graphql_include_verbose_content
        sh = options.shipping  # None: logs are not shipped
        ship_logs_to = sh.destinations if sh else None
        ship_logs_mode = sh.mode if sh else "subscription-filters"
        ship_logs_filter_pattern = sh.filter_pattern if sh else ""
        ship_referenced_log_groups = sh.include_referenced_log_groups if sh else True
        ship_logs_excluded_log_groups = sh.excluded_log_groups if sh else ()
        al, ins = options.alarms, options.insights
        alarm_emails, alarm_topic, alarm_overrides = al.emails, al.topic, al.overrides
        concurrency_limit = al.concurrency_limit
        duration_threshold_share = al.duration_threshold_share
        chatbot_slack, notify_ok = al.chatbot_slack, al.notify_ok
        saved_queries, extra_queries = ins.saved_queries, ins.extra_queries
        dashboards = ins.dashboards
        dashboard_name_prefix, field_indexes = ins.dashboard_name_prefix, ins.field_indexes
        operations_widgets, security_widgets = ins.operations_widgets, ins.security_widgets
        log_anomaly_detection = ins.log_anomaly_detection
        # ---- end of options ----
        self.service_name: str = require_pattern(
            service_name, "service_name", schema.SERVICE_NAME_RE, schema.SERVICE_NAME_RULE
        )
        #: The stage names are qualified with (None: no stage).
        self.stage: str | None = resolve_stage(self, stage, self.service_name)
        #: ``<service>-<stage>`` or ``<service>``: every physical name is built from it.
        self.qualified_name: str = schema.qualified_name(self.service_name, self.stage)
        # The option structs validated every option (options.py); what follows only keeps
        # their values.
        self.alarm_emails: tuple[str, ...] = tuple(dict.fromkeys(alarm_emails))
        self.application_log_level = application_log_level
        self.system_log_level = system_log_level
        self.move_cdk_managed_log_groups = move_cdk_managed_log_groups
        self.move_functions_with_permissions_boundary = move_functions_with_permissions_boundary
        #: What was changed on the app's own resources (annotated, and in the report).
        self.app_changes = AppChangeLog()
        self.log_settings = LogGroupSettings.build(
            retention=retention,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
            data_protection=data_protection,
            data_identifiers=data_identifiers,
        )
        self.insights_settings = InsightsSettings.build(
            saved_queries=saved_queries,
            extra_queries=extra_queries,
            dashboards=dashboards,
            dashboard_name_prefix=dashboard_name_prefix,
            operations_widgets=operations_widgets,
            security_widgets=security_widgets,
            field_indexes=field_indexes,
            log_anomaly_detection=log_anomaly_detection,
            function_graphs=ins.function_graphs,
        )
        self.discover = bool(discover)
        #: The security detections' options, and what they created (filled at synth).
        self.detection_settings = options.detections
        self.security_detections = SecurityDetections()
        self.enable_resource_logging = bool(enable_resource_logging)
        self.rest_api_execution_logging = rest_api_execution_logging
        self.rest_api_cloudwatch_role = rest_api_cloudwatch_role
        self.state_machine_log_level = state_machine_log_level
        self.state_machine_include_execution_data = bool(state_machine_include_execution_data)
        #: Validated shipping options; None when logs are not shipped.
        self.log_shipping = LogShippingSettings.build(
            ship_logs_to=ship_logs_to,
            mode=ship_logs_mode,
            filter_pattern=ship_logs_filter_pattern,
            ship_referenced_log_groups=ship_referenced_log_groups,
            excluded_log_groups=ship_logs_excluded_log_groups,
        )
        #: Subscription filters created by log shipping.
        self.subscription_filters: list[logs.SubscriptionFilter] = []
        #: The account-level subscription policy (ship_logs_mode="account-policy").
        self.account_subscription_policy: logs.CfnAccountPolicy | None = None
        #: The log group of the API stages' access logs, when one was needed.
        self.api_access_log_group: logs.LogGroup | None = None
        #: Why a monitored resource's logging was left as it was.
        self.resource_logging_notes: list[str] = []
        #: Every change made to a resource of the app, as (kind, resource label, detail):
        #: kinds are ``app_changes.CHANGE_KINDS``. Filled at synth.
        self._resource_changes: list[ResourceChange] = []
        #: The ``AWS::ApiGateway::Account`` created with rest_api_cloudwatch_role="create".
        self.api_gateway_account: Any = None
        self.include_cdk_internal_functions = bool(include_cdk_internal_functions)
        self.log_group_per_function = bool(log_group_per_function)
        self._excluded_paths = tuple(c.node.path for c in exclude)
        self.namespace = schema.metric_namespace(self.qualified_name)

        #: Every log group created or referenced, service log group first.
        self.log_groups: list[logs.ILogGroup] = []
        # The service log group is created when first needed (a function is moved to it,
        # or the app reads ``service_log_group``): a service without such functions gets
        # no empty group, and no filters, queries or panels that would read it.
        self._service_log_group: logs.LogGroup | None = None
        if not self.log_group_per_function:
            # (LogGroupOptions validated a name given, and refuses one with per_function)
            self._service_log_group_display_name = (
                log_group_name if log_group_name is not None
                else schema.service_log_group_name(self.qualified_name))

        self._registrar = _Registrar(self)
        # The targets of every kind (kinds.registry.KINDS), by kind name.
        self._targets: dict[str, list[Any]] = {kind.name: [] for kind in registry.KINDS}
        self.functions: list[FunctionTarget] = self._targets["function"]
        self.http_apis: list[HttpApiTarget] = self._targets["http_api"]
        self.rest_apis: list[RestApiTarget] = self._targets["rest_api"]
        self.queues: list[QueueTarget] = self._targets["queue"]
        self.tables: list[TableTarget] = self._targets["table"]
        self.state_machines: list[StateMachineTarget] = self._targets["state_machine"]
        #: Every alarm created (``aws_cloudwatch.CfnAlarm`` / ``CfnCompositeAlarm``), at synth.
        self.alarms: list[Any] = []
        #: The metric filter sets created, one per log group.
        self.metric_filters: list[LogMetricFilters] = []
        #: The same alarms with what they watch: kind (security / operational /
        #: composite), resource key, check, severity and routing.
        self.alarm_details: list[WatchkeeperAlarm] = []
        #: The dashboards created (``aws_cloudwatch.CfnDashboard``).
        self.dashboards: list[Any] = []
        #: The saved queries created (``aws_logs.CfnQueryDefinition``).
        self.saved_queries: list[Any] = []
        #: The log anomaly detectors created (``aws_logs.CfnLogAnomalyDetector``).
        self.anomaly_detectors: list[Any] = []
        #: Statements added to ``encryption_key``'s policy so that CloudWatch Logs may
        #: encrypt the anomaly detectors with it (none for an imported key), at synth.
        self.anomaly_detector_key_statements: list[Any] = []

        #: Where per-resource resources (alarms, filters) go; MonitoringStack shards them
        #: into nested stacks. None: this construct.
        self._placement: Callable[[Any], Construct] | None = None
        if nested_stacks is not None and not isinstance(nested_stacks, bool):
            raise ValueError(
                f"nested_stacks={nested_stacks!r} must be True (always), False (never) or "
                "None (when the stack would pass its limits)"
            )
        self.nested_stacks = nested_stacks
        #: The placement was switched to nested stacks because of the stack's size.
        self.nested_automatically = False
        #: The size estimate that decided the placement (None: not estimated).
        self.size_estimate: SizeEstimate | None = None
        if nested_stacks:
            placement = NestedStackPlacement(self)
            self._placement = placement.scope_for_target
        #: Imported functions whose /aws/lambda/<name> group is referenced, not created.
        self._referenced_targets: list[FunctionTarget] = []
        #: Creates the referenced groups that do not exist yet, at deploy.
        self.log_group_ensurer = LogGroupEnsurer(self, settings=self.log_settings)
        #: Where each dashboard page goes (by page name); None: under this construct.
        self._dashboard_placement: Callable[[str], Construct] | None = None
        # Every target by its construct path (unique in an app; reading it is one round trip
        # to Node), so registering n resources reads n paths, not n * n.
        self._targets_by_path: dict[str, Any] = {}
        # Keys of the service-wide alarms are reserved: no resource may take them.
        self._keys: set[str] = {SERVICE_KEY, SECURITY_KEY}
        self._finalized = False
        # (role address, log group) pairs already granted, so a shared role gets one grant.
        self._granted_roles: set[tuple[str, str]] = set()
        self._configure_alarms(
            alarm_topic=alarm_topic,
            alarm_overrides=alarm_overrides,
            concurrency_limit=concurrency_limit,
            duration_threshold_share=duration_threshold_share,
            chatbot_slack=chatbot_slack,
            notify_ok=notify_ok,
        )
        claim_names(self, qualified_name=self.qualified_name,
                    log_group_per_function=self.log_group_per_function,
                    log_group_name=log_group_name, dashboards=dashboards,
                    dashboard_name_prefix=dashboard_name_prefix)
        cdk.Aspects.of(Construct(self, "Finalize")).add(_FinalizeAtSynth(self))

    # ----------------------------------------------------------------------------------
    # Registration
    # ----------------------------------------------------------------------------------


    # ----------------------------------------------------------------------------------
    # Internals
    # ----------------------------------------------------------------------------------

    @property
    def service_log_group(self) -> logs.LogGroup | None:
        """The log group the service's functions write to (None with
        ``log_group_per_function``). Created on first access, so a function of the app may
        be given it as ``log_group=``; when nothing reads it before synth and no function
        is moved to it, it is not created (and is None after synth)."""
        if self._service_log_group is None and not self._finalized:
            return self._create_service_log_group()
        return self._service_log_group

    def _create_service_log_group(self) -> logs.LogGroup | None:
        if self._service_log_group is None and not self.log_group_per_function:
            self._service_log_group = create_log_group(
                self,
                "ServiceLogGroup",
                name=self._service_log_group_display_name,
                settings=self.log_settings,
                purpose=f"the logs of service {self.service_name}",
            )
            # "service log group first"
            self.log_groups.insert(0, self._service_log_group)
        return self._service_log_group

    def scope_for(self, target: Any) -> Construct:
        """The construct under which resources that belong to one target are created."""
        return self._placement(target) if self._placement is not None else self

    def scope_for_log_group(self, target: Any) -> Construct:
        """Where a per-function log group is created: with its function's other resources
        when the placement is fixed (nested_stacks=True, MonitoringStack), else in the
        enclosing stack. A named, retained log group must never move between stacks
        (it fails with "already exists"), and the automatic placement may switch."""
        if self.nested_automatically:
            return self
        return self.scope_for(target)

    def _check_open(self, method: str) -> None:
        if self._finalized:
            raise RuntimeError(
                f"{method}() was called after the app was synthesized; call it while "
                "building the stack"
            )


    #: The enclosing stack holds nothing but this monitoring (``MonitoringStack``): every
    #: resource of it counts as watchkeeper's in the report. Set by ``use_placement``.
    owns_stack: bool = False

    def use_placement(self, *, scope_for_target: Callable[[Any], Construct] | None = None,
                      scope_for_dashboard: Callable[[str], Construct] | None = None,
                      owns_stack: bool = False) -> None:
        """Place the resources of each target (alarms, filters, per-function log groups)
        and each dashboard page somewhere other than under this construct, e.g. in nested
        stacks (``MonitoringStack`` passes its ``NestedStackPlacement``).

        :param scope_for_target: the construct for a target's resources. Default: None
            (as ``nested_stacks`` decides).
        :param scope_for_dashboard: the construct for a dashboard page, by page name.
            Default: None (under this construct).
        :param owns_stack: the enclosing stack is this monitoring's alone, so everything in
            it is attributed to watchkeeper (``watchkeeper report``). Default: False (only
            what is under this construct).
        """
        self._check_open("use_placement")
        self.owns_stack = bool(owns_stack)
        if scope_for_target is not None:
            self._placement = scope_for_target
        if scope_for_dashboard is not None:
            self._dashboard_placement = scope_for_dashboard


    def _finalize(self) -> None:
        """Everything that needs the complete picture, once, at synth. A problem found
        here (a value only known now is not allowed) fails the synth as a CDK validation
        error naming this construct's path; options given to the constructor or to
        ``monitor_*`` are checked when they are given."""
        if self._finalized:
            return
        try:
            self._build_at_synth()
        except ValueError as problem:
            self._finalized = True
            self.node.add_validation(_SynthProblem(f"watchkeeper: {problem}"))

    def _build_at_synth(self) -> None:
        found = self._scan()
        if self.discover:
            self._discover(found)
        self._finalized = True
        self._apply_stack_facts(found)
        self._decide_placement()
        self._wire_function_logging(found)
        self._build_metric_filters()
        self._switch_on_resource_logging()
        for kind, resource, detail in self._resource_changes:
            self.app_changes.record(kind, resource, detail)
        self._ship_logs()
        model = self._model()
        self._build_alarms(model)
        self._protect_alarms_that_may_move()
        self._build_security_detections(model)
        self._build_queries_and_dashboards(model)
        self._record_key_changes()
        self.app_changes.annotate(self)
        record_metadata(self, model, self.app_changes.as_metadata(),
                        self.security_detections.as_metadata(), whole_stack=self.owns_stack)
        if self.nested_stacks is False:
            self._check_stack_fits()
