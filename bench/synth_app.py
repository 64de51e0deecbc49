"""One benchmark run: build N functions monitored by one library, synthesize, measure.

Run as a subprocess by bench/run.py (a fresh process per run, so every run pays the same
jsii start-up). Prints one JSON object on stdout.

    python bench/synth_app.py --library watchkeeper --functions 50 --outdir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def _count_jsii_calls() -> dict[str, int]:
    """Count the requests that cross the bridge to Node (create/get/set/invoke/...).

    Wraps the process provider that serialises each kernel request to the Node runtime.
    """
    from jsii._kernel.providers.process import ProcessProvider

    counts: dict[str, int] = {}
    for name in ("create", "get", "set", "invoke", "sget", "sset", "sinvoke", "delete",
                 "complete", "load"):
        original = getattr(ProcessProvider, name, None)
        if original is None:
            continue

        def wrapper(self, *args, __original=original, __name=name, **kwargs):
            counts[__name] = counts.get(__name, 0) + 1
            return __original(self, *args, **kwargs)

        setattr(ProcessProvider, name, wrapper)
    return counts


def _node_peak_rss_kb() -> int:
    """Peak RSS of our child processes (the jsii Node runtime), from /proc."""
    peak = 0
    me = str(os.getpid())
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]))
    return peak


def build(library: str, n: int, app, stack_cls):
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    env = cdk.Environment(account="123456789012", region="us-east-1")
    if library == "watchkeeper-stack":
        from watchkeeper.stacks import MonitoringStack

        return MonitoringStack(
            app, "Bench", service_name="bench", env=env,
            function_names=[f"bench-prod-fn{i:03d}" for i in range(n)],
        )
    stack = stack_cls(app, "Bench", env=env)
    code = lambda_.Code.from_inline(HANDLER)
    functions = [
        lambda_.Function(
            stack, f"Fn{i:03d}", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=code, timeout=cdk.Duration.seconds(10),
        )
        for i in range(n)
    ]
    if library == "watchkeeper":
        from watchkeeper import ServiceMonitoring

        ServiceMonitoring(stack, "Monitoring", service_name="bench")
    elif library == "cdk-monitoring-constructs":
        import cdk_monitoring_constructs as cmc

        facade = cmc.MonitoringFacade(stack, "Monitoring")
        for fn in functions:
            facade.monitor_lambda_function(
                lambda_function=fn,
                add_fault_count_alarm={"Critical": cmc.ErrorCountThreshold(max_error_count=1)},
                add_latency_p99_alarm={
                    "Critical": cmc.LatencyThreshold(max_latency=cdk.Duration.seconds(8))
                },
                add_throttles_count_alarm={"Critical": cmc.ErrorCountThreshold(max_error_count=1)},
            )
    elif library == "none":
        pass
    else:
        raise SystemExit(f"unknown library {library!r}")
    return stack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--functions", type=int, required=True)
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()

    counts = _count_jsii_calls()
    started = time.perf_counter()
    import aws_cdk as cdk

    imported = time.perf_counter()
    app = cdk.App(outdir=args.outdir)
    stack = build(args.library, args.functions, app, cdk.Stack)
    built = time.perf_counter()
    assembly = app.synth()
    done = time.perf_counter()

    templates = []
    for artifact in assembly.stacks:
        templates.append(Path(artifact.template_full_path))
    out_dir = Path(args.outdir)
    nested = sorted(out_dir.glob("*.nested.template.json"))
    files = templates + nested
    resources = 0
    for f in files:
        resources += len(json.loads(f.read_text()).get("Resources", {}))
    print(
        json.dumps(
            {
                "library": args.library,
                "functions": args.functions,
                "import_s": imported - started,
                "build_s": built - imported,
                "synth_s": done - built,
                "total_s": done - started,
                "template_bytes": sum(f.stat().st_size for f in files),
                "templates": len(files),
                "max_template_bytes": max(f.stat().st_size for f in files),
                "resources": resources,
                "python_peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "node_peak_rss_kb": _node_peak_rss_kb(),
                "jsii_calls": sum(v for k, v in counts.items() if k != "load"),
                "stack": stack.stack_name,
            }
        )
    )


if __name__ == "__main__":
    main()
