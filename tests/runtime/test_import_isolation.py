"""watchkeeper.runtime must work where aws-cdk-lib is not installed (inside a function)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

BLOCKER = textwrap.dedent(
    """
    import sys

    class BlockCdk:
        blocked = ("aws_cdk", "constructs", "jsii", "aws_lambda_powertools")

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.blocked:
                raise ImportError(f"blocked in this test: {name}")
            return None

    sys.meta_path.insert(0, BlockCdk())
    """
)

PROGRAM = BLOCKER + textwrap.dedent(
    """
    import io, json
    import watchkeeper
    import watchkeeper.runtime as runtime
    stream = io.StringIO()
    logger = runtime.get_logger("isolated", stream=stream)
    runtime.security_event("authn_login_fail", "bob", logger=logger, source_ip="192.0.2.1")
    try:
        import aws_cdk  # noqa: F401
        cdk_importable = True
    except ImportError:
        cdk_importable = False
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BlockCdk.blocked)
    print(json.dumps({"line": stream.getvalue(), "cdk_importable": cdk_importable,
                      "loaded": loaded, "version": watchkeeper.__version__}))
    """
)


def _run(program: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(path)!r})\n" + program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_runtime_imports_and_writes_with_aws_cdk_blocked():
    outcome = _run(PROGRAM, REPOSITORY)
    assert outcome["cdk_importable"] is False  # the blocker works
    assert outcome["loaded"] == []
    assert json.loads(outcome["line"])["event"] == "authn_login_fail:bob"


def test_construct_names_stay_lazy_on_the_package():
    program = BLOCKER + textwrap.dedent(
        """
        import watchkeeper
        try:
            watchkeeper.ServiceMonitoring
        except ImportError as error:
            print('{"lazy": true}')
        else:
            print('{"lazy": false}')
        """
    )
    assert _run(program, REPOSITORY) == {"lazy": True}
