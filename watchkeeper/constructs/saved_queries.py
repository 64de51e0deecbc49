"""Saved Logs Insights queries: one ``AWS::Logs::QueryDefinition`` per catalogue query.

Each definition is named ``<service>/<query name>`` (the console shows a ``<service>``
folder), is scoped to the service's log groups and carries the query's ``{{parameters}}``
as CloudWatch query parameters. A query definition may name at most 50 log groups: with
more, the query is saved once per 50 groups as ``<name>``, ``<name>-part-2``, ... in the
order of the groups, so the same app always gives the same definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.dashboard_layout import chunk
from watchkeeper.insights import validate_query
from watchkeeper.limits import MAX_LOG_GROUPS_PER_QUERY
from watchkeeper.limits import MAX_QUERY_DEFINITION_NAME_LENGTH as MAX_QUERY_DEFINITION_NAME
from watchkeeper.queries import CATALOGUE, SavedQuery


def validate_extra_queries(
    queries: Sequence[SavedQuery] | None, option: str
) -> tuple[SavedQuery, ...]:
    """Check users' own queries: type, unique names, and the Logs Insights checker."""
    if queries is None:
        return ()
    if isinstance(queries, SavedQuery) or isinstance(queries, str):
        raise ValueError(f"{option} must be a list of watchkeeper.queries.SavedQuery")
    taken = {q.name for q in CATALOGUE}
    out: list[SavedQuery] = []
    for query in queries:
        if not isinstance(query, SavedQuery):
            raise ValueError(
                f"{option} contains {query!r}: use watchkeeper.queries.SavedQuery(name, title, "
                "description, text, parameters)"
            )
        if query.name in taken:
            raise ValueError(
                f"{option} contains a query named {query.name!r}, which is already taken "
                "(by the catalogue or an earlier extra query); choose another name"
            )
        validate_query(query.text, f"{option}[{query.name!r}].text")
        taken.add(query.name)
        out.append(query)
    return tuple(out)


def definition_names(service: str, query: SavedQuery, parts: int) -> list[str]:
    base = query.full_name(service)
    names = [base if i == 0 else f"{base}-part-{i + 1}" for i in range(parts)]
    for name in names:
        if len(name) > MAX_QUERY_DEFINITION_NAME:
            raise ValueError(
                f"saved query name {name!r} is longer than {MAX_QUERY_DEFINITION_NAME} characters"
            )
    return names


def create_saved_queries(
    scope: Construct,
    *,
    service: str,
    log_group_names: Sequence[Any],
    queries: Sequence[SavedQuery] = CATALOGUE,
) -> list[logs.CfnQueryDefinition]:
    """One query definition per query and per 50 log groups (literal names or tokens)."""
    groups = list(log_group_names)
    created: list[logs.CfnQueryDefinition] = []
    if not groups:
        return created
    parts = chunk(groups, MAX_LOG_GROUPS_PER_QUERY)
    for query in queries:
        validate_query(query.text, f"query {query.full_name(service)!r}")
        descriptions = dict(query.parameter_descriptions)
        parameters = [
            logs.CfnQueryDefinition.QueryParameterProperty(
                name=p, description=descriptions.get(p, f"Value of {p}")
            )
            for p in query.parameters
        ] or None
        names = definition_names(service, query, len(parts))
        for index, (name, part) in enumerate(zip(names, parts, strict=True)):
            construct_id = f"Query-{query.name}" + ("" if index == 0 else f"-part-{index + 1}")
            created.append(
                logs.CfnQueryDefinition(
                    scope,
                    construct_id,
                    name=name,
                    query_string=query.text,
                    log_group_names=part,
                    parameters=parameters,
                )
            )
    return created


__all__ = ["create_saved_queries", "definition_names", "validate_extra_queries"]
