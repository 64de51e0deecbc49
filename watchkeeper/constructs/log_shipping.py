"""Central log shipping: subscription filters, or one account-level subscription policy.

Two ways to send a service's logs to a central destination:

- ``"subscription-filters"`` (default): one ``AWS::Logs::SubscriptionFilter`` per log group
  and destination, named ``watchkeeper-<service>-<n>``. CloudWatch Logs allows two
  subscription filters per log group; watchkeeper counts the filters the app already puts
  on a group and refuses to pass the limit. Filters that exist outside the app (on the
  ``/aws/lambda/<name>`` group of a function deployed elsewhere) cannot be seen at synth:
  a third filter then fails the deployment with ``LimitExceededException``.
- ``"account-policy"``: one ``AWS::Logs::AccountPolicy`` of type
  ``SUBSCRIPTION_FILTER_POLICY`` that subscribes every log group of the account and
  region (minus an exclusion list) to one destination. There can be only one such
  policy per account and region, so this is an account-wide decision, off by default.

Destinations (``ship_logs_to``): the aws-cdk-lib destinations
(``aws_logs_destinations.KinesisDestination``, ``FirehoseDestination``,
``LambdaDestination``), ``aws_logs.CrossAccountDestination``, an ``aws_logs.CfnDestination``,
the ARN of a logs destination in another account (``arn:aws:logs:<region>:<account>:
destination:<name>``), a ``CentralLogArchive``, or a list of at most two of these.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_logs as logs
from constructs import Construct

from watchkeeper import schema
from watchkeeper.constructs.cdk_internals import implements, loaded_classes
from watchkeeper.constructs.validation import require_one_of
from watchkeeper.limits import MAX_FILTER_PATTERN_LENGTH
from watchkeeper.limits import (
    MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP as SUBSCRIPTION_FILTERS_PER_LOG_GROUP,
)

if TYPE_CHECKING:  # pragma: no cover
    from watchkeeper.constructs.central_log_archive import CentralLogArchive

SHIP_LOGS_MODES: tuple[str, ...] = ("subscription-filters", "account-policy")

_DESTINATION_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:destination:[^:*\s]{1,512}$"
)

_ALLOWED_KINDS = (
    "aws_logs_destinations.KinesisDestination, FirehoseDestination or LambdaDestination, "
    "aws_logs.CrossAccountDestination, aws_logs.CfnDestination, a logs destination ARN "
    "('arn:aws:logs:<region>:<account>:destination:<name>'), a CentralLogArchive, or a "
    f"list of at most {SUBSCRIPTION_FILTERS_PER_LOG_GROUP} of these"
)


@jsii.implements(logs.ILogSubscriptionDestination)
class _ArnDestination:
    """A logs destination named by ARN (cross-account delivery needs no role here)."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def bind(
        self, scope: Construct, source_log_group: logs.ILogGroup
    ) -> logs.LogSubscriptionDestinationConfig:
        return logs.LogSubscriptionDestinationConfig(arn=self.arn)


@dataclass(frozen=True)
class ShippingDestination:
    """One validated destination.

    ``kind``: ``kinesis``, ``firehose``, ``lambda``, ``cross-account``, ``archive`` or
    ``custom`` (another ``ILogSubscriptionDestination`` implementation).
    """

    kind: str
    destination: Any
    #: The CentralLogArchive, when ``kind == "archive"``.
    archive: CentralLogArchive | None = None


def _destination_of(value: Any, option: str) -> ShippingDestination:
    # A destination of a module nobody imported cannot have been passed, so the modules
    # are looked up, not imported: every synth would otherwise pay for importing
    # aws_logs_destinations, Firehose and S3 whether or not logs are shipped.
    archive_module = sys.modules.get("watchkeeper.constructs.central_log_archive")
    if archive_module is not None and isinstance(value, archive_module.CentralLogArchive):
        return ShippingDestination("archive", value.destination, archive=value)
    for kind, classes in (
        ("kinesis", loaded_classes("aws_logs_destinations", "KinesisDestination")),
        ("firehose", loaded_classes("aws_logs_destinations", "FirehoseDestination")),
        ("lambda", loaded_classes("aws_logs_destinations", "LambdaDestination")),
    ):
        if classes and isinstance(value, classes):
            return ShippingDestination(kind, value)
    if isinstance(value, logs.CrossAccountDestination):
        return ShippingDestination("cross-account", value)
    if isinstance(value, logs.CfnDestination):
        return ShippingDestination("cross-account", _ArnDestination(value.attr_arn))
    if isinstance(value, str):
        if cdk.Token.is_unresolved(value) or _DESTINATION_ARN_RE.match(value):
            return ShippingDestination("cross-account", _ArnDestination(value))
        raise ValueError(
            f"{option}={value!r} is not a CloudWatch Logs destination ARN "
            "(arn:aws:logs:<region>:<account>:destination:<name>); a string names a "
            "cross-account destination, other targets are passed as CDK objects"
        )
    if implements(value, logs.ILogSubscriptionDestination):
        return ShippingDestination("custom", value)
    raise ValueError(f"{option}={value!r} is not a supported log destination: use {_ALLOWED_KINDS}")


