"""Run a CloudWatch Logs Insights query from the command line, politely and legibly.

``StartQuery`` then ``GetQueryResults`` until the query finishes, with:

- backoff with jitter when Logs Insights throttles (``ThrottlingException``) or the account
  already runs its maximum of concurrent queries (``LimitExceededException``; dashboards'
  log widgets count too);
- progress (records scanned, bytes, elapsed) on stderr;
- ``StopQuery`` when the user presses Ctrl-C, so an abandoned query stops costing money;
- the row limit: the results of a query are capped (10,000 rows by default); reaching the
  cap is reported, with the advice to narrow the time range;
- one readable line, never a traceback, for missing credentials, denied permissions, missing
  log groups and malformed queries.

boto3 is imported only by :func:`logs_client`, so the rest of the CLI starts fast and the
runner can be driven by any client object (tests pass a client wired to botocore's Stubber).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from watchkeeper.cli import CommandError
from watchkeeper.limits import MAX_LOG_GROUPS_PER_QUERY
from watchkeeper.limits import QUERY_RESULTS_PAGE_ROWS as DEFAULT_RESULT_LIMIT

#: exit codes (2, the default of CommandError, is a usage or validation error)
EXIT_AWS_ACCESS = 3
EXIT_QUERY_FAILED = 4

_RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "LimitExceededException", "ServiceUnavailableException"}
)
_ACCESS_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
    }
)
_FINISHED_FAILED = ("Failed", "Cancelled", "Timeout", "Unknown")


def logs_client(region: str | None = None, profile: str | None = None) -> Any:
    """A CloudWatch Logs client from boto3's default chain.

    The chain honours ``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` (and
    ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``), shared config and SSO; ``AWS_REGION`` is honoured
    here too because botocore only reads it inside Lambda-like environments.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise CommandError(
            "this command calls AWS and needs boto3: pip install 'cdk-watchkeeper[cli]'"
        ) from None
    with aws_errors("create a CloudWatch Logs client"):
        session = boto3.session.Session(profile_name=profile)
        return session.client(
            "logs",
            region_name=region or os.environ.get("AWS_REGION") or None,
            config=Config(retries={"mode": "standard"}, user_agent_extra="watchkeeper"),
        )


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore's exceptions raised while doing ``action`` into one-line CommandErrors."""
    try:
        yield
    except CommandError:
        raise
    except Exception as exc:
        message = describe_aws_error(exc, action)
        if message is None:
            raise
        raise CommandError(*message) from None


def describe_aws_error(exc: Exception, action: str) -> tuple[str, int] | None:
    """(message, exit code) for a botocore exception, or None for anything else."""
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover - boto3 missing is reported by logs_client
        return None
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            f"cannot {action}: no AWS credentials found. Set AWS_PROFILE (or pass --profile), "
            "run `aws sso login` / `aws configure`, or export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY",
            EXIT_AWS_ACCESS,
        )
    if isinstance(exc, bx.NoRegionError):
        return (
            f"cannot {action}: no AWS region configured. Set AWS_REGION or pass --region",
            EXIT_AWS_ACCESS,
        )
    if isinstance(exc, bx.ProfileNotFound):
        return f"cannot {action}: {exc}", EXIT_AWS_ACCESS
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
        return f"cannot {action}: {exc}", EXIT_AWS_ACCESS
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code, text = str(error.get("Code", "")), str(error.get("Message", "")).strip()
        operation = getattr(exc, "operation_name", "") or "the call"
        if code in _ACCESS_CODES:
            return (
                f"cannot {action}: access denied to logs:{operation} ({code}: {text}). "
                "The caller needs logs:DescribeQueryDefinitions, logs:StartQuery, "
                "logs:GetQueryResults and logs:StopQuery on the log groups",
                EXIT_AWS_ACCESS,
            )
        if code == "ResourceNotFoundException":
            return (
                f"cannot {action}: {text or 'resource not found'} (a log group of the query "
                "does not exist in this account and region: is the service deployed here, and "
                "are AWS_PROFILE / AWS_REGION right?)",
                EXIT_QUERY_FAILED,
            )
        if code == "MalformedQueryException":
            return (
                f"cannot {action}: Logs Insights rejected the query text: {text}",
                EXIT_QUERY_FAILED,
            )
        return f"cannot {action}: {code}: {text}", EXIT_QUERY_FAILED
    return None


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class Progress:
    """One status line on stderr while a query runs.

    On a terminal the line is redrawn in place; when forced on (``--progress``) into a file or
    pipe, each update is its own line so logs stay readable.
    """

    def __init__(self, stream: TextIO, enabled: bool, in_place: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.in_place = in_place
        self._drawn = False

    def update(self, text: str) -> None:
        if not self.enabled:
            return
        if self.in_place:
            self.stream.write("\r\x1b[K" + text)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A message that stays (e.g. a retry), printed even when progress is off."""
        self.finish()
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


@dataclass
class QueryResult:
    """Rows of a finished query (each a field -> value mapping) and its statistics."""

    query_id: str
    rows: list[dict[str, str]]
    statistics: dict[str, float]
    limit: int

    @property
    def limit_reached(self) -> bool:
        return len(self.rows) >= self.limit


@dataclass
class QueryRunner:
    """Runs one Logs Insights query to completion; every side effect is injectable."""

    client: Any
    progress: Progress
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    #: attempts of one call while throttled, before giving up
    max_attempts: int = 8
    #: first backoff delay in seconds; it doubles per attempt up to ``max_backoff``
    base_backoff: float = 1.0
    max_backoff: float = 20.0
    #: seconds between polls: starts at ``poll_interval`` and grows to ``max_poll_interval``
    poll_interval: float = 0.5
    max_poll_interval: float = 2.0
    #: give up (and stop the query) after this many seconds; Logs Insights itself times
    #: queries out after 60 minutes
    timeout: float = 3600.0
    _started: float = field(default=0.0, init=False)

    def run(
        self,
        log_group_names: list[str],
        query_string: str,
        start: datetime,
        end: datetime,
        limit: int = DEFAULT_RESULT_LIMIT,
        description: str = "the query",
    ) -> QueryResult:
        if not log_group_names:
            raise CommandError(f"{description} names no log groups; nothing to query")
        if len(log_group_names) > MAX_LOG_GROUPS_PER_QUERY:
            # Splitting into batches would be wrong for stats/sort/limit queries (each batch
            # would aggregate and rank on its own), so this refuses instead of merging.
            raise CommandError(
                f"{description} names {len(log_group_names)} log groups; Logs Insights allows "
                f"at most {MAX_LOG_GROUPS_PER_QUERY} per query. Split the saved query by log "
                "group, or send the functions' logs to one service log group"
            )
        self._started = self.clock()
        action = f"run {description}"
        query_id = str(
            self._call(
                "StartQuery",
                action,
                self.client.start_query,
                logGroupNames=list(log_group_names),
                startTime=int(start.timestamp()),
                endTime=int(end.timestamp()),
                queryString=query_string,
                limit=limit,
            )["queryId"]
        )
        try:
            return self._wait(query_id, action, limit)
        except KeyboardInterrupt:
            self._stop(query_id)
            raise

    def _wait(self, query_id: str, action: str, limit: int) -> QueryResult:
        interval = self.poll_interval
        while True:
            response = self._call(
                "GetQueryResults", action, self.client.get_query_results, queryId=query_id
            )
            status = str(response.get("status", "Unknown"))
            statistics = dict(response.get("statistics") or {})
            self.progress.update(self._progress_text(status, statistics))
            if status == "Complete":
                rows = [_row(result) for result in response.get("results") or []]
                next_token = response.get("nextToken")
                while next_token and len(rows) < limit:
                    page = self._call(
                        "GetQueryResults",
                        action,
                        self.client.get_query_results,
                        queryId=query_id,
                        nextToken=next_token,
                    )
                    rows.extend(_row(result) for result in page.get("results") or [])
                    next_token = page.get("nextToken")
                self.progress.finish()
                return QueryResult(query_id, rows[:limit], statistics, limit)
            if status in _FINISHED_FAILED:
                self.progress.finish()
                raise CommandError(
                    f"cannot {action}: Logs Insights reports the query {status} "
                    f"(query id {query_id}). "
                    + (
                        "Queries time out after 60 minutes: narrow the time range."
                        if status == "Timeout"
                        else "See the query in the CloudWatch console for details."
                    ),
                    EXIT_QUERY_FAILED,
                )
            if self.clock() - self._started > self.timeout:
                self._stop(query_id)
                raise CommandError(
                    f"cannot {action}: still {status} after {self.timeout:.0f} s; stopped query "
                    f"{query_id}. Narrow the time range",
                    EXIT_QUERY_FAILED,
                )
            self.sleep(interval)
            interval = min(interval * 1.5, self.max_poll_interval)

    def _progress_text(self, status: str, statistics: dict[str, float]) -> str:
        elapsed = self.clock() - self._started
        scanned = int(statistics.get("recordsScanned", 0))
        matched = int(statistics.get("recordsMatched", 0))
        megabytes = float(statistics.get("bytesScanned", 0)) / 1_000_000
        return (
            f"{status}: {scanned:,} records scanned ({megabytes:,.1f} MB), {matched:,} matched, "
            f"{elapsed:.1f} s"
        )

    def _call(self, operation: str, action: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        for attempt in range(1, self.max_attempts + 1):
            try:
                return method(**kwargs)
            except Exception as exc:
                translated = describe_aws_error(exc, action)
                if translated is None:
                    raise
                code = _error_code(exc)
                if code not in _RETRYABLE_CODES:
                    raise CommandError(*translated) from None
                if attempt == self.max_attempts:
                    raise CommandError(
                        f"{translated[0]}. Still throttled after {attempt} attempts: an account "
                        "runs at most 100 Logs Insights queries at once (dashboards' log "
                        "widgets count too); try again in a minute",
                        translated[1],
                    ) from None
            # equal jitter: half the exponential delay, plus up to half again at random
            delay = min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1))
            delay = delay / 2 + delay / 2 * self.jitter()
            self.progress.note(f"{operation}: {code}; retrying in {delay:.1f} s")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _stop(self, query_id: str) -> None:
        self.progress.finish()
        try:
            self.client.stop_query(queryId=query_id)
        except Exception as exc:  # the query may have finished meanwhile; say so, go on
            self.progress.note(f"could not stop query {query_id}: {exc}")
        else:
            self.progress.note(f"stopped query {query_id}")


def _row(result: list[dict[str, str]]) -> dict[str, str]:
    return {str(cell.get("field")): str(cell.get("value", "")) for cell in result}
