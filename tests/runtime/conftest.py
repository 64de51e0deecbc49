from __future__ import annotations

import io
import itertools
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from watchkeeper.runtime import clear_lambda_context, get_logger
from watchkeeper.runtime.context import FUNCTION_NAME_ENV, TRACE_ID_ENV
from watchkeeper.runtime.logger import LEVEL_ENV_VARS, SERVICE_ENV_VARS

_names = itertools.count()


class Captured:
    """A watchkeeper logger writing to memory, and the JSON objects it wrote."""

    def __init__(self, logger: logging.Logger, stream: io.StringIO) -> None:
        self.logger = logger
        self.stream = stream

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    @property
    def one(self) -> dict[str, Any]:
        records = self.records
        assert len(records) == 1, self.lines
        return records[0]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in (*SERVICE_ENV_VARS, *LEVEL_ENV_VARS, FUNCTION_NAME_ENV, TRACE_ID_ENV):
        monkeypatch.delenv(variable, raising=False)
    clear_lambda_context()
    yield
    clear_lambda_context()


@pytest.fixture
def service_name() -> str:
    # A fresh logger per test: loggers are process-wide singletons.
    return f"svc-{next(_names)}"


@pytest.fixture
def captured(service_name: str) -> Captured:
    stream = io.StringIO()
    return Captured(get_logger(service_name, level="DEBUG", stream=stream), stream)


class FakeLambdaContext:
    aws_request_id = "8f507cfc-xmpl-4697-b07a-ac58fc914c95"
    function_name = "orders-prod-create"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
