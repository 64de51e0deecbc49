"""The saved queries of the incident commands, and the parameters filled into them.

A saved query is an ``AWS::Logs::QueryDefinition`` named ``<service>/<query-name>``, read
from the account (``DescribeQueryDefinitions``) or from a synthesized cloud assembly;
:func:`choose_service` and :func:`find_query` pick one, with a suggestion when a name is
misspelt. Parameters are written ``{{name}}`` in the query text and filled with values
written as Logs Insights string literals (:func:`fill_parameters`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from watchkeeper import schema
from watchkeeper.cli import CommandError

#: ``{{name}}`` placeholders, optionally already inside quotes in the query text
_PARAMETER = re.compile(
    r"(?P<quote>[\"']?)\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}(?P=quote)"
)
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

QUERY_DEFINITION_TYPE = "AWS::Logs::QueryDefinition"


@dataclass(frozen=True)
class QueryParameter:
    name: str
    default: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class QueryDefinition:
    """A Logs Insights query definition as deployed (read from the account or a cloud
    assembly); :class:`watchkeeper.queries.SavedQuery` is the catalogue entry it was made from."""

    #: full name, ``<service>/<query-name>``
    name: str
    query_string: str
    log_group_names: tuple[str, ...]
    parameters: tuple[QueryParameter, ...] = ()
    #: where it was read: ``account`` or ``Stack/LogicalId`` in a cloud assembly
    origin: str = "account"

    @property
    def service(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def short_name(self) -> str:
        return self.name.split("/", 1)[1]

    def placeholders(self) -> list[str]:
        """Parameter names used in the text, in order of first use."""
        names = [match.group("name") for match in _PARAMETER.finditer(self.query_string)]
        return list(dict.fromkeys(names))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "service": self.service,
            "query": self.short_name,
            "logGroupNames": list(self.log_group_names),
            "parameters": self.placeholders(),
            "queryString": self.query_string,
            "origin": self.origin,
        }


def _in_service_folder(name: str) -> bool:
    # The folder is the qualified name: ``orders/`` or, with a stage, ``orders-prod/``.
    service, _, short_name = name.partition("/")
    return bool(schema.QUALIFIED_NAME_RE.match(service)) and bool(short_name)


def queries_from_account(client: Any, service: str | None = None) -> list[QueryDefinition]:
    """The saved queries in service folders of the client's account and region."""
    from watchkeeper.cli.query_runner import aws_errors

    request: dict[str, Any] = {"maxResults": 1000}
    if service:
        request["queryDefinitionNamePrefix"] = schema.query_folder(service)
    queries: list[QueryDefinition] = []
    with aws_errors("list the saved queries"):
        while True:
            response = client.describe_query_definitions(**request)
            for definition in response.get("queryDefinitions") or []:
                name = str(definition.get("name", ""))
                if not _in_service_folder(name):
                    continue
                queries.append(
                    QueryDefinition(
                        name=name,
                        query_string=str(definition.get("queryString", "")),
                        log_group_names=tuple(definition.get("logGroupNames") or ()),
                        parameters=tuple(
                            QueryParameter(
                                str(p.get("name")), p.get("defaultValue"), p.get("description")
                            )
                            for p in definition.get("parameters") or []
                        ),
                    )
                )
            if not response.get("nextToken"):
                break
            request["nextToken"] = response["nextToken"]
    return _only_service(queries, service)


def queries_from_assembly(directory: str, service: str | None = None) -> list[QueryDefinition]:
    """The saved queries that a cloud assembly (``cdk.out``) would deploy."""
    from watchkeeper.cli.assembly import AssemblyError, load_assembly

    try:
        assembly = load_assembly(directory)
    except AssemblyError as exc:
        raise CommandError(str(exc)) from None
    queries = []
    for resource in assembly.resources_of_type(QUERY_DEFINITION_TYPE):
        template, properties = resource.template, resource.properties
        name = template.resolve_text(properties.get("Name", ""))
        if not _in_service_folder(name):
            continue
        log_groups = template.resolve(properties.get("LogGroupNames") or [])
        parameters = properties.get("Parameters") or []
        queries.append(
            QueryDefinition(
                name=name,
                query_string=template.resolve_text(properties.get("QueryString", "")),
                log_group_names=tuple(str(g) for g in log_groups)
                if isinstance(log_groups, list)
                else (),
                parameters=tuple(
                    QueryParameter(
                        str(template.resolve(p.get("Name"))),
                        template.resolve(p.get("DefaultValue")),
                        template.resolve(p.get("Description")),
                    )
                    for p in parameters
                    if isinstance(p, dict)
                ),
                origin=resource.location,
            )
        )
    return _only_service(sorted(queries, key=lambda q: q.name), service)


