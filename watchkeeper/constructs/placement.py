"""Where per-resource monitoring goes when a service outgrows one template.

CloudFormation takes at most 500 resources and 1 MB per template. Per-function resources
(alarms, metric filters of per-function log groups) are spread over a fixed number of
nested stacks by a stable hash of the function's name, so a function's stack depends only
on its own name: adding or removing a function never moves another one's resources (a
moved alarm or log group would be deleted, or fail with "already exists").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from watchkeeper.constructs.cdk_internals import is_token_string
from watchkeeper.limits import MAX_RESOURCES_PER_TEMPLATE, MAX_TEMPLATE_BYTES

#: Nested stacks that per-function resources are spread over. A fixed number, so that a
#: function's stack depends only on its own name. 16 shards hold about 800 functions at
#: the default ~10 resources per function within CloudFormation's 500-resource limit.
DEFAULT_SHARD_COUNT = 16
MAX_SHARD_COUNT = 64


def shard_of(name: str, shard_count: int) -> int:
    """The shard of a name: a stable hash (not Python's per-process salted ``hash()``)."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:4], "big") % shard_count


def validate_shard_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SHARD_COUNT:
        raise ValueError(
            f"shard_count={value!r} must be a whole number from 1 to {MAX_SHARD_COUNT}"
        )
    return value


class NestedStackPlacement:
    """Hands out the nested stack for each function target (and each dashboard page).

    :param owner: the construct the nested stacks are created under.
    :param shard_count: how many shards names are hashed over.
    """

    def __init__(self, owner: Construct, shard_count: int = DEFAULT_SHARD_COUNT) -> None:
        self._owner = owner
        self.shard_count = validate_shard_count(shard_count)
        self._shards: dict[int, cdk.NestedStack] = {}

    @property
    def shards(self) -> list[cdk.NestedStack]:
        """The nested stacks created so far, in shard order."""
        return [self._shards[k] for k in sorted(self._shards)]

    def scope_for_target(self, target: Any) -> Construct:
        name = getattr(target, "function_name", None)
        # A literal function name where there is one; otherwise the target's key, which
        # comes from the construct id and is as stable.
        if not isinstance(name, str) or is_token_string(name):
            name = target.key
        index = shard_of(name, self.shard_count)
        shard = self._shards.get(index)
        if shard is None:
            shard = cdk.NestedStack(
                self._owner,
                f"Shard{index:02d}",
                description=f"watchkeeper per-function monitoring, shard {index}",
            )
            self._shards[index] = shard
        return shard

    def scope_for_dashboard(self, page_name: str) -> Construct:
        """Every dashboard page in a nested stack of its own, named after the page: a page
        holds up to 500 widgets (hundreds of KB), and it never moves between stacks."""
        construct_id = f"Dashboard-{page_name}"
        existing = self._owner.node.try_find_child(construct_id)
        if isinstance(existing, Construct):
            return existing
        return cdk.NestedStack(
            self._owner, construct_id, description=f"watchkeeper dashboard {page_name}"
        )


# -- Automatic placement (ServiceMonitoring(nested_stacks=None)) ---------------------------

#: Bytes assumed per resource already in the user's stack (its template is not written
#: yet when the placement is decided): generous, since a policy or a state machine
#: definition can be large.
EXISTING_RESOURCE_BYTES = 2_000
#: Bytes assumed per resource watchkeeper adds (an indented alarm is about 1.4 KB).
ADDED_RESOURCE_BYTES = 1_500
#: Within this many resources (or bytes) of a template limit, on either side, the
#: per-function alarms get ``DeletionPolicy: Retain``, so that the deploy which later
#: moves them into (or out of) the nested stacks cannot delete them (see README, "Scale").
RETAIN_MARGIN_RESOURCES = 100
RETAIN_MARGIN_BYTES = 200_000


@dataclass(frozen=True)
class SizeEstimate:
    """What a stack's template will hold once the monitoring is added: an upper bound
    computed before anything is built, from the resources already in the stack."""

    stack_name: str
    existing: int
    added: int

    @property
    def resources(self) -> int:
        return self.existing + self.added

    @property
    def bytes(self) -> int:
        return self.existing * EXISTING_RESOURCE_BYTES + self.added * ADDED_RESOURCE_BYTES

    @property
    def over_limit(self) -> bool:
        return self.resources > MAX_RESOURCES_PER_TEMPLATE or self.bytes > MAX_TEMPLATE_BYTES

    @property
    def near_limit(self) -> bool:
        """Within the retain margin of a limit, on either side."""
        return (
            abs(self.resources - MAX_RESOURCES_PER_TEMPLATE) <= RETAIN_MARGIN_RESOURCES
            or abs(self.bytes - MAX_TEMPLATE_BYTES) <= RETAIN_MARGIN_BYTES
        )

    def describe(self) -> str:
        return (
            f"stack {self.stack_name} would hold about {self.resources} resources "
            f"({self.existing} already in it + {self.added} that watchkeeper adds) and "
            f"{self.bytes // 1000} KB; CloudFormation allows {MAX_RESOURCES_PER_TEMPLATE} "
            f"resources and {MAX_TEMPLATE_BYTES // 1_000_000} MB per template"
        )
