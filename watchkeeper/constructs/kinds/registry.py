"""The kinds of resources watchkeeper monitors, in the order they are discovered, alarmed,
drawn on the dashboard and listed in the metadata. Adding a kind is one module and one
line here (docs/adding-a-kind.md)."""

from __future__ import annotations

from watchkeeper.constructs.alarms.settings import CHECKS_BY_KEY, Check
from watchkeeper.constructs.kinds.base import ResourceKind
from watchkeeper.constructs.kinds.delivery_stream import DELIVERY_STREAM
from watchkeeper.constructs.kinds.function import FUNCTION
from watchkeeper.constructs.kinds.http_api import HTTP_API
from watchkeeper.constructs.kinds.queue import QUEUE
from watchkeeper.constructs.kinds.rest_api import REST_API
from watchkeeper.constructs.kinds.state_machine import STATE_MACHINE
from watchkeeper.constructs.kinds.stream import STREAM
from watchkeeper.constructs.kinds.table import TABLE

KINDS: tuple[ResourceKind, ...] = (
    FUNCTION, HTTP_API, REST_API, QUEUE, TABLE, STATE_MACHINE,
    STREAM,
    DELIVERY_STREAM,
)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


def known_checks() -> dict[str, Check]:
    """Every alarm check by key: the built-in ones (``alarms.settings.CHECKS``, the table
    in docs/alarms.md) and those of kinds added to ``KINDS`` (``ResourceKind.checks``), so
    that ``AlarmOptions.overrides`` and ``alarms=`` reach a new kind's checks too. Read
    when called: a kind registered later (a test, an extension) counts."""
    added = {c.key: c for kind in KINDS for c in kind.checks if c.key not in CHECKS_BY_KEY}
    return {**CHECKS_BY_KEY, **added}
