"""What ServiceMonitoring monitors: one small record per resource (each defined in its
kind's module under ``kinds/``, re-exported here), and the keys that name them.

Builders (log groups, metric filters, alarms, queries, dashboards) read these records, not
the CDK objects, so each builder crosses the jsii bridge only to create its own resources
(most synth time is spent in jsii round trips to Node).

Every target carries:
- ``key``: a short, stable, unique-in-the-service slug used in construct ids and names
  (``<service>-<key>-<check>``); it comes from the resource's literal name when it has
  one, else from its construct id, so it does not change between synths.
- ``label``: what a person reads on a dashboard or in an alarm description.
- the resource's name or identifier as CloudFormation sees it (a literal or a token).
"""

from __future__ import annotations

import re

from watchkeeper.constructs.kinds.function import FunctionTarget
from watchkeeper.constructs.kinds.http_api import HttpApiTarget
from watchkeeper.constructs.kinds.queue import QueueTarget
from watchkeeper.constructs.kinds.rest_api import RestApiTarget
from watchkeeper.constructs.kinds.state_machine import StateMachineTarget
from watchkeeper.constructs.kinds.table import TableTarget

_SLUG_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def slugify(text: str, max_length: int = 64) -> str:
    """``CreateOrderFn`` -> ``create-order-fn``; ``orders_prod/create`` -> ``orders-prod-create``.
    """
    parts = [p.lower() for p in _SLUG_SPLIT.split(text) if p]
    slug = "-".join(parts)[:max_length].strip("-")
    return slug or "resource"


__all__ = ["FunctionTarget", "HttpApiTarget", "QueueTarget", "RestApiTarget",
           "StateMachineTarget", "TableTarget", "slugify"]
