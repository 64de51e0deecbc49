"""The output formats of ``watchkeeper query`` and ``trace``: table, JSON and CSV rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

#: output formats of ``query`` and ``trace``
FORMATS = ("table", "json", "csv")
#: the pointer field Logs Insights adds to every row; useless in a terminal
POINTER_FIELD = "@ptr"


def columns_of(rows: Sequence[dict[str, str]], hide: Sequence[str] = ()) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update((name, None) for name in row if name not in hide)
    return list(columns)


def format_table(rows: Sequence[dict[str, str]], hide: Sequence[str] = (POINTER_FIELD,)) -> str:
    """Rows as an aligned text table; newlines inside values are shown as ``\\n``."""
    columns = columns_of(rows, hide)
    if not columns:
        return ""
    cells = [
        [row.get(column, "").replace("\r", "").replace("\n", "\\n") for column in columns]
        for row in rows
    ]
    widths = [
        max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)
    ]
    lines = []
    for line in [columns, ["-" * w for w in widths], *cells]:
        padded = [value.ljust(width) for value, width in zip(line, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def format_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"


def format_csv(rows: Sequence[dict[str, str]]) -> str:
    columns = columns_of(rows)
    if not columns:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


FORMATTERS: dict[str, Callable[[Sequence[dict[str, str]]], str]] = {
    "table": format_table,
    "json": format_json,
    "csv": format_csv,
}
