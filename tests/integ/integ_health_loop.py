"""Integration test: the health loop.

Two functions of a service monitored by ``ServiceMonitoring``: one that times out and one
that raises. After one invocation of each:

- the ``Timeouts`` log metric moves and ``<service>-service-timeouts`` goes to ALARM;
- the ``Errors`` metric of the raising function moves and its errors alarm goes to ALARM
  (evaluated over 1 of 1 minute here instead of the default 3 of 3, so that one
  invocation is enough);
- the composite ``<service>-service-health`` goes to ALARM.
"""

from __future__ import annotations

import aws_cdk as cdk
from _support import ALARM_TIMEOUT, POLL_INTERVAL, leave_nothing_behind, new_app
from aws_cdk import aws_lambda as lambda_
from aws_cdk import integ_tests_alpha as integ

from watchkeeper import AlarmOptions, InsightsOptions, LogGroupOptions, ServiceMonitoring
from watchkeeper.constructs.alarms import AlarmSettings

SERVICE = "wk-integ-health"
SLEEPER = f"{SERVICE}-sleeper"
RAISER = f"{SERVICE}-raiser"

app = new_app()
stack = cdk.Stack(app, "WatchkeeperIntegHealth")
leave_nothing_behind(stack)


def function(construct_id: str, name: str, body: str, timeout: int) -> lambda_.Function:
    return lambda_.Function(
        stack,
        construct_id,
        function_name=name,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline(body),
        timeout=cdk.Duration.seconds(timeout),
    )


function(
    "Sleeper", SLEEPER,
    "import time\n\ndef handler(event, context):\n    time.sleep(10)\n",
    timeout=2,
)
function(
    "Raiser", RAISER,
    "def handler(event, context):\n    raise RuntimeError('integration test: planned failure')\n",
    timeout=5,
)
ServiceMonitoring(
    stack,
    "Monitoring",
    service_name=SERVICE,
    log_groups=LogGroupOptions(removal_policy=cdk.RemovalPolicy.DESTROY),
    # $3/dashboard-month each; the security loop deploys the real ones
    insights=InsightsOptions(dashboards=False),
    alarms=AlarmOptions(overrides={
        "function.errors": AlarmSettings(evaluation_periods=1, datapoints_to_alarm=1),
    }),
)

test = integ.IntegTest(app, "HealthLoop", test_cases=[stack])
timed_out = test.assertions.invoke_function(function_name=SLEEPER)
timed_out.expect(integ.ExpectedResult.object_like({"FunctionError": "Unhandled"}))
raised = test.assertions.invoke_function(function_name=RAISER)
raised.expect(integ.ExpectedResult.object_like({"FunctionError": "Unhandled"}))


def in_alarm(name: str, alarm_type: str, metric: str | None) -> integ.IApiCall:
    """DescribeAlarms until ``name`` is in ALARM (with a datapoint, for a metric alarm)."""
    key = "CompositeAlarms" if alarm_type == "CompositeAlarm" else "MetricAlarms"
    expected: dict[str, object] = {"AlarmName": name, "StateValue": "ALARM"}
    if metric is not None:
        expected["MetricName"] = metric
        expected["StateReason"] = integ.Match.string_like_regexp(r"Threshold Crossed: \d+ ")
    call = test.assertions.aws_api_call(
        "CloudWatch", "describeAlarms", {"AlarmNames": [name], "AlarmTypes": [alarm_type]}
    )
    call.expect(integ.ExpectedResult.object_like({
        key: integ.Match.array_with([integ.Match.object_like(expected)]),
    }))
    call.wait_for_assertions(total_timeout=ALARM_TIMEOUT, interval=POLL_INTERVAL)
    return call


timed_out.next(raised).next(
    in_alarm(f"{SERVICE}-service-timeouts", "MetricAlarm", "Timeouts")
).next(
    in_alarm(f"{RAISER}-errors", "MetricAlarm", "Errors")
).next(
    in_alarm(f"{SERVICE}-service-health", "CompositeAlarm", None)
)

app.synth()
