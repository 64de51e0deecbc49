"""Integration test: a ``MonitoringStack`` for a function deployed elsewhere, before that
function (and so its log group) exists.

The deploy must succeed: the stack makes the function's log group itself rather than
expect it. The assertion checks that the group is there after the deploy.
"""

from __future__ import annotations

import aws_cdk as cdk
from _support import POLL_INTERVAL, leave_nothing_behind, new_app
from aws_cdk import integ_tests_alpha as integ

from watchkeeper import InsightsOptions, LogGroupOptions
from watchkeeper.stacks import MonitoringStack

SERVICE = "wk-integ-elsewhere"
FUNCTION = f"{SERVICE}-not-deployed-yet"

app = new_app()
stack = MonitoringStack(
    app,
    "WatchkeeperIntegElsewhere",
    service_name=SERVICE,
    function_names=[FUNCTION],
    log_groups=LogGroupOptions(removal_policy=cdk.RemovalPolicy.DESTROY),
    insights=InsightsOptions(dashboards=False),
)
leave_nothing_behind(stack)

test = integ.IntegTest(app, "DeployedElsewhere", test_cases=[stack])
groups = test.assertions.aws_api_call(
    "CloudWatchLogs", "describeLogGroups", {"logGroupNamePrefix": f"/aws/lambda/{FUNCTION}"}
)
groups.expect(integ.ExpectedResult.object_like({
    "logGroups": integ.Match.array_with([integ.Match.object_like({
        "logGroupName": f"/aws/lambda/{FUNCTION}",
    })]),
}))
groups.wait_for_assertions(total_timeout=cdk.Duration.minutes(2), interval=POLL_INTERVAL)

app.synth()
