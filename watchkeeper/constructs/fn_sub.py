"""Write CDK tokens into one ``Fn::Sub`` string.

A dashboard body is one JSON string. Built with CDK's L2 widgets, every function name and
alarm ARN in it becomes a token, and the body turns into a long ``Fn::Join`` of string
pieces and ``Ref``/``Fn::GetAtt`` objects. watchkeeper writes the body as one
``{"Fn::Sub": "..."}`` string instead, with ``${LogicalId}`` and ``${LogicalId.Attr}``
placeholders: the template is smaller and reads like the dashboard it deploys.

``sub_ref`` turns a literal or a token into that placeholder form; ``SubWriter`` does it
for many values with one ``Stack.resolve`` of all their distinct tokens (each resolve is
a round trip to Node).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

from watchkeeper.constructs.cdk_internals import is_token_string, object_key


def escape_literal(text: str) -> str:
    """A literal for an ``Fn::Sub`` string: ``${`` is written ``${!``."""
    return text.replace("${", "${!")


def _placeholder(resolved: Any, original: Any) -> str:
    if isinstance(resolved, str):
        return escape_literal(resolved)
    if isinstance(resolved, dict) and len(resolved) == 1:
        ((key, value),) = resolved.items()
        if key == "Ref" and isinstance(value, str):
            return "${" + value + "}"
        if (
            key == "Fn::GetAtt"
            and isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, str) for v in value)
        ):
            return "${" + value[0] + "." + value[1] + "}"
        if (
            key == "Fn::Join"
            and isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], str)
            and isinstance(value[1], list)
        ):
            return escape_literal(value[0]).join(_placeholder(p, original) for p in value[1])
    raise ValueError(
        f"cannot write {original!r} (resolved to {resolved!r}) into an Fn::Sub string: only "
        "literals, Ref, Fn::GetAtt and Fn::Join of those are supported"
    )


class SubWriter:
    """Converts values to ``Fn::Sub`` form for one stack, resolving each token once."""

    def __init__(self, scope: IConstruct) -> None:
        self._stack = cdk.Stack.of(scope)
        self._cache: dict[str, str] = {}

    def prefetch(self, values: Iterable[Any]) -> None:
        """Resolve the tokens among ``values`` in one round trip to Node."""
        pending: dict[str, Any] = {}
        for value in values:
            if isinstance(value, str) and not is_token_string(value):
                continue
            key = value if isinstance(value, str) else repr(value)
            if key not in self._cache:
                pending[key] = value
        if not pending:
            return
        resolved = self._stack.resolve(list(pending.values()))
        for (key, value), one in zip(pending.items(), resolved, strict=True):
            self._cache[key] = _placeholder(one, value)

    def refs_within(self, value: Any) -> Any:
        """``value`` (JSON-like: dicts, lists, tuples, strings) with every string in
        placeholder form (see :meth:`ref`); other values pass as they are."""
        if isinstance(value, str):
            return self.ref(value)
        if isinstance(value, dict):
            return {key: self.refs_within(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.refs_within(item) for item in value]
        return value

    def ref(self, value: Any) -> str:
        """A literal string passes (escaped); a token becomes ``${X}`` / ``${X.Attr}``."""
        # Testing the token encoding instead of calling Token.is_unresolved saves a round
        # trip to Node per value.
        if isinstance(value, str) and not is_token_string(value):
            return escape_literal(value)
        key = value if isinstance(value, str) else repr(value)
        if key not in self._cache:
            self._cache[key] = _placeholder(self._stack.resolve(value), value)
        return self._cache[key]


def sub_ref(value: Any, scope: IConstruct) -> str:
    """``value`` (a literal or a CDK token) in ``Fn::Sub`` placeholder form.

    ``"orders-create"`` -> ``"orders-create"``; ``fn.function_name`` of an unnamed function
    -> ``"${CreateFn1234ABCD}"``; ``alarm.attr_arn`` -> ``"${Alarm5678.Arn}"``. Anything
    else (``Fn::Select``, imports...) raises ``ValueError``.
    """
    return SubWriter(scope).ref(value)


# -- Resources of another stack -------------------------------------------------------------
#
# A placeholder can only name a resource of the template it is in. A resource of another
# stack (monitored explicitly, README "Resources of another stack") is written as a variable
# of the Fn::Sub instead, whose value is its token: CDK turns that into an export of the
# other stack and an Fn::ImportValue here, as for any cross-stack reference.

#: Per monitoring stack (its jsii object key): the placeholder a foreign token resolves to
#: (``X`` for a Ref, ``X.Attr`` for a GetAtt) -> that token.
_FOREIGN: dict[Any, dict[str, str]] = {}


def register_foreign(scope: IConstruct, value: str) -> bool:
    """Remember that ``value`` (a token) names a resource of another stack than ``scope``'s.

    :returns: False when ``value`` is not a plain Ref or GetAtt (nothing registered; the
        caller refuses it).
    """
    stack = cdk.Stack.of(scope)
    resolved = stack.resolve(value)
    if not (isinstance(resolved, dict) and len(resolved) == 1):
        return False
    ((function, argument),) = resolved.items()
    if function == "Ref" and isinstance(argument, str):
        placeholder = argument
    elif (function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2
          and all(isinstance(part, str) for part in argument)):
        placeholder = ".".join(argument)
    else:
        return False
    _FOREIGN.setdefault(object_key(stack), {})[placeholder] = value
    return True


def foreign_variables(scope: IConstruct, text: str) -> tuple[str, dict[str, str]]:
    """``text`` with each placeholder of a resource of another stack (registered with
    :func:`register_foreign`) turned into a variable, and those variables."""
    variables: dict[str, str] = {}
    if _FOREIGN:  # most apps monitor no resource of another stack: no round trip then
        for placeholder, token in _FOREIGN.get(object_key(cdk.Stack.of(scope)), {}).items():
            written = "${" + placeholder + "}"
            if written in text:
                name = placeholder.replace(".", "")
                text = text.replace(written, "${" + name + "}")
                variables[name] = token
    return text, variables


def with_foreign_variables(scope: IConstruct, text: str,
                           variables: dict[str, Any] | None = None) -> Any:
    """``Fn::Sub`` of ``text`` with ``variables``, and a variable for each placeholder of a
    resource of another stack (:func:`foreign_variables`)."""
    text, foreign = foreign_variables(scope, text)
    variables = {**(variables or {}), **foreign}
    return cdk.Fn.sub(text, variables) if variables else cdk.Fn.sub(text)
