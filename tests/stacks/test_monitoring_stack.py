"""MonitoringStack: functions deployed elsewhere, found by name."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from watchkeeper.constructs.options import LogGroupOptions
from watchkeeper.stacks import MonitoringStack
from watchkeeper.stacks.monitoring_stack import shard_of
from watchkeeper.testing.cfn import lint_template

NAMES = ["billing-prod-charge", "billing-prod-refund", "billing-prod-invoice"]


@pytest.fixture(scope="module")
def billing():
    app = cdk.App()
    stack = MonitoringStack(
        app,
        "BillingMonitoring",
        service_name="billing",
        function_names=NAMES,
        function_timeouts={"billing-prod-charge": 30},
        log_groups=LogGroupOptions(retention=90),
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    return stack, Template.from_stack(stack)


def test_functions_are_monitored_by_name_with_their_own_log_groups(billing):
    stack, _ = billing
    mon = stack.monitoring
    assert [t.label for t in mon.functions] == NAMES
    assert all(not t.owned for t in mon.functions)
    assert [g.log_group_name for g in mon.log_groups] == [f"/aws/lambda/{n}" for n in NAMES]
    assert mon.service_log_group is None
    assert next(t for t in mon.functions if t.label == "billing-prod-charge").timeout_seconds == 30


def test_no_log_group_is_created_for_functions_deployed_elsewhere(billing):
    _, template = billing
    # only the log group ensurer's own (unnamed) group: no /aws/lambda group is a resource
    (group,) = template.find_resources("AWS::Logs::LogGroup").values()
    assert "LogGroupName" not in group["Properties"]


def test_stack_options_and_monitoring_options_are_routed(billing):
    stack, template = billing
    assert stack.region == "eu-west-1"
    assert stack.monitoring.log_settings.retention_days == 90
    assert "billing" in template.to_json()["Description"]


def test_compact_filters_count_json_and_text_forms_with_default_value_zero(billing):
    stack, template = billing
    filters = [
        r["Properties"]
        for stack_template in [
            template.to_json(),
            *(
                Template.from_stack(child).to_json()
                for child in stack.node.find_all()
                if isinstance(child, cdk.NestedStack)
            ),
        ]
        for r in stack_template.get("Resources", {}).values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    ]
    assert len(filters) == 5 * len(NAMES)
    for properties in filters:
        (transformation,) = properties["MetricTransformations"]
        assert transformation["DefaultValue"] == 0
        assert "Dimensions" not in transformation


def test_template_passes_cfn_lint(billing):
    assert lint_template(billing[1].to_json()) == []


def test_shard_of_is_stable_and_spread():
    assert shard_of("billing-prod-charge", 16) == shard_of("billing-prod-charge", 16)
    shards = {shard_of(f"svc-prod-fn{i}", 16) for i in range(200)}
    assert len(shards) == 16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"needs function_names=\[...\] or serverless_yml"),
        ({"function_names": []}, r"function_names=\[\] is empty"),
        ({"function_names": "orders-a"}, r"must be a list of names"),
        ({"function_names": ["a", "a"]}, r"contains 'a' twice"),
        ({"function_names": ["bad name"]}, r"contains 'bad name': a Lambda function name"),
        ({"function_names": ["x" * 65]}, r"1-64"),
        ({"function_names": ["a"], "shard_count": 0}, r"shard_count=0 must be"),
        (
            {"function_names": ["a"], "function_timeouts": {"b": 3}},
            r"function_timeouts names \['b'\]",
        ),
        ({"function_names": ["a"], "discover": True}, r"discover= does not apply"),
        ({"function_names": ["a"], "service_name": None}, r"service_name= is required with"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MonitoringStack(cdk.App(), "M", **{"service_name": "svc", **kwargs})


FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "serverless"


def test_functions_read_from_serverless_yml_with_their_timeouts():
    stack = MonitoringStack(
        cdk.App(),
        "Orders",
        service_name="orders",
        serverless_yml=str(FIXTURES / "basic.yml"),
        stage="staging",
    )
    by_label = {t.label: t for t in stack.monitoring.functions}
    assert sorted(by_label) == [
        "orders-staging-create",
        "orders-staging-list",
        "shop-staging-daily-report",
    ]
    assert by_label["orders-staging-create"].timeout_seconds == 29
    assert by_label["orders-staging-list"].timeout_seconds == 10  # provider default


def test_serverless_yml_problems_name_the_file():
    with pytest.raises(ValueError, match=r"missing\.yml"):
        MonitoringStack(
            cdk.App(), "M", service_name="svc", serverless_yml=str(FIXTURES / "missing.yml")
        )
    with pytest.raises(ValueError, match=r"unresolvable\.yml"):
        MonitoringStack(
            cdk.App(), "M", service_name="svc", serverless_yml=str(FIXTURES / "unresolvable.yml")
        )


SHAPES = FIXTURES / "shapes"


@pytest.fixture(scope="module")
def from_serverless_yml():
    """No service_name: it comes from the file; region and account from the stack's env."""
    app = cdk.App()
    stack = MonitoringStack(
        app,
        "Geo",
        serverless_yml=str(SHAPES / "opt-region" / "serverless.yml"),
        function_names=["geo-us-east-1-plugin-worker"],
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    return stack, Template.from_stack(stack)


def test_service_name_defaults_to_the_serverless_service(from_serverless_yml):
    stack, template = from_serverless_yml
    assert stack.monitoring.service_name == "geo"
    assert stack.monitoring.stage == "prod"
    assert template.to_json()["Description"] == (
        "watchkeeper monitoring for service geo (functions by name)"
    )


def test_the_stacks_region_resolves_opt_region_and_function_names_add_to_the_file(
    from_serverless_yml,
):
    stack, _ = from_serverless_yml
    assert [t.label for t in stack.monitoring.functions] == [
        "geo-us-east-1-locate",
        "geo-us-east-1-route",
        "geo-us-east-1-plugin-worker",
    ]


def test_serverless_template_passes_cfn_lint(from_serverless_yml):
    assert lint_template(from_serverless_yml[1].to_json()) == []


def test_a_service_name_outside_the_allowed_form_is_mapped(tmp_path):
    path = tmp_path / "serverless.yml"
    path.write_text("service: SERVICE-NAME\nfunctions:\n  a:\n    handler: h.a\n")
    stack = MonitoringStack(cdk.App(), "M", serverless_yml=str(path))
    assert stack.monitoring.service_name == "service-name"
    assert [t.label for t in stack.monitoring.functions] == ["SERVICE-NAME-dev-a"]


def test_notes_of_the_file_are_synth_warnings():
    from aws_cdk.assertions import Annotations, Match

    stack = MonitoringStack(
        cdk.App(), "Drafts", serverless_yml=str(SHAPES / "empty-body" / "serverless.yml")
    )
    Annotations.from_stack(stack).has_warning(
        "/Drafts",
        Match.string_like_regexp(
            "function 'unfinished' has an empty body, which the Serverless Framework does not "
            "deploy: not monitored"
        ),
    )


def test_serverless_params_and_a_name_given_twice():
    path = str(SHAPES / "params-option" / "serverless.yml")
    stack = MonitoringStack(
        cdk.App(), "Ledger", serverless_yml=path, serverless_params={"team": "payments"}
    )
    assert [t.label for t in stack.monitoring.functions] == ["finance-payments-ledger-post"]
    with pytest.raises(
        ValueError,
        match=r"function_names contains 'finance-core-ledger-post', which .*serverless.yml "
        r"already names",
    ):
        MonitoringStack(
            cdk.App(), "L", serverless_yml=path, function_names=["finance-core-ledger-post"]
        )
