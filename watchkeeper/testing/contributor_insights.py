"""An offline evaluator of CloudWatch Contributor Insights rules for JSON logs.

CloudWatch evaluates a Contributor Insights rule only inside the service, on log events that
arrive after the rule exists: there is no API that tries a rule on sample lines. To prove
that the top-offender rules count exactly the events the runtime helper writes for
authentication and authorisation failures, watchkeeper's tests evaluate the rules' bodies
here, on the log corpus. Written for this project from the CloudWatch documentation
("Contributor Insights rule syntax in CloudWatch"); it covers JSON rules only::

    from watchkeeper.testing.contributor_insights import contributions

    rule = {"Schema": {"Name": "CloudWatchLogRule", "Version": 1},
            "LogGroupNames": ["/watchkeeper/orders/functions"], "LogFormat": "JSON",
            "Contribution": {"Keys": ["$.sourceIp"],
                             "Filters": [{"Match": "$.event", "StartsWith": ["authn_"]}]},
            "AggregateOn": "Count"}
    assert contributions(rule, ['{"event": "authn_login_fail:joe", "sourceIp": "1.2.3.4"}']) \\
        == {("1.2.3.4",): 1}

What it evaluates, with the documented semantics:

* ``Keys`` (1-4 fields) name a contributor; each distinct combination of values is one.
* ``Filters`` (at most 4) are ANDed. ``In``, ``NotIn`` and ``StartsWith`` take 1-10
  strings, ORed; ``GreaterThan``, ``LessThan``, ``EqualTo`` and ``NotEqualTo`` one number;
  ``IsPresent`` ``true`` or ``false``.
* Field names and values are case sensitive; fields use JSON property notation
  (``$.a``, ``$.a.b``, ``$.a[0]``, ``$.a[1].b``).
* ``AggregateOn`` ``Count`` adds 1 per event, ``Sum`` adds the number in ``ValueOf``.

Where the documentation is silent, the stricter reading:

* A filter on a field that is absent, or holds an object or an array, is false (for
  ``NotIn`` and ``NotEqualTo`` too); only ``IsPresent: false`` matches an absent field.
* String operators apply to JSON strings only, number operators to JSON numbers only.
* An event that lacks a key field contributes nothing; an event that is not a JSON object
  matches no rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_KEYS = 4
MAX_FILTERS = 4
MAX_FILTER_VALUES = 10
STRING_OPERATORS = ("In", "NotIn", "StartsWith")
NUMBER_OPERATORS = ("GreaterThan", "LessThan", "EqualTo", "NotEqualTo")
OPERATORS = (*STRING_OPERATORS, *NUMBER_OPERATORS, "IsPresent")

_STEP = re.compile(r"\.([A-Za-z0-9_@-]+)|\[(\d+)\]")
_MISSING = object()


class RuleSyntaxError(ValueError):
    """The rule is not a JSON Contributor Insights rule this evaluator understands."""


def _path(selector: str) -> list[str | int]:
    if not isinstance(selector, str) or not selector.startswith("$"):
        raise RuleSyntaxError(f"field {selector!r} must be in JSON property notation ($.name)")
    steps: list[str | int] = []
    rest = selector[1:]
    while rest:
        match = _STEP.match(rest)
        if match is None:
            raise RuleSyntaxError(f"field {selector!r}: cannot read {rest!r}")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        rest = rest[match.end():]
    if not steps:
        raise RuleSyntaxError(f"field {selector!r} names no property")
    return steps


def _value(record: Any, steps: list[str | int]) -> Any:
    current = record
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return _MISSING
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return _MISSING
            current = current[step]
    return current


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_filter(spec: Any) -> tuple[list[str | int], str, Any]:
    if not isinstance(spec, Mapping) or "Match" not in spec:
        raise RuleSyntaxError(f"filter {spec!r} needs a Match field")
    operators = [key for key in spec if key != "Match"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        raise RuleSyntaxError(
            f"filter {spec!r} needs exactly one operator of {', '.join(OPERATORS)}"
        )
    operator = operators[0]
    operand = spec[operator]
    if operator in STRING_OPERATORS:
        if (not isinstance(operand, list) or not 1 <= len(operand) <= MAX_FILTER_VALUES
                or not all(isinstance(v, str) for v in operand)):
            raise RuleSyntaxError(
                f"filter {spec!r}: {operator} takes 1-{MAX_FILTER_VALUES} strings"
            )
    elif operator in NUMBER_OPERATORS:
        if not _is_number(operand):
            raise RuleSyntaxError(f"filter {spec!r}: {operator} takes one number")
    elif not isinstance(operand, bool):
        raise RuleSyntaxError(f"filter {spec!r}: IsPresent takes true or false")
    return _path(spec["Match"]), operator, operand


def _passes(value: Any, operator: str, operand: Any) -> bool:
    if operator == "IsPresent":
        return (value is not _MISSING) == operand
    if operator in STRING_OPERATORS:
        if not isinstance(value, str):
            return False
        if operator == "In":
            return value in operand
        if operator == "NotIn":
            return value not in operand
        return any(value.startswith(prefix) for prefix in operand)
    if not _is_number(value):
        return False
    return {
        "GreaterThan": value > operand,
        "LessThan": value < operand,
        "EqualTo": value == operand,
        "NotEqualTo": value != operand,
    }[operator]


class Rule:
    """A parsed JSON rule; :meth:`contributor` evaluates one log event."""

    def __init__(self, body: Mapping[str, Any] | str) -> None:
        rule = json.loads(body) if isinstance(body, str) else body
        if rule.get("Schema") != {"Name": "CloudWatchLogRule", "Version": 1}:
            raise RuleSyntaxError("Schema must be {'Name': 'CloudWatchLogRule', 'Version': 1}")
        if rule.get("LogFormat") != "JSON":
            raise RuleSyntaxError("only LogFormat JSON is evaluated")
        contribution = rule.get("Contribution") or {}
        keys = contribution.get("Keys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
            raise RuleSyntaxError(f"Contribution.Keys must list 1-{MAX_KEYS} fields")
        filters = contribution.get("Filters", [])
        if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
            raise RuleSyntaxError(f"Contribution.Filters takes at most {MAX_FILTERS} filters")
        self.aggregate_on = rule.get("AggregateOn")
        if self.aggregate_on not in ("Count", "Sum"):
            raise RuleSyntaxError("AggregateOn must be Count or Sum")
        value_of = contribution.get("ValueOf")
        if (self.aggregate_on == "Sum") != (value_of is not None):
            raise RuleSyntaxError("ValueOf is given exactly when AggregateOn is Sum")
        self.value_of = _path(value_of) if value_of is not None else None
        self.keys = [_path(k) for k in keys]
        self.filters = [_check_filter(f) for f in filters]

    def contributor(self, event: str | Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The contributor ``event`` counts for, or None when the rule does not count it."""
        record = event
        if isinstance(event, str):
            try:
                record = json.loads(event)
            except ValueError:
                return None
        if not isinstance(record, dict):
            return None
        if not all(_passes(_value(record, p), op, arg) for p, op, arg in self.filters):
            return None
        values = tuple(_value(record, p) for p in self.keys)
        if any(v is _MISSING or isinstance(v, dict | list) for v in values):
            return None
        return values

    def amount(self, event: str | Mapping[str, Any]) -> float:
        """What ``event`` adds to its contributor: 1, or the ``ValueOf`` number."""
        if self.value_of is None:
            return 1
        record = json.loads(event) if isinstance(event, str) else event
        value = _value(record, self.value_of)
        return float(value) if _is_number(value) else 0


def contributions(
    body: Mapping[str, Any] | str, events: Iterable[str | Mapping[str, Any]]
) -> dict[tuple[Any, ...], float]:
    """Each contributor's aggregate over ``events`` (log event texts or parsed records)."""
    rule = Rule(body)
    totals: dict[tuple[Any, ...], float] = {}
    for event in events:
        contributor = rule.contributor(event)
        if contributor is not None:
            totals[contributor] = totals.get(contributor, 0) + rule.amount(event)
    return totals


__all__ = ["Rule", "RuleSyntaxError", "contributions"]
