"""REST API logging needs the account's API Gateway CloudWatch Logs role (issue 12, defect 5).

Apps made with current ``cdk init`` flags (``@aws-cdk/aws-apigateway:disableCloudWatchRole``)
set no role, and a stage with access or execution logging fails the first deploy in a fresh
account. ServiceMonitoring switches REST logging on only when the role is there: set by the
app, declared by the user (``account-has-role``) or created by watchkeeper (``create``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from watchkeeper import ResourceLoggingOptions, schema
from watchkeeper.cli import main as cli_main
from watchkeeper.cli.assembly import load_assembly
from watchkeeper.cli.check import check_assembly
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV = cdk.Environment(account="111111111111", region="eu-west-1")
#: a second region of the same account: its API Gateway settings are separate
OTHER_REGION = cdk.Environment(account="111111111111", region="us-east-1")


def cdk_init_context() -> dict[str, Any]:
    """The feature flags of a current ``cdk init`` project (the repository's cdk.json)."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    assert context["@aws-cdk/aws-apigateway:disableCloudWatchRole"] is True
    return context


def service(stack: cdk.Stack, *, cloud_watch_role: bool | None = None) -> dict[str, Any]:
    """A LambdaRestApi and an HTTP API in front of one function."""
    handler = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
    )
    rest = apigw.LambdaRestApi(stack, "Rest", handler=handler, cloud_watch_role=cloud_watch_role)
    http = apigwv2.HttpApi(
        stack, "Http", default_integration=integrations.HttpLambdaIntegration("I", handler)
    )
    return {"rest": rest, "http": http}


def _only(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.items()))


def rest_stage(template: Template) -> tuple[str, dict[str, Any]]:
    return _only(template.find_resources("AWS::ApiGateway::Stage"))


def http_stage(template: Template) -> dict[str, Any]:
    return _only(template.find_resources("AWS::ApiGatewayV2::Stage"))[1]


# --------------------------------------------------------------------------------------
# A fresh account: current cdk.json flags, no role anywhere in the app
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("fresh-account") / "cdk.out"
    app = cdk.App(context=cdk_init_context(), outdir=str(outdir))
    stack = cdk.Stack(app, "Shop", env=ENV)
    service(stack)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="shop")
    app.synth()
    return {"stack": stack, "mon": mon, "outdir": outdir, "template": Template.from_stack(stack)}


def test_fresh_account_rest_stage_is_left_unchanged(fresh):
    template = fresh["template"]
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    _, stage = rest_stage(template)
    assert "AccessLogSetting" not in stage["Properties"]
    assert "MethodSettings" not in stage["Properties"]


def test_fresh_account_http_api_access_logs_are_still_on(fresh):
    settings = http_stage(fresh["template"])["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] and json.loads(settings["Format"])["requestId"]


def test_fresh_account_warns_at_synth_naming_the_api_and_the_fix(fresh):
    annotations = Annotations.from_stack(fresh["stack"])
    annotations.has_warning(
        "/Shop/Monitoring",
        Match.string_like_regexp(r"REST API Rest: access and execution logging left off"),
    )
    (warning,) = annotations.find_warning("/Shop/Monitoring", Match.any_value())
    assert "(stages: prod)" in warning.entry.data
    assert schema.REST_API_CLOUDWATCH_ROLE_FIX in warning.entry.data
    assert fresh["mon"].resource_logging_notes[-1].startswith("REST API Rest: ")


def test_fresh_account_changes_name_only_what_was_changed(fresh):
    assert fresh["mon"].resource_changes == [
        ("api-access-logs", "Http", "stage $default: JSON access logs to "
         "/watchkeeper/shop/api-access"),
    ]


def test_fresh_account_watchkeeper_check_warns_with_the_same_fix(fresh, tmp_path, capsys):
    # As synthesized: REST logging is off, nothing to warn about.
    result = check_assembly(load_assembly(fresh["outdir"]))
    assert (result.problems, result.warnings) == ([], [])
    # The same app with execution logging switched on by hand (an L1 property of its stage).
    outdir = shutil.copytree(fresh["outdir"], tmp_path / "cdk.out")
    stage_id, _ = rest_stage(fresh["template"])
    template = fresh["template"].to_json()
    template["Resources"][stage_id]["Properties"]["MethodSettings"] = [
        {"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR"}
    ]
    (outdir / "Shop.template.json").write_text(json.dumps(template))
    assert cli_main(["check", str(outdir)]) == 0  # a warning does not fail the check
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [
        f"warning: Shop/{stage_id} (AWS::ApiGateway::Stage): REST API logging (execution "
        "logging) needs the account's API Gateway CloudWatch Logs role, and the app sets none "
        "(no AWS::ApiGateway::Account): the deploy fails in an account without it. Fix: "
        + schema.REST_API_CLOUDWATCH_ROLE_FIX
    ]
    assert out[-1].startswith("OK: 1 template, ") and out[-1].endswith(", 1 warning")
    assert cli_main(["check", str(outdir), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(w["logical_id"], w["check"]) for w in document["warnings"]] == [
        (stage_id, "rest-api-logging-role")
    ]


def test_fresh_account_template_passes_cfn_lint(fresh):
    assert lint_template(fresh["template"].to_json()) == []


# --------------------------------------------------------------------------------------
# The role is there: set by the app, declared, or created by watchkeeper
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_role(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("with-role") / "cdk.out"
    app = cdk.App(context=cdk_init_context(), outdir=str(outdir))
    stacks: dict[str, cdk.Stack] = {}
    monitors: dict[str, ServiceMonitoring] = {}

    def add(stack_id: str, env: cdk.Environment, **options: Any) -> None:
        stack = cdk.Stack(app, stack_id, env=env)
        service(stack, cloud_watch_role=options.pop("cloud_watch_role", None))
        stacks[stack_id] = stack
        monitors[stack_id] = ServiceMonitoring(
            stack, "Monitoring", service_name=stack_id.lower(), **options
        )

    add("Managed", ENV, cloud_watch_role=True)  # the app's RestApi sets the role
    add("Declared", OTHER_REGION,
        resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role="account-has-role"))
    # two services of one app in one region ask watchkeeper to set the role
    add("Created", OTHER_REGION,
        resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role="create"))
    add("CreatedToo", OTHER_REGION,
        resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role="create"))
    app.synth()
    return {
        "outdir": outdir,
        "stacks": stacks,
        "monitors": monitors,
        "templates": {k: Template.from_stack(s) for k, s in stacks.items()},
    }


