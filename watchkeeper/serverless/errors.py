"""How a serverless.yml that cannot be read is reported.

Every module of the reader raises ``ServerlessConfigError`` (file, line, reason), and names
``FUNCTION_NAMES_FIX`` whenever a value is only known when the Serverless Framework
deploys; both live here, below every other module, so that each can raise them.
"""

from __future__ import annotations

#: The fix named whenever a value cannot be known at synth time.
FUNCTION_NAMES_FIX = (
    "give the deployed names instead: MonitoringStack(function_names=[...]) "
    "(watchkeeper cdk-app: --function-name NAME)"
)


class ServerlessConfigError(ValueError):
    """A serverless.yml that cannot be read; the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
