"""``scripts/ensure-chromium``: what `make test` does about Chromium, on machines it fakes.

Each case runs the script with PATH set to a temporary directory of fake commands (``id``
printing a user id, ``apt-get`` that records its calls and may put a ``chromium`` on PATH),
so the decision is tested without installing anything.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from watchkeeper.cli.preview import CHROMIUM_ENV, CHROMIUM_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ensure-chromium"
BASH = shutil.which("bash") or "/bin/bash"
INSTRUCTION = "install Chromium (Debian/Ubuntu: sudo apt-get install chromium"


@dataclass
class Machine:
    bin: Path
    apt_log: Path

    def add(self, name: str, body: str = "exit 0") -> Path:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        return path

    def apt_get(self, install_puts_on_path: str | None = "chromium", install_exit: int = 0):
        chromium = shlex.quote(str(self.bin / (install_puts_on_path or "")))
        create = (
            f'printf "#!/bin/sh\\n" > {chromium}; {shutil.which("chmod")} 755 {chromium}'
            if install_puts_on_path
            else ":"
        )
        self.add(
            "apt-get",
            f'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> {shlex.quote(str(self.apt_log))}\n'
            f'if [ "$1" = install ]; then {create}; exit {install_exit}; fi',
        )

    def run(self, uid: int, **env: str) -> subprocess.CompletedProcess[str]:
        self.add("id", f'[ "$1" = -u ] && echo {uid}')
        return subprocess.run(
            [BASH, str(SCRIPT)],
            env={"PATH": str(self.bin), **env},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )

    def apt_calls(self) -> list[str]:
        return self.apt_log.read_text().splitlines() if self.apt_log.exists() else []


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    (tmp_path / "bin").mkdir()
    return Machine(tmp_path / "bin", tmp_path / "apt.log")


def assert_stops_with_one_line(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("make test: ") and reason in lines[0]
    assert INSTRUCTION in lines[0] and CHROMIUM_ENV in lines[0]


def test_looks_for_the_names_the_preview_looks_for() -> None:
    names = re.search(r"^CHROMIUM_NAMES=\((.*)\)$", SCRIPT.read_text(), re.M)
    assert names and tuple(names.group(1).split()) == CHROMIUM_NAMES


@pytest.mark.parametrize("name", CHROMIUM_NAMES)
def test_a_chromium_on_path_is_used_and_nothing_installed(machine: Machine, name: str) -> None:
    browser = machine.add(name)
    machine.apt_get()
    result = machine.run(uid=0)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Chromium for the preview tests: {browser}\n"
    assert machine.apt_calls() == []


def test_watchkeeper_chromium_wins_over_path(machine: Machine, tmp_path: Path) -> None:
    machine.add("chromium")
    chrome = tmp_path / "Google Chrome"
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(0o755)
    result = machine.run(uid=1000, **{CHROMIUM_ENV: str(chrome)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Chromium for the preview tests: {chrome}\n"


def test_a_watchkeeper_chromium_that_is_not_executable_stops_without_installing(
    machine: Machine,
) -> None:
    machine.apt_get()
    result = machine.run(uid=0, **{CHROMIUM_ENV: "/no/such/chromium"})
    assert_stops_with_one_line(result, "WATCHKEEPER_CHROMIUM=/no/such/chromium is not an")
    assert machine.apt_calls() == []


def test_root_on_debian_installs_the_chromium_package(machine: Machine) -> None:
    machine.apt_get()
    result = machine.run(uid=0)
    assert result.returncode == 0, result.stderr
    assert machine.apt_calls() == [
        "DEBIAN_FRONTEND= update -qq",
        "DEBIAN_FRONTEND=noninteractive install -y -qq chromium",
    ]
    assert result.stdout.splitlines()[-1] == (
        f"Chromium for the preview tests: {machine.bin / 'chromium'}"
    )


def test_not_root_stops_at_once_with_what_to_install(machine: Machine) -> None:
    machine.apt_get()
    result = machine.run(uid=1000)
    assert_stops_with_one_line(result, "tried chromium chromium-browser google-chrome")
    assert machine.apt_calls() == []


def test_root_without_apt_get_stops_with_what_to_install(machine: Machine) -> None:
    result = machine.run(uid=0)
    assert_stops_with_one_line(result, "no Chromium for the preview tests")


def test_a_failed_install_stops_with_what_to_install(machine: Machine) -> None:
    machine.apt_get(install_puts_on_path=None, install_exit=100)
    result = machine.run(uid=0)
    assert_stops_with_one_line(result, "apt-get install chromium failed")


def test_an_install_that_puts_no_chromium_on_path_stops(machine: Machine) -> None:
    machine.apt_get(install_puts_on_path=None)
    result = machine.run(uid=0)
    assert_stops_with_one_line(result, "put none of them on PATH")


def dry_run(target: str) -> str:
    make = shutil.which("make")
    assert make, "make is part of the Quick start's requirements"
    return subprocess.run(
        [make, "-n", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_test_ensures_chromium_and_make_demo_does_not() -> None:
    commands = dry_run("test").splitlines()
    ensure = commands.index("bash scripts/ensure-chromium")
    # before anything else: a machine without Chromium stops before the setup and the suite
    assert ensure == 0, commands
    assert "scripts/ensure-chromium" not in dry_run("demo")
    assert "scripts/ensure-chromium" not in dry_run("setup")


def test_ci_runs_only_the_readme_command() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[-1] == "make test"
    assert not any("apt-get" in line or "chromium" in line for line in lines)
