"""``watchkeeper queries / query / trace`` against a CloudWatch Logs client wired to Stubber."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from watchkeeper import cli, schema
from watchkeeper.cli.incident import Environment, QueryDefinition, fill_parameters, parse_time_range
from watchkeeper.cli.query_runner import logs_client

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOUR_AGO = int(NOW.timestamp()) - 3600
LOG_GROUP = schema.service_log_group_name("orders")
F = schema.Field

RECENT_ERRORS = (
    f"fields @timestamp, {F.FUNCTION_NAME}, {F.REQUEST_ID}, {F.ERROR_TYPE}, {F.ERROR_MESSAGE}\n"
    f'| filter {F.LEVEL} in ["ERROR", "CRITICAL"]\n| sort @timestamp desc\n| limit 100'
)
TRACE = (
    f"fields @timestamp, {F.FUNCTION_NAME}, {F.LEVEL}, {F.MESSAGE}\n"
    f'| filter {F.REQUEST_ID} = "{schema.query_parameter(F.REQUEST_ID)}"\n| sort @timestamp asc'
)
USER_ACTIVITY = (
    f"fields @timestamp, {F.EVENT}, {F.SOURCE_IP}\n"
    f"| filter {F.USER_ID} = {schema.query_parameter(F.USER_ID)}\n| sort @timestamp desc"
)


def definition(name: str, query: str, log_groups: list[str] | None = None, **extra: Any):
    return {
        "queryDefinitionId": f"id-{name}",
        "name": name,
        "queryString": query,
        "logGroupNames": log_groups if log_groups is not None else [LOG_GROUP],
        **extra,
    }


ORDERS_DEFINITIONS = [
    definition("orders/recent-errors", RECENT_ERRORS),
    definition("orders/trace-request", TRACE),
    definition("orders/user-activity", USER_ACTIVITY),
]


def result_row(**fields: str) -> list[dict[str, str]]:
    return [{"field": name, "value": value} for name, value in fields.items()]


ERROR_ROWS = [
    result_row(
        **{
            "@timestamp": "2024-05-01 11:58:02.114",
            F.FUNCTION_NAME: "orders-create",
            F.REQUEST_ID: "5f0c9e1a-1",
            F.ERROR_TYPE: "KeyError",
            F.ERROR_MESSAGE: "'sku'",
            "@ptr": "CmQKKwo",
        }
    ),
    result_row(
        **{
            "@timestamp": "2024-05-01 11:41:37.020",
            F.FUNCTION_NAME: "orders-get",
            F.REQUEST_ID: "77aa01b2-2",
            F.ERROR_TYPE: "TimeoutError",
            F.ERROR_MESSAGE: "read timed out\nafter 3 s",
            "@ptr": "CmQKKwp",
        }
    ),
]
STATS = {"recordsMatched": 2.0, "recordsScanned": 48210.0, "bytesScanned": 9_120_000.0}


class Stream(io.StringIO):
    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@dataclass
class Run:
    code: int
    out: str
    err: str
    sleeps: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def botocore_session() -> Any:
    return botocore.session.get_session()  # loading the service model once keeps tests fast


@pytest.fixture
def client(botocore_session) -> Any:
    return botocore_session.create_client(
        "logs",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def run(argv: list[str], client: Any = None, tty: bool = False, sleep: Any = None) -> Run:
    """Parse ``argv`` like ``watchkeeper`` does and run it with injected AWS and clock."""
    args = cli.build_parser().parse_args(argv)
    sleeps: list[float] = []
    out, err = Stream(), Stream(tty)

    def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if sleep:
            sleep(seconds)

    args.environment = Environment(
        logs_client=lambda _args: client,
        sleep=record_sleep,
        clock=lambda: sum(sleeps),
        now=lambda: NOW,
        jitter=lambda: 0.5,
        stdout=out,
        stderr=err,
    )
    try:
        code = args.run(args)
    except cli.CommandError as exc:
        code = exc.exit_code
        err.write(f"watchkeeper {args.command}: {exc}\n")
    return Run(code, out.getvalue(), err.getvalue(), sleeps)


def expect_definitions(stubber: Stubber, definitions: list[dict], prefix: str | None = "orders/"):
    params: dict[str, Any] = {"maxResults": 1000}
    if prefix:
        params["queryDefinitionNamePrefix"] = prefix
    stubber.add_response("describe_query_definitions", {"queryDefinitions": definitions}, params)


def expect_start(stubber: Stubber, query: str, log_groups=None, start=HOUR_AGO, limit=10_000):
    stubber.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": log_groups or [LOG_GROUP],
            "startTime": start,
            "endTime": int(NOW.timestamp()),
            "queryString": query,
            "limit": limit,
        },
    )


def expect_results(stubber: Stubber, status: str, rows=(), stats=None, token=None, next_token=None):
    response: dict[str, Any] = {"status": status, "results": list(rows)}
    response["statistics"] = STATS if stats is None else stats
    if next_token:
        response["nextToken"] = next_token
    params = {"queryId": "q-1", **({"nextToken": token} if token else {})}
    stubber.add_response("get_query_results", response, params)


# --------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------


def test_queries_lists_every_page_of_service_folders(client, stubber) -> None:
    stubber.add_response(
        "describe_query_definitions",
        {
            "queryDefinitions": [
                *ORDERS_DEFINITIONS[:2],
                definition("not-in-a-folder", "fields x"),
            ],
            "nextToken": "page-2",
        },
        {"maxResults": 1000},
    )
    stubber.add_response(
        "describe_query_definitions",
        {"queryDefinitions": [ORDERS_DEFINITIONS[2], definition("billing/slow", "fields y")]},
        {"maxResults": 1000, "nextToken": "page-2"},
    )
    result = run(["queries"], client)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["QUERY", "PARAMETERS", "LOG", "GROUPS"]
    names = [line.split()[0] for line in lines[2:]]
    assert names == [
        "orders/recent-errors",
        "orders/trace-request",
        "orders/user-activity",
        "billing/slow",
    ]
    assert "requestId" in lines[3] and "userId" in lines[4]
    assert "not-in-a-folder" not in result.out


def test_queries_for_one_service_uses_the_folder_prefix_and_json(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    result = run(["queries", "--service", "orders", "--format", "json"], client)
    assert result.code == 0, result.err
    listed = json.loads(result.out)
    assert [q["query"] for q in listed] == ["recent-errors", "trace-request", "user-activity"]
    assert listed[1]["parameters"] == [F.REQUEST_ID]
    assert listed[0]["logGroupNames"] == [LOG_GROUP]


def test_queries_unknown_service_suggests_close_names(client, stubber) -> None:
    expect_definitions(stubber, [], prefix="order/")
    expect_definitions(stubber, ORDERS_DEFINITIONS, prefix=None)
    result = run(["queries", "--service", "order"], client)
    assert result.code == 2
    assert "no saved queries for service 'order' in the account's saved queries (eu-west-1) " in (
        result.err
    )
    assert "(did you mean orders?); services with saved queries: orders" in result.err


def write_assembly(root: Path) -> Path:
    """A cloud assembly with query definitions; log groups given as Ref and as literal."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "version": "36.0.0",
                "artifacts": {
                    "Orders": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://unknown-account/unknown-region",
                        "properties": {"templateFile": "Orders.template.json"},
                    }
                },
            }
        )
    )
    resources: dict[str, Any] = {
        "ServiceLogs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": LOG_GROUP},
        },
        "GeneratedLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "RecentErrors": {
            "Type": "AWS::Logs::QueryDefinition",
            "Properties": {
                "Name": "orders/recent-errors",
                "QueryString": RECENT_ERRORS,
                "LogGroupNames": [{"Ref": "ServiceLogs"}],
            },
        },
        "UserActivity": {
            "Type": "AWS::Logs::QueryDefinition",
            "Properties": {
                "Name": {"Fn::Join": ["/", ["orders", "user-activity"]]},
                "QueryString": USER_ACTIVITY,
                "LogGroupNames": [{"Ref": "ServiceLogs"}],
                "Parameters": [{"Name": F.USER_ID, "DefaultValue": "anonymous"}],
            },
        },
        "Pending": {
            "Type": "AWS::Logs::QueryDefinition",
            "Properties": {
                "Name": "orders/pending",
                "QueryString": "fields @message",
                "LogGroupNames": [{"Ref": "GeneratedLogs"}],
            },
        },
    }
    (root / "Orders.template.json").write_text(json.dumps({"Resources": resources}))
    return root


