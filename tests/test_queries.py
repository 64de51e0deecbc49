"""The query catalogue: texts pinned through the checker, built from the schema."""

from __future__ import annotations

import pytest

from watchkeeper import schema
from watchkeeper.insights import check_query
from watchkeeper.queries import (
    CATALOGUE,
    SavedQuery,
    get_query,
    query_names,
    render_for_widget,
)

#: The issue's list: every question must have a query.
REQUIRED = {
    "recent-errors",
    "trace-request",
    "user-activity",
    "auth-failures-by-source",
    "authz-failures-by-resource",
    "validation-failures-by-field",
    "slowest-invocations",
    "cold-starts",
    "timeouts",
    "top-error-types",
}


def test_catalogue_covers_the_issue_and_names_are_unique() -> None:
    names = query_names()
    assert REQUIRED <= set(names)
    assert len(names) == len(set(names))
    # the names the CLI relies on
    assert {"recent-errors", "trace-request", "user-activity"} <= set(names)


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_each_query_has_a_when_to_run_description_and_passes_the_checker(
    query: SavedQuery,
) -> None:
    assert len(query.description) > 60
    assert query.title
    assert check_query(query.text) == []
    assert "SOURCE" not in query.text  # log groups come from the definition / widget


def test_recent_errors_reads_native_runtime_and_powertools_records() -> None:
    text = get_query("recent-errors").text
    assert f"coalesce({schema.Field.LEVEL}, {schema.RuntimeErrorField.LEVEL})" in text
    for name in (
        schema.Field.STACK_TRACE,
        schema.PowertoolsField.STACK_TRACE,
        schema.PowertoolsField.EXCEPTION,
        schema.Field.ERROR_TYPE,
        schema.PowertoolsField.EXCEPTION_NAME,
        schema.PowertoolsField.REQUEST_ID,
    ):
        assert name in text
    for level in schema.ERROR_LEVELS:
        assert f'"{level}"' in text
    assert schema.TEXT_ERROR_MARKER in text


def test_trace_request_is_parameterised_inside_string_literals() -> None:
    query = get_query("orders/trace-request")
    assert query.parameters == ("requestId",)
    assert query.text.count('"{{requestId}}"') == 3
    for field in (
        schema.Field.REQUEST_ID,
        schema.PowertoolsField.REQUEST_ID,
        schema.PlatformField.REQUEST_ID,
    ):
        assert f'{field} = "{{{{requestId}}}}"' in query.text
    substituted = query.substitute(requestId='abc"1')
    assert 'requestId = "abc\\"1"' in substituted
    assert check_query(substituted) == []


def test_user_activity_takes_a_user_id() -> None:
    query = get_query("user-activity")
    assert query.parameters == ("userId",)
    assert f'{schema.Field.USER_ID} = "{{{{userId}}}}"' in query.text


def test_security_queries_match_exactly_the_events_of_their_metric() -> None:
    authn = get_query("auth-failures-by-source").text
    for event in schema.events_counted_by(schema.SecurityMetric.AUTHN_FAILURES):
        assert any(event.name.startswith(p) for p in _regex_prefixes(authn))
    for name, event in schema.VOCABULARY.items():
        if event.metric != schema.SecurityMetric.AUTHN_FAILURES:
            assert not any(name.startswith(p) for p in _regex_prefixes(authn)), name
    assert "bin(1h)" in authn and schema.Field.SOURCE_IP in authn and schema.Field.USER_ID in authn
    validation = get_query("validation-failures-by-field").text
    assert _regex_prefixes(validation) == ["input_"]


def _regex_prefixes(text: str) -> list[str]:
    start = text.index("/^(") + 3
    return text[start : text.index(")/", start)].split("|")


def test_platform_queries_read_the_platform_report() -> None:
    for name in ("slowest-invocations", "cold-starts"):
        text = get_query(name).text
        assert f'type = "{schema.PlatformType.REPORT}"' in text
    assert schema.PlatformField.MAX_MEMORY_USED_MB in get_query("slowest-invocations").text
    assert schema.PlatformField.INIT_DURATION_MS in get_query("cold-starts").text
    timeouts = get_query("timeouts").text
    assert f'"{schema.PlatformStatus.TIMEOUT}"' in timeouts
    assert schema.TEXT_TIMEOUT_MARKER in timeouts


def test_render_for_widget_prefixes_sources() -> None:
    text = render_for_widget(get_query("top-error-types"), ["/a", "/b"])
    assert text.startswith("SOURCE '/a' | SOURCE '/b' | fields ")
    assert "\n" not in text
    assert check_query(text) == []


def test_render_for_widget_refuses_parameters_and_too_many_groups() -> None:
    with pytest.raises(ValueError, match="takes parameters"):
        render_for_widget(get_query("trace-request"), ["/a"])
    with pytest.raises(ValueError, match="at most 50"):
        render_for_widget(get_query("timeouts"), [f"/g{i}" for i in range(51)])
    with pytest.raises(ValueError, match="at least one log group"):
        render_for_widget(get_query("timeouts"), [])


def test_get_query_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown query 'nope': use one of recent-errors"):
        get_query("nope")


def test_full_name_uses_the_schema_folder() -> None:
    assert get_query("cold-starts").full_name("orders") == "orders/cold-starts"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Bad Name"}, "SavedQuery name='Bad Name' is not allowed"),
        ({"title": ""}, "SavedQuery title='' must be a non-empty string"),
        ({"widget_view": "graph"}, "widget_view='graph' is not allowed"),
        ({"text": 'filter a = "{{x}}"'}, "parameters=[] but the text uses placeholders ['x']"),
    ],
)
def test_saved_query_validation(kwargs: dict, message: str) -> None:
    base = {"name": "mine", "title": "Mine", "description": "When", "text": "fields a"}
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        SavedQuery(**{**base, **kwargs})


def test_substitute_checks_values() -> None:
    query = get_query("user-activity")
    with pytest.raises(ValueError, match="needs a value for userId"):
        query.substitute()
    with pytest.raises(ValueError, match="has no parameter requestId"):
        query.substitute(userId="u", requestId="r")


def test_every_query_name_in_the_schema_is_in_the_catalogue() -> None:
    from watchkeeper import schema

    names = {v for k, v in vars(schema.QueryName).items() if k.isupper()}
    assert names == {q.name for q in CATALOGUE}
