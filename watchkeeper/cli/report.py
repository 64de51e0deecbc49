"""``watchkeeper report``: what a cloud assembly deploys for monitoring, and what it costs.

Reads a synthesized cloud assembly (``cdk.out``) through :mod:`watchkeeper.cli.assembly`: every
stack of the app, the nested stacks each one deploys and the assemblies of its stages. For
each stack, and in total, it counts the monitoring resources by CloudFormation type,
classifies every alarm (standard, high-resolution, metric math, anomaly detection), works out
each alarm's time to detect, and prices the lot at list price (:mod:`watchkeeper.pricing`).
It lists each stack's Lambda function URLs with ``AuthType: NONE``, acknowledged or not
(what ``watchkeeper check`` reports, :mod:`watchkeeper.cli.check_findings`).

Standard library only, and it reads JSON files only, so it runs in well under a second and
needs neither aws-cdk-lib nor AWS credentials. Every problem with the input is raised as
:class:`watchkeeper.cli.CommandError` (one line, exit code 2), never as a traceback.

This module holds the command (``register`` and ``run``); the work is done in
:mod:`~watchkeeper.cli.report_model` (what is counted), :mod:`~watchkeeper.cli.report_scan`
(counting), :mod:`~watchkeeper.cli.report_json` and :mod:`~watchkeeper.cli.report_text`
(output). Their public names are re-exported here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from watchkeeper import pricing
from watchkeeper.cli import add_cdk_out_argument
from watchkeeper.cli.report_json import report_json
from watchkeeper.cli.report_model import (
    ALARM_KINDS,
    ALARM_TYPE,
    COMPOSITE_ALARM_TYPE,
    COMPOSITE_KIND,
    COUNTED_TYPES,
    METRIC_FILTER_TYPE,
    TOTAL_KEYS,
    AlarmDetail,
    AssemblyReport,
    CustomMetric,
    MonitoredService,
    NestedStack,
    StackReport,
    TemplateContents,
)
from watchkeeper.cli.report_scan import BAD_INPUT_EXIT_CODE, load_assembly
from watchkeeper.cli.report_text import format_duration, report_text

__all__ = [
    "ALARM_KINDS",
    "ALARM_TYPE",
    "BAD_INPUT_EXIT_CODE",
    "COMPOSITE_ALARM_TYPE",
    "COMPOSITE_KIND",
    "COUNTED_TYPES",
    "METRIC_FILTER_TYPE",
    "TOTAL_KEYS",
    "AlarmDetail",
    "AssemblyReport",
    "CustomMetric",
    "MonitoredService",
    "NestedStack",
    "StackReport",
    "TemplateContents",
    "format_duration",
    "load_assembly",
    "register",
    "report_json",
    "report_text",
    "run",
]


def register(subparsers: Any) -> None:
    """Add ``watchkeeper report`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "report",
        help="count and price the monitoring a cloud assembly deploys",
        description=(
            "Read a synthesized cloud assembly and print, per stack and in total, its log "
            "groups, metric filters, custom metrics, alarms (with their time to detect), "
            "composite alarms, dashboards and saved queries, and the estimated monthly "
            f"CloudWatch cost at {pricing.PRICES_REGION} list prices."
        ),
    )
    add_cdk_out_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="show_app_own",
        help="also list the app's own log groups, alarms, dashboards, ... (never counted)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = load_assembly(args.cdk_out)
    if args.json:
        json.dump(report_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report_text(report, show_app_own=args.show_app_own))
    return 0
