"""The shape of the package: no import cycle, builders that never import the facade,
aws-cdk-lib/jsii internals in one module. Static checks (the
source is read, nothing is synthesized)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from watchkeeper.constructs.cdk_internals import INTERNAL_NAMES

PACKAGE = Path(__file__).resolve().parents[2] / "watchkeeper"
INTERNALS_MODULE = PACKAGE / "constructs" / "cdk_internals.py"
#: Modules that may import the ServiceMonitoring facade: those that build on it.
FACADE_USERS = {"watchkeeper", "watchkeeper.stacks.monitoring_stack"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Modules the module imports, anywhere in it (``if TYPE_CHECKING:`` blocks and
    function bodies too: a cycle through annotations is still a cycle of the design)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name.split(".")
                    package = package if is_package else package[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, base] if base else package)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)

    visit([n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)])
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        imported = _imports(tree, name, path.name == "__init__.py")
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for other in sorted(graph[node]):
            if state.get(other) == 1:
                cycles.append(stack[stack.index(other):] + [other])
            elif other not in state:
                walk(other)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return cycles


def test_the_import_graph_is_read():
    graph = _graph()
    assert "watchkeeper.constructs.kinds.registry" in graph["watchkeeper.constructs.model"]
    assert "watchkeeper.constructs.service_monitoring" in graph[
        "watchkeeper.stacks.monitoring_stack"]


def test_no_import_cycle_between_watchkeeper_modules():
    # Package __init__ modules re-export their children: an edge from a child to its
    # package is how Python imports it, not a cycle of the code's own.
    graph = {name: {m for m in deps if not name.startswith(m + ".")}
             for name, deps in _graph().items()}
    assert _cycles(graph) == []


def test_no_builder_imports_the_service_monitoring_facade():
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if "import ServiceMonitoring" in text or "service_monitoring import" in text:
            importers.add(_module_name(path))
    # Only what builds on the construct imports it (the stacks, the package's re-export);
    # nothing under watchkeeper.constructs does.
    assert importers - {"watchkeeper.constructs.service_monitoring"} <= FACADE_USERS
    assert "watchkeeper.stacks.monitoring_stack" in importers


@pytest.mark.parametrize("name", INTERNAL_NAMES)
def test_cdk_and_jsii_internals_are_used_only_in_cdk_internals(name):
    users = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if p != INTERNALS_MODULE and name in p.read_text()]
    assert users == []


def test_no_module_reads_the_placement_of_a_service_monitoring():
    # MonitoringStack passes its placement through ServiceMonitoring.use_placement.
    readers = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
               if re.search(r"(?<!self)\._(dashboard_)?placement\b", path.read_text())]
    assert readers == []


# -- the tests follow the source tree ------------------------------------------------------

TESTS = Path(__file__).resolve().parent
#: Suites that test one behaviour across modules (their name says which), not one module.
CROSS_CUTTING_SUITES = {
    "test_adoption.py",
    "test_automatic_nesting.py",
    "test_data_protection_policy.py",
    "test_package_structure.py",
    "test_rest_api_logging_role.py",
    "test_service_monitoring_validation.py",
    "test_service_without_functions.py",
    "test_shipping_compliance.py",
    "test_state_machine_nag.py",
    "alarms/test_alarm_compliance.py",
    "alarms/test_alarm_docs.py",
    "alarms/test_alarm_kinds.py",
    "alarms/test_alarm_snapshot.py",
    "kinds/test_adding_a_kind.py",
    "kinds/test_monitor.py",
}


def _mirrored_source(test: Path) -> Path:
    """``tests/constructs/kinds/test_table.py`` -> ``watchkeeper/constructs/kinds/table.py``."""
    relative = test.relative_to(TESTS)
    return PACKAGE / "constructs" / relative.parent / relative.name.removeprefix("test_")


def test_each_test_module_tests_its_source_module_or_is_a_named_suite():
    tests = sorted(TESTS.rglob("test_*.py"))
    unplaced = [p.relative_to(TESTS).as_posix() for p in tests
                if not _mirrored_source(p).exists()
                and p.relative_to(TESTS).as_posix() not in CROSS_CUTTING_SUITES]
    assert unplaced == [], "name the test after its module, or list it as a suite here"
    # The list holds only suites that exist and that no module's name would claim.
    named = [p for p in tests if p.relative_to(TESTS).as_posix() in CROSS_CUTTING_SUITES]
    assert len(named) == len(CROSS_CUTTING_SUITES)
    assert [p.name for p in named if _mirrored_source(p).exists()] == []
