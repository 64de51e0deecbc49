"""Every use of aws-cdk-lib and jsii internals, in one place.

watchkeeper reaches past the public API of aws-cdk-lib and jsii in a few spots, each for
speed (one round trip to Node instead of dozens; synth time is mostly jsii round trips) or
because CDK offers no public way to ask. Keeping them here means one module to check when
aws-cdk-lib or jsii changes; ``tests/constructs/test_cdk_internals.py`` fails if any other
module of the package names them.

Checked against aws-cdk-lib 2.144.0 (the floor in ``pyproject.toml``) up to 2.275.0 (the
pin in ``constraints.txt``) and jsii 1.98 to 1.142.
"""

from __future__ import annotations

import re
import sys
from typing import Any

#: How CDK encodes a token inside a string (``${Token[TOKEN.123]}``). Testing for it is a
#: pure-Python check; ``cdk.Token.is_unresolved`` is a round trip to Node. The encoding is
#: internal to CDK's token map, stable since CDK 1.
_TOKEN_MARKER = "${Token["

#: Construct ids that CDK's own helper functions get (custom-resource providers, log
#: retention, bucket deployment and notification handlers, the provider framework): these
#: ids are hard-coded in aws-cdk-lib (``SingletonFunction``'s ``SingletonLambda`` prefix,
#: the ``AwsCustomResource`` uuid, ``LogRetention``...) and not exported anywhere.
_CDK_HELPER_FUNCTION_ID_PATTERN = (
    r"SingletonLambda|AWS679f53fac002430cb0da5b7982bd2287|LogRetention|"
    r"BucketNotificationsHandler|CustomCDKBucketDeployment|framework-on|"
    r"CustomResourceProvider|Custom::"
)


def is_token_string(value: str) -> bool:
    """Whether ``value`` holds an encoded CDK token (no round trip to Node)."""
    return _TOKEN_MARKER in value


def cdk_helper_function_id(extra_ids: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A pattern matching the construct id of a function CDK itself adds (or one of
    ``extra_ids``, watchkeeper's own providers)."""
    alternatives = "|".join((_CDK_HELPER_FUNCTION_ID_PATTERN, *map(re.escape, extra_ids)))
    return re.compile(f"^({alternatives})")


def cfn_properties(resource: Any) -> dict[str, Any]:
    """All properties of an L1 (``CfnFunction``, ``CfnApi``, a plain ``CfnResource``) in one
    round trip to Node, keyed in jsii's camelCase.

    ``CfnResource._cfn_properties`` is the protected getter behind every L1's property
    accessors; reading each property through its accessor costs one round trip each.
    """
    return resource._cfn_properties  # type: ignore[no-any-return]


def object_key(obj: Any) -> Any:
    """The same for every Python proxy of one Node object, read without a round trip:
    jsii hands out a new proxy each time (``is`` fails), with the same object reference
    (``__jsii_ref__``)."""
    ref = getattr(obj, "__jsii_ref__", None)
    return ref.ref if ref is not None else id(obj)


def implements(value: Any, interface: Any) -> bool:
    """Whether ``value``'s class declares the jsii ``interface`` (jsii interfaces are
    Protocols with no runtime check; ``@jsii.implements`` records them in
    ``__jsii_ifaces__``)."""
    return interface in getattr(type(value), "__jsii_ifaces__", ())


def loaded_classes(module: str, *names: str) -> tuple[type[Any], ...]:
    """The classes ``names`` of ``aws_cdk.<module>`` if that module is loaded, else ().

    Importing ``aws_apigateway``, ``aws_apigatewayv2``, ``aws_dynamodb``, ``aws_sqs`` and
    ``aws_stepfunctions`` takes about 80 ms, at every synth. A service without an API or a
    state machine should not pay for them, so watchkeeper imports each where it is used,
    and discovery tests a construct against a submodule's classes only if the submodule is
    loaded. That is exact, not a guess: jsii imports a type's Python module before it hands
    an object of that type to Python, so once ``find_all()`` has returned, every type that
    occurs in the tree has its module loaded, and a type whose module is not loaded does
    not occur.
    """
    mod = sys.modules.get(f"aws_cdk.{module}")
    if mod is None:
        return ()
    return tuple(getattr(mod, name) for name in names)


#: Names that only this module may use (the test greps the package for them).
INTERNAL_NAMES = ("_cfn_properties", "__jsii_ifaces__", "__jsii_ref__", "try_remove_child",
                  "${Token[", "SingletonLambda", 'sys.modules.get("aws_cdk',
                  'sys.modules.get(f"aws_cdk')
