"""Alarms: AWS-recommended alarms per resource, security alarms on the log metrics,
anomaly detection on traffic, one composite service-health alarm, one encrypted topic.

See docs/alarms.md for the table of every default alarm and the notification policy.
"""

from watchkeeper.constructs.alarms.core import WatchkeeperAlarm
from watchkeeper.constructs.alarms.settings import CHECKS, AlarmSettings, Check

__all__ = ["CHECKS", "AlarmSettings", "Check", "WatchkeeperAlarm"]
