"""Two stages of one service in one account and region never share a physical name.

The real-app pattern: the same stack class deployed twice (dev and prod, or one stack per
branch) into one account, either as two stacks with ``stage=`` or as two ``cdk.Stage``s
(the CDK idiom, e.g. CDK Pipelines) with no watchkeeper option at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from watchkeeper import (
    AlarmOptions,
    InsightsOptions,
    LogGroupOptions,
    ServiceMonitoring,
    ShippingOptions,
    cli,
    schema,
)
from watchkeeper.stacks import MonitoringStack
from watchkeeper.testing.cfn import lint_template

REPO_ROOT = Path(__file__).resolve().parents[2]
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
CENTRAL = "arn:aws:logs:eu-west-1:111122223333:destination:central-logs"


def _context() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


class OrdersStack(cdk.Stack):
    """What a team deploys once per stage: its own names carry the stage, as real apps do."""

    def __init__(self, scope: cdk.App | cdk.Stage, cid: str, *, label: str,
                 stage: str | None = None, **kw: Any) -> None:
        super().__init__(scope, cid, **kw)
        role = iam.Role(self, "HandlerRole",
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        handler = lambda_.Function(
            self, "Create", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=CODE, role=role, function_name=f"orders-{label}-create",
        )
        api = apigwv2.HttpApi(
            self, "Api", api_name=f"orders-{label}-api",
            default_integration=integrations.HttpLambdaIntegration("Create", handler),
        )
        sfn.StateMachine(
            self, "Fulfilment", state_machine_name=f"orders-{label}-fulfilment",
            definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(self, "Done")),
        )
        options: dict[str, Any] = {} if stage is None else {"stage": stage}
        self.monitoring = ServiceMonitoring(
            self, "Monitoring", service_name="orders",
            alarms=AlarmOptions(emails=["ops@example.com"]),
            insights=InsightsOptions(log_anomaly_detection=True),
            shipping=ShippingOptions(destinations=CENTRAL), **options,
        )
        self.api = api


def _physical_names(template: dict[str, Any]) -> set[str]:
    """Every literal ``*Name`` property of every resource, except the ones that name
    something inside another resource (a metric of a namespace, an API's stage)."""
    names = set()
    for resource in template["Resources"].values():
        inside = {"MetricName", "StageName"}
        if resource["Type"] == "AWS::IAM::Policy":
            inside.add("PolicyName")  # an inline policy's name is unique within its role
        for key, value in (resource.get("Properties") or {}).items():
            if key.endswith("Name") and key not in inside and isinstance(value, str):
                names.add(value)
    return names


def _namespaces(template: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("Namespace", "MetricNamespace") and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(template["Resources"])
    return {n for n in found if not n.startswith("AWS/")}


@pytest.fixture(scope="module")
def two_stacks(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("stages")
    app = cdk.App(context=_context(), outdir=str(outdir))
    dev = OrdersStack(app, "OrdersDev", label="dev", stage="dev", env=ENV)
    prod = OrdersStack(app, "OrdersProd", label="prod", stage="prod", env=ENV)
    app.synth()
    return {
        "outdir": outdir,
        "dev": dev,
        "prod": prod,
        "templates": {s: Template.from_stack(stack).to_json() for s, stack in
                      (("dev", dev), ("prod", prod))},
    }


def test_two_stages_in_one_account_share_no_physical_name(two_stacks):
    dev, prod = (two_stacks["templates"][s] for s in ("dev", "prod"))
    dev_names, prod_names = _physical_names(dev), _physical_names(prod)
    # enough names to be a real check: log groups, topic, queues, alarms, dashboards,
    # queries, subscription filters, anomaly detectors
    assert len(dev_names) > 40
    assert dev_names.isdisjoint(prod_names), sorted(dev_names & prod_names)


def test_each_stage_publishes_to_its_own_namespace(two_stacks):
    assert _namespaces(two_stacks["templates"]["dev"]) == {"Watchkeeper/orders-dev"}
    assert _namespaces(two_stacks["templates"]["prod"]) == {"Watchkeeper/orders-prod"}
    assert two_stacks["prod"].monitoring.namespace == "Watchkeeper/orders-prod"


def test_every_name_is_built_from_the_qualified_name(two_stacks):
    mon = two_stacks["prod"].monitoring
    assert (mon.stage, mon.qualified_name) == ("prod", "orders-prod")
    names = _physical_names(two_stacks["templates"]["prod"])
    expected = {
        "/watchkeeper/orders-prod/api-access",
        "/aws/vendedlogs/states/orders-prod-fulfilment",
        "orders-prod-alarms",
        "orders-prod-alarm-delivery-dlq",
        "orders-prod-alarm-delivery-archive",
        "orders-prod-service-health",
        "orders-prod-operations",
        "orders-prod-security",
        "orders-prod/recent-errors",
        "watchkeeper-orders-prod-1",
        "orders-prod-logs",
    }
    assert expected <= names, sorted(expected - names)
    # alarm names: the qualified prefix, which the resource key does not repeat
    assert "orders-prod-create-errors" in {a.name for a in mon.alarm_details}
    assert not [n for n in names if "orders-prod-prod" in n]
    ours = [n for n in names if not n.startswith(("orders-prod-create", "orders-prod-api"))]
    assert all("orders-prod" in n for n in ours), sorted(n for n in ours if "orders-prod" not in n)


def test_staged_templates_pass_cfn_lint(two_stacks):
    for template in two_stacks["templates"].values():
        assert lint_template(template) == []


def test_metadata_and_report_name_the_stage(two_stacks, capsys):
    metadata = two_stacks["templates"]["prod"]["Metadata"]["Watchkeeper"]["services"]
    assert [(s["service"], s["stage"]) for s in metadata] == [("orders", "prod")]
    assert cli.main(["report", str(two_stacks["outdir"])]) == 0
    out = capsys.readouterr().out
    assert "service orders (stage dev) monitors:" in out
    assert "service orders (stage prod) monitors:" in out


def test_queries_are_found_by_the_qualified_name(two_stacks, capsys):
    outdir = str(two_stacks["outdir"])
    assert cli.main(["queries", "--app", outdir, "--format", "json"]) == 0
    listed = {q["name"] for q in json.loads(capsys.readouterr().out)}
    assert {"orders-dev/recent-errors", "orders-prod/recent-errors"} <= listed
    code = cli.main(["queries", "--app", outdir, "--service", "orders-prod", "--format", "json"])
    assert code == 0
    only_prod = json.loads(capsys.readouterr().out)
    assert only_prod and {q["service"] for q in only_prod} == {"orders-prod"}


# --------------------------------------------------------------------------------------
# cdk.Stage: the stage comes from the Stage's name
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_cdk_stages():
    app = cdk.App(context=_context())
    stacks = {}
    for stage_id, label in (("Dev", "dev"), ("Prod", "prod")):
        stage = cdk.Stage(app, stage_id, env=ENV)
        stacks[label] = OrdersStack(stage, "Orders", label=label)
    return {label: (stack, Template.from_stack(stack).to_json())
            for label, stack in stacks.items()}


def test_cdk_stages_qualify_the_names_without_any_option(two_cdk_stages):
    (dev, dev_t), (prod, prod_t) = two_cdk_stages["dev"], two_cdk_stages["prod"]
    shared = _physical_names(dev_t) & _physical_names(prod_t)
    assert not shared, sorted(shared)
    assert (dev.monitoring.stage, prod.monitoring.stage) == ("dev", "prod")
    assert "/watchkeeper/orders-prod/api-access" in _physical_names(prod_t)
    assert "orders-dev-alarms" in _physical_names(dev_t)
    assert _namespaces(prod_t) == {"Watchkeeper/orders-prod"}
    assert lint_template(prod_t) == []


def test_stage_names_are_mapped_into_the_allowed_form():
    assert schema.stage_from_name("Prod") == "prod"
    assert schema.stage_from_name("EU_Prod.1") == "eu-prod-1"
    assert schema.stage_from_name("Outer-Inner") == "outer-inner"
    nested = cdk.Stage(cdk.Stage(cdk.App(), "Eu"), "Prod")  # stage_name "Eu-Prod"
    stack = cdk.Stack(nested, "Orders")
    assert ServiceMonitoring(stack, "M", service_name="orders").qualified_name == (
        "orders-eu-prod")


def test_stage_empty_string_keeps_unqualified_names_inside_a_cdk_stage():
    stack = cdk.Stack(cdk.Stage(cdk.App(), "Prod"), "Orders")
    mon = ServiceMonitoring(stack, "M", service_name="orders", stage="")
    assert (mon.stage, mon.qualified_name, mon.namespace) == (None, "orders", "Watchkeeper/orders")
    assert mon.service_log_group is not None
    assert stack.resolve(mon.service_log_group.log_group_name) == {"Ref": stack.get_logical_id(
        mon.service_log_group.node.default_child)}
    names = _physical_names(Template.from_stack(stack).to_json())
    assert "/watchkeeper/orders/functions" in names


def test_a_cdk_stage_name_too_long_for_the_service_asks_for_stage():
    stack = cdk.Stack(cdk.Stage(cdk.App(), "A" * 30), "Orders")
    with pytest.raises(ValueError, match=r"stage: the enclosing cdk.Stage 'A{30}'.*pass stage="):
        ServiceMonitoring(stack, "M", service_name="s" * 30)


# --------------------------------------------------------------------------------------
# The clash check
# --------------------------------------------------------------------------------------


def _monitor(scope: cdk.Stack, **kw: Any) -> ServiceMonitoring:
    return ServiceMonitoring(scope, "Monitoring", **{"service_name": "orders", **kw})


def test_same_service_twice_in_one_account_and_region_names_both_paths():
    app = cdk.App()
    _monitor(cdk.Stack(app, "OrdersA", env=ENV))
    with pytest.raises(ValueError) as error:
        _monitor(cdk.Stack(app, "OrdersB", env=ENV))
    message = str(error.value)
    assert "OrdersB/Monitoring" in message and "OrdersA/Monitoring" in message
    assert "'orders'" in message and "stage=" in message and "service_name" in message


def test_a_stage_equal_to_a_cdk_stage_clashes_across_stages():
    app = cdk.App()
    _monitor(cdk.Stack(cdk.Stage(app, "Prod", env=ENV), "Orders"))
    with pytest.raises(ValueError, match=r"OrdersProd/Monitoring and Prod/Orders/Monitoring.*"
                                         r"'orders-prod'"):
        _monitor(cdk.Stack(app, "OrdersProd", env=ENV), stage="prod")


def test_an_environment_agnostic_stack_may_clash_with_any():
    app = cdk.App()
    _monitor(cdk.Stack(app, "Anywhere"))
    with pytest.raises(ValueError, match="Ireland/Monitoring and Anywhere/Monitoring"):
        _monitor(cdk.Stack(app, "Ireland", env=ENV))


def test_an_explicit_log_group_name_clashes_across_services():
    app = cdk.App()
    _monitor(cdk.Stack(app, "Orders", env=ENV),
             log_groups=LogGroupOptions(service_log_group_name="/shared/app"))
    with pytest.raises(ValueError, match="the log group '/shared/app'"):
        _monitor(cdk.Stack(app, "Billing", env=ENV), service_name="billing",
                 log_groups=LogGroupOptions(service_log_group_name="/shared/app"))


@pytest.mark.parametrize("other_env", [
    cdk.Environment(account="123456789012", region="us-east-1"),
    cdk.Environment(account="210987654321", region="eu-west-1"),
])
def test_other_regions_and_accounts_may_reuse_the_names(other_env):
    app = cdk.App()
    first = _monitor(cdk.Stack(app, "Ireland", env=ENV))
    second = _monitor(cdk.Stack(app, "Elsewhere", env=other_env))
    assert first.qualified_name == second.qualified_name == "orders"


def test_names_claimed_in_one_app_do_not_leak_into_another():
    _monitor(cdk.Stack(cdk.App(), "Orders", env=ENV))
    _monitor(cdk.Stack(cdk.App(), "Orders", env=ENV))


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["Prod", "-dev", "dev-", "dev_1", "feature/x", 5, "a" * 17])
def test_bad_stages_name_the_option_the_value_and_the_rule(stage):
    with pytest.raises(ValueError) as error:
        ServiceMonitoring(cdk.Stack(cdk.App(), "S"), "M", service_name="s" * 40, stage=stage)
    message = str(error.value)
    assert message.startswith(f"stage={stage!r} is not allowed")
    assert "lower-case letters, digits and '-'" in message
    assert "at most 16 characters" in message


def test_the_longest_qualified_name_fits_every_limit():
    mon = ServiceMonitoring(cdk.Stack(cdk.App(), "S"), "M", service_name="s" * 40,
                            stage="p" * 16, alarms=AlarmOptions(emails=["ops@example.com"]))
    assert len(mon.qualified_name) == schema.MAX_QUALIFIED_NAME_LENGTH == 57
    template = Template.from_stack(mon.stack).to_json()
    assert lint_template(template) == []
    queues = [r["Properties"]["QueueName"] for r in template["Resources"].values()
              if r["Type"] == "AWS::SQS::Queue"]
    assert max(len(q) for q in queues) == 80  # SQS's limit, exactly


# --------------------------------------------------------------------------------------
# MonitoringStack: stage= means the monitoring stage; the Serverless stage is the default
# --------------------------------------------------------------------------------------


FIXTURES = REPO_ROOT / "tests" / "fixtures" / "serverless"


def test_monitoring_stack_stage_with_function_names_qualifies_the_names():
    stack = MonitoringStack(cdk.App(), "Billing", service_name="billing", stage="prod",
                            function_names=["billing-prod-charge"])
    assert stack.monitoring.qualified_name == "billing-prod"
    assert stack.monitoring.namespace == "Watchkeeper/billing-prod"


def test_monitoring_stack_takes_the_serverless_stage_as_monitoring_stage():
    app = cdk.App()
    staging = MonitoringStack(app, "Staging", service_name="orders",
                              serverless_yml=str(FIXTURES / "basic.yml"), stage="staging")
    default = MonitoringStack(app, "Default", service_name="orders",
                              serverless_yml=str(FIXTURES / "basic.yml"))
    assert staging.monitoring.stage == "staging"
    assert default.monitoring.stage == "prod"  # the file's ${opt:stage, 'prod'}
