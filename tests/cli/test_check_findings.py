"""``watchkeeper check``'s security finding (``cli/check_findings.py``) on hand-written
assemblies: a Lambda function URL with ``AuthType: NONE`` is a problem unless a
watchkeeper service's metadata records that the app acknowledged the synth warning on it,
by construct path (in any template) or, without path metadata, by logical id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from watchkeeper import cli
from watchkeeper.cli.assembly import load_assembly
from watchkeeper.cli.check import check_assembly

ENV = "aws://111111111111/eu-west-1"
ARN = "arn:aws:lambda:eu-west-1:111111111111:function:orders-webhook"
PROBLEM = (
    "Orders/WebhookUrl (AWS::Lambda::Url): AuthType NONE: anyone can invoke "
    f"{ARN} through this URL without signing; use AWS_IAM, or if it is public on purpose "
    "(a webhook that verifies its callers) acknowledge watchkeeper's synth warning "
    "watchkeeper:public-function-url on it"
)


def url(auth_type: Any, path: str | None = "Orders/Webhook/FunctionUrl/Resource"
        ) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::Lambda::Url", "Properties": {
        "AuthType": auth_type, "TargetFunctionArn": ARN}}
    if path is not None:
        resource["Metadata"] = {"aws:cdk:path": path}
    return resource


def finding(acknowledged: bool, path: str = "Orders/Webhook/FunctionUrl/Resource",
            logical_id: str = "WebhookUrl") -> dict[str, Any]:
    return {"Metadata": {"Watchkeeper": {"services": [{"service": "orders", "findings": [
        {"check": "public-function-url", "resource": "orders-webhook URL", "path": path,
         "logical_id": logical_id, "acknowledged": acknowledged}]}]}}}


def assembly(root: Path, *templates: tuple[str, dict[str, Any]]) -> Path:
    artifacts = {}
    for name, template in templates:
        root.mkdir(parents=True, exist_ok=True)
        (root / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {"type": "aws:cloudformation:stack", "environment": ENV,
                           "properties": {"templateFile": f"{name}.template.json"},
                           "displayName": name}
    (root / "manifest.json").write_text(json.dumps({"version": "48.0.0",
                                                    "artifacts": artifacts}))
    return root


def problems(root: Path) -> list[str]:
    return [p.line() for p in check_assembly(load_assembly(root)).problems]


#: A public URL nothing acknowledges, beside each case: the check must name it and only it.
CONTROL = {"ControlUrl": url("NONE", path="Orders/Control/FunctionUrl/Resource")}
CONTROL_PROBLEM = PROBLEM.replace("Orders/WebhookUrl", "Orders/ControlUrl")


def test_a_public_url_is_a_problem_and_exit_1(tmp_path: Path, capsys) -> None:
    root = assembly(tmp_path, ("Orders", {"Resources": {"WebhookUrl": url("NONE")}}))
    assert problems(root) == [PROBLEM]
    assert cli.main(["check", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "1 problem found (1 template, 1 resource checked)")


def test_an_iam_url_is_not(tmp_path: Path) -> None:
    root = assembly(tmp_path, ("Orders", {"Resources": {
        "WebhookUrl": url("AWS_IAM"), **CONTROL}}))
    assert problems(root) == [CONTROL_PROBLEM]


def test_an_acknowledged_url_is_not_even_from_another_template(tmp_path: Path) -> None:
    root = assembly(tmp_path, ("Orders", {"Resources": {"WebhookUrl": url("NONE"), **CONTROL}}),
                    ("Monitoring", {"Resources": {}, **finding(acknowledged=True)}))
    assert problems(root) == [CONTROL_PROBLEM]


def test_a_finding_recorded_unacknowledged_stays_a_problem(tmp_path: Path) -> None:
    template = {"Resources": {"WebhookUrl": url("NONE")}, **finding(acknowledged=False)}
    assert problems(assembly(tmp_path, ("Orders", template))) == [PROBLEM]


def test_an_acknowledgement_of_another_path_does_not_count(tmp_path: Path) -> None:
    template = {"Resources": {"WebhookUrl": url("NONE")},
                **finding(acknowledged=True, path="Orders/Other/FunctionUrl/Resource")}
    assert problems(assembly(tmp_path, ("Orders", template))) == [PROBLEM]


def test_without_path_metadata_the_logical_id_matches(tmp_path: Path) -> None:
    template = {"Resources": {"WebhookUrl": url("NONE", path=None), **CONTROL},
                **finding(acknowledged=True)}
    assert problems(assembly(tmp_path, ("Orders", template))) == [CONTROL_PROBLEM]


def test_an_auth_type_left_to_deploy_time_is_not_judged(tmp_path: Path) -> None:
    template = {"Parameters": {"Auth": {"Type": "String"}},
                "Resources": {"WebhookUrl": url({"Ref": "Auth"}), **CONTROL}}
    assert problems(assembly(tmp_path, ("Orders", template))) == [CONTROL_PROBLEM]


def test_the_function_is_named_by_its_name_else_its_path_else_as_stated(tmp_path: Path) -> None:
    def target(logical_id: str) -> dict[str, Any]:
        return {"Type": "AWS::Lambda::Url", "Properties": {
            "AuthType": "NONE", "TargetFunctionArn": {"Fn::GetAtt": [logical_id, "Arn"]}}}

    resources = {
        "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "orders-hook"}},
        "Unnamed": {"Type": "AWS::Lambda::Function", "Properties": {},
                    "Metadata": {"aws:cdk:path": "Orders/Checkout/Resource"}},
        "Bare": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "NamedUrl": target("Named"), "UnnamedUrl": target("Unnamed"), "BareUrl": target("Bare"),
    }
    root = assembly(tmp_path, ("Orders", {"Resources": resources}))
    found = {p.logical_id: p.message for p in check_assembly(load_assembly(root)).problems}
    assert "anyone can invoke orders-hook through" in found["NamedUrl"]
    assert "anyone can invoke Orders/Checkout through" in found["UnnamedUrl"]
    assert "anyone can invoke <Bare.Arn> through" in found["BareUrl"]
