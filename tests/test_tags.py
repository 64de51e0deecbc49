"""``Tags.of(app)`` reaches every taggable resource watchkeeper creates.

Alarms, dashboards and queries are created by a synth-time aspect; tags are an aspect too.
aws-cdk-lib below 2.172 does not revisit constructs that an aspect adds, so there the tag
aspect misses them: this module is also run at the floor of aws-cdk-lib (``make
test-floor``), which is how the floor in pyproject.toml was chosen.

What is checked: every resource a service records as ``created`` (``Metadata.Watchkeeper``,
the list ``watchkeeper report`` counts) and everything in the nested stacks it created, whose
CloudFormation type has a ``Tags`` property in cfn-lint's resource schemas and whose L1 class
in the installed aws-cdk-lib can carry tags (older releases cannot tag some types that
CloudFormation has learned to tag since, such as dashboards: nothing watchkeeper can change).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.constructs.alarms.reference_app import build_service_stack
from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.cli.assembly import NESTED_STACK_TYPE, Template, load_assembly
from watchkeeper.schema import TemplateMetadata
from watchkeeper.stacks import MonitoringStack

REPO_ROOT = Path(__file__).resolve().parents[1]
TAG_KEY, TAG_VALUE = "watchkeeper-tag-probe", "reaches-everything"
ENV = cdk.Environment(account="111111111111", region="eu-west-1")


@dataclass(frozen=True)
class TaggedApp:
    outdir: Path
    #: CloudFormation types whose L1 class in this aws-cdk-lib can carry tags
    cdk_taggable_types: frozenset[str]


@pytest.fixture(scope="module")
def tagged_app(tmp_path_factory: pytest.TempPathFactory) -> TaggedApp:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    outdir = tmp_path_factory.mktemp("tagged-app")
    app = cdk.App(outdir=str(outdir), context=context)
    cdk.Tags.of(app).add(TAG_KEY, TAG_VALUE)
    # every kind of resource watchkeeper monitors (library only: this also runs at the floor)
    service = build_service_stack(app)
    ServiceMonitoring(
        service, "Monitoring", service_name="orders",
        alarms=AlarmOptions(emails=["ops@example.com"]),
    )
    MonitoringStack(
        app,
        "BillingMonitoring",
        service_name="billing",
        function_names=["billing-prod-charge", "billing-prod-refund"],
        alarms=AlarmOptions(emails=["ops@example.com"]),
        env=ENV,
    )
    app.synth()
    cdk_taggable = {
        node.cfn_resource_type
        for node in app.node.find_all()
        if isinstance(node, cdk.CfnResource)
        and (cdk.TagManager.is_taggable(node) or cdk.TagManager.is_taggable_v2(node))
    }
    return TaggedApp(outdir, frozenset(cdk_taggable))


def is_taggable(resource_type: str) -> bool:
    """The type has a ``Tags`` property (cfn-lint's copy of the CloudFormation schemas)."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("eu-west-1", resource_type)
    return "Tags" in schema.schema.get("properties", {})


def created_resources(template: Template, everything: bool = False) -> Iterator[tuple[str, Any]]:
    """(where, resource) for what watchkeeper created in ``template`` and its nested stacks."""
    metadata = template.body.get("Metadata", {}).get(TemplateMetadata.KEY, {})
    created = {
        logical_id
        for service in metadata.get(TemplateMetadata.SERVICES, [])
        for logical_id in service.get(TemplateMetadata.CREATED, [])
    }
    nested = {child.logical_id: child for child in template.nested}
    for logical_id, resource in template.resources.items():
        if not (everything or logical_id in created):
            continue
        if resource["Type"] == NESTED_STACK_TYPE and logical_id in nested:
            yield from created_resources(nested[logical_id], everything=True)
        yield f"{template.display_name}/{logical_id}", resource


def tags_of(resource: dict[str, Any]) -> dict[str, Any]:
    tags = resource.get("Properties", {}).get("Tags", [])
    if isinstance(tags, dict):  # a few types (SSM parameters...) take a map
        return tags
    return {tag["Key"]: tag["Value"] for tag in tags}


@pytest.fixture(scope="module")
def taggable(tagged_app: TaggedApp) -> dict[str, dict[str, Any]]:
    found = {}
    for template in load_assembly(tagged_app.outdir).templates:
        for where, resource in created_resources(template):
            resource_type = resource["Type"]
            if is_taggable(resource_type) and resource_type in tagged_app.cdk_taggable_types:
                found[where] = resource
    return found


def test_the_check_covers_what_watchkeeper_creates(taggable: dict[str, dict[str, Any]]) -> None:
    types = {resource["Type"] for resource in taggable.values()}
    assert {
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::CompositeAlarm",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
    } <= types
    # CloudFormation cannot tag these: they are not checked
    assert not is_taggable("AWS::Logs::MetricFilter")
    assert not is_taggable("AWS::Logs::QueryDefinition")


def test_tags_of_the_app_reach_every_taggable_resource(
    taggable: dict[str, dict[str, Any]],
) -> None:
    untagged = sorted(
        f"{where} ({resource['Type']})"
        for where, resource in taggable.items()
        if tags_of(resource).get(TAG_KEY) != TAG_VALUE
    )
    assert untagged == []
