"""Reference stacks: ``MonitoringStack`` (a service deployed elsewhere) and the demo service."""

from watchkeeper.stacks.monitoring_stack import MonitoringStack

__all__ = ["MonitoringStack"]
