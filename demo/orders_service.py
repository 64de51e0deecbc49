"""The reference app's demo service: a small serverless "orders" service for watchkeeper to watch.

It is built like a production service so that what watchkeeper monitors is realistic:

- an HTTP API with IAM authorization: ``POST /orders`` and ``GET /orders/{orderId}``;
- three Python functions (create order, get order, process payment) whose code lives in
  ``orders_handlers/`` beside this module and logs through ``watchkeeper.runtime``, including
  OWASP-vocabulary security events;
- an SQS queue with a dead-letter queue between "order created" and "payment processed";
- a DynamoDB table of orders;
- a Step Functions state machine that fulfils an order once it is paid;
- an EventBridge rule on the default bus that puts a payment back on the queue when
  support asks for a retry (a ``Payment Retry Requested`` event), with a dead-letter queue
  for events it could not deliver.

The stack creates no log groups and no logging configuration for its functions, API stage or
state machine: that is what ``watchkeeper.ServiceMonitoring`` adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.aws_apigatewayv2_authorizers import HttpIamAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from demo.orders_handlers import order_status
from watchkeeper import AlarmOptions, FunctionLoggingOptions
from watchkeeper.constructs.runtime_layer import RuntimeLayer
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.runtime.logger import SERVICE_ENV_VARS
from watchkeeper.schema import SERVICE_NAME_RE, SERVICE_NAME_RULE

#: Directory whose contents are deployed as the functions' code (one asset for all three).
HANDLERS_DIR = Path(__file__).parent / "orders_handlers"

#: Environment variable that tells ``watchkeeper.runtime`` which service a function belongs to.
SERVICE_ENV_VAR = SERVICE_ENV_VARS[0]

_RUNTIME = lambda_.Runtime.PYTHON_3_12
_API_FUNCTION_TIMEOUT = cdk.Duration.seconds(10)
_PAYMENT_FUNCTION_TIMEOUT = cdk.Duration.seconds(30)
# AWS recommends a visibility timeout of at least six times the consumer's timeout, so a
# message is not delivered twice while a slow batch (with retries) is still running.
_QUEUE_VISIBILITY_TIMEOUT = cdk.Duration.seconds(6 * 30)
_MAX_RECEIVE_COUNT = 3
#: What support puts on the default bus to retry the payment of an order stuck in
#: PENDING_PAYMENT (its message went to the dead-letter queue): ``detail`` is
#: ``{"orderId": ...}``, the payments message the payment function reads.
PAYMENT_RETRY_SOURCE = "orders.support"
PAYMENT_RETRY_DETAIL_TYPE = "Payment Retry Requested"
# Stage-wide throttling: a public endpoint without a limit lets one caller spend the whole
# account's Lambda concurrency.
_API_RATE_LIMIT = 50
_API_BURST_LIMIT = 100


def _acknowledgment(rule_id: str, reason: str) -> cdk.Acknowledgment:
    """Acknowledge cdk-nag rule ``rule_id`` (``<Pack>-<Rule>[finding]``) under its pack's prefix.

    ``<Pack>::<rule id>`` is the form CDK's validation report asks for; it ties the
    acknowledgement to that plugin rather than filing it as an annotation.
    """
    pack = rule_id.split("-", 1)[0]
    return cdk.Acknowledgment(id=f"{pack}::{rule_id}", reason=reason)


class OrdersServiceStack(cdk.Stack):
    """The demo "orders" service that the reference app monitors with watchkeeper.

    :param scope: the construct scope (usually the ``cdk.App``).
    :param construct_id: the stack's construct id.
    :param service_name: the service's name, used in function names and given to the function
        code as ``WATCHKEEPER_SERVICE``. 1-40 characters of lower-case letters, digits and
        ``-``. Default: ``"orders"``.
    :param data_removal_policy: what happens to the orders table and the queues when the stack
        is deleted. Default: ``RemovalPolicy.DESTROY``, because the demo holds only sample data
        and should leave nothing billable behind; use ``RETAIN`` for real orders.
    :param alarm_emails: addresses subscribed to the service's alarm topic. Default: none.
    :param kwargs: standard ``cdk.Stack`` keyword arguments (``env``, ``description``, ...).

    Attributes: ``http_api``, ``create_order_fn``, ``get_order_fn``, ``process_payment_fn``,
    ``functions`` (the three, in that order), ``queue``, ``dead_letter_queue``, ``table``,
    ``state_machine``, ``payment_retry_rule`` and its ``retry_dead_letter_queue``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str = "orders",
        data_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        alarm_emails: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(service_name, str) or not SERVICE_NAME_RE.match(service_name):
            raise ValueError(f"service_name must be {SERVICE_NAME_RULE}; got {service_name!r}")
        if not isinstance(data_removal_policy, cdk.RemovalPolicy):
            raise ValueError(
                "data_removal_policy must be an aws_cdk.RemovalPolicy "
                f"(DESTROY, RETAIN, SNAPSHOT or RETAIN_ON_UPDATE_OR_DELETE); "
                f"got {data_removal_policy!r}"
            )
        super().__init__(scope, construct_id, **kwargs)
        self.service_name = service_name

        self.table = dynamodb.Table(
            self,
            "OrdersTable",
            partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=data_removal_policy != cdk.RemovalPolicy.DESTROY,
            removal_policy=data_removal_policy,
        )

        self.dead_letter_queue = sqs.Queue(
            self,
            "PaymentsDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # The longest SQS allows: time to investigate and redrive failed payments.
            retention_period=cdk.Duration.days(14),
            removal_policy=data_removal_policy,
        )
        self.queue = sqs.Queue(
            self,
            "PaymentsQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=_QUEUE_VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=_MAX_RECEIVE_COUNT
            ),
            removal_policy=data_removal_policy,
        )

        self.state_machine = self._fulfilment_state_machine()

        code = lambda_.Code.from_asset(
            str(HANDLERS_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]
        )
        common_env = {
            SERVICE_ENV_VAR: service_name,
            "TABLE_NAME": self.table.table_name,
            # Only callers from this account may use the API (checked again in the code).
            "TRUSTED_ACCOUNT_IDS": self.account,
        }

        self.create_order_fn = self._function(
            "CreateOrderFunction",
            name="create-order",
            handler="create_order.handler",
            description="POST /orders: validates and stores an order, queues its payment",
            code=code,
            timeout=_API_FUNCTION_TIMEOUT,
            environment={**common_env, "QUEUE_URL": self.queue.queue_url},
        )
        self.get_order_fn = self._function(
            "GetOrderFunction",
            name="get-order",
            handler="get_order.handler",
            description="GET /orders/{orderId}: returns one of the caller's orders",
            code=code,
            timeout=_API_FUNCTION_TIMEOUT,
            environment=common_env,
        )
        self.process_payment_fn = self._function(
            "ProcessPaymentFunction",
            name="process-payment",
            handler="process_payment.handler",
            description="Consumes the payments queue, marks orders paid, starts fulfilment",
            code=code,
            timeout=_PAYMENT_FUNCTION_TIMEOUT,
            environment={
                SERVICE_ENV_VAR: service_name,
                "TABLE_NAME": self.table.table_name,
                "STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
            },
        )
        self.functions: list[lambda_.Function] = [
            self.create_order_fn,
            self.get_order_fn,
            self.process_payment_fn,
        ]

        # Least privilege: each function gets only the calls its code makes.
        self.table.grant(self.create_order_fn, "dynamodb:PutItem")
        self.queue.grant_send_messages(self.create_order_fn)
        self.table.grant(self.get_order_fn, "dynamodb:GetItem")
        self.table.grant(self.process_payment_fn, "dynamodb:UpdateItem")
        self.state_machine.grant_start_execution(self.process_payment_fn)
        self.process_payment_fn.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=10,
                max_batching_window=cdk.Duration.seconds(1),
                report_batch_item_failures=True,
                # Caps the payment provider's load however deep the queue gets.
                max_concurrency=5,
            )
        )

        self.http_api = self._http_api()
        self.retry_dead_letter_queue, self.payment_retry_rule = self._payment_retry_rule(
            data_removal_policy)
        self._acknowledge_deliberate_choices()
        # One line monitors everything above (discovery finds every resource at synth).
        # A new app (cdk.json enables useCdkManagedLogGroup): its functions move into the
        # one service log group rather than keep the per-function groups CDK gives them.
        self.monitoring = ServiceMonitoring(
            self, "Monitoring", service_name=service_name,
            alarms=AlarmOptions(emails=alarm_emails or ()),
            function_logging=FunctionLoggingOptions(move_cdk_managed_log_groups=True),
        )

    # ----------------------------------------------------------------------------------

    def _acknowledge_deliberate_choices(self) -> None:
        """Acknowledge the cdk-nag findings that are deliberate choices of this service.

        Each acknowledgement is on the narrowest construct it applies to. Findings about
        logging (API access logs, state machine logs, log groups) are not acknowledged here:
        ``watchkeeper.ServiceMonitoring`` resolves them.
        """
        xray_wildcard = _acknowledgment(
            rule_id="AwsSolutions-IAM5[Resource::*]",
            reason=(
                "Only X-Ray tracing uses Resource '*': xray:PutTraceSegments, "
                "PutTelemetryRecords and GetSampling* support no resource-level permissions"
            ),
        )
        cdk.Validations.of(self.state_machine).acknowledge(xray_wildcard)
        runtime_pin = (
            f"{_RUNTIME.name} is pinned on purpose: a runtime upgrade of the demo is a "
            "reviewed change together with the watchkeeper runtime layer it uses"
        )
        for fn in self.functions:
            cdk.Validations.of(fn).acknowledge(
                xray_wildcard,
                _acknowledgment(
                    rule_id=(
                        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                        "service-role/AWSLambdaBasicExecutionRole]"
                    ),
                    reason=(
                        "The AWS managed basic execution role grants only CloudWatch Logs "
                        "writes; which log group the function writes to is set by "
                        "watchkeeper, so the demo does not pin it in a policy of its own"
                    ),
                ),
                _acknowledgment(rule_id="AwsSolutions-L1", reason=runtime_pin),
                _acknowledgment(rule_id="Serverless-LambdaLatestVersion", reason=runtime_pin),
            )
        for fn in (self.create_order_fn, self.get_order_fn):
            cdk.Validations.of(fn).acknowledge(
                _acknowledgment(
                    rule_id="Serverless-LambdaDLQ",
                    reason=(
                        "Invoked synchronously by API Gateway only: the caller gets the error, "
                        "there is no asynchronous event to dead-letter"
                    ),
                )
            )
        cdk.Validations.of(self.process_payment_fn).acknowledge(
            _acknowledgment(
                rule_id="Serverless-LambdaDLQ",
                reason=(
                    "Invoked only by its SQS event source mapping (synchronously); failed "
                    "messages go to the payments queue's dead-letter queue after "
                    f"{_MAX_RECEIVE_COUNT} receives"
                ),
            ),
            _acknowledgment(
                rule_id="Serverless-LambdaEventSourceMappingDestination",
                reason=(
                    "SQS event source mappings support no on-failure destination; the "
                    "queue's redrive policy sends failed messages to the dead-letter queue"
                ),
            ),
        )
        cdk.Validations.of(self.retry_dead_letter_queue).acknowledge(
            _acknowledgment(
                rule_id="AwsSolutions-SQS3",
                reason=(
                    "This is the dead-letter queue of the payment-retry rule's target; "
                    "cdk-nag recognises only queue redrive policies as dead-letter use"
                ),
            ),
            _acknowledgment(
                rule_id="Serverless-SQSRedrivePolicy",
                reason=(
                    "This is the dead-letter queue of the payment-retry rule's target; it "
                    "keeps events 14 days for investigation, a queue behind it would add nothing"
                ),
            ),
        )
        cdk.Validations.of(self.dead_letter_queue).acknowledge(
            _acknowledgment(
                rule_id="Serverless-SQSRedrivePolicy",
                reason=(
                    "This is the dead-letter queue of the payments queue; it keeps messages "
                    "14 days for investigation and redrive, a queue behind it would add nothing"
                ),
            )
        )

    def _payment_retry_rule(
        self, data_removal_policy: cdk.RemovalPolicy
    ) -> tuple[sqs.Queue, events.Rule]:
        """Support retries a stuck payment by putting an event on the default bus; the
        rule puts its ``detail`` on the payments queue, where the payment function takes it
        like any other payment. An event EventBridge cannot deliver (the queue refused it,
        its retries ran out) goes to a dead-letter queue instead of being dropped."""
        retry_dead_letter_queue = sqs.Queue(
            self,
            "PaymentRetryDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=data_removal_policy,
        )
        rule = events.Rule(
            self,
            "PaymentRetryRule",
            rule_name=f"{self.service_name}-payment-retry",
            description="Puts a payment back on the payments queue when support asks",
            event_pattern=events.EventPattern(
                source=[PAYMENT_RETRY_SOURCE], detail_type=[PAYMENT_RETRY_DETAIL_TYPE]
            ),
        )
        rule.add_target(
            targets.SqsQueue(
                self.queue,
                message=events.RuleTargetInput.from_event_path("$.detail"),
                dead_letter_queue=retry_dead_letter_queue,
                retry_attempts=8,
                max_event_age=cdk.Duration.hours(2),
            )
        )
        return retry_dead_letter_queue, rule

    def _function(
        self,
        construct_id: str,
        *,
        name: str,
        handler: str,
        description: str,
        code: lambda_.Code,
        timeout: cdk.Duration,
        environment: dict[str, str],
    ) -> lambda_.Function:
        return lambda_.Function(
            self,
            construct_id,
            # A stable, readable name: it is what on-call engineers see in logs and dashboards,
            # and what a separately deployed MonitoringStack looks the function up by.
            function_name=f"{self.service_name}-{name}",
            description=description,
            runtime=_RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            memory_size=256,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            # The handlers import watchkeeper.runtime (stdlib only), delivered as a layer.
            layers=[RuntimeLayer.of(self)],
        )

    def _http_api(self) -> apigwv2.HttpApi:
        api = apigwv2.HttpApi(
            self,
            "OrdersApi",
            api_name=f"{self.service_name}-api",
            description="Orders API of the watchkeeper demo service (IAM-signed requests)",
            # IAM authorization needs no identity provider outside the account: callers sign
            # requests with SigV4 (awscurl, the AWS SDKs) and the functions get the caller's
            # account and ARN in the request context.
            default_authorizer=HttpIamAuthorizer(),
        )
        api.add_routes(
            path="/orders",
            methods=[apigwv2.HttpMethod.POST],
            integration=HttpLambdaIntegration("CreateOrderIntegration", self.create_order_fn),
        )
        api.add_routes(
            path="/orders/{orderId}",
            methods=[apigwv2.HttpMethod.GET],
            integration=HttpLambdaIntegration("GetOrderIntegration", self.get_order_fn),
        )
        # HttpApi's auto-created $default stage has no throttle option; setting it on that
        # stage (rather than creating another) keeps api.default_stage for monitoring.
        default_stage = api.default_stage
        assert default_stage is not None  # create_default_stage defaults to True
        cfn_stage = default_stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.default_route_settings = apigwv2.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=_API_RATE_LIMIT,
            throttling_burst_limit=_API_BURST_LIMIT,
        )
        return api

    def _fulfilment_state_machine(self) -> sfn.StateMachine:
        """Fulfils a paid order: wait out the cancellation window, re-check, mark fulfilled."""
        order_key = {
            "orderId": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.orderId"))
        }
        cancellation_window = sfn.Wait(
            self,
            "CancellationWindow",
            comment="A paid order can still be cancelled for a short time",
            time=sfn.WaitTime.duration(cdk.Duration.minutes(1)),
        )
        read_order = tasks.DynamoGetItem(
            self,
            "ReadOrder",
            table=self.table,
            key=order_key,
            consistent_read=True,
            result_selector={"status.$": "$.Item.status.S"},
            result_path="$.order",
        )
        mark_fulfilled = tasks.DynamoUpdateItem(
            self,
            "MarkFulfilled",
            table=self.table,
            key=order_key,
            update_expression="SET #status = :fulfilled",
            condition_expression="#status = :paid",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":fulfilled": tasks.DynamoAttributeValue.from_string(order_status.FULFILLED),
                ":paid": tasks.DynamoAttributeValue.from_string(order_status.PAID),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        fulfilled = sfn.Succeed(self, "Fulfilled")
        cancelled = sfn.Fail(
            self, "Cancelled", error="OrderCancelled", cause="Order cancelled before fulfilment"
        )
        not_paid = sfn.Fail(
            self, "NotPaid", error="OrderNotPaid", cause="Order is not in the PAID status"
        )
        check_status = (
            sfn.Choice(self, "CheckStatus")
            .when(sfn.Condition.string_equals("$.order.status", order_status.PAID), mark_fulfilled)
            .when(sfn.Condition.string_equals("$.order.status", order_status.CANCELLED), cancelled)
            .otherwise(not_paid)
        )
        mark_fulfilled.next(fulfilled)
        definition = cancellation_window.next(read_order).next(check_status)
        return sfn.StateMachine(
            self,
            "FulfilmentStateMachine",
            state_machine_name=f"{self.service_name}-fulfilment",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            tracing_enabled=True,
            timeout=cdk.Duration.minutes(15),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
