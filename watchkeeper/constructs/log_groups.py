"""Managed CloudWatch log groups: retention, encryption, data protection, removal policy.

One ``LogGroupSettings`` holds the validated options; ``create_log_group`` applies them to
a new ``aws_logs.LogGroup`` (the L2, so users get a real ``ILogGroup`` with its grants).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.constructs.custom_data_identifiers import (
    MAX_CUSTOM_DATA_IDENTIFIERS,
    WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS,
    validate_custom_identifier,
)
from watchkeeper.limits import ALLOWED_RETENTION_DAYS, LOG_GROUP_NAME_RE

#: One year: long enough for most incident investigations and audit look-backs.
DEFAULT_RETENTION_DAYS = 365

_RETENTION_ENUM: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

#: Managed data identifiers masked by default: credentials and card numbers, which never
#: belong in logs. Personal data (email, IP address) is left to the application: sourceIp
#: is a security field.
DEFAULT_MANAGED_DATA_IDENTIFIERS: tuple[str, ...] = (
    "AwsSecretKey",
    "OpenSshPrivateKey",
    "PgpPrivateKey",
    "PkcsPrivateKey",
    "PuttyPrivateKey",
    "CreditCardNumber",
)
#: Data identifiers masked by default: the managed ones above, then watchkeeper's custom
#: data identifiers for the credential formats no managed identifier covers (GitHub,
#: GitLab, npm, Slack, Stripe, Google, SendGrid, Twilio, Azure keys, URL passwords, AWS
#: access key ids, JWTs, bearer tokens). Names of either kind may be listed.
DEFAULT_DATA_IDENTIFIERS: tuple[str, ...] = (
    *DEFAULT_MANAGED_DATA_IDENTIFIERS,
    *WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS,
)


def validate_log_group_name(name: str, option: str) -> str:
    """Validate a literal log group name (tokens pass: CloudFormation checks them)."""
    if cdk.Token.is_unresolved(name):
        return name
    if not isinstance(name, str) or not LOG_GROUP_NAME_RE.match(name):
        raise ValueError(
            f"{option}={name!r} is not a valid log group name: 1-512 characters of "
            "letters, digits and . - _ / #"
        )
    if name.startswith("aws/"):
        raise ValueError(f"{option}={name!r}: a log group name must not start with 'aws/'")
    return name


def retention_days_of(
    value: int | logs.RetentionDays | None, option: str = "retention"
) -> int | None:
    """Normalise ``retention`` to days; ``None`` / ``RetentionDays.INFINITE`` mean never expire."""
    if value is None or value == logs.RetentionDays.INFINITE:
        return None
    if isinstance(value, logs.RetentionDays):
        for days, member in _RETENTION_ENUM.items():
            if member == value:
                return days
    if isinstance(value, bool) or not isinstance(value, int) or value not in ALLOWED_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in ALLOWED_RETENTION_DAYS)
        raise ValueError(
            f"{option}={value!r} is not a retention CloudWatch Logs accepts: use one of "
            f"{allowed} (days), a logs.RetentionDays member, or None to never expire"
        )
    return value


#: The public struct these settings are validated from (errors name its fields).
_LOG_GROUP_OPTIONS = "LogGroupOptions"


@dataclass(frozen=True)
class LogGroupSettings:
    """Validated settings applied to every log group watchkeeper creates.

    - ``retention_days``: days kept; None never expires. Default 365.
    - ``encryption_key``: customer-managed KMS key; default None (CloudWatch Logs' own
      encryption). A key created in the app gets the key policy CloudWatch Logs needs.
    - ``removal_policy``: default RETAIN, because logs are evidence.
    - ``data_protection``: mask credentials with a data protection policy; default True.
    - ``data_identifiers``: identifier names masked; default DEFAULT_DATA_IDENTIFIERS.
    - ``custom_data_identifiers``: (name, regex) of the custom ones among them.
    """

    retention_days: int | None = DEFAULT_RETENTION_DAYS
    encryption_key: kms.IKey | None = None
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    data_protection: bool = True
    data_identifiers: tuple[str, ...] = DEFAULT_DATA_IDENTIFIERS
    custom_data_identifiers: tuple[tuple[str, str], ...] = tuple(
        WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS.items()
    )
    _granted_keys: set[str] = field(default_factory=set, compare=False, repr=False)

    @property
    def key_granted(self) -> bool:
        """Whether creating a log group gave CloudWatch Logs the use of ``encryption_key``
        (a statement added to the key's policy)."""
        return bool(self._granted_keys)

    @classmethod
    def build(
        cls,
        *,
        retention: int | logs.RetentionDays | None,
        encryption_key: kms.IKey | None,
        removal_policy: cdk.RemovalPolicy,
        data_protection: bool,
        data_identifiers: Sequence[str | logs.DataIdentifier],
    ) -> LogGroupSettings:
        days = retention_days_of(retention, f"{_LOG_GROUP_OPTIONS}.retention")
        if not isinstance(removal_policy, cdk.RemovalPolicy):
            raise ValueError(
                f"{_LOG_GROUP_OPTIONS}.removal_policy={removal_policy!r} is not a "
                "cdk.RemovalPolicy "
                "(RETAIN is the default; DESTROY, SNAPSHOT, RETAIN_ON_UPDATE_OR_DELETE)"
            )
        names: list[str] = []
        custom: dict[str, str] = {}
        known = {n for n in dir(logs.DataIdentifier) if n.isupper()}
        for ident in data_identifiers:
            if isinstance(ident, logs.CustomDataIdentifier):
                name, regex = validate_custom_identifier(
                    ident.name, ident.regex, f"{_LOG_GROUP_OPTIONS}.data_identifiers"
                )
                if name.upper().replace("-", "_") in known:
                    raise ValueError(
                        f"{_LOG_GROUP_OPTIONS}.data_identifiers contains a custom data "
                        f"identifier named {name!r}, "
                        "the name of a managed one: CloudWatch Logs requires another name"
                    )
                if custom.get(name, regex) != regex or (
                    name in WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS
                    and WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS[name] != regex
                ):
                    raise ValueError(
                        f"{_LOG_GROUP_OPTIONS}.data_identifiers names custom data identifier "
                        f"{name!r} twice with "
                        "different regexes (or reuses a watchkeeper identifier's name): give "
                        "each its own name"
                    )
                custom[name] = regex
                if name not in names:
                    names.append(name)
                continue
            if isinstance(ident, str) and ident in WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS:
                custom[ident] = WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS[ident]
                if ident not in names:
                    names.append(ident)
                continue
            name = ident.name if isinstance(ident, logs.DataIdentifier) else ident
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", name):
                raise ValueError(
                    f"{_LOG_GROUP_OPTIONS}.data_identifiers contains {ident!r}: use "
                    "logs.DataIdentifier members or managed identifier names such as "
                    "'AwsSecretKey' or 'EmailAddress'"
                )
            if name.upper().replace("-", "_") not in known and not isinstance(
                ident, logs.DataIdentifier
            ):
                raise ValueError(
                    f"{_LOG_GROUP_OPTIONS}.data_identifiers contains {name!r}, which is "
                    "neither a CloudWatch Logs managed data identifier (see "
                    "aws_logs.DataIdentifier for the list) nor "
                    "one of watchkeeper's custom ones (WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS); "
                    "pass logs.CustomDataIdentifier(name, regex) for a pattern of your own"
                )
            if name not in names:
                names.append(name)
        if len(custom) > MAX_CUSTOM_DATA_IDENTIFIERS:
            raise ValueError(
                f"{_LOG_GROUP_OPTIONS}.data_identifiers has {len(custom)} custom data identifiers "
                f"({', '.join(custom)}): a CloudWatch Logs data protection policy takes at "
                f"most {MAX_CUSTOM_DATA_IDENTIFIERS}; combine patterns with '|' or drop some "
                "of watchkeeper's"
            )
        if data_protection and not names:
            raise ValueError(
                f"{_LOG_GROUP_OPTIONS}.data_identifiers=[] with data_protection=True: name at "
                "least one identifier, or set data_protection=False"
            )
        return cls(
            retention_days=days,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
            data_protection=bool(data_protection),
            data_identifiers=tuple(names),
            custom_data_identifiers=tuple(custom.items()),
        )


#: What CloudWatch Logs needs of a customer-managed key (the AWS guide's key policy).
_LOGS_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


def _grant_logs_use_of_key(key: kms.IKey) -> None:
    """Let CloudWatch Logs in this region use ``key`` for log groups of this account.

    ``add_to_resource_policy`` is a no-op for imported keys: their policy must already
    allow it (the README says so).
    """
    stack = cdk.Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsUse",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(_LOGS_KEY_ACTIONS),
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                    )
                }
            },
        )
    )


