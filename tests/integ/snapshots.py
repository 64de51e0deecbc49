"""Offline check of the integration tests: synthesize each ``integ_*.py`` app and compare
it with its committed ``<app>.py.snapshot`` directory (integ-runner's layout).

Why not ``integ-runner`` itself: its newest release (pinned in package.json) reads cloud
assembly schema 53 at most, and the pinned aws-cdk-lib writes schema 55, so it refuses the
assembly ("Cloud assembly schema version mismatch") before comparing anything. This does
the same comparison: every stack template (nested ones too, asset hashes included: a
change of handler code changes what is deployed) and the test manifest ``integ.json``.

    python tests/integ/snapshots.py            # compare; exit 1 and name what differs
    python tests/integ/snapshots.py --update   # rewrite the snapshots (review the diff)
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INTEG_DIR = Path(__file__).resolve().parent
#: What a snapshot holds: what CloudFormation deploys, and the test cases.
SNAPSHOT_SUFFIXES = (".template.json", "integ.json")


def integ_apps() -> list[Path]:
    """The integration test apps, integ-runner's Python naming: ``integ_*.py``."""
    return sorted(INTEG_DIR.glob("integ_*.py"))


def snapshot_dir(app: Path) -> Path:
    return app.with_name(f"{app.name}.snapshot")


def synthesize_all(workdir: Path, apps: list[Path]) -> dict[Path, Path]:
    """Synthesize ``apps``, each into ``workdir/<app stem>``, as the CDK CLI runs an app.

    One child process runs them all in turn (``--synth``): starting the jsii runtime costs
    most of a synth, so it is started once, and the child keeps the caller's process clean.
    """
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    # The snapshot is the "after" state of the adoption test.
    env.pop("WATCHKEEPER_INTEG_ADOPTION", None)
    result = subprocess.run(
        [sys.executable, __file__, "--synth", str(workdir), *map(str, apps)],
        env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"an integration test app failed to synthesize:\n"
                           f"{result.stderr[-4000:]}")
    return {app: workdir / app.stem for app in apps}


def _synth_in_this_process(workdir: Path, apps: list[Path]) -> None:
    sys.path.insert(0, str(INTEG_DIR))  # the apps import _support, as when run directly
    for app in apps:
        os.environ["CDK_OUTDIR"] = str(workdir / app.stem)
        runpy.run_path(str(app), run_name="__main__")


def _normalized(name: str, content: object) -> object:
    """``content`` without what changes on every synth: the ``salt`` (the time) that makes
    each integ-tests assertion run again on every deploy."""
    if name.endswith(".template.json") and isinstance(content, dict):
        for resource in content.get("Resources", {}).values():
            if str(resource.get("Type", "")).startswith("Custom::DeployAssert@"):
                resource.get("Properties", {}).pop("salt", None)
    return content


def snapshot_of(directory: Path) -> dict[str, object]:
    """The compared files of a cloud assembly directory, parsed."""
    return {
        path.name: _normalized(path.name, json.loads(path.read_text()))
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name.endswith(SNAPSHOT_SUFFIXES)
    }


def differences(expected: dict[str, object], actual: dict[str, object]) -> list[str]:
    """File names that are missing, extra or different, one line each."""
    lines = [f"missing from the synthesized app: {n}" for n in sorted(set(expected) - set(actual))]
    lines += [f"not in the snapshot: {n}" for n in sorted(set(actual) - set(expected))]
    lines += [f"changed: {n}" for n in sorted(set(expected) & set(actual))
              if expected[n] != actual[n]]
    return lines


def write_snapshot(assembly: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for name, content in snapshot_of(assembly).items():
        (target / name).write_text(json.dumps(content, indent=1, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--synth"]:
        _synth_in_this_process(Path(argv[1]), [Path(a) for a in argv[2:]])
        return 0
    update = "--update" in argv
    apps = integ_apps()
    with tempfile.TemporaryDirectory(prefix="integ-") as tmp:
        outdirs = synthesize_all(Path(tmp), apps)
        failed = False
        for app in apps:
            target = snapshot_dir(app)
            if update:
                write_snapshot(outdirs[app], target)
                print(f"updated {target.relative_to(INTEG_DIR.parent.parent)}")
                continue
            expected = snapshot_of(target) if target.is_dir() else {}
            diff = differences(expected, snapshot_of(outdirs[app]))
            status = "ok" if not diff else "CHANGED"
            print(f"{status:8} {app.name}")
            for line in diff:
                print(f"         {line}")
            failed = failed or bool(diff)
    if failed:
        print("Snapshots differ: if the change is intended, run `make integ-update`, review "
              "the diff and prove it in an account with `make integ-deploy`.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
