"""The examples in docs/runtime.md run, and the output they show is what they print."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from watchkeeper.runtime import clear_lambda_context
from watchkeeper.runtime.logger import LEVEL_ENV_VARS, SERVICE_ENV_VARS
from watchkeeper.schema import Field

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

DOC = Path(__file__).resolve().parents[2] / "docs" / "runtime.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SCHEMA_FIELDS = {v for k, v in vars(Field).items() if k.isupper()}


def _blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text()) if lang == language]


@pytest.fixture(scope="module")
def executed() -> tuple[dict, list[dict]]:
    """Runs every python block of the page in order, in one namespace; returns the output."""
    monkeypatch = pytest.MonkeyPatch()
    for variable in (
        *SERVICE_ENV_VARS,
        *LEVEL_ENV_VARS,
        "AWS_LAMBDA_FUNCTION_NAME",
        "_X_AMZN_TRACE_ID",
        "POWERTOOLS_DEV",
    ):
        monkeypatch.delenv(variable, raising=False)
    import contextlib
    import io

    stdout = io.StringIO()
    namespace: dict = {"__name__": "docs_runtime"}
    try:
        with contextlib.redirect_stdout(stdout):
            for block in _blocks("python"):
                exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102
    finally:
        clear_lambda_context()
        monkeypatch.undo()
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    return namespace, records


def test_page_has_examples():
    assert len(_blocks("python")) >= 4
    assert len(_blocks("json")) >= 2


def test_every_printed_line_is_one_json_record(executed):
    _, records = executed
    assert len(records) >= 5
    for record in records:
        assert {Field.TIMESTAMP, Field.LEVEL, Field.MESSAGE} <= set(record)


def test_quick_start_prints_what_the_page_shows(executed):
    _, records = executed
    shown = [json.loads(line) for line in _blocks("json")[0].splitlines()]
    printed = records[: len(shown)]
    for record in (*shown, *printed):
        record.pop(Field.TIMESTAMP)
    assert printed == shown


def test_shown_records_use_schema_fields_and_documented_extras(executed):
    extras = {"orderId"}
    for block in _blocks("json"):
        for line in block.splitlines():
            assert set(json.loads(line)) <= SCHEMA_FIELDS | extras


def test_security_event_examples_wrote_events(executed):
    _, records = executed
    events = [r[Field.EVENT] for r in records if Field.EVENT in r]
    assert "authz_fail:joebob1,/admin/users" in events
    assert "custom_refund_over_limit:o-1001" in events
    assert "authz_fail:joebob1,/admin" in events  # through Powertools


def test_powertools_example_redacted_the_api_key(executed):
    _, records = executed
    (partner,) = [r for r in records if r[Field.MESSAGE] == "calling partner"]
    assert partner["apiKey"] == "[REDACTED]"


def test_layer_example_built_a_function_with_the_layer(executed):
    from aws_cdk.assertions import Template

    namespace, _ = executed
    template = Template.from_stack(namespace["stack"])
    template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    template.has_resource_properties("AWS::Lambda::Function", {"Layers": [{"Ref": _any()}]})


def _any():
    from aws_cdk.assertions import Match

    return Match.any_value()


def test_user_rules_example_redacted_and_forgot_them(executed):
    from watchkeeper.runtime import is_sensitive_key

    namespace, _ = executed
    assert namespace["masked_mapping"] == {"payer": {"IBAN": "[REDACTED]"}}
    assert "[REDACTED:acme-key]" in namespace["masked_text"]
    assert not is_sensitive_key("iban")  # reset_user_rules() ran


def test_data_identifiers_example_is_accepted():
    import aws_cdk as cdk

    from watchkeeper.constructs.log_groups import LogGroupSettings

    namespace: dict = {}
    (block,) = [b for b in _blocks("python") if "CustomDataIdentifier" in b]
    exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102
    settings = LogGroupSettings.build(
        retention=365,
        encryption_key=None,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        data_protection=True,
        data_identifiers=namespace["data_identifiers"],
    )
    assert ("AcmeKey", r"acme_[0-9a-f]{32}") in settings.custom_data_identifiers
