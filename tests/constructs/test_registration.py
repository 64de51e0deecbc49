"""Resources of another stack of the app, monitored explicitly (``monitor_function``,
``monitor_queue``, ``monitor_http_api``, ``monitor``): monitored as they are, never
changed, and named in the monitoring stack's ``Fn::Sub`` strings through variables that CDK
turns into cross-stack imports (README: "Resources of another stack").

Changing such a resource (its logging configuration, an API's access logs) would make its
stack reference the monitoring stack, which already references it: CDK fails the synth
with a dependency cycle. And a placeholder written for it would name a resource the
monitoring template does not hold: the deploy fails.
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from watchkeeper import ServiceMonitoring
from watchkeeper.constructs.fn_sub import register_foreign
from watchkeeper.testing.cfn import lint_template

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


@pytest.fixture(scope="module")
def split():
    app = cdk.App()
    api = cdk.Stack(app, "Api", env=ENV)
    monitoring = cdk.Stack(app, "Monitoring", env=ENV)
    named = _fn(api, "Orders", function_name="shop-orders")
    unnamed = _fn(api, "Catalog")  # CDK's advice: let CloudFormation name it
    queue = sqs.Queue(api, "Jobs")
    http = apigwv2.HttpApi(api, "Http", default_integration=integrations.HttpLambdaIntegration(
        "Catalog", unnamed))
    machine = sfn.StateMachine(api, "Flow", definition_body=sfn.DefinitionBody.from_chainable(
        sfn.Pass(api, "Go")))
    mon = ServiceMonitoring(monitoring, "Monitoring", service_name="shop")
    for fn in (named, unnamed):
        mon.monitor_function(fn)
    mon.monitor_queue(queue)
    mon.monitor_http_api(http)
    mon.monitor_state_machine(machine)
    app.synth()  # no dependency cycle
    return {"mon": mon, "api": Template.from_stack(api).to_json(),
            "monitoring": Template.from_stack(monitoring).to_json(),
            "unnamed_id": api.resolve(unnamed.node.default_child.logical_id)}


def test_resources_of_another_stack_are_not_changed(split):
    resources = split["api"]["Resources"].values()
    functions = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 2
    assert all("LoggingConfig" not in r["Properties"] for r in functions)
    assert not any(r["Type"] == "AWS::Logs::LogGroup" for r in resources)  # no access logs
    (machine,) = [r for r in resources if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert "LoggingConfiguration" not in machine["Properties"]
    # The app's stack imports nothing from the monitoring stack (only exports to it).
    assert "Fn::ImportValue" not in json.dumps(split["api"])
    notes = split["mon"].resource_logging_notes
    assert any("shop-orders: defined in another stack" in n for n in notes)
    assert any(n.startswith("API Http: defined in another stack") for n in notes)
    assert any(n.startswith("state machine Api/Flow: defined in another stack") for n in notes)


def test_functions_are_monitored_on_the_group_lambda_writes_to(split):
    resources = split["monitoring"]["Resources"].values()
    dimensions = [d["Value"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"
                  for d in r["Properties"].get("Dimensions", ())]
    assert dimensions.count("shop-orders") == 3  # errors, throttles, duration
    # (CDK's export name: the logical id and a hash)
    export = f"Api:ExportsOutputRef{split['unnamed_id']}"
    imports = [d for d in dimensions if isinstance(d, dict)
               and d.get("Fn::ImportValue", "").startswith(export)]
    assert len(imports) == 3
    groups = [r["Properties"]["LogGroupName"] for r in resources
              if r["Type"] == "AWS::Logs::MetricFilter"]
    assert "/aws/lambda/shop-orders" in groups
    assert {"Fn::Join": ["", ["/aws/lambda/", imports[0]]]} in groups


def _sub_strings(node):
    """(text, variables) of every Fn::Sub in a template."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::Sub":
                yield (value, {}) if isinstance(value, str) else (value[0], value[1])
            yield from _sub_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _sub_strings(item)


def test_every_placeholder_names_a_resource_of_its_template_or_a_variable(split):
    template = split["monitoring"]
    own = set(template["Resources"]) | set(template.get("Parameters", {}))
    subs = list(_sub_strings(template))
    imported = set()
    for text, variables in subs:
        for placeholder in re.findall(r"\$\{([^!}][^}]*)\}", text):
            name = placeholder.split(".")[0]
            assert name in own or name in variables or name.startswith("AWS::"), placeholder
        imported |= {k for k, v in variables.items() if "Fn::ImportValue" in json.dumps(v)}
    # The dashboards and detection rules name the unnamed function, its queue, API and
    # state machine through imports.
    assert split["unnamed_id"] in imported
    assert len(imported) >= 4
    refs = set(re.findall(r'"Ref": "([^"]+)"', json.dumps(template)))
    assert {r for r in refs if r not in own and not r.startswith("AWS::")} == set()


def test_both_templates_pass_cfn_lint(split):
    assert lint_template(split["monitoring"]) == []
    assert lint_template(split["api"]) == []


def test_an_identifier_that_is_not_a_plain_reference_cannot_be_imported():
    app = cdk.App()
    api = cdk.Stack(app, "Api", env=ENV)
    monitoring = cdk.Stack(app, "Monitoring", env=ENV)
    fn = _fn(api, "Fn")
    assert register_foreign(monitoring, fn.function_name) is True
    assert register_foreign(monitoring, f"/aws/lambda/{fn.function_name}") is False