ROLE_STACKS = ("Managed", "Declared", "Created", "CreatedToo")


@pytest.mark.parametrize("stack_id", ROLE_STACKS)
def test_with_a_role_rest_stage_gets_access_and_execution_logging(with_role, stack_id):
    _, stage = rest_stage(with_role["templates"][stack_id])
    assert stage["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert {
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "LoggingLevel": "ERROR",
        "DataTraceEnabled": False,
    } in stage["Properties"]["MethodSettings"]
    assert http_stage(with_role["templates"][stack_id])["Properties"]["AccessLogSettings"]
    assert Annotations.from_stack(with_role["stacks"][stack_id]).find_warning(
        "*", Match.string_like_regexp("REST API")
    ) == []


@pytest.mark.parametrize("stack_id", ROLE_STACKS)
def test_with_a_role_every_change_is_returned(with_role, stack_id):
    changes = with_role["monitors"][stack_id].resource_changes
    group = f"/watchkeeper/{stack_id.lower()}/api-access"
    assert changes == [
        ("api-access-logs", "Http", f"stage $default: JSON access logs to {group}"),
        ("api-access-logs", "Rest", f"stage prod: JSON access logs to {group}"),
        ("api-stage-settings", "Rest",
         "stage prod: execution logging ERROR for all methods (*, /*), data tracing off"),
    ]


def test_the_apps_own_role_is_used_and_the_stage_waits_for_it(with_role):
    template = with_role["templates"]["Managed"]
    account_id, _ = _only(template.find_resources("AWS::ApiGateway::Account"))
    _, stage = rest_stage(template)
    assert account_id in stage["DependsOn"]
    assert with_role["monitors"]["Managed"].api_gateway_account is None


def test_account_has_role_creates_nothing(with_role):
    with_role["templates"]["Declared"].resource_count_is("AWS::ApiGateway::Account", 0)
    assert with_role["monitors"]["Declared"].api_gateway_account is None


def test_create_sets_the_role_once_per_app_and_region(with_role):
    created, too = with_role["templates"]["Created"], with_role["templates"]["CreatedToo"]
    account_id, account = _only(created.find_resources("AWS::ApiGateway::Account"))
    too.resource_count_is("AWS::ApiGateway::Account", 0)
    # account-wide: kept when the stack is deleted, as aws-cdk-lib's RestApi does
    assert account["DeletionPolicy"] == "Retain"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = created.to_json()["Resources"][role_id]
    assert role["DeletionPolicy"] == "Retain"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert json.dumps(role["Properties"]["ManagedPolicyArns"]).endswith(
        ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}]'
    )
    # the stages of both services are created after the role is set
    assert account_id in rest_stage(created)[1]["DependsOn"]
    stacks = with_role["stacks"]
    assert stacks["Created"] in stacks["CreatedToo"].dependencies


def test_with_a_role_watchkeeper_check_has_no_warning(with_role, capsys):
    assert cli_main(["check", str(with_role["outdir"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "warning" not in out


@pytest.mark.parametrize("stack_id", ROLE_STACKS)
def test_with_a_role_templates_pass_cfn_lint(with_role, stack_id):
    assert lint_template(with_role["templates"][stack_id].to_json()) == []


def test_rest_api_cloudwatch_role_is_validated_naming_option_value_and_allowed():
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(
        ValueError,
        match=r"rest_api_cloudwatch_role='yes' is not allowed: use one of detect, "
        r"account-has-role, create",
    ):
        ServiceMonitoring(
            stack, "M", service_name="bad",
            resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role="yes"),
        )