def _only_service(queries: list[QueryDefinition], service: str | None) -> list[QueryDefinition]:
    return [q for q in queries if service is None or q.service == service]


def choose_service(queries: Sequence[QueryDefinition], service: str | None, where: str) -> str:
    """The service to use: the one given, or the only one that has saved queries."""
    services = sorted({q.service for q in queries})
    if service:
        if service not in services:
            raise CommandError(
                f"no saved queries for service {service!r} in {where}"
                + _suggestion(service, services)
                + (f"; services with saved queries: {', '.join(services)}" if services else "")
            )
        return service
    if len(services) == 1:
        return services[0]
    if not services:
        raise CommandError(f"no saved queries in service folders (<service>/<query>) in {where}")
    raise CommandError(
        f"{where} has saved queries for several services ({', '.join(services)}): "
        "name one with --service"
    )


def find_query(
    queries: Sequence[QueryDefinition], service: str, short_name: str, where: str
) -> QueryDefinition:
    """The saved query ``<service>/<short_name>``, or an error suggesting close names."""
    for query in queries:
        if query.service == service and query.short_name == short_name:
            return query
    names = [q.short_name for q in queries if q.service == service]
    raise CommandError(
        f"no saved query named {schema.query_folder(service)}{short_name} in {where}"
        + _suggestion(short_name, names)
        + (
            f"; queries in {schema.query_folder(service)}: {', '.join(sorted(names))}"
            if names
            else ""
        )
    )


def _suggestion(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------


def parse_params(values: Sequence[str] | None) -> dict[str, str]:
    """``--param name=value`` options as a mapping; the option is named in errors."""
    params: dict[str, str] = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not _PARAMETER_NAME.match(name):
            raise CommandError(
                f"--param {item!r}: expected name=value, where name is letters, digits and '_' "
                "starting with a letter or '_' (e.g. --param userId=alice)"
            )
        params[name] = value
    return params


def string_literal(value: str, quote: str = '"') -> str:
    """``value`` as the body of a Logs Insights string literal in ``quote`` quotes (no quotes)."""
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise CommandError(
            f"parameter value {value!r} contains a control character (newline, tab...); "
            "Logs Insights string literals cannot hold one"
        )
    return value.replace("\\", "\\\\").replace(quote, "\\" + quote)


def fill_parameters(query: QueryDefinition, values: dict[str, str]) -> str:
    """The query text with each ``{{name}}`` replaced by a safely quoted string literal.

    A placeholder already written inside quotes (``"{{name}}"``) keeps its quotes and gets the
    escaped value; a bare one becomes a double-quoted literal. Values come from ``values``,
    then from the definition's declared defaults.
    """
    defaults = {p.name: p.default for p in query.parameters if p.default is not None}
    used = query.placeholders()
    unknown = sorted(set(values) - set(used))
    if unknown:
        raise CommandError(
            f"--param {unknown[0]}: {query.name} has no parameter named {unknown[0]!r}"
            + (f" (its parameters: {', '.join(used)})" if used else " (it takes no parameters)")
        )
    missing = [name for name in used if name not in values and name not in defaults]
    if missing:
        raise CommandError(
            f"{query.name} needs a value for parameter {missing[0]!r}: "
            f"pass --param {missing[0]}=VALUE"
            + (f" (unfilled: {', '.join(missing)})" if len(missing) > 1 else "")
        )

    def substitute(match: re.Match[str]) -> str:
        name = match.group("name")
        value = values[name] if name in values else str(defaults[name])
        quote = match.group("quote") or '"'
        return quote + string_literal(value, quote) + quote

    return _PARAMETER.sub(substitute, query.query_string)
