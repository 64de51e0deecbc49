"""cdk-nag and cfn-lint on the monitored app: watchkeeper's resources raise no finding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cdk_nag
import pytest
from _shipping_app import monitored_app

from watchkeeper.testing.nag import acknowledgements

# The console script installed beside this interpreter (cfnlint has no __main__).
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))

LOGGING_RULES = {
    "AwsSolutions-APIG1",
    "AwsSolutions-SF1",
    "Serverless-APIGWAccessLogging",
    "Serverless-APIGWStructuredLogging",
}


@pytest.fixture(scope="module")
def findings() -> list[tuple[str, str]]:
    """Every finding of both packs, minus those acknowledged on watchkeeper's log group
    ensurer (validate_scope reports acknowledged findings too; CDK's validation drops them)."""
    app = monitored_app().app
    acknowledged = {
        (path, rule.split("::", 1)[1])
        for path, rule, _ in acknowledgements(app)
        if path.endswith("/Monitoring/LogGroupEnsurer")
        # the one acknowledgement of a watchkeeper resource, documented in README "Alarms"
        or path.endswith("/ControlPlaneTampering/ControlPlaneChanges")
    }
    out = []
    for pack in (cdk_nag.AwsSolutionsChecks(), cdk_nag.ServerlessChecks()):
        report = pack.validate_scope(app)
        for violation in report.violations:
            for resource in violation.violating_resources:
                path = resource.construct_path
                if any((path == scope or path.startswith(scope + "/"))
                       and violation.rule_name == rule
                       for scope, rule in acknowledged):
                    continue
                out.append((violation.rule_name, path))
    return out


def test_nag_runs_and_finds_the_apps_own_issues(findings):
    # The sample service is deliberately bare (no authoriser, no X-Ray): the packs ran.
    assert any(rule == "AwsSolutions-APIG4" for rule, _ in findings)


def test_no_finding_on_watchkeeper_resources(findings):
    ours = [
        (rule, path)
        for rule, path in findings
        if "/Monitoring/" in path or path.startswith("LogArchive/")
    ]
    assert ours == []


def test_logging_rules_pass_on_monitored_apis_and_state_machines(findings):
    assert [(rule, path) for rule, path in findings if rule in LOGGING_RULES] == []


def test_execution_logging_rule_passes_where_it_was_switched_on(findings):
    apig6 = sorted(path for rule, path in findings if rule == "AwsSolutions-APIG6")
    # Orders got ERROR execution logging; Payments opted out (rest_api_execution_logging=None).
    assert apig6 == ["Payments/RestApi/DeploymentStage.prod/Resource"]


def test_cfn_lint_reports_nothing(tmp_path: Path):
    built = monitored_app()
    paths = []
    for name, template in (
        ("orders", built.template),
        ("archive", built.archive_template),
        ("payments", built.policy_template),
    ):
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps(template.to_json()))
        paths.append(str(path))
    result = subprocess.run(
        [CFN_LINT, "--ignore-checks", "W3005", "--", *paths],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
