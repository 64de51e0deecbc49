"""Incident-response commands: ``watchkeeper queries``, ``query`` and ``trace``.

They run the saved Logs Insights queries that watchkeeper deploys. A saved query is an
``AWS::Logs::QueryDefinition`` named ``<service>/<query-name>`` (the ``/`` makes a folder in
the console) whose log group list is the service's log groups. The definitions are read from
the account (``DescribeQueryDefinitions``) or, with ``--app cdk.out``, from a synthesized
cloud assembly, so a query can be tried before its definition is deployed.

Parameters are written ``{{name}}`` in a saved query's text (Logs Insights' own syntax) and
filled with ``--param name=value``; values are written as Logs Insights string literals, so a
value can never change the query's structure. A parameter without a value uses the default
the definition declares, and otherwise is an error that names it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from watchkeeper import schema
from watchkeeper.cli import CommandError
from watchkeeper.cli.incident_output import (
    FORMATS,
    FORMATTERS,
    POINTER_FIELD,
    columns_of,
    format_csv,
    format_json,
    format_table,
)
from watchkeeper.cli.incident_queries import (
    QUERY_DEFINITION_TYPE,
    QueryDefinition,
    QueryParameter,
    choose_service,
    fill_parameters,
    find_query,
    parse_params,
    queries_from_account,
    queries_from_assembly,
    string_literal,
)
from watchkeeper.limits import MAX_QUERY_RESULT_ROWS, QUERY_RESULTS_PAGE_ROWS

__all__ = [
    "FORMATS",
    "POINTER_FIELD",
    "QUERY_DEFINITION_TYPE",
    "Environment",
    "QueryDefinition",
    "QueryParameter",
    "choose_service",
    "columns_of",
    "fill_parameters",
    "find_query",
    "format_csv",
    "format_json",
    "format_table",
    "parse_params",
    "parse_time_range",
    "queries_from_account",
    "queries_from_assembly",
    "register",
    "run_queries",
    "run_query",
    "run_trace",
    "string_literal",
]

#: ``--since`` units, in seconds
_SINCE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_SINCE = re.compile(r"^(?P<amount>[1-9][0-9]{0,5})(?P<unit>[mhdw])$")
_SINCE_FORMS = (
    "a number followed by m, h, d or w (minutes, hours, days, weeks), e.g. 15m, 1h, 2d, 1w"
)

# --------------------------------------------------------------------------------------
# Time range
# --------------------------------------------------------------------------------------


def parse_time_range(
    since: str | None, start: str | None, end: str | None, now: datetime, default_since: str
) -> tuple[datetime, datetime]:
    """The (start, end) of a query from ``--since`` or ``--start``/``--end``.

    ``--since`` counts back from now; ``--start``/``--end`` are ISO-8601 (a time without an
    offset is UTC); ``--end`` defaults to now.
    """
    if since is not None and (start is not None or end is not None):
        raise CommandError("--since cannot be combined with --start/--end: use one or the other")
    if start is None and end is not None:
        raise CommandError("--end needs --start (or use --since)")
    if start is None:
        text = since if since is not None else default_since
        match = _SINCE.match(text.strip())
        if not match:
            raise CommandError(f"--since {text!r} is not a duration: use {_SINCE_FORMS}")
        seconds = int(match.group("amount")) * _SINCE_UNITS[match.group("unit")]
        return now - timedelta(seconds=seconds), now
    begin = _parse_instant("--start", start)
    finish = _parse_instant("--end", end) if end is not None else now
    if begin >= finish:
        raise CommandError(
            f"--start {start!r} is not before --end {end or 'now'!r}: the range would be empty"
        )
    if begin > now:
        raise CommandError(f"--start {start!r} is in the future")
    return begin, finish


def _parse_instant(option: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"{option} {text!r} is not an ISO-8601 time: use e.g. 2024-05-01T13:00:00Z, "
            "2024-05-01T15:00+02:00 or 2024-05-01 (a time without an offset is UTC)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


def _default_logs_client(args: argparse.Namespace) -> Any:
    from watchkeeper.cli.query_runner import logs_client

    return logs_client(region=args.region, profile=args.profile)


@dataclass
class Environment:
    """What the commands touch outside the process; tests replace each part."""

    logs_client: Callable[[argparse.Namespace], Any] = _default_logs_client
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    jitter: Callable[[], float] | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None

    @property
    def out(self) -> TextIO:
        return self.stdout or sys.stdout

    @property
    def err(self) -> TextIO:
        return self.stderr or sys.stderr


def _load_queries(
    args: argparse.Namespace, service: str | None
) -> tuple[list[QueryDefinition], str]:
    if args.app:
        return queries_from_assembly(args.app, service), f"the cloud assembly {args.app}"
    client = args.environment.logs_client(args)
    region = getattr(getattr(client, "meta", None), "region_name", None)
    where = f"the account's saved queries ({region})" if region else "the account's saved queries"
    return _account_queries(client, service), where


def _account_queries(client: Any, service: str | None) -> list[QueryDefinition]:
    queries = queries_from_account(client, service)
    if service and not queries:
        # list every folder, so that the error can suggest the service meant
        queries = queries_from_account(client)
    return queries


def run_queries(args: argparse.Namespace) -> int:
    """``watchkeeper queries``: list the saved queries."""
    queries, where = _load_queries(args, args.service)
    if args.service:
        choose_service(queries, args.service, where)
    if args.format == "json":
        args.environment.out.write(format_json([q.as_dict() for q in queries]))
        return 0
    if not queries:
        raise CommandError(f"no saved queries in service folders (<service>/<query>) in {where}")
    rows = [
        {
            "QUERY": q.name,
            "PARAMETERS": ", ".join(q.placeholders()),
            "LOG GROUPS": _summarize(q.log_group_names),
        }
        for q in queries
    ]
    args.environment.out.write(format_table(rows))
    return 0


def _summarize(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{names[0]} (+{len(names) - 1} more)"


def _resolve_target(target: Sequence[str]) -> tuple[str | None, str]:
    if len(target) == 2:
        return target[0], target[1]
    if len(target) == 1 and "/" in target[0]:
        service, name = target[0].split("/", 1)
        return service, name
    if len(target) == 1:
        return None, target[0]
    raise CommandError("expected SERVICE NAME, SERVICE/NAME, or NAME (when there is one service)")


def run_query(args: argparse.Namespace) -> int:
    """``watchkeeper query SERVICE NAME``: run a saved query and print its results."""
    service, short_name = _resolve_target([args.first, *filter(None, [args.second])])
    params = parse_params(args.param)
    return _execute(args, service, short_name, params, default_since="1h")


def run_trace(args: argparse.Namespace) -> int:
    """``watchkeeper trace REQUEST_ID``: every record of one request, across the log groups."""
    request_id = args.request_id.strip()
    if not request_id:
        raise CommandError("REQUEST_ID is empty: pass the request id to trace")
    params = {schema.Field.REQUEST_ID: request_id}
    return _execute(args, args.service, schema.TRACE_QUERY_NAME, params, default_since="1d")


def _execute(
    args: argparse.Namespace,
    service: str | None,
    short_name: str,
    params: dict[str, str],
    default_since: str,
) -> int:
    from watchkeeper.cli.query_runner import Progress, QueryRunner

    env: Environment = args.environment
    # validate everything local before calling AWS
    start, end = parse_time_range(args.since, args.start, args.end, env.now(), default_since)
    if not 1 <= args.limit <= MAX_QUERY_RESULT_ROWS:
        raise CommandError(
            f"--limit {args.limit}: use a number of rows from 1 to {MAX_QUERY_RESULT_ROWS:,}"
        )
    client = None if args.app else env.logs_client(args)
    if args.app:
        queries, where = queries_from_assembly(args.app), f"the cloud assembly {args.app}"
    else:
        region = getattr(getattr(client, "meta", None), "region_name", None)
        where = (
            f"the account's saved queries ({region})" if region else "the account's saved queries"
        )
        queries = _account_queries(client, service)
    if short_name == schema.TRACE_QUERY_NAME and service is None:
        # only services that have a trace query are candidates for ``trace``
        queries = [q for q in queries if q.short_name == schema.TRACE_QUERY_NAME]
    service = choose_service(queries, service, where)
    query = find_query(queries, service, short_name, where)
    query_string = fill_parameters(query, params)
    unresolved = [g for g in query.log_group_names if "<" in g]
    if unresolved:
        raise CommandError(
            f"{query.name} in {where} names log groups that are only known after deploy "
            f"({', '.join(unresolved)}): run it from the account (without --app)"
        )
    if client is None:
        client = env.logs_client(args)

    interactive = env.err.isatty() if hasattr(env.err, "isatty") else False
    progress = Progress(env.err, enabled=interactive or args.progress, in_place=interactive)
    runner = QueryRunner(client, progress, sleep=env.sleep, clock=env.clock)
    if env.jitter is not None:
        runner.jitter = env.jitter
    result = runner.run(
        list(query.log_group_names),
        query_string,
        start,
        end,
        limit=args.limit,
        description=f"the saved query {query.name}",
    )
    env.out.write(FORMATTERS[args.format](result.rows))
    scanned = int(result.statistics.get("recordsScanned", 0))
    summary = (
        f"{len(result.rows):,} rows from {scanned:,} records scanned in "
        f"{len(query.log_group_names)} log group(s), {start:%Y-%m-%d %H:%M} to "
        f"{end:%Y-%m-%d %H:%M} UTC"
    )
    env.err.write(summary + "\n")
    if result.limit_reached:
        env.err.write(
            f"warning: the results stopped at the limit of {result.limit:,} rows, so records "
            "are missing: narrow the time range (--since/--start/--end)"
            + (" or raise --limit" if result.limit < MAX_QUERY_RESULT_ROWS else "")
            + "\n"
        )
    return 0


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app",
        metavar="CDK_OUT",
        help="read the saved queries from this cloud assembly (the directory `cdk synth` "
        "writes) instead of the account",
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's)")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE / the default)")
    parser.set_defaults(environment=Environment())


def _add_run_options(parser: argparse.ArgumentParser, default_since: str) -> None:
    parser.add_argument(
        "--since",
        metavar="DURATION",
        help=f"query the last DURATION: 15m, 1h, 2d, 1w (default: {default_since})",
    )
    parser.add_argument(
        "--start",
        metavar="TIME",
        help="start of the range, ISO-8601 (UTC unless an offset is given)",
    )
    parser.add_argument("--end", metavar="TIME", help="end of the range, ISO-8601 (default: now)")
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=QUERY_RESULTS_PAGE_ROWS,
        help=f"most rows to return (default: {QUERY_RESULTS_PAGE_ROWS}, the most one results "
        f"page holds; max {MAX_QUERY_RESULT_ROWS})",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show progress on stderr even when it is not a terminal (default: only on a terminal)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    queries = subparsers.add_parser(
        "queries",
        help="list the saved Logs Insights queries",
        description="List the saved Logs Insights queries of each service (<service>/<query>), "
        "from the account or from a cloud assembly.",
    )
    queries.add_argument("--service", help="only this service's queries")
    queries.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format (default: table)",
    )
    _add_common_options(queries)
    queries.set_defaults(run=run_queries)

    query = subparsers.add_parser(
        "query",
        help="run a saved Logs Insights query",
        description="Run a saved Logs Insights query and print its results. "
        "Parameters written {{name}} in the query are filled with --param name=value.",
    )
    query.add_argument(
        "first",
        metavar="SERVICE",
        help="the service, <service>-<stage> for a service with a stage (or SERVICE/NAME)",
    )
    query.add_argument(
        "second",
        nargs="?",
        metavar="NAME",
        help="the query's name in the service's folder; with one service in the account, "
        "`query NAME` is enough",
    )
    query.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="fill {{NAME}} in the query; repeatable",
    )
    _add_run_options(query, "1h")
    _add_common_options(query)
    query.set_defaults(run=run_query)

    trace = subparsers.add_parser(
        "trace",
        help="show every log record of one request",
        description=f"Run the service's saved query {schema.TRACE_QUERY_NAME} for one request id "
        "across the service's log groups.",
    )
    trace.add_argument("request_id", metavar="REQUEST_ID", help="the request id to trace")
    trace.add_argument("--service", help="the service (default: the only one with a trace query)")
    _add_run_options(trace, "1d")
    _add_common_options(trace)
    trace.set_defaults(run=run_trace)
