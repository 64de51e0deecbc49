"""serverless.yml shapes, each with the exact function names the framework deploys.

One directory per shape under tests/fixtures/serverless/shapes (flat files and multi-file
trees); the table states the stage and region deployed and the names. Names follow the
framework's rules (lib/classes/service.js, lib/configuration/variables): checked against
its source, not against watchkeeper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.serverless_config import read_serverless_config

SHAPES = Path(__file__).parent / "fixtures" / "serverless" / "shapes"
ACCOUNT = "111111111111"


@dataclass(frozen=True)
class Shape:
    directory: str
    names: list[str]
    stage: str | None = None
    region: str = "eu-west-1"
    env: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    #: the stage the framework deploys (``--stage`` or the file's)
    deployed_stage: str | None = None
    notes: tuple[str, ...] = ()


TABLE = [
    Shape("flat-defaults", ["orders-prod-create", "orders-prod-list"], deployed_stage="prod"),
    # --stage wins over provider.stage's fallback, and is the stage of every default name
    Shape("stage-option", ["orders-staging-create"], stage="staging"),
    Shape("stage-option", ["orders-dev-create"], deployed_stage="dev"),
    Shape("file-whole-functions", ["catalog-prod-search", "catalog-indexer-prod"]),
    # service, stage and a whole section from one JSON file, with addresses
    Shape("file-address-json", ["rpt-export"], deployed_stage="qa"),
    # a variable inside the path: config/<stage>.yml
    Shape("file-stage-in-path", ["billing-live-charge", "billing-prod-refund"], stage="prod"),
    Shape("file-stage-in-path", ["billing-sandbox-charge", "billing-dev-refund"]),
    # an included file including others, paths from the service directory
    Shape("file-nested", ["users-prod-register", "users-prod-login"]),
    # functions: a list of ${file(...)} entries (YAML and tab-indented JSON) and inline ones
    Shape(
        "functions-list",
        [
            "inventory-prod-reserve",
            "inventory-prod-release",
            "inventory-receiving",
            "inventory-prod-audit",
        ],
    ),
    # one key in two list entries is merged (the later name wins); an empty entry skipped
    Shape("functions-list-merge", ["shipping-tracker", "shipping-prod-label"]),
    # ${file(a), file(b)}: the second file only when the first does not exist
    Shape("file-fallback", ["media-live-resize"], stage="prod"),
    Shape("file-fallback", ["media-shared-resize"], stage="qa"),
    # ${file(x):a.${sls:stage}, 'literal'}: the literal only when the address has no value
    Shape("file-address-fallback", ["alerts-notify-live"], stage="prod"),
    Shape("file-address-fallback", ["alerts-notify-default"], stage="test"),
    # service: {name: ...} (framework v1/v2), ${self:service} is the name
    Shape("service-object", ["legacy-prod-ping", "legacy-prod-background"]),
    # the stack's region wins over ${opt:region, 'eu-west-1'}, also through provider.region
    Shape("opt-region", ["geo-us-east-1-locate", "geo-us-east-1-route"], region="us-east-1"),
    Shape("aws-vars", [f"edge-ap-southeast-2-{ACCOUNT}-rewrite"], region="ap-southeast-2"),
    Shape(
        "env-vars",
        ["acme-jobs-qa-nightly", "acme-jobs-weekly"],
        env={"SERVICE_PREFIX": "acme", "DEPLOY_STAGE": "qa"},
    ),
    Shape(
        "env-vars",
        ["acme-jobs-dev-nightly", "nightly-weekly"],
        env={"SERVICE_PREFIX": "acme", "WEEKLY_NAME": "nightly"},
    ),
    # stages.<stage>.params over stages.default.params
    Shape("params-v4", ["payments-live-charge-v1"]),
    Shape("params-v4", ["payments-shared-charge-v1"], stage="dev"),
    # v3: params.<stage> / params.default
    Shape("params-v3", ["payouts-staging-sender"], stage="staging"),
    Shape("params-v3", ["payouts-default-sender"]),
    # params= (--param) over the file's params, and over a variable's fallback
    Shape("params-option", ["finance-core-ledger-post"]),
    Shape(
        "params-option",
        ["ops-platform-ledger-post"],
        params={"owner": "ops", "team": "platform"},
    ),
    # <<: merge keys, one mapping or a list; keys written in the mapping win
    Shape("merge-keys", ["crm-prod-contacts", "crm-prod-worker-shared", "crm-export"]),
    # a tab after a value or before a comment, as the framework's YAML parser accepts
    Shape("tabs", ["tabs-prod-first", "tabs-second-fn"]),
    # an empty body is not deployed by the framework; {} is
    Shape(
        "empty-body",
        ["drafts-prod-publish", "drafts-prod-minimal"],
        notes=("function 'unfinished' has an empty body",),
    ),
    Shape(
        "plugins-lift",
        ["mailer-prod-send"],
        notes=("plugins serverless-lift, serverless-python-requirements (Lift constructs",),
    ),
    Shape("self-nested-address", ["search-query-live"], stage="prod"),
    # YAML 1.2: `yes` is a string (PyYAML alone would read True), `on` a function key
    Shape("yaml12-scalars", ["flags-yes-on", "flags-2-toggle"], deployed_stage="yes"),
    # provider: aws (v1 string form): stage dev
    Shape("provider-string", ["oldstyle-dev-hello"], deployed_stage="dev"),
    # !Ref, !Sub and ${ssm:...} outside names are never read
    Shape("cloudformation-tags", ["stacky-prod-read"]),
    Shape(
        "service-file-tree",
        ["Fleet-Tracker-prod-vehicles", "Fleet-Tracker-prod-people", "Fleet-Tracker-prod-cleanup"],
        stage="prod",
        region="eu-central-1",
    ),
    Shape("long-service-name", ["Customer-Notification-Preferences-Service-V2-dev-get"]),
]


def test_the_table_holds_at_least_25_shapes_and_every_fixture():
    directories = {shape.directory for shape in TABLE}
    assert len(directories) >= 25
    assert directories == {path.name for path in SHAPES.iterdir() if path.is_dir()}


@pytest.mark.parametrize(
    "shape", TABLE, ids=[f"{s.directory}-{s.stage or 'file-stage'}" for s in TABLE]
)
def test_deployed_function_names(shape: Shape):
    config = read_serverless_config(
        SHAPES / shape.directory / "serverless.yml",
        stage=shape.stage,
        region=shape.region,
        account=ACCOUNT,
        env=shape.env,
        params=shape.params,
    )
    assert config.function_names == shape.names
    if shape.deployed_stage is not None:
        assert config.stage == shape.deployed_stage
    elif shape.stage is not None:
        assert config.stage == shape.stage
    for expected in shape.notes:
        assert any(expected in note for note in config.notes), config.notes
    if not shape.notes:
        assert config.notes == ()
