"""The ``watchkeeper`` command (``python -m watchkeeper`` and ``python -m watchkeeper.cli`` too).

Each subcommand lives in its own module, which provides ``register(subparsers)`` (adds its
parser, with ``set_defaults(run=...)``); modules are imported only when the command
runs, so ``watchkeeper report`` does not pay for boto3 and ``watchkeeper query`` does not
pay for aws-cdk-lib.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from watchkeeper.cli.assembly import DEFAULT_DIRECTORY as DEFAULT_CDK_OUT

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "watchkeeper.cli.report",
    "watchkeeper.cli.incident",
    "watchkeeper.cli.preview",
    "watchkeeper.cli.check",
    "watchkeeper.cli.cdk_app",
)


class CommandError(Exception):
    """A problem to report in one line and exit non-zero, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_cdk_out_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``CDK_OUT`` positional of the commands that read a cloud assembly."""
    parser.add_argument(
        "cdk_out",
        nargs="?",
        default=DEFAULT_CDK_OUT,
        metavar="CDK_OUT",
        help=f"the cloud assembly directory that `cdk synth` writes (default: {DEFAULT_CDK_OUT})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchkeeper",
        description="Inspect, price, check and query the monitoring that watchkeeper deploys.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(run(args) or 0)
    except CommandError as exc:
        print(f"watchkeeper {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130

