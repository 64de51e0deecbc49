"""Functions deployed elsewhere that never ran: their /aws/lambda groups are ensured.

The handler is tested against botocore's Stubber; the wiring on two apps of the shape
teams deploy: a MonitoringStack of function names shipping logs (nested shards), and an
in-stack ServiceMonitoring with an imported function (one stack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs_destinations as destinations
from aws_cdk.assertions import Template
from botocore.stub import Stubber

from watchkeeper import ShippingOptions
from watchkeeper.constructs import ensure_log_groups_handler as handler_module
from watchkeeper.constructs.ensure_log_groups_handler import ensure_log_groups, handler
from watchkeeper.constructs.log_group_ensurer import RESOURCE_TYPE
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.stacks import MonitoringStack
from watchkeeper.testing.cfn import lint_template

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
NAMES = [f"billing-prod-fn{i:02d}" for i in range(40)]
ENV = cdk.Environment(account="123456789012", region="eu-west-1")


# -- handler ---------------------------------------------------------------------------


@pytest.fixture
def logs_client():
    client = boto3.client(
        "logs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_missing_group_is_created_with_the_retention(logs_client):
    client, stubber = logs_client
    stubber.add_response("create_log_group", {}, {"logGroupName": "/aws/lambda/a"})
    stubber.add_response(
        "put_retention_policy", {}, {"logGroupName": "/aws/lambda/a", "retentionInDays": 30}
    )
    assert ensure_log_groups(client, ["/aws/lambda/a"], "30") == ["/aws/lambda/a"]


def test_an_existing_group_is_left_as_it_is(logs_client):
    client, stubber = logs_client
    stubber.add_client_error(
        "create_log_group", "ResourceAlreadyExistsException", expected_params={
            "logGroupName": "/aws/lambda/a"}
    )
    # no put_retention_policy: a pending or unexpected call would fail the Stubber
    assert ensure_log_groups(client, ["/aws/lambda/a"], 30) == []


def test_throttling_is_retried(logs_client):
    client, stubber = logs_client
    stubber.add_client_error("create_log_group", "ThrottlingException")
    stubber.add_client_error("create_log_group", "ThrottlingException")
    stubber.add_response("create_log_group", {}, {"logGroupName": "/aws/lambda/a"})
    waits: list[float] = []
    assert ensure_log_groups(client, ["/aws/lambda/a"], None, sleep=waits.append) == [
        "/aws/lambda/a"
    ]
    assert len(waits) == 2 and waits[1] > waits[0]


def test_another_error_fails_the_resource(logs_client, monkeypatch):
    client, stubber = logs_client
    stubber.add_client_error("create_log_group", "AccessDeniedException", "not allowed")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(handler_module, "_respond",
                        lambda event, status, reason, physical_id, data: sent.append(
                            {"status": status, "reason": reason, "id": physical_id}))
    event = {
        "RequestType": "Create", "LogicalResourceId": "EnsureLogGroups",
        "ResourceProperties": {"LogGroupNames": ["/aws/lambda/a"]},
    }
    handler(event, None, client=client)
    assert [(s["status"], s["id"]) for s in sent] == [("FAILED", "EnsureLogGroups")]
    assert "AccessDeniedException" in sent[0]["reason"]


def test_delete_deletes_nothing(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(handler_module, "_respond",
                        lambda event, status, *rest: sent.append(status))

    class NoCalls:
        def __getattr__(self, name):
            raise AssertionError(f"Delete called {name}")

    handler({"RequestType": "Delete", "LogicalResourceId": "X", "PhysicalResourceId": "X",
             "ResourceProperties": {"LogGroupNames": ["/aws/lambda/a"]}}, None,
            client=NoCalls())
    assert sent == ["SUCCESS"]


# -- MonitoringStack of function names, shipping logs ----------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("ensured")
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    streams = cdk.Stack(app, "Streams", env=ENV)
    stream = kinesis.Stream(streams, "Central")
    stack = MonitoringStack(
        app, "Billing", service_name="billing", function_names=NAMES, env=ENV,
        shipping=ShippingOptions(destinations=destinations.KinesisDestination(stream)),
    )
    app.synth()
    nested = {
        shard.node.path: Template.from_json(
            json.loads((outdir / shard.template_file).read_text()))
        for shard in stack.shards
    }
    return stack, Template.from_stack(stack), nested


def test_every_referenced_group_has_an_ensuring_resource(fleet):
    stack, _, nested = fleet
    ensured: list[str] = []
    for template in nested.values():
        resources = template.find_resources(RESOURCE_TYPE)
        assert len(resources) == 1  # one per shard, not one per function
        (resource,) = resources.values()
        ensured += resource["Properties"]["LogGroupNames"]
        assert resource["Properties"]["RetentionInDays"] == 365
    assert sorted(ensured) == sorted(f"/aws/lambda/{n}" for n in NAMES)


def test_every_metric_filter_depends_on_its_ensuring_resource(fleet):
    _, _, nested = fleet
    for template in nested.values():
        (ensurer,) = template.find_resources(RESOURCE_TYPE)
        filters = template.find_resources("AWS::Logs::MetricFilter")
        assert filters
        for logical_id, resource in filters.items():
            assert ensurer in resource.get("DependsOn", []), logical_id


def test_every_subscription_filter_waits_for_the_shard_that_ensures_its_group(fleet):
    stack, parent, _ = fleet
    shard_ids = {stack.resolve(s.nested_stack_resource.logical_id): s for s in stack.shards}
    subscriptions = parent.find_resources("AWS::Logs::SubscriptionFilter")
    assert len(subscriptions) == len(NAMES)
    for logical_id, resource in subscriptions.items():
        group = resource["Properties"]["LogGroupName"]
        waits_for = [d for d in resource.get("DependsOn", []) if d in shard_ids]
        assert len(waits_for) == 1, logical_id
        shard_template = Template.from_stack(shard_ids[waits_for[0]])
        (ensurer,) = shard_template.find_resources(RESOURCE_TYPE).values()
        assert group in ensurer["Properties"]["LogGroupNames"]


def test_the_provider_is_one_function_that_is_not_monitored(fleet):
    stack, parent, nested = fleet
    parent.resource_count_is("AWS::Lambda::Function", 1)
    for template in nested.values():
        template.resource_count_is("AWS::Lambda::Function", 0)
    assert sorted(t.function_name for t in stack.monitoring.functions) == sorted(NAMES)
    policies = {k: v for k, v in parent.find_resources("AWS::IAM::Policy").items()
                if "LogGroupEnsurer" in k}
    (policy,) = policies.values()
    # one statement for every group, whatever the number of functions: it does not grow
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements) == 2
    create = next(s for s in statements if "logs:CreateLogGroup" in s["Action"])
    assert create["Action"] == ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
    assert create["Resource"] == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/*"


def test_templates_pass_cfn_lint(fleet):
    _, parent, nested = fleet
    assert lint_template(parent.to_json()) == []
    for template in nested.values():
        assert lint_template(template.to_json()) == []


# -- in-stack ServiceMonitoring with a function of another stack --------------------------


@pytest.fixture(scope="module")
def in_stack():
    app = cdk.App(context=CONTEXT)
    stack = cdk.Stack(app, "Orders", env=ENV)
    lambda_.Function(stack, "Handler", runtime=lambda_.Runtime.PYTHON_3_12,
                     handler="index.handler", code=lambda_.Code.from_inline("def handler(e, c): 0"))
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="orders", nested_stacks=False)
    legacy = lambda_.Function.from_function_name(stack, "Legacy", "orders-legacy-sync")
    monitoring.monitor_function(legacy, timeout=cdk.Duration.seconds(30))
    managed = lambda_.Function.from_function_name(stack, "Managed", "orders-managed")
    monitoring.monitor_function(managed, timeout=cdk.Duration.seconds(30),
                                manage_log_group=True)
    return Template.from_stack(stack)


def test_an_imported_function_group_is_ensured_in_the_same_stack(in_stack):
    (ensurer_id, ensurer), = in_stack.find_resources(RESOURCE_TYPE).items()
    # manage_log_group=True keeps its meaning: a LogGroup resource, not ensured
    assert ensurer["Properties"]["LogGroupNames"] == ["/aws/lambda/orders-legacy-sync"]
    in_stack.has_resource("AWS::Logs::LogGroup", {
        "Properties": {"LogGroupName": "/aws/lambda/orders-managed"},
        "DeletionPolicy": "Retain",
    })
    legacy_filters = in_stack.find_resources("AWS::Logs::MetricFilter", {
        "Properties": {"LogGroupName": "/aws/lambda/orders-legacy-sync"}})
    assert len(legacy_filters) == 5  # the compact set, JSON and text forms
    for resource in legacy_filters.values():
        assert ensurer_id in resource["DependsOn"]
