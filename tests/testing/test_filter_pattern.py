"""The filter pattern evaluator, rule by rule, against the documented CloudWatch semantics."""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.testing import FilterPatternSyntaxError, matches, parse_pattern
from watchkeeper.testing.filter_pattern import MAX_REGEX_PATTERNS_PER_LOG_GROUP, has_regex

# The example document of the CloudWatch Logs documentation (compound conditions section).
DOC = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [
            {"id": 2, "email": "John.Doe@example.com"},
            {"id": 3, "email": "Jane.Doe@example.com"},
        ],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "SomeObject": None,
        "ThisFlag": True,
        "OtherFlag": False,
        "latency": 750,
        "ratio": 0.25,
        "code": "400",
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Documented examples.
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress = 111.111.* }", True),
        ('{ $.actions[0] = "GET" }', True),
        ("{ $.users[1].id = 3 }", True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.OtherFlag IS FALSE }", True),
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch'
            " && $.actions[2] = nomatch }",
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch)'
            " && $.actions[2] = nomatch }",
            False,
        ),
        ("{ $.coordinates[2][0] = 7 }", True),
        # Case sensitivity of values and keys.
        ('{ $.eventType = "updatetrail" }', False),
        ('{ $.EventType = "UpdateTrail" }', False),
        # Wildcards: prefix, suffix, both ends, alone; a middle '*' is a literal.
        ('{ $.eventType = "*Trail" }', True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "*dateTr*" }', True),
        ('{ $.eventType = "*" }', True),
        ('{ $.eventType = "Up*ail" }', False),
        ('{ $.eventType != "Update*" }', False),
        # Numbers.
        ("{ $.latency > 500 }", True),
        ("{ $.latency >= 750 }", True),
        ("{ $.latency < 750 }", False),
        ("{ $.latency <= 7.5e2 }", True),
        ("{ $.latency = 750.0 }", True),
        ("{ $.latency != 750 }", False),
        ("{ $.latency > +1000 }", False),
        ("{ $.ratio < 10e-1 }", True),
        ("{ $.code = 400 }", True),  # a bare number equals a string textually
        ("{ $.code > 300 }", False),  # ordering applies to JSON numbers only
        # Selectors on objects, arrays, missing fields: never a match, '!=' included.
        ("{ $.users = 1 }", False),
        ("{ $.users != 1 }", False),
        ('{ $.user != "x" }', False),
        ('{ $.missing != "x" }', False),
        ("{ $.missing IS NULL }", False),
        ('{ $.actions[7] = "GET" }', False),
        ('{ $.eventType[0] = "U" }', False),
        ("{ $.eventType NOT EXISTS }", False),
        ("{ $.eventType.sub NOT EXISTS }", True),
        # true/false/null are only reached by IS TRUE / IS FALSE / IS NULL.
        ("{ $.ThisFlag = true }", False),
        ("{ $.SomeObject = null }", False),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.eventType IS TRUE }", False),
        # Precedence: && binds tighter than ||.
        ('{ $.eventType = "x" && $.latency = 1 || $.user.id = 1 }', True),
        ('{ $.eventType = "x" && ($.latency = 1 || $.user.id = 1) }', False),
    ],
)
def test_json_pattern_on_the_documented_example(pattern: str, expected: bool) -> None:
    assert matches(pattern, DOC) is expected


@pytest.mark.parametrize(
    "line",
    ["not json at all", "[1, 2, 3]", '"a string"', "42", '{"level": "ERROR"', ""],
)
def test_json_pattern_never_matches_a_line_that_is_not_a_json_object(line: str) -> None:
    assert not matches('{ $.level = "ERROR" || $.level NOT EXISTS }', line)


