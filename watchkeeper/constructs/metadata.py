"""Template metadata that ``watchkeeper report`` reads to say what a service monitors and
what watchkeeper created and changed (``Metadata.Watchkeeper.services``)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.kinds import registry
from watchkeeper.constructs.kinds.base import Finding
from watchkeeper.constructs.model import ServiceModel
from watchkeeper.constructs.security_detections import METADATA_KEY as DETECTIONS_METADATA_KEY


@jsii.implements(cdk.IStableListProducer)
class _CreatedResources:
    """The logical ids of what a ServiceMonitoring created in its stack, at synth.

    Every CloudFormation resource under it in its own stack, which includes the resource of
    each nested stack it created (everything in those templates is watchkeeper's too); in
    a MonitoringStack, every resource of the stack, since the stack is watchkeeper's
    (``whole_stack``: said by the stack, never guessed from an app's attribute names).
    """

    def __init__(self, monitoring: Construct, whole_stack: bool) -> None:
        self._monitoring = monitoring
        self._whole_stack = whole_stack

    def produce(self) -> list[str] | None:
        stack = cdk.Stack.of(self._monitoring)
        root = stack if self._whole_stack else self._monitoring
        nodes = root.node.find_all()
        resources = [node for node in nodes if isinstance(node, cdk.CfnResource)]
        if any(isinstance(node, cdk.Stack) for node in nodes):
            # Resources inside a nested stack are in its template, not this one: only then
            # is each resource's stack asked for (a round trip to Node per resource).
            resources = [node for node in resources if cdk.Stack.of(node) is stack]
        return [node.logical_id for node in resources]


def finding_entry(finding: Finding) -> dict[str, Any]:
    """One finding as the template metadata records it (read by ``watchkeeper check``)."""
    entry: dict[str, Any] = {"check": finding.check, "resource": finding.label,
                             "path": finding.path}
    if finding.cfn is not None:
        entry["path"] = finding.cfn.node.path
        entry["logical_id"] = cdk.Stack.of(finding.cfn).resolve(finding.cfn.logical_id)
    entry["acknowledged"] = finding.acknowledged()
    return entry


def record_metadata(owner: Construct, model: ServiceModel, changes: Any,
                    detections: Any = None, *, whole_stack: bool = False) -> None:
    """Add this service's entry to its stack's ``Watchkeeper`` metadata.

    :param changes: the changes made to the app's resources, as ``AppChangeLog``
        writes them for the metadata.
    :param detections: the security detections' rules (``SecurityDetections.as_metadata``).
    :param whole_stack: every resource of the stack is watchkeeper's (``MonitoringStack``).
    """
    stack = cdk.Stack.of(owner)
    findings = [finding_entry(f) for f in model.findings()]
    meta = schema.TemplateMetadata
    existing = stack.template_options.metadata or {}
    block = dict(existing.get(meta.KEY) or {meta.SERVICES: []})
    services = list(block.get(meta.SERVICES, []))
    entry: dict[str, Any] = {meta.SERVICE: model.service_name}
    if model.stage:
        entry[meta.STAGE] = model.stage
    services.append(
        {
            **entry,
            meta.MONITORED: {
                kind.collection: [getattr(t, kind.identifier) for t in model.of(kind.name)]
                for kind in registry.KINDS
            },
            meta.CHANGES: changes,
            **({DETECTIONS_METADATA_KEY: detections} if detections is not None else {}),
            **({meta.FINDINGS: findings} if findings else {}),
            # Lazy: resources added after this point (and final logical ids) count too.
            meta.CREATED: cdk.Lazy.list(
                _CreatedResources(owner, whole_stack), omit_empty=False
            ),
        }
    )
    block[meta.SERVICES] = services
    stack.add_metadata(meta.KEY, block)
