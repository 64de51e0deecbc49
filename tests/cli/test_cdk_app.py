"""``watchkeeper cdk-app``: the README's three commands, end to end, and every flag checked.

The app command is taken from the README's cdk.json line and run the way the CDK CLI runs
an app (``CDK_OUTDIR`` and ``CDK_DEFAULT_*`` set, working directory = the service's); then
``watchkeeper report`` and ``check`` read what it wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchkeeper.cli import CommandError, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "tests" / "fixtures" / "serverless" / "shapes" / "service-file-tree"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Monitor a Serverless Framework service\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the section has a bash code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _readme_app_command() -> list[str]:
    echo = next(line for line in _readme_commands() if line.startswith("echo "))
    cdk_json = json.loads(shlex.split(echo)[1])
    assert shlex.split(echo)[2:] == [">", "cdk.json"]
    return shlex.split(cdk_json["app"])


def test_the_readme_goes_from_nothing_to_deployed_in_three_commands():
    commands = _readme_commands()
    assert len(commands) == 3
    assert commands[0] == "pip install cdk-watchkeeper"
    assert commands[2] == "npx aws-cdk@2 deploy"
    argv = _readme_app_command()
    assert argv[:4] == ["watchkeeper", "cdk-app", "--serverless", "serverless.yml"]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The README's app, run as the CDK CLI runs it, in a copy of a multi-file service."""
    service = tmp_path_factory.mktemp("service")
    shutil.copytree(TREE, service, dirs_exist_ok=True)
    outdir = service / "cdk.out"
    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    os.chdir(service)
    os.environ.update(
        CDK_OUTDIR=str(outdir),
        CDK_DEFAULT_ACCOUNT="111111111111",
        CDK_DEFAULT_REGION="eu-central-1",
    )
    try:
        assert main(_readme_app_command()[1:]) == 0
    finally:
        # Restored before the tests run: a CDK_OUTDIR left set changes what later tests
        # of this module see (a --output is then refused).
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    yield outdir


