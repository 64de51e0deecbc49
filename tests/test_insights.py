"""The offline Logs Insights checker: one good and one bad query per rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper import queries
from watchkeeper.insights import COMMANDS, FUNCTIONS, check_query, validate_query


@pytest.mark.parametrize("query", queries.CATALOGUE, ids=lambda q: q.name)
def test_every_catalogue_query_passes(query: queries.SavedQuery) -> None:
    assert check_query(query.text) == []


@pytest.mark.parametrize(
    "text",
    [
        "fields @timestamp, @message | sort @timestamp desc | limit 20",
        "SOURCE '/aws/lambda/a' | SOURCE 'b' | fields @message",
        'filter level = "ERROR" and strlen(message) > 3 | stats count(*) by bin(5m)',
        "stats avg(@duration), pct(@duration, 99) by bin(1h)",
        "parse @message /user=(?<user>\\S+)/ | stats count(*) by user",
        'parse @message "* [*] *" as a, b, c | display a, b',
        "fields @maxMemoryUsed / 1000 / 1000 as mb | sort mb desc",
        'filter event like /^authn_/ and userId in ["a", "b"]',
        'fields toupper(concat(a, "-", b)) as ab, datefloor(@timestamp, 1h) as hour',
        'filter userId = "{{userId}}"',
        "fields `weird-field` | limit 10000",
        "fields @message | limit 100000",
        "filterIndex requestId = 'x' | fields @message",
    ],
)
def test_valid_queries_pass(text: str) -> None:
    assert check_query(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fitler level = 'ERROR'", "'fitler' is not a Logs Insights command"),
        ("Fields @message", "write it as fields"),
        ("fields @message | stats cnt(*)", "unknown function 'cnt'"),
        ("fields ToUpper(message)", "write it as toupper"),
        ("fields count(*) as n", "count() can only be used in a stats command"),
        ("fields @message | filter bin(5m) > 1", "bin() can only be used in a stats command"),
        ("filter ispresent(a, b)", "ispresent() takes 1 argument(s), got 2"),
        ("stats pct(@duration) by bin(1h)", "pct() takes 2 argument(s), got 1"),
        ("fields replace(a, b)", "replace() takes 3 argument(s), got 2"),
        ("fields concat(a, b", "'(' at character 13 is not closed"),
        ("fields a) | limit 1", "unmatched ')'"),
        ("filter a in [1, 2)", "unmatched ')'"),
        ('filter a = "open', "unterminated string literal"),
        ("fields `open", "unterminated backtick name"),
        ("filter a like /open", "unterminated regex literal"),
        ("filter userId = {{userId}}", "outside a string literal"),
        ('filter userId = "{{user id}}"', "a parameter name starts with a letter"),
        ("fields a | SOURCE 'lg'", "SOURCE commands must come before every other command"),
        ("SOURCE lg | fields a", "SOURCE takes one quoted log group name"),
        ("SOURCE 'a'", "no command besides SOURCE"),
        ("fields a | limit 0", "limit takes one whole number from 1 to 100000"),
        ("fields a | limit 100001", "limit takes one whole number"),
        ("fields a | limit", "limit needs an argument"),
        ("stats a by b", "stats needs an aggregation function"),
        ("fields a || fields b", "command 2 is empty"),
        ("fields a |", "command 2 is empty"),
        ("", "the query is empty"),
        ("fields a # comment", "unexpected character '#'"),
    ],
)
def test_each_rule_reports_its_problem(text: str, expected: str) -> None:
    problems = check_query(text)
    assert any(expected in p for p in problems), problems


def test_too_long_query() -> None:
    text = "fields " + ", ".join(f"f{i}" for i in range(2000))
    assert len(text) > 10_000
    assert any("CloudWatch allows 10000" in p for p in check_query(text))


def test_more_than_50_sources() -> None:
    text = " | ".join(f"SOURCE 'g{i}'" for i in range(51)) + " | fields @message"
    assert any("at most 50" in p for p in check_query(text))
    ok = " | ".join(f"SOURCE 'g{i}'" for i in range(50)) + " | fields @message"
    assert check_query(ok) == []


def test_validate_query_names_the_option_and_the_first_problem() -> None:
    with pytest.raises(ValueError, match=r"^extra_queries\[0\] is not a valid .*'fitler'"):
        validate_query("fitler x = 1", "extra_queries[0]")
    assert validate_query("fields a", "q") == "fields a"


def test_not_a_string() -> None:
    assert check_query(None) == ["a query must be a string, got NoneType"]  # type: ignore[arg-type]


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)


@given(_words)
def test_any_unknown_command_word_fails(word: str) -> None:
    problems = check_query(f"{word} @message")
    if word in COMMANDS:
        assert not any("is not a Logs Insights command" in p for p in problems)
    else:
        assert any(f"{word!r} is not a Logs Insights command" in p for p in problems)


@given(_words)
def test_any_unknown_function_fails(word: str) -> None:
    problems = check_query(f"fields {word}(message) as x")
    if word in FUNCTIONS or word in {
        "and",
        "or",
        "not",
        "in",
        "like",
        "as",
        "by",
        "asc",
        "desc",
        "with",
    }:
        return
    assert any(f"unknown function {word!r}" in p for p in problems)


@pytest.mark.parametrize("query", queries.CATALOGUE, ids=lambda q: q.name)
def test_a_typo_in_any_catalogue_command_is_caught(query: queries.SavedQuery) -> None:
    lines = query.text.split("\n")
    for index, line in enumerate(lines):
        broken = list(lines)
        head = line.lstrip("| ")
        word = head.split()[0]
        broken[index] = line.replace(word, word[::-1] + "x", 1)
        assert check_query("\n".join(broken)), f"typo in {word!r} of {query.name} not caught"