def test_queries_from_a_cloud_assembly_resolve_log_group_refs(tmp_path) -> None:
    app = write_assembly(tmp_path / "cdk.out")
    result = run(["queries", "--app", str(app), "--format", "json"])
    assert result.code == 0, result.err
    listed = {q["name"]: q for q in json.loads(result.out)}
    assert set(listed) == {"orders/recent-errors", "orders/user-activity", "orders/pending"}
    assert listed["orders/recent-errors"]["logGroupNames"] == [LOG_GROUP]
    assert listed["orders/pending"]["logGroupNames"] == ["<GeneratedLogs>"]
    assert listed["orders/user-activity"]["origin"] == "Orders/UserActivity"


# --------------------------------------------------------------------------------------
# query: success paths
# --------------------------------------------------------------------------------------


def test_query_polls_until_complete_with_progress_and_prints_a_table(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, RECENT_ERRORS)
    expect_results(stubber, "Scheduled", stats={})
    expect_results(stubber, "Running", stats={"recordsScanned": 20_000.0, "bytesScanned": 4e6})
    expect_results(stubber, "Complete", ERROR_ROWS)
    result = run(["query", "orders", "recent-errors", "--progress"], client)
    assert result.code == 0, result.err
    # progress forced into a non-terminal: one line per poll, with records and elapsed time
    assert "Scheduled: 0 records scanned (0.0 MB), 0 matched, 0.0 s" in result.err
    assert "Running: 20,000 records scanned (4.0 MB), 0 matched, 0.5 s" in result.err
    assert "Complete: 48,210 records scanned (9.1 MB), 2 matched, 1.2 s" in result.err
    assert result.sleeps == [0.5, 0.75]  # the poll interval grows
    table = result.out.splitlines()
    assert table[0].split() == [
        "@timestamp",
        F.FUNCTION_NAME,
        F.REQUEST_ID,
        F.ERROR_TYPE,
        F.ERROR_MESSAGE,
    ]
    assert table[2].split()[2:] == ["orders-create", "5f0c9e1a-1", "KeyError", "'sku'"]
    assert table[3].endswith("read timed out\\nafter 3 s")  # one row per record
    # columns are aligned: every column starts at the same offset on every line
    offset = table[0].index(F.REQUEST_ID)
    assert table[2][offset:].startswith("5f0c9e1a-1") and table[3][offset:].startswith("77aa01b2")
    assert "@ptr" not in result.out
    assert "2 rows from 48,210 records scanned in 1 log group(s)" in result.err


