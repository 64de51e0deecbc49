"""The log metrics' patterns, proven line by line against the corpus in tests/corpus."""

from __future__ import annotations

import pytest

from tests.corpus.log_lines import CORPUS, CorpusLine
from watchkeeper import schema
from watchkeeper.log_metrics import (
    COMPACT_METRIC_NAMES,
    LOG_METRICS,
    MAX_PATTERN_LENGTH,
    LogMetric,
    combined_json_pattern,
    health_metrics,
    log_metric,
    security_events_metric,
    security_metrics,
)
from watchkeeper.testing import parse_pattern

ERRORS_NAME = schema.HealthMetric.ERRORS

JSON_PATTERNS = {name: parse_pattern(m.json_pattern) for name, m in LOG_METRICS.items()}
TEXT_PATTERNS = {
    name: parse_pattern(m.text_pattern) for name, m in LOG_METRICS.items() if m.text_pattern
}


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.id)
def test_json_patterns_count_exactly_the_expected_metrics(entry: CorpusLine) -> None:
    counted = {name for name, p in JSON_PATTERNS.items() if p.matches(entry.line)}
    assert counted == entry.json


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.id)
def test_text_patterns_count_exactly_the_expected_metrics(entry: CorpusLine) -> None:
    counted = {name for name, p in TEXT_PATTERNS.items() if p.matches(entry.line)}
    assert counted == entry.text


TRAPS = [e for e in CORPUS if e.group == "trap"]


@pytest.mark.parametrize("entry", TRAPS, ids=lambda e: e.id)
def test_no_pattern_counts_a_word_inside_a_message(entry: CorpusLine) -> None:
    # What a group of any format would count: its JSON filters and its text filters.
    patterns = [*JSON_PATTERNS.items(), *TEXT_PATTERNS.items()]
    counted = {name for name, p in patterns if p.matches(entry.line)}
    assert counted == set()


def test_traps_cover_every_runtime_format_and_marker() -> None:
    notes = " ".join(e.note for e in TRAPS)
    for form in ("JSON INFO", "Python text INFO", "Node text INFO", "log4j INFO",
                 "Java LambdaLogger INFO", "print()"):
        assert form in notes
    lines = " ".join(e.line for e in TRAPS)
    for marker in ("ERROR", "FATAL", "[CRITICAL]", "[ERROR]", "Task timed out", "REPORT"):
        assert marker in lines
    assert len(TRAPS) >= 50


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.id)
def test_a_text_format_group_counts_no_event_twice(entry: CorpusLine) -> None:
    # Its JSON and text filters publish to the same metric: they must never both match.
    for name, text in TEXT_PATTERNS.items():
        assert not (text.matches(entry.line) and JSON_PATTERNS[name].matches(entry.line)), name


def test_every_runtime_has_real_error_lines_in_the_corpus() -> None:
    notes = {e.note for e in CORPUS if ERRORS_NAME in e.json | e.text}
    for expected in (
        "unhandled exception, JSON",
        "unhandled exception, Text",
        "Python init failure, Text",
        "Node.js console.error, Text",
        "Node.js Text-format error",
        "Node.js Invoke Error, JSON",
        "Java LambdaLogger ERROR",
        "Java LambdaLogger ERROR, JSON",
        "Java log4j2 Lambda appender ERROR",
    ):
        assert expected in notes


def test_text_patterns_are_regexes_anchored_at_the_start_of_the_event() -> None:
    for metric in health_metrics():
        assert metric.text_pattern is not None
        assert parse_pattern(metric.text_pattern).kind == "regex"
        alternatives = metric.text_pattern.strip("%").split("|")
        assert all(a.startswith("^") for a in alternatives), metric.name


def test_corpus_exercises_every_metric_positively() -> None:
    json_hits = set().union(*(e.json for e in CORPUS))
    text_hits = set().union(*(e.text for e in CORPUS))
    assert json_hits == set(LOG_METRICS)
    assert text_hits == set(TEXT_PATTERNS)


def test_every_counted_vocabulary_event_is_in_the_corpus() -> None:
    notes = {e.note for e in CORPUS if e.group == "security"}
    assert set(schema.VOCABULARY) <= notes


def test_metric_names_and_kinds_come_from_the_schema() -> None:
    assert [m.name for m in health_metrics()] == [
        schema.HealthMetric.ERRORS,
        schema.HealthMetric.TIMEOUTS,
        schema.HealthMetric.OUT_OF_MEMORY,
        schema.HealthMetric.COLD_STARTS,
    ]
    assert [m.name for m in security_metrics()] == list(schema.security_metric_names())
    assert {m.kind for m in health_metrics()} == {"health"}
    assert {m.kind for m in security_metrics()} == {"security"}
    assert all(m.text_pattern is None for m in security_metrics())
    assert all(m.unit == "Count" for m in LOG_METRICS.values())


def test_every_pattern_fits_cloudwatch_limit() -> None:
    for metric in LOG_METRICS.values():
        assert len(metric.json_pattern) <= MAX_PATTERN_LENGTH
        assert metric.text_pattern is None or len(metric.text_pattern) <= MAX_PATTERN_LENGTH


def test_security_patterns_use_the_schema_globs() -> None:
    for metric in security_metrics():
        for glob in schema.event_name_globs(metric.name):
            assert f'$.{schema.Field.EVENT} = "{glob}"' in metric.json_pattern


def test_security_events_metric_counts_what_any_security_metric_counts() -> None:
    combined = parse_pattern(security_events_metric().json_pattern)
    singles = [parse_pattern(m.json_pattern) for m in security_metrics()]
    for entry in CORPUS:
        assert combined.matches(entry.line) == any(p.matches(entry.line) for p in singles)


def test_compact_set_is_errors_timeouts_and_security_events() -> None:
    assert COMPACT_METRIC_NAMES == ("Errors", "Timeouts", "SecurityEvents")


def test_combined_json_pattern_matches_the_union() -> None:
    metrics = [log_metric("Timeouts"), log_metric("OutOfMemory")]
    pattern = parse_pattern(combined_json_pattern(metrics))
    singles = [parse_pattern(m.json_pattern) for m in metrics]
    hits = 0
    for entry in CORPUS:
        expected = any(p.matches(entry.line) for p in singles)
        hits += expected
        assert pattern.matches(entry.line) == expected
    assert hits >= 3


def test_combined_json_pattern_refuses_overlong_and_empty() -> None:
    big = LogMetric("Big", "health", "x", "{ " + " || ".join(['$.a = "b"'] * 60) + " }", None)
    with pytest.raises(ValueError, match="at most 1024"):
        combined_json_pattern([big, big])
    with pytest.raises(ValueError, match="at least one"):
        combined_json_pattern([])


def test_log_metric_validation() -> None:
    with pytest.raises(ValueError, match="kind 'other'"):
        LogMetric("X", "other", "x", '{ $.a = "b" }', None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most 1024"):
        LogMetric("X", "health", "x", "{ " + "a" * 1030 + " }", None)
    with pytest.raises(ValueError, match="must be a JSON pattern"):
        LogMetric("X", "health", "x", "ERROR", None)
    with pytest.raises(ValueError, match="'Nope' is not a watchkeeper log metric.*Errors"):
        log_metric("Nope")
