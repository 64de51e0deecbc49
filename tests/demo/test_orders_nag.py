"""cdk-nag (AwsSolutions and Serverless packs) on the demo orders service."""

from __future__ import annotations

import aws_cdk as cdk
import cdk_nag
import pytest

from watchkeeper.testing.nag import acknowledgements, nag_findings

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
    found = nag_findings(outdir)
    assert {f.plugin for f in found} <= {"AwsSolutions", "Serverless"}
    return app, [(f.rule, f.path) for f in found]


def test_no_finding_is_left_with_monitoring_on(nagged):
    """The logging findings (APIG1, SF1, APIGWAccessLogging) are resolved by watchkeeper."""
    _, findings = nagged
    assert findings == []


def test_every_acknowledgement_has_a_reason(nagged):
    app, _ = nagged
    acks = acknowledgements(app)
    assert len(acks) >= 5
    for path, rule, reason in acks:
        assert isinstance(reason, str) and len(reason.split()) >= 5, (path, rule, reason)


def test_acknowledgements_name_a_pack_and_a_rule(nagged):
    app, _ = nagged
    for path, rule, _reason in acknowledgements(app):
        pack, _, rule_id = rule.partition("::")
        assert pack in {"AwsSolutions", "Serverless"}, (path, rule)
        assert rule_id.startswith(f"{pack}-"), (path, rule)


def test_logging_findings_are_not_acknowledged(nagged):
    app, _ = nagged
    for path, rule, _reason in acknowledgements(app):
        rule_id = rule.partition("::")[2].split("[", 1)[0]
        assert rule_id not in LOGGING_RULES, (path, rule)