def test_json_pattern_reads_nested_objects_and_quoted_values_with_escapes() -> None:
    line = '{"record": {"metrics": {"initDurationMs": 245.3}}, "msg": "say \\"hi\\""}'
    assert matches("{ $.record.metrics.initDurationMs > 0 }", line)
    assert matches('{ $.msg = "say \\"hi\\"" }', line)


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        ("ERROR", "[ERROR] A fatal exception has occurred", True),
        ("ERROR", "Exiting with ERRORCODE: -1", True),  # terms match inside words
        ("ERROR", "error: lower case", False),  # case-sensitive
        ('"ERROR" - "Exiting"', "Exiting with ERRORCODE: -1", False),
        ("ERROR -Exiting", "[ERROR] A fatal exception has occurred", True),
        ("ERROR Exception", "[ERROR] Caught IllegalArgumentException", True),
        ("ERROR Exception", "[ERROR] Caught nothing", False),
        ('"Failed to process"', "[WARN] Failed to process the request", True),
        ('"Failed to process"', "[WARN] Failed at once to process", False),
        ("Failed to process", "[WARN] Failed at once to process", True),
        ("?ERROR ?WARN", "WARN message", True),
        ("?ERROR ?WARN", "INFO message", False),
        ('?"[ERROR]" ?"Task timed out after"', "x Task timed out after 3.00 seconds", True),
        ("ERROR WARN", "ERROR message", False),
        ("ERROR -WARN", "ERROR WARN message", False),
        ('"a \\"quoted\\" word"', 'say a "quoted" word', True),
        ("", "anything", True),
        ('""', "anything", True),
        ("   ", "", True),
    ],
)
def test_term_patterns(pattern: str, line: str, expected: bool) -> None:
    assert matches(pattern, line) is expected


def test_parse_once_match_many() -> None:
    parsed = parse_pattern('{ $.level = "ERROR" }')
    assert parsed.kind == "json"
    assert [parsed.matches(f'{{"level": "{lvl}"}}') for lvl in ("ERROR", "INFO")] == [True, False]
    assert parse_pattern("").kind == "all"
    assert parse_pattern("?a ?b").kind == "terms"


@pytest.mark.parametrize(
    ("pattern", "position", "message"),
    [
        ("{ $.a = }", 8, "expected a value after '='"),
        ('{ $.a = "x" ', 12, "closing '}'"),
        ('{ $.a = "x" } trailing', 14, "unexpected text after the closing"),
        ("{ }", 2, "expected a condition"),
        ('{ level = "x" }', 2, "expected a selector starting with '$.'"),
        ("{ $ = 1 }", 2, "at least one property"),
        ("{ $[0] = 1 }", 3, "must follow a property"),
        ("{ $.a[x] = 1 }", 5, "array index"),
        ("{ $.a EXISTS }", 6, "IS NULL / IS TRUE / IS FALSE / NOT EXISTS"),
        ("{ $.a IS NOT NULL }", 6, "IS NOT are not supported"),
        ("{ $.a is null }", 6, "expected an operator"),
        ('{ $.a < "x" }', 8, "needs a number"),
        ("{ $.a = 'x' }", 8, "single quotes"),
        ('{ $.a = "x }', 8, "never closed"),
        ('{ ($.a = "x" }', 13, "expected ')'"),
        ('{ $.a = "x" $.b = "y" }', 12, "expected '&&', '||'"),
        ("{ $.a = %a b% }", 10, "a space is not allowed in a regular expression"),
        ("{ $.a > %ab% }", 8, "a regular expression needs '=' or '!='"),
        ("{ $.a = %a% || $.b = %b% || $.c = %c% }", 34, "at most 2 regular expressions"),
        ("foo.bar", 0, "put it in double quotes"),
        ('"unterminated', 0, "never closed"),
        ('"a"b', 3, "expected a space between terms"),
        ("ERROR -", 6, "expected a term after '-'"),
        ("?ERROR WARN", 0, "mixing '?term'"),
        ("'single'", 0, "single quotes"),
        ("[ip, user, status_code=4*]", 0, "space-delimited patterns"),
        ("%ERROR|WARN% extra", 12, "must be the whole pattern"),
        ("%ERR(OR)%", 4, "'(' is not allowed in a regular expression"),
        ('%"quoted"%', 1, "is not allowed in a regular expression"),
        ("%ERR", 0, "never closed"),
        ("%%", 0, "is empty"),
        ("%\\tERROR%", 1, "the escape '\\t' is not one CloudWatch documents"),
        ("%[ERROR%", 0, "not valid"),
    ],
)
def test_syntax_errors_name_position_and_expectation(
    pattern: str, position: int, message: str
) -> None:
    with pytest.raises(FilterPatternSyntaxError, match=re.escape(message)) as info:
        parse_pattern(pattern)
    assert info.value.position == position
    assert f"at position {position}" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        ("%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", True),
        ("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", True),
        ("%^AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", False),
        ("%^\\[ERROR\\]%", "[ERROR]\t2024-05-01T10:00:00Z\tid\tboom", True),
        ("%^\\[ERROR\\]%", "[INFO]\t2024-05-01T10:00:00Z\tid\t[ERROR] in a message", False),
        ("%^starting|^initializing%", "initializing cache", True),
        ("%^starting|^initializing%", "skipping initializing", False),
        ("%[hc]at$%", "the cat", True),
        ("%[hc]at$%", "the cats", False),
        ("%colou?r%", "color", True),
        ("%a{3,5}%", "aaa", True),
        ("%a{3,5}%", "aa", False),
        ("%\\d\\s\\S+%", "1\tx", True),
        ("%\\w%", "é", False),
        ("%\\x3A%", "a:b", True),
        ("%10\\.10\\.0\\.1%", "10010,051", False),
        ("%10.10.0.1%", "10010,051", True),
        ("%^REPORT.*timeout%", "REPORT x\nStatus: timeout", True),
        ("%^ERROR%", '{"level":"ERROR"}', False),
        ("{ $.eventType = %Trail% }", '{"eventType":"UpdateTrail"}', True),
        ("{ $.eventType != %Trail% }", '{"eventType":"UpdateTrail"}', False),
        ("{ $.level = %^ERR% }", '{"level":"WARN ERR"}', False),
        ("{ $.level = %^ERR% }", '{"level":{"x":"ERR"}}', False),
    ],
)
def test_regular_expressions_follow_the_documented_semantics(
    pattern: str, line: str, expected: bool
) -> None:
    assert matches(pattern, line) is expected


