"""The Contributor Insights evaluator, and the proof on the log corpus that the top-offender
rules count exactly the failures the runtime helper writes."""

from __future__ import annotations

import io
import json

import pytest

from tests.corpus.log_lines import CORPUS
from watchkeeper import schema
from watchkeeper.constructs.contributor_insights import RULES, rule_body
from watchkeeper.runtime import get_logger, security_event
from watchkeeper.testing.contributor_insights import Rule, RuleSyntaxError, contributions

GROUP = schema.service_log_group_name("orders")
IP, USER = schema.Field.SOURCE_IP, schema.Field.USER_ID


def _rule(**contribution) -> dict:
    return {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": [GROUP],
            "LogFormat": "JSON", "Contribution": {"Keys": ["$.ip"], **contribution},
            "AggregateOn": "Count"}


# ---------------------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "record", "counted"), [
    ({"Match": "$.m", "In": ["PUT", "POST"]}, {"m": "PUT"}, True),
    ({"Match": "$.m", "In": ["PUT"]}, {"m": "put"}, False),  # case sensitive
    ({"Match": "$.m", "NotIn": ["GET"]}, {"m": "PUT"}, True),
    ({"Match": "$.m", "NotIn": ["GET"]}, {}, False),  # absent: false, even for NotIn
    ({"Match": "$.e", "StartsWith": ["authn_", "x"]}, {"e": "authn_login_fail:joe"}, True),
    ({"Match": "$.e", "StartsWith": ["authn_"]}, {"e": 3}, False),  # strings only
    ({"Match": "$.s", "EqualTo": 200}, {"s": 200}, True),
    ({"Match": "$.s", "EqualTo": 200}, {"s": "200"}, False),  # numbers only
    ({"Match": "$.s", "NotEqualTo": 200}, {"s": 500}, True),
    ({"Match": "$.b", "GreaterThan": 10}, {"b": 11}, True),
    ({"Match": "$.b", "LessThan": 10}, {"b": 10}, False),
    ({"Match": "$.a.b[1].c", "IsPresent": True}, {"a": {"b": [{}, {"c": 1}]}}, True),
    ({"Match": "$.a", "IsPresent": True}, {"a": {"b": 1}}, True),
    ({"Match": "$.z", "IsPresent": False}, {}, True),
    ({"Match": "$.z", "IsPresent": False}, {"z": None}, False),
])
def test_filter_operators(spec, record, counted) -> None:
    rule = Rule(_rule(Filters=[spec]))
    assert (rule.contributor({"ip": "1.2.3.4", **record}) is not None) is counted


def test_contributions_count_per_key_and_skip_what_has_no_key() -> None:
    events = ['{"ip": "a"}', '{"ip": "a"}', '{"ip": "b"}', '{"other": 1}', "not json",
              '["ip"]', '{"ip": {"nested": 1}}']
    assert contributions(_rule(), events) == {("a",): 2, ("b",): 1}


def test_sum_aggregates_value_of() -> None:
    body = {**_rule(ValueOf="$.bytes"), "AggregateOn": "Sum"}
    assert contributions(body, [{"ip": "a", "bytes": 5}, {"ip": "a", "bytes": 7}]) == {
        ("a",): 12}


@pytest.mark.parametrize(("body", "message"), [
    ({**_rule(), "LogFormat": "CLF"}, "only LogFormat JSON"),
    (_rule(Keys=[]), "Keys must list 1-4"),
    (_rule(Keys=["$.a", "$.b", "$.c", "$.d", "$.e"]), "Keys must list 1-4"),
    (_rule(Filters=[{"Match": "$.a", "IsPresent": True}] * 5), "at most 4 filters"),
    (_rule(Filters=[{"Match": "$.a", "In": [str(i) for i in range(11)]}]), "1-10 strings"),
    (_rule(Filters=[{"Match": "$.a", "EqualTo": "200"}]), "takes one number"),
    (_rule(Filters=[{"Match": "$.a", "Like": ["x"]}]), "exactly one operator"),
    (_rule(Keys=["ip"]), "JSON property notation"),
    ({**_rule(), "AggregateOn": "Sum"}, "ValueOf is given exactly when"),
])
def test_rules_outside_the_syntax_are_refused(body, message) -> None:
    with pytest.raises(RuleSyntaxError, match=message):
        Rule(body)


# ---------------------------------------------------------------------------------------
# The proof: watchkeeper's rules on the corpus and on the runtime helper's own records
# ---------------------------------------------------------------------------------------


def _parsed(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@pytest.mark.parametrize("spec", RULES, ids=lambda r: r.suffix)
def test_rules_count_exactly_the_corpus_lines_of_their_metric(spec) -> None:
    rule = Rule(rule_body(spec, [GROUP]))
    counted = {line.id for line in CORPUS if rule.contributor(line.line) is not None}
    expected = {
        line.id for line in CORPUS
        if spec.metric in line.json and spec.key_field in (_parsed(line.line) or {})
    }
    assert counted == expected
    assert expected  # the corpus has such lines: the proof is not vacuous


def _helper_records(**fields: str) -> list[tuple[schema.SecurityEvent, str]]:
    """Every vocabulary event as the runtime helper writes it (one JSON line each)."""
    stream = io.StringIO()
    logger = get_logger("detections-proof", stream=stream, level="DEBUG")
    lines = []
    for event in schema.VOCABULARY.values():
        start = stream.tell()
        security_event(event.name, "joebob1", logger=logger, **fields)
        lines.append((event, stream.getvalue()[start:].strip()))
    return lines


@pytest.mark.parametrize("spec", RULES, ids=lambda r: r.suffix)
def test_rules_count_exactly_the_failures_the_runtime_helper_writes(spec) -> None:
    rule = Rule(rule_body(spec, [GROUP]))
    written = _helper_records(source_ip="203.0.113.7", user_id="joebob1")
    counted = {event.name for event, line in written if rule.contributor(line) is not None}
    assert counted == {e.name for e in schema.events_counted_by(spec.metric)}
    by_key = contributions(rule_body(spec, [GROUP]), [line for _, line in written])
    key = "203.0.113.7" if spec.key_field == IP else "joebob1"
    assert by_key == {(key,): len(counted)}
    # Without the key field the helper's records name no contributor.
    assert all(rule.contributor(line) is None for _, line in _helper_records())


def test_a_category_filter_would_count_successes_too() -> None:
    # Why the rules filter on event names, not on the category: the proof above would
    # catch this looser rule (authn successes counted as failures).
    loose = _rule(Filters=[{"Match": f"$.{schema.Field.CATEGORY}", "In": ["authn"]}],
                  Keys=[f"$.{IP}"])
    rule = Rule(loose)
    counted = {e.name for e, line in _helper_records(source_ip="203.0.113.7")
               if rule.contributor(line) is not None}
    assert "authn_login_success" in counted
