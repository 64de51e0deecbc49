"""The kinds of resources watchkeeper monitors, in the order they are discovered, alarmed,
drawn on the dashboard and listed in the metadata. Adding a kind is one module and one
line here (docs/adding-a-kind.md)."""

from __future__ import annotations

from watchkeeper.constructs.alarms.service_checks import SECURITY_CHECKS, SERVICE_CHECKS
from watchkeeper.constructs.alarms.settings import Check
from watchkeeper.constructs.kinds.base import ResourceKind
from watchkeeper.constructs.kinds.delivery_stream import DELIVERY_STREAM
from watchkeeper.constructs.kinds.event_rule import EVENT_RULE
from watchkeeper.constructs.kinds.function import FUNCTION
from watchkeeper.constructs.kinds.function_url import FUNCTION_URL
from watchkeeper.constructs.kinds.graphql_api import GRAPHQL_API
from watchkeeper.constructs.kinds.http_api import HTTP_API
from watchkeeper.constructs.kinds.queue import QUEUE
from watchkeeper.constructs.kinds.rest_api import REST_API
from watchkeeper.constructs.kinds.state_machine import STATE_MACHINE
from watchkeeper.constructs.kinds.stream import STREAM
from watchkeeper.constructs.kinds.table import TABLE
from watchkeeper.constructs.kinds.topic import TOPIC

KINDS: tuple[ResourceKind, ...] = (
    FUNCTION, HTTP_API, REST_API, QUEUE, TABLE, STATE_MACHINE,
    EVENT_RULE,
    TOPIC,
    STREAM,
    DELIVERY_STREAM,
    FUNCTION_URL,
    GRAPHQL_API,
)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


def known_checks() -> dict[str, Check]:
    """Every alarm check by key, in the order of the table in docs/alarms.md: each kind's
    ``ResourceKind.checks`` in registry order, the service-wide checks after the functions'
    (they watch the functions: timeouts, memory, the account's concurrency), the security
    checks last. ``AlarmOptions.overrides``, ``alarms=`` and the alarms read it. Read when
    called: a kind registered later (a test, an extension) counts. A key defined twice keeps
    its first definition."""
    checks: dict[str, Check] = {}
    for kind in KINDS:
        group = (*kind.checks, *SERVICE_CHECKS) if kind is FUNCTION else kind.checks
        for check in group:
            checks.setdefault(check.key, check)
    for check in SECURITY_CHECKS:
        checks.setdefault(check.key, check)
    return checks