def test_has_regex_counts_patterns_against_the_per_log_group_quota() -> None:
    assert MAX_REGEX_PATTERNS_PER_LOG_GROUP == 5
    assert has_regex("%ERROR%")
    assert has_regex("{ $.a = %x% }")
    assert not has_regex('{ $.a = "100%" }')
    assert not has_regex('"100%"')
    assert not has_regex('?ERROR ?"[CRITICAL]"')


def test_patterns_over_1024_characters_are_refused() -> None:
    longest = '"' + "x" * 1022 + '"'
    assert parse_pattern(longest).matches("x" * 1022)
    with pytest.raises(FilterPatternSyntaxError, match="1025 characters long; CloudWatch allows"):
        parse_pattern(longest + " ")


def test_pattern_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        parse_pattern(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

WORD = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12)
LINE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=200, deadline=None)
@given(before=LINE_TEXT, word=WORD, after=LINE_TEXT)
def test_a_word_taken_from_the_line_always_matches_and_its_exclusion_never(
    before: str, word: str, after: str
) -> None:
    line = f"{before} {word} {after}"
    assert matches(word, line)
    assert matches(f'"{word}"', line)
    assert matches(f"?{word} ?zzz_not_there_zzz", line)
    assert not matches(f"-{word}", line)


@settings(max_examples=200, deadline=None)
@given(key=WORD.filter(lambda k: "-" not in k), value=WORD, other=WORD)
def test_json_equality_matches_exactly_the_logged_value(key: str, value: str, other: str) -> None:
    line = json.dumps({key: value})
    assert matches(f'{{ $.{key} = "{value}" }}', line)
    assert matches(f'{{ $.{key} = "{other}" }}', line) is (other == value)
    assert matches(f'{{ $.{key} != "{other}" }}', line) is (other != value)
    assert matches(f'{{ $.{key} = "{value[:1]}*" }}', line)


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="{}[]()$.=!<>&|?-\"* \\aAzZ09%'ISNULTRFXE", max_size=40))
def test_any_text_either_parses_or_raises_the_syntax_error(pattern: str) -> None:
    try:
        parsed = parse_pattern(pattern)
    except FilterPatternSyntaxError as error:
        assert 0 <= error.position <= len(pattern)
        return
    assert parsed.matches('{"a": 1}') in (True, False)
