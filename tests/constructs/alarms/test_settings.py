"""Bad alarm options fail when the construct or monitor_* call is made, naming the option."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.constructs.alarms import AlarmSettings
from watchkeeper.constructs.alarms.core import AlarmPlan, MetricRef, render
from watchkeeper.constructs.alarms.settings import resolve
from watchkeeper.constructs.kinds.table import CHECKS as TABLE_CHECKS


@pytest.fixture()
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S")


def _mon(stack, **alarm_options):
    # A fresh id per call: the construct joins the tree before it validates its options.
    return ServiceMonitoring(stack, f"M{len(stack.node.children)}", service_name="orders",
                             alarms=AlarmOptions(**alarm_options))


def _fn(stack, timeout=10):
    return lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12,
                            handler="index.handler", code=lambda_.Code.from_inline("x"),
                            timeout=cdk.Duration.seconds(timeout))


def test_unknown_kind_check_lists_the_valid_ones(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.overrides has an unknown check "
                                         r"'function.eror'.*function\.errors"):
        _mon(stack, overrides={"function.eror": AlarmSettings(threshold=1)})


def test_unknown_resource_check_lists_the_checks_of_its_kind(stack):
    mon = _mon(stack)
    with pytest.raises(ValueError, match=r"alarms has an unknown check 'latency': use one of "
                                         r"errors, error_rate"):
        mon.monitor_function(_fn(stack), alarms={"latency": AlarmSettings(threshold=1)})


def test_threshold_out_of_range(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.overrides"
                                         r"\['http_api.server_error_rate'\]"
                                         r"\.threshold=5 is out of range.*between 0 and 1"):
        _mon(stack, overrides={"http_api.server_error_rate": AlarmSettings(threshold=5)})
    with pytest.raises(ValueError, match=r"threshold=-1 is out of range"):
        _mon(stack, overrides={"queue.age": AlarmSettings(threshold=-1)})


def test_period_times_evaluation_periods_over_one_day(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.overrides\['queue.age'\]: "
                                         r"period \(3600s\) x "
                                         r"evaluation_periods \(25\).*more than one day"):
        _mon(stack, overrides={"queue.age": AlarmSettings(
            period=cdk.Duration.hours(1), evaluation_periods=25)})


def test_period_must_be_whole_minutes(stack):
    with pytest.raises(ValueError, match=r"period=90s is not allowed: use whole minutes"):
        _mon(stack, overrides={"table.system_errors": AlarmSettings(
            period=cdk.Duration.seconds(90))})


def test_datapoints_above_evaluation_periods(stack):
    with pytest.raises(ValueError, match=r"datapoints_to_alarm=4 is more than "
                                         r"evaluation_periods=3"):
        _mon(stack, overrides={"function.errors": AlarmSettings(datapoints_to_alarm=4)})


def test_treat_missing_data_statistic_and_severity_are_checked(stack):
    with pytest.raises(ValueError, match=r"treat_missing_data='zero' is not allowed"):
        _mon(stack, overrides={"function.errors": AlarmSettings(treat_missing_data="zero")})
    with pytest.raises(ValueError, match=r"statistic='p90' is not allowed for function.errors"):
        _mon(stack, overrides={"function.errors": AlarmSettings(statistic="p90")})
    with pytest.raises(ValueError, match=r"severity='page' is not allowed"):
        _mon(stack, overrides={"function.errors": AlarmSettings(severity="page")})


def test_email_that_is_not_one(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.emails contains "
                                         r"'oncall-at-example.com'"):
        _mon(stack, emails=["oncall-at-example.com"])


def test_duration_threshold_above_the_timeout(stack):
    mon = _mon(stack)
    with pytest.raises(ValueError, match=r"alarms\['duration'\]\.threshold=20000 ms is above "
                                         r"the timeout of .* \(10 s = 10000 ms\)"):
        mon.monitor_function(_fn(stack), alarms={"duration": AlarmSettings(threshold=20000)})


def test_duration_threshold_share_and_concurrency_limit_are_checked(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.duration_threshold_share=1.5 "
                                         r"must be at most 1"):
        _mon(stack, duration_threshold_share=1.5)
    with pytest.raises(ValueError, match=r"AlarmOptions.concurrency_limit=0 must be at least 10"):
        _mon(stack, concurrency_limit=0)


def test_chatbot_slack_and_alarm_topic_shapes(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.chatbot_slack='T0123' must be "
                                         r"\(workspace_id, "
                                         r"channel_id\)"):
        _mon(stack, chatbot_slack="T0123")
    with pytest.raises(ValueError, match=r"AlarmOptions.topic='arn:aws:sns' must be an "
                                         r"aws_sns.ITopic"):
        _mon(stack, topic="arn:aws:sns")


def test_settings_must_be_alarm_settings(stack):
    with pytest.raises(ValueError, match=r"AlarmOptions.overrides\['queue.age'\]=5 must be an "
                                         r"AlarmSettings"):
        _mon(stack, overrides={"queue.age": 5})


def test_more_than_ten_metrics_in_a_math_alarm(stack):
    (check,) = (c for c in TABLE_CHECKS if c.name == "system_errors")
    plan = AlarmPlan(settings=resolve(check, (), "x"), resource_key="t", label="t",
                     service="orders", expression="SUM(METRICS())",
                     math_metrics=tuple(MetricRef("AWS/DynamoDB", f"M{i}") for i in range(11)))
    with pytest.raises(ValueError, match=r"metric math uses 11 metrics; CloudWatch allows at "
                                         r"most 10"):
        render(stack, plan, alarm_actions=[], ok_actions=[])


def test_concurrency_threshold_above_reserved_concurrency(stack):
    mon = _mon(stack)
    fn = lambda_.Function(stack, "Fn2", runtime=lambda_.Runtime.PYTHON_3_12,
                          handler="index.handler", code=lambda_.Code.from_inline("x"),
                          reserved_concurrent_executions=5)
    with pytest.raises(ValueError, match=r"alarms\['concurrency'\]\.threshold=10 is above the "
                                         r"reserved concurrency"):
        mon.monitor_function(fn, alarms={"concurrency": AlarmSettings(threshold=10)})


def test_queue_dead_letter_flag_must_be_bool(stack):
    mon = _mon(stack)
    with pytest.raises(ValueError, match=r"is_dead_letter_queue='yes' must be a bool"):
        mon.monitor_queue(sqs.Queue(stack, "Q"), is_dead_letter_queue="yes")
