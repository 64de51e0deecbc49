"""The reference app (app.py): cdk-nag, cfn-lint and snapshots of every stack.

The app is synthesized once for the module, with the CDK CLI's context (cdk.json feature
flags) and cdk-nag's AwsSolutions and Serverless packs as validation plugins, as
`make demo` runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import acknowledgements, nag_findings
from watchkeeper.testing.snapshot import normalize_template

ROOT = Path(__file__).resolve().parent.parent


#: What watchkeeper acknowledges on its log group ensurer (a function only CloudFormation
#: calls, at deploy), besides the /aws/lambda/* log-group wildcard.
ENSURER_RULES = frozenset(
    {"Serverless::Serverless-LambdaDLQ", "Serverless::Serverless-LambdaTracing"}
)


@pytest.fixture(scope="module")
def reference_app(tmp_path_factory):
    import app as reference  # the repository's app.py

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    outdir = tmp_path_factory.mktemp("reference-app")
    app = reference.build_app(cdk.App(outdir=str(outdir), context=context))
    try:
        assembly = app.synth()
    except RuntimeError as error:  # a nag finding fails the synth: show the report
        report = Path(outdir, "validation-report.json")
        detail = report.read_text() if report.exists() else ""
        pytest.fail(f"reference app does not synthesize cleanly: {error}\n{detail[:4000]}")
    return app, assembly, outdir


def _templates(outdir: Path) -> dict[str, dict]:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted(outdir.glob("*.template.json"))
    }


def test_no_cdk_nag_finding_is_left(reference_app):
    _, _, outdir = reference_app
    assert nag_findings(outdir) == []


#: The acknowledgements watchkeeper itself makes, each documented with its reason.
WATCHKEEPER_ACKNOWLEDGEMENTS = {
    ("ControlPlaneChanges", "Serverless::Serverless-EventBusDLQ"),
}


def test_acknowledgements_have_reasons_and_none_is_on_watchkeepers_resources(reference_app):
    app, _, _ = reference_app
    acks = acknowledgements(app)
    assert acks, "the demo acknowledges its deliberate choices"
    for path, rule, reason in acks:
        assert len(str(reason).split()) >= 5, (path, rule)
        parts = path.split("/")
        if parts[-1] == "LogGroupEnsurer":
            # watchkeeper's deploy-time helper: only what is inherent to it
            assert rule in ENSURER_RULES or rule.startswith(
                "AwsSolutions::AwsSolutions-IAM5[Resource::arn:"
            ) and rule.endswith(":log-group:/aws/lambda/*]"), (path, rule)
            continue
        if (parts[-1], rule) in WATCHKEEPER_ACKNOWLEDGEMENTS:
            continue  # documented in README "Alarms" and docs/alarms.md
        assert "Monitoring" not in parts, f"acknowledgement on watchkeeper's own {path}: {rule}"
        assert not parts[0].endswith("Monitoring"), f"acknowledgement in {path}: {rule}"


def test_every_template_passes_cfn_lint(reference_app):
    _, _, outdir = reference_app
    templates = _templates(outdir)
    assert len(templates) >= 2
    for name, template in templates.items():
        assert lint_template(template) == [], name


def test_every_template_within_cloudformation_limits(reference_app):
    _, _, outdir = reference_app
    for path in outdir.glob("*.template.json"):
        template = json.loads(path.read_text())
        assert len(template.get("Resources", {})) <= 500, path.name
        assert path.stat().st_size <= 1_000_000, path.name


def test_reference_stacks_match_their_snapshots(reference_app, snapshot):
    _, _, outdir = reference_app
    for name, template in _templates(outdir).items():
        assert normalize_template(template) == snapshot(name=name)


def test_every_metric_filter_without_dimensions_publishes_zero_when_nothing_matches(
    reference_app,
):
    # AWS recommends a default value for metric filters without dimensions (and refuses one
    # with dimensions): a sparse metric then has zeros between events instead of gaps.
    _, _, outdir = reference_app
    checked = 0
    for name, template in _templates(outdir).items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] != "AWS::Logs::MetricFilter":
                continue
            for transformation in resource["Properties"]["MetricTransformations"]:
                checked += 1
                where = f"{name}:{logical_id}"
                if transformation.get("Dimensions"):
                    assert "DefaultValue" not in transformation, where
                else:
                    assert transformation.get("DefaultValue") == 0, where
    # the service group's 10, the API access log's 1, and the compact sets of billing
    assert checked >= 11 + 3 * 5


def test_report_prices_data_protection_on_the_log_groups_that_carry_a_policy(reference_app):
    from watchkeeper.cli.report import load_assembly, report_json, report_text

    _, _, outdir = reference_app
    protected = [
        resource["Properties"]["LogGroupName"]
        for template in _templates(outdir).values()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Logs::LogGroup"
        and "DataProtectionPolicy" in resource["Properties"]
    ]
    # data protection is on by default: every log group watchkeeper creates carries it
    assert sorted(protected) == [
        "/aws/vendedlogs/states/orders-fulfilment",
        "/watchkeeper/orders/api-access",
        "/watchkeeper/orders/functions",
    ]
    report = load_assembly(outdir)
    document = report_json(report)
    assert sorted(document["data_protection"]["log_group_names"]) == sorted(protected)
    assert document["data_protection"]["usd_per_gb_scanned"] == 0.12
    assert (
        "Logs data protection: $0.12 per GB scanned (every GB ingested into the 3 log groups "
        "with a data protection policy)"
    ) in report_text(report)
