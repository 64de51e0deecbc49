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

import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct, Node

from watchkeeper import schema
from watchkeeper.constructs import resource_logging
from watchkeeper.constructs.alarms.build import build_alarms, plan_all
from watchkeeper.constructs.alarms.core import WatchkeeperAlarm
from watchkeeper.constructs.alarms.function_alarms import (
    validate_concurrency_threshold,
    validate_duration_threshold,
)
from watchkeeper.constructs.alarms.security_alarms import SECURITY_KEY, SERVICE_KEY
from watchkeeper.constructs.alarms.settings import AlarmSettings, validate_overrides
from watchkeeper.constructs.alarms.topic import (
    connect_slack,
    create_alarm_topic,
    create_delivery_dlq,
    subscribe_emails,
)
from watchkeeper.constructs.app_changes import AppChangeLog
from watchkeeper.constructs.cdk_modules import loaded_classes
from watchkeeper.constructs.log_group_ensurer import PROVIDER_ID, LogGroupEnsurer
from watchkeeper.constructs.log_groups import (
    DEFAULT_DATA_IDENTIFIERS,
    DEFAULT_RETENTION_DAYS,
    LogGroupSettings,
    create_log_group,
    validate_log_group_name,
)
from watchkeeper.constructs.log_shipping import (
    LogShippingSettings,
    create_account_subscription_policy,
    destination_arns,
    references_to,
    ship_log_groups,
)
from watchkeeper.constructs.metric_filters import LogMetricFilters
from watchkeeper.constructs.placement import (
    RETAIN_MARGIN_RESOURCES,
    NestedStackPlacement,
    SizeEstimate,
)
from watchkeeper.constructs.queries_and_dashboards import InsightsSettings
from watchkeeper.constructs.queries_and_dashboards import build as build_queries_and_dashboards
from watchkeeper.constructs.security_detections import METADATA_KEY as DETECTIONS_METADATA_KEY
from watchkeeper.constructs.security_detections import (
    DetectionSettings,
    SecurityDetections,
    build_security_detections,
)
from watchkeeper.constructs.targets import (
    FunctionTarget,
    HttpApiTarget,
    QueueTarget,
    RestApiTarget,
    StateMachineTarget,
    TableTarget,
    slugify,
)
from watchkeeper.constructs.validation import (
    require_emails,
    require_number,
    require_one_of,
    require_pattern,
)
from watchkeeper.dashboard_layout import Widget
from watchkeeper.limits import MAX_RESOURCES_PER_TEMPLATE
from watchkeeper.log_metrics import COMPACT_METRIC_NAMES, LOG_METRICS
from watchkeeper.queries import CATALOGUE, SavedQuery

if TYPE_CHECKING:
    # Imported where used (see cdk_modules): a service without APIs, queues, tables or
    # state machines does not pay for loading these modules.
    from aws_cdk import aws_apigateway as apigateway
    from aws_cdk import aws_apigatewayv2 as apigatewayv2
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_sqs as sqs
    from aws_cdk import aws_stepfunctions as sfn

#: Construct ids of functions that CDK itself adds (custom-resource providers, log
#: retention, bucket deployment and notification handlers): not part of the service.
_CDK_INTERNAL_FUNCTION_ID = re.compile(
    r"^(SingletonLambda|AWS679f53fac002430cb0da5b7982bd2287|LogRetention|"
    r"BucketNotificationsHandler|CustomCDKBucketDeployment|framework-on|"
    r"CustomResourceProvider|Custom::|" + PROVIDER_ID + ")"
)


#: Resources one monitored target can add at most (a function: 10 alarms, 3 metric
#: filters, its log group, 2 subscription filters), for the first, rough size estimate.
_MOST_RESOURCES_PER_TARGET = 20


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


@jsii.implements(cdk.IStableListProducer)
class _CreatedResources:
    """The logical ids of what a ServiceMonitoring created in its stack, at synth.

    Every CloudFormation resource under it in its own stack, which includes the resource of
    each nested stack it created (everything in those templates is watchkeeper's too); in
    a MonitoringStack, every resource of the stack, since the stack is watchkeeper's.
    """

    def __init__(self, monitoring: ServiceMonitoring) -> None:
        self._monitoring = monitoring

    def produce(self) -> list[str] | None:
        stack = self._monitoring.stack
        whole_stack = getattr(stack, "monitoring", None) is self._monitoring
        root = stack if whole_stack else self._monitoring
        return [
            node.logical_id
            for node in root.node.find_all()
            if isinstance(node, cdk.CfnResource) and cdk.Stack.of(node) is stack
        ]


