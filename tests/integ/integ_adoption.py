"""Integration test: adopting watchkeeper in an app that is already deployed.

``WATCHKEEPER_INTEG_ADOPTION=before`` synthesizes the app as it runs in production today,
without watchkeeper: a function writing to the ``/aws/lambda/<name>`` group Lambda makes.
The default, ``after``, is the same app with one ``ServiceMonitoring`` line, and is what the
committed snapshot holds. ``make integ-deploy`` deploys ``before``, then updates the same
stack to ``after`` (the redeploy must succeed) and asserts that a line the function writes
after the update lands in its new log group, the service log group.
"""

from __future__ import annotations

import aws_cdk as cdk
from _support import LOGS_TIMEOUT, POLL_INTERVAL, leave_nothing_behind, new_app, phase
from aws_cdk import aws_lambda as lambda_
from aws_cdk import integ_tests_alpha as integ

from watchkeeper import InsightsOptions, LogGroupOptions, ServiceMonitoring

SERVICE = "wk-integ-adopt"
FUNCTION = f"{SERVICE}-worker"
MARKER = "adoption-marker-written-after-the-update"

PHASE = phase("adoption", ("before", "after"), default="after")

app = new_app()
stack = cdk.Stack(app, "WatchkeeperIntegAdoption")
leave_nothing_behind(stack)
lambda_.Function(
    stack,
    "Worker",
    function_name=FUNCTION,
    runtime=lambda_.Runtime.PYTHON_3_12,
    handler="index.handler",
    code=lambda_.Code.from_inline(
        "import json\n\n"
        "def handler(event, context):\n"
        "    print(json.dumps({'level': 'INFO', 'message': event.get('marker', ''),\n"
        "                      'requestId': context.aws_request_id}))\n"
        "    return {'ok': True}\n"
    ),
    timeout=cdk.Duration.seconds(5),
)
test_cases = [stack]
if PHASE == "after":
    monitoring = ServiceMonitoring(
        stack, "Monitoring", service_name=SERVICE,
        log_groups=LogGroupOptions(removal_policy=cdk.RemovalPolicy.DESTROY),
        insights=InsightsOptions(dashboards=False),
    )

test = integ.IntegTest(app, "Adoption", test_cases=test_cases)
if PHASE == "after":
    new_group = monitoring.service_log_group
    assert new_group is not None  # one service log group is the default
    wrote = test.assertions.invoke_function(
        function_name=FUNCTION, payload=cdk.Stack.of(stack).to_json_string({"marker": MARKER})
    )
    wrote.expect(integ.ExpectedResult.object_like({"StatusCode": 200}))
    found = test.assertions.aws_api_call(
        "CloudWatchLogs", "filterLogEvents",
        {"logGroupName": new_group.log_group_name, "filterPattern": f'"{MARKER}"'},
    )
    found.expect(integ.ExpectedResult.object_like({
        "events": integ.Match.array_with([integ.Match.object_like({
            "message": integ.Match.string_like_regexp(MARKER),
        })]),
    }))
    found.wait_for_assertions(total_timeout=LOGS_TIMEOUT, interval=POLL_INTERVAL)
    wrote.next(found)

app.synth()