def test_progress_redraws_in_place_on_a_terminal_and_is_silent_otherwise(client, stubber) -> None:
    for _ in range(2):
        expect_definitions(stubber, ORDERS_DEFINITIONS)
        expect_start(stubber, RECENT_ERRORS)
        expect_results(stubber, "Running")
        expect_results(stubber, "Complete", ERROR_ROWS)
    on_tty = run(["query", "orders", "recent-errors"], client, tty=True)
    assert "\r\x1b[KRunning: 48,210 records scanned" in on_tty.err
    piped = run(["query", "orders", "recent-errors"], client)
    assert "Running" not in piped.err and "\r" not in piped.err
    assert piped.out == on_tty.out


def test_query_json_and_csv_formats(client, stubber) -> None:
    for _ in range(2):
        expect_definitions(stubber, ORDERS_DEFINITIONS)
        expect_start(stubber, RECENT_ERRORS)
        expect_results(stubber, "Complete", ERROR_ROWS)
    as_json = run(["query", "orders/recent-errors", "--format", "json"], client)
    rows = json.loads(as_json.out)
    assert rows[1][F.ERROR_MESSAGE] == "read timed out\nafter 3 s"
    assert rows[0]["@ptr"] == "CmQKKwo" and len(rows) == 2
    as_csv = run(["query", "orders", "recent-errors", "--format", "csv"], client)
    parsed = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert parsed == rows


