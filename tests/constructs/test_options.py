"""The option structs: defaults, validation naming ``<Struct>.<field>``, the deprecated flat
keywords (one warning each, an error together with their struct), and templates that are
the same whichever spelling an app uses."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import warnings
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

import watchkeeper
from tests.constructs.alarms.reference_app import build_service_stack
from watchkeeper import (
    AlarmOptions,
    DetectionOptions,
    FunctionLoggingOptions,
    InsightsOptions,
    LogGroupOptions,
    ResourceLoggingOptions,
    ServiceMonitoring,
    ShippingOptions,
)
from watchkeeper.constructs.alarms import AlarmSettings
from watchkeeper.constructs.log_groups import DEFAULT_DATA_IDENTIFIERS
from watchkeeper.constructs.options import (
    DEPRECATED_KEYWORDS,
    STRUCTS,
    MonitoringOptions,
    resolve_options,
)
from watchkeeper.dashboard_layout import Widget
from watchkeeper.queries import SavedQuery
from watchkeeper.stacks import MonitoringStack
from watchkeeper.testing.cfn import lint_template

CROSS_ACCOUNT_ARN = "arn:aws:logs:eu-west-1:222222222222:destination:central"

#: The keyword arguments of ServiceMonitoring before the structs, with their defaults.
FLAT_DEFAULTS_OF_THE_FIRST_RELEASE: dict[str, Any] = {
    "alarm_emails": None,
    "log_group_per_function": False,
    "log_group_name": None,
    "retention": 365,
    "encryption_key": None,
    "removal_policy": cdk.RemovalPolicy.RETAIN,
    "data_protection": True,
    "data_identifiers": DEFAULT_DATA_IDENTIFIERS,
    "application_log_level": "INFO",
    "system_log_level": "INFO",
    "move_cdk_managed_log_groups": False,
    "saved_queries": True,
    "extra_queries": None,
    "dashboards": True,
    "dashboard_name_prefix": None,
    "operations_widgets": None,
    "security_widgets": None,
    "field_indexes": True,
    "log_anomaly_detection": False,
    "enable_resource_logging": True,
    "rest_api_execution_logging": "ERROR",
    "rest_api_cloudwatch_role": "detect",
    "state_machine_log_level": "ALL",
    "state_machine_include_execution_data": False,
    "ship_logs_to": None,
    "ship_logs_mode": "subscription-filters",
    "ship_logs_filter_pattern": "",
    "ship_referenced_log_groups": True,
    "ship_logs_excluded_log_groups": (),
    "alarm_topic": None,
    "alarm_overrides": None,
    "concurrency_limit": 1000,
    "duration_threshold_share": 0.8,
    "chatbot_slack": None,
    "notify_ok": True,
}


def _resolve_quietly(given: dict[str, Any]) -> MonitoringOptions:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return resolve_options("ServiceMonitoring", given)


# --------------------------------------------------------------------------------------
# Defaults and documentation
# --------------------------------------------------------------------------------------


def test_every_flat_keyword_has_a_struct_field():
    assert set(DEPRECATED_KEYWORDS) == set(FLAT_DEFAULTS_OF_THE_FIRST_RELEASE)
    for argument, field in DEPRECATED_KEYWORDS.values():
        assert field in {f.name for f in dataclasses.fields(STRUCTS[argument])}


@pytest.mark.parametrize("keyword", sorted(FLAT_DEFAULTS_OF_THE_FIRST_RELEASE))
def test_a_flat_keyword_at_its_old_default_gives_the_default_struct(keyword):
    """The struct defaults are the old defaults: passing an old default changes nothing."""
    assert _resolve_quietly({keyword: FLAT_DEFAULTS_OF_THE_FIRST_RELEASE[keyword]}) == (
        resolve_options("ServiceMonitoring", {})
    )


def test_shipping_defaults_are_the_old_ship_logs_defaults():
    shipping = ShippingOptions(destinations=CROSS_ACCOUNT_ARN)
    for keyword, (argument, field) in DEPRECATED_KEYWORDS.items():
        if argument == "shipping" and field != "destinations":
            assert getattr(shipping, field) == FLAT_DEFAULTS_OF_THE_FIRST_RELEASE[keyword]
    assert resolve_options("ServiceMonitoring", {}).shipping is None


@pytest.mark.parametrize("struct", list(STRUCTS.values()), ids=lambda s: s.__name__)
def test_every_field_is_documented_with_its_default(struct):
    doc = inspect.getdoc(struct) or ""
    for field in dataclasses.fields(struct):
        match = re.search(rf":param {field.name}:(.*?)(?=\n:param |\Z)", doc, re.S)
        assert match, f"{struct.__name__}.{field.name} is not documented"
        text = match.group(1)
        assert "Default:" in text or text.strip().startswith("required"), (
            f"{struct.__name__}.{field.name} does not say its default"
        )


@pytest.mark.parametrize("struct", list(STRUCTS.values()), ids=lambda s: s.__name__)
def test_structs_are_frozen_keyword_only_and_exported(struct):
    assert getattr(watchkeeper, struct.__name__) is struct
    assert struct.__dataclass_params__.frozen
    assert all(f.kw_only for f in dataclasses.fields(struct))
    instance = struct(destinations=CROSS_ACCOUNT_ARN) if struct is ShippingOptions else struct()
    with pytest.raises(dataclasses.FrozenInstanceError):
        instance.notify_ok = False  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="positional"):
        struct(CROSS_ACCOUNT_ARN)


def test_lists_are_stored_as_tuples():
    assert LogGroupOptions(data_identifiers=["AwsSecretKey"]).data_identifiers == ("AwsSecretKey",)
    assert AlarmOptions(emails=["a@example.com"]).emails == ("a@example.com",)
    assert ShippingOptions(destinations=[CROSS_ACCOUNT_ARN]).destinations == (CROSS_ACCOUNT_ARN,)


# --------------------------------------------------------------------------------------
# Validation: each field, named <Struct>.<field>, with the value and what is allowed
# --------------------------------------------------------------------------------------

_TOPIC = object()  # replaced by a real topic in the test (it needs a stack)

BAD_FIELDS = [
    (LogGroupOptions, {"retention": 400.5},
     r"LogGroupOptions\.retention=400\.5 is not a retention .*use one of 1, 3, 5"),
    (LogGroupOptions, {"removal_policy": "retain"},
     r"LogGroupOptions\.removal_policy='retain' is not a cdk\.RemovalPolicy"),
    (LogGroupOptions, {"data_protection": "yes"},
     r"LogGroupOptions\.data_protection='yes' must be True or False"),
    (LogGroupOptions, {"data_identifiers": ["Nope"]},
     r"LogGroupOptions\.data_identifiers contains 'Nope', which is neither a CloudWatch Logs "
     r"managed data identifier"),
    (LogGroupOptions, {"encryption_key": "alias/logs"},
     r"LogGroupOptions\.encryption_key='alias/logs' must be an aws_kms\.IKey"),
    (LogGroupOptions, {"service_log_group_name": "aws/x"},
     r"LogGroupOptions\.service_log_group_name='aws/x': a log group name must not start"),
    (LogGroupOptions, {"per_function": 1},
     r"LogGroupOptions\.per_function=1 must be True or False"),
    (FunctionLoggingOptions, {"application_log_level": "LOUD"},
     r"FunctionLoggingOptions\.application_log_level='LOUD' is not allowed: use one of TRACE"),
    (FunctionLoggingOptions, {"system_log_level": "WARN"},
     r"FunctionLoggingOptions\.system_log_level='WARN' would switch off the Timeouts"),
    (FunctionLoggingOptions, {"move_cdk_managed_log_groups": None},
     r"FunctionLoggingOptions\.move_cdk_managed_log_groups=None must be True or False"),
    (FunctionLoggingOptions, {"move_functions_with_permissions_boundary": "yes"},
     r"FunctionLoggingOptions\.move_functions_with_permissions_boundary='yes' must be True "
     r"or False"),
    (ResourceLoggingOptions, {"enabled": "no"},
     r"ResourceLoggingOptions\.enabled='no' must be True or False"),
    (ResourceLoggingOptions, {"rest_api_execution_logging": "DEBUG"},
     r"ResourceLoggingOptions\.rest_api_execution_logging='DEBUG' is not allowed: use one of "
     r"ERROR, INFO"),
    (ResourceLoggingOptions, {"rest_api_cloudwatch_role": "maybe"},
     r"ResourceLoggingOptions\.rest_api_cloudwatch_role='maybe' is not allowed: use one of "
     r"detect, account-has-role, create"),
    (ResourceLoggingOptions, {"state_machine_log_level": "OFF"},
     r"ResourceLoggingOptions\.state_machine_log_level='OFF' is not allowed: use one of ALL"),
    (ResourceLoggingOptions, {"state_machine_include_execution_data": 0},
     r"ResourceLoggingOptions\.state_machine_include_execution_data=0 must be True or False"),
    (ResourceLoggingOptions, {"graphql_field_log_level": "error"},
     r"ResourceLoggingOptions\.graphql_field_log_level='error' is not allowed: use one of "
     r"NONE, ERROR, INFO, DEBUG, ALL, or None to leave GraphQL API logging off"),
    (ResourceLoggingOptions, {"graphql_include_verbose_content": None},
     r"ResourceLoggingOptions\.graphql_include_verbose_content=None must be True or False"),
    (ShippingOptions, {"destinations": None},
     r"ShippingOptions\.destinations=None names no destination: .*shipping=None"),
    (ShippingOptions, {"destinations": "central"},
     r"ShippingOptions\.destinations='central' is not a CloudWatch Logs destination ARN"),
    (ShippingOptions, {"destinations": CROSS_ACCOUNT_ARN, "mode": "push"},
     r"ShippingOptions\.mode='push' is not allowed: use one of subscription-filters, "
     r"account-policy"),
    (ShippingOptions, {"destinations": CROSS_ACCOUNT_ARN, "filter_pattern": 5},
     r"ShippingOptions\.filter_pattern=5 must be a filter pattern string"),
    (ShippingOptions, {"destinations": CROSS_ACCOUNT_ARN, "include_referenced_log_groups": "y"},
     r"ShippingOptions\.include_referenced_log_groups='y' must be True or False"),
    (ShippingOptions, {"destinations": CROSS_ACCOUNT_ARN, "excluded_log_groups": ["/x"]},
     r"ShippingOptions\.excluded_log_groups applies to ShippingOptions\.mode='account-policy' "
     r"only"),
    (AlarmOptions, {"emails": ["ops"]},
     r"AlarmOptions\.emails contains 'ops', which is not an email address"),
    (AlarmOptions, {"topic": "arn:aws:sns:eu-west-1:111122223333:ops"},
     r"AlarmOptions\.topic='arn:aws:sns:.*' must be an aws_sns\.ITopic"),
    (AlarmOptions, {"overrides": {"function.eror": AlarmSettings(threshold=1)}},
     r"AlarmOptions\.overrides has an unknown check 'function\.eror': use one of .*"
     r"function\.errors"),
    (AlarmOptions, {"concurrency_limit": 5},
     r"AlarmOptions\.concurrency_limit=5 must be at least 10"),
    (AlarmOptions, {"concurrency_limit": 1000.5},
     r"AlarmOptions\.concurrency_limit=1000\.5 must be a whole number"),
    (AlarmOptions, {"duration_threshold_share": 0.05},
     r"AlarmOptions\.duration_threshold_share=0\.05 must be at least 0\.1"),
    (AlarmOptions, {"chatbot_slack": ("T0123ABCD",)},
     r"AlarmOptions\.chatbot_slack=\('T0123ABCD',\) must be \(workspace_id, channel_id\)"),
    (AlarmOptions, {"notify_ok": "always"},
     r"AlarmOptions\.notify_ok='always' must be True or False"),
    (InsightsOptions, {"saved_queries": None},
     r"InsightsOptions\.saved_queries=None must be True or False"),
    (InsightsOptions, {"extra_queries": ["fields @message"]},
     r"InsightsOptions\.extra_queries contains 'fields @message': use "
     r"watchkeeper\.queries\.SavedQuery"),
    (InsightsOptions, {"dashboards": "both"},
     r"InsightsOptions\.dashboards='both' must be True or False"),
    (InsightsOptions, {"function_graphs": "rows"},
     r"InsightsOptions\.function_graphs='rows' is not allowed: use one of 'auto', "
     r"'per_function', 'fleet'"),
    (InsightsOptions, {"dashboard_name_prefix": "orders ops"},
     r"InsightsOptions\.dashboard_name_prefix='orders ops' is not allowed: 1-241 characters"),
    (InsightsOptions, {"operations_widgets": [{"type": "text"}]},
     r"InsightsOptions\.operations_widgets contains \{'type': 'text'\}: use "
     r"watchkeeper\.dashboard_layout\.Widget"),
    (InsightsOptions, {"security_widgets": "text"},
     r"InsightsOptions\.security_widgets must be a list of watchkeeper\.dashboard_layout\.Widget"),
    (InsightsOptions, {"field_indexes": ["a b"]},
     r"InsightsOptions\.field_indexes contains 'a b': a field name is 1-100 characters"),
    (InsightsOptions, {"log_anomaly_detection": "on"},
     r"InsightsOptions\.log_anomaly_detection='on' must be True or False"),
    (DetectionOptions, {"top_offenders": "yes"},
     r"DetectionOptions\.top_offenders='yes' must be True or False"),
    (DetectionOptions, {"control_plane_tampering": 1},
     r"DetectionOptions\.control_plane_tampering=1 must be True or False"),
    (DetectionOptions, {"include_cloudformation_changes": "no"},
     r"DetectionOptions\.include_cloudformation_changes='no' must be True or False"),
    (DetectionOptions, {"cloudtrail_log_group": 42},
     r"DetectionOptions\.cloudtrail_log_group=42 must be the literal name of the log group"),
]


@pytest.mark.parametrize(
    ("struct", "values", "message"), BAD_FIELDS,
    ids=[f"{s.__name__}.{'-'.join(v)}" for s, v, _ in BAD_FIELDS],
)
def test_a_bad_field_is_refused_naming_struct_field_value_and_what_is_allowed(
    struct, values, message
):
    with pytest.raises(ValueError, match=message):
        struct(**values)


def test_every_field_has_a_validation_case():
    covered = {(s, field) for s, values, _ in BAD_FIELDS for field in values}
    every = {(s, f.name) for s in STRUCTS.values() for f in dataclasses.fields(s)}
    assert every <= covered | {(ShippingOptions, "destinations")}


def test_valid_non_default_values_are_accepted():
    stack = cdk.Stack(cdk.App(), "S")
    key = kms.Key(stack, "Key")
    topic = sns.Topic(stack, "Topic")
    assert LogGroupOptions(retention=logs.RetentionDays.ONE_WEEK, encryption_key=key,
                           removal_policy=cdk.RemovalPolicy.DESTROY,
                           data_identifiers=[logs.DataIdentifier.EMAILADDRESS],
                           service_log_group_name="/orders/app").encryption_key is key
    assert AlarmOptions(topic=topic, chatbot_slack=["T1", "C1"]).chatbot_slack == ("T1", "C1")
    assert InsightsOptions(field_indexes=False, dashboard_name_prefix="Orders_Ops")
    off = ResourceLoggingOptions(rest_api_execution_logging=None)
    assert off.rest_api_execution_logging is None


# --------------------------------------------------------------------------------------
# A struct argument of the wrong type
# --------------------------------------------------------------------------------------


def test_a_dict_instead_of_the_struct_names_the_struct_to_use():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(
        TypeError,
        match=re.escape(
            "log_groups={'retention': 30} must be a watchkeeper.LogGroupOptions, not a dict: "
            "pass log_groups=LogGroupOptions(retention=30)"
        ),
    ):
        ServiceMonitoring(stack, "M", service_name="orders",
                          log_groups={"retention": 30})  # type: ignore[arg-type]


def test_a_struct_given_to_the_wrong_argument_names_the_right_one():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(
        TypeError,
        match=r"alarms=InsightsOptions\(.*\) must be a watchkeeper\.AlarmOptions, not a "
        r"InsightsOptions \(InsightsOptions goes to insights=\)",
    ):
        ServiceMonitoring(stack, "M", service_name="orders",
                          alarms=InsightsOptions())  # type: ignore[arg-type]


def test_an_unknown_keyword_is_a_type_error_as_in_python():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(
        TypeError, match=r"ServiceMonitoring\(\) got an unexpected keyword argument 'retension'"
    ):
        ServiceMonitoring(stack, "M", service_name="orders", retension=30)


# --------------------------------------------------------------------------------------
# The deprecated flat keywords
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", sorted(DEPRECATED_KEYWORDS))
def test_each_flat_keyword_warns_once_naming_its_new_spelling(keyword):
    argument, field = DEPRECATED_KEYWORDS[keyword]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve_options("ServiceMonitoring",
                        {keyword: FLAT_DEFAULTS_OF_THE_FIRST_RELEASE[keyword]})
    assert [(w.category, str(w.message)) for w in caught] == [(
        DeprecationWarning,
        f"{keyword}= is deprecated; use {argument}={STRUCTS[argument].__name__}({field}=...)",
    )]


def test_flat_keywords_warn_at_the_callers_line_and_take_effect():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.warns(DeprecationWarning) as caught:
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        mon = ServiceMonitoring(stack, "M", service_name="orders", retention=30,
                                ship_logs_to=CROSS_ACCOUNT_ARN, notify_ok=False)
    assert sorted(str(w.message).split("=")[0] for w in caught) == [
        "notify_ok", "retention", "ship_logs_to"]
    assert {(Path(w.filename).name, w.lineno) for w in caught} == {("test_options.py", line)}
    assert mon.log_settings.retention_days == 30
    assert mon.notify_ok is False
    assert mon.log_shipping is not None and mon.log_shipping.destinations[0].kind == (
        "cross-account")


def test_monitoring_stack_warns_once_per_flat_keyword_at_the_callers_line():
    with pytest.warns(DeprecationWarning) as caught:
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        stack = MonitoringStack(cdk.App(), "M", service_name="billing", function_names=["a"],
                                alarm_emails=["ops@example.com"], retention=30)
    assert sorted(str(w.message) for w in caught) == [
        "alarm_emails= is deprecated; use alarms=AlarmOptions(emails=...)",
        "retention= is deprecated; use log_groups=LogGroupOptions(retention=...)",
    ]
    assert {(Path(w.filename).name, w.lineno) for w in caught} == {("test_options.py", line)}
    assert stack.monitoring.alarm_emails == ("ops@example.com",)
    assert stack.monitoring.log_group_per_function is True


def test_flat_keyword_and_its_struct_together_are_an_error_naming_both():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "ServiceMonitoring: retention= and log_groups= were both given; retention= is "
            "deprecated and log_groups= holds the same option: set LogGroupOptions.retention "
            "in log_groups= instead"
        ),
    ):
        ServiceMonitoring(stack, "M", service_name="orders", retention=30,
                          log_groups=LogGroupOptions(removal_policy=cdk.RemovalPolicy.DESTROY))


def test_monitoring_stack_refuses_a_flat_keyword_with_its_struct():
    with pytest.raises(ValueError, match=r"MonitoringStack: alarm_emails= and alarms= were "
                                         r"both given.*set AlarmOptions\.emails in alarms="):
        MonitoringStack(cdk.App(), "M", service_name="billing", function_names=["a"],
                        alarm_emails=["ops@example.com"], alarms=AlarmOptions(notify_ok=False))


def test_monitoring_stack_refuses_a_service_log_group_name():
    with pytest.raises(ValueError, match=r"LogGroupOptions\.service_log_group_name='/billing' "
                                         r"does not apply to MonitoringStack"):
        MonitoringStack(cdk.App(), "M", service_name="billing", function_names=["a"],
                        log_groups=LogGroupOptions(service_log_group_name="/billing"))


def test_flat_keywords_of_other_structs_combine_with_a_struct():
    options = _resolve_quietly({"retention": 30, "alarms": AlarmOptions(notify_ok=False)})
    assert options.log_groups.retention == 30
    assert options.alarms.notify_ok is False


def test_ship_logs_to_none_with_other_shipping_keywords_still_means_no_shipping():
    options = _resolve_quietly({"ship_logs_to": None, "ship_logs_filter_pattern": "ERROR"})
    assert options.shipping is None
    with pytest.raises(ValueError, match=r"ShippingOptions\.mode='account-policy' / "
                                         r"ShippingOptions\.excluded_log_groups need "
                                         r"ShippingOptions\.destinations"):
        _resolve_quietly({"ship_logs_mode": "account-policy"})


# --------------------------------------------------------------------------------------
# The same templates whichever spelling the app uses
# --------------------------------------------------------------------------------------

EXTRA_QUERY = SavedQuery(name="slow-orders", title="Slow orders", description="Which orders",
                         text="fields @timestamp, orderId | filter duration > 1000")


def _flat_options(stack: cdk.Stack) -> dict[str, Any]:
    """Every family with values other than its defaults, in the flat spelling."""
    return {
        "retention": 30,
        "encryption_key": kms.Key(stack, "LogsKey", enable_key_rotation=True),
        "removal_policy": cdk.RemovalPolicy.DESTROY,
        "data_identifiers": ["AwsSecretKey", logs.DataIdentifier.EMAILADDRESS],
        "log_group_name": "/orders/app",
        "application_log_level": "WARN",
        "system_log_level": "DEBUG",
        "rest_api_execution_logging": "INFO",
        "rest_api_cloudwatch_role": "create",
        "state_machine_log_level": "ERROR",
        "state_machine_include_execution_data": True,
        "ship_logs_to": CROSS_ACCOUNT_ARN,
        "ship_logs_filter_pattern": '{ $.level = "ERROR" }',
        "ship_referenced_log_groups": False,
        "alarm_emails": ["oncall@example.com"],
        "alarm_overrides": {"function.errors": AlarmSettings(threshold=3)},
        "concurrency_limit": 2000,
        "duration_threshold_share": 0.5,
        "chatbot_slack": ("T0123ABCD", "C0123ABCD"),
        "notify_ok": False,
        "extra_queries": [EXTRA_QUERY],
        "dashboard_name_prefix": "orders_ops",
        "operations_widgets": [Widget("text", {"markdown": "Runbook: see the wiki"})],
        "field_indexes": ["requestId", "orderId"],
        "log_anomaly_detection": True,
    }


def _as_structs(flat: dict[str, Any]) -> dict[str, Any]:
    """The same options as structs: the mechanical migration of the README."""
    fields: dict[str, dict[str, Any]] = {}
    for keyword, value in flat.items():
        argument, field = DEPRECATED_KEYWORDS[keyword]
        fields.setdefault(argument, {})[field] = value
    return {argument: STRUCTS[argument](**values) for argument, values in fields.items()}


def _synth_reference_app(outdir: Path, spelling: str) -> dict[str, Any]:
    app = cdk.App(outdir=str(outdir))
    stack = build_service_stack(app)
    options = _flat_options(stack)
    ServiceMonitoring(stack, "Monitoring", service_name="orders",
                      **(options if spelling == "flat" else _as_structs(options)))
    elsewhere = {"alarm_emails": ["ops@example.com"], "retention": 90, "dashboards": False,
                 "alarm_overrides": {"function.throttles": AlarmSettings(enabled=False)}}
    MonitoringStack(app, "Billing", service_name="billing",
                    function_names=["billing-charge", "billing-refund"],
                    env=cdk.Environment(account="111122223333", region="eu-west-1"),
                    **(elsewhere if spelling == "flat" else _as_structs(elsewhere)))
    app.synth()
    return {p.name: json.loads(p.read_text()) for p in sorted(outdir.glob("*.template.json"))}


@pytest.fixture(scope="session")
def both_spellings(tmp_path_factory) -> tuple[dict[str, Any], dict[str, Any]]:
    with pytest.warns(DeprecationWarning):
        flat = _synth_reference_app(tmp_path_factory.mktemp("flat"), "flat")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        structs = _synth_reference_app(tmp_path_factory.mktemp("structs"), "structs")
    return flat, structs


def test_flat_keywords_and_structs_synthesize_the_same_templates(both_spellings):
    flat, structs = both_spellings
    assert sorted(flat) == sorted(structs)
    assert len(flat) >= 3  # the service, the monitoring stack and its nested stacks
    for name in flat:
        assert flat[name] == structs[name], name


def test_the_compared_templates_carry_the_non_default_options(both_spellings):
    """Guards the comparison above: both apps really applied the options."""
    _, structs = both_spellings
    resources = structs["Orders.template.json"]["Resources"]
    groups = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    service_group = next(g for g in groups if g.get("LogGroupName") == "/orders/app")
    assert service_group["RetentionInDays"] == 30 and "KmsKeyId" in service_group
    types = {r["Type"] for r in resources.values()}
    assert {"AWS::Logs::SubscriptionFilter", "AWS::Logs::LogAnomalyDetector",
            "AWS::Chatbot::SlackChannelConfiguration", "AWS::ApiGateway::Account"} <= types
    dashboards = [r["Properties"]["DashboardName"] for r in resources.values()
                  if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert any(name.startswith("orders_ops-") for name in dashboards)
    assert lint_template(structs["Orders.template.json"]) == []
