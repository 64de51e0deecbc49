"""Saved query definitions on a synthesized app: names, texts, log groups, parameters."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from insights_app import EXTRA_QUERY, resources, synth

from watchkeeper import InsightsOptions, ServiceMonitoring
from watchkeeper.insights import check_query
from watchkeeper.queries import CATALOGUE, SavedQuery

QD = "AWS::Logs::QueryDefinition"


@pytest.fixture(scope="module")
def orders_queries() -> dict[str, dict]:
    return {
        v["Properties"]["Name"]: v["Properties"] for v in resources(synth().orders, QD).values()
    }


def test_one_definition_per_catalogue_query_plus_the_extra_one(orders_queries) -> None:
    expected = {f"orders/{q.name}" for q in CATALOGUE} | {f"orders/{EXTRA_QUERY.name}"}
    assert set(orders_queries) == expected
    assert len(synth().orders_mon.saved_queries) == len(expected)


@pytest.mark.parametrize("query", [*CATALOGUE, EXTRA_QUERY], ids=lambda q: q.name)
def test_text_is_the_catalogue_text_and_passes_the_checker(
    orders_queries, query: SavedQuery
) -> None:
    props = orders_queries[f"orders/{query.name}"]
    assert props["QueryString"] == query.text
    assert check_query(props["QueryString"]) == []


def test_each_query_names_the_service_log_groups(orders_queries) -> None:
    group = synth().logical_ids["group"]
    for props in orders_queries.values():
        # the service log group (every owned function writes there), then the imported one
        assert props["LogGroupNames"] == [{"Ref": group}, "/aws/lambda/orders-legacy"]


def test_parameters_are_declared(orders_queries) -> None:
    assert orders_queries["orders/trace-request"]["Parameters"] == [
        {"Name": "requestId", "Description": "The Lambda request id to follow"}
    ]
    assert orders_queries["orders/user-activity"]["Parameters"][0]["Name"] == "userId"
    assert "Parameters" not in orders_queries["orders/recent-errors"]


def test_more_than_50_log_groups_split_into_parts() -> None:
    queries = {
        v["Properties"]["Name"]: v["Properties"] for v in resources(synth().big, QD).values()
    }
    first, second = queries["big/recent-errors"], queries["big/recent-errors-part-2"]
    assert len(first["LogGroupNames"]) == 50
    assert len(second["LogGroupNames"]) == 1
    # service log group first, then the imported functions' groups in name order
    assert first["LogGroupNames"][1:3] == ["/aws/lambda/big-fn-00", "/aws/lambda/big-fn-01"]
    assert second["LogGroupNames"] == ["/aws/lambda/big-fn-49"]
    assert len(queries) == 2 * len(CATALOGUE)


def test_stable_logical_ids() -> None:
    ids = set(resources(synth().big, QD))
    assert "MonitoringSavedQueriesQueryrecenterrors6DCB0401" in ids
    assert "MonitoringSavedQueriesQueryrecenterrorspart28588133A" in ids


def test_custom_query_that_fails_the_checker_is_refused_at_construction() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    bad = SavedQuery(name="mine", title="Mine", description="When", text="fitler a = 1")
    with pytest.raises(
        ValueError, match=r"extra_queries\['mine'\].text is not a valid Logs .*'fitler'"
    ):
        ServiceMonitoring(stack, "M", service_name="orders",
                          insights=InsightsOptions(extra_queries=[bad]))


def test_custom_query_name_clash_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    clash = SavedQuery(name="recent-errors", title="x", description="y", text="fields a")
    with pytest.raises(ValueError, match="already taken"):
        ServiceMonitoring(stack, "M", service_name="orders",
                          insights=InsightsOptions(extra_queries=[clash]))


def test_extra_queries_must_be_saved_queries() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="extra_queries contains 'fields a'"):
        ServiceMonitoring(stack, "M", service_name="orders",
                          insights=InsightsOptions(extra_queries=["fields a"]))
