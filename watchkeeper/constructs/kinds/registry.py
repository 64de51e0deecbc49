"""The kinds of resources watchkeeper monitors, in the order they are discovered, alarmed,
drawn on the dashboard and listed in the metadata. Adding a kind is one module and one
line here (docs/adding-a-kind.md)."""

from __future__ import annotations

from watchkeeper.constructs.kinds.base import ResourceKind
from watchkeeper.constructs.kinds.function import FUNCTION
from watchkeeper.constructs.kinds.http_api import HTTP_API
from watchkeeper.constructs.kinds.queue import QUEUE
from watchkeeper.constructs.kinds.rest_api import REST_API
from watchkeeper.constructs.kinds.state_machine import STATE_MACHINE
from watchkeeper.constructs.kinds.table import TABLE

KINDS: tuple[ResourceKind, ...] = (FUNCTION, HTTP_API, REST_API, QUEUE, TABLE, STATE_MACHINE)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