#: Encryption-context keys CloudWatch Logs sets when it encrypts an anomaly detector's
#: data: the detector ARN is under both (the AWS guide's key policy names the two).
_ANOMALY_DETECTOR_CONTEXT_KEYS: tuple[str, ...] = (
    "kms:EncryptionContext:aws:logs:arn",
    "kms:EncryptionContext:aws-crypto-ec:aws:logs:arn",
)


def grant_anomaly_detectors_use_of_key(key: kms.IKey) -> list[iam.PolicyStatement]:
    """Let CloudWatch Logs in this region encrypt anomaly detectors of this account with
    ``key`` (a separate step from log groups: the encryption context names the detector,
    whose ARN ends in an id CloudWatch generates, hence ``anomaly-detector:*``).

    Returns the statements added to the key's policy: none for an imported key, whose
    policy this app cannot change (it must already allow this, as for log groups).
    """
    stack = cdk.Stack.of(key)
    detectors = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:anomaly-detector:*"
    added = []
    for index, context_key in enumerate(_ANOMALY_DETECTOR_CONTEXT_KEYS, start=1):
        statement = iam.PolicyStatement(
            sid=f"AllowCloudWatchLogsAnomalyDetectors{index}",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(_LOGS_KEY_ACTIONS),
            resources=["*"],
            conditions={"ArnLike": {context_key: detectors}},
        )
        if key.add_to_resource_policy(statement).statement_added:
            added.append(statement)
    return added