class ServiceMonitoring(Construct):
    """Logging and monitoring for one serverless service.

    :param service_name: required; 1-40 of ``[a-z0-9-]``, used in every name.
    :param stage: the deployment stage (``dev``, ``prod``, a branch), for several stages of
        one service in one account and region: every physical name is then built from
        ``<service>-<stage>`` (``schema.qualified_name``), e.g.
        ``/watchkeeper/orders-prod/functions``, ``Watchkeeper/orders-prod``,
        ``orders-prod-alarms``. ``[a-z0-9-]``, with the service name at most 57 characters;
        ``""``: no stage. Default: the name of the enclosing ``cdk.Stage`` (lower-cased, other
        characters mapped to ``-``), else none (names without a stage).
    :param alarm_emails: email addresses subscribed to the alarm topic. Default: none.
    :param discover: find every supported resource in the enclosing stack. Default: True.
    :param exclude: constructs never to monitor (with their children). Default: none.
    :param include_cdk_internal_functions: also monitor CDK's own helper functions
        (custom-resource providers, log retention). Default: False.
    :param log_group_per_function: give every owned function its own group
        ``/watchkeeper/<service>/functions/<key>`` instead of the one service log group.
        Default: False.
    :param log_group_name: name of the service log group. Default:
        ``/watchkeeper/<service>/functions``.
    :param retention: days to keep logs (a value CloudWatch accepts, a
        ``logs.RetentionDays``, or None to never expire). Default: 365.
    :param encryption_key: customer-managed KMS key for the log groups. Default: none
        (CloudWatch Logs' own encryption).
    :param removal_policy: what happens to created log groups when removed from the
        stack. Default: ``RemovalPolicy.RETAIN`` (logs are evidence).
    :param data_protection: mask credentials with a data protection policy. Default: True.
    :param data_identifiers: managed data identifiers to mask. Default: AWS secret keys
        and private keys (OpenSSH, PGP, PKCS, PuTTY).
    :param application_log_level: Lambda ApplicationLogLevel of owned functions
        (TRACE, DEBUG, INFO, WARN, ERROR, FATAL). Default: INFO.
    :param nested_stacks: put each function's alarms and per-function filters in one of
        16 nested stacks (chosen by a stable hash, so adding a function moves nothing).
        True: always; False: never (synth fails with a clear error if the stack would
        pass 500 resources or 1 MB); None: when the monitoring would take the enclosing
        stack past either limit, with a warning that says so. Default: None (automatic).
    :param system_log_level: Lambda SystemLogLevel (DEBUG or INFO). Default: INFO,
        because the platform records that the timeout, out-of-memory and cold-start
        metrics read (``platform.report``, ``platform.initStart``) are INFO records; WARN
        is refused for that reason.
    :param move_cdk_managed_log_groups: with the ``@aws-cdk/aws-lambda:useCdkManagedLogGroup``
        feature flag, CDK gives every function a ``/aws/lambda/<name>`` group of its own;
        True moves such functions into the service log group anyway (CDK's group stays in
        the template with the logs it holds). Default: False (the app's group is kept, with
        the compact filters on it).
    :param saved_queries: save the query catalogue (``watchkeeper.queries``) as Logs
        Insights query definitions ``<service>/<name>``. Default: True.
    :param extra_queries: more ``SavedQuery``s to save next to the catalogue; each is
        checked by ``watchkeeper.insights``. Default: none.
    :param dashboards: create the operations and the security dashboard. Default: True.
    :param dashboard_name_prefix: dashboard names are ``<prefix>-operations`` and
        ``<prefix>-security`` (``-2``... when split). Default: the qualified name
        (``<service>`` or ``<service>-<stage>``).
    :param operations_widgets: ``dashboard_layout.Widget``s appended to the operations
        dashboard. Default: none.
    :param security_widgets: ``Widget``s appended to the security dashboard. Default: none.
    :param field_indexes: field index policy on the log groups this construct creates:
        True indexes requestId, userId, event, sourceIp and function_request_id; a list
        names the fields (at most 20); False none. Default: True (no charge of its own;
        it cuts what forensics queries scan).
    :param log_anomaly_detection: a CloudWatch Logs anomaly detector on each log group
        this construct creates. Default: False (see docs/queries-and-dashboards.md).
    :param enable_resource_logging: switch logging on where it is off: JSON access logs
        on every stage of monitored HTTP and REST APIs (to
        ``/watchkeeper/<service>/api-access``, with an ``EdgeAuthenticationFailures``
        metric) and execution logs of monitored state machines (to
        ``/aws/vendedlogs/states/<service>-<key>``). Only resources defined in this app
        are changed. Default: True.
        REST API stages are changed only when the account has API Gateway's CloudWatch
        Logs role (see ``rest_api_cloudwatch_role``).
    :param rest_api_execution_logging: execution logging level set on REST API stages
        that have none: ``ERROR``, ``INFO`` or None (leave off). Default: ``ERROR``.
    :param rest_api_cloudwatch_role: how to know that the account has API Gateway's
        CloudWatch Logs role, which REST API access and execution logging need (without
        it the deploy fails): ``detect`` switches REST API logging on only when the app
        sets the role (an ``AWS::ApiGateway::Account`` for this account and region, e.g.
        a RestApi with ``cloud_watch_role=True``) and otherwise leaves the stages as they
        are, with a synth warning; ``account-has-role``: the account has it already;
        ``create``: set it here (a role and an ``AWS::ApiGateway::Account``, once per app
        and region; account-wide, it replaces a role set before and stays when the stack
        is deleted). Default: ``detect``. HTTP APIs need no such role.
    :param state_machine_log_level: ``ALL``, ``ERROR`` or ``FATAL``. Default: ``ALL``.
    :param state_machine_include_execution_data: log state inputs and outputs.
        Default: False (payloads often hold personal data and secrets).
    :param ship_logs_to: central destination(s) for every log group of the service: a
        Kinesis/Firehose/Lambda destination of ``aws_logs_destinations``, a
        ``CrossAccountDestination`` or its ARN, a ``CentralLogArchive``, or a list of at
        most two. Default: None (no shipping).
    :param ship_logs_mode: ``subscription-filters`` (one filter per log group and
        destination) or ``account-policy`` (one account-wide subscription policy: an
        account decision, see docs/log-shipping.md). Default: ``subscription-filters``.
    :param ship_logs_filter_pattern: which events to ship. Default: "" (all).
    :param ship_referenced_log_groups: also subscribe log groups watchkeeper only
        references (``/aws/lambda/<name>`` of imported functions); a group that already
        has two filters outside the app then fails the deployment. Default: True.
    :param ship_logs_excluded_log_groups: account-policy mode: log groups never
        subscribed (the destination's own logs, to avoid loops). Default: none.
    :param alarm_topic: an SNS topic of your own for alarm actions. Default: a topic
        ``<qualified name>-alarms`` created here, encrypted with a new customer-managed KMS key
        (rotation on) that CloudWatch may use, TLS enforced.
    :param alarm_overrides: ``{"<kind>.<check>": AlarmSettings(...)}`` applied to every
        resource of that kind (e.g. ``"function.errors"``, ``"queue.age"``,
        ``"security.authz_failures"``); ``AlarmSettings(enabled=False)`` switches a check
        off. Per resource: ``monitor_*(..., alarms={"<check>": AlarmSettings(...)})``.
        Default: none (docs/alarms.md lists every default).
    :param concurrency_limit: the account's regional Lambda concurrency quota; the
        account concurrency alarm fires at 90% of it. Default: 1000 (the default quota).
    :param duration_threshold_share: the p90 duration alarm of a function fires above
        this share of its timeout, 0.1 to 1. Default: 0.8.
    :param chatbot_slack: ``(workspace_id, channel_id)``: post alarm notifications to a
        Slack channel through AWS Chatbot (the workspace must be authorised in the
        Chatbot console once). Default: none.
    :param notify_ok: also notify when an alarm returns to OK. Default: True.
    :param top_offenders: Contributor Insights rules on the function logs that rank
        authentication and authorisation failures by source IP and by user, with their top-N
        widgets on the security dashboard and alarms on one contributor
        (``security.top_*`` checks of ``alarm_overrides``). Default: True ($0.50 per rule per
        month, 4 rules, plus $0.02 per million matching log events).
    :param control_plane_tampering: an EventBridge rule on CloudTrail management events
        that change or delete the service's functions, log groups, metric and subscription
        filters, alarms or dashboards, notifying the alarm topic. Needs a CloudTrail trail
        recording management events. Default: True (the rule is free; SNS deliveries).
    :param cloudtrail_log_group: the log group a CloudTrail trail delivers to: the security
        dashboard's "what changed in the control plane" widget then lists the changes
        (Logs Insights) instead of counting the rule's matches. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        stage: str | None = None,
        alarm_emails: Sequence[str] | None = None,
        discover: bool = True,
        exclude: Sequence[IConstruct] = (),
        include_cdk_internal_functions: bool = False,
        log_group_per_function: bool = False,
        log_group_name: str | None = None,
        retention: int | logs.RetentionDays | None = DEFAULT_RETENTION_DAYS,
        encryption_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        data_protection: bool = True,
        data_identifiers: Sequence[str | logs.DataIdentifier] = DEFAULT_DATA_IDENTIFIERS,
        application_log_level: str = "INFO",
        system_log_level: str = "INFO",
        move_cdk_managed_log_groups: bool = False,
        nested_stacks: bool | None = None,
        saved_queries: bool = True,
        extra_queries: Sequence[SavedQuery] | None = None,
        dashboards: bool = True,
        dashboard_name_prefix: str | None = None,
        operations_widgets: Sequence[Widget] | None = None,
        security_widgets: Sequence[Widget] | None = None,
        field_indexes: bool | Sequence[str] = True,
        log_anomaly_detection: bool = False,
        enable_resource_logging: bool = True,
        rest_api_execution_logging: str | None = "ERROR",
        rest_api_cloudwatch_role: str = "detect",
        state_machine_log_level: str = "ALL",
        state_machine_include_execution_data: bool = False,
        ship_logs_to: Any = None,
        ship_logs_mode: str = "subscription-filters",
        ship_logs_filter_pattern: str = "",
        ship_referenced_log_groups: bool = True,
        ship_logs_excluded_log_groups: Sequence[str] = (),
        alarm_topic: sns.ITopic | None = None,
        alarm_overrides: dict[str, AlarmSettings] | None = None,
        concurrency_limit: int = 1000,
        duration_threshold_share: float = 0.8,
        chatbot_slack: tuple[str, str] | None = None,
        notify_ok: bool = True,
        top_offenders: bool = True,
        control_plane_tampering: bool = True,
        cloudtrail_log_group: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.service_name: str = require_pattern(
            service_name, "service_name", schema.SERVICE_NAME_RE, schema.SERVICE_NAME_RULE
        )
        #: The stage names are qualified with (None: no stage).
        self.stage: str | None = _resolve_stage(self, stage, self.service_name)
        #: ``<service>-<stage>`` or ``<service>``: every physical name is built from it.
        self.qualified_name: str = schema.qualified_name(self.service_name, self.stage)
        self.alarm_emails: tuple[str, ...] = require_emails(alarm_emails, "alarm_emails")
        self.application_log_level = require_one_of(
            application_log_level, "application_log_level", schema.APPLICATION_LOG_LEVELS
        )
        self.system_log_level = require_one_of(
            system_log_level, "system_log_level", schema.SYSTEM_LOG_LEVELS
        )
        if self.system_log_level == "WARN":
            raise ValueError(
                "system_log_level='WARN' would switch off the Timeouts, OutOfMemory and "
                "ColdStarts metrics and their alarms: Lambda writes the platform.report "
                "records they read at INFO. Use 'INFO' (the default) or 'DEBUG'"
            )
        if not isinstance(move_cdk_managed_log_groups, bool):
            raise ValueError(
                f"move_cdk_managed_log_groups={move_cdk_managed_log_groups!r} must be True "
                "or False"
            )
        self.move_cdk_managed_log_groups = move_cdk_managed_log_groups
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
        )
        self.discover = bool(discover)
        #: The security detections' options, and what they created at synth.
        self.detection_settings = DetectionSettings.build(
            top_offenders=top_offenders, control_plane_tampering=control_plane_tampering,
            cloudtrail_log_group=cloudtrail_log_group)
        self.security_detections = SecurityDetections()
        self.enable_resource_logging = bool(enable_resource_logging)
        if rest_api_execution_logging is not None:
            require_one_of(
                rest_api_execution_logging,
                "rest_api_execution_logging",
                resource_logging.REST_EXECUTION_LOGGING_LEVELS,
            )
        self.rest_api_execution_logging = rest_api_execution_logging
        self.rest_api_cloudwatch_role = require_one_of(
            rest_api_cloudwatch_role,
            "rest_api_cloudwatch_role",
            schema.REST_API_CLOUDWATCH_ROLE_OPTIONS,
        )
        self.state_machine_log_level = require_one_of(
            state_machine_log_level, "state_machine_log_level",
            resource_logging.STATE_MACHINE_LOG_LEVELS,
        )
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
        self._resource_changes: list[resource_logging.ResourceChange] = []
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
            name = validate_log_group_name(
                log_group_name
                if log_group_name is not None
                else schema.service_log_group_name(self.qualified_name),
                "log_group_name",
            )
            self._service_log_group_display_name = name
        elif log_group_name is not None:
            raise ValueError(
                f"log_group_name={log_group_name!r} cannot be combined with "
                "log_group_per_function=True (each function then has a group of its own)"
            )

        self.functions: list[FunctionTarget] = []
        self.http_apis: list[HttpApiTarget] = []
        self.rest_apis: list[RestApiTarget] = []
        self.queues: list[QueueTarget] = []
        self.tables: list[TableTarget] = []
        self.state_machines: list[StateMachineTarget] = []
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
        _claim_names(self, log_group_name=log_group_name, dashboards=dashboards,
                     dashboard_name_prefix=dashboard_name_prefix)
        cdk.Aspects.of(Construct(self, "Finalize")).add(_FinalizeAtSynth(self))

    # ----------------------------------------------------------------------------------
    # Registration
    # ----------------------------------------------------------------------------------

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
        overrides = validate_overrides(alarms, "alarms", kind="function")
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
        if owned:
            # All properties in one round trip to Node instead of one per property.
            props = cfn._cfn_properties
            given_name = props.get("functionName")
            literal_name = (
                given_name if isinstance(given_name, str) and not _is_token(given_name) else None
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
        return self._register(self.http_apis, path, target)

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
        return self._register(self.rest_apis, path, target)

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
            target = self._register(self.queues, path, QueueTarget(
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
            self._mark_dead_letter_queue(dlq_target, target.key, target.label)
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
        return self._register(self.tables, path, TableTarget(
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
        return self._register(self.state_machines, path, StateMachineTarget(
            key=self._unique_key(name or state_machine.node.id),
            label=name or state_machine.node.path,
            state_machine_arn=state_machine.state_machine_arn,
            state_machine=state_machine,
            alarm_overrides=overrides,
        ))

    # ----------------------------------------------------------------------------------
    # Internals
    # ----------------------------------------------------------------------------------

    @property
    def stack(self) -> cdk.Stack:
        return cdk.Stack.of(self)

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
        self.alarm_overrides = validate_overrides(alarm_overrides, "alarm_overrides")
        self.concurrency_limit = int(require_number(
            concurrency_limit, "concurrency_limit", minimum=10, maximum=1_000_000, integer=True
        ))
        self.duration_threshold_share = float(require_number(
            duration_threshold_share, "duration_threshold_share", minimum=0.1, maximum=1
        ))
        if not isinstance(notify_ok, bool):
            raise ValueError(f"notify_ok={notify_ok!r} must be True or False")
        self.notify_ok = notify_ok
        if chatbot_slack is not None and (
            not isinstance(chatbot_slack, tuple | list) or len(chatbot_slack) != 2
            or not all(isinstance(v, str) and v for v in chatbot_slack)
        ):
            raise ValueError(
                f"chatbot_slack={chatbot_slack!r} must be (workspace_id, channel_id), e.g. "
                "('T0123ABCD', 'C0123ABCD')"
            )
        if alarm_topic is not None and not hasattr(alarm_topic, "topic_arn"):
            raise ValueError(f"alarm_topic={alarm_topic!r} must be an aws_sns.ITopic")
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
        overrides = validate_overrides(alarms, "alarms", kind=kind)
        path = resource.node.path
        existing = self._targets_by_path.get(path)
        if existing is not None:
            existing.alarm_overrides.update(overrides)
        return path, overrides, existing

    def _register(self, targets: list[Any], path: str, target: Any) -> Any:
        targets.append(target)
        self._targets_by_path[path] = target
        return target

    @staticmethod
    def _mark_dead_letter_queue(target: QueueTarget, source_key: str | None,
                                source_label: str) -> None:
        target.is_dead_letter_queue = True
        target.source_key = target.source_key or source_key
        target.source_label = target.source_label or source_label

    def _unique_key(self, text: str) -> str:
        base = slugify(text, 48)
        key, n = base, 2
        while key in self._keys:
            key, n = f"{base}-{n}", n + 1
        self._keys.add(key)
        return key

    def _is_excluded(self, node: IConstruct) -> bool:
        return self._is_excluded_path(node.node.path)

    def _is_excluded_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self._excluded_paths)


    def _scan(self) -> dict[str, list[Any]]:
        """One walk over the stack: resources to discover and facts about functions."""
        found: dict[str, list[Any]] = {k: [] for k in (
            "functions", "http_apis", "rest_apis", "queues", "tables", "state_machines",
            "event_source_mappings", "event_invoke_configs", "permissions",
            "metric_filters", "subscription_filters", "query_definitions", "app_dashboards",
            "sns_subscriptions", "event_rules", "buckets", "plain_resources",
            *_L1_BUCKETS, "nested_stack_prefixes")}
        stack = self.stack
        nodes = stack.node.find_all()
        # After find_all, every type in the tree has its module loaded (cdk_modules).
        kinds = [(classes, bucket) for classes, bucket in (
            ((lambda_.Function,), "functions"),
            (loaded_classes("aws_apigatewayv2", "HttpApi"), "http_apis"),
            (loaded_classes("aws_apigateway", "RestApiBase"), "rest_apis"),
            (loaded_classes("aws_sqs", "Queue"), "queues"),
            (loaded_classes("aws_dynamodb", "Table", "TableV2"), "tables"),
            (loaded_classes("aws_stepfunctions", "StateMachine"), "state_machines"),
            ((lambda_.CfnEventSourceMapping,), "event_source_mappings"),
            ((lambda_.CfnEventInvokeConfig,), "event_invoke_configs"),
            ((lambda_.CfnPermission,), "permissions"),
            # The app's own log monitoring, which must follow logs that move.
            ((logs.CfnMetricFilter,), "metric_filters"),
            ((logs.CfnSubscriptionFilter,), "subscription_filters"),
            ((logs.CfnQueryDefinition,), "query_definitions"),
            (loaded_classes("aws_cloudwatch", "CfnDashboard"), "app_dashboards"),
            # What invokes a function asynchronously (with the permissions above).
            ((sns.CfnSubscription,), "sns_subscriptions"),
            (loaded_classes("aws_events", "CfnRule"), "event_rules"),
            (loaded_classes("aws_s3", "CfnBucket"), "buckets"),
            # L1s: those that are the default child of an L2 above are dropped in
            # _discover (found through their L2), the others are monitored themselves.
            ((lambda_.CfnFunction,), "cfn_functions"),
            (loaded_classes("aws_apigatewayv2", "CfnApi"), "cfn_http_apis"),
            (loaded_classes("aws_apigateway", "CfnRestApi"), "cfn_rest_apis"),
            (loaded_classes("aws_sqs", "CfnQueue"), "cfn_queues"),
            (loaded_classes("aws_dynamodb", "CfnTable", "CfnGlobalTable"), "cfn_tables"),
            (loaded_classes("aws_stepfunctions", "CfnStateMachine"), "cfn_state_machines"),
        ) if classes]
        resources: list[cdk.CfnResource] = []
        for node in nodes:
            if isinstance(node, cdk.Stack):
                if node is not stack:
                    found["nested_stack_prefixes"].append(node.node.path + "/")
                continue
            # Counted for the size estimate (a Python-side isinstance: no round trip).
            if isinstance(node, cdk.CfnResource):
                resources.append(node)
                # Custom resources (S3 bucket notifications among them) are plain
                # CfnResources; their type is read later, only when it matters.
                if type(node) is cdk.CfnResource:
                    found["plain_resources"].append(node)
                    continue
            for classes, bucket in kinds:
                if isinstance(node, classes):
                    found[bucket].append(node)
                    break
        prefixes = found["nested_stack_prefixes"]
        #: Resources in the enclosing stack's own template before the monitoring is built.
        self._resources_in_stack = len(resources) if not prefixes else sum(
            1 for r in resources if not any(r.node.path.startswith(p) for p in prefixes)
        )
        return found

    def _discover(self, found: dict[str, list[Any]]) -> None:
        own_prefix = self.node.path + "/"
        # Paths of every L2 found: an L1 directly below one is its default child.
        l2_paths: set[str] = set()

        def wanted(node: IConstruct) -> tuple[Node, str] | None:
            """(node, path) of the construct if it is to be monitored (each read is a
            round trip to Node: monitor_function reuses them)."""
            # This construct's own resources (the alarm delivery queues) are never
            # discovered: the ones worth watching are registered where they are created.
            info = node.node
            path = info.path
            l2_paths.add(path)
            keep = (not path.startswith(own_prefix)
                    and not self._is_excluded_path(path)
                    # in this stack, not in one of its nested stacks
                    and not any(path.startswith(p) for p in found["nested_stack_prefixes"])
                    and (self.include_cdk_internal_functions
                         or not isinstance(node, lambda_.Function)
                         or not _CDK_INTERNAL_FUNCTION_ID.match(path.rsplit("/", 1)[-1]))
                    and path not in self._targets_by_path)
            return (info, path) if keep else None

        for node in found["functions"]:
            known = wanted(node)
            if known is not None:
                self._monitor_function(node, known)
        for kind, method in (
            ("http_apis", self.monitor_http_api),
            ("rest_apis", self.monitor_rest_api),
            ("queues", self.monitor_queue),
            ("tables", self.monitor_table),
            ("state_machines", self.monitor_state_machine),
        ):
            for node in found[kind]:
                if wanted(node) is not None:
                    method(node)
        if any(found[bucket] for bucket in _L1_BUCKETS):
            self._discover_l1(found, wanted, l2_paths)

    def _discover_l1(self, found: dict[str, list[Any]],
                     wanted: Callable[[IConstruct], tuple[Node, str] | None],
                     l2_paths: set[str]) -> None:
        """Resources written as L1s (``CfnFunction``, ``CfnApi``, ...) without an L2.

        The L1 below an L2 is found through the L2 and never counted twice: the default
        children of the functions registered so far are known by their jsii object
        reference (no round trip to Node, which matters for stacks of hundreds of
        functions); any other L1 whose parent is an L2 found by ``_scan`` (an excluded or
        CDK-internal function, too) is skipped by its path, and an L1 that a monitored
        import references (``Table.from_table_name(cfn.ref)``) by its logical id.
        """
        claimed = {_object_key(t.cfn) for t in self.functions if t.cfn is not None}
        stack = self.stack
        # Logical ids that monitored resources reference (an L1 the app monitors through
        # an import, e.g. Table.from_table_name(cfn.ref)): read only when an L1 is left.
        referenced: set[str] | None = None
        for bucket, register in (
            ("cfn_functions", self._monitor_cfn_function),
            ("cfn_http_apis", self._monitor_cfn_api),
            ("cfn_rest_apis", self._monitor_cfn_rest_api),
            ("cfn_queues", self._monitor_cfn_queue),
            ("cfn_tables", self._monitor_cfn_table),
            ("cfn_state_machines", self._monitor_cfn_state_machine),
        ):
            for node in found[bucket]:
                if _object_key(node) in claimed:
                    continue
                known = wanted(node)
                if known is None or known[1].rsplit("/", 1)[0] in l2_paths:
                    continue
                if referenced is None:
                    referenced = self._referenced_logical_ids()
                if stack.resolve(node.logical_id) not in referenced:
                    register(node, known[1])

    def _referenced_logical_ids(self) -> set[str]:
        """Logical ids that the names, ids and ARNs of the monitored resources reference."""
        stack = self.stack
        values: list[Any] = [
            *(t.function_name for t in self.functions),
            *(t.api_id for t in self.http_apis),
            *(t.queue_name for t in self.queues),
            *(t.table_name for t in self.tables),
            *(t.state_machine_arn for t in self.state_machines),
        ]
        found: set[str] = set()
        for value in values:
            if isinstance(value, str) and _is_token(value):
                _collect_logical_ids(stack.resolve(value), found)
        return found

    def _monitor_cfn_function(self, cfn: lambda_.CfnFunction, path: str) -> None:
        """A ``CfnFunction``: monitored by its name; its logging configuration is left as
        the app wrote it (its role is the app's to grant), and the compact metric filters
        go on the group it logs to."""
        props = cfn._cfn_properties
        literal_name = _literal(cfn, props.get("functionName"))
        config = _logging_config_dict(cfn, props.get("loggingConfig"))
        target = FunctionTarget(
            key=self._unique_key(literal_name or path.rsplit("/", 1)[-1]),
            label=literal_name or path,
            function_name=literal_name or cfn.ref,  # Ref: the function's name
            function=cfn,
            owned=False,
            timeout_seconds=_int_or_none(props.get("timeout")) or 3,
            reserved_concurrency=_int_or_none(props.get("reservedConcurrentExecutions")),
            memory_mb=_int_or_none(props.get("memorySize")) or 128,
            has_dead_letter=props.get("deadLetterConfig") is not None,
            cfn=cfn,
            logging_config=props.get("loggingConfig"),
            log_format="JSON" if config.get("logFormat") == "JSON" else "Text",
        )
        app_group = config.get("logGroup")
        if app_group:
            group = logs.LogGroup.from_log_group_name(self, f"{target.key}-AppLogGroup",
                                                      app_group)
        else:
            group = self._lambda_log_group(target)
        target.log_group_name = group.log_group_name
        self.log_groups.append(group)
        self.functions.append(target)
        self._targets_by_path[path] = target

    def _monitor_cfn_api(self, cfn: Any, path: str) -> None:
        """An ``apigatewayv2.CfnApi``: an HTTP API is monitored by its id (a Ref), on its
        ``$default`` stage or its only stage; a WebSocket API is named in a note."""
        props = cfn._cfn_properties
        name = _literal(cfn, props.get("name"))
        label = name or path
        protocol = _literal(cfn, props.get("protocolType"))
        if protocol == "WEBSOCKET":
            self._note(f"WebSocket API {label}: not monitored (watchkeeper monitors HTTP "
                       "and REST APIs)")
            return
        if protocol not in (None, "HTTP"):
            self._note(f"API {label}: its protocol is known only at deploy time; not "
                       "monitored (pass a literal ProtocolType)")
            return
        names = [_literal(s, s.stage_name) for s in resource_logging.api_stages(cfn)]
        stage = "$default" if "$default" in names else (
            names[0] if len(names) == 1 else None)
        self._register(self.http_apis, path, HttpApiTarget(
            key=self._unique_key(name or path.rsplit("/", 1)[-1]), label=label,
            api_id=cfn.ref, api=cfn, stage=stage))

    def _monitor_cfn_rest_api(self, cfn: Any, path: str) -> None:
        """An ``apigateway.CfnRestApi``: monitored by its literal name (REST API metrics are
        published per ApiName), on its only stage (a CfnStage or a CfnDeployment's
        StageName) or all stages together."""
        name = _literal(cfn, cfn.name)
        if not name:
            self._note(
                f"REST API {path}: not monitored, its name is known only at deploy time "
                "(from a token or the OpenAPI body) and CloudWatch publishes REST API "
                "metrics per ApiName; give the CfnRestApi a literal Name, or call "
                "monitor_rest_api(RestApi.from_rest_api_id(...), api_name=...)")
            return
        names = {_literal(s, s.stage_name) for s in resource_logging.api_stages(cfn)}
        names |= set(resource_logging.deployment_stage_names(cfn))
        stage = next(iter(names)) if len(names) == 1 else None
        self._register(self.rest_apis, path, RestApiTarget(
            key=self._unique_key(name), label=name, api_name=name, api=cfn, stage=stage))

    def _monitor_cfn_queue(self, cfn: Any, path: str) -> None:
        """An ``sqs.CfnQueue``; dead-letter queues are recognised from redrive policies at
        synth (``_apply_stack_facts``)."""
        name = _literal(cfn, cfn.queue_name)
        self._register(self.queues, path, QueueTarget(
            key=self._unique_key(name or path.rsplit("/", 1)[-1]), label=name or path,
            queue_name=name or cfn.attr_queue_name, queue=cfn))

    def _monitor_cfn_table(self, cfn: Any, path: str) -> None:
        """A ``dynamodb.CfnTable`` or ``CfnGlobalTable`` (Ref: the table's name)."""
        name = _literal(cfn, cfn.table_name)
        self._register(self.tables, path, TableTarget(
            key=self._unique_key(name or path.rsplit("/", 1)[-1]), label=name or path,
            table_name=name or cfn.ref, table=cfn))

    def _monitor_cfn_state_machine(self, cfn: Any, path: str) -> None:
        """A ``stepfunctions.CfnStateMachine`` (its logging: ``_switch_on_resource_logging``)."""
        name = _literal(cfn, cfn.state_machine_name)
        self._register(self.state_machines, path, StateMachineTarget(
            key=self._unique_key(name or path.rsplit("/", 1)[-1]), label=name or path,
            state_machine_arn=cfn.ref, state_machine=cfn))  # Ref: the ARN

    def _estimate_size(self) -> SizeEstimate:
        """An upper bound of the enclosing stack's template once the monitoring is built,
        from what is known before anything is built: the resources already counted by
        ``_scan`` and the registered targets. Cheap first: a rough bound per target; only
        a stack that may come near a limit pays for planning its alarms."""
        targets = (len(self.functions) + len(self.http_apis) + len(self.rest_apis)
                   + len(self.queues) + len(self.tables) + len(self.state_machines))
        queries = (len(CATALOGUE) + len(self.insights_settings.extra_queries)
                   if self.insights_settings.saved_queries else 0)
        # service filters, topic extras, service and security alarms, composite alarm,
        # dashboards and their pages, the log-group ensurer, CDKMetadata: generous
        fixed = 60 + queries + targets // 10
        rough = SizeEstimate(self.stack.stack_name, self._resources_in_stack,
                             fixed + _MOST_RESOURCES_PER_TARGET * targets)
        if not (rough.over_limit or rough.near_limit):
            return rough
        # Every metric a filter could publish: plans for all of them are an upper bound.
        plans = plan_all(self, published_log_metrics=frozenset(LOG_METRICS))
        shipped = (len(self.log_shipping.destinations)
                   if self.log_shipping is not None
                   and self.log_shipping.mode == "subscription-filters" else 0)
        # Functions whose logs do not go to the service log group get a filter set, a
        # log group (created or referenced) and its subscription filters each.
        own_groups = sum(1 for t in self.functions if not _logs_to_service_group(self, t))
        added = (
            fixed
            + len(plans) + len(plans) // 90  # alarms, composite alarms of 100 children
            + own_groups * (len(COMPACT_METRIC_NAMES) + 1 + shipped)
            + 6 * (len(self.http_apis) + len(self.rest_apis))  # access logs, stage changes
            + 3 * len(self.state_machines)  # execution log group, delivery policy
            + shipped * len(self.log_groups)
        )
        return SizeEstimate(self.stack.stack_name, self._resources_in_stack, added)

    def _decide_placement(self) -> None:
        """nested_stacks=None: nested stacks when the stack would pass a template limit."""
        if self.nested_stacks is not None or self._placement is not None:
            return  # explicit, or placed by MonitoringStack
        estimate = self.size_estimate = self._estimate_size()
        if not estimate.over_limit:
            return
        self._placement = NestedStackPlacement(self).scope_for_target
        self.nested_automatically = True
        cdk.Annotations.of(self).add_warning_v2(
            "watchkeeper:nested-stacks",
            f"watchkeeper: {estimate.describe()}, so each function's alarms and metric "
            "filters are placed in 16 nested stacks (nested_stacks=None, automatic); "
            "per-function log groups stay in this stack. Alarms keep their names; moved "
            "from this stack they survive only if its last deploy gave them DeletionPolicy "
            f"Retain, which watchkeeper does within {RETAIN_MARGIN_RESOURCES} resources of "
            "the limit: if this stack was deployed with watchkeeper's alarms and fewer than "
            f"{MAX_RESOURCES_PER_TEMPLATE - RETAIN_MARGIN_RESOURCES} resources, deploy the "
            "growth in two steps (README, 'Scale: hundreds of functions'). "
            "nested_stacks=True keeps this placement whatever the size.",
        )

    def _protect_alarms_that_may_move(self) -> None:
        """Near a limit, the automatic placement may move per-function alarms between this
        stack and the nested stacks on a later deploy. Alarms have fixed names, so the new
        stack takes the alarm over (PutMetricAlarm overwrites) and the old stack then
        deletes it by name in its cleanup phase. A removed resource keeps the
        DeletionPolicy of the template it was deployed with: Retain there makes the
        cleanup leave the alarm alone. Applied only within the margin, because a retained
        alarm also outlives the removal of its function."""
        estimate = self.size_estimate
        if estimate is None or not estimate.near_limit:
            return
        functions = {t.key for t in self.functions}
        for alarm in self.alarm_details:
            if alarm.resource_key in functions:
                alarm.cfn.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

    def _check_stack_fits(self) -> None:
        """nested_stacks=False: refuse a template CloudFormation would refuse, naming the
        option (counted once everything is built, so the numbers are exact)."""
        stack = self.stack
        count = 1  # CDKMetadata, added when the template is written
        nested = [n.node.path + "/" for n in stack.node.find_all()
                  if isinstance(n, cdk.Stack) and n is not stack]
        for node in stack.node.find_all():
            if isinstance(node, cdk.CfnResource) and not any(
                node.node.path.startswith(p) for p in nested
            ):
                count += 1
        if count > MAX_RESOURCES_PER_TEMPLATE:
            raise ValueError(
                f"nested_stacks=False: stack {stack.stack_name} would hold {count} resources "
                f"({self._resources_in_stack} of its own + {count - self._resources_in_stack}"
                f" added by watchkeeper); CloudFormation allows {MAX_RESOURCES_PER_TEMPLATE} "
                "per template. Use nested_stacks=None (automatic) or True, or monitor fewer "
                "resources (exclude=[...])"
            )

    def _apply_stack_facts(self, found: dict[str, list[Any]]) -> None:
        """Event sources, asynchronous invocation and dead-letter queues, from the stack."""
        stack = self.stack
        owned = [t for t in self.functions if t.owned]
        # Functions defined in this stack (L2 or L1), by the logical id references name.
        defined = [t for t in self.functions if t.cfn is not None]
        by_logical_id: dict[str, FunctionTarget] = {}
        if defined and found["plain_resources"]:
            # Custom resources are few; only S3 notifications say anything about functions.
            found["plain_resources"] = [
                r for r in found["plain_resources"]
                if r.cfn_resource_type == "Custom::S3BucketNotifications"]
        if defined and any(found[k] for k in _FUNCTION_FACT_BUCKETS):
            for t in defined:
                by_logical_id[stack.resolve(t.cfn.logical_id)] = t
        if by_logical_id:
            self._apply_function_facts(found, by_logical_id)
        for t in self.functions:
            if t.asynchronous is not None:
                t.async_invoked = t.asynchronous
        # Dead-letter queues: of queues (redrive policy) and of functions.
        queue_by_addr = {q.queue.node.addr: q for q in self.queues}
        for queue in found["queues"]:
            dlq = queue.dead_letter_queue
            if dlq is not None and dlq.queue.node.addr in queue_by_addr:
                name = _literal(queue, queue.queue_name)
                self._mark_dead_letter_queue(queue_by_addr[dlq.queue.node.addr], None,
                                             name or queue.node.path)
        for target in owned:
            if not target.has_dead_letter:
                continue
            dlq = getattr(target.function, "dead_letter_queue", None)
            if dlq is not None and dlq.node.addr in queue_by_addr:
                self._mark_dead_letter_queue(queue_by_addr[dlq.node.addr], target.key,
                                             target.label)
        self._mark_l1_dead_letter_queues()

    def _mark_l1_dead_letter_queues(self) -> None:
        """Dead-letter queues named by L1s: a CfnQueue's RedrivePolicy, a CfnFunction's
        DeadLetterConfig (both reference the queue's ``Fn::GetAtt <queue>.Arn``)."""
        sources: list[tuple[Any, str | None, str]] = []
        for q in self.queues:
            queue: Any = q.queue
            if _written_as_l1(queue):  # a CfnQueue
                sources.append((queue.redrive_policy, None, q.label))
        for t in self.functions:
            if t.has_dead_letter and not t.owned and t.cfn is not None:
                sources.append((t.cfn.dead_letter_config, t.key, t.label))
        if not sources:
            return
        stack = self.stack
        by_logical_id: dict[str, QueueTarget] = {}
        for q in self.queues:
            cfn: Any = q.queue if isinstance(q.queue, cdk.CfnResource) else (
                q.queue.node.default_child)
            if isinstance(cfn, cdk.CfnResource):
                by_logical_id[stack.resolve(cfn.logical_id)] = q
        for reference, source_key, source_label in sources:
            resolved = stack.resolve(reference)
            if not isinstance(resolved, dict):
                continue
            for key, value in resolved.items():
                if key in ("deadLetterTargetArn", "TargetArn", "targetArn") and isinstance(
                        value, dict) and "Fn::GetAtt" in value:
                    dlq = by_logical_id.get(value["Fn::GetAtt"][0])
                    if dlq is not None:
                        self._mark_dead_letter_queue(dlq, source_key, source_label)

    def _apply_function_facts(self, found: dict[str, list[Any]],
                              by_logical_id: dict[str, FunctionTarget]) -> None:
        """Event sources and asynchronous invocation of the stack's functions.

        Asynchronous means something really invokes the function that way: an
        EventInvokeConfig with a destination, an S3 notification, an SNS subscription, an
        EventBridge rule target, a CloudWatch Logs subscription filter, or a permission for
        one of ``_ASYNC_PRINCIPALS``. An EventInvokeConfig alone (``retry_attempts=0``,
        ``max_event_age``) only configures what would happen if it were: a function called
        only by API Gateway or a stream would get two alarms that can never fire.
        """
        stack = self.stack

        def mark_async(resolved: Any) -> None:
            target = _referenced_target(resolved, by_logical_id)
            if target is not None:
                target.async_invoked = True

        for esm in found["event_source_mappings"]:
            target = _referenced_target(stack.resolve(esm.function_name), by_logical_id)
            if target is not None:
                kind = _event_source_kind(esm, stack)
                if kind not in target.event_sources:
                    target.event_sources = (*target.event_sources, kind)
        for config in found["event_invoke_configs"]:
            destinations = stack.resolve(config.destination_config)
            if isinstance(destinations, dict) and any(destinations.values()):
                mark_async(stack.resolve(config.function_name))
        for permission in found["permissions"]:
            principal = stack.resolve(permission.principal)
            if isinstance(principal, str) and principal.split(".", 1)[0] in _ASYNC_PRINCIPALS:
                mark_async(stack.resolve(permission.function_name))
        for subscription in found["sns_subscriptions"]:
            if stack.resolve(subscription.protocol) == "lambda":
                mark_async(stack.resolve(subscription.endpoint))
        for rule in found["event_rules"]:
            mark_async(stack.resolve(rule.targets))
        for log_filter in found["subscription_filters"]:
            mark_async(stack.resolve(log_filter.destination_arn))
        for bucket in found["buckets"]:
            configuration = stack.resolve(bucket.notification_configuration)
            if isinstance(configuration, dict):
                mark_async(configuration.get("LambdaConfigurations"))
        for notifications in found["plain_resources"]:  # Custom::S3BucketNotifications
            properties = stack.resolve(notifications._cfn_properties)
            configuration = (properties or {}).get("NotificationConfiguration") or {}
            mark_async(configuration.get("LambdaFunctionConfigurations"))

    def _build_alarms(self) -> None:
        self.alarm_details = build_alarms(self, self._topic_arn)
        self.alarms = [a.cfn for a in self.alarm_details]

    def _wire_function_logging(self, found: dict[str, list[Any]]) -> None:
        """Where each function of the app logs (README: "Adding watchkeeper to a running
        app"). A destination the app chose is kept: ``log_group=``, ``log_retention=``, a
        CDK-managed group. Otherwise the function moves to the service log group (JSON) or
        to a group of its own under the service's prefix (Text, or log_group_per_function),
        and only when its role can write there: a role defined in the app gets the grant; an
        imported or immutable role keeps the function in ``/aws/lambda/<name>``.
        """
        stack = self.stack
        service_group = self.service_log_group
        service_ref = (
            stack.resolve(service_group.log_group_name) if service_group is not None else None
        )
        moved: list[FunctionTarget] = []
        for target in self.functions:
            if not target.owned:
                continue
            cfn: lambda_.CfnFunction = target.cfn
            current = _logging_config_dict(cfn, target.logging_config)
            fn: Any = target.function
            log_format = current.get("logFormat") or "JSON"
            target.log_format = log_format
            config: dict[str, Any] = {"log_format": log_format}
            if log_format == "JSON":
                # Levels are only valid with JSON; a function that chose Text keeps it.
                config["application_log_level"] = (
                    current.get("applicationLogLevel") or self.application_log_level)
                config["system_log_level"] = (
                    current.get("systemLogLevel") or self.system_log_level)
                if config["system_log_level"] == "WARN":
                    cdk.Annotations.of(self).add_warning(
                        f"watchkeeper: function {target.label} sets SystemLogLevel WARN, so "
                        "Lambda writes no platform.report for it: its timeouts, out-of-memory "
                        "errors and cold starts are not counted by the log metrics (its "
                        "AWS/Lambda alarms still work). Set system_log_level INFO on it to "
                        "count them."
                    )
            app_group = current.get("logGroup")
            # One round trip for the children; their types are checked on the Python side.
            children = fn.node.children
            cdk_managed = next((c for c in children if isinstance(c, logs.LogGroup)), None)
            kept: logs.ILogGroup | None = None
            moved_to: str | None = None  # the group's name, when watchkeeper moves it
            if app_group:
                if service_ref is not None and stack.resolve(app_group) == service_ref:
                    # The app points the function at the service log group itself.
                    assert service_group is not None
                    target.log_group_name = service_group.log_group_name
                    target.in_service_log_group = True
                else:
                    kept = logs.LogGroup.from_log_group_name(
                        self, f"{target.key}-AppLogGroup", app_group)
                config["log_group"] = app_group
            elif any(isinstance(c, logs.LogRetention) for c in children):
                # log_retention=: the app chose /aws/lambda/<name> and its retention. The
                # function's log_group is read from the LogRetention resource, so filters on
                # it are created after it (it creates the group if the function never ran).
                kept = fn.log_group
            elif cdk_managed is not None and not self.move_cdk_managed_log_groups:
                # @aws-cdk/aws-lambda:useCdkManagedLogGroup: the app's flag made this group.
                # Referenced, not handed on as a LogGroup: what watchkeeper adds to groups
                # it created (field indexes, anomaly detectors) is not for the app's group.
                # Its name is a Ref, so filters on it still wait for it.
                kept = logs.LogGroup.from_log_group_name(
                    self, f"{target.key}-AppLogGroup", cdk_managed.log_group_name)
            else:
                # A Role child is the role CDK made for the function (with Lambda's basic
                # execution policy): no need to look at it.
                own_role = any(isinstance(c, iam.Role) for c in children)
                destination = self._choose_destination(target, log_format, own_role)
                if destination is not None:
                    group, display_name = destination
                    config["log_group"] = group.log_group_name
                    target.log_group_name = group.log_group_name
                    # (the service log group may have been created just now)
                    target.in_service_log_group = group is self._service_log_group
                    target.log_group_display_name = display_name
                    moved.append(target)
                    moved_to = display_name
                else:
                    kept = self._lambda_log_group(target)
            if kept is not None:
                target.log_group_name = kept.log_group_name
                self.log_groups.append(kept)
            # One change record per function: its new destination, format and levels
            # (a function that keeps its destination may still get JSON and levels).
            change = _logging_change(current, config, moved_to)
            if change:
                self.app_changes.record("logging-config", target.label, change)
            # A plain dict in jsii's camelCase: the struct class would be type-checked
            # field by field on the Python side, once per function.
            untyped: Any = cfn  # the property is typed as the struct; a dict is accepted
            untyped.logging_config = {_camel(k): v for k, v in config.items()}
        if moved:
            self._warn_about_app_monitoring_of(moved, found)

    def _choose_destination(self, target: FunctionTarget, log_format: str, own_role: bool
                            ) -> tuple[logs.ILogGroup, str] | None:
        """The group watchkeeper moves a function to (the service log group for JSON, a group
        of its own under the service prefix otherwise), after granting its role write
        access; None when the role cannot be granted it (the function then stays put)."""
        problem = None if own_role else _role_problem(target.function)
        if problem is not None:
            cdk.Annotations.of(self).add_warning(
                f"watchkeeper: function {target.label} keeps logging to its own "
                f"/aws/lambda/<name> group: {problem}, so watchkeeper cannot let it write to "
                "the service's log group, and moving it would lose its logs. The compact "
                "metric filters are put on its own group. To move it, give its role "
                "logs:CreateLogStream and logs:PutLogEvents on the service log group and "
                "pass log_group= to the function."
            )
            return None
        group: logs.ILogGroup
        service_group = (
            self._create_service_log_group() if log_format == "JSON" else None)
        if service_group is not None:
            group = service_group
            display_name = self._service_log_group_display_name
        else:
            # Text (the service log group holds JSON only, which its filters read) or
            # log_group_per_function, where it never moves between stacks (a named,
            # retained log group: scope_for_log_group).
            display_name = schema.function_log_group_name(self.qualified_name, target.key)
            group = create_log_group(
                self.scope_for_log_group(target), f"{target.key}-LogGroup", name=display_name,
                settings=self.log_settings, purpose=f"the logs of {target.label}")
            self.log_groups.append(group)
        if not own_role:
            self._grant_write(target, group, display_name)
        return group, display_name

    def _grant_write(self, target: FunctionTarget, group: logs.ILogGroup,
                     display_name: str) -> None:
        role: Any = target.function.role
        if _writes_every_log_group(role):
            return
        key = (role.node.addr, display_name)
        if key in self._granted_roles:
            return
        self._granted_roles.add(key)
        grant = group.grant_write(role)
        # The role may write there before the function is pointed at the group.
        grant.apply_before(target.cfn)
        self.app_changes.record(
            "role-statement", role.node.path,
            f"logs:CreateLogStream, logs:PutLogEvents on {display_name} (for {target.label})")

    def _lambda_log_group(self, target: FunctionTarget) -> logs.ILogGroup:
        """The ``/aws/lambda/<name>`` group that Lambda writes to by default, referenced,
        and ensured before its filters (a function that never ran has none yet)."""
        self._referenced_targets.append(target)
        return logs.LogGroup.from_log_group_name(
            self, f"{target.key}-LambdaLogGroup", f"/aws/lambda/{target.function_name}")

    def _warn_about_app_monitoring_of(self, moved: list[FunctionTarget],
                                      found: dict[str, list[Any]]) -> None:
        """Warn about the app's own filters, queries and dashboards that read the
        ``/aws/lambda/<name>`` group of a function whose logs now go elsewhere."""
        stack = self.stack
        own_prefix = self.node.path + "/"
        # What a resolved property holds when it names the function's /aws/lambda group:
        # the literal name, or "/aws/lambda/" joined with a Ref to the function.
        markers: list[tuple[FunctionTarget, tuple[str, ...]]] = []
        for target in moved:
            name = target.function_name
            if not _is_token(name):
                markers.append((target, (json.dumps(f"/aws/lambda/{name}")[1:-1],)))
            else:
                ref = json.dumps({"Ref": stack.resolve(target.cfn.logical_id)})
                markers.append((target, ("/aws/lambda/", ref)))
        readers = (
            ("metric_filters", "metric filter", "log_group_name"),
            ("subscription_filters", "subscription filter", "log_group_name"),
            ("query_definitions", "saved query", "log_group_names"),
            ("app_dashboards", "dashboard", "dashboard_body"),
        )
        candidates = [(node, what, prop) for bucket, what, prop in readers
                      for node in found.get(bucket, ())]
        root = self.node.root
        if sum(isinstance(c, cdk.Stack | cdk.Stage) for c in root.node.children) > 1:
            # Other stacks of the app can only name a function by its literal name.
            types = {logs.CfnMetricFilter: readers[0], logs.CfnSubscriptionFilter: readers[1],
                     logs.CfnQueryDefinition: readers[2],
                     cloudwatch.CfnDashboard: readers[3]}
            stack_prefix = stack.node.path + "/"
            for node in root.node.find_all():
                reader = next((r for t, r in types.items() if isinstance(node, t)), None)
                if reader is not None and not node.node.path.startswith(stack_prefix):
                    candidates.append((node, reader[1], reader[2]))
        for node, what, prop in candidates:
            path = node.node.path
            if path.startswith(own_prefix):
                continue
            text = json.dumps(cdk.Stack.of(node).resolve(getattr(node, prop)))
            for target, parts in markers:
                if all(part in text for part in parts):
                    cdk.Annotations.of(self).add_warning(
                        f"watchkeeper: the app's {what} {path} reads the /aws/lambda "
                        f"group of {target.label}, whose logs now go to "
                        f"{target.log_group_display_name or 'another group'}; it will "
                        "receive nothing new. Point it at the new group, or keep the "
                        "function where it is with log_group= (README: 'Adding "
                        "watchkeeper to a running app')."
                    )

    def _build_metric_filters(self) -> None:
        """Health and security metrics from the logs, in the service's namespace.

        The service log group gets the full JSON set once for every function. A log group
        of one function (imported functions, per-function groups, a group of the user's)
        gets the compact set, because those filters multiply with the number of functions.
        """
        if self.service_log_group is not None:
            self.metric_filters.append(
                LogMetricFilters(
                    self,
                    "ServiceLogMetrics",
                    log_group_name=self.service_log_group.log_group_name,
                    namespace=self.namespace,
                )
            )
        self._ensure_referenced_log_groups()
        ensured = self.log_group_ensurer.by_log_group
        seen: set[str] = set()
        for target in self.functions:
            name = target.log_group_name
            if target.in_service_log_group or name is None:
                continue
            group_key = name if not cdk.Token.is_unresolved(name) else str(self.stack.resolve(name))
            if group_key in seen:
                continue
            seen.add(group_key)
            json_logs = target.log_format == "JSON"
            filters = LogMetricFilters(
                self.scope_for(target),
                f"{target.key}-LogMetrics",
                log_group_name=name,
                namespace=self.namespace,
                log_format="JSON" if json_logs else "UNKNOWN",
                metrics=COMPACT_METRIC_NAMES,
            )
            if name in ensured:
                filters.node.add_dependency(ensured[name])
            self.metric_filters.append(filters)

    def _ensure_referenced_log_groups(self) -> None:
        """One ensuring resource per stack that holds filters on referenced groups."""
        by_scope: dict[int, tuple[Construct, list[str]]] = {}
        for target in self._referenced_targets:
            scope = self.scope_for(target)
            by_scope.setdefault(id(scope), (scope, []))[1].append(target.log_group_name or "")
        self.log_group_ensurer.ensure(by_scope)

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
            role: tuple[iam.IRole, str] | None = None
            if _written_as_l1(machine):  # a CfnStateMachine
                if machine.logging_configuration is not None:
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

    def _note(self, text: str) -> None:
        self.resource_logging_notes.append(text)
        cdk.Annotations.of(self).add_info(f"watchkeeper: {text}")

    def _record_metadata(self) -> None:
        """Template metadata that ``watchkeeper report`` reads to say what is monitored."""
        stack = self.stack
        existing = stack.template_options.metadata or {}
        block = dict(existing.get("Watchkeeper") or {"services": []})
        services = list(block.get("services", []))
        entry: dict[str, Any] = {"service": self.service_name}
        if self.stage:
            entry["stage"] = self.stage
        services.append(
            {
                **entry,
                "monitored": {
                    "functions": [t.function_name for t in self.functions],
                    "http_apis": [t.api_id for t in self.http_apis],
                    "rest_apis": [t.api_name for t in self.rest_apis],
                    "queues": [t.queue_name for t in self.queues],
                    "tables": [t.table_name for t in self.tables],
                    "state_machines": [t.state_machine_arn for t in self.state_machines],
                },
                schema.TemplateMetadata.CHANGES: self.app_changes.as_metadata(),
                DETECTIONS_METADATA_KEY: self.security_detections.as_metadata(),
                # Lazy: resources added after this point (and final logical ids) count too.
                schema.TemplateMetadata.CREATED: cdk.Lazy.list(
                    _CreatedResources(self), omit_empty=False
                ),
            }
        )
        block["services"] = services
        stack.add_metadata("Watchkeeper", block)

    def _finalize(self) -> None:
        if self._finalized:
            return
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
        self._build_alarms()
        self._protect_alarms_that_may_move()
        self.security_detections = build_security_detections(self, self.detection_settings)
        self._build_queries_and_dashboards()
        self._record_key_changes()
        self.app_changes.annotate(self)
        self._record_metadata()
        if self.nested_stacks is False:
            self._check_stack_fits()

    def _record_key_changes(self) -> None:
        """A KMS key of the app (``encryption_key``) gets statements for CloudWatch Logs."""
        key = self.log_settings.encryption_key
        if not isinstance(key, kms.Key) or not self.log_settings._granted_keys:
            return  # an imported key's policy is never changed
        path = key.node.path
        self.app_changes.record(
            "key-statement", path,
            "CloudWatch Logs of this region may use it for this account's log groups")
        if self.anomaly_detector_key_statements:
            self.app_changes.record(
                "key-statement", path,
                "CloudWatch Logs may use it for this account's log anomaly detectors")

    def _build_queries_and_dashboards(self) -> None:
        """Saved queries, dashboards, field indexes, anomaly detectors (after alarms)."""
        created = build_queries_and_dashboards(self, self.insights_settings)
        self.saved_queries.extend(created["queries"])
        self.dashboards.extend(created["dashboards"])
        self.anomaly_detectors.extend(created["anomaly_detectors"])
        self.anomaly_detector_key_statements.extend(created["key_policy_statements"])


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _resolve_stage(scope: Construct, stage: str | None, service: str) -> str | None:
    """The validated stage: ``stage=``, else the enclosing ``cdk.Stage``'s name mapped into
    the allowed form, else None. ``stage=""`` means no stage, even inside a ``cdk.Stage``."""
    limit = schema.MAX_QUALIFIED_NAME_LENGTH
    if stage is None:
        enclosing = cdk.Stage.of(scope)
        # The App is a Stage too, with an empty name: only a real cdk.Stage gives one.
        stage_name = enclosing.stage_name if enclosing is not None else ""
        if not stage_name:
            return None
        mapped = schema.stage_from_name(stage_name)
        if not mapped or len(schema.qualified_name(service, mapped)) > limit:
            raise ValueError(
                f"stage: the enclosing cdk.Stage {stage_name!r} gives the stage {mapped!r}, "
                f"which is not allowed ({schema.STAGE_RULE}); pass stage= (a shorter name, "
                'or "" for none)'
            )
        return mapped
    if stage == "":
        return None
    if (
        not isinstance(stage, str)
        or not schema.STAGE_RE.match(stage)
        or len(schema.qualified_name(service, stage)) > limit
    ):
        room = limit - len(service) - 1
        raise ValueError(
            f"stage={stage!r} is not allowed: {schema.STAGE_RULE} (with "
            f"service_name={service!r}: at most {room} characters)"
        )
    return stage


#: Attribute of the App root under which the names claimed by every ServiceMonitoring of
#: that app are kept: an app's own state, so nothing leaks from one app (or test) to another.
_CLAIMS_ATTRIBUTE = "_watchkeeper_name_claims"


def _claim_names(mon: ServiceMonitoring, *, log_group_name: str | None, dashboards: bool,
                 dashboard_name_prefix: str | None) -> None:
    """Refuse a second ServiceMonitoring whose physical names would be the same as an
    earlier one's in the same account and region (any stack or cdk.Stage of the app)."""
    stack = mon.stack
    account, region = stack.account, stack.region
    claims = [("the names built from", mon.qualified_name)]
    if not mon.log_group_per_function and log_group_name is not None:
        # (the default name is built from the qualified name, claimed above)
        claims.append(("the log group", log_group_name))
    if dashboards:
        claims.append(("the dashboards", f"{dashboard_name_prefix or mon.qualified_name}-*"))
    root: Any = mon.node.root
    registry: dict[tuple[str, str], list[tuple[str, str, str]]] | None = getattr(
        root, _CLAIMS_ATTRIBUTE, None)
    if registry is None:
        registry = {}
        setattr(root, _CLAIMS_ATTRIBUTE, registry)
    path = mon.node.path
    for what, name in claims:
        for other_path, other_account, other_region in registry.get((what, name), []):
            if _may_be_same(account, other_account) and _may_be_same(region, other_region):
                raise ValueError(
                    f"ServiceMonitoring {path} and {other_path} would both create {what} "
                    f"{name!r} in the same account and region (an environment-agnostic stack "
                    "may deploy anywhere): the second deployment would fail with 'already "
                    "exists' or share alarms and metrics with the first. Give each one a "
                    'stage= (e.g. stage="dev" and stage="prod"), or a different service_name'
                )
    for what, name in claims:
        registry.setdefault((what, name), []).append((path, account, region))


def _may_be_same(value: str, other: str) -> bool:
    """Two accounts (or regions) may be the same unless both are known and differ."""
    return cdk.Token.is_unresolved(value) or cdk.Token.is_unresolved(other) or value == other


def _literal(scope: IConstruct, value: Any) -> str | None:
    """The literal string behind ``value``, or None if it is only known at deploy time."""
    if value is None:
        return None
    if isinstance(value, str) and not cdk.Token.is_unresolved(value):
        return value
    resolved = cdk.Stack.of(scope).resolve(value)
    return resolved if isinstance(resolved, str) else None


#: Buckets of ``_scan`` holding L1 resources that may have no L2.
_L1_BUCKETS = ("cfn_functions", "cfn_http_apis", "cfn_rest_apis", "cfn_queues", "cfn_tables",
               "cfn_state_machines")

#: Buckets of ``_scan`` that say how a function is invoked.
_FUNCTION_FACT_BUCKETS = ("event_source_mappings", "event_invoke_configs", "permissions",
                          "sns_subscriptions", "event_rules", "subscription_filters",
                          "buckets", "plain_resources")

#: Services that invoke Lambda functions asynchronously (their permission principals).
_ASYNC_PRINCIPALS = frozenset({"s3", "sns", "events", "logs", "ses", "iot", "codecommit"})


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


def _referenced_target(resolved: Any, by_logical_id: dict[str, FunctionTarget]
                       ) -> FunctionTarget | None:
    """The function that ``Ref``/``Fn::GetAtt`` in ``resolved`` points at, if monitored."""
    if isinstance(resolved, dict):
        if "Ref" in resolved:
            return by_logical_id.get(resolved["Ref"])
        if "Fn::GetAtt" in resolved:
            return by_logical_id.get(resolved["Fn::GetAtt"][0])
        for value in resolved.values():
            found = _referenced_target(value, by_logical_id)
            if found is not None:
                return found
    elif isinstance(resolved, list):
        for value in resolved:
            found = _referenced_target(value, by_logical_id)
            if found is not None:
                return found
    return None


def _object_key(obj: Any) -> Any:
    """The same for every Python proxy of one Node object, read without a round trip:
    jsii hands out a new proxy each time (``is`` fails), with the same object reference."""
    ref = getattr(obj, "__jsii_ref__", None)
    return ref.ref if ref is not None else id(obj)


def _written_as_l1(resource: Any) -> bool:
    """A target's resource that the app wrote as an L1 (``Cfn*``), without an L2."""
    return isinstance(resource, cdk.CfnResource)


def _collect_logical_ids(resolved: Any, found: set[str]) -> None:
    """Every logical id a ``Ref`` or ``Fn::GetAtt`` in ``resolved`` names, into ``found``."""
    if isinstance(resolved, dict):
        if isinstance(resolved.get("Ref"), str):
            found.add(resolved["Ref"])
        getatt = resolved.get("Fn::GetAtt")
        if isinstance(getatt, list) and getatt and isinstance(getatt[0], str):
            found.add(getatt[0])
        for value in resolved.values():
            _collect_logical_ids(value, found)
    elif isinstance(resolved, list):
        for value in resolved:
            _collect_logical_ids(value, found)


def _event_source_kind(esm: lambda_.CfnEventSourceMapping, stack: cdk.Stack) -> str:
    """``kinesis``, ``dynamodb``, ``kafka``, ``sqs`` or ``other``."""
    if esm.self_managed_event_source is not None or (
        esm.amazon_managed_kafka_event_source_config is not None
    ):
        return "kafka"
    source = str(stack.resolve(esm.event_source_arn))
    for marker, kind in ((":kafka:", "kafka"), ("StreamArn", "dynamodb"),
                         (":dynamodb:", "dynamodb"), (":kinesis:", "kinesis"),
                         (":sqs:", "sqs"), (":mq:", "other")):
        if marker in source:
            return kind
    if esm.starting_position is not None:
        # A stream given as a reference to a Kinesis stream (Fn::GetAtt <Stream>.Arn).
        return "kinesis"
    return "sqs"


#: AWS managed policies that let a role write to every log group of the account.
_WRITES_EVERY_LOG_GROUP = ("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole")


def _role_problem(function: Any) -> str | None:
    """Why the function's role cannot be granted write access to a log group, or None."""
    role = getattr(function, "role", None)
    if role is None:
        return "it has no execution role that this app can see"
    if not isinstance(role, iam.Role):
        return (f"its role {role.node.path} is imported or immutable (Role.from_role_arn, "
                "without_policy_updates)")
    return None


def _writes_every_log_group(role: iam.Role) -> bool:
    """True when one of the role's managed policies already allows writing anywhere
    (Lambda's default execution role has AWSLambdaBasicExecutionRole): no grant needed."""
    cfn: Any = role.node.default_child
    arns = json.dumps(cdk.Stack.of(role).resolve(cfn.managed_policy_arns))
    return any(f"service-role/{name}" in arns for name in _WRITES_EVERY_LOG_GROUP)


def _logging_change(current: dict[str, Any], config: dict[str, Any],
                    new_group: str | None) -> str:
    """What changes in a function's LoggingConfig, e.g. ``LogFormat Text -> JSON``."""
    parts = []
    if new_group is not None:
        parts.append(f"LogGroup {current.get('logGroup') or '/aws/lambda/<name>'} -> "
                     f"{new_group}")
    for key in ("log_format", "application_log_level", "system_log_level"):
        camel = _camel(key)
        if key in config and current.get(camel) != config[key]:
            label = camel[0].upper() + camel[1:]
            parts.append(f"{label} {current.get(camel) or 'unset'} -> {config[key]}")
    return "; ".join(parts)


def _logs_to_service_group(mon: ServiceMonitoring, target: FunctionTarget) -> bool:
    """Whether the function's logs will go to the service log group (as
    ``_wire_function_logging`` decides, from what is known before it runs)."""
    if not target.owned or mon.log_group_per_function:
        return False
    if (not mon.move_cdk_managed_log_groups
            and mon.node.try_get_context("@aws-cdk/aws-lambda:useCdkManagedLogGroup")):
        return False  # the function keeps the group CDK gives it
    config = target.logging_config
    if not isinstance(config, dict):
        return config is None
    return not config.get("logGroup") and config.get("logFormat", "JSON") == "JSON"


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _is_token(value: str) -> bool:
    """CDK encodes a token inside a string as ``${Token[...]}`` (pure-Python test)."""
    return "${Token[" in value


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


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


def _logging_config_dict(cfn: lambda_.CfnFunction, current: Any) -> dict[str, Any]:
    """The function's LoggingConfig (``current``, as read from ``cfn``) as a dict."""
    if current is None:
        return {}
    resolved = cdk.Stack.of(cfn).resolve(current)
    if not isinstance(resolved, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in resolved.items():
        out[key[0].lower() + key[1:]] = value
    # A log group given as a token resolves to {"Ref": ...}; keep the original token.
    if "logGroup" in out and not isinstance(out["logGroup"], str):
        group = getattr(current, "log_group", None)
        out["logGroup"] = group if isinstance(group, str) else cdk.Token.as_string(out["logGroup"])
    return out