def test_the_app_writes_one_monitoring_stack_where_the_cli_asks(synthesized: Path):
    manifest = json.loads((synthesized / "manifest.json").read_text())
    stacks = {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert list(stacks) == ["watchkeeper-fleet-tracker-prod"]
    assert stacks["watchkeeper-fleet-tracker-prod"]["environment"] == (
        "aws://111111111111/eu-central-1"
    )


def test_report_reads_the_apps_output(synthesized: Path, capsys: pytest.CaptureFixture[str]):
    capsys.readouterr()
    assert main(["report", str(synthesized), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (stack,) = report["stacks"]
    assert stack["name"] == "watchkeeper-fleet-tracker-prod"
    totals = report["totals"]
    assert totals["dashboards"] == 2
    assert totals["composite_alarms"] == 1
    # every function of the three files (api.yml, jobs.yml -> cleanup.yml) is alarmed
    template = "".join(p.read_text() for p in synthesized.glob("*.template.json"))
    for name in ("Fleet-Tracker-prod-vehicles", "Fleet-Tracker-prod-people"):
        assert name in template
    assert "Fleet-Tracker-prod-cleanup" in template
    assert totals["alarms"] >= 3 * 3


def test_check_passes_on_the_apps_output(synthesized: Path, capsys: pytest.CaptureFixture[str]):
    capsys.readouterr()
    assert main(["check", str(synthesized)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_the_monitoring_is_named_after_the_service_and_stage(synthesized: Path):
    template = json.loads(
        (synthesized / "watchkeeper-fleet-tracker-prod.template.json").read_text()
    )
    topics = [
        r["Properties"]["TopicName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Topic"
    ]
    assert topics == ["fleet-tracker-prod-alarms"]
    subscriptions = [
        r["Properties"]["Endpoint"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription"
    ]
    assert subscriptions == ["oncall@example.com"]


# -- options: flags over the config file, each validated --------------------------------


def _options(argv: list[str], environ: dict[str, str] | None = None):
    from watchkeeper.cli.cdk_app import parse_options

    args = build_parser().parse_args(["cdk-app", *argv])
    return parse_options(args, environ or {})


def test_a_config_file_gives_options_and_flags_win(tmp_path: Path):
    config = tmp_path / "monitoring" / "watchkeeper.yml"
    config.parent.mkdir()
    config.write_text(
        "serverless: ../serverless.yml\nstage: prod\nalarm-email: [a@example.com]\n"
        "retention: 90\ndashboards: false\nparam: [team=core]\ndisable-alarm: function.throttles\n"
    )
    options = _options(
        ["--config", str(config), "--stage", "qa", "--region", "eu-west-1"],
        {"CDK_DEFAULT_ACCOUNT": "222222222222", "CDK_DEFAULT_REGION": "us-east-1"},
    )
    assert options.serverless == str(config.parent / "../serverless.yml")
    assert options.stage == "qa"  # the flag wins
    assert (options.region, options.account) == ("eu-west-1", "222222222222")
    assert options.params == {"team": "core"}
    assert options.output == "cdk.out"
    assert options.monitoring["alarm_emails"] == ["a@example.com"]
    assert options.monitoring["retention"] == 90
    assert options.monitoring["dashboards"] is False
    assert options.monitoring["alarm_overrides"]["function.throttles"].enabled is False
    assert _options(["--serverless", "s.yml", "--retention", "never"]).monitoring == {
        "retention": None
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --serverless PATH (the service's serverless.yml), or --function-name NAME"),
        (["--serverless", "s.yml", "--region", "Europe"], "--region 'Europe': not an AWS region"),
        (["--serverless", "s.yml", "--account", "12"], "--account '12': an account id is 12"),
        (
            ["--serverless", "s.yml", "--service-name", "Orders"],
            "--service-name 'Orders': 1-40 characters of lower-case letters",
        ),
        (["--serverless", "s.yml", "--stack-name", "1x"], "--stack-name '1x': a stack name is"),
        (
            ["--serverless", "s.yml", "--function-name", "a b"],
            "--function-name 'a b': a Lambda function name is 1-64",
        ),
        (["--serverless", "s.yml", "--param", "=x"], "--param '=x': KEY=VALUE"),
        (["--serverless", "s.yml", "--alarm-email", "oncall"], "--alarm-email 'oncall': not an"),
        (
            ["--serverless", "s.yml", "--disable-alarm", "errors"],
            "--disable-alarm 'errors': KIND.CHECK, e.g. function.errors",
        ),
        (["--serverless", "s.yml", "--retention", "10"], "--retention '10': 'never' or one of 1,"),
        (
            ["--serverless", "s.yml", "--concurrency-limit", "0"],
            "--concurrency-limit '0': a whole number above 0",
        ),
        (
            ["--serverless", "s.yml", "--duration-threshold-share", "2"],
            "--duration-threshold-share '2': a number from 0.1 to 1",
        ),
        (
            ["--serverless", "s.yml", "--chatbot-slack", "T1"],
            "--chatbot-slack 'T1': WORKSPACE_ID/CHANNEL_ID",
        ),
    ],
)
def test_every_flag_is_validated_by_name(argv: list[str], message: str):
    with pytest.raises(CommandError) as error:
        _options(argv)
    assert str(error.value).startswith(message)
    assert error.value.exit_code == 2


def test_config_file_problems_name_the_file_and_key(tmp_path: Path):
    config = tmp_path / "w.yml"
    config.write_text("serverless: s.yml\nalarm_emails: [a@example.com]\n")
    with pytest.raises(CommandError, match=r"w.yml: unknown option 'alarm_emails'; allowed: "):
        _options(["--config", str(config)])
    config.write_text("serverless: s.yml\nregion: mars-1\n")
    where = re.escape(str(config))
    with pytest.raises(CommandError, match=rf"^region \(in {where}\) 'mars-1': not an AWS"):
        _options(["--config", str(config)])
    config.write_text("serverless: s.yml\n  stage: x\n")
    with pytest.raises(CommandError, match=r"w.yml:2: invalid YAML"):
        _options(["--config", str(config)])


def test_the_cli_outdir_wins_and_a_different_output_is_refused():
    assert _options(["--serverless", "s.yml"], {"CDK_OUTDIR": "/tmp/x"}).output == "/tmp/x"
    with pytest.raises(CommandError, match=r"--output 'elsewhere': the CDK CLI runs this app"):
        _options(["--serverless", "s.yml", "--output", "elsewhere"], {"CDK_OUTDIR": "/tmp/x"})


def test_an_unreadable_serverless_yml_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    broken = tmp_path / "serverless.yml"
    broken.write_text("service: shop\nfunctions:\n  a:\n    name: ${ssm:/a}\n")
    code = main(["cdk-app", "--serverless", str(broken), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"watchkeeper cdk-app: {broken}:4: cannot resolve ${{ssm:/a}}")


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]):
    from watchkeeper.cli.cdk_app import OPTIONS

    with pytest.raises(SystemExit):
        main(["cdk-app", "--help"])
    out = capsys.readouterr().out
    for option in OPTIONS:
        assert f"--{option.flag}" in out
    assert isinstance(build_parser(), argparse.ArgumentParser)
