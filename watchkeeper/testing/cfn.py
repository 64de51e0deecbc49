"""Run cfn-lint on a synthesized template from a test (cfn-lint is a dev dependency)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: W3005 (obsolete DependsOn) is emitted on every function CDK synthesizes (the role
#: dependency is both implicit and explicit); it is CDK's, not the template author's.
DEFAULT_IGNORED_CHECKS: tuple[str, ...] = ("W3005",)


def lint_template(
    template: dict[str, Any],
    *,
    regions: Sequence[str] = ("us-east-1",),
    ignore_checks: Sequence[str] = DEFAULT_IGNORED_CHECKS,
) -> list[str]:
    """cfn-lint findings (errors and warnings) as ``"<rule> <path>: <message>"`` lines."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(
        json.dumps(template),
        config=ManualArgs(regions=list(regions), ignore_checks=list(ignore_checks)),
    )
    return [f"{m.rule.id} {'/'.join(str(p) for p in m.path or [])}: {m.message}" for m in matches]
