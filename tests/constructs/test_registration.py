"""Resources of another stack of the app, monitored explicitly (``monitor_function``,
``monitor_queue``, ``monitor``): monitored as they are, never changed, and refused at the
call when their identifier is known only at deploy time (README: "Resources of another
stack").

Changing such a resource (its logging configuration, an API's access logs) would make its
stack reference the monitoring stack, which already references it: CDK fails the synth
with a dependency cycle. And an identifier known only at deploy time would be written into
``Fn::Sub`` strings as a placeholder for a resource the monitoring template does not hold.
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
from aws_cdk.assertions import Template

from watchkeeper import ServiceMonitoring

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


def _two_stacks():
    app = cdk.App()
    api = cdk.Stack(app, "Api", env=ENV)
    monitoring = cdk.Stack(app, "Monitoring", env=ENV)
    return app, api, monitoring


@pytest.fixture(scope="module")
def split():
    app, api, monitoring = _two_stacks()
    orders = _fn(api, "Orders", function_name="shop-orders")
    mon = ServiceMonitoring(monitoring, "Monitoring", service_name="shop")
    mon.monitor_function(orders)
    app.synth()  # no dependency cycle
    return {"mon": mon, "orders": orders, "api": Template.from_stack(api).to_json(),
            "monitoring": Template.from_stack(monitoring).to_json()}


def test_function_of_another_stack_keeps_its_logging_configuration(split):
    (fn,) = [r for r in split["api"]["Resources"].values()
             if r["Type"] == "AWS::Lambda::Function"]
    assert "LoggingConfig" not in fn["Properties"]
    # The app's stack references nothing of the monitoring stack.
    assert "Fn::ImportValue" not in json.dumps(split["api"])
    assert any("shop-orders: defined in another stack" in n
               for n in split["mon"].resource_logging_notes)


def test_it_is_monitored_by_name_on_the_group_lambda_writes_to(split):
    resources = split["monitoring"]["Resources"].values()
    dimensions = [d["Value"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"
                  for d in r["Properties"].get("Dimensions", ())]
    assert dimensions.count("shop-orders") == 3  # errors, throttles, duration
    groups = {r["Properties"]["LogGroupName"] for r in resources
              if r["Type"] == "AWS::Logs::MetricFilter"}
    assert groups == {"/aws/lambda/shop-orders"}


def test_every_placeholder_names_a_resource_of_the_monitoring_template(split):
    template = split["monitoring"]
    own = set(template["Resources"]) | set(template.get("Parameters", {}))
    text = json.dumps(template)
    placeholders = {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
    refs = set(re.findall(r'"Ref": "([^"]+)"', text))
    # (the dashboards' own alarm ARN prefix is the body's one Fn::Sub variable)
    dangling = {p for p in placeholders | refs
                if p not in own and not p.startswith("AWS::") and p != "WatchkeeperAlarmArn"}
    assert dangling == set()


@pytest.mark.parametrize("kind", ["function", "queue", "http_api"])
def test_resource_of_another_stack_known_only_at_deploy_is_refused_at_the_call(kind):
    app, api, monitoring = _two_stacks()
    mon = ServiceMonitoring(monitoring, "Monitoring", service_name="shop")
    fn = _fn(api, "Unnamed")
    calls = {
        "function": (lambda: mon.monitor_function(fn), "function_name"),
        # A queue's name is its QueueName attribute, even when the app names it.
        "queue": (lambda: mon.monitor_queue(sqs.Queue(api, "Jobs", queue_name="shop-jobs")),
                  "queue_name"),
        "http_api": (lambda: mon.monitor_http_api(apigwv2.HttpApi(
            api, "Http", default_integration=integrations.HttpLambdaIntegration("I", fn))),
            "api_id"),
    }
    call, identifier = calls[kind]
    with pytest.raises(ValueError, match=(
            rf"^{kind} Api/\w+: defined in another stack than this ServiceMonitoring "
            rf"\(Monitoring\), and its {identifier} is known only at deploy time.*Monitor it "
            "from a ServiceMonitoring in the stack that defines it, or import it into this "
            "stack by its literal name or ARN")):
        call()