@dataclass(frozen=True)
class LogShippingSettings:
    """Validated ``ship_logs_*`` options of ServiceMonitoring.

    - ``destinations``: one or two ``ShippingDestination``.
    - ``mode``: ``subscription-filters`` or ``account-policy``.
    - ``filter_pattern``: which events to ship; "" ships every event.
    - ``ship_referenced_log_groups``: also subscribe log groups watchkeeper only
      references (``/aws/lambda/<name>`` of functions deployed elsewhere).
    - ``excluded_log_groups``: account-policy mode: log groups never subscribed.
    """

    destinations: tuple[ShippingDestination, ...]
    mode: str = "subscription-filters"
    filter_pattern: str = ""
    ship_referenced_log_groups: bool = True
    excluded_log_groups: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        ship_logs_to: Any,
        mode: str = "subscription-filters",
        filter_pattern: str = "",
        ship_referenced_log_groups: bool = True,
        excluded_log_groups: Sequence[str] = (),
    ) -> LogShippingSettings | None:
        """Validate the options; None when ``ship_logs_to`` is None (no shipping).

        Errors name the fields of ``ShippingOptions``, the public struct they come from.
        """
        to, mode_, pattern, excluded = (f"ShippingOptions.{f}" for f in (
            "destinations", "mode", "filter_pattern", "excluded_log_groups"))
        require_one_of(mode, mode_, SHIP_LOGS_MODES)
        if not isinstance(filter_pattern, str) or len(filter_pattern) > MAX_FILTER_PATTERN_LENGTH:
            raise ValueError(
                f"{pattern}={filter_pattern!r} must be a filter pattern string "
                f"of at most {MAX_FILTER_PATTERN_LENGTH} characters ('' ships every event)"
            )
        if isinstance(excluded_log_groups, str) or not all(
            isinstance(g, str) and g for g in excluded_log_groups
        ):
            raise ValueError(
                f"{excluded}={excluded_log_groups!r} must be a list of "
                "log group names"
            )
        if ship_logs_to is None:
            if mode != "subscription-filters" or excluded_log_groups:
                raise ValueError(f"{mode_}={mode!r} / {excluded} need {to}")
            return None
        values = list(ship_logs_to) if isinstance(ship_logs_to, list | tuple) else [ship_logs_to]
        if not values:
            raise ValueError(f"{to}=[] names no destination: use {_ALLOWED_KINDS}")
        if len(values) > SUBSCRIPTION_FILTERS_PER_LOG_GROUP:
            raise ValueError(
                f"{to} names {len(values)} destinations: CloudWatch Logs allows "
                f"{SUBSCRIPTION_FILTERS_PER_LOG_GROUP} subscription filters per log group; "
                "fan out behind one destination (a Kinesis stream or Firehose) instead"
            )
        destinations = tuple(
            _destination_of(v, f"{to}[{i}]" if len(values) > 1 else to)
            for i, v in enumerate(values)
        )
        if len({id(d.destination) for d in destinations}) != len(destinations):
            raise ValueError(f"{to} names the same destination twice")
        if mode == "account-policy":
            if len(destinations) != 1:
                raise ValueError(
                    f"{mode_}='account-policy' takes one destination; {to} "
                    f"names {len(destinations)}"
                )
            if destinations[0].kind == "lambda":
                raise ValueError(
                    f"{mode_}='account-policy' with a LambdaDestination is not "
                    "supported: use a Kinesis stream, Firehose, a CentralLogArchive or a "
                    f"cross-account destination, or {mode_}='subscription-filters'"
                )
        elif excluded_log_groups:
            raise ValueError(f"{excluded} applies to {mode_}='account-policy' only")
        return cls(
            destinations=destinations,
            mode=mode,
            filter_pattern=filter_pattern,
            ship_referenced_log_groups=bool(ship_referenced_log_groups),
            excluded_log_groups=tuple(excluded_log_groups),
        )


def _existing_filters(stack: cdk.Stack, log_group_name: Any) -> list[str]:
    """Paths of the subscription filters already in the app for the named log group."""
    wanted = stack.resolve(log_group_name)
    return [
        node.node.path
        for node in stack.node.find_all()
        if isinstance(node, logs.CfnSubscriptionFilter)
        and stack.resolve(node.log_group_name) == wanted
    ]


