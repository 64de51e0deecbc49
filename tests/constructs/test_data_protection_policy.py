"""Issue 18: the service log group's data protection policy, CloudWatch's own masking.

CloudWatch applies the custom data identifiers' regexes itself; these tests apply them with
Python's ``re`` as an approximation (the regexes use only syntax both engines read the
same way: classes, bounded repeats, alternation, escapes), to show that each matches the
fake credentials of the corpus and none matches the benign look-alikes or the fields and
event names the metric filters read.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from tests.corpus.log_lines import CORPUS
from tests.runtime.credential_corpus import BENIGN, CREDENTIALS
from watchkeeper import LogGroupOptions, ServiceMonitoring, schema
from watchkeeper.constructs.custom_data_identifiers import (
    CUSTOM_REGEX_CHARS_RE,
    MAX_CUSTOM_DATA_IDENTIFIERS,
    MAX_CUSTOM_REGEX_LENGTH,
    WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS,
)
from watchkeeper.constructs.log_groups import (
    DEFAULT_DATA_IDENTIFIERS,
    DEFAULT_MANAGED_DATA_IDENTIFIERS,
)
from watchkeeper.log_metrics import LOG_METRICS
from watchkeeper.testing import parse_pattern
from watchkeeper.testing.cfn import lint_template

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ACME = logs.CustomDataIdentifier("AcmeKey", r"acme_[a-f0-9]{32}")


def _service_group(template: Template) -> dict:
    groups = template.find_resources(
        "AWS::Logs::LogGroup",
        {"Properties": {"LogGroupName": Match.string_like_regexp("functions")}},
    )
    (group,) = groups.values()
    return group["Properties"]["DataProtectionPolicy"]


@pytest.fixture(scope="module")
def stacks():
    app = cdk.App()
    env = cdk.Environment(account="123456789012", region="eu-west-1")
    default = cdk.Stack(app, "Default", env=env)
    ServiceMonitoring(default, "Monitoring", service_name="orders")
    lambda_.Function(
        default, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE
    )
    own = cdk.Stack(app, "Own", env=env)
    ServiceMonitoring(
        own,
        "Monitoring",
        service_name="billing",
        log_groups=LogGroupOptions(
            data_identifiers=[*DEFAULT_DATA_IDENTIFIERS, ACME, logs.DataIdentifier.EMAILADDRESS]
        ),
    )
    lambda_.Function(
        own, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE
    )
    return {"default": Template.from_stack(default), "own": Template.from_stack(own)}


def test_policy_carries_the_custom_identifiers_in_its_configuration(stacks):
    policy = _service_group(stacks["default"])
    assert policy["Configuration"]["CustomDataIdentifier"] == [
        {"Name": name, "Regex": regex}
        for name, regex in WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS.items()
    ]


def test_both_statements_name_managed_and_custom_identifiers(stacks):
    statements = _service_group(stacks["default"])["Statement"]
    assert [list(s["Operation"]) for s in statements] == [["Audit"], ["Deidentify"]]
    for statement in statements:
        names = [str(i) for i in statement["DataIdentifier"]]
        # custom identifiers by name; managed ones by ARN
        assert names[-len(WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS) :] == list(
            WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS
        )
        for managed in DEFAULT_MANAGED_DATA_IDENTIFIERS:
            assert any(f"data-identifier/{managed}" in n for n in names), managed


def test_user_custom_and_managed_identifiers_are_added(stacks):
    policy = _service_group(stacks["own"])
    custom = policy["Configuration"]["CustomDataIdentifier"]
    assert {"Name": "AcmeKey", "Regex": r"acme_[a-f0-9]{32}"} in custom
    assert len(custom) == len(WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS) + 1
    names = [str(i) for i in policy["Statement"][1]["DataIdentifier"]]
    assert "AcmeKey" in names and any("EmailAddress" in n for n in names)


@pytest.mark.parametrize("name", ["default", "own"])
def test_templates_pass_cfn_lint(stacks, name):
    assert lint_template(stacks[name].to_json()) == []


def test_watchkeeper_identifiers_fit_cloudwatch_limits():
    assert len(WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS) <= MAX_CUSTOM_DATA_IDENTIFIERS - 3
    managed = {n for n in dir(logs.DataIdentifier) if n.isupper()}
    for name, regex in WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS.items():
        assert len(regex) <= MAX_CUSTOM_REGEX_LENGTH, name
        assert CUSTOM_REGEX_CHARS_RE.fullmatch(regex), name
        assert name.upper() not in managed


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        (
            [logs.CustomDataIdentifier("Bad Name", "x")],
            r"custom data identifier named 'Bad Name'",
        ),
        (
            [logs.CustomDataIdentifier("Grouped", r"key-(\d+)")],
            r"'Grouped' has characters CloudWatch Logs does not accept in a regex: '\(\)'",
        ),
        (
            [logs.CustomDataIdentifier("Long", "a" * 201)],
            r"'Long' has a regex of 201 characters; CloudWatch Logs takes 1-200",
        ),
        (
            [logs.CustomDataIdentifier("EmailAddress", "x")],
            r"named 'EmailAddress', the name of a managed one",
        ),
        (
            [logs.CustomDataIdentifier("WatchkeeperApiKey", "x")],
            r"names custom data identifier 'WatchkeeperApiKey' twice",
        ),
        (
            [*DEFAULT_DATA_IDENTIFIERS]
            + [logs.CustomDataIdentifier(f"Mine{n}", f"m{n}_[0-9]{{8}}") for n in range(4)],
            r"has 11 custom data identifiers .* takes at most 10",
        ),
        (["WatchkeeperNoSuch"], r"neither a CloudWatch Logs managed data identifier"),
    ],
)
def test_invalid_custom_identifiers_raise_naming_the_option(identifiers, message):
    with pytest.raises(ValueError, match=message) as raised:
        LogGroupOptions(data_identifiers=identifiers)
    assert str(raised.value).startswith("LogGroupOptions.data_identifiers")


# --------------------------------------------------------------------------------------
# The regexes as CloudWatch would apply them (Python `re` as an approximation)
# --------------------------------------------------------------------------------------

COMPILED = {name: re.compile(rx) for name, rx in WATCHKEEPER_CUSTOM_DATA_IDENTIFIERS.items()}
COVERED = [c for c in CREDENTIALS if c.cloudwatch]


def _mask(line: str) -> str:
    for pattern in COMPILED.values():
        line = pattern.sub(lambda m: "*" * len(m.group(0)), line)
    return line


@pytest.mark.parametrize("credential", COVERED, ids=[c.name for c in COVERED])
def test_custom_identifier_matches_the_corpus_credential(credential):
    match = COMPILED[credential.cloudwatch].search(credential.text)
    assert match is not None
    assert credential.secret in match.group(0)
    assert credential.secret not in _mask(credential.text)


@pytest.mark.parametrize("benign", BENIGN)
def test_no_custom_identifier_matches_a_benign_look_alike(benign):
    assert _mask(benign) == benign


def test_no_custom_identifier_matches_a_field_or_event_name():
    names = [
        *(v for k, v in vars(schema.Field).items() if k.isupper()),
        *(v for k, v in vars(schema.PowertoolsField).items() if k.isupper()),
        *schema.VOCABULARY,
    ]
    assert [n for n in names if _mask(n) != n] == []


JSON_PATTERNS = {name: parse_pattern(m.json_pattern) for name, m in LOG_METRICS.items()}


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.id)
def test_metric_filters_count_the_same_on_cloudwatch_masked_lines(entry):
    masked = _mask(entry.line)
    assert {n for n, p in JSON_PATTERNS.items() if p.matches(masked)} == entry.json
