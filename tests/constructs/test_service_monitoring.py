"""ServiceMonitoring: log groups, logging config, discovery, imported functions."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from watchkeeper import FunctionLoggingOptions, LogGroupOptions, ServiceMonitoring, schema
from watchkeeper.testing.cfn import lint_template

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


@pytest.fixture(scope="module")
def app_under_test():
    app = cdk.App()
    stack = cdk.Stack(
        app, "Orders", env=cdk.Environment(account="123456789012", region="eu-west-1")
    )
    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders")
    # Functions defined AFTER the construct are found by discovery.
    unnamed = _fn(stack, "CreateOrder", timeout=cdk.Duration.seconds(10))
    named = _fn(stack, "GetOrder", function_name="orders-get", memory_size=512)
    own_group = logs.LogGroup(stack, "CustomGroup", log_group_name="/custom/reports")
    with_group = _fn(stack, "Reports", log_group=own_group)
    text_fn = _fn(stack, "Legacy", logging_format=lambda_.LoggingFormat.TEXT)
    excluded_parent = cdk.Stack(app, "Other")
    _fn(excluded_parent, "ElsewhereFn")  # another stack: never discovered
    imported = lambda_.Function.from_function_name(stack, "Imported", "billing-prod-charge")
    mon.monitor_function(imported, timeout=cdk.Duration.seconds(30))
    mon.monitor_function(named)  # explicit + discovered: monitored once
    template = Template.from_stack(stack)
    return {
        "mon": mon,
        "stack": stack,
        "template": template,
        "json": template.to_json(),
        "fns": {"unnamed": unnamed, "named": named, "with_group": with_group, "text": text_fn},
        "own_group": own_group,
    }


def _logical_id(stack, construct):
    return stack.resolve(construct.node.default_child.logical_id)


def test_one_service_log_group_with_production_defaults(app_under_test):
    t = app_under_test["template"]
    t.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": Match.object_like(
                {
                    "LogGroupName": "/watchkeeper/orders/functions",
                    "RetentionInDays": 365,
                    "DataProtectionPolicy": Match.object_like(
                        {"Version": "2021-06-01", "Statement": Match.any_value()}
                    ),
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_data_protection_masks_credentials_in_both_statements(app_under_test):
    groups = app_under_test["template"].find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": "/watchkeeper/orders/functions"}}
    )
    (group,) = groups.values()
    statements = group["Properties"]["DataProtectionPolicy"]["Statement"]
    assert [list(s["Operation"]) for s in statements] == [["Audit"], ["Deidentify"]]
    assert statements[1]["Operation"]["Deidentify"] == {"MaskConfig": {}}
    identifiers = [str(i) for i in statements[0]["DataIdentifier"]]
    assert identifiers == [str(i) for i in statements[1]["DataIdentifier"]]
    for name in ("AwsSecretKey", "OpenSshPrivateKey", "PkcsPrivateKey"):
        assert any(name in i for i in identifiers), name


def test_discovered_and_named_functions_write_json_to_the_service_log_group(app_under_test):
    t, stack = app_under_test["template"], app_under_test["stack"]
    group_id = stack.resolve(app_under_test["mon"].service_log_group.node.default_child.logical_id)
    for key in ("unnamed", "named"):
        fn_id = _logical_id(stack, app_under_test["fns"][key])
        props = app_under_test["json"]["Resources"][fn_id]["Properties"]
        assert props["LoggingConfig"] == {
            "LogFormat": "JSON",
            "ApplicationLogLevel": "INFO",
            "SystemLogLevel": "INFO",
            "LogGroup": {"Ref": group_id},
        }
    assert t.find_resources("AWS::Lambda::Function").keys() >= {
        _logical_id(stack, f) for f in app_under_test["fns"].values()
    }


def test_function_with_its_own_log_group_keeps_it(app_under_test):
    stack = app_under_test["stack"]
    props = app_under_test["json"]["Resources"][
        _logical_id(stack, app_under_test["fns"]["with_group"])
    ]["Properties"]
    assert props["LoggingConfig"]["LogGroup"] == {
        "Ref": _logical_id(stack, app_under_test["own_group"])
    }
    assert props["LoggingConfig"]["LogFormat"] == "JSON"


def test_explicit_text_format_is_respected_without_levels(app_under_test):
    stack = app_under_test["stack"]
    props = app_under_test["json"]["Resources"][_logical_id(stack, app_under_test["fns"]["text"])][
        "Properties"
    ]
    assert props["LoggingConfig"]["LogFormat"] == "Text"
    assert "ApplicationLogLevel" not in props["LoggingConfig"]


def test_each_function_monitored_once_and_other_stacks_ignored(app_under_test):
    mon = app_under_test["mon"]
    labels = sorted(t.label for t in mon.functions)
    assert len(labels) == len(set(labels)) == 5
    assert "billing-prod-charge" in labels and "orders-get" in labels
    assert not any("ElsewhereFn" in label for label in labels)
    keys = [t.key for t in mon.functions]
    assert len(keys) == len(set(keys))


def test_imported_function_log_group_is_referenced_not_created(app_under_test):
    mon, t = app_under_test["mon"], app_under_test["template"]
    names = [g.log_group_name for g in mon.log_groups]
    assert "/aws/lambda/billing-prod-charge" in names
    created = [
        r["Properties"].get("LogGroupName")
        for r in t.find_resources("AWS::Logs::LogGroup").values()
    ]
    assert "/aws/lambda/billing-prod-charge" not in created
    imported = next(f for f in mon.functions if f.label == "billing-prod-charge")
    assert imported.timeout_seconds == 30 and not imported.owned


def test_owned_function_targets_read_timeout_and_memory(app_under_test):
    by_label = {t.label: t for t in app_under_test["mon"].functions}
    assert by_label["orders-get"].memory_mb == 512
    assert by_label["orders-get"].timeout_seconds == 3
    unnamed = next(t for t in app_under_test["mon"].functions if t.label.endswith("CreateOrder"))
    assert unnamed.timeout_seconds == 10 and unnamed.key == "create-order"


def test_template_metadata_lists_what_is_monitored(app_under_test):
    services = app_under_test["json"]["Metadata"]["Watchkeeper"]["services"]
    assert [s["service"] for s in services] == ["orders"]
    assert "billing-prod-charge" in services[0]["monitored"]["functions"]
    assert "orders-get" in services[0]["monitored"]["functions"]


def test_template_passes_cfn_lint(app_under_test):
    assert lint_template(app_under_test["json"]) == []


def test_monitor_after_synth_is_a_clear_error(app_under_test):
    with pytest.raises(RuntimeError, match="after the app was synthesized"):
        app_under_test["mon"].monitor_function(app_under_test["fns"]["named"])


# ------------------------------------------------------------------------------------------
# Options
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def options_app():
    app = cdk.App()
    stack = cdk.Stack(app, "Opts", env=cdk.Environment(account="123456789012", region="us-east-1"))
    key = kms.Key(stack, "LogsKey", enable_key_rotation=True)
    mon = ServiceMonitoring(
        stack,
        "Monitoring",
        service_name="payments",
        log_groups=LogGroupOptions(
            retention=logs.RetentionDays.TWO_YEARS,
            encryption_key=key,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            data_identifiers=["AwsSecretKey", logs.DataIdentifier.EMAILADDRESS],
            per_function=True,
        ),
        function_logging=FunctionLoggingOptions(
            application_log_level="WARN", system_log_level="DEBUG"
        ),
    )
    fn = _fn(stack, "Charge")
    internal_parent = cdk.Stack(app, "Unused")
    del internal_parent
    return stack, mon, fn, Template.from_stack(stack)


def test_per_function_group_is_under_the_service_prefix_never_lambdas_own_name(options_app):
    stack, mon, fn, t = options_app
    fn_id = _logical_id(stack, fn)
    groups = t.find_resources(
        "AWS::Logs::LogGroup",
        {"Properties": {"LogGroupName": "/watchkeeper/payments/functions/charge",
                        "RetentionInDays": 731}},
    )
    (group_id,) = groups
    config = t.to_json()["Resources"][fn_id]["Properties"]["LoggingConfig"]
    assert config == {"LogFormat": "JSON", "ApplicationLogLevel": "WARN",
                      "SystemLogLevel": "DEBUG", "LogGroup": {"Ref": group_id}}
    assert mon.service_log_group is None


def test_kms_key_policy_lets_cloudwatch_logs_use_it(options_app):
    _, _, _, t = options_app
    t.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                                "Condition": {
                                    "ArnLike": {
                                        "kms:EncryptionContext:aws:logs:arn": Match.any_value()
                                    }
                                },
                            }
                        )
                    ]
                )
            }
        },
    )
    assert ":logs:us-east-1:123456789012:log-group:*" in str(t.find_resources("AWS::KMS::Key"))
    t.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value()})
    t.has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Delete"})


def test_extra_data_identifiers(options_app):
    _, _, _, t = options_app
    body = str(t.find_resources("AWS::Logs::LogGroup"))
    assert "EmailAddress" in body and "AwsSecretKey" in body and "PgpPrivateKey" not in body


def test_options_template_passes_cfn_lint(options_app):
    assert lint_template(options_app[3].to_json()) == []


def test_cdk_internal_functions_are_not_monitored():
    from aws_cdk import custom_resources as cr

    app = cdk.App()
    stack = cdk.Stack(app, "S")
    mon = ServiceMonitoring(stack, "M", service_name="svc")
    _fn(stack, "Real")
    cr.AwsCustomResource(
        stack,
        "Lookup",
        on_create=cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": "x"},
            physical_resource_id=cr.PhysicalResourceId.of("x"),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
    )
    excluded = _fn(stack, "Skipped")
    mon2 = ServiceMonitoring(stack, "M2", service_name="svc2", exclude=[excluded], discover=True)
    Template.from_stack(stack)
    assert [t.key for t in mon.functions] == ["real", "skipped"]
    assert [t.key for t in mon2.functions] == ["real"]


# ------------------------------------------------------------------------------------------
# Metric filters wired per log group
# ------------------------------------------------------------------------------------------


def _filters_on(template_json, group_match):
    return [
        r["Properties"]
        for r in template_json["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter" and group_match(r["Properties"]["LogGroupName"])
    ]


def test_service_log_group_gets_the_full_json_filter_set_once(app_under_test):
    stack, mon = app_under_test["stack"], app_under_test["mon"]
    group_ref = {"Ref": stack.resolve(mon.service_log_group.node.default_child.logical_id)}
    filters = _filters_on(app_under_test["json"], lambda g: g == group_ref)
    names = sorted(f["MetricTransformations"][0]["MetricName"] for f in filters)
    assert names == sorted(
        [
            "Errors",
            "Timeouts",
            "OutOfMemory",
            "ColdStarts",
            "AuthenticationFailures",
            "AuthorizationFailures",
            "InputValidationFailures",
            "RateLimitExceeded",
            "MaliciousRequests",
            "SensitiveDataAccess",
        ]
    )
    assert {f["MetricTransformations"][0]["MetricNamespace"] for f in filters} == {
        schema.metric_namespace("orders")
    }
    assert all(f["FilterPattern"].startswith("{") for f in filters)


def test_imported_function_group_gets_the_compact_text_tolerant_set(app_under_test):
    filters = _filters_on(app_under_test["json"], lambda g: g == "/aws/lambda/billing-prod-charge")
    assert sorted(f["MetricTransformations"][0]["MetricName"] for f in filters) == [
        "Errors",
        "Errors",
        "SecurityEvents",
        "Timeouts",
        "Timeouts",
    ]
    errors = [f for f in filters if f["MetricTransformations"][0]["MetricName"] == "Errors"]
    # UNKNOWN format: one filter reads JSON levels, one the runtimes' text markers
    assert sorted(f["FilterPattern"][0] for f in errors) == ["%", "{"]


def test_function_with_its_own_group_gets_filters_on_that_group(app_under_test):
    filters = _filters_on(app_under_test["json"], lambda g: "CustomGroup" in str(g))
    assert len(filters) == 3
    assert all("Dimensions" not in f["MetricTransformations"][0] for f in filters)


def test_text_format_function_gets_its_own_group_with_text_tolerant_filters(app_under_test):
    stack, template = app_under_test["stack"], app_under_test["json"]
    text_fn = app_under_test["fns"]["text"]
    fn_id = _logical_id(stack, text_fn)
    (group_id,) = [
        logical_id
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::Logs::LogGroup"
        and r["Properties"].get("LogGroupName") == "/watchkeeper/orders/functions/legacy"
    ]
    config = template["Resources"][fn_id]["Properties"]["LoggingConfig"]
    assert config == {"LogFormat": "Text", "LogGroup": {"Ref": group_id}}
    filters = _filters_on(template, lambda g: g == {"Ref": group_id})
    names = sorted(f["MetricTransformations"][0]["MetricName"] for f in filters)
    assert names == ["Errors", "Errors", "SecurityEvents", "Timeouts", "Timeouts"]
    errors = [f for f in filters if f["MetricTransformations"][0]["MetricName"] == "Errors"]
    # JSON levels (Powertools writes JSON in a Text-format function) and text markers
    assert sorted(f["FilterPattern"][0] for f in errors) == ["%", "{"]


def test_statements_on_the_apps_key_are_recorded_as_a_change(options_app):
    _, mon, _, t = options_app
    changes = t.to_json()["Metadata"]["Watchkeeper"]["services"][0]["changes"]
    assert {"kind": "key-statement", "resource": "Opts/LogsKey",
            "detail": "CloudWatch Logs of this region may use it for this account's log groups"
            } in changes
    assert [c.kind for c in mon.app_changes.changes].count("key-statement") == 1

