"""Bad input raises ValueError at synth naming the option, the value and what is allowed."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from watchkeeper import AlarmOptions, FunctionLoggingOptions, LogGroupOptions, ServiceMonitoring


@pytest.fixture
def stack():
    return cdk.Stack(cdk.App(), "S")


@pytest.mark.parametrize(
    "name",
    ["", "Orders", "orders_api", "-orders", "orders-", "a" * 41, "orders service", "ördere"],
)
def test_invalid_service_name(stack, name):
    with pytest.raises(ValueError, match=r"service_name=.*lower-case letters, digits and '-'"):
        ServiceMonitoring(stack, "M", service_name=name)


@pytest.mark.parametrize("days", [0, 2, 366, 5000, -1, "365", 365.0, True])
def test_invalid_retention(days):
    with pytest.raises(ValueError, match=r"LogGroupOptions.retention=.*use one of 1, 3, 5, 7"):
        LogGroupOptions(retention=days)


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "a b@example.com", "@example.com", "oncall@", 42]
)
def test_invalid_email(email):
    with pytest.raises(ValueError, match=r"AlarmOptions.emails contains .*not an email address"):
        AlarmOptions(emails=[email])


def test_emails_as_a_string_is_an_error():
    with pytest.raises(ValueError, match=r"AlarmOptions.emails=.*must be a list"):
        AlarmOptions(emails="oncall@example.com")


@pytest.mark.parametrize("level", ["info", "WARNING", "CRITICAL", "", None])
def test_invalid_application_log_level(level):
    with pytest.raises(
        ValueError,
        match=r"FunctionLoggingOptions.application_log_level=.*use one of TRACE, DEBUG, INFO, "
        r"WARN, ERROR, FATAL",
    ):
        FunctionLoggingOptions(application_log_level=level)


@pytest.mark.parametrize("level", ["ERROR", "TRACE", "warn"])
def test_invalid_system_log_level(level):
    with pytest.raises(
        ValueError, match=r"FunctionLoggingOptions.system_log_level=.*use one of DEBUG, INFO, WARN"
    ):
        FunctionLoggingOptions(system_log_level=level)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/orders/with space", "letters, digits and"),
        ("/orders/emoji✓", "letters, digits and"),
        ("", "letters, digits and"),
        ("/" + "a" * 512, "1-512 characters"),
        ("aws/lambda/orders", "must not start with 'aws/'"),
    ],
)
def test_invalid_log_group_name(name, message):
    with pytest.raises(ValueError, match=rf"LogGroupOptions.service_log_group_name=.*{message}"):
        LogGroupOptions(service_log_group_name=name)


def test_unknown_data_identifier():
    with pytest.raises(ValueError, match=r"LogGroupOptions.data_identifiers contains 'NotAThing'"):
        LogGroupOptions(data_identifiers=["NotAThing"])


def test_no_identifiers_with_data_protection():
    with pytest.raises(
        ValueError, match=r"LogGroupOptions.data_identifiers=\[\] with data_protection=True"
    ):
        LogGroupOptions(data_identifiers=[])


def test_log_group_name_with_per_function_groups():
    with pytest.raises(
        ValueError,
        match=r"LogGroupOptions.service_log_group_name='/x' cannot be combined with "
        r"LogGroupOptions.per_function=True",
    ):
        LogGroupOptions(service_log_group_name="/x", per_function=True)


def test_monitor_function_rejects_non_functions(stack):
    mon = ServiceMonitoring(stack, "M", service_name="orders")
    with pytest.raises(ValueError, match=r"expected an aws_lambda.IFunction"):
        mon.monitor_function("orders-create")  # type: ignore[arg-type]


@pytest.mark.parametrize("method, expected", [
    ("monitor_http_api",
     r"monitor_http_api\(api='orders'\): expected an aws_apigatewayv2.IHttpApi"),
    ("monitor_rest_api", r"monitor_rest_api\(api='orders'\): expected an aws_apigateway.IRestApi"),
    ("monitor_queue", r"monitor_queue\(queue='orders'\): expected an aws_sqs.IQueue"),
    ("monitor_table", r"monitor_table\(table='orders'\): expected an aws_dynamodb.ITable"),
    ("monitor_state_machine",
     r"monitor_state_machine\(state_machine='orders'\): expected an "
     r"aws_stepfunctions.IStateMachine"),
])
def test_monitor_methods_reject_what_is_not_their_resource(stack, method, expected):
    mon = ServiceMonitoring(stack, "M", service_name="orders")
    with pytest.raises(ValueError, match=expected):
        getattr(mon, method)("orders")


def test_imported_function_timeout_is_validated(stack):
    from aws_cdk import aws_lambda as lambda_

    mon = ServiceMonitoring(stack, "M", service_name="orders")
    fn = lambda_.Function.from_function_name(stack, "F", "orders-create")
    with pytest.raises(ValueError, match=r"timeout=901s: Lambda allows 1 to 900 seconds"):
        mon.monitor_function(fn, timeout=cdk.Duration.seconds(901))