def retention_enum(days: int | None) -> logs.RetentionDays:
    """The ``logs.RetentionDays`` of a validated number of days (None: never expire)."""
    return logs.RetentionDays.INFINITE if days is None else _RETENTION_ENUM[days]


def data_identifiers_of(settings: LogGroupSettings) -> list[logs.DataIdentifier]:
    """The policy's identifiers: managed by name, custom with their regex."""
    custom = dict(settings.custom_data_identifiers)
    return [
        logs.CustomDataIdentifier(name, custom[name])
        if name in custom
        else logs.DataIdentifier(name)
        for name in settings.data_identifiers
    ]


def create_log_group(
    scope: Construct, construct_id: str, *, name: str, settings: LogGroupSettings, purpose: str
) -> logs.LogGroup:
    """A log group with ``settings`` applied; ``purpose`` goes into the policy description."""
    key = settings.encryption_key
    if key is not None and key.node.addr not in settings._granted_keys:
        _grant_logs_use_of_key(key)
        settings._granted_keys.add(key.node.addr)
    policy = None
    if settings.data_protection:
        policy = logs.DataProtectionPolicy(
            name="watchkeeper-credentials",
            description=f"Masks credentials in {purpose} (watchkeeper)",
            identifiers=data_identifiers_of(settings),
        )
    retention = retention_enum(settings.retention_days)
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=retention,
        encryption_key=key,
        removal_policy=settings.removal_policy,
        data_protection_policy=policy,
    )
    if key is not None and isinstance(key, kms.Key):
        # The key policy must exist before CloudWatch Logs is asked to use the key.
        group.node.add_dependency(key)
    return group




__all__ = [
    "ALLOWED_RETENTION_DAYS",
    "DEFAULT_DATA_IDENTIFIERS",
    "DEFAULT_MANAGED_DATA_IDENTIFIERS",
    "DEFAULT_RETENTION_DAYS",
    "LogGroupSettings",
    "create_log_group",
    "data_identifiers_of",
    "grant_anomaly_detectors_use_of_key",
    "retention_days_of",
    "retention_enum",
    "validate_log_group_name",
]
