"""Naming conventions: service names and stages, and every physical name built from them
(log groups, metric namespaces, subscription filters, saved Logs Insights queries).

Standard library only: this module runs inside Lambda functions.
"""

from __future__ import annotations

import re
from typing import Final

SERVICE_NAME_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
SERVICE_NAME_RULE: Final = (
    "1-40 characters of lower-case letters, digits and '-', starting and ending with a "
    "letter or digit"
)


#: Longest qualified name ``<service>-<stage>``. The tightest limit on a name built from it
#: is SQS's 80 characters for the alarm delivery queue ``<name>-alarm-delivery-archive``;
#: every other name stays well inside its own limit (alarm and dashboard names and query
#: definitions 255, SNS topics 256, log groups 512, metric namespaces 255).
MAX_QUALIFIED_NAME_LENGTH: Final = 80 - len("-alarm-delivery-archive")
STAGE_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
STAGE_RULE: Final = (
    "lower-case letters, digits and '-', starting and ending with a letter or digit, and "
    f"'<service_name>-<stage>' at most {MAX_QUALIFIED_NAME_LENGTH} characters"
)
#: What a qualified name (``<service>`` or ``<service>-<stage>``) looks like: the readers of
#: deployed names (``watchkeeper queries``, ``query``, ``trace``) recognise folders by it.
QUALIFIED_NAME_RE: Final = re.compile(
    rf"^[a-z0-9](?:[a-z0-9-]{{0,{MAX_QUALIFIED_NAME_LENGTH - 2}}}[a-z0-9])?$"
)


def qualified_name(service: str, stage: str | None = None) -> str:
    """The name every physical name of a service is built from: ``<service>-<stage>``, or
    ``<service>`` without a stage (names then stay as they were before stages existed).

    The functions below take this qualified name where they say ``service``: with stage
    ``prod`` the service log group of ``orders`` is ``/watchkeeper/orders-prod/functions``,
    its namespace ``Watchkeeper/orders-prod``, its topic ``orders-prod-alarms``, its alarms
    ``orders-prod-<resource>-<check>``, its saved queries ``orders-prod/<query>``.
    """
    return f"{service}-{stage}" if stage else service


def stage_from_name(name: str) -> str:
    """A CDK Stage's or Serverless stage's name mapped into the allowed form: lower case,
    every run of characters other than letters and digits becomes one ``-``, no ``-`` at
    either end (``Prod`` -> ``prod``, ``EU_Prod.1`` -> ``eu-prod-1``). May be empty."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def metric_namespace(service: str) -> str:
    """CloudWatch namespace of the metrics taken from a service's logs."""
    return f"Watchkeeper/{service}"


def service_log_group_name(service: str) -> str:
    """Name of the one log group that every function of a service writes to."""
    return f"/watchkeeper/{service}/functions"


def function_log_group_name(service: str, function_key: str) -> str:
    """Name of a log group of one function that watchkeeper creates (a Text-format function,
    or ``log_group_per_function``). Under the service's own prefix, never
    ``/aws/lambda/<name>``: Lambda creates that group by itself when a function runs, so
    creating it in CloudFormation would fail the next deploy with "already exists"."""
    return f"{service_log_group_name(service)}/{function_key}"


def query_folder(service: str) -> str:
    """Console folder of a service's saved Logs Insights queries (``<service>/``)."""
    return f"{service}/"


def api_access_log_group_name(service: str) -> str:
    """Name of the log group that receives the access logs of a service's API stages."""
    return f"/watchkeeper/{service}/api-access"


def state_machine_log_group_name(service: str, key: str, stage: str | None = None) -> str:
    """Name of a state machine's log group: ``/aws/vendedlogs/states/<qualified>-<key>``,
    without the qualified or service name the key may start with.

    Under ``/aws/vendedlogs/`` because CloudWatch Logs then does not add a statement to
    the account's log resource policy per group (that policy is limited to 5,120
    characters, which a few dozen state machines would fill).
    """
    qualified = qualified_name(service, stage)
    name = key
    for prefix in dict.fromkeys((f"{qualified}-", f"{service}-")):
        if key.startswith(prefix):
            name = key[len(prefix) :]
            break
    return f"/aws/vendedlogs/states/{qualified}-{name}"


def subscription_filter_name(service: str, index: int) -> str:
    """Name of watchkeeper's ``index``-th (1-based) subscription filter on a log group."""
    return f"watchkeeper-{service}-{index}"


# --------------------------------------------------------------------------------------
# Saved queries
# --------------------------------------------------------------------------------------

#: Short name of the saved query that traces one request across a service's log groups
#: (saved as ``<service>/trace-request``); its text holds the parameter ``{{requestId}}``.
TRACE_QUERY_NAME: Final = "trace-request"


def query_parameter(name: str) -> str:
    """How a saved query's text writes a parameter: ``{{name}}`` (Logs Insights' syntax)."""
    return "{{" + name + "}}"


class QueryName:
    """Names of the saved Logs Insights queries of a service (inside ``query_folder``).

    The query catalogue (``watchkeeper.queries``) saves them under these names, alarm
    descriptions name the first one to run, and the CLI runs them by name.
    """

    RECENT_ERRORS: Final = "recent-errors"
    TRACE_REQUEST: Final = "trace-request"
    USER_ACTIVITY: Final = "user-activity"
    LATEST_AUTH_FAILURES: Final = "latest-auth-failures"
    AUTH_FAILURES_BY_SOURCE: Final = "auth-failures-by-source"
    AUTHZ_FAILURES_BY_RESOURCE: Final = "authz-failures-by-resource"
    VALIDATION_FAILURES_BY_FIELD: Final = "validation-failures-by-field"
    TOP_OFFENDERS: Final = "top-offenders"
    SLOWEST_INVOCATIONS: Final = "slowest-invocations"
    COLD_STARTS: Final = "cold-starts"
    TIMEOUTS: Final = "timeouts"
    TOP_ERROR_TYPES: Final = "top-error-types"


def saved_query_name(service: str, query: str) -> str:
    """Console name of a saved query: ``<service>/<query>``."""
    return f"{query_folder(service)}{query}"
