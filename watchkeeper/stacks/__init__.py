"""Ready-made stacks: ``MonitoringStack`` (monitoring for a service deployed elsewhere)."""

from watchkeeper.stacks.monitoring_stack import MonitoringStack

__all__ = ["MonitoringStack"]
