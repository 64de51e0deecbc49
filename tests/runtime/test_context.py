from __future__ import annotations

import threading
from types import SimpleNamespace

from watchkeeper.runtime import (
    bind_lambda_context,
    clear_lambda_context,
    current_context,
    inject_context,
)
from watchkeeper.runtime.context import current_trace_id
from watchkeeper.schema import Field


def test_bind_takes_request_id_and_function_name(lambda_context):
    bound = bind_lambda_context(lambda_context)
    assert bound.request_id == lambda_context.aws_request_id
    assert current_context().function_name == lambda_context.function_name


def test_bind_tolerates_a_context_without_attributes():
    bound = bind_lambda_context(object())
    assert (bound.request_id, bound.function_name) == (None, None)


def test_clear_forgets_the_invocation(lambda_context):
    bind_lambda_context(lambda_context)
    clear_lambda_context()
    assert current_context().request_id is None


def test_inject_context_binds_during_the_call_and_clears_after(captured, lambda_context):
    @inject_context
    def handler(event, context):
        captured.logger.info("inside")
        return event["x"]

    assert handler({"x": 5}, lambda_context) == 5
    assert captured.one[Field.REQUEST_ID] == lambda_context.aws_request_id
    assert handler.__name__ == "handler"
    assert current_context().request_id is None


def test_inject_context_clears_when_the_handler_raises(lambda_context):
    @inject_context
    def handler(event, context):
        raise RuntimeError("boom")

    try:
        handler({}, lambda_context)
    except RuntimeError:
        pass
    assert current_context().request_id is None


def test_each_invocation_has_its_own_request_id(captured):
    @inject_context
    def handler(event, context):
        captured.logger.info("x")

    for request_id in ("req-a", "req-b"):
        handler({}, SimpleNamespace(aws_request_id=request_id, function_name="f"))
    assert [r[Field.REQUEST_ID] for r in captured.records] == ["req-a", "req-b"]


def test_worker_threads_see_the_bound_invocation(captured, lambda_context):
    bind_lambda_context(lambda_context)
    worker = threading.Thread(target=lambda: captured.logger.info("from a thread"))
    worker.start()
    worker.join()
    assert captured.one[Field.REQUEST_ID] == lambda_context.aws_request_id


def test_trace_id_is_the_root_of_the_trace_header(monkeypatch):
    assert current_trace_id() is None
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert current_trace_id() == "1-5759e988-bd862e3fe1be46a994272793"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Parent=1;Sampled=0")
    assert current_trace_id() is None
