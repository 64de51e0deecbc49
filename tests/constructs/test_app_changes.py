"""The changes made to the app's resources, as the template metadata records them."""

from __future__ import annotations

from watchkeeper.constructs.app_changes import AppChangeLog
from watchkeeper.schema import TemplateMetadata

LOGGING = "LogGroup /aws/lambda/<name> -> /watchkeeper/shop/functions; LogFormat unset -> JSON"


def _log() -> AppChangeLog:
    log = AppChangeLog()
    for resource in ("Shop/Create", "Shop/Get", "Shop/Delete"):
        log.record("logging-config", resource, LOGGING)
    log.record("logging-config", "shop-noisy", "ApplicationLogLevel unset -> INFO")
    log.record("role-statement", "Shop/CreateRole", "logs:PutLogEvents on the group")
    return log


def test_resources_with_the_same_change_share_one_entry() -> None:
    assert _log().as_metadata() == [
        {"kind": "logging-config", "resources": ["Shop/Create", "Shop/Get", "Shop/Delete"],
         "detail": LOGGING},
        {"kind": "logging-config", "resource": "shop-noisy",
         "detail": "ApplicationLogLevel unset -> INFO"},
        {"kind": "role-statement", "resource": "Shop/CreateRole",
         "detail": "logs:PutLogEvents on the group"},
    ]


def test_reading_the_metadata_gives_one_change_per_resource_again() -> None:
    log = _log()
    assert TemplateMetadata.changes_of(log.as_metadata()) == [
        c.as_metadata() for c in log.changes]


def test_reading_skips_what_is_not_an_entry() -> None:
    assert TemplateMetadata.changes_of(None) == []
    assert TemplateMetadata.changes_of(["x", {"kind": "k", "resource": "r", "detail": "d"}]) == [
        {"kind": "k", "resource": "r", "detail": "d"}]
