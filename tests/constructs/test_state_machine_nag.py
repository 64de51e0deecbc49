"""State machine logging adds no cdk-nag finding to the app (issue 12, defect 11).

The log-delivery actions watchkeeper grants the state machine's role support no
resource-level permissions, so the statement is on Resource ``*``: cdk-nag's
AwsSolutions-IAM5 ``Resource::*``. watchkeeper acknowledges exactly that finding on the
policy it changed, and nothing when the app's policy had a ``*`` statement already.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from watchkeeper.constructs import resource_logging
from watchkeeper.constructs.service_monitoring import ServiceMonitoring
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import NagFinding, acknowledgements, nag_findings

ENV = cdk.Environment(account="111111111111", region="eu-west-1")
WILDCARD = "AwsSolutions-IAM5[Resource::*]"


def workflow(stack: cdk.Stack, **options: Any) -> sfn.StateMachine:
    """A state machine that passes AwsSolutions on its own: its logging and X-Ray choices
    are acknowledged by the app (what a team that adopted cdk-nag has)."""
    machine = sfn.StateMachine(
        stack,
        "Flow",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Go")),
        **options,
    )
    for rule, reason in (
        ("AwsSolutions-SF1", "Execution history in the Step Functions console is enough"),
        ("AwsSolutions-SF2", "Tracing of one Pass state would show nothing worth paying for"),
    ):
        cdk.Validations.of(machine).acknowledge(
            cdk.Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason)
        )
    return machine


@pytest.fixture(scope="module")
def nagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One app, AwsSolutions as a validation plugin; one stack per case."""
    outdir = tmp_path_factory.mktemp("state-machine-nag")
    app = cdk.App(outdir=str(outdir))
    stacks = {name: cdk.Stack(app, name, env=ENV) for name in (
        "Plain", "Monitored", "AppWildcard", "AppActionWildcard", "CustomRole")}
    monitors: dict[str, ServiceMonitoring] = {}
    workflow(stacks["Plain"])  # the app before the ServiceMonitoring line
    workflow(stacks["Monitored"])
    # the app's own '*' on the same role: a finding of the app's, reported as before
    workflow(stacks["AppWildcard"]).add_to_role_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"])
    )
    # a different IAM5 finding (an action wildcard) on the policy watchkeeper changes
    bucket = s3.Bucket.from_bucket_name(stacks["AppActionWildcard"], "Reports", "shop-reports")
    workflow(stacks["AppActionWildcard"]).add_to_role_policy(
        iam.PolicyStatement(actions=["s3:Get*"], resources=[bucket.arn_for_objects("daily/x")])
    )
    role = iam.Role(
        stacks["CustomRole"], "FlowRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com")
    )
    workflow(stacks["CustomRole"], role=role)
    for name, stack in stacks.items():
        if name != "Plain":
            monitors[name] = ServiceMonitoring(stack, "Monitoring", service_name=name.lower())
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # the app-wildcard stacks' findings fail the synth
        assert "ValidationFailed" in str(error)
    return {"app": app, "stacks": stacks, "monitors": monitors,
            "findings": nag_findings(outdir), "outdir": Path(outdir)}


def template_of(nagged: dict[str, Any], stack: str) -> Template:
    # from the assembly: Template.from_stack would synthesize (and validate) again
    return Template.from_json(json.loads((nagged["outdir"] / f"{stack}.template.json").read_text()))


def findings_in(nagged: dict[str, Any], stack: str) -> list[NagFinding]:
    return [f for f in nagged["findings"] if f.path.startswith(f"{stack}/")]


def test_the_app_passes_cdk_nag_without_watchkeeper(nagged):
    assert findings_in(nagged, "Plain") == []


@pytest.mark.parametrize("stack", ["Monitored", "CustomRole"])
def test_the_app_still_passes_with_state_machine_logging_switched_on(nagged, stack):
    assert findings_in(nagged, stack) == []
    template = template_of(nagged, stack)
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_the_acknowledgement_is_exactly_the_wildcard_finding_on_the_changed_policy(nagged):
    app_rules = {"AwsSolutions::AwsSolutions-SF1", "AwsSolutions::AwsSolutions-SF2"}
    acks = [a for a in acknowledgements(nagged["app"]) if a[1] not in app_rules]
    ours = [(path, rule) for path, rule, _ in acks if "/Monitoring/" not in path]
    # AppActionWildcard too: its other IAM5 finding is not hidden (a test below)
    assert sorted(ours) == [
        ("AppActionWildcard/Flow/Role/DefaultPolicy", f"AwsSolutions::{WILDCARD}"),
        ("CustomRole/FlowRole/DefaultPolicy", f"AwsSolutions::{WILDCARD}"),
        ("Monitored/Flow/Role/DefaultPolicy", f"AwsSolutions::{WILDCARD}"),
    ]
    for _, rule, reason in acks:
        if rule.endswith(WILDCARD):
            assert "no resource-level permissions" in reason


def test_an_apps_own_wildcard_on_the_role_is_still_reported(nagged):
    assert [(f.rule, f.path) for f in findings_in(nagged, "AppWildcard")] == [
        (WILDCARD, "AppWildcard/Flow/Role/DefaultPolicy/Resource")
    ]
    # the finding was the app's before: watchkeeper acknowledged nothing there
    assert not [a for a in acknowledgements(nagged["stacks"]["AppWildcard"])
                if a[1].endswith(WILDCARD)]


def test_a_different_iam5_finding_on_the_same_policy_is_still_reported(nagged):
    assert [(f.rule, f.path) for f in findings_in(nagged, "AppActionWildcard")] == [
        ("AwsSolutions-IAM5[Action::s3:Get*]", "AppActionWildcard/Flow/Role/DefaultPolicy/Resource")
    ]


def test_the_role_statement_is_returned_as_a_change(nagged):
    changes = nagged["monitors"]["Monitored"].resource_changes
    actions = ", ".join(resource_logging.STATE_MACHINE_LOG_DELIVERY_ACTIONS)
    assert changes == [
        ("state-machine-logging", "Monitored/Flow",
         "level ALL, execution data excluded, to /aws/vendedlogs/states/monitored-flow"),
        ("role-statement", "Monitored/Flow/Role",
         f"{actions} on * added to Monitored/Flow/Role/DefaultPolicy "
         f"(cdk-nag {WILDCARD} acknowledged)"),
    ]
    (_, role_change) = nagged["monitors"]["AppWildcard"].resource_changes
    assert role_change == ("role-statement", "AppWildcard/Flow/Role",
                           f"{actions} on * added to AppWildcard/Flow/Role/DefaultPolicy")


def test_templates_pass_cfn_lint(nagged):
    for stack in ("Monitored", "CustomRole"):
        assert lint_template(template_of(nagged, stack).to_json()) == [], stack
