"""``RuntimeLayer``: the stdlib-only runtime helper as a Lambda layer.

Function code imports :mod:`watchkeeper.runtime` to write structured logs and security
events. A layer delivers it without touching the functions' own code assets: one asset and
one layer version per stack, shared by every function that adds it. Teams that vendor
``cdk-watchkeeper`` (or only ``watchkeeper/runtime`` and ``watchkeeper/schema``) into
their function bundles do not need it.

The layer holds ``python/watchkeeper/`` with only the modules that run inside a function:
``__init__.py`` (lazy about aws-cdk-lib), ``py.typed``, ``limits.py`` and
``log_metrics.py`` when the package has them, ``schema/`` and ``runtime/``. They are copied
into a staging directory, so the asset hash depends only on those files' content, never on
caches or other modules.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

import watchkeeper

#: Package files (relative to the ``watchkeeper`` package) copied into the layer, when present.
LAYER_MODULES: Final = ("__init__.py", "py.typed", "limits.py", "log_metrics.py")
#: Package directories copied whole (Python sources and ``py.typed`` only).
LAYER_PACKAGES: Final = ("schema", "runtime")
#: Lambda runtimes the layer declares; the helper needs Python 3.11 or later.
COMPATIBLE_RUNTIMES: Final = (
    lambda_.Runtime.PYTHON_3_11,
    lambda_.Runtime.PYTHON_3_12,
    lambda_.Runtime.PYTHON_3_13,
)
_SINGLETON_ID: Final = "WatchkeeperRuntimeLayer"
_PACKAGE_DIR: Final = Path(watchkeeper.__file__).resolve().parent

# One staging directory per distinct content, shared by every stack of the process.
_staged: dict[str, Path] = {}


def layer_files() -> dict[str, Path]:
    """Files of the layer: path inside the layer (``python/watchkeeper/...``) -> source."""
    files: dict[str, Path] = {}
    for name in LAYER_MODULES:
        source = _PACKAGE_DIR / name
        if source.is_file():
            files[f"python/watchkeeper/{name}"] = source
    for package in LAYER_PACKAGES:
        for source in sorted((_PACKAGE_DIR / package).rglob("*")):
            if "__pycache__" in source.parts or not source.is_file():
                continue
            if source.suffix == ".py" or source.name == "py.typed":
                relative = source.relative_to(_PACKAGE_DIR).as_posix()
                files[f"python/watchkeeper/{relative}"] = source
    return files


def stage_layer() -> Path:
    """A directory holding exactly the layer's files (staged once per content)."""
    files = layer_files()
    digest = hashlib.sha256()
    for target, source in sorted(files.items()):
        digest.update(target.encode())
        digest.update(b"\0")
        digest.update(source.read_bytes())
    key = digest.hexdigest()
    staged = _staged.get(key)
    if staged is not None and staged.is_dir():
        return staged
    staged = Path(tempfile.mkdtemp(prefix="watchkeeper-layer-"))
    for target, source in files.items():
        destination = staged / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    _staged[key] = staged
    return staged


class RuntimeLayer(lambda_.LayerVersion):
    """A layer with ``watchkeeper.runtime`` for Python 3.11-3.13 functions (any architecture).

    Usually taken with :meth:`of`, which returns the stack's one layer::

        fn.add_layers(RuntimeLayer.of(self))
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(
            scope,
            id,
            code=lambda_.Code.from_asset(str(stage_layer())),
            compatible_runtimes=list(COMPATIBLE_RUNTIMES),
            compatible_architectures=[lambda_.Architecture.X86_64, lambda_.Architecture.ARM_64],
            description=(
                f"watchkeeper {watchkeeper.__version__} runtime helper: structured JSON logs "
                "and OWASP security events (Python standard library only)"
            ),
            license="Apache-2.0",
        )

    @classmethod
    def of(cls, scope: Construct) -> RuntimeLayer:
        """The runtime layer of ``scope``'s stack, created on first use."""
        stack = cdk.Stack.of(scope)
        existing = stack.node.try_find_child(_SINGLETON_ID)
        if existing is None:
            return cls(stack, _SINGLETON_ID)
        if not isinstance(existing, RuntimeLayer):
            raise ValueError(
                f"RuntimeLayer.of: the stack {stack.node.path!r} already has a construct with "
                f"id {_SINGLETON_ID!r} that is not a RuntimeLayer; rename that construct"
            )
        return existing
