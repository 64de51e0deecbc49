"""Using watchkeeper's schema and redaction with Powertools for AWS Lambda (Python) Logger.

Import this module only where ``aws_lambda_powertools`` is installed; nothing else in
:mod:`watchkeeper.runtime` imports it.

* :class:`RedactingPowertoolsFormatter` is Powertools' JSON formatter with watchkeeper's
  redaction applied to the whole record (every key, every value, the message and the
  exception text) and watchkeeper's never-fail serialisation.
* :func:`security_event` accepts a Powertools ``Logger`` as ``logger=``: the event's fields
  (``event``, ``category``, ``userId``...) are passed as ``extra`` and written at the top
  level next to Powertools' own keys.
* :func:`security_logger` builds a Powertools ``Logger`` with that formatter.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

from watchkeeper.runtime.formatter import redact_record, to_json
from watchkeeper.runtime.security import security_event

__all__ = ["RedactingPowertoolsFormatter", "security_event", "security_logger"]


class RedactingPowertoolsFormatter(LambdaPowertoolsFormatter):
    """Powertools' formatter, with watchkeeper's redaction before anything is written.

    Takes the same keyword arguments as ``LambdaPowertoolsFormatter`` (``utc``,
    ``use_rfc3339``, ``log_record_order``...). ``json_serializer`` is not used: the record
    is written by watchkeeper's serialiser, which stringifies a value json cannot encode
    instead of failing.
    """

    def serialize(self, log: LogRecord) -> str:
        return to_json(redact_record(dict(log)))


def security_logger(service: str | None = None, **kwargs: Any) -> Logger:
    """A Powertools ``Logger`` whose records are redacted by watchkeeper.

    :param service: Powertools' ``service`` (default: ``POWERTOOLS_SERVICE_NAME``).
    :param kwargs: passed to ``Logger``; formatter options (``utc``, ``use_rfc3339``...)
        go to :class:`RedactingPowertoolsFormatter`. Default ``utc=True`` and
        ``use_rfc3339=True``, so ``timestamp`` reads like Lambda's.
    """
    formatter_options = {
        key: kwargs.pop(key)
        for key in (
            "utc",
            "use_rfc3339",
            "log_record_order",
            "datefmt",
            "json_default",
            "use_datetime_directive",
            "serialize_stacktrace",
        )
        if key in kwargs
    }
    formatter_options.setdefault("utc", True)
    formatter_options.setdefault("use_rfc3339", True)
    return Logger(
        service=service,
        logger_formatter=RedactingPowertoolsFormatter(**formatter_options),
        **kwargs,
    )
