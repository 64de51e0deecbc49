from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402

import watchkeeper  # noqa: E402
from watchkeeper.constructs.runtime_layer import (  # noqa: E402
    RuntimeLayer,
    layer_files,
    stage_layer,
)

LAYER = "AWS::Lambda::LayerVersion"


class Built:
    def __init__(self) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, "Service")
        self.other_stack = cdk.Stack(self.app, "Other")
        nested_scope = cdk.Stack(self.app, "Holder")
        self.first = RuntimeLayer.of(self.stack)
        self.second = RuntimeLayer.of(self.stack)
        group = cdk.aws_iam.Role(
            self.stack, "SomeChild", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
        )
        self.from_child = RuntimeLayer.of(group)
        self.other = RuntimeLayer.of(self.other_stack)
        self.function = lambda_.Function(
            self.stack,
            "Fn",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(e, c): pass"),
            layers=[RuntimeLayer.of(self.stack)],
        )
        self.clash_stack = nested_scope
        self.template = Template.from_stack(self.stack)
        self.other_template = Template.from_stack(self.other_stack)


@pytest.fixture(scope="session")
def built() -> Built:
    return Built()


def test_one_layer_per_stack(built):
    assert built.first is built.second is built.from_child
    assert built.other is not built.first
    built.template.resource_count_is(LAYER, 1)
    built.other_template.resource_count_is(LAYER, 1)


def test_layer_properties(built):
    built.template.has_resource_properties(
        LAYER,
        {
            "CompatibleRuntimes": ["python3.11", "python3.12", "python3.13"],
            "CompatibleArchitectures": ["x86_64", "arm64"],
            "Description": Match.string_like_regexp(
                rf"^watchkeeper {watchkeeper.__version__.replace('.', '[.]')} runtime helper"
            ),
            "LicenseInfo": "Apache-2.0",
            "Content": {
                "S3Bucket": Match.any_value(),
                "S3Key": Match.string_like_regexp(r"\.zip$"),
            },
        },
    )


def test_function_uses_the_layer(built):
    layer_id = built.stack.get_logical_id(built.first.node.default_child)
    built.template.has_resource_properties("AWS::Lambda::Function", {"Layers": [{"Ref": layer_id}]})


def test_same_content_in_every_stack(built):
    keys = [
        next(iter(t.find_resources(LAYER).values()))["Properties"]["Content"]["S3Key"]
        for t in (built.template, built.other_template)
    ]
    assert keys[0] == keys[1]


def test_asset_holds_exactly_the_runtime_files():
    staged = stage_layer()
    files = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    assert files == sorted(layer_files())
    assert "python/watchkeeper/__init__.py" in files
    assert "python/watchkeeper/py.typed" in files
    assert "python/watchkeeper/schema/__init__.py" in files
    assert "python/watchkeeper/runtime/__init__.py" in files
    assert "python/watchkeeper/runtime/security.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in files if f.startswith("python/watchkeeper/constructs/")]
    assert "python/watchkeeper/limits.py" in files  # log_metrics imports its limits
    assert not [f for f in files if f.startswith("python/watchkeeper/cli/")]


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported (not under TYPE_CHECKING or in functions)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if not isinstance(node, ast.FunctionDef) else ():
            if isinstance(child, ast.Import):
                names.update(alias.name.split(".")[0] for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names.add(child.module.split(".")[0])
    return names


def test_no_layer_module_needs_aws_cdk():
    staged = stage_layer()
    offenders = {
        path.relative_to(staged).as_posix(): sorted(
            _top_level_imports(path) & {"aws_cdk", "constructs", "jsii"}
        )
        for path in staged.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_staging_is_stable_and_ignores_caches():
    runtime_dir = Path(watchkeeper.__file__).parent / "runtime"
    (runtime_dir / "__pycache__").mkdir(exist_ok=True)
    assert stage_layer() == stage_layer()
    assert not list(stage_layer().rglob("__pycache__"))


def test_runtime_runs_from_the_layer_without_aws_cdk():
    program = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('aws_cdk', 'constructs', 'jsii'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.path.insert(0, {str(stage_layer() / 'python')!r})\n"
        "import io, json, watchkeeper.runtime as r\n"
        "s = io.StringIO()\n"
        "r.security_event('authz_fail', 'bob', logger=r.get_logger('layer', stream=s))\n"
        "print(json.dumps({'file': r.__file__, 'line': s.getvalue()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["file"].startswith(str(stage_layer()))
    assert json.loads(outcome["line"])["event"] == "authz_fail:bob"


def test_of_refuses_a_foreign_construct_with_the_singleton_id(built):
    cdk.aws_sns.Topic(built.clash_stack, "WatchkeeperRuntimeLayer")
    with pytest.raises(ValueError, match="not a RuntimeLayer"):
        RuntimeLayer.of(built.clash_stack)
