"""The package's layout, enforced: what needs aws-cdk-lib, where limits and prices live, what
the wheel holds (README "Development")."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import watchkeeper

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = Path(watchkeeper.__file__).resolve().parent

#: the stdlib-only core and the CLI commands that read cloud assemblies: none may load
#: aws-cdk-lib (or jsii, its Node bridge) when imported
STDLIB_ONLY_MODULES = (
    "watchkeeper",
    "watchkeeper.schema",
    "watchkeeper.log_metrics",
    "watchkeeper.queries",
    "watchkeeper.insights",
    "watchkeeper.testing.filter_pattern",
    "watchkeeper.limits",
    "watchkeeper.pricing",
    "watchkeeper.dashboard_layout",
    "watchkeeper.runtime",
    "watchkeeper.cli",
    "watchkeeper.cli.assembly",
    "watchkeeper.cli.report",
    "watchkeeper.cli.check",
)


def _modules_loaded_by(module: str) -> list[str]:
    code = (
        "import importlib, json, sys; "
        f"importlib.import_module({module!r}); "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("module", STDLIB_ONLY_MODULES)
def test_core_and_cli_modules_do_not_load_aws_cdk(module: str) -> None:
    loaded = set(_modules_loaded_by(module))
    assert not loaded & {"aws_cdk", "jsii", "constructs"}, module


def test_the_construct_modules_do_load_aws_cdk() -> None:
    # the check above can fail: the same probe sees aws-cdk-lib where it is imported
    assert "aws_cdk" in _modules_loaded_by("watchkeeper.constructs.service_monitoring")


# -- single sources ----------------------------------------------------------------------

#: names that once held a copy of a limit or a price (now imported from limits/pricing)
RETIRED_COPIES = (
    "DEFAULT_RESULT_LIMIT",
    "MAX_ALARM_NAME",
    "MAX_CHILDREN",
    "MAX_DIMENSIONS",
    "MAX_EVALUATION_SECONDS",
    "MAX_FILTERS_PER_LOG_GROUP",
    "MAX_FILTER_PATTERN_LENGTH",
    "MAX_LIMIT",
    "MAX_MATH_METRICS",
    "MAX_PATTERN_LENGTH",
    "MAX_QUERY_DEFINITION_NAME",
    "MAX_RESULT_LIMIT",
    "MAX_RULE_LENGTH",
    "MAX_SOURCES",
    "PRICE_PER_ALARM_METRIC",
    "SUBSCRIPTION_FILTERS_PER_LOG_GROUP",
)
SINGLE_SOURCES = ("limits.py", "pricing.py")


def _module_level_assignments(path: Path) -> list[str]:
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


def _public_constants(path: Path) -> set[str]:
    return {name for name in _module_level_assignments(path) if name.isupper()}


def test_limits_and_prices_are_defined_only_in_limits_and_pricing() -> None:
    owned = {
        name: source
        for source in SINGLE_SOURCES
        for name in _public_constants(PACKAGE_DIR / source)
    }
    assert "MAX_LOG_GROUPS_PER_QUERY" in owned
    assert "MAX_ALARM_NAME_LENGTH" in owned
    assert "ALARM_METRIC_STANDARD_USD" in owned
    copies = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if relative in SINGLE_SOURCES:
            continue
        for name in _module_level_assignments(path):
            if name in owned or name in RETIRED_COPIES:
                copies.append(f"{relative}: {name}")
    assert copies == [], "import these from watchkeeper.limits / watchkeeper.pricing"


def test_the_retired_names_still_hold_the_single_source_values() -> None:
    from watchkeeper import limits, pricing
    from watchkeeper.constructs.alarms import composite, core, settings, table
    from watchkeeper.constructs.log_shipping import SUBSCRIPTION_FILTERS_PER_LOG_GROUP

    assert core.MAX_ALARM_NAME is limits.MAX_ALARM_NAME_LENGTH
    assert composite.MAX_RULE_LENGTH is limits.MAX_ALARM_RULE_LENGTH
    assert settings.MAX_EVALUATION_SECONDS is limits.MAX_ALARM_EVALUATION_RANGE_S
    assert SUBSCRIPTION_FILTERS_PER_LOG_GROUP is limits.MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP
    assert table.ALARM_METRIC_STANDARD_USD is pricing.ALARM_METRIC_STANDARD_USD


def test_the_query_row_limits_have_one_source() -> None:
    # StartQuery's limit and the query's limit command share one maximum; a page of
    # GetQueryResults is the default.
    from watchkeeper import insights, limits
    from watchkeeper.cli import query_runner

    assert insights.MAX_LIMIT is limits.MAX_QUERY_RESULT_ROWS == 100_000
    assert query_runner.DEFAULT_RESULT_LIMIT is limits.QUERY_RESULTS_PAGE_ROWS == 10_000


# -- one evaluator of intrinsics ---------------------------------------------------------


def test_only_the_assembly_reader_evaluates_intrinsics() -> None:
    # the other commands go through watchkeeper.cli.assembly (Template.resolve, display)
    evaluating = sorted(
        path.name
        for path in (PACKAGE_DIR / "cli").glob("*.py")
        if any(f'"{name}"' in path.read_text(encoding="utf-8") for name in ("Fn::Join", "Fn::Sub"))
    )
    assert evaluating == ["assembly.py"]


def test_one_class_per_name_across_the_package() -> None:
    classes: dict[str, list[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(path.relative_to(PACKAGE_DIR).as_posix())
    assert {name: where for name, where in classes.items() if len(where) > 1} == {}


# -- the wheel ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    completed = subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
            "-w", str(out), str(REPO_ROOT),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    (wheel,) = out.glob("cdk_watchkeeper-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_library_and_the_command(wheel_files: list[str]) -> None:
    assert "watchkeeper/py.typed" in wheel_files
    assert "watchkeeper/cli/__init__.py" in wheel_files
    assert "watchkeeper/cli/assembly.py" in wheel_files
    assert "watchkeeper/stacks/monitoring_stack.py" in wheel_files
    assert "watchkeeper/runtime/logger.py" in wheel_files


def test_the_wheel_holds_no_demo_service(wheel_files: list[str]) -> None:
    assert [name for name in wheel_files if "orders" in name] == []
    assert [name for name in wheel_files if name.startswith(("demo/", "tests/"))] == []
    assert "app.py" not in wheel_files  # the reference app, at the top of the repository
