"""The aws-cdk-lib submodules an app has imported, for finding its resources by type.

Importing ``aws_apigateway``, ``aws_apigatewayv2``, ``aws_dynamodb``, ``aws_sqs`` and
``aws_stepfunctions`` takes about 80 ms, at every synth. A service without an API or a state
machine should not pay for them, so watchkeeper imports each where it is used, and
discovery tests a construct against a submodule's classes only if the submodule is loaded.
That is exact, not a guess: jsii imports a type's Python module before it hands an object
of that type to Python, so once ``find_all()`` has returned, every type that occurs in the
tree has its module loaded, and a type whose module is not loaded does not occur.
"""

from __future__ import annotations

import sys
from typing import Any


def loaded_classes(module: str, *names: str) -> tuple[type[Any], ...]:
    """The classes ``names`` of ``aws_cdk.<module>`` if that module is loaded, else ()."""
    mod = sys.modules.get(f"aws_cdk.{module}")
    if mod is None:
        return ()
    return tuple(getattr(mod, name) for name in names)
