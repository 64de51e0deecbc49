"""watchkeeper: security-minded logging and monitoring for serverless services on AWS.

The construct API (``ServiceMonitoring`` and its option structs, ``LogGroupOptions``...)
needs aws-cdk-lib; the runtime helper (``watchkeeper.runtime``) and the schema
(``watchkeeper.schema``) need only the standard library, because they run inside Lambda
functions. The construct names are therefore imported lazily (PEP 562), so
``import watchkeeper.runtime`` works where aws-cdk-lib is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "ServiceMonitoring": "watchkeeper.constructs.service_monitoring",
    "AlarmOptions": "watchkeeper.constructs.options",
    "FunctionLoggingOptions": "watchkeeper.constructs.options",
    "InsightsOptions": "watchkeeper.constructs.options",
    "DetectionOptions": "watchkeeper.constructs.options",
    "LogGroupOptions": "watchkeeper.constructs.options",
    "ResourceLoggingOptions": "watchkeeper.constructs.options",
    "ShippingOptions": "watchkeeper.constructs.options",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.options import AlarmOptions as AlarmOptions
    from watchkeeper.constructs.options import DetectionOptions as DetectionOptions
    from watchkeeper.constructs.options import FunctionLoggingOptions as FunctionLoggingOptions
    from watchkeeper.constructs.options import InsightsOptions as InsightsOptions
    from watchkeeper.constructs.options import LogGroupOptions as LogGroupOptions
    from watchkeeper.constructs.options import ResourceLoggingOptions as ResourceLoggingOptions
    from watchkeeper.constructs.options import ShippingOptions as ShippingOptions
    from watchkeeper.constructs.service_monitoring import ServiceMonitoring as ServiceMonitoring


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'watchkeeper' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
