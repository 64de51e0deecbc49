"""The README's Quick start stays true: two commands, the second is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", section, re.S)
    assert block, "the Quick start section has a fenced code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands():
    assert _quick_start_commands() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _quick_start_commands()[1]
    assert any(line.strip() == test_command for line in ci.splitlines())


def test_makefile_has_both_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def _cost_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("\n## Cost\n", 1)[1].split("\n## ", 1)[0]


def test_cost_table_log_prices_are_the_reports():
    from decimal import Decimal

    from watchkeeper import pricing

    cell = next(
        line for line in _cost_section().splitlines() if line.startswith("| logs: ")
    ).split("|")[1]
    stated = {
        label.strip(): Decimal(price)
        for label, price in re.findall(r"([A-Za-z ]+) \$([0-9.]+)/", cell.removeprefix(" logs:"))
    }
    assert stated == {
        "ingestion": pricing.LOGS_INGESTION_STANDARD_USD_PER_GB,
        "storage": pricing.LOGS_STORAGE_USD_PER_GB_MONTH,
        "data protection": pricing.LOGS_DATA_PROTECTION_USD_PER_GB,
        "Insights": pricing.LOGS_INSIGHTS_USD_PER_GB,
    }
    # and the report lists each of them among the prices it does not add to the total
    volume = {price for _, price, _ in pricing.VOLUME_PRICES}
    assert set(stated.values()) <= volume
