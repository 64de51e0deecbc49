"""Microseconds per structured security log record: watchkeeper vs Powertools Logger.

Run: ``python bench/bench_runtime.py [--rounds 15] [--calls 5000]``

Both loggers write the same record (message, event, category, userId, sourceIp, operation,
request id and function name) as one JSON line to ``os.devnull``. watchkeeper also redacts
every value; Powertools' default formatter does not. User ids and source IPs differ on
every call, so no per-value cache flatters either side. Rounds alternate which logger runs
first; the medians over rounds are reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aws_lambda_powertools import Logger  # noqa: E402

import watchkeeper  # noqa: E402
from watchkeeper.runtime import bind_lambda_context, get_logger, security_event  # noqa: E402
from watchkeeper.runtime.powertools import security_logger  # noqa: E402
from watchkeeper.schema import VOCABULARY, Field, PowertoolsField  # noqa: E402

EVENT = "authn_login_fail"
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
FUNCTION_NAME = "orders-prod-login"


class Context:
    aws_request_id = REQUEST_ID
    function_name = FUNCTION_NAME


def build_cases(calls: int) -> dict[str, Callable[[], None]]:
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the benchmark
    users = [f"user-{n:06d}" for n in range(calls)]
    ips = [f"198.51.{n // 256 % 256}.{n % 256}" for n in range(calls)]
    description = VOCABULARY[EVENT].description
    category = VOCABULARY[EVENT].category

    bind_lambda_context(Context())
    wk = get_logger("bench-wk", stream=sink)

    pt = Logger(service="bench-pt", stream=sink, utc=True)
    pt.append_keys(
        **{PowertoolsField.REQUEST_ID: REQUEST_ID, PowertoolsField.FUNCTION_NAME: FUNCTION_NAME}
    )
    pt_redacting = security_logger("bench-pt-redacting", stream=sink)
    pt_redacting.append_keys(
        **{PowertoolsField.REQUEST_ID: REQUEST_ID, PowertoolsField.FUNCTION_NAME: FUNCTION_NAME}
    )

    def watchkeeper_security_event() -> None:
        for user, ip in zip(users, ips, strict=True):
            security_event(
                EVENT, user, logger=wk, user_id=user, source_ip=ip, operation="POST /login"
            )

    def powertools_same_record() -> None:
        for user, ip in zip(users, ips, strict=True):
            pt.warning(
                description,
                extra={
                    Field.EVENT: f"{EVENT}:{user}",
                    Field.CATEGORY: category,
                    Field.USER_ID: user,
                    Field.SOURCE_IP: ip,
                    Field.OPERATION: "POST /login",
                },
            )

    def powertools_redacting_formatter() -> None:
        for user, ip in zip(users, ips, strict=True):
            security_event(
                EVENT,
                user,
                logger=pt_redacting,
                user_id=user,
                source_ip=ip,
                operation="POST /login",
            )

    def watchkeeper_info_extra() -> None:
        for user, ip in zip(users, ips, strict=True):
            wk.info("order created", extra={"orderId": user, "sourceIp": ip, "items": 3})

    def powertools_info_extra() -> None:
        for user, ip in zip(users, ips, strict=True):
            pt.info("order created", extra={"orderId": user, "sourceIp": ip, "items": 3})

    return {
        "watchkeeper security_event": watchkeeper_security_event,
        "Powertools Logger, same record": powertools_same_record,
        "Powertools + RedactingPowertoolsFormatter": powertools_redacting_formatter,
        "watchkeeper logger.info(extra=)": watchkeeper_info_extra,
        "Powertools logger.info(extra=)": powertools_info_extra,
    }


def measure(cases: dict[str, Callable[[], None]], rounds: int, calls: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for case in cases.values():  # warm-up
        case()
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else list(reversed(names))
        for name in order:
            started = time.perf_counter()
            cases[name]()
            samples[name].append((time.perf_counter() - started) / calls * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    medians = measure(build_cases(args.calls), args.rounds, args.calls)
    baseline = medians["Powertools Logger, same record"]
    info_baseline = medians["Powertools logger.info(extra=)"]
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, "
        f"watchkeeper {watchkeeper.__version__}, "
        f"aws-lambda-powertools {metadata.version('aws-lambda-powertools')}; "
        f"{args.rounds} rounds x {args.calls} calls, median per call"
    )
    print()
    print("| case | µs per record | vs Powertools |")
    print("|---|---:|---:|")
    for name, value in medians.items():
        reference = info_baseline if "info" in name else baseline
        print(f"| {name} | {value:.2f} | {value / reference:.2f}× |")


if __name__ == "__main__":
    main()
