"""What watchkeeper changed on the app's own resources, made visible before deploy.

Adding ``ServiceMonitoring`` to a running app changes some of the app's resources: where a
function logs, its log format, statements on its role, logging on API stages and state
machines. Each change is recorded once here, and shown in two places before anything is
deployed:

- a synth-time annotation per kind of change (``cdk synth`` prints it), naming every
  resource of that kind that was changed;
- the template's ``Watchkeeper`` metadata, which ``watchkeeper report`` prints in its
  "changed on the app's resources" section (and ``--json`` under ``changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from constructs import IConstruct

#: Every kind of change, with the words the annotation and the report use for it.
CHANGE_KINDS: Final[dict[str, str]] = {
    "logging-config": "Lambda logging configuration (destination, format or levels)",
    "role-statement": "statements added to the app's IAM roles",
    "key-statement": "statements added to the app's KMS key policies",
    "api-access-logs": "access logs switched on for API stages",
    "api-stage-settings": "API stage settings (execution logging)",
    "state-machine-logging": "state machine logging switched on",
    "graphql-api-logging": "GraphQL API logging switched on",
}


@dataclass(frozen=True)
class AppChange:
    """One change to one resource of the app."""

    #: one of :data:`CHANGE_KINDS`
    kind: str
    #: the app's resource, as a person reads it (function name, construct path)
    resource: str
    #: what was changed, old and new value where there was one
    detail: str

    def as_metadata(self) -> dict[str, str]:
        return {"kind": self.kind, "resource": self.resource, "detail": self.detail}


class AppChangeLog:
    """The changes made to the app's resources by one ``ServiceMonitoring``."""

    def __init__(self) -> None:
        self._changes: list[AppChange] = []

    @property
    def changes(self) -> tuple[AppChange, ...]:
        return tuple(self._changes)

    def record(self, kind: str, resource: str, detail: str) -> None:
        if kind not in CHANGE_KINDS:  # a programming error, never user input
            raise KeyError(f"unknown change kind {kind!r}")
        change = AppChange(kind, resource, detail)
        if change not in self._changes:
            self._changes.append(change)

    def annotate(self, scope: IConstruct) -> None:
        """One info annotation per kind of change on ``scope``, naming each resource."""
        for kind, words in CHANGE_KINDS.items():
            changes = [c for c in self._changes if c.kind == kind]
            if not changes:
                continue
            listed = "; ".join(f"{c.resource}: {c.detail}" for c in changes)
            cdk.Annotations.of(scope).add_info(
                f"watchkeeper changed {len(changes)} of the app's resources ({words}): "
                f"{listed}. `watchkeeper report` lists them under 'changed on the app's "
                "resources'."
            )

    def as_metadata(self) -> list[dict[str, Any]]:
        """One entry per change; resources that had the same change share one entry
        (``resources``): the logging configuration of fifty functions is one detail, not
        fifty copies of it (``TemplateMetadata.changes_of`` reads both forms)."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for change in self._changes:
            grouped.setdefault((change.kind, change.detail), []).append(change.resource)
        return [
            {"kind": kind, "resource": resources[0], "detail": detail}
            if len(resources) == 1 else
            {"kind": kind, "resources": resources, "detail": detail}
            for (kind, detail), resources in grouped.items()
        ]


__all__ = ["CHANGE_KINDS", "AppChange", "AppChangeLog"]
