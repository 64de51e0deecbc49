"""docs/metric-filters.md: its example runs and prints what the page shows; its table is current."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from watchkeeper.log_metrics import LOG_METRICS

DOC = Path(__file__).resolve().parents[1] / "docs" / "metric-filters.md"
MARKER = "<!-- example: executed by tests/test_docs_metric_filters.py -->"


def _blocks_after(text: str, marker: str) -> tuple[str, str]:
    after = text.split(marker, 1)[1]
    code, output = re.findall(r"```(?:python)?\n(.*?)```", after, re.S)[:2]
    return code, output


def test_the_documented_example_runs_and_prints_the_documented_output() -> None:
    code, output = _blocks_after(DOC.read_text(), MARKER)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOC), "exec"), {})  # noqa: S102 - our own documentation
    assert printed.getvalue() == output


def test_the_metric_table_shows_the_current_patterns() -> None:
    rows = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"\| `(\w+)` \| (health|security) \| (.*?) \| `(.*?)` \| (`.*?`|—) \|$", line)
        if m:
            rows[m.group(1)] = (
                m.group(4).replace("\\|", "|"),
                m.group(5).strip("`").replace("\\|", "|"),
            )
    assert set(rows) == set(LOG_METRICS)
    for name, metric in LOG_METRICS.items():
        assert rows[name] == (metric.json_pattern, metric.text_pattern or "—")
