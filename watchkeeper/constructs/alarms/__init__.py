"""Alarms: AWS-recommended alarms per resource, security alarms on the log metrics,
anomaly detection on traffic, one composite service-health alarm, one encrypted topic.

See docs/alarms.md for the table of every default alarm and the notification policy.
"""

from typing import Any

from watchkeeper.constructs.alarms.core import WatchkeeperAlarm
from watchkeeper.constructs.alarms.settings import AlarmSettings, Check

__all__ = ["CHECKS", "AlarmSettings", "Check", "WatchkeeperAlarm"]


def __getattr__(name: str) -> Any:
    # ``CHECKS``: every check, in documentation order, assembled when read from the
    # registered kinds (``kinds.registry.known_checks()``); the registry imports the kind
    # modules, which import this package's modules, so it is not imported at load.
    if name == "CHECKS":
        from watchkeeper.constructs.kinds.registry import known_checks

        return tuple(known_checks().values())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