def test_query_with_start_and_end(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    start = datetime(2024, 4, 30, 22, 0, tzinfo=UTC)
    stubber.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": [LOG_GROUP],
            "startTime": int(start.timestamp()),
            "endTime": int(datetime(2024, 5, 1, 1, 30, tzinfo=UTC).timestamp()),
            "queryString": RECENT_ERRORS,
            "limit": 10_000,
        },
    )
    expect_results(stubber, "Complete", [])
    result = run(
        ["query", "orders", "recent-errors", "--start", "2024-05-01T00:00+02:00",
         "--end", "2024-05-01T01:30:00Z"],
        client,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == ""
    assert "0 rows" in result.err


def test_the_only_service_may_be_left_out(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS, prefix=None)
    expect_start(stubber, RECENT_ERRORS)
    expect_results(stubber, "Complete", ERROR_ROWS)
    assert run(["query", "recent-errors"], client).code == 0


def test_several_services_ask_for_one(client, stubber) -> None:
    expect_definitions(
        stubber, [*ORDERS_DEFINITIONS, definition("billing/recent-errors", "x")], None
    )
    result = run(["query", "recent-errors"], client)
    assert result.code == 2
    assert "several services (billing, orders): name one with --service" in result.err


# --------------------------------------------------------------------------------------
# parameters and trace
# --------------------------------------------------------------------------------------


def test_param_values_become_escaped_string_literals(client, stubber) -> None:
    hostile = 'x" | display @message | filter "1'
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expected = USER_ACTIVITY.replace(
        schema.query_parameter(F.USER_ID), '"x\\" | display @message | filter \\"1"'
    )
    expect_start(stubber, expected)
    expect_results(stubber, "Complete", [])
    result = run(["query", "orders", "user-activity", "--param", f"{F.USER_ID}={hostile}"], client)
    assert result.code == 0, result.err


def test_fill_parameters_keeps_existing_quotes_and_uses_defaults() -> None:
    query = QueryDefinition(
        name="orders/q",
        query_string="filter a = '{{ a }}' and b = \"{{b}}\" and c = {{c}} and d = {{a}}",
        log_group_names=(LOG_GROUP,),
        parameters=(),
    )
    filled = fill_parameters(query, {"a": "it's", "b": 'say "hi"', "c": "back\\slash"})
    assert filled == (
        'filter a = \'it\\\'s\' and b = "say \\"hi\\"" and c = "back\\\\slash" and d = "it\'s"'
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "nobody=1"], "--param nobody: orders/user-activity has no parameter named"),
        (
            [],
            "orders/user-activity needs a value for parameter 'userId': pass --param userId=VALUE",
        ),
        (["--param", "userId"], "--param 'userId': expected name=value"),
        (["--param", "userId=a\nb"], "contains a control character"),
    ],
)
def test_parameter_errors_name_the_parameter(client, stubber, argv, message) -> None:
    if argv != ["--param", "userId"]:  # a malformed option fails before any AWS call
        expect_definitions(stubber, ORDERS_DEFINITIONS)
    result = run(["query", "orders", "user-activity", *argv], client)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.splitlines()) == 1


def test_assembly_query_uses_declared_default_and_refuses_unknown_log_groups(
    tmp_path, client, stubber
) -> None:
    app = write_assembly(tmp_path / "cdk.out")
    expect_start(stubber, USER_ACTIVITY.replace("{{userId}}", '"anonymous"'))
    expect_results(stubber, "Complete", [])
    assert run(["query", "orders", "user-activity", "--app", str(app)], client).code == 0
    pending = run(["query", "orders", "pending", "--app", str(app)], client)
    assert pending.code == 2
    assert "only known after deploy (<GeneratedLogs>)" in pending.err


def test_trace_fills_the_request_id_and_finds_the_service(client, stubber) -> None:
    others = [definition("billing/recent-errors", "fields x")]  # billing has no trace query
    expect_definitions(stubber, [*ORDERS_DEFINITIONS, *others], prefix=None)
    expect_start(stubber, TRACE.replace("{{requestId}}", "5f0c9e1a-1"), start=HOUR_AGO - 23 * 3600)
    expect_results(stubber, "Complete", ERROR_ROWS[:1])
    result = run(["trace", "5f0c9e1a-1"], client)
    assert result.code == 0, result.err
    assert "5f0c9e1a-1" in result.out


def test_trace_for_a_named_service_with_a_custom_range(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, TRACE.replace("{{requestId}}", 'a\\"b'), start=HOUR_AGO + 3000)
    expect_results(stubber, "Complete", ERROR_ROWS[:1])
    result = run(
        ["trace", 'a"b', "--service", "orders", "--since", "10m", "--format", "json"], client
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)[0][F.REQUEST_ID] == "5f0c9e1a-1"


