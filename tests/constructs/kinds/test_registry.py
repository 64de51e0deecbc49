"""kinds/registry.py: the registered kinds and the one list of every alarm check."""

from __future__ import annotations

import re
from pathlib import Path

from watchkeeper.constructs import alarms
from watchkeeper.constructs.alarms.service_checks import SECURITY_CHECKS, SERVICE_CHECKS
from watchkeeper.constructs.kinds.registry import KINDS, known_checks
from watchkeeper.schema.metadata import TemplateMetadata


def test_every_built_in_kind_holds_its_own_checks():
    for kind in KINDS:
        assert kind.checks, kind.name
        assert {check.kind for check in kind.checks} == {kind.name}


def test_the_service_wide_and_security_checks_are_of_their_own_kinds():
    assert {check.kind for check in SERVICE_CHECKS} == {"service"}
    assert {check.kind for check in SECURITY_CHECKS} == {"security"}


def test_known_checks_lists_each_check_once_in_documentation_order():
    checks = known_checks()
    assert all(key == check.key for key, check in checks.items())
    defined = [c for kind in KINDS for c in kind.checks] + [*SERVICE_CHECKS, *SECURITY_CHECKS]
    assert len(checks) == len(defined)
    kinds_in_order = list(dict.fromkeys(check.kind for check in checks.values()))
    # The service-wide checks follow the functions', every other kind follows in registry
    # order, and the security checks come last.
    assert kinds_in_order == ["function", "service",
                              *(kind.name for kind in KINDS[1:] if kind.checks), "security"]


def test_the_alarms_package_checks_are_the_same_list():
    assert alarms.CHECKS == tuple(known_checks().values())


def test_the_readme_table_of_discovered_kinds_lists_every_registered_kind():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme[readme.index("| kind | L2 | L1 without an L2 | imported |"):]
    rows = re.findall(r"^\| `([a-z_]+)` \|", section.split("\n\n", 1)[0], re.MULTILINE)
    assert rows == [kind.name for kind in KINDS]


def test_the_metadata_lists_kinds_in_registry_order():
    # schema.metadata is stdlib-only and cannot import the registry: this keeps the two equal.
    assert TemplateMetadata.MONITORED_KINDS == tuple(kind.collection for kind in KINDS)
