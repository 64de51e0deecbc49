"""docs/alarms.md: its table is the code's table, and its code blocks run."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from watchkeeper.constructs.alarms.table import default_alarm_table

DOC = Path(__file__).resolve().parents[3] / "docs" / "alarms.md"


def test_table_of_default_alarms_matches_the_code():
    assert default_alarm_table() in DOC.read_text()


def test_python_blocks_run_and_print_what_the_doc_shows():
    text = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    outputs = re.findall(r"prints\n\n```text\n(.*?)```", text, re.S)
    assert len(blocks) == 2 and len(outputs) == 1
    exec(compile(blocks[0], "alarms.md[0]", "exec"), {})
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        exec(compile(blocks[1], "alarms.md[1]", "exec"), {})
    assert captured.getvalue() == outputs[0]


def test_readme_has_the_table_of_default_alarms():
    readme = DOC.parents[1] / "README.md"
    assert default_alarm_table() in readme.read_text()
