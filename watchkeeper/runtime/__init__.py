"""Structured JSON logging and OWASP security events for Lambda function code.

Standard library only (plus :mod:`watchkeeper.schema`): importing this package never needs
aws-cdk-lib, so it runs inside a function from the :class:`~watchkeeper.constructs.
runtime_layer.RuntimeLayer` or a vendored copy. Powertools support lives in
:mod:`watchkeeper.runtime.powertools`, imported only by those who use it.
"""

from watchkeeper.runtime.context import (
    InvocationContext,
    bind_lambda_context,
    clear_lambda_context,
    current_context,
    inject_context,
)
from watchkeeper.runtime.formatter import StructuredFormatter, to_json
from watchkeeper.runtime.logger import StructuredHandler, get_logger
from watchkeeper.runtime.redaction import (
    REDACTED,
    add_sensitive_keys,
    add_value_pattern,
    is_sensitive_key,
    redact,
    redact_text,
    reset_user_rules,
)
from watchkeeper.runtime.security import FIELD_ALIASES, event_value, security_event

__all__ = [
    "FIELD_ALIASES",
    "REDACTED",
    "InvocationContext",
    "StructuredFormatter",
    "StructuredHandler",
    "add_sensitive_keys",
    "add_value_pattern",
    "bind_lambda_context",
    "clear_lambda_context",
    "current_context",
    "event_value",
    "get_logger",
    "inject_context",
    "is_sensitive_key",
    "redact",
    "redact_text",
    "reset_user_rules",
    "security_event",
    "to_json",
]
