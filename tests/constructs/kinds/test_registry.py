"""kinds/registry.py: the registered kinds and the one list of every alarm check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_a_check_with_a_field_out_of_place_fails_when_it_is_defined():
    # Positional table rows once put a category where the unit goes, and the saved query
    # where the category goes: alarms then named no runbook query.
    from watchkeeper.constructs.alarms.settings import GT, Check

    with pytest.raises(ValueError, match=r"^check stream\.put_failures: "
                                         r"query='records per minute', "
                                         r"category='recent-errors'|"
                                         r"category='recent-errors', query="):
        Check("stream", "put_failures", "rejected", "PutRecords.FailedRecords", "Sum", 0, GT,
              60, 5, 5, "notBreaching", "warning", "operational", "records per minute",
              "recent-errors")


def test_every_registered_check_names_a_saved_query_and_a_unit():
    from watchkeeper import schema

    queries = {v for k, v in vars(schema.QueryName).items() if k.isupper()}
    for check in known_checks().values():
        assert check.query in queries, check.key
        assert check.unit not in ("operational", "security"), check.key
