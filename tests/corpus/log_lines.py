"""Realistic log lines and the log metrics each one must count.

Every line carries two sets: the metrics whose JSON pattern must match it (``json``) and the
metrics whose text pattern must match it (``text``). A group of format JSON counts ``json``;
a group of format TEXT or UNKNOWN has both filters for a metric with a text pattern, so it
counts ``json | text``, and the two sets never share a metric (no event is counted twice). A
metric absent from a set must NOT match. ``SecurityEvents`` is derived: it counts a line
exactly when a security metric counts it.

The ``trap`` group holds lines written to fool a pattern: records whose message carries
ERROR, FATAL, CRITICAL, ``[ERROR]``, "Task timed out" or a REPORT line, in JSON and in each
runtime's Text format. Every trap must be counted by no metric in any format.

Shapes follow what Lambda and Powertools write: Lambda's JSON application records
(timestamp, level, message, logger, requestId; errorType/errorMessage/stackTrace/location on
exceptions), the runtime's unhandled-error record (``log_level``), Powertools Logger records,
platform records in JSON (``{"time","type","record"}``) and in Text (INIT_START, START, END,
REPORT, "Task timed out after"), and security events as watchkeeper's runtime helper writes
them (compact JSON, fields from ``watchkeeper.schema.Field``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from watchkeeper import schema
from watchkeeper.schema import (
    SECURITY_EVENTS_METRIC,
    Field,
    HealthMetric,
    PowertoolsField,
    RuntimeErrorField,
)

ERRORS = HealthMetric.ERRORS
TIMEOUTS = HealthMetric.TIMEOUTS
OOM = HealthMetric.OUT_OF_MEMORY
COLD = HealthMetric.COLD_STARTS

REQUEST_ID = "79b4f56e-95b1-4643-9700-2807f4e68189"
TS = "2024-05-01T10:00:00.123Z"
RUNTIME_VERSION_ARN = "arn:aws:lambda:eu-west-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba"


@dataclass(frozen=True)
class CorpusLine:
    group: str
    line: str
    json: frozenset[str]
    text: frozenset[str]
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.group}:{self.note or self.line[:40]}"


def _with_security_events(counted: frozenset[str]) -> frozenset[str]:
    security = set(schema.security_metric_names())
    return counted | {SECURITY_EVENTS_METRIC} if counted & security else counted


def entry(group: str, line: str | dict, *, json_counts=(), text_counts=(), note="") -> CorpusLine:
    text = line if isinstance(line, str) else json.dumps(line, separators=(",", ":"))
    return CorpusLine(
        group,
        text,
        _with_security_events(frozenset(json_counts)),
        frozenset(text_counts),
        note,
    )


def _native(level: str, message: str, **extra) -> dict:
    record = {
        Field.TIMESTAMP: TS,
        Field.LEVEL: level,
        Field.MESSAGE: message,
        Field.LOGGER: "root",
        Field.REQUEST_ID: REQUEST_ID,
    }
    record.update(extra)
    return record


_EXCEPTION = {
    Field.ERROR_TYPE: "KeyError",
    Field.ERROR_MESSAGE: "'customer_id'",
    Field.STACK_TRACE: [
        '  File "/var/task/app.py", line 21, in handler\n    customer = event["customer_id"]\n'
    ],
    Field.LOCATION: "/var/task/app.py:handler:21",
}

NATIVE_JSON = [
    entry("native", _native("INFO", "order created", orderId="o-1")),
    entry("native", _native("WARNING", "payment retried", attempt=2)),
    entry(
        "native",
        _native("ERROR", "payment failed", **_EXCEPTION),
        json_counts={ERRORS},
    ),
    entry(
        "native",
        _native("CRITICAL", "database unreachable"),
        json_counts={ERRORS},
        note="CRITICAL app record",
    ),
    # Lambda's Python JSON formatter output with spaces after separators must count the same.
    entry(
        "native",
        json.dumps(_native("ERROR", "lost connection")),
        json_counts={ERRORS},
        note="spaced JSON",
    ),
]

RUNTIME_ERRORS = [
    entry(
        "runtime",
        {
            "timestamp": TS,
            RuntimeErrorField.LEVEL: "ERROR",
            Field.ERROR_MESSAGE: "boom",
            Field.ERROR_TYPE: "ValueError",
            Field.REQUEST_ID: REQUEST_ID,
            Field.STACK_TRACE: [
                '  File "/var/task/app.py", line 9, in handler\n    raise ValueError("boom")\n'
            ],
        },
        json_counts={ERRORS},
        note="unhandled exception, JSON",
    ),
    entry(
        "runtime",
        "[ERROR] ValueError: boom\nTraceback (most recent call last):\n"
        '  File "/var/task/app.py", line 9, in handler\n    raise ValueError("boom")',
        text_counts={ERRORS},
        note="unhandled exception, Text",
    ),
]


def _powertools(level: str, message: str, **extra) -> dict:
    record = {
        "level": level,
        "location": "handler:14",
        "message": message,
        "timestamp": "2024-05-01 10:00:00,123+0000",
        "service": "orders",
        PowertoolsField.COLD_START: True,
        PowertoolsField.FUNCTION_NAME: "orders-prod-create",
        "function_memory_size": "256",
        "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:orders-prod-create",
        PowertoolsField.REQUEST_ID: REQUEST_ID,
        "sampling_rate": 0.1,
        Field.XRAY_TRACE_ID: "1-66321d80-1c2b7e5f3a9d4b6c8e0f1a2b",
    }
    record.update(extra)
    return record


POWERTOOLS = [
    entry("powertools", _powertools("INFO", "Collecting payment")),
    entry(
        "powertools",
        _powertools(
            "ERROR",
            "Payment provider rejected the card",
            **{
                PowertoolsField.EXCEPTION: "Traceback (most recent call last):\n"
                '  File "/var/task/app.py", line 30, in charge\n'
                "KeyError: 'card'",
                PowertoolsField.EXCEPTION_NAME: "KeyError",
                PowertoolsField.STACK_TRACE: {
                    "type": "KeyError",
                    "value": "'card'",
                    "module": "builtins",
                    "frames": [
                        {
                            "file": "/var/task/app.py",
                            "line": 30,
                            "function": "charge",
                            "statement": "card = body['card']",
                        }
                    ],
                },
            },
        ),
        json_counts={ERRORS},
    ),
    entry(
        "powertools",
        _powertools("WARNING", "Login failed", **{Field.EVENT: "authn_login_fail:joebob1"}),
        json_counts={schema.SecurityMetric.AUTHN_FAILURES},
        note="security event written with Powertools",
    ),
]


def _platform(type_: str, record: dict) -> dict:
    return {"time": TS, "type": type_, "record": record}


def _report(status: str | None = None, error_type: str | None = None, init: bool = False) -> dict:
    metrics = {
        "durationMs": 3000.0 if status == "timeout" else 12.34,
        "billedDurationMs": 3000 if status == "timeout" else 13,
        "memorySizeMB": 128,
        "maxMemoryUsedMB": 128 if error_type else 71,
    }
    if init:
        metrics["initDurationMs"] = 245.3
    record: dict = {"requestId": REQUEST_ID, "metrics": metrics}
    if status:
        record["status"] = status
    if error_type:
        record["errorType"] = error_type
    return _platform("platform.report", record)


PLATFORM_JSON = [
    entry(
        "platform-json",
        _platform(
            "platform.initStart",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "runtimeVersion": "python:3.12.v38",
                "runtimeVersionArn": RUNTIME_VERSION_ARN,
                "functionName": "orders-prod-create",
                "functionVersion": "$LATEST",
            },
        ),
    ),
    entry(
        "platform-json",
        _platform(
            "platform.initReport",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "status": "success",
                "metrics": {"durationMs": 245.3},
            },
        ),
    ),
    entry(
        "platform-json",
        _platform("platform.start", {"requestId": REQUEST_ID, "version": "$LATEST"}),
    ),
    entry(
        "platform-json",
        _platform(
            "platform.runtimeDone",
            {
                "requestId": REQUEST_ID,
                "status": "success",
                "metrics": {"durationMs": 12.1, "producedBytes": 0},
            },
        ),
    ),
    entry(
        "platform-json",
        _platform(
            "platform.runtimeDone",
            {"requestId": REQUEST_ID, "status": "timeout", "metrics": {"durationMs": 3000.0}},
        ),
        note="runtimeDone timeout: counted from the report, not twice",
    ),
    entry(
        "platform-json",
        _platform(
            "platform.runtimeDone",
            {"requestId": REQUEST_ID, "status": "error", "errorType": "Runtime.OutOfMemory"},
        ),
        note="runtimeDone OOM (DEBUG level): counted from the report only",
    ),
    entry("platform-json", _report("success"), note="warm report"),
    entry("platform-json", _report(None), note="report without status"),
    entry("platform-json", _report("success", init=True), json_counts={COLD}, note="cold report"),
    entry("platform-json", _report("timeout"), json_counts={TIMEOUTS}, note="timeout report"),
    entry(
        "platform-json",
        _report("timeout", init=True),
        json_counts={TIMEOUTS, COLD},
        note="cold start that timed out",
    ),
    entry(
        "platform-json",
        _report("error", "Runtime.OutOfMemory"),
        json_counts={OOM},
        note="OOM report",
    ),
    entry(
        "platform-json",
        _report("error", "Runtime.ExitError"),
        note="runtime exit: neither OOM nor error record",
    ),
]

PLATFORM_TEXT = [
    entry(
        "platform-text",
        "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: "
        "arn:aws:lambda:eu-west-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba",
    ),
    entry("platform-text", f"START RequestId: {REQUEST_ID} Version: $LATEST"),
    entry("platform-text", f"END RequestId: {REQUEST_ID}"),
    entry(
        "platform-text",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 12.34 ms\tBilled Duration: "
        "13 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\t",
        note="warm REPORT",
    ),
    entry(
        "platform-text",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 12.34 ms\tBilled Duration: "
        "13 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\tInit Duration: 245.30 ms\t",
        text_counts={COLD},
        note="cold REPORT",
    ),
    entry(
        "platform-text",
        f"{TS} {REQUEST_ID} Task timed out after 3.00 seconds",
        text_counts={TIMEOUTS},
        note="Task timed out line",
    ),
    entry(
        "platform-text",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 3000.00 ms\tBilled Duration: "
        "3000 ms\tMemory Size: 128 MB\tMax Memory Used: 90 MB\tStatus: timeout\n",
        text_counts={TIMEOUTS},
        note="REPORT Status: timeout",
    ),
    entry(
        "platform-text",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 812.00 ms\tBilled Duration: "
        "813 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\t"
        "Error Type: Runtime.OutOfMemory",
        text_counts={OOM},
        note="REPORT OOM",
    ),
    entry(
        "platform-text",
        "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
        text_counts={TIMEOUTS},
        note="init timeout: the text pattern counts it as a timeout (documented)",
    ),
]

TEXT_APP = [
    entry("text-app", f"[INFO]\t{TS}\t{REQUEST_ID}\torder created"),
    entry("text-app", f"[WARNING]\t{TS}\t{REQUEST_ID}\tpayment retried"),
    entry("text-app", f"[ERROR]\t{TS}\t{REQUEST_ID}\tpayment failed", text_counts={ERRORS}),
    entry(
        "text-app", f"[CRITICAL]\t{TS}\t{REQUEST_ID}\tdatabase unreachable", text_counts={ERRORS}
    ),
    entry(
        "text-app",
        f'{TS}\t{REQUEST_ID}\tERROR\tInvoke Error \t{{"errorType":"Error","errorMessage":"boom"}}',
        text_counts={ERRORS},
        note="Node.js Text-format error",
    ),
    entry("text-app", "processing 3 records", note="print() output"),
]

BENIGN = [
    entry("benign", _native("INFO", "no errors found")),
    entry("benign", f"[INFO]\t{TS}\t{REQUEST_ID}\tno errors found", note="text no errors found"),
    entry(
        "benign",
        _native("INFO", 'alert rule: "Task timed out after" in a REPORT'),
        note="message quoting the timeout marker",
    ),
    entry("benign", _native("INFO", "request timeout configured")),
    entry("benign", _native("WARNING", "sensitive fields masked before logging")),
    entry(
        "benign",
        _native("INFO", "user logged in", **{Field.EVENT: "authn_login_success:joe"}),
        note="success event is not a failure",
    ),
    entry(
        "benign",
        _native(
            "INFO", "login after failures", **{Field.EVENT: "authn_login_successafterfail:joe,3"}
        ),
    ),
    entry(
        "benign",
        _native("ERROR", "handler failed", **{Field.EVENT: {"Records": []}}),
        note="ERROR record carrying an 'event' object is excluded (event is reserved)",
    ),
    entry(
        "benign",
        {"level": "error", "message": "lower-case level"},
        note="levels are case-sensitive: 'error' is not ERROR",
    ),
    entry(
        "benign",
        '{"level":"ERROR","message":"truncated',
        note="invalid JSON never matches a JSON pattern",
    ),
    entry("benign", _native("INFO", "Error handling enabled")),
    entry("benign", _native("INFO", "malicious_sqli mentioned in a message")),
    entry("benign", _native("INFO", "custom event", **{Field.EVENT: "custom_bulk_export:joe"})),
]


def _security_event(event: schema.SecurityEvent) -> CorpusLine:
    record = {
        Field.TIMESTAMP: TS,
        Field.LEVEL: event.level,
        Field.MESSAGE: event.description,
        Field.LOGGER: "watchkeeper.security",
        Field.REQUEST_ID: REQUEST_ID,
        Field.FUNCTION_NAME: "orders-prod-create",
        Field.SERVICE: "orders",
        Field.EVENT: f"{event.name}:joebob1",
        Field.CATEGORY: event.category,
        Field.USER_ID: "joebob1",
        Field.SOURCE_IP: "203.0.113.7",
    }
    counted = {event.metric} if event.metric else set()
    return entry("security", record, json_counts=counted, note=event.name)


SECURITY = [_security_event(e) for e in schema.VOCABULARY.values()] + [
    entry(
        "security",
        {Field.LEVEL: "WARNING", Field.EVENT: "authz_fail"},
        json_counts={schema.SecurityMetric.AUTHZ_FAILURES},
        note="event without params",
    ),
]

# Real error lines of each runtime, as its Text format writes them (docs/metric-filters.md).
NODE_TS = "2024-05-01T10:00:00.123Z"
LOG4J_TS = "2024-05-01 10:00:00"
RUNTIME_TEXT = [
    entry(
        "runtime-text",
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named "
        "'requests'\nTraceback (most recent call last):",
        text_counts={ERRORS},
        note="Python init failure, Text",
    ),
    entry(
        "runtime-text",
        f"{NODE_TS}\t{REQUEST_ID}\tERROR\tpayment failed: card declined",
        text_counts={ERRORS},
        note="Node.js console.error, Text",
    ),
    entry(
        "runtime-text",
        f"{NODE_TS}\t{REQUEST_ID}\tFATAL\tcannot reach the database",
        text_counts={ERRORS},
        note="Node.js console.fatal, Text",
    ),
    entry(
        "runtime-text",
        f"{NODE_TS}\tundefined\tERROR\tUncaught Exception \t"
        '{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module"}',
        text_counts={ERRORS},
        note="Node.js init failure (no request id yet), Text",
    ),
    entry(
        "runtime-text",
        "[ERROR] payment failed",
        text_counts={ERRORS},
        note="Java LambdaLogger ERROR",
    ),
    entry(
        "runtime-text",
        "[FATAL] cannot reach the database",
        text_counts={ERRORS},
        note="Java LambdaLogger FATAL",
    ),
    entry(
        "runtime-text",
        f"{LOG4J_TS} {REQUEST_ID} ERROR OrderHandler:42 - payment failed\n",
        text_counts={ERRORS},
        note="Java log4j2 Lambda appender ERROR",
    ),
    entry(
        "runtime-text",
        f"{LOG4J_TS} {REQUEST_ID} FATAL OrderHandler:42 - cannot reach the database\n",
        text_counts={ERRORS},
        note="Java log4j2 Lambda appender FATAL",
    ),
    entry(
        "runtime-text",
        f"{LOG4J_TS}  ERROR Config:12 - missing TABLE_NAME\n",
        text_counts={ERRORS},
        note="Java log4j2 at init (empty request id)",
    ),
    entry(
        "runtime-text",
        "boom: java.lang.RuntimeException\njava.lang.RuntimeException: boom\n"
        "\tat example.Handler.handleRequest(Handler.java:12)\n",
        note="Java unhandled exception, Text: no level marker (AWS/Lambda Errors counts it)",
    ),
    entry("runtime-text", f"{LOG4J_TS} {REQUEST_ID} WARN  OrderHandler:50 - retrying"),
    entry("runtime-text", f"{NODE_TS}\t{REQUEST_ID}\tWARN\tslow response"),
]

# Real error records of each runtime in the JSON format.
RUNTIME_JSON = [
    entry(
        "runtime-json",
        {
            "timestamp": NODE_TS,
            "level": "ERROR",
            "requestId": REQUEST_ID,
            "message": {
                "errorType": "Error",
                "errorMessage": "boom",
                "stackTrace": ["Error: boom", "    at Runtime.handler (/var/task/index.js:3:9)"],
            },
        },
        json_counts={ERRORS},
        note="Node.js Invoke Error, JSON",
    ),
    entry(
        "runtime-json",
        {"timestamp": NODE_TS, "level": "FATAL", "requestId": REQUEST_ID, "message": "db gone"},
        json_counts={ERRORS},
        note="Node.js console.fatal, JSON",
    ),
    entry(
        "runtime-json",
        {
            "timestamp": NODE_TS,
            "level": "ERROR",
            "message": "payment failed",
            "AWSRequestId": REQUEST_ID,
        },
        json_counts={ERRORS},
        note="Java LambdaLogger ERROR, JSON",
    ),
    entry(
        "runtime-json",
        {
            Field.ERROR_MESSAGE: "boom",
            Field.ERROR_TYPE: "RuntimeError",
            Field.STACK_TRACE: ["main.go:12"],
        },
        json_counts={ERRORS},
        note="unhandled-error record without a level",
    ),
    entry(
        "runtime-json",
        _native("WARNING", "retrying after an exception", **_EXCEPTION),
        note="WARNING record with exception fields is not an error",
    ),
]

# Lines written to fool a pattern: counted by no metric in any format.
_TRAP_MESSAGES = [
    "user searched for ERROR codes",
    "FATAL is a word in this sentence",
    "ticket priority [CRITICAL] copied from the tracker",
    "upstream answered: [ERROR] 502",
    "customer quoted: Task timed out after 3.00 seconds",
    f"REPORT RequestId: {REQUEST_ID}\tStatus: timeout\tInit Duration: 1 ms\t"
    "Error Type: Runtime.OutOfMemory",
    "columns: level\tERROR\tcount",
]
TRAPS = [
    *(
        entry("trap", _native(level, message), note=f"JSON {level}: {message[:30]}")
        for level in ("INFO", "WARNING")
        for message in _TRAP_MESSAGES
    ),
    *(
        entry("trap", f"[INFO]\t{TS}\t{REQUEST_ID}\t{m}", note=f"Python text INFO: {m[:30]}")
        for m in _TRAP_MESSAGES
    ),
    *(
        entry("trap", f"{NODE_TS}\t{REQUEST_ID}\tINFO\t{m}", note=f"Node text INFO: {m[:30]}")
        for m in _TRAP_MESSAGES
    ),
    *(
        entry("trap", f"{LOG4J_TS} {REQUEST_ID} INFO  Search:7 - {m}", note=f"log4j INFO: {m[:30]}")
        for m in _TRAP_MESSAGES
    ),
    *(
        entry("trap", f"[INFO] {m}", note=f"Java LambdaLogger INFO: {m[:30]}")
        for m in _TRAP_MESSAGES
    ),
    *(entry("trap", m, note=f"print(): {m[:30]}") for m in _TRAP_MESSAGES),
    entry("trap", "ERROR count: 0", note="print() starting with ERROR"),
    entry(
        "trap",
        _native("INFO", "lookup", details={"level": "ERROR", "errorType": "KeyError"}),
        note="nested level and errorType are not the record's",
    ),
    entry(
        "trap",
        _powertools("INFO", "searching for FATAL and ERROR in the archive"),
        note="Powertools INFO mentioning levels",
    ),
]


CORPUS: list[CorpusLine] = [
    *NATIVE_JSON,
    *RUNTIME_ERRORS,
    *POWERTOOLS,
    *PLATFORM_JSON,
    *PLATFORM_TEXT,
    *TEXT_APP,
    *RUNTIME_TEXT,
    *RUNTIME_JSON,
    *BENIGN,
    *TRAPS,
    *SECURITY,
]
