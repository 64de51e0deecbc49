"""``watchkeeper cdk-app``: a CDK app that monitors a Serverless Framework service.

For a team that deploys with the Serverless Framework and writes no Python: ``cdk.json``
runs this command as its app (``"app": "watchkeeper cdk-app --serverless serverless.yml
--stage prod"``), and ``cdk synth`` / ``cdk deploy`` deploy a ``MonitoringStack`` for the
functions the file deploys. Options come from flags, or from a YAML/JSON file
(``--config``) whose keys are the flag names; a flag wins over the file.

The cloud assembly is written where the CDK CLI asks (``CDK_OUTDIR``), else to
``--output`` (default ``cdk.out``); the account and region are ``--account`` / ``--region``,
else the CLI's ``CDK_DEFAULT_ACCOUNT`` / ``CDK_DEFAULT_REGION``. Every bad flag is one line
naming the flag, the value and what is allowed, and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.cli import CommandError

#: Exit code of a bad flag or an unreadable serverless.yml.
BAD_INPUT_EXIT_CODE = 2
DEFAULT_OUTPUT = "cdk.out"

_REGION_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_ACCOUNT_RE = re.compile(r"\d{12}")
_STACK_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_FUNCTION_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CHECK_RE = re.compile(r"[a-z_]+\.[a-z0-9_]+")


@dataclass(frozen=True)
class _Option:
    flag: str
    kind: str  # "text", "list", "bool", "int", "float"
    help: str
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.replace("-", "_")


#: Every option, flag and config-file key alike.
OPTIONS: tuple[_Option, ...] = (
    _Option("serverless", "text", "path of the service's serverless.yml", "PATH"),
    _Option(
        "stage", "text", "the stage deployed (sls deploy --stage); default: the file's", "STAGE"
    ),
    _Option(
        "region",
        "text",
        "the region the functions run in; default: CDK_DEFAULT_REGION",
        "REGION",
    ),
    _Option("account", "text", "the account; default: CDK_DEFAULT_ACCOUNT", "ACCOUNT"),
    _Option(
        "service-name",
        "text",
        "monitoring service name [a-z0-9-]{1,40}; default: the file's service, mapped",
        "NAME",
    ),
    _Option(
        "stack-name",
        "text",
        "the stack's name; default: watchkeeper-<service-name>-<stage>",
        "NAME",
    ),
    _Option(
        "function-name",
        "list",
        "a deployed function to monitor besides the file's (e.g. one a plugin adds); repeat",
        "NAME",
    ),
    _Option("param", "list", "a ${param:KEY} value (sls deploy --param); repeat", "KEY=VALUE"),
    _Option("alarm-email", "list", "an address subscribed to the alarm topic; repeat", "ADDRESS"),
    _Option(
        "disable-alarm",
        "list",
        "switch a check off for every resource, e.g. function.throttles; repeat",
        "KIND.CHECK",
    ),
    _Option("retention", "text", "days to keep logs, or 'never'; default: 365", "DAYS"),
    _Option("dashboards", "bool", "create the operations and security dashboards (default)"),
    _Option("saved-queries", "bool", "save the Logs Insights query catalogue (default)"),
    _Option("data-protection", "bool", "mask credentials in the logs (default)"),
    _Option("notify-ok", "bool", "notify when an alarm returns to OK (default)"),
    _Option("log-anomaly-detection", "bool", "a Logs anomaly detector per log group (off)"),
    _Option(
        "concurrency-limit",
        "int",
        "the account's Lambda concurrency quota; default: 1000",
        "N",
    ),
    _Option(
        "duration-threshold-share",
        "float",
        "share of the timeout the p90 duration alarm fires above, 0.1-1; default: 0.8",
        "SHARE",
    ),
    _Option(
        "chatbot-slack",
        "text",
        "post alarms to Slack through AWS Chatbot: WORKSPACE_ID/CHANNEL_ID",
        "WORKSPACE/CHANNEL",
    ),
    _Option(
        "output",
        "text",
        f"where to write the cloud assembly when the CDK CLI does not say (CDK_OUTDIR); "
        f"default: {DEFAULT_OUTPUT}",
        "DIR",
    ),
)
_BY_DEST = {option.dest: option for option in OPTIONS}


def register(subparsers: Any) -> None:
    """Add ``watchkeeper cdk-app`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "cdk-app",
        help="a CDK app monitoring a Serverless Framework service (for cdk.json's app)",
        description=(
            "Synthesize a MonitoringStack for the functions a serverless.yml deploys, as a "
            "CDK app: set cdk.json's app to this command and run cdk synth / cdk deploy. "
            "Options come from flags or from --config FILE (YAML or JSON, keys are the flag "
            "names without '--'); a flag wins over the file."
        ),
    )
    parser.add_argument(
        "--config", metavar="FILE", help="a YAML or JSON file of options (keys: flag names)"
    )
    for option in OPTIONS:
        flag = f"--{option.flag}"
        if option.kind == "bool":
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=option.help
            )
        elif option.kind == "list":
            parser.add_argument(flag, action="append", metavar=option.metavar, help=option.help)
        else:
            parser.add_argument(flag, metavar=option.metavar, help=option.help)
    parser.set_defaults(run=run)


# --------------------------------------------------------------------------------------
# Options: flags over the config file, each validated
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppOptions:
    """The validated options of one ``cdk-app`` run."""

    serverless: str | None
    stage: str | None
    region: str | None
    account: str | None
    service_name: str | None
    stack_name: str | None
    function_names: tuple[str, ...]
    params: dict[str, str]
    output: str
    #: ``ServiceMonitoring`` options, by keyword
    monitoring: dict[str, Any]


def _fail(message: str) -> CommandError:
    return CommandError(message, BAD_INPUT_EXIT_CODE)


def _read_config(path: str) -> tuple[dict[str, Any], Path]:
    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(f"--config {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"--config {path}: cannot be read ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise _fail(f"--config {path}{where}: invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _fail(f"--config {path}: expected a mapping of option names to values")
    values: dict[str, Any] = {}
    for key, value in data.items():
        dest = str(key).replace("-", "_")
        if dest not in _BY_DEST:
            allowed = ", ".join(o.flag for o in OPTIONS)
            raise _fail(f"--config {path}: unknown option {key!r}; allowed: {allowed}")
        option = _BY_DEST[dest]
        if option.kind == "list":
            value = value if isinstance(value, list) else [value]
            if not all(isinstance(v, (str, int, float)) for v in value):
                raise _fail(f"--config {path}: {key} must be a list of values")
            value = [str(v) for v in value]
        elif option.kind == "bool":
            if not isinstance(value, bool):
                raise _fail(f"--config {path}: {key} must be true or false, not {value!r}")
        elif isinstance(value, (dict, list)) or value is None:
            raise _fail(f"--config {path}: {key} must be a single value, not {value!r}")
        else:
            value = str(value)
        values[dest] = value
    return values, file.parent


def _merged(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """Option values (flags over the config file) and where each came from."""
    config: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if args.config:
        config, base = _read_config(args.config)
        for dest, value in config.items():
            sources[dest] = f"{_BY_DEST[dest].flag} (in {args.config})"
            if dest in ("serverless", "output"):
                config[dest] = str(base / value)
    values = dict(config)
    for option in OPTIONS:
        given = getattr(args, option.dest, None)
        if given is not None:
            values[option.dest] = given
            sources[option.dest] = f"--{option.flag}"
    return values, sources


def _check(
    values: Mapping[str, Any],
    sources: Mapping[str, str],
    dest: str,
    valid: Callable[[str], Any],
    allowed: str,
) -> None:
    items = values.get(dest)
    if items is None:
        return
    for item in items if isinstance(items, list) else [items]:
        if not valid(item):
            raise _fail(f"{sources[dest]} {item!r}: {allowed}")


def parse_options(args: argparse.Namespace, environ: Mapping[str, str]) -> AppOptions:
    """Merge the config file and the flags, and validate every value."""
    from watchkeeper import schema
    from watchkeeper.limits import ALLOWED_RETENTION_DAYS

    values, sources = _merged(args)
    if not values.get("serverless") and not values.get("function_name"):
        raise _fail(
            "give --serverless PATH (the service's serverless.yml), or --function-name NAME "
            "with --service-name"
        )
    _check(values, sources, "region", _REGION_RE.fullmatch, "not an AWS region (e.g. eu-west-1)")
    _check(values, sources, "account", _ACCOUNT_RE.fullmatch, "an account id is 12 digits")
    _check(
        values,
        sources,
        "service_name",
        schema.SERVICE_NAME_RE.fullmatch,
        schema.SERVICE_NAME_RULE,
    )
    _check(
        values,
        sources,
        "stack_name",
        _STACK_NAME_RE.fullmatch,
        "a stack name is 1-128 letters, digits and '-', starting with a letter",
    )
    _check(
        values,
        sources,
        "function_name",
        _FUNCTION_NAME_RE.fullmatch,
        "a Lambda function name is 1-64 letters, digits, '-' and '_'",
    )
    _check(values, sources, "param", lambda v: "=" in v and bool(v.split("=", 1)[0]), "KEY=VALUE")
    _check(values, sources, "alarm_email", _EMAIL_RE.fullmatch, "not an email address")
    _check(
        values, sources, "disable_alarm", _CHECK_RE.fullmatch, "KIND.CHECK, e.g. function.errors"
    )
    _check(
        values,
        sources,
        "retention",
        lambda v: v == "never" or (v.isdigit() and int(v) in ALLOWED_RETENTION_DAYS),
        "'never' or one of " + ", ".join(str(d) for d in ALLOWED_RETENTION_DAYS),
    )
    _check(
        values,
        sources,
        "concurrency_limit",
        lambda v: str(v).isdigit() and int(v) > 0,
        "a whole number above 0",
    )
    _check(
        values,
        sources,
        "duration_threshold_share",
        lambda v: _float(v) is not None and 0.1 <= (_float(v) or 0) <= 1,
        "a number from 0.1 to 1",
    )
    _check(
        values,
        sources,
        "chatbot_slack",
        lambda v: bool(re.fullmatch(r"[A-Za-z0-9]+/[A-Za-z0-9]+", v)),
        "WORKSPACE_ID/CHANNEL_ID (from the Chatbot console)",
    )
    output = _output(values, sources, environ)
    monitoring: dict[str, Any] = {}
    if values.get("alarm_email"):
        monitoring["alarm_emails"] = list(values["alarm_email"])
    if values.get("retention") is not None:
        retention = values["retention"]
        monitoring["retention"] = None if retention == "never" else int(retention)
    for flag in ("dashboards", "saved_queries", "data_protection", "notify_ok"):
        if values.get(flag) is not None:
            monitoring[flag] = values[flag]
    if values.get("log_anomaly_detection") is not None:
        monitoring["log_anomaly_detection"] = values["log_anomaly_detection"]
    if values.get("concurrency_limit") is not None:
        monitoring["concurrency_limit"] = int(values["concurrency_limit"])
    if values.get("duration_threshold_share") is not None:
        monitoring["duration_threshold_share"] = float(values["duration_threshold_share"])
    if values.get("chatbot_slack"):
        workspace, channel = values["chatbot_slack"].split("/")
        monitoring["chatbot_slack"] = (workspace, channel)
    if values.get("disable_alarm"):
        from watchkeeper.constructs.alarms.settings import AlarmSettings

        monitoring["alarm_overrides"] = {
            check: AlarmSettings(enabled=False) for check in values["disable_alarm"]
        }
    return AppOptions(
        serverless=values.get("serverless"),
        stage=values.get("stage"),
        region=values.get("region") or environ.get("CDK_DEFAULT_REGION") or None,
        account=values.get("account") or environ.get("CDK_DEFAULT_ACCOUNT") or None,
        service_name=values.get("service_name"),
        stack_name=values.get("stack_name"),
        function_names=tuple(values.get("function_name") or ()),
        params=dict(p.split("=", 1) for p in values.get("param") or ()),
        output=output,
        monitoring=monitoring,
    )


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _output(
    values: Mapping[str, Any], sources: Mapping[str, str], environ: Mapping[str, str]
) -> str:
    cli_outdir = environ.get("CDK_OUTDIR")
    given = values.get("output")
    if cli_outdir:
        if given and Path(given).resolve() != Path(cli_outdir).resolve():
            raise _fail(
                f"{sources['output']} {given!r}: the CDK CLI runs this app with CDK_OUTDIR="
                f"{cli_outdir}; drop {sources['output']} (use cdk --output instead)"
            )
        return cli_outdir
    return str(given or DEFAULT_OUTPUT)


# --------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------


def build_app(options: AppOptions) -> tuple[Any, Any, tuple[str, ...]]:
    """The ``cdk.App`` (context from the CDK CLI, as ``cdk.App()`` reads it), its
    ``MonitoringStack``, and the notes of the serverless.yml (also synth warnings)."""
    import aws_cdk as cdk

    from watchkeeper import schema
    from watchkeeper.serverless_config import monitoring_service_name, read_serverless_config
    from watchkeeper.stacks import MonitoringStack

    service_name = options.service_name
    stage = options.stage
    notes: tuple[str, ...] = ()
    if options.serverless is not None:
        config = read_serverless_config(
            options.serverless,
            stage=options.stage,
            region=options.region,
            account=options.account,
            params=options.params,
        )
        service_name = service_name or monitoring_service_name(config.service)
        stage = config.stage
        notes = config.notes
    if service_name is None:
        raise _fail("--function-name without --serverless needs --service-name")
    qualified = schema.qualified_name(service_name, schema.stage_from_name(stage or ""))
    app = cdk.App(outdir=options.output)
    stack = MonitoringStack(
        app,
        options.stack_name or f"watchkeeper-{qualified}",
        service_name=service_name,
        serverless_yml=options.serverless,
        serverless_params=options.params,
        function_names=list(options.function_names) or None,
        stage=options.stage,
        env=cdk.Environment(account=options.account, region=options.region),
        **option_structs(options.monitoring),
    )
    return app, stack, notes


def option_structs(monitoring: dict[str, Any]) -> dict[str, Any]:
    """The validated flag values, as the option structs of ``MonitoringStack``.

    ``monitoring`` is keyed by the first release's keyword names, which the flags follow;
    ``options.DEPRECATED_KEYWORDS`` says which struct and field each one is.
    """
    from watchkeeper.constructs.options import DEPRECATED_KEYWORDS, STRUCTS

    fields: dict[str, dict[str, Any]] = {}
    for keyword, value in monitoring.items():
        argument, field = DEPRECATED_KEYWORDS[keyword]
        fields.setdefault(argument, {})[field] = value
    return {argument: STRUCTS[argument](**given) for argument, given in fields.items()}


def run(args: argparse.Namespace) -> int:
    options = parse_options(args, os.environ)
    try:
        app, stack, notes = build_app(options)
        assembly = app.synth()
    except CommandError:
        raise
    except (ValueError, RuntimeError) as error:
        # ServerlessConfigError and option errors are ValueErrors that name the file, line
        # or option; synth validation errors come back from jsii as RuntimeErrors.
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise _fail(first) from None
    functions = len(stack.monitoring.functions)
    print(
        f"watchkeeper cdk-app: {stack.stack_name}: {functions} function"
        f"{'' if functions == 1 else 's'} of service {stack.monitoring.service_name}"
        f"{f' (stage {stack.monitoring.stage})' if stack.monitoring.stage else ''} -> "
        f"{assembly.directory}",
        file=sys.stderr,
    )
    for note in notes:
        print(f"watchkeeper cdk-app: note: {note}", file=sys.stderr)
    return 0


__all__ = ["OPTIONS", "AppOptions", "build_app", "parse_options", "register", "run"]
