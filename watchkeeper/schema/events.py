"""The OWASP Logging Vocabulary: the security events, their categories and levels, and the
metrics counted from the logs.

The ``event`` field holds ``name[:param1,param2]``, e.g. ``authn_login_fail:joebob1``;
applications add events of their own as ``custom_<name>``. Standard library only: this
module runs inside Lambda functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


class Category:
    AUTHN: Final = "authn"
    AUTHZ: Final = "authz"
    CRYPT: Final = "crypt"
    EXCESS: Final = "excess"
    INPUT: Final = "input"
    MALICIOUS: Final = "malicious"
    PRIVILEGE: Final = "privilege"
    SENSITIVE: Final = "sensitive"
    SEQUENCE: Final = "sequence"
    SESSION: Final = "session"
    SYS: Final = "sys"
    UPLOAD: Final = "upload"
    USER: Final = "user"
    CUSTOM: Final = "custom"


class SecurityMetric:
    """Names of the security metrics published from the logs (per-service namespace)."""

    AUTHN_FAILURES: Final = "AuthenticationFailures"
    AUTHZ_FAILURES: Final = "AuthorizationFailures"
    INPUT_VALIDATION_FAILURES: Final = "InputValidationFailures"
    RATE_LIMIT_EXCEEDED: Final = "RateLimitExceeded"
    MALICIOUS_REQUESTS: Final = "MaliciousRequests"
    SENSITIVE_DATA_ACCESS: Final = "SensitiveDataAccess"


#: The one metric that counts every counted security event, for log groups that should carry
#: as few metric filters as possible (functions deployed elsewhere, one group each).
SECURITY_EVENTS_METRIC: Final = "SecurityEvents"


class HealthMetric:
    """Names of the health metrics published from the logs (per-service namespace)."""

    ERRORS: Final = "Errors"
    TIMEOUTS: Final = "Timeouts"
    OUT_OF_MEMORY: Final = "OutOfMemory"
    COLD_STARTS: Final = "ColdStarts"


@dataclass(frozen=True)
class SecurityEvent:
    """One event of the vocabulary.

    ``level`` is the Python logging level name the runtime helper uses by default;
    ``metric`` is the security metric that counts it (``None``: logged, not counted).
    """

    name: str
    category: str
    level: str
    description: str
    metric: str | None = None


def _ev(name: str, level: str, description: str, metric: str | None = None) -> SecurityEvent:
    return SecurityEvent(name, name.split("_", 1)[0], level, description, metric)


_A = SecurityMetric
_EVENTS: tuple[SecurityEvent, ...] = (
    # Authentication
    _ev("authn_login_success", "INFO", "A user logged in"),
    _ev("authn_login_successafterfail", "INFO", "A user logged in after failed attempts"),
    _ev("authn_login_fail", "WARNING", "A login attempt failed", _A.AUTHN_FAILURES),
    _ev("authn_login_fail_max", "WARNING", "Too many failed logins for a user", _A.AUTHN_FAILURES),
    _ev(
        "authn_login_lock",
        "WARNING",
        "An account was locked after failed logins",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_password_change", "INFO", "A password was changed"),
    _ev("authn_password_change_fail", "CRITICAL", "A password change failed", _A.AUTHN_FAILURES),
    _ev(
        "authn_impossible_travel",
        "CRITICAL",
        "Logins from places too far apart in time",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_token_created", "INFO", "A token was issued"),
    _ev("authn_token_revoked", "INFO", "A token was revoked"),
    _ev(
        "authn_token_reuse",
        "CRITICAL",
        "A revoked or used token was presented again",
        _A.AUTHN_FAILURES,
    ),
    _ev("authn_token_delete", "WARNING", "A token was deleted"),
    # Authorisation
    _ev("authz_fail", "CRITICAL", "Access to a resource was denied", _A.AUTHZ_FAILURES),
    _ev("authz_change", "WARNING", "A user's entitlements changed"),
    _ev("authz_admin", "WARNING", "An administrative action was taken"),
    # Cryptography
    _ev("crypt_decrypt_fail", "WARNING", "Decryption failed"),
    _ev("crypt_encrypt_fail", "WARNING", "Encryption failed"),
    # Excess use
    _ev(
        "excess_rate_limit_exceeded",
        "WARNING",
        "A caller passed a rate limit",
        _A.RATE_LIMIT_EXCEEDED,
    ),
    _ev(
        "excess_sessions_exceeded",
        "WARNING",
        "A user passed the session limit",
        _A.RATE_LIMIT_EXCEEDED,
    ),
    # File upload
    _ev("upload_complete", "INFO", "A file upload completed"),
    _ev("upload_stored", "INFO", "An uploaded file was stored"),
    _ev("upload_validation", "WARNING", "An uploaded file was validated (or rejected)"),
    _ev("upload_delete", "INFO", "An uploaded file was deleted"),
    # Input validation
    _ev(
        "input_validation_fail",
        "WARNING",
        "Input failed server-side validation",
        _A.INPUT_VALIDATION_FAILURES,
    ),
    _ev(
        "input_validation_discrete_fail",
        "WARNING",
        "Input was not one of the allowed discrete values",
        _A.INPUT_VALIDATION_FAILURES,
    ),
    # Malicious behaviour
    _ev(
        "malicious_excess_404",
        "WARNING",
        "Many requests for resources that do not exist",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_extraneous",
        "CRITICAL",
        "Unexpected input that a normal client never sends",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_attack_tool",
        "CRITICAL",
        "A known attack tool was recognised",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev("malicious_sqli", "CRITICAL", "An SQL injection attempt", _A.MALICIOUS_REQUESTS),
    _ev(
        "malicious_cors",
        "CRITICAL",
        "A request from an origin that is not allowed",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_direct_reference",
        "CRITICAL",
        "Direct reference to an object the user may not see",
        _A.MALICIOUS_REQUESTS,
    ),
    _ev(
        "malicious_csrf", "CRITICAL", "A cross-site request forgery attempt", _A.MALICIOUS_REQUESTS
    ),
    _ev(
        "malicious_csp_violation",
        "WARNING",
        "A Content Security Policy violation report",
        _A.MALICIOUS_REQUESTS,
    ),
    # Privileges
    _ev("privilege_permissions_changed", "WARNING", "An object's permissions changed"),
    # Sensitive data
    _ev("sensitive_create", "WARNING", "Sensitive data was created", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_read", "WARNING", "Sensitive data was read", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_update", "WARNING", "Sensitive data was changed", _A.SENSITIVE_DATA_ACCESS),
    _ev("sensitive_delete", "WARNING", "Sensitive data was deleted", _A.SENSITIVE_DATA_ACCESS),
    # Sequence
    _ev("sequence_fail", "CRITICAL", "A business flow was taken out of its order"),
    # Sessions
    _ev("session_created", "INFO", "A session was created"),
    _ev("session_renewed", "INFO", "A session was renewed"),
    _ev("session_expired", "INFO", "A session expired"),
    _ev("session_use_after_expire", "CRITICAL", "An expired session was used"),
    _ev("session_logout", "INFO", "A user logged out"),
    # System
    _ev("sys_startup", "WARNING", "The system started"),
    _ev("sys_shutdown", "WARNING", "The system shut down"),
    _ev("sys_restart", "WARNING", "The system restarted"),
    _ev("sys_crash", "WARNING", "The system crashed"),
    _ev("sys_monitor_disabled", "WARNING", "Monitoring was switched off"),
    _ev("sys_monitor_enabled", "WARNING", "Monitoring was switched on"),
    # User management
    _ev("user_created", "WARNING", "A user was created"),
    _ev("user_updated", "WARNING", "A user was changed"),
    _ev("user_archived", "WARNING", "A user was archived"),
    _ev("user_deleted", "WARNING", "A user was deleted"),
)

#: Every event of the vocabulary, by name (read-only).
VOCABULARY: Final = MappingProxyType({e.name: e for e in _EVENTS})

#: Prefix under which applications may log events of their own (``custom_<name>``).
CUSTOM_EVENT_PREFIX: Final = "custom_"
CUSTOM_EVENT_RE: Final = re.compile(r"^custom_[a-z0-9]+(?:_[a-z0-9]+)*$")
#: Default level of a custom event.
CUSTOM_EVENT_LEVEL: Final = "WARNING"


def events_counted_by(metric: str) -> tuple[SecurityEvent, ...]:
    """The vocabulary events that a security metric counts, in vocabulary order."""
    return tuple(e for e in _EVENTS if e.metric == metric)


def security_metric_names() -> tuple[str, ...]:
    """Every security metric that at least one event feeds, in vocabulary order."""
    seen: dict[str, None] = {}
    for e in _EVENTS:
        if e.metric:
            seen.setdefault(e.metric, None)
    return tuple(seen)


def event_name_globs(metric: str) -> tuple[str, ...]:
    """Shortest set of ``event`` value globs that match exactly the events of ``metric``.

    A whole category collapses to ``<category>_*`` when every event of the category is
    counted by the metric; otherwise each event becomes ``<name>*`` (the ``*`` takes the
    ``:params`` suffix). A glob never matches an event that the metric does not count:
    ``authn_login_fail*`` would also take ``authn_login_fail_max``, which is why that
    check is made against the whole vocabulary.
    """
    counted = events_counted_by(metric)
    globs: list[str] = []
    categories_done: set[str] = set()
    for event in counted:
        cat = event.category
        if cat in categories_done:
            continue
        in_category = [e for e in _EVENTS if e.category == cat]
        if all(e.metric == metric for e in in_category):
            globs.append(f"{cat}_*")
            categories_done.add(cat)
            continue
        globs.append(f"{event.name}*")
    # Drop a glob that is covered by a shorter one of the same metric.
    pruned = [g for g in globs if not any(o != g and g.startswith(o[:-1]) for o in globs)]
    for glob in pruned:
        prefix = glob[:-1]
        over = [e.name for e in _EVENTS if e.name.startswith(prefix) and e.metric != metric]
        if over:  # pragma: no cover - guards the vocabulary above against future edits
            raise AssertionError(f"glob {glob!r} of {metric} would also count {over}")
    return tuple(pruned)


def split_event(value: str) -> tuple[str, tuple[str, ...]]:
    """Split an ``event`` field value ``name:p1,p2`` into ``(name, (p1, p2))``."""
    name, _, params = value.partition(":")
    return name, tuple(p for p in params.split(",") if p) if params else ()
