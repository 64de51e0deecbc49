"""``get_logger``: a standard-library logger that writes watchkeeper's JSON records.

Why a handler of its own on stdout, with ``propagate=False``
-------------------------------------------------------------
The Lambda Python runtime installs one handler on the *root* logger. With the function's
log format set to Text it writes ``[LEVEL]\\t<time>\\t<request id>\\t<message>``; with JSON
it writes its own JSON object (``timestamp``, ``level``, ``message``, ``logger``,
``requestId`` plus every ``extra=`` key). A record that reached that handler as well as ours
would be written twice, or as our JSON string inside the runtime's ``message``. So the
logger writes one line of JSON per record to standard output itself and does not propagate.
Lambda sends stdout lines to CloudWatch as they are; with the JSON log format it reads the
``level`` and ``timestamp`` keys of a line that is a JSON object for application log-level
filtering, so records written here are filtered like the runtime's own.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Final

from watchkeeper.runtime.formatter import StructuredFormatter
from watchkeeper.schema import LEVELS

#: Environment variables read for the service name, first set wins.
SERVICE_ENV_VARS: Final = ("WATCHKEEPER_SERVICE", "POWERTOOLS_SERVICE_NAME")
#: Environment variables read for the level, first set wins. ``AWS_LAMBDA_LOG_LEVEL`` is
#: the function's ``ApplicationLogLevel`` (advanced logging controls).
LEVEL_ENV_VARS: Final = ("WATCHKEEPER_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL")
#: Name of the logger when no service is known, and the parent of the service loggers
#: (``watchkeeper.<service>``). A namespace of our own keeps a Powertools ``Logger`` of the
#: same service (which uses the stdlib logger named after the service) from sharing ours.
DEFAULT_LOGGER_NAME: Final = "watchkeeper"


def logger_name(service: str | None) -> str:
    """Name of the stdlib logger that :func:`get_logger` returns for ``service``."""
    return f"{DEFAULT_LOGGER_NAME}.{service}" if service else DEFAULT_LOGGER_NAME


#: Level when neither the argument nor the environment sets one.
DEFAULT_LEVEL: Final = "INFO"

# Lambda's ApplicationLogLevel names that Python spells differently.
_LAMBDA_LEVEL_NAMES: Final = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}
_ALLOWED_LEVELS_TEXT: Final = ", ".join(LEVELS) + " (or Lambda's TRACE, WARN, FATAL)"


def resolve_level(value: str | int, option: str = "level") -> str:
    """The Python level name of ``value`` (a name in any case, Lambda's names, or a number).

    :raises ValueError: naming ``option`` when ``value`` is not a level.
    """
    if isinstance(value, bool):
        raise ValueError(f"{option}: {value!r} is not a log level; allowed: {_ALLOWED_LEVELS_TEXT}")
    if isinstance(value, int):
        name = logging.getLevelName(value)
        if name in LEVELS:
            return name
    elif isinstance(value, str):
        name = value.strip().upper()
        name = _LAMBDA_LEVEL_NAMES.get(name, name)
        if name in LEVELS:
            return name
    raise ValueError(f"{option}: {value!r} is not a log level; allowed: {_ALLOWED_LEVELS_TEXT}")


def _level_from_environment() -> str:
    for variable in LEVEL_ENV_VARS:
        value = os.environ.get(variable)
        if value:
            return resolve_level(value, option=f"environment variable {variable}")
    return DEFAULT_LEVEL


def service_from_environment() -> str | None:
    """The service name set in the environment (``WATCHKEEPER_SERVICE`` first), if any."""
    for variable in SERVICE_ENV_VARS:
        value = os.environ.get(variable)
        if value:
            return value
    return None


class StructuredHandler(logging.Handler):
    """Writes each record as one line to ``stream`` (default: ``sys.stdout`` at write time).

    ``sys.stdout`` is looked up per record because the Lambda runtime replaces it with an
    unbuffered wrapper, and test runners swap it.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            stream = self.stream if self.stream is not None else sys.stdout
            stream.write(line)
            stream.flush()
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - as logging.StreamHandler: report, don't raise
            self.handleError(record)


def _our_handler(logger: logging.Logger) -> StructuredHandler | None:
    for handler in logger.handlers:
        if isinstance(handler, StructuredHandler):
            return handler
    return None


def get_logger(
    service: str | None = None,
    *,
    level: str | int | None = None,
    stream: IO[str] | None = None,
) -> logging.Logger:
    """A logger that writes one redacted JSON object per record.

    Calling it again with the same service returns the same logger (no second handler).

    :param service: written as ``service`` on every record; the logger is named
        ``watchkeeper.<service>``. Default: ``WATCHKEEPER_SERVICE``, else
        ``POWERTOOLS_SERVICE_NAME``, else none (no ``service`` field; logger ``watchkeeper``).
    :param level: minimum level, a Python level name or number, or one of Lambda's
        ``TRACE``/``WARN``/``FATAL``. Default: ``WATCHKEEPER_LOG_LEVEL``, else
        ``AWS_LAMBDA_LOG_LEVEL`` (the function's application log level), else ``INFO``.
        On a repeated call, ``None`` leaves the level as it is.
    :param stream: where lines go. Default: standard output.
    :raises ValueError: for an empty or non-string ``service`` or an unknown ``level``.
    """
    if service is not None and (not isinstance(service, str) or not service.strip()):
        raise ValueError(f"service: {service!r} is not allowed; give a non-empty string or None")
    resolved_service = service or service_from_environment()
    logger = logging.getLogger(logger_name(resolved_service))
    handler = _our_handler(logger)
    if handler is None:
        handler = StructuredHandler(stream)
        handler.setFormatter(StructuredFormatter(service=resolved_service))
        logger.addHandler(handler)
        logger.setLevel(resolve_level(level) if level is not None else _level_from_environment())
    else:
        if stream is not None:
            handler.stream = stream
        if level is not None:
            logger.setLevel(resolve_level(level))
    logger.propagate = False
    return logger
