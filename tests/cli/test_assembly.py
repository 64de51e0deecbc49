"""Reading cloud assemblies: stacks, nested stacks, nested assemblies, intrinsics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cli.assembly import AssemblyError, Template, display, load_assembly


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def stack_artifact(template_file: str, environment: str = "aws://unknown-account/unknown-region"):
    return {
        "type": "aws:cloudformation:stack",
        "environment": environment,
        "properties": {"templateFile": template_file},
    }


@pytest.fixture
def assembly_dir(tmp_path: Path) -> Path:
    """An app stack with a nested stack, and a stage (nested assembly) with one stack."""
    write_json(
        tmp_path / "manifest.json",
        {
            "version": "36.0.0",
            "artifacts": {
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
                "AppStack": stack_artifact(
                    "AppStack.template.json", "aws://111122223333/eu-west-1"
                ),
                "assembly-Prod": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
                },
            },
        },
    )
    write_json(
        tmp_path / "AppStack.template.json",
        {
            "Resources": {
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {"LogGroupName": "/watchkeeper/orders/functions"},
                },
                "Inner": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": "https://example.invalid/inner"},
                    "Metadata": {"aws:asset:path": "AppStackInner.nested.template.json"},
                },
            }
        },
    )
    write_json(
        tmp_path / "AppStackInner.nested.template.json",
        {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}},
    )
    write_json(
        tmp_path / "assembly-Prod" / "manifest.json",
        {
            "version": "36.0.0",
            "artifacts": {
                "ProdOrders": {
                    **stack_artifact("ProdOrders.template.json"),
                    "displayName": "Prod/Orders",
                }
            },
        },
    )
    write_json(
        tmp_path / "assembly-Prod" / "ProdOrders.template.json",
        {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}},
    )
    return tmp_path


def test_reads_stacks_nested_stacks_and_nested_assemblies(assembly_dir: Path) -> None:
    assembly = load_assembly(assembly_dir)
    names = [t.display_name for t in assembly.all_templates()]
    assert names == ["AppStack", "AppStack/Inner", "Prod/Orders"]
    topics = [r.location for r in assembly.resources_of_type("AWS::SNS::Topic")]
    assert topics == ["AppStack/Inner/Topic", "Prod/Orders/Topic"]
    inner = assembly.templates[0].nested[0]
    # the nested stack inherits the parent's environment
    assert (inner.account, inner.region) == ("111122223333", "eu-west-1")
    assert assembly.templates[1].region is None


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        AssemblyError, match=r"not a cloud assembly \(no manifest\.json\); run `cdk synth` first"
    ):
        load_assembly(tmp_path)


def test_listed_template_that_is_missing_or_broken_names_the_file(tmp_path: Path) -> None:
    write_json(
        tmp_path / "manifest.json",
        {"artifacts": {"S": stack_artifact("S.template.json")}},
    )
    with pytest.raises(AssemblyError, match=r"S\.template\.json is listed .* does not exist"):
        load_assembly(tmp_path)
    (tmp_path / "S.template.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(AssemblyError, match=r"S\.template\.json is not valid JSON"):
        load_assembly(tmp_path)


@pytest.fixture
def template() -> Template:
    return Template(
        stack_name="Orders",
        display_name="Orders",
        path=Path("Orders.template.json"),
        region=None,
        account="111122223333",
        body={
            "Resources": {
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {"LogGroupName": "/watchkeeper/orders/functions"},
                },
                "GeneratedLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
                "Named": {
                    "Type": "AWS::CloudWatch::Alarm",
                    "Properties": {"AlarmName": "orders-errors"},
                },
                "Unnamed": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
            }
        },
    )


def test_resolves_pseudo_parameters_refs_and_alarm_arns(template: Template) -> None:
    assert template.resolve({"Ref": "AWS::Region"}) == "<region>"
    assert template.resolve({"Ref": "AWS::AccountId"}) == "111122223333"
    assert template.resolve({"Ref": "Logs"}) == "/watchkeeper/orders/functions"
    assert template.resolve({"Ref": "GeneratedLogs"}) == "<GeneratedLogs>"
    assert (
        template.resolve({"Fn::GetAtt": ["Named", "Arn"]})
        == "arn:aws:cloudwatch:<region>:111122223333:alarm:orders-errors"
    )
    assert template.resolve({"Fn::GetAtt": ["Unnamed", "Arn"]}).endswith(":alarm:<Unnamed>")
    assert template.resolve({"Fn::GetAtt": ["Logs", "Arn"]}) == "<Logs.Arn>"


def test_resolves_join_sub_and_select(template: Template) -> None:
    assert template.resolve({"Fn::Join": ["-", ["a", {"Ref": "AWS::Partition"}, "b"]]}) == "a-aws-b"
    assert (
        template.resolve({"Fn::Sub": "${AWS::StackName}:${Logs}:${Named.Arn}:${!Literal}"})
        == "Orders:/watchkeeper/orders/functions:"
        "arn:aws:cloudwatch:<region>:111122223333:alarm:orders-errors:${Literal}"
    )
    assert template.resolve({"Fn::Sub": ["${X}-${Y}", {"X": "x", "Y": {"Ref": "Logs"}}]}) == (
        "x-/watchkeeper/orders/functions"
    )
    assert template.resolve({"Fn::Select": [1, ["a", "b"]]}) == "b"
    # unsupported functions become visible placeholders, not exceptions
    assert template.resolve({"Fn::ImportValue": "Shared"}) == "<import Shared>"
    assert template.resolve({"Fn::If": ["Prod", "p", "d"]}) == "<Fn::If>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (300, "300"),
        (0.5, "0.5"),
        ({"Ref": "Fn"}, "<Fn>"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, "<Fn.Arn>"),
        ({"Fn::GetAtt": "Fn.Arn"}, "<Fn.Arn>"),
        ({"Fn::Join": ["/", ["/aws/lambda", {"Ref": "Fn"}]]}, "/aws/lambda/<Fn>"),
        ({"Fn::Sub": "${AWS::Region}-x-${!Literal}"}, "<AWS::Region>-x-${Literal}"),
        ({"Fn::Sub": ["${A}-${B}", {"A": "a"}]}, "a-<B>"),
        ({"Fn::Select": [1, ["a", "b"]]}, "b"),
        ({"Fn::ImportValue": "Shared"}, "<import Shared>"),
        ({"Fn::If": ["Prod", "p", "d"]}, "<Fn::If>"),
        ({"Fn::Base64": "x"}, "<Fn::Base64>"),
        ({"Fn::Join": "broken"}, "<Fn::Join>"),
        ({"Fn::Sub": [1, 2]}, "<Fn::Sub>"),
        ({"a": 1, "b": 2}, "<object>"),
        (None, ""),
        ("two\nlines\t", "two\\nlines\\t"),
    ],
)
def test_display_without_a_template_keeps_every_reference_a_placeholder(
    value: Any, expected: str
) -> None:
    assert display(value) == expected


def test_display_survives_pathological_nesting() -> None:
    value: Any = "x"
    for _ in range(200):
        value = {"Fn::Join": ["", [value]]}
    assert display(value).endswith("<...>")


def test_display_in_a_template_uses_the_same_evaluator_as_resolve(template: Template) -> None:
    # report (display) and check/preview/incident (resolve) read a value the same way
    value = {"Fn::Join": ["/", [{"Ref": "AWS::StackName"}, {"Ref": "Logs"}, 5]]}
    assert template.display(value) == template.resolve(value) == (
        "Orders//watchkeeper/orders/functions/5"
    )
    assert display(value) == "<AWS::StackName>/<Logs>/5"


def test_escape_applies_to_intrinsic_values_only(template: Template) -> None:
    template.body["Resources"]["Logs"]["Properties"]["LogGroupName"] = 'we"ird'
    resolved = template.resolve(
        {"Fn::Join": ["", ['{"a":"', {"Ref": "Logs"}, '"}']]},
        escape=lambda text: json.dumps(text)[1:-1],
    )
    assert json.loads(resolved) == {"a": 'we"ird'}


def test_nested_stack_found_through_the_asset_manifest(assembly_dir: Path) -> None:
    # a plain `python app.py` writes no aws:asset:path: the TemplateURL names the asset hash
    asset_hash = "cd" * 32
    template = json.loads((assembly_dir / "AppStack.template.json").read_text())
    inner = template["Resources"]["Inner"]
    del inner["Metadata"]
    inner["Properties"]["TemplateURL"] = {
        "Fn::Join": ["", ["https://s3.", {"Ref": "AWS::Region"}, f".x/b/{asset_hash}.json"]]
    }
    template["Resources"]["Remote"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example.invalid/elsewhere.json"},
    }
    write_json(assembly_dir / "AppStack.template.json", template)
    write_json(
        assembly_dir / "AppStack.assets.json",
        {"files": {asset_hash: {"source": {"path": "AppStackInner.nested.template.json"}}}},
    )
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    manifest["artifacts"]["AppStack.assets"] = {
        "type": "cdk:asset-manifest",
        "properties": {"file": "AppStack.assets.json"},
    }
    write_json(assembly_dir / "manifest.json", manifest)
    app_stack = load_assembly(assembly_dir).templates[0]
    (inner_template,) = app_stack.nested
    assert (inner_template.logical_id, inner_template.template_file) == (
        "Inner",
        "AppStackInner.nested.template.json",
    )
    assert inner_template.root is app_stack
    assert app_stack.unreadable_nested == ["Remote"]


def test_stacks_know_their_artifact_environment_and_assembly(assembly_dir: Path) -> None:
    app_stack, prod = load_assembly(assembly_dir / "manifest.json").templates
    assert (app_stack.artifact_id, app_stack.environment, app_stack.assembly_path) == (
        "AppStack",
        "aws://111122223333/eu-west-1",
        ".",
    )
    assert (prod.artifact_id, prod.assembly_path, prod.template_file) == (
        "ProdOrders",
        "assembly-Prod",
        "ProdOrders.template.json",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"Resources": []}, r"stack S \(S\.template\.json\): Resources is not an object"),
        ({"Resources": {"X": {}}}, r"resource X has no Type"),
        (
            {"Resources": {"X": {"Type": "AWS::SNS::Topic", "Properties": 1}}},
            r"resource X: Properties is not an object",
        ),
        (
            {
                "Resources": {
                    "Self": {
                        "Type": "AWS::CloudFormation::Stack",
                        "Metadata": {"aws:asset:path": "S.template.json"},
                    }
                }
            },
            r"nested stacks deeper than 20 levels at Self",
        ),
    ],
)
def test_malformed_templates_are_one_line_errors(
    tmp_path: Path, template: dict[str, Any], message: str
) -> None:
    write_json(tmp_path / "manifest.json", {"artifacts": {"S": stack_artifact("S.template.json")}})
    write_json(tmp_path / "S.template.json", template)
    with pytest.raises(AssemblyError, match=message) as raised:
        load_assembly(tmp_path)
    assert "\n" not in str(raised.value)