def test_trace_with_several_traceable_services_asks_for_service(client, stubber) -> None:
    expect_definitions(
        stubber, [*ORDERS_DEFINITIONS, definition("billing/trace-request", TRACE)], prefix=None
    )
    result = run(["trace", "abc"], client)
    assert result.code == 2
    assert "several services (billing, orders): name one with --service" in result.err


# --------------------------------------------------------------------------------------
# limits and failures
# --------------------------------------------------------------------------------------


def test_throttling_is_retried_with_backoff_then_succeeds(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    stubber.add_client_error("start_query", "ThrottlingException", "Rate exceeded")
    stubber.add_client_error(
        "start_query", "LimitExceededException", "Account maximum query concurrency limit of [100]"
    )
    expect_start(stubber, RECENT_ERRORS)
    stubber.add_client_error("get_query_results", "ThrottlingException", "Rate exceeded")
    expect_results(stubber, "Complete", ERROR_ROWS)
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 0, result.err
    # equal jitter with jitter()=0.5: 0.75 x the exponential delay (1 s, 2 s, then 1 s again)
    assert result.sleeps == [0.75, 1.5, 0.75]
    assert "StartQuery: ThrottlingException; retrying in 0.8 s" in result.err
    assert "StartQuery: LimitExceededException; retrying in 1.5 s" in result.err
    assert "GetQueryResults: ThrottlingException; retrying" in result.err
    assert len(json.dumps(result.out)) > 0 and "orders-create" in result.out


def test_throttling_that_never_ends_gives_up_with_advice(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    for _ in range(8):
        stubber.add_client_error("start_query", "LimitExceededException", "too many queries")
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 4
    assert len(result.sleeps) == 7 and result.sleeps[-1] == 15.0  # capped at 20 s x 0.75
    last = result.err.splitlines()[-1]
    assert "Still throttled after 8 attempts" in last and "100 Logs Insights queries" in last


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
def test_a_query_that_does_not_complete_fails_with_its_status(client, stubber, status) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, RECENT_ERRORS)
    expect_results(stubber, "Running")
    expect_results(stubber, status)
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 4
    assert f"reports the query {status} (query id q-1)" in result.err
    assert result.out == ""


def test_the_row_limit_is_reported(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, RECENT_ERRORS)
    rows = [result_row(**{"@timestamp": f"t{i}", F.MESSAGE: "m"}) for i in range(10_000)]
    expect_results(stubber, "Complete", rows)
    result = run(["query", "orders", "recent-errors", "--format", "json"], client)
    assert result.code == 0
    assert len(json.loads(result.out)) == 10_000
    assert (
        "warning: the results stopped at the limit of 10,000 rows, so records are missing: "
        "narrow the time range (--since/--start/--end) or raise --limit" in result.err
    )


def test_results_past_one_page_are_fetched_up_to_the_limit(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, RECENT_ERRORS, limit=3)
    expect_results(stubber, "Complete", ERROR_ROWS, next_token="more")
    expect_results(stubber, "Complete", ERROR_ROWS, token="more", next_token="even-more")
    result = run(["query", "orders", "recent-errors", "--limit", "3", "--format", "json"], client)
    assert len(json.loads(result.out)) == 3
    assert "limit of 3 rows" in result.err


def test_more_than_fifty_log_groups_is_refused_before_any_query(client, stubber) -> None:
    groups = [f"/aws/lambda/orders-{i}" for i in range(51)]
    expect_definitions(stubber, [definition("orders/everything", "fields @message", groups)])
    result = run(["query", "orders", "everything"], client)
    assert result.code == 2
    assert "names 51 log groups; Logs Insights allows at most 50 per query" in result.err


def test_unknown_query_suggests_close_names(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    result = run(["query", "orders", "recent-erors"], client)
    assert result.code == 2
    assert "no saved query named orders/recent-erors" in result.err
    assert "(did you mean recent-errors?)" in result.err
    assert "queries in orders/: recent-errors, trace-request, user-activity" in result.err


def test_access_denied_is_one_line(client, stubber) -> None:
    stubber.add_client_error(
        "describe_query_definitions",
        "AccessDeniedException",
        "User: arn:aws:iam::111122223333:user/dev is not authorized to perform: "
        "logs:DescribeQueryDefinitions",
        http_status_code=400,
    )
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 3
    assert result.err.count("\n") == 1
    assert "access denied to logs:DescribeQueryDefinitions (AccessDeniedException" in result.err


def test_missing_log_group_is_explained(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    stubber.add_client_error(
        "start_query",
        "ResourceNotFoundException",
        "Log group '/watchkeeper/orders/functions' does not exist",
    )
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 4
    assert "does not exist" in result.err and "is the service deployed here" in result.err


def test_malformed_query_is_explained(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    stubber.add_client_error("start_query", "MalformedQueryException", "unexpected symbol")
    result = run(["query", "orders", "recent-errors"], client)
    assert result.code == 4
    assert "Logs Insights rejected the query text: unexpected symbol" in result.err


def test_ctrl_c_stops_the_query(client, stubber) -> None:
    expect_definitions(stubber, ORDERS_DEFINITIONS)
    expect_start(stubber, RECENT_ERRORS)
    expect_results(stubber, "Running")
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-1"})

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(["query", "orders", "recent-errors"], client, sleep=interrupt)


# --------------------------------------------------------------------------------------
# through main(): real client construction and option validation, no traceback
# --------------------------------------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


def test_missing_credentials_is_one_line_without_traceback(no_credentials, capsys) -> None:
    code = cli.main(["query", "orders", "recent-errors"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("watchkeeper query: cannot list the saved queries: no AWS credentials")
    assert "Traceback" not in err and err.count("\n") == 1


def test_logs_client_honours_region_and_endpoint_environment(no_credentials, monkeypatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    client = logs_client()
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.endpoint_url == "http://localhost:4566"
    assert logs_client(region="us-east-2").meta.region_name == "us-east-2"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--since", "5y"],
            "--since '5y' is not a duration: use a number followed by m, h, d or w",
        ),
        (["--since", "0h"], "--since '0h' is not a duration"),
        (["--start", "yesterday"], "--start 'yesterday' is not an ISO-8601 time"),
        (["--end", "2024-05-01"], "--end needs --start"),
        (
            ["--since", "1h", "--start", "2024-05-01"],
            "--since cannot be combined with --start/--end",
        ),
        (["--limit", "0"], "--limit 0: use a number of rows from 1 to 100,000"),
    ],
)
def test_bad_time_options_name_the_option_and_allowed_forms(options, message, capsys) -> None:
    code = cli.main(["query", "orders", "recent-errors", *options])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"watchkeeper query: {err.split(': ', 1)[1]}" and message in err
    assert err.count("\n") == 1


def test_time_range_rules() -> None:
    assert parse_time_range("15m", None, None, NOW, "1h")[0] == datetime(
        2024, 5, 1, 11, 45, tzinfo=UTC
    )
    assert parse_time_range(None, None, None, NOW, "1w")[0] == datetime(2024, 4, 24, 12, tzinfo=UTC)
    start, end = parse_time_range(None, "2024-05-01T10:00", None, NOW, "1h")
    assert (start, end) == (datetime(2024, 5, 1, 10, tzinfo=UTC), NOW)  # naive is UTC
    with pytest.raises(cli.CommandError, match="is not before --end"):
        parse_time_range(None, "2024-05-01T10:00Z", "2024-05-01T09:00Z", NOW, "1h")
    with pytest.raises(cli.CommandError, match="is in the future"):
        parse_time_range(None, "2024-05-02T10:00Z", "2024-05-03T09:00Z", NOW, "1h")


def test_the_command_modules_import_neither_aws_cdk_nor_boto3() -> None:
    # the CLI starts fast: boto3 loads only when AWS is called, aws-cdk-lib never
    code = (
        "import sys, watchkeeper.cli as c; c.build_parser(); "
        "print(sorted(m for m in ('aws_cdk', 'boto3', 'botocore') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root
    )
    assert completed.stdout.strip() == "[]", completed.stderr


@pytest.mark.parametrize("entry", [["-m", "watchkeeper"], ["-m", "watchkeeper.cli"]])
def test_module_entry_points_report_errors_in_one_line(entry) -> None:
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, *entry, "query", "orders", "recent-errors", "--since", "3y"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("watchkeeper query: --since '3y' is not a duration")
    assert "Traceback" not in completed.stderr
