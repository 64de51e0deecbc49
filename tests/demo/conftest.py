"""Shared fixtures for the stack tests: each app is synthesized once per session."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from demo.orders_service import OrdersServiceStack  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_ENV = cdk.Environment(account="111111111111", region="eu-west-1")


def cdk_json_context() -> dict:
    """The feature flags of the reference app (cdk.json), so tests synthesize what it deploys."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class SynthesizedOrders:
    app: cdk.App
    stack: OrdersServiceStack
    template: Template


def _orders_app(outdir: Path) -> tuple[cdk.App, OrdersServiceStack]:
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    return app, OrdersServiceStack(app, "Orders", env=TEST_ENV)


@pytest.fixture(scope="session")
def make_orders_app() -> Callable[[Path], tuple[cdk.App, OrdersServiceStack]]:
    """Builds (does not synthesize) the reference app with the orders stack in ``outdir``."""
    return _orders_app


@pytest.fixture(scope="session")
def orders(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedOrders:
    app, stack = _orders_app(tmp_path_factory.mktemp("orders"))
    return SynthesizedOrders(app, stack, Template.from_stack(stack))
