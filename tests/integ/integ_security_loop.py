"""Integration test: the security loop and forensics, on the reference orders service.

Deploys ``OrdersServiceStack`` (watchkeeper's reference service, one ``ServiceMonitoring``
line) and a queue subscribed to its alarm topic, then:

1. invokes the get-order function as a caller from an untrusted account: the handler writes
   the OWASP ``authz_fail`` event with ``watchkeeper.runtime.security_event``;
2. waits until ``<service>-security-authz-failures`` is in ALARM with a datapoint of the
   ``AuthorizationFailures`` metric in its state reason;
3. waits until the queue receives that alarm's notification: CloudWatch could publish to
   the KMS-encrypted topic (the key policy lets it) and SNS delivered it;
4. forensics: takes the request id of the invocation from its ``authz_fail`` line and runs
   the saved query "trace-request" (StartQuery / GetQueryResults) with it, expecting the
   line back.
"""

from __future__ import annotations

import aws_cdk as cdk
from _support import (
    ALARM_TIMEOUT,
    LOGS_TIMEOUT,
    POLL_INTERVAL,
    UNTRUSTED_ACCOUNT_ID,
    alarm_inbox,
    leave_nothing_behind,
    new_app,
)
from aws_cdk import integ_tests_alpha as integ

from demo.orders_service import OrdersServiceStack
from watchkeeper.queries import get_query
from watchkeeper.schema import Field

SERVICE = "wk-integ-orders"
AUTHZ_ALARM = f"{SERVICE}-security-authz-failures"
AUTHZ_MESSAGE = "Caller's account is not trusted by this service"
# Logs Insights needs a time range; a wide fixed one keeps the snapshot stable, and the
# service log group is new, so the query scans only this run's lines.
QUERY_START = 0
QUERY_END = 4_102_444_800  # 2100-01-01

app = new_app()
service = OrdersServiceStack(app, "WatchkeeperIntegOrders", service_name=SERVICE)
leave_nothing_behind(service)
inbox = alarm_inbox(service, service.monitoring.topic, AUTHZ_ALARM)
service_log_group = service.monitoring.service_log_group
assert service_log_group is not None  # one service log group is the default

test = integ.IntegTest(
    app,
    "SecurityLoop",
    test_cases=[service],
)

# 1. A signed request from an account the service does not trust (HTTP API payload 2.0, as
# API Gateway's IAM authorizer passes it).
refused = test.assertions.invoke_function(
    function_name=service.get_order_fn.function_name,
    payload=cdk.Stack.of(service).to_json_string({
        "version": "2.0",
        "routeKey": "GET /orders/{orderId}",
        "pathParameters": {"orderId": "8d4b7c2e-2a7e-4d59-9d7a-3b0d2f7c9e11"},
        "requestContext": {
            "http": {"method": "GET", "sourceIp": "198.51.100.7"},
            "authorizer": {"iam": {
                "accountId": UNTRUSTED_ACCOUNT_ID,
                "userArn": f"arn:aws:iam::{UNTRUSTED_ACCOUNT_ID}:user/integ-intruder",
            }},
        },
    }),
)
refused.expect(integ.ExpectedResult.object_like({
    "StatusCode": 200,
    "Payload": integ.Match.string_like_regexp('"statusCode": 403'),
}))

# 2. The metric filter turned the line into a datapoint and the alarm (1 of 1 minute) fired.
alarm_fired = test.assertions.aws_api_call(
    "CloudWatch", "describeAlarms", {"AlarmNames": [AUTHZ_ALARM]}
)
alarm_fired.expect(integ.ExpectedResult.object_like({
    "MetricAlarms": integ.Match.array_with([integ.Match.object_like({
        "AlarmName": AUTHZ_ALARM,
        "MetricName": "AuthorizationFailures",
        "StateValue": "ALARM",
        "StateReason": integ.Match.string_like_regexp(r"Threshold Crossed: 1 .*datapoint"),
    })]),
}))
alarm_fired.wait_for_assertions(total_timeout=ALARM_TIMEOUT, interval=POLL_INTERVAL)

# 3. The notification went through the encrypted topic to the subscribed queue.
notified = test.assertions.aws_api_call(
    "SQS", "receiveMessage",
    {"QueueUrl": inbox.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 10},
)
notified.expect(integ.ExpectedResult.object_like({
    "Messages": integ.Match.array_with([integ.Match.object_like({
        "Body": integ.Match.string_like_regexp(AUTHZ_ALARM),
    })]),
}))
notified.wait_for_assertions(total_timeout=ALARM_TIMEOUT, interval=POLL_INTERVAL)

# 4. Forensics: the request id of the refused call, from its authz_fail line ...
authz_line = test.assertions.aws_api_call(
    "CloudWatchLogs", "filterLogEvents",
    {
        "logGroupName": service_log_group.log_group_name,
        "filterPattern": f'{{ $.{Field.EVENT} = "authz_fail*" }}',
        "limit": 1,
    },
    # The handler's JSON line is exploded, so its fields can be read with get_att_string.
    ["events.0.message.requestId"],
)
authz_line.expect(integ.ExpectedResult.object_like({
    "events": integ.Match.array_with([integ.Match.object_like({
        "logStreamName": integ.Match.string_like_regexp(r"\S"),
    })]),
}))
authz_line.wait_for_assertions(total_timeout=LOGS_TIMEOUT, interval=POLL_INTERVAL)
request_id = authz_line.get_att_string(f"events.0.message.{Field.REQUEST_ID}")

# ... then the saved query "trace-request" with it, exactly as the console runs it.
trace = test.assertions.aws_api_call(
    "CloudWatchLogs", "startQuery",
    {
        "logGroupNames": [service_log_group.log_group_name],
        "queryString": get_query("trace-request").substitute(requestId=request_id),
        "startTime": QUERY_START,
        "endTime": QUERY_END,
    },
    ["queryId"],
)
traced = test.assertions.aws_api_call(
    "CloudWatchLogs", "getQueryResults", {"queryId": trace.get_att_string("queryId")}
)
traced.expect(integ.ExpectedResult.object_like({
    "status": "Complete",
    "results": integ.Match.array_with([
        integ.Match.array_with([
            integ.Match.object_like({"field": "text", "value": AUTHZ_MESSAGE}),
        ]),
    ]),
}))
traced.wait_for_assertions(total_timeout=LOGS_TIMEOUT, interval=POLL_INTERVAL)

refused.next(alarm_fired).next(notified).next(authz_line).next(trace).next(traced)

app.synth()
