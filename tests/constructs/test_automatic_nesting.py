"""A stack that grows past CloudFormation's 500 resources: automatic nested placement.

Apps of the shape teams have: plain functions with their roles, a few with a Text log
format, the feature flags of a current ``cdk init`` (cdk.json), one ServiceMonitoring
line. One synth per scenario, shared by the module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from watchkeeper.constructs.placement import RETAIN_MARGIN_RESOURCES
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
#: Functions that chose the Text format (with cdk.json's useCdkManagedLogGroup they keep
#: the group CDK gives every function, like the others).
TEXT_FUNCTIONS = 3
#: Functions that bring the estimate within the margin below 500 (each is 3 resources of
#: the app's own with cdk.json's flags: function, role, CDK's log group).
NEAR_FUNCTIONS = 38


def _build(outdir: Path, functions: int, **options: Any) -> tuple[cdk.App, cdk.Stack,
                                                                   ServiceMonitoring]:
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    stack = cdk.Stack(app, "Fleet", env=ENV)
    for i in range(functions):
        lambda_.Function(
            stack, f"Worker{i:03d}",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return event"),
            logging_format=(
                lambda_.LoggingFormat.TEXT if i < TEXT_FUNCTIONS else lambda_.LoggingFormat.JSON
            ),
        )
    monitoring = ServiceMonitoring(stack, "Monitoring", service_name="fleet", **options)
    return app, stack, monitoring


def _synth(outdir: Path, functions: int, **options: Any) -> dict[str, Any]:
    app, stack, monitoring = _build(outdir, functions, **options)
    assembly = app.synth()
    artifact = assembly.get_stack_by_name("Fleet")
    templates = {p.name: json.loads(p.read_text()) for p in outdir.glob("*.template.json")}
    return {
        "stack": stack,
        "monitoring": monitoring,
        "parent": artifact.template,
        "templates": templates,
        "sizes": {p.name: p.stat().st_size for p in outdir.glob("*.template.json")},
        "warnings": [str(m.entry.data) for m in artifact.messages
                     if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING],
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return _synth(tmp_path_factory.mktemp("big"), 120)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return (_synth(tmp_path_factory.mktemp("small-auto"), 10),
            _synth(tmp_path_factory.mktemp("small-never"), 10, nested_stacks=False))


@pytest.fixture(scope="module")
def near(tmp_path_factory):
    return _synth(tmp_path_factory.mktemp("near"), NEAR_FUNCTIONS)


def _of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# -- 120 functions: past the limit -----------------------------------------------------


def test_the_stack_alone_is_240_resources(big):
    parent = big["parent"]
    assert len(_of_type(parent, "AWS::Lambda::Function")) == 120
    assert len(_of_type(parent, "AWS::IAM::Role")) == 120


def test_every_template_within_cloudformation_limits(big):
    assert len(big["templates"]) > 2  # nested stacks were used
    for name, template in big["templates"].items():
        assert len(template["Resources"]) <= 500, name
        assert big["sizes"][name] <= 1_000_000, name


def test_a_warning_says_nested_stacks_were_used_with_the_numbers(big):
    estimate = big["monitoring"].size_estimate
    assert big["monitoring"].nested_automatically
    (warning,) = [w for w in big["warnings"] if "nested stacks" in w]
    assert "stack Fleet would hold about" in warning
    assert f"{estimate.resources} resources" in warning
    assert f"{estimate.existing} already in it" in warning
    assert "500 resources" in warning and "nested_stacks=True" in warning


def test_every_function_is_alarmed_in_a_nested_stack(big):
    def function_alarms(template: dict) -> int:
        return sum(
            1 for r in _of_type(template, "AWS::CloudWatch::Alarm").values()
            if any(d["Name"] == "FunctionName" for d in r["Properties"].get("Dimensions", []))
        )

    nested = [t for name, t in big["templates"].items() if name != "Fleet.template.json"]
    assert sum(function_alarms(t) for t in nested) == 120 * 3
    assert function_alarms(big["parent"]) == 0


def test_per_function_log_groups_stay_in_the_enclosing_stack(big):
    for name, template in big["templates"].items():
        groups = _of_type(template, "AWS::Logs::LogGroup")
        if name == "Fleet.template.json":
            # CDK's group of every function, kept (no function writes to a service log
            # group, so there is none)
            assert len(groups) == 120
        else:
            assert groups == {}, name


def test_the_estimate_is_an_upper_bound(big):
    estimate = big["monitoring"].size_estimate
    # what one template would have held: everything, nested stacks flattened
    flattened = sum(
        len(t["Resources"]) for t in big["templates"].values()
    ) - len(_of_type(big["parent"], "AWS::CloudFormation::Stack"))
    # functions, roles, CDK's log group of each (kept); watchkeeper's topic, key, topic
    # policy (the service log group is created only when a function is moved to it)
    assert estimate.existing == 360 + 3
    assert flattened <= estimate.resources


def test_templates_pass_cfn_lint(big):
    for name, template in big["templates"].items():
        assert lint_template(template) == [], name


def test_never_nesting_a_stack_past_the_limit_is_a_clear_error(tmp_path):
    app, _, _ = _build(tmp_path, 120, nested_stacks=False)
    # Found while building at synth: a CDK validation error naming the construct path,
    # not an exception from inside the aspect.
    with pytest.raises(RuntimeError, match=(
        r"Validation failed with the following errors:\s+\[Fleet/Monitoring\] watchkeeper: "
        r"nested_stacks=False: stack Fleet would hold \d+ resources \(\d+ of its own \+ "
        r"\d+ added by watchkeeper\); CloudFormation allows 500 per template"
    )):
        app.synth()


# -- 10 functions: far below -----------------------------------------------------------


def test_a_small_stack_is_not_nested_and_unchanged(small):
    automatic, never = small
    assert not automatic["monitoring"].nested_automatically
    assert list(automatic["templates"]) == ["Fleet.template.json"]
    assert automatic["templates"] == never["templates"]
    assert automatic["warnings"] == []
    assert not any(
        r.get("DeletionPolicy") for r in _of_type(
            automatic["parent"], "AWS::CloudWatch::Alarm").values()
    )


def test_nested_stacks_must_be_a_bool_or_none():
    app = cdk.App()
    with pytest.raises(ValueError, match=r"nested_stacks='auto' must be True \(always\), "
                                         r"False \(never\) or None"):
        ServiceMonitoring(cdk.Stack(app, "S"), "M", service_name="s", nested_stacks="auto")


# -- NEAR_FUNCTIONS functions: within the margin below the limit -----------------------------------


def test_near_the_limit_function_alarms_are_retained_before_they_can_move(near):
    estimate = near["monitoring"].size_estimate
    assert 500 - RETAIN_MARGIN_RESOURCES <= estimate.resources <= 500
    assert not near["monitoring"].nested_automatically
    assert list(near["templates"]) == ["Fleet.template.json"]
    alarms = _of_type(near["parent"], "AWS::CloudWatch::Alarm")
    per_function = {k: v for k, v in alarms.items()
                    if any(d["Name"] == "FunctionName"
                           for d in v["Properties"].get("Dimensions", []))}
    assert len(per_function) == NEAR_FUNCTIONS * 3
    for logical_id, alarm in per_function.items():
        assert alarm["DeletionPolicy"] == "Retain", logical_id
    # service-wide alarms never move: deleted with the stack as before
    assert any("DeletionPolicy" not in a for k, a in alarms.items() if k not in per_function)
    assert len(near["parent"]["Resources"]) <= estimate.resources
