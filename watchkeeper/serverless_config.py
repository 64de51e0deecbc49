"""Read a Serverless Framework ``serverless.yml``: service, stage, region, function names.

The public names of the reader, which lives in the ``watchkeeper.serverless`` package (its
docstring lists what is read and how; one module per concept: YAML loading, variable
syntax, resolution, the configuration). Import from here.

Standard library and PyYAML only (no aws-cdk-lib).
"""

from __future__ import annotations

from watchkeeper.serverless.config import (
    MAX_SERVICE_NAME_LENGTH,
    ServerlessFunction,
    ServerlessService,
    monitoring_service_name,
    read_serverless_config,
)
from watchkeeper.serverless.errors import FUNCTION_NAMES_FIX, ServerlessConfigError
from watchkeeper.serverless.resolver import DEFAULT_STAGE

__all__ = [
    "DEFAULT_STAGE",
    "FUNCTION_NAMES_FIX",
    "MAX_SERVICE_NAME_LENGTH",
    "ServerlessConfigError",
    "ServerlessFunction",
    "ServerlessService",
    "monitoring_service_name",
    "read_serverless_config",
]
