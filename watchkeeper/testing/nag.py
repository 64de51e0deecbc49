"""Read cdk-nag's results in tests: findings from the validation report, acknowledgements
from the construct tree. cdk-nag 3.x runs as a CDK validation plugin, which writes
``validation-report.json`` into the cloud assembly only when a plugin reported something.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from constructs import IConstruct

REPORT_FILE = "validation-report.json"


class NagFinding(NamedTuple):
    plugin: str
    rule: str
    path: str


def nag_findings(outdir: str | Path) -> list[NagFinding]:
    """Every (plugin, rule, construct path) of the assembly's validation report; none when
    the synth wrote no report."""
    report_file = Path(outdir, REPORT_FILE)
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    return [
        NagFinding(plugin["pluginName"], violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def acknowledgements(scope: IConstruct) -> list[tuple[str, str, str]]:
    """Every acknowledgement under ``scope``, as (construct path, rule id, reason)."""
    import aws_cdk as cdk

    found: list[tuple[str, str, str]] = []
    todo: list[IConstruct] = [scope]
    while todo:
        node = todo.pop()
        for entry in node.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found.extend((node.node.path, rule, reason) for rule, reason in entry.data.items())
        todo.extend(node.node.children)
    return found
