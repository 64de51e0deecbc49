"""`make integ`, inside `make test`: the integration test apps still synthesize to their
committed snapshots, so a change to what they deploy fails until the snapshots are updated
(`make integ-update`) and, ideally, proven in an account (`make integ-deploy`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integ import snapshots
from watchkeeper.testing.cfn import lint_template

APPS = snapshots.integ_apps()


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    return snapshots.synthesize_all(tmp_path_factory.mktemp("integ"), APPS)


def test_every_issue_scenario_has_an_app() -> None:
    assert [app.name for app in APPS] == [
        "integ_adoption.py",
        "integ_deployed_elsewhere.py",
        "integ_health_loop.py",
        "integ_security_loop.py",
    ]


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.stem)
def test_app_matches_its_committed_snapshot(app: Path, synthesized: dict[Path, Path]) -> None:
    expected = snapshots.snapshot_of(snapshots.snapshot_dir(app))
    assert expected, f"no committed snapshot for {app.name}: run `make integ-update`"
    assert snapshots.differences(expected, snapshots.snapshot_of(synthesized[app])) == []


def test_a_changed_template_is_reported(tmp_path: Path, synthesized: dict[Path, Path]) -> None:
    app = APPS[0]
    snapshots.write_snapshot(synthesized[app], tmp_path)
    template = next(tmp_path.glob("WatchkeeperInteg*.template.json"))
    changed = json.loads(template.read_text())
    changed["Resources"]["Injected"] = {"Type": "AWS::SNS::Topic"}
    template.write_text(json.dumps(changed))
    assert snapshots.differences(
        snapshots.snapshot_of(tmp_path), snapshots.snapshot_of(synthesized[app])
    ) == [f"changed: {template.name}"]


def test_assertions_rerun_salt_is_not_compared(synthesized: dict[Path, Path]) -> None:
    # integ-tests stamps each assertion with the synth time so it runs on every deploy.
    compared = snapshots.snapshot_of(synthesized[APPS[-1]])
    assertions = [
        resource
        for content in compared.values() if isinstance(content, dict)
        for resource in content.get("Resources", {}).values()
        if str(resource.get("Type", "")).startswith("Custom::DeployAssert@")
    ]
    assert assertions and all("salt" not in r["Properties"] for r in assertions)


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.stem)
def test_app_templates_pass_cfn_lint(app: Path, synthesized: dict[Path, Path]) -> None:
    # W3037 only: integ-tests' assertion provider grants "lambda:Invoke" (its API name)
    # beside lambda:InvokeFunction; the library's policy, not ours, and harmless.
    findings = {
        name: [line for line in lint_template(content) if not line.startswith("W3037 ")]
        for name, content in snapshots.snapshot_of(synthesized[app]).items()
        if name.endswith(".template.json") and isinstance(content, dict)
    }
    assert {name: lines for name, lines in findings.items() if lines} == {}