def _filter_pattern(pattern: str) -> logs.IFilterPattern:
    return logs.FilterPattern.all_events() if pattern == "" else logs.FilterPattern.literal(pattern)


def ship_log_groups(
    scope: Construct,
    *,
    service_name: str,
    log_groups: Sequence[logs.ILogGroup],
    settings: LogShippingSettings,
    depends_on: Mapping[str, Construct] | None = None,
) -> list[logs.SubscriptionFilter]:
    """Subscribe every log group in ``log_groups`` to every destination of ``settings``.

    Filters are created in ``scope`` with ids ``<log group id>-Ship<n>`` and named
    ``watchkeeper-<service>-<n>``. ``depends_on``: by log group name, a construct the
    group's filters must wait for (the resource that makes sure the group exists).

    :raises ValueError: when a log group would carry more than two subscription filters.
    """
    stack = cdk.Stack.of(scope)
    created: list[logs.SubscriptionFilter] = []
    for group in log_groups:
        existing = _existing_filters(stack, group.log_group_name)
        total = len(existing) + len(settings.destinations)
        if total > SUBSCRIPTION_FILTERS_PER_LOG_GROUP:
            raise ValueError(
                f"log group {group.node.path} would get {total} subscription filters "
                f"(ship_logs_to adds {len(settings.destinations)}; already in the app: "
                f"{', '.join(existing)}); CloudWatch Logs allows "
                f"{SUBSCRIPTION_FILTERS_PER_LOG_GROUP} per log group"
            )
        prerequisite = (depends_on or {}).get(group.log_group_name)
        for index, destination in enumerate(settings.destinations, start=1):
            subscription = logs.SubscriptionFilter(
                scope,
                f"{group.node.id}-Ship{index}",
                log_group=group,
                destination=destination.destination,
                filter_pattern=_filter_pattern(settings.filter_pattern),
                filter_name=schema.subscription_filter_name(service_name, index),
            )
            if prerequisite is not None:
                subscription.node.add_dependency(prerequisite)
            created.append(subscription)
    return created


def destination_arns(filters: Sequence[logs.SubscriptionFilter]) -> set[str]:
    """Resolved destination ARNs of ``filters`` (to detect a function shipping to itself)."""
    out: set[str] = set()
    for subscription in filters:
        cfn = subscription.node.default_child
        if isinstance(cfn, logs.CfnSubscriptionFilter):
            out.add(_canonical(cdk.Stack.of(cfn).resolve(cfn.destination_arn)))
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def references_to(scope: Construct, values: Sequence[Any]) -> set[str]:
    """Resolved, comparable forms of ``values`` (ARNs as literals or references)."""
    stack = cdk.Stack.of(scope)
    return {_canonical(stack.resolve(v)) for v in values}


def create_account_subscription_policy(
    scope: Construct,
    construct_id: str,
    *,
    service_name: str,
    settings: LogShippingSettings,
) -> logs.CfnAccountPolicy:
    """The account-wide subscription filter policy for ``settings.destinations[0]``.

    The archive's own delivery-error log group is always excluded, so Firehose errors
    are not shipped into the stream that produced them.
    """
    destination = settings.destinations[0]
    source = logs.LogGroup.from_log_group_name(scope, f"{construct_id}Source", "*")
    config = destination.destination.bind(scope, source)
    document: dict[str, Any] = {
        "DestinationArn": config.arn,
        "FilterPattern": settings.filter_pattern,
        "Distribution": "Random",
    }
    if config.role is not None:
        document["RoleArn"] = config.role.role_arn
    stack = cdk.Stack.of(scope)
    excluded = list(settings.excluded_log_groups)
    if destination.archive is not None:
        excluded.append(destination.archive.error_log_group.log_group_name)
    policy = logs.CfnAccountPolicy(
        scope,
        construct_id,
        policy_name=f"watchkeeper-{service_name}-subscription",
        policy_type="SUBSCRIPTION_FILTER_POLICY",
        policy_document=stack.to_json_string(document),
        scope="ALL",
        selection_criteria=(
            "LogGroupName NOT IN " + stack.to_json_string(excluded) if excluded else None
        ),
    )
    if config.role is not None:
        policy.node.add_dependency(config.role)
    return policy


__all__ = [
    "MAX_FILTER_PATTERN_LENGTH",
    "SHIP_LOGS_MODES",
    "SUBSCRIPTION_FILTERS_PER_LOG_GROUP",
    "LogShippingSettings",
    "ShippingDestination",
    "create_account_subscription_policy",
    "destination_arns",
    "references_to",
    "ship_log_groups",
]
