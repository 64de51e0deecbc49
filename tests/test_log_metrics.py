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
