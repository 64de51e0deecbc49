"""aws-cdk-lib submodules are loaded only when the app uses them (cdk_internals.loaded_classes).

Each case runs in a fresh interpreter: which modules are loaded is process state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAZY = ["aws_cdk.aws_apigateway", "aws_cdk.aws_apigatewayv2", "aws_cdk.aws_dynamodb",
        "aws_cdk.aws_sqs", "aws_cdk.aws_stepfunctions"]

PROGRAM = """
import json, sys
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from watchkeeper import ServiceMonitoring

LAZY = {lazy!r}
loaded = {{"after_import": [m for m in LAZY if m in sys.modules]}}
app = cdk.App(outdir={outdir!r})
stack = cdk.Stack(app, "Svc")
lambda_.Function(
    stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
    code=lambda_.Code.from_inline("def handler(e, c): return 1"),
    dead_letter_queue_enabled={dlq},
)
# (building the function may load some itself: jsii resolves its props' type hints)
loaded["before_monitoring"] = [m for m in LAZY if m in sys.modules]
mon = ServiceMonitoring(stack, "Monitoring", service_name="svc")
app.synth()
loaded["by_watchkeeper"] = [
    m for m in LAZY if m in sys.modules and m not in loaded["before_monitoring"]
]
loaded["queues"] = [[q.label, q.is_dead_letter_queue] for q in mon.queues]
loaded["alarms"] = sorted(a.name for a in mon.alarm_details)
print(json.dumps(loaded))
"""


def _run(tmp_path: Path, *, dlq: bool, optimize: bool = False) -> dict:
    program = PROGRAM.format(lazy=LAZY, outdir=str(tmp_path / "out"), dlq=dlq)
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
           "PYTHONPATH": str(ROOT)}
    flags = ["-O"] if optimize else []
    completed = subprocess.run([sys.executable, *flags, "-c", program], capture_output=True,
                               text=True, env=env, cwd=tmp_path, timeout=120, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_functions_only_service_loads_none_of_them(tmp_path):
    result = _run(tmp_path, dlq=False)
    assert result["after_import"] == []
    assert result["by_watchkeeper"] == []
    assert result["queues"] == []
    assert "svc-fn-errors" in result["alarms"]


def test_a_queue_made_in_node_is_still_discovered(tmp_path):
    # dead_letter_queue_enabled makes Lambda's L2 create an sqs.Queue on the Node side.
    # With -O, jsii skips its type checks, which would load aws_sqs to read the Function's
    # type hints: nothing has imported aws_sqs when ServiceMonitoring looks for queues, and
    # jsii loads it when find_all hands the queue to Python.
    result = _run(tmp_path, dlq=True, optimize=True)
    assert result["before_monitoring"] == []
    assert result["by_watchkeeper"] == ["aws_cdk.aws_sqs"]
    assert result["queues"] == [["Svc/Fn/DeadLetterQueue", True]]
    assert any(name.endswith("-dlq-messages") for name in result["alarms"])
