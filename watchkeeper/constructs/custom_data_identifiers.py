"""CloudWatch Logs custom data identifiers: the second layer of credential masking.

The runtime helper (:mod:`watchkeeper.runtime.redaction`) redacts records before they are
written. Functions that write without it (``print``, Powertools, other runtimes) are
covered by the service log group's data protection policy instead: its managed data
identifiers (AWS secret keys, private keys, card numbers) plus the custom data identifiers
below, one regular expression each, for the formats no managed identifier covers.

CloudWatch's limits on custom data identifiers (CloudWatch Logs User Guide, "Custom data
identifiers", checked 2026-12), enforced at synth by :func:`validate_custom_identifier`:

* at most 10 custom data identifiers per data protection policy: watchkeeper uses
  :data:`WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS` (7), leaving 3 for the user's own;
* a name of at most 128 characters of ``A-Za-z0-9_-``, not the name of a managed
  identifier;
* a regex of at most 200 characters, made of letters, digits, ``_ # = @ / ; , -`` and
  space, and the regex characters ``^ $ ? [ ] { } | \\ * + .``: no parentheses (so no
  groups or lookarounds) and no ``:``.

Consequences: CloudWatch masks a whole match, so the URL identifier masks
``scheme://user:password@`` whole (the runtime keeps the user), and formats that need
context (an AWS secret key without its label, a Basic credential that must decode to
``user:password``) are left to the runtime helper and the managed ``AwsSecretKey``.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

#: CloudWatch Logs limits on custom data identifiers (see the module docstring).
MAX_CUSTOM_DATA_IDENTIFIERS: Final = 10
MAX_CUSTOM_REGEX_LENGTH: Final = 200
MAX_CUSTOM_NAME_LENGTH: Final = 128
CUSTOM_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: Every character CloudWatch accepts in a custom data identifier's regex.
CUSTOM_REGEX_CHARS_RE: Final = re.compile(r"[A-Za-z0-9_#=@/;,\- ^$?\[\]{}|\\*+.]*")

#: watchkeeper's custom data identifiers, name -> regex (CloudWatch's syntax; these are
#: also valid Python ``re`` patterns, which is how the tests check them).
WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS: Final = MappingProxyType(
    {
        # GitHub (classic prefixes and fine-grained PATs), GitLab PATs, npm tokens.
        "WatchkeeperCodeHostToken": (
            r"gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255}"
            r"|glpat-[A-Za-z0-9_.-]{20,255}|npm_[A-Za-z0-9]{36}"
        ),
        # Slack tokens and incoming-webhook / workflow URLs (from the host on).
        "WatchkeeperSlackToken": (
            r"xox[abeoprs]-[A-Za-z0-9-]{10,250}"
            r"|hooks\.slack\.com/[a-z]{8,9}/[A-Za-z0-9_/-]{20,250}"
        ),
        # Stripe secret and restricted keys (live and test), webhook signing secrets.
        "WatchkeeperStripeKey": (
            r"[rs]k_live_[0-9A-Za-z]{10,247}|[rs]k_test_[0-9A-Za-z]{10,247}"
            r"|whsec_[0-9A-Za-z]{24,128}"
        ),
        # Google API keys, SendGrid API keys, Twilio account and API key SIDs.
        "WatchkeeperApiKey": (
            r"AIza[0-9A-Za-z_-]{35}|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"
            r"|AC[0-9a-f]{32}|SK[0-9a-f]{32}"
        ),
        # Azure storage / Service Bus / Event Hubs connection-string keys.
        "WatchkeeperAzureKey": (
            r"AccountKey=[A-Za-z0-9+/]{20,128}={0,2}|SharedAccessKey=[A-Za-z0-9+/]{20,128}={0,2}"
        ),
        # scheme://user:password@ (the `.` stands for the `:` CloudWatch does not accept).
        "WatchkeeperUrlPassword": r"[a-z][a-z0-9+.-]{1,31}.//[^\s/?#]{1,256}@",
        # AWS access key ids, JWTs, bearer tokens of 20+ characters.
        "WatchkeeperAwsKeyIdOrJwt": (
            r"AKIA[A-Z0-9]{16}|ASIA[A-Z0-9]{16}|ABIA[A-Z0-9]{16}|ACCA[A-Z0-9]{16}"
            r"|eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*"
            r"|Bearer [A-Za-z0-9._+/-]{20,}=*"
        ),
    }
)


def validate_custom_identifier(name: object, regex: object, option: str) -> tuple[str, str]:
    """``(name, regex)`` if CloudWatch Logs accepts them as a custom data identifier."""
    if not isinstance(name, str) or not CUSTOM_NAME_RE.fullmatch(name):
        raise ValueError(
            f"{option} contains a custom data identifier named {name!r}: a name is 1-"
            f"{MAX_CUSTOM_NAME_LENGTH} characters of letters, digits, '_' and '-'"
        )
    if not isinstance(regex, str) or not 0 < len(regex) <= MAX_CUSTOM_REGEX_LENGTH:
        raise ValueError(
            f"{option}: custom data identifier {name!r} has a regex of "
            f"{len(regex) if isinstance(regex, str) else regex!r} characters; CloudWatch "
            f"Logs takes 1-{MAX_CUSTOM_REGEX_LENGTH}"
        )
    bad = sorted(set(CUSTOM_REGEX_CHARS_RE.sub("", regex)))
    if bad:
        raise ValueError(
            f"{option}: custom data identifier {name!r} has characters CloudWatch Logs does "
            f"not accept in a regex: {''.join(bad)!r} (allowed: letters, digits, "
            "_ # = @ / ; , - space and ^ $ ? [ ] { } | \\ * + .)"
        )
    try:
        re.compile(regex)
    except re.error as error:
        raise ValueError(
            f"{option}: custom data identifier {name!r} has an invalid regex {regex!r}: {error}"
        ) from None
    return name, regex


__all__ = [
    "CUSTOM_NAME_RE",
    "CUSTOM_REGEX_CHARS_RE",
    "MAX_CUSTOM_DATA_IDENTIFIERS",
    "MAX_CUSTOM_NAME_LENGTH",
    "MAX_CUSTOM_REGEX_LENGTH",
    "WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS",
    "validate_custom_identifier",
]
