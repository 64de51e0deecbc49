"""Async alarms (async_events_dropped, async_event_age) only for functions something really
invokes asynchronously (README: "Alarms").

``retry_attempts=0`` alone makes an ``AWS::Lambda::EventInvokeConfig`` with only
``MaximumRetryAttempts``: a function called only by API Gateway or a stream is not invoked
asynchronously by that, and its async alarms could never fire. One app holds every way of
wiring a function; one synth is shared by the module's tests.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from watchkeeper import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
ASYNC_CHECKS = {"async_events_dropped", "async_event_age"}


def _fn(scope, cid, **kw):
    return lambda_.Function(scope, cid, runtime=lambda_.Runtime.PYTHON_3_12,
                            handler="index.handler", code=CODE, function_name=cid.lower(), **kw)


def _cfn_fn(scope, cid):
    """A function as an L1 (role and all): its only invoker is given without a Permission
    of CDK's, so only the wiring itself says it is invoked asynchronously."""
    role = cdk.CfnResource(scope, f"{cid}Role", type="AWS::IAM::Role", properties={
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"}}]}})
    return lambda_.CfnFunction(
        scope, cid, function_name=cid.lower(), runtime="python3.12", handler="index.handler",
        role=role.get_att("Arn").to_string(),
        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(e, c):\n    return e\n"))


@pytest.fixture(scope="module")
def wired():
    app = cdk.App()
    stack = cdk.Stack(app, "Wired", env=ENV)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="wired")
    # Called by API Gateway only, with retries switched off "just in case".
    _fn(stack, "RetryOff", retry_attempts=0)
    _fn(stack, "AgeOnly", max_event_age=cdk.Duration.hours(1))
    failures = sqs.Queue(stack, "Failures", enforce_ssl=True)
    _fn(stack, "OnFailure", retry_attempts=0,
        on_failure=destinations.SqsDestination(failures))
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    topic_fn = _fn(stack, "TopicFn")
    sns.Subscription(stack, "TopicSub", topic=topic, protocol=sns.SubscriptionProtocol.LAMBDA,
                     endpoint=topic_fn.function_arn)
    rule_fn = _fn(stack, "RuleFn")
    events.Rule(stack, "Nightly", schedule=events.Schedule.rate(cdk.Duration.days(1)),
                targets=[events_targets.LambdaFunction(rule_fn)])
    bucket_fn = _fn(stack, "BucketFn")
    bucket = s3.Bucket(stack, "Uploads", enforce_ssl=True)
    bucket.add_event_notification(s3.EventType.OBJECT_CREATED,
                                  s3n.LambdaDestination(bucket_fn))
    # L1 wiring without the Permissions CDK's L2 targets add.
    l1_rule_fn = _cfn_fn(stack, "L1RuleFn")
    events.CfnRule(stack, "L1Rule", schedule_expression="rate(1 day)",
                   targets=[events.CfnRule.TargetProperty(id="fn", arn=l1_rule_fn.attr_arn)])
    l1_topic_fn = _cfn_fn(stack, "L1TopicFn")
    sns.CfnSubscription(stack, "L1TopicSub", protocol="lambda", topic_arn=topic.topic_arn,
                        endpoint=l1_topic_fn.attr_arn)
    l1_logs_fn = _cfn_fn(stack, "L1LogsFn")
    logs.CfnSubscriptionFilter(stack, "L1LogsSub", log_group_name="/app/audit",
                               filter_pattern="", destination_arn=l1_logs_fn.attr_arn)
    app.synth()
    template = cdk.assertions.Template.from_stack(stack)
    return {"mon": mon, "checks": _checks(mon), "template": template}


def _checks(mon):
    checks: dict[str, set[str]] = {}
    for alarm in mon.alarm_details:
        # checks are "<kind>.<check>"
        checks.setdefault(alarm.resource_key, set()).add(alarm.check.split(".", 1)[1])
    return checks


@pytest.mark.parametrize("key", ["retryoff", "ageonly"])
def test_an_event_invoke_config_without_a_destination_gets_no_async_alarms(wired, key):
    assert "errors" in wired["checks"][key]
    assert not ASYNC_CHECKS & wired["checks"][key]


@pytest.mark.parametrize("key", [
    "onfailure",  # EventInvokeConfig with an on_failure destination
    "topicfn", "rulefn", "bucketfn",  # SNS subscription, EventBridge rule, S3 notification
    "l1rulefn", "l1topicfn", "l1logsfn",  # the same wired as L1s, without Permissions
])
def test_a_function_something_invokes_asynchronously_gets_async_alarms(wired, key):
    assert ASYNC_CHECKS <= wired["checks"][key]


def test_the_asynchronous_option_overrides_discovery_both_ways():
    app = cdk.App()
    stack = cdk.Stack(app, "Declared", env=ENV)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="declared")
    # Invoked by a caller the stack does not show (another account's topic, say).
    mon.monitor_function(_fn(stack, "Declared"), asynchronous=True)
    failures = sqs.Queue(stack, "Failures", enforce_ssl=True)
    mon.monitor_function(_fn(stack, "Undeclared", on_failure=destinations.SqsDestination(
        failures)), asynchronous=False)
    app.synth()
    checks = _checks(mon)
    assert ASYNC_CHECKS <= checks["declared"]
    assert not ASYNC_CHECKS & checks["undeclared"]


def test_async_alarms_watch_the_function_by_name(wired):
    wired["template"].has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "AsyncEventsDropped", "Namespace": "AWS/Lambda",
        "Dimensions": [{"Name": "FunctionName", "Value": "onfailure"}],
    })


def test_the_wired_app_passes_cfn_lint(wired):
    assert lint_template(wired["template"].to_json()) == []


@pytest.mark.parametrize("value", ["yes", 1, 0])
def test_asynchronous_must_be_a_bool(value):
    stack = cdk.Stack(cdk.App(), "S")
    mon = ServiceMonitoring(stack, "Monitoring", service_name="svc")
    with pytest.raises(ValueError, match=r"asynchronous=.* must be True, False or None"):
        mon.monitor_function(_fn(stack, "Fn"), asynchronous=value)
