"""Field indexes and log anomaly detection on the log groups watchkeeper creates.

- Field indexes (``FieldIndexPolicies`` on ``AWS::Logs::LogGroup``): a Logs Insights
  query that filters an indexed field with ``=`` or ``IN`` skips the log events known not
  to match, so it scans (and costs) less. On by default: the policy itself has no charge
  of its own, and the forensics queries (trace a request, a user's activity) filter
  exactly these fields. Only Standard-class log groups support it; a group may hold one
  policy of at most 20 fields.
- Log anomaly detection (``AWS::Logs::LogAnomalyDetector``): off by default; see
  ``docs/queries-and-dashboards.md`` for why.

Neither is applied to log groups watchkeeper only references (functions deployed
elsewhere): changing another owner's log group from here would fight that owner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper.constructs.resource_logging import log_group_destination_arn
from watchkeeper.schema import Field, PowertoolsField

#: Indexed by default: the fields the forensics queries filter with ``=``.
DEFAULT_INDEXED_FIELDS: tuple[str, ...] = (
    Field.REQUEST_ID,
    Field.USER_ID,
    Field.EVENT,
    Field.SOURCE_IP,
    PowertoolsField.REQUEST_ID,
)
MAX_INDEXED_FIELDS = 20
_FIELD_RE = re.compile(r"^[@A-Za-z_][A-Za-z0-9_.@-]{0,99}$")
ANOMALY_EVALUATION_FREQUENCY = "FIFTEEN_MIN"
ANOMALY_VISIBILITY_DAYS = 21


def validate_field_indexes(value: bool | Sequence[str], option: str) -> tuple[str, ...]:
    """``True``: the default fields; ``False``: none; a list: those fields."""
    if value is True:
        return DEFAULT_INDEXED_FIELDS
    if value is False or value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(
            f"{option}={value!r} is not allowed: True (the default fields), False, or a list "
            "of field names"
        )
    fields: list[str] = []
    for name in value:
        if not isinstance(name, str) or not _FIELD_RE.match(name):
            raise ValueError(
                f"{option} contains {name!r}: a field name is 1-100 characters of letters, "
                "digits, '_', '.', '-' and '@'"
            )
        if name not in fields:
            fields.append(name)
    if not fields or len(fields) > MAX_INDEXED_FIELDS:
        raise ValueError(
            f"{option} has {len(fields)} fields: a field index policy takes 1 to "
            f"{MAX_INDEXED_FIELDS} (or pass False for none)"
        )
    return tuple(fields)


def created_log_groups(groups: Sequence[logs.ILogGroup]) -> list[logs.LogGroup]:
    """The groups among ``groups`` that this app creates (not imported by name)."""
    return [
        g
        for g in groups
        if isinstance(g, logs.LogGroup) and isinstance(g.node.default_child, logs.CfnLogGroup)
    ]


def apply_field_indexes(groups: Sequence[logs.ILogGroup], fields: Sequence[str]) -> int:
    """Set a field index policy on every created group that has none; returns how many."""
    if not fields:
        return 0
    count = 0
    for group in created_log_groups(groups):
        cfn: logs.CfnLogGroup = group.node.default_child  # type: ignore[assignment]
        if cfn.field_index_policies:
            continue  # the user set one: keep it
        cfn.field_index_policies = [{"Fields": list(fields)}]
        count += 1
    return count


def add_anomaly_detectors(
    scope: Construct,
    groups: Sequence[logs.ILogGroup],
    *,
    service: str,
    encryption_key: kms.IKey | None = None,
) -> list[logs.CfnLogAnomalyDetector]:
    """One anomaly detector per created log group (a detector watches one group).

    ``LogGroupArnList`` takes the group's ARN without the ``:*`` that the group's ``Arn``
    attribute ends in: CloudWatch Logs rejects the wildcard form. With ``encryption_key``
    the detectors' data is encrypted with it; the key's policy must allow it
    (``log_groups.grant_anomaly_detectors_use_of_key``).
    """
    detectors = []
    for index, group in enumerate(created_log_groups(groups), start=1):
        suffix = "" if index == 1 else f"-{index}"
        detector = logs.CfnLogAnomalyDetector(
            scope,
            f"AnomalyDetector{suffix}",
            detector_name=f"{service}-logs{suffix}",
            log_group_arn_list=[log_group_destination_arn(group)],
            evaluation_frequency=ANOMALY_EVALUATION_FREQUENCY,
            anomaly_visibility_time=ANOMALY_VISIBILITY_DAYS,
            kms_key_id=encryption_key.key_arn if encryption_key is not None else None,
        )
        # A literal group name leaves no reference in the ARN: the group must exist first.
        detector.node.add_dependency(group)
        detectors.append(detector)
    return detectors
