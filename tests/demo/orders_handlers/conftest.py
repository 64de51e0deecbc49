"""Fixtures for the orders handler tests (helpers and environment: ``handler_support``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from handler_support import LogCapture


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> LogCapture:
    capsys.readouterr()  # drop anything written before the test
    return LogCapture(capsys)


@pytest.fixture
def stub() -> Iterator[Any]:
    """``stub(client)`` activates a Stubber on a handler's client; all responses must be used."""
    stubbers: list[Stubber] = []

    def activate(client: Any) -> Stubber:
        stubber = Stubber(client)
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    yield activate
    for stubber in stubbers:
        stubber.deactivate()
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
