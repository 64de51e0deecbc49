"""The stage a ServiceMonitoring qualifies its names with, and the app-wide check that no
two ServiceMonitorings would create the same physical names (checked at construction)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from watchkeeper import schema


def resolve_stage(scope: Construct, stage: str | None, service: str) -> str | None:
    """The validated stage: ``stage=``, else the enclosing ``cdk.Stage``'s name mapped into
    the allowed form, else None. ``stage=""`` means no stage, even inside a ``cdk.Stage``."""
    limit = schema.MAX_QUALIFIED_NAME_LENGTH
    if stage is None:
        enclosing = cdk.Stage.of(scope)
        # The App is a Stage too, with an empty name: only a real cdk.Stage gives one.
        stage_name = enclosing.stage_name if enclosing is not None else ""
        if not stage_name:
            return None
        mapped = schema.stage_from_name(stage_name)
        if not mapped or len(schema.qualified_name(service, mapped)) > limit:
            raise ValueError(
                f"stage: the enclosing cdk.Stage {stage_name!r} gives the stage {mapped!r}, "
                f"which is not allowed ({schema.STAGE_RULE}); pass stage= (a shorter name, "
                'or "" for none)'
            )
        return mapped
    if stage == "":
        return None
    if (
        not isinstance(stage, str)
        or not schema.STAGE_RE.match(stage)
        or len(schema.qualified_name(service, stage)) > limit
    ):
        room = limit - len(service) - 1
        raise ValueError(
            f"stage={stage!r} is not allowed: {schema.STAGE_RULE} (with "
            f"service_name={service!r}: at most {room} characters)"
        )
    return stage


#: Attribute of the App root under which the names claimed by every ServiceMonitoring of
#: that app are kept: an app's own state, so nothing leaks from one app (or test) to another.
_CLAIMS_ATTRIBUTE = "_watchkeeper_name_claims"


def claim_names(scope: Construct, *, qualified_name: str, log_group_per_function: bool,
                log_group_name: str | None, dashboards: bool,
                dashboard_name_prefix: str | None) -> None:
    """Refuse a second ServiceMonitoring whose physical names would be the same as an
    earlier one's in the same account and region (any stack or cdk.Stage of the app)."""
    stack = cdk.Stack.of(scope)
    account, region = stack.account, stack.region
    claims = [("the names built from", qualified_name)]
    if not log_group_per_function and log_group_name is not None:
        # (the default name is built from the qualified name, claimed above)
        claims.append(("the log group", log_group_name))
    if dashboards:
        claims.append(("the dashboards", f"{dashboard_name_prefix or qualified_name}-*"))
    root: Any = scope.node.root
    registry: dict[tuple[str, str], list[tuple[str, str, str]]] | None = getattr(
        root, _CLAIMS_ATTRIBUTE, None)
    if registry is None:
        registry = {}
        setattr(root, _CLAIMS_ATTRIBUTE, registry)
    path = scope.node.path
    for what, name in claims:
        for other_path, other_account, other_region in registry.get((what, name), []):
            if _may_be_same(account, other_account) and _may_be_same(region, other_region):
                raise ValueError(
                    f"ServiceMonitoring {path} and {other_path} would both create {what} "
                    f"{name!r} in the same account and region (an environment-agnostic stack "
                    "may deploy anywhere): the second deployment would fail with 'already "
                    "exists' or share alarms and metrics with the first. Give each one a "
                    'stage= (e.g. stage="dev" and stage="prod"), or a different service_name'
                )
    for what, name in claims:
        registry.setdefault((what, name), []).append((path, account, region))


def _may_be_same(value: str, other: str) -> bool:
    """Two accounts (or regions) may be the same unless both are known and differ."""
    return cdk.Token.is_unresolved(value) or cdk.Token.is_unresolved(other) or value == other


