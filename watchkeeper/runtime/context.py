"""The invocation context a log record is stamped with: request id, function name, trace id.

Lambda runs one invocation at a time per execution environment, but function code may log
from worker threads, which do not inherit a ``ContextVar`` set on the main thread. The
binding is therefore kept in a ``ContextVar`` (exact under asyncio and for threads that copy
the context) with a process-wide fallback holding the last bound invocation.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, TypeVar

#: Environment variable the Lambda runtime sets to the function's name.
FUNCTION_NAME_ENV: Final = "AWS_LAMBDA_FUNCTION_NAME"
#: Environment variable the Lambda runtime sets, per invocation, to the X-Ray trace header.
TRACE_ID_ENV: Final = "_X_AMZN_TRACE_ID"


@dataclass(frozen=True)
class InvocationContext:
    """What a log record takes from the current invocation."""

    request_id: str | None
    function_name: str | None


_EMPTY: Final = InvocationContext(None, None)
_current: ContextVar[InvocationContext | None] = ContextVar("watchkeeper_invocation", default=None)
_last_bound: InvocationContext = _EMPTY


def bind_lambda_context(context: Any) -> InvocationContext:
    """Stamp every following record with the invocation's request id and function name.

    ``context`` is the Lambda context object passed to the handler (anything with
    ``aws_request_id`` and ``function_name`` attributes; missing attributes are left
    out). Call it first thing in the handler, or use :func:`inject_context`.
    """
    global _last_bound
    bound = InvocationContext(
        request_id=_str_or_none(getattr(context, "aws_request_id", None)),
        function_name=_str_or_none(getattr(context, "function_name", None)),
    )
    _current.set(bound)
    _last_bound = bound
    return bound


def clear_lambda_context() -> None:
    """Forget the bound invocation (records carry no request id until the next bind)."""
    global _last_bound
    _current.set(None)
    _last_bound = _EMPTY


F = TypeVar("F", bound=Callable[..., Any])


def inject_context(handler: F) -> F:
    """Decorator for a Lambda handler ``(event, context)`` that binds ``context`` per call.

    The binding is cleared when the handler returns or raises, so a record written between
    invocations (e.g. by a background thread) is not attributed to a finished request.
    """

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        bind_lambda_context(context)
        try:
            return handler(event, context, *args, **kwargs)
        finally:
            clear_lambda_context()

    return wrapper  # type: ignore[return-value]


def current_context() -> InvocationContext:
    """The bound invocation, with the function name taken from the environment if unbound."""
    bound = _current.get() or _last_bound
    if bound.function_name is None:
        env_name = os.environ.get(FUNCTION_NAME_ENV)
        if env_name:
            return InvocationContext(bound.request_id, env_name)
    return bound


_trace_cache: tuple[str, str | None] = ("", None)


def current_trace_id() -> str | None:
    """The X-Ray trace id (``1-5759e988-bd862e3fe1be46a994272793``) of this invocation.

    The runtime rewrites ``_X_AMZN_TRACE_ID`` for every invocation
    (``Root=1-...;Parent=...;Sampled=1``), so it is read per record; parsing is cached.
    """
    global _trace_cache
    header = os.environ.get(TRACE_ID_ENV)
    if not header:
        return None
    cached_header, cached_id = _trace_cache
    if header == cached_header:
        return cached_id
    trace_id: str | None = None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root" and value:
            trace_id = value
            break
    _trace_cache = (header, trace_id)
    return trace_id


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
