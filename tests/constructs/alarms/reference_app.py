"""A service that uses every resource the alarms cover, built the way a team writes it.

Functions named, unnamed and imported; an HTTP API and a REST API; a queue with a
dead-letter queue; a table with a stream; a state machine; a Kinesis stream source; an
SNS-invoked function with a dead-letter queue. Discovery (on by default) finds it all.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def build_service_stack(app: cdk.App, stack_id: str = "Orders") -> cdk.Stack:
    """The service's resources, no monitoring (the caller adds ServiceMonitoring)."""
    stack = cdk.Stack(app, stack_id, env=cdk.Environment(account="111122223333",
                                                          region="eu-west-1"))

    def fn(cid: str, **kw: object) -> lambda_.Function:
        return lambda_.Function(stack, cid, runtime=lambda_.Runtime.PYTHON_3_12,
                                handler="index.handler", code=lambda_.Code.from_inline(CODE),
                                **kw)  # type: ignore[arg-type]

    create = fn("CreateOrder", function_name="orders-create", timeout=cdk.Duration.seconds(10),
                reserved_concurrent_executions=50)
    get = fn("GetOrder")  # unnamed, default 3 s timeout
    http = apigatewayv2.HttpApi(stack, "PublicApi", api_name="orders-public",
                                default_integration=integrations.HttpLambdaIntegration(
                                    "GetIntegration", get))
    rest = apigateway.LambdaRestApi(stack, "AdminApi", handler=create,
                                    rest_api_name="orders-admin")
    dlq = sqs.Queue(stack, "WorkDlq", queue_name="orders-work-dlq", enforce_ssl=True)
    work = sqs.Queue(stack, "WorkQueue", queue_name="orders-work", enforce_ssl=True,
                     visibility_timeout=cdk.Duration.seconds(60),
                     dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=3))
    worker = fn("Worker", function_name="orders-worker", timeout=cdk.Duration.seconds(30))
    worker.add_event_source(sources.SqsEventSource(work))
    table = dynamodb.Table(stack, "OrdersTable", table_name="orders",
                           partition_key=dynamodb.Attribute(
                               name="pk", type=dynamodb.AttributeType.STRING),
                           billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                           stream=dynamodb.StreamViewType.NEW_IMAGE)
    projector = fn("Projector", function_name="orders-projector")
    projector.add_event_source(sources.DynamoEventSource(
        table, starting_position=lambda_.StartingPosition.LATEST))
    stream = kinesis.Stream(stack, "Clicks", encryption=kinesis.StreamEncryption.MANAGED)
    clicks = fn("ClickCounter")
    clicks.add_event_source(sources.KinesisEventSource(
        stream, starting_position=lambda_.StartingPosition.LATEST))
    topic = sns.Topic(stack, "OrderEvents", enforce_ssl=True)
    notifier_dlq = sqs.Queue(stack, "NotifierDlq", enforce_ssl=True)
    notifier = fn("Notifier", function_name="orders-notifier", dead_letter_queue=notifier_dlq)
    notifier.add_event_source(sources.SnsEventSource(topic))
    sfn.StateMachine(stack, "Fulfilment", state_machine_name="orders-fulfilment",
                     definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Ship")))
    stack.http_api = http  # type: ignore[attr-defined]
    stack.rest_api = rest  # type: ignore[attr-defined]
    return stack
