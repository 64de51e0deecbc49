"""How fast could any Python design of watchkeeper synthesize? A lower bound for item 8 of
issue 15 (synth time at most 0.85x cdk-monitoring-constructs' at N = 50).

watchkeeper builds its resources from Python, one jsii round trip each. The fastest any
design could do is to have Node create them all in one call. This measures that: the bare
app (N functions, no monitoring) plus watchkeeper's finished resources for the same app,
loaded in one ``CfnInclude`` call from a JSON file (references to the app's functions
replaced by literal strings, which CfnInclude needs and which cost nothing). It leaves out
everything watchkeeper does in Python (importing it, discovering the app, deciding what to
build), so watchkeeper cannot be faster than this row.

    python bench/lower_bound.py              # N = 50, 5 alternating repeats
    python bench/lower_bound.py --repeats 9

Prints medians (seconds from importing aws-cdk-lib to the end of synth, in a fresh process
each: the "wall s" of bench/RESULTS.md) for the lower bound, watchkeeper, the peer and the
bare app.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def watchkeeper_only(n: int, workdir: Path) -> Path:
    """watchkeeper's resources for the bench app of ``n`` functions, as a template that
    CfnInclude accepts on its own (it refuses references to resources it does not hold)."""
    templates = {}
    for library in ("watchkeeper", "none"):
        outdir = workdir / library
        subprocess.run([sys.executable, str(HERE / "synth_app.py"), "--library", library,
                        "--functions", str(n), "--outdir", str(outdir)],
                       check=True, capture_output=True)
        templates[library] = json.loads((outdir / "Bench.template.json").read_text())
    app_ids = set(templates["none"]["Resources"])
    own = {k: v for k, v in templates["watchkeeper"]["Resources"].items() if k not in app_ids}

    def literal(value):
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" and arg in app_ids:
                    return f"name-of-{arg}"
                if key == "Fn::GetAtt" and arg[0] in app_ids:
                    return f"arn-of-{arg[0]}"
            return {k: literal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [literal(v) for v in value]
        if isinstance(value, str):
            # ${Fn000ABCDEF12} or ${Fn000ABCDEF12.Arn} inside an Fn::Sub string
            return re.sub(r"\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}",
                          lambda m: f"name-of-{m[1]}" if m[1] in app_ids else m[0], value)
        return value

    path = workdir / "watchkeeper-resources.json"
    path.write_text(json.dumps({"Resources": literal(own)}))
    return path


def run_hybrid(n: int, template: str, outdir: str) -> None:
    """One run of the lower bound (a fresh process, started by :func:`main`), timed as
    bench/synth_app.py times the others: from importing aws-cdk-lib to the end of synth."""
    sys.path.insert(0, str(HERE))
    started = time.perf_counter()
    import aws_cdk as cdk
    from aws_cdk import cloudformation_include
    from synth_app import build

    app = cdk.App(outdir=outdir)
    stack = build("none", n, app, cdk.Stack)
    cloudformation_include.CfnInclude(stack, "Watchkeeper", template_file=template)
    app.synth()
    print(json.dumps({"total_s": time.perf_counter() - started}))


def timed(command: list[str]) -> float:
    """The run's own time (``total_s``: importing aws-cdk-lib to the end of synth), the
    measure of bench/RESULTS.md's wall column; interpreter start-up is left out of all."""
    proc = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["total_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hybrid", nargs=2, metavar=("TEMPLATE", "OUTDIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hybrid:
        run_hybrid(args.functions, *args.hybrid)
        return
    n = args.functions
    with tempfile.TemporaryDirectory(prefix="wk-lower-bound-") as tmp:
        work = Path(tmp)
        template = watchkeeper_only(n, work)
        rows: dict[str, list[float]] = {
            "lower bound (bare app + watchkeeper's resources in one call)": [],
            "watchkeeper": [], "cdk-monitoring-constructs": [], "none (bare app)": []}
        for _ in range(args.repeats):
            for row in rows:
                out = str(work / "out")
                if row.startswith("lower"):
                    command = [sys.executable, __file__, "--functions", str(n),
                               "--hybrid", str(template), out]
                else:
                    command = [sys.executable, str(HERE / "synth_app.py"), "--library",
                               row.split(" ")[0], "--functions", str(n), "--outdir", out]
                rows[row].append(timed(command))
    medians = {row: statistics.median(times) for row, times in rows.items()}
    peer = medians["cdk-monitoring-constructs"]
    print(f"N = {n}, medians of {args.repeats} alternating runs (s, import to end of synth):")
    for row, median in medians.items():
        print(f"  {row:<62} {median:6.2f}  {median / peer:5.2f}x the peer's")


if __name__ == "__main__":
    main()
