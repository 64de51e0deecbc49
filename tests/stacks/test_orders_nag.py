"""cdk-nag (AwsSolutions and Serverless packs) on the demo orders service."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
import pytest
from constructs import IConstruct

#: Rules the demo must leave to watchkeeper rather than acknowledge.
LOGGING_RULES = frozenset(
    {
        "AwsSolutions-APIG1",
        "AwsSolutions-SF1",
        "Serverless-APIGWAccessLogging",
        "Serverless-APIGWStructuredLogging",
        "Serverless-CloudWatchLogGroupRetentionPeriod",
    }
)


@pytest.fixture(scope="module")
def nagged(
    tmp_path_factory: pytest.TempPathFactory, make_orders_app
) -> tuple[cdk.App, list[tuple[str, str]]]:
    """The stack synthesized with both packs; the findings they report, as (rule, path)."""
    outdir = tmp_path_factory.mktemp("orders-nag")
    app, _ = make_orders_app(outdir)
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(app), cdk_nag.ServerlessChecks(app)
    )
    try:
        app.synth()
    except RuntimeError as error:  # findings fail the synth; the report lists them
        assert "ValidationFailed" in str(error)
    report_file = Path(outdir, "validation-report.json")
    if not report_file.exists():
        return app, []
    report = json.loads(report_file.read_text())
    plugins = {p["pluginName"] for p in report["pluginReports"]}
    assert plugins <= {"AwsSolutions", "Serverless"}
    findings = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    return app, findings


def _acknowledgements(app: cdk.App) -> list[tuple[str, str, str]]:
    """Every acknowledgement in the app, as (construct path, rule id, reason)."""
    found = []
    stack: list[IConstruct] = [app]
    while stack:
        node = stack.pop()
        for entry in node.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found.extend((node.node.path, rule, reason) for rule, reason in entry.data.items())
        stack.extend(node.node.children)
    return found


def test_no_finding_is_left_with_monitoring_on(nagged):
    """The logging findings (APIG1, SF1, APIGWAccessLogging) are resolved by watchkeeper."""
    _, findings = nagged
    assert findings == []


def test_every_acknowledgement_has_a_reason(nagged):
    app, _ = nagged
    acknowledgements = _acknowledgements(app)
    assert len(acknowledgements) >= 5
    for path, rule, reason in acknowledgements:
        assert isinstance(reason, str) and len(reason.split()) >= 5, (path, rule, reason)


def test_acknowledgements_name_a_pack_and_a_rule(nagged):
    app, _ = nagged
    for path, rule, _reason in _acknowledgements(app):
        pack, _, rule_id = rule.partition("::")
        assert pack in {"AwsSolutions", "Serverless"}, (path, rule)
        assert rule_id.startswith(f"{pack}-"), (path, rule)


def test_logging_findings_are_not_acknowledged(nagged):
    app, _ = nagged
    for path, rule, _reason in _acknowledgements(app):
        rule_id = rule.partition("::")[2].split("[", 1)[0]
        assert rule_id not in LOGGING_RULES, (path, rule)
