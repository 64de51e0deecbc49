"""pytest plugin (registered through the ``pytest11`` entry point): ``cdk_snapshot``.

Usage in a user's test::

    def test_monitoring_snapshot(cdk_snapshot):
        app = cdk.App()
        stack = MyStack(app, "MyStack")
        cdk_snapshot(stack)   # asserts the normalised template equals the stored snapshot

Update snapshots with ``pytest --snapshot-update`` (syrupy). This module imports neither
aws-cdk-lib nor syrupy at import time, so it costs nothing in test runs that don't use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.testing.snapshot import normalize_template


def _template_of(stack_or_template: Any) -> Any:
    if isinstance(stack_or_template, dict):
        return stack_or_template
    from aws_cdk import assertions

    if isinstance(stack_or_template, assertions.Template):
        return stack_or_template.to_json()
    return assertions.Template.from_stack(stack_or_template).to_json()


@pytest.fixture
def cdk_snapshot(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """Assert a stack's (or template dict's) normalised template against a syrupy snapshot."""
    snapshot = request.getfixturevalue("snapshot")  # provided by syrupy

    def check(stack_or_template: Any) -> None:
        assert normalize_template(_template_of(stack_or_template)) == snapshot

    return check
