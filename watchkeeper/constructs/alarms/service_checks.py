"""The checks of the service as a whole, beside those of its resources' kinds (which each
kind module holds in ``ResourceKind.checks``): the service's health read from its logs and
the account's concurrency (``SERVICE_CHECKS``), and the security metrics of its logs with
the top offenders of its Contributor Insights rules (``SECURITY_CHECKS``).
``security_alarms`` and ``contributor_insights`` plan their alarms;
``kinds.registry.known_checks()`` lists them with the kinds' checks.
"""

from __future__ import annotations

from watchkeeper import schema
from watchkeeper.constructs.alarms.settings import (
    ANOMALY_UPPER,
    GT,
    GTE,
    NOT_BREACHING,
    SECURITY,
    Check,
)
from watchkeeper.schema import QueryName

#: Checks whose alarms contributor_insights.py builds on its rules (names start with it).
TOP_OFFENDER_CHECK_PREFIX = "top_"

#: Service-wide: the account's concurrency, and health metrics from the service's logs.
SERVICE_CHECKS: tuple[Check, ...] = (
    Check("service", "account_concurrency", "account concurrency near its limit",
          "ConcurrentExecutions (account)", "Maximum", 0, GT, 60, 10, 10, NOT_BREACHING, "warning",
          "executions (default: 90% of concurrency_limit)", QueryName.SLOWEST_INVOCATIONS,
          minimum=1),
    Check("service", "timeouts", "function timeouts", schema.HealthMetric.TIMEOUTS, "Sum", 0, GT,
          60, 1, 1, NOT_BREACHING, "critical", "timeouts per minute", QueryName.TIMEOUTS),
    Check("service", "out_of_memory", "functions out of memory", schema.HealthMetric.OUT_OF_MEMORY,
          "Sum", 0, GT, 60, 1, 1, NOT_BREACHING, "critical", "events per minute",
          QueryName.SLOWEST_INVOCATIONS),
)

#: Security metrics from the service's logs (no dimensions), then the top offenders.
SECURITY_CHECKS: tuple[Check, ...] = (
    Check("security", "authn_failures", "authentication failures",
          schema.SecurityMetric.AUTHN_FAILURES, "Sum", 20, GTE, 300, 1, 1, NOT_BREACHING, "warning",
          "failures per 5 minutes", QueryName.AUTH_FAILURES_BY_SOURCE, category=SECURITY),
    Check("security", "authn_failures_anomaly", "authentication failures above the expected band",
          schema.SecurityMetric.AUTHN_FAILURES, "Sum", 3, ANOMALY_UPPER, 300, 3, 2, NOT_BREACHING,
          "warning", "standard deviations", QueryName.AUTH_FAILURES_BY_SOURCE, category=SECURITY,
          anomaly=True, minimum=0.1, maximum=10),
    Check("security", "authz_failures", "authorisation failures",
          schema.SecurityMetric.AUTHZ_FAILURES, "Sum", 1, GTE, 60, 1, 1, NOT_BREACHING, "warning",
          "failures per minute", QueryName.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY),
    Check("security", "input_validation", "input validation failures",
          schema.SecurityMetric.INPUT_VALIDATION_FAILURES, "Sum", 50, GTE, 300, 1, 1, NOT_BREACHING,
          "warning", "failures per 5 minutes", QueryName.VALIDATION_FAILURES_BY_FIELD,
          category=SECURITY),
    Check("security", "malicious_requests", "malicious requests",
          schema.SecurityMetric.MALICIOUS_REQUESTS, "Sum", 1, GTE, 60, 1, 1, NOT_BREACHING,
          "warning", "events per minute", QueryName.TOP_OFFENDERS, category=SECURITY),
    Check("security", "security_events", "security events", schema.SECURITY_EVENTS_METRIC, "Sum",
          10, GTE, 300, 1, 1, NOT_BREACHING, "warning", "events per 5 minutes",
          QueryName.TOP_OFFENDERS, category=SECURITY,
          when="log groups of functions deployed elsewhere (their compact filter set counts "
               "every security event in one metric)"),
    # Top offenders: the top contributor of a Contributor Insights rule on the service's
    # logs (contributor_insights.py), where one source or user hides in the service count.
    Check("security", "top_authn_failure_source", "authentication failures from one source IP",
          f"MaxContributorValue (authn failures by {schema.Field.SOURCE_IP})", "Maximum", 10, GTE,
          300, 1, 1, NOT_BREACHING, "warning", "failures per 5 minutes from one address",
          QueryName.AUTH_FAILURES_BY_SOURCE, category=SECURITY, minimum=1,
          when="DetectionOptions.top_offenders (default True) and the service has function logs"),
    Check("security", "top_authn_failure_user", "authentication failures against one user",
          f"MaxContributorValue (authn failures by {schema.Field.USER_ID})", "Maximum", 10, GTE,
          300, 1, 1, NOT_BREACHING, "warning", "failures per 5 minutes for one user",
          QueryName.AUTH_FAILURES_BY_SOURCE, category=SECURITY, minimum=1,
          when="DetectionOptions.top_offenders (default True) and the service has function logs"),
    # Opt-in: `security.authz_failures` fires at the first denial per minute already.
    Check("security", "top_authz_failure_source", "authorisation failures from one source IP",
          f"MaxContributorValue (authz failures by {schema.Field.SOURCE_IP})", "Maximum", 5, GTE,
          300, 1, 1, NOT_BREACHING, "warning", "failures per 5 minutes from one address",
          QueryName.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY, minimum=1,
          when="opted in (AlarmSettings(enabled=True)); the rule and its widget always exist"),
    Check("security", "top_authz_failure_user", "authorisation failures by one user",
          f"MaxContributorValue (authz failures by {schema.Field.USER_ID})", "Maximum", 5, GTE, 300,
          1, 1, NOT_BREACHING, "warning", "failures per 5 minutes by one user",
          QueryName.AUTHZ_FAILURES_BY_RESOURCE, category=SECURITY, minimum=1,
          when="opted in (AlarmSettings(enabled=True)); the rule and its widget always exist"),
)
