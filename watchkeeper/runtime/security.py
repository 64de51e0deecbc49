"""``security_event``: write an OWASP Logging Vocabulary event as a structured record."""

from __future__ import annotations

import difflib
import logging
import re
import sys
from types import MappingProxyType
from typing import Any, Final

from watchkeeper.runtime.formatter import (
    LOG_RECORD_ATTRIBUTES,
    StructuredFormatter,
    _written,
    redact_record,
)
from watchkeeper.runtime.logger import get_logger, resolve_level
from watchkeeper.runtime.redaction import redact_text
from watchkeeper.schema import (
    CUSTOM_EVENT_LEVEL,
    CUSTOM_EVENT_PREFIX,
    CUSTOM_EVENT_RE,
    VOCABULARY,
    Category,
    Field,
)


def _snake_case(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


#: Keyword arguments of :func:`security_event` that carry a documented field. The schema
#: name is accepted as is (``userId=``) and so is its snake_case spelling (``user_id=``).
FIELD_ALIASES: Final = MappingProxyType(
    {
        _snake_case(name): name
        for name in (
            Field.USER_ID,
            Field.SOURCE_IP,
            Field.EVENT_SOURCE,
            Field.OPERATION,
            Field.DETAILS,
        )
        if _snake_case(name) != name
    }
)
#: Fields that the record's own machinery writes; not accepted as keyword arguments.
RESERVED_FIELDS: Final = frozenset(
    {
        Field.TIMESTAMP,
        Field.LEVEL,
        Field.MESSAGE,
        Field.LOGGER,
        Field.REQUEST_ID,
        Field.FUNCTION_NAME,
        Field.SERVICE,
        Field.EVENT,
        Field.CATEGORY,
        Field.ERROR_TYPE,
        Field.ERROR_MESSAGE,
        Field.STACK_TRACE,
        Field.LOCATION,
        Field.XRAY_TRACE_ID,
    }
)
#: A parameter longer than this is cut (parameters often come from untrusted input).
MAX_PARAM_LENGTH: Final = 256

# Builds the returned record when the logger is not one of ours (e.g. Powertools Logger).
_DESCRIBER: Final = StructuredFormatter()


def _encode_param(param: object) -> str:
    # `,` separates parameters in `name:p1,p2`; percent-encode it (and `%` itself) so a
    # parameter from user input cannot forge a second one.
    text = redact_text(str(param))[:MAX_PARAM_LENGTH]
    return text.replace("%", "%25").replace(",", "%2C")


def event_value(name: str, *params: object) -> str:
    """The ``event`` field value: ``name`` or ``name:param1,param2``."""
    if not params:
        return name
    return f"{name}:{','.join(_encode_param(p) for p in params)}"


def _describe_unknown(name: object) -> str:
    if not isinstance(name, str):
        return f"security_event name: {name!r} is not a string"
    if name.startswith(CUSTOM_EVENT_PREFIX):
        return (
            f"security_event name: {name!r} is not a valid custom event name; custom events "
            f"must match {CUSTOM_EVENT_RE.pattern} (lower-case words joined by '_')"
        )
    close = difflib.get_close_matches(name, list(VOCABULARY), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"security_event name: {name!r} is not an OWASP Logging Vocabulary event{hint} "
        f"(application events go under the {CUSTOM_EVENT_PREFIX!r} prefix, e.g. "
        f"'{CUSTOM_EVENT_PREFIX}order_refunded')"
    )


def _normalise_fields(fields: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in fields.items():
        name = FIELD_ALIASES.get(key, key)
        if name in RESERVED_FIELDS or name in LOG_RECORD_ATTRIBUTES:
            raise ValueError(
                f"security_event field {key!r} is reserved (written by watchkeeper or by "
                f"logging); reserved: {', '.join(sorted(RESERVED_FIELDS))} and the "
                "LogRecord attributes"
            )
        if name in result:
            raise ValueError(
                f"security_event field {name!r} given twice (as {name!r} and its alias "
                f"{_snake_case(name)!r}); give one"
            )
        result[name] = value
    return result


def security_event(
    name: str,
    /,
    *params: object,
    message: str | None = None,
    logger: Any = None,
    level: str | int | None = None,
    **fields: Any,
) -> dict[str, Any] | None:
    """Write OWASP security event ``name`` and return the record written.

    ``security_event("authn_login_fail", "joebob1", source_ip="203.0.113.9")`` writes
    ``event`` ``authn_login_fail:joebob1``, ``category`` ``authn``, level ``WARNING`` and
    message ``A login attempt failed``.

    :param name: an event of :data:`watchkeeper.schema.VOCABULARY`, or an application event
        ``custom_<words>`` (matching :data:`watchkeeper.schema.CUSTOM_EVENT_RE`).
    :param params: the event's parameters (e.g. the user id), appended as ``name:p1,p2``.
        Each is redacted, cut to 256 characters, and has ``%`` and ``,`` percent-encoded.
    :param message: default: the vocabulary's description of the event (for a custom
        event: its name).
    :param logger: a logger from :func:`get_logger`, any ``logging.Logger``, or a
        Powertools ``Logger``. Default: ``get_logger()`` (service from the environment).
    :param level: default: the event's level in the vocabulary (``WARNING`` for custom).
    :param fields: extra fields, e.g. ``userId``/``user_id``, ``sourceIp``/``source_ip``,
        ``operation``, ``details``, ``eventSource``/``event_source``, or any other name.
    :returns: the record as written, after redaction and before JSON encoding, or ``None``
        when the logger's level filtered the event out. For a stdlib logger without
        watchkeeper's formatter, the record watchkeeper's formatter would have written; for
        a Powertools ``Logger``, the fields watchkeeper handed to it (``level``,
        ``message``, ``service``, ``event``, ``category`` and the extra fields), redacted.
    :raises ValueError: unknown event (naming close matches), bad level, reserved field.
    """
    spec = VOCABULARY.get(name) if isinstance(name, str) else None
    if spec is not None:
        category, default_level, default_message = spec.category, spec.level, spec.description
    elif isinstance(name, str) and CUSTOM_EVENT_RE.match(name):
        category, default_level, default_message = Category.CUSTOM, CUSTOM_EVENT_LEVEL, name
    else:
        raise ValueError(_describe_unknown(name))
    level_name = default_level if level is None else resolve_level(level)
    record_fields = {
        Field.EVENT: event_value(name, *params),
        Field.CATEGORY: category,
        **_normalise_fields(fields),
    }
    text = default_message if message is None else str(message)
    target = get_logger() if logger is None else logger
    if isinstance(target, logging.LoggerAdapter):
        # An adapter's process() would replace our `extra`; write through its logger.
        target = target.logger
    level_number = logging.getLevelName(level_name)
    if not target.isEnabledFor(level_number):
        return None
    caller = sys._getframe(1)
    if isinstance(target, logging.Logger):
        record = target.makeRecord(
            target.name,
            level_number,
            caller.f_code.co_filename,
            caller.f_lineno,
            text,
            (),
            None,
            caller.f_code.co_name,
            record_fields,
        )
        written: list[dict[str, Any]] = []
        token = _written.set(written)
        try:
            target.handle(record)
        finally:
            _written.reset(token)
        return written[0] if written else _DESCRIBER.build(record)
    # A Powertools Logger (or anything with the level methods of logging.Logger): it adds
    # its own keys; ours go in as `extra`, which it writes at the top level.
    getattr(target, level_name.lower())(text, extra=record_fields, stacklevel=3)
    described: dict[str, Any] = {Field.LEVEL: level_name, Field.MESSAGE: text}
    service = getattr(target, "service", None)
    if isinstance(service, str) and service:
        described[Field.SERVICE] = service
    described.update(record_fields)
    return redact_record(described)
