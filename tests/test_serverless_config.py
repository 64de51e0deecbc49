"""Reading serverless.yml: names by the framework's rules, variables, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.serverless_config import (
    ServerlessConfigError,
    read_serverless_config,
)

FIXTURES = Path(__file__).parent / "fixtures" / "serverless"


def test_names_follow_service_stage_key_unless_a_function_sets_its_name():
    config = read_serverless_config(FIXTURES / "basic.yml", env={})
    assert config.service == "orders"
    assert config.stage == "prod"  # ${opt:stage, 'prod'} without --stage
    assert config.region == "eu-west-1"
    assert config.function_names == [
        "orders-prod-create",
        "orders-prod-list",
        "shop-prod-daily-report",
    ]


def test_stage_argument_wins_and_flows_into_sls_stage():
    config = read_serverless_config(
        FIXTURES / "basic.yml", stage="staging", region="us-east-1", env={}
    )
    assert config.stage == "staging"
    assert config.region == "us-east-1"
    assert config.function_names == [
        "orders-staging-create",
        "orders-staging-list",
        "shop-staging-daily-report",
    ]


def test_timeout_and_memory_come_from_the_function_or_the_provider():
    functions = {f.key: f for f in read_serverless_config(FIXTURES / "basic.yml", env={}).functions}
    assert (functions["create"].timeout_seconds, functions["create"].memory_mb) == (29, 256)
    assert (functions["list"].timeout_seconds, functions["list"].memory_mb) == (10, 1024)
    assert functions["create"].line == 18


def test_deploy_time_values_outside_names_do_not_matter():
    # provider.environment uses ${ssm:...} and resources use !Sub: neither is needed.
    assert len(read_serverless_config(FIXTURES / "basic.yml", env={}).functions) == 3


def test_unresolvable_name_is_reported_with_file_line_and_variable():
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(FIXTURES / "unresolvable.yml", env={})
    message = str(error.value)
    assert message.startswith(f"{FIXTURES / 'unresolvable.yml'}:7: ")
    assert "cannot resolve ${ssm:/payments/charge-name} in functions.charge.name" in message
    assert "SSM parameters are only known when the Serverless Framework deploys" in message
    assert "function_names=" in message  # the fix
    assert error.value.line == 7


def test_env_variables_fallbacks_list_form_and_v1_service_mapping():
    config = read_serverless_config(FIXTURES / "env-and-list.yml", env={"DEPLOY_STAGE": "qa"})
    assert config.service == "legacy"
    assert config.function_names == ["legacy-qa-ping", "legacy-pong"]
    overridden = read_serverless_config(
        FIXTURES / "env-and-list.yml", env={"DEPLOY_STAGE": "qa", "PONG_NAME": "pong-x"}
    )
    assert overridden.function_names[1] == "pong-x"


def test_env_variable_without_value_is_reported():
    with pytest.raises(
        ServerlessConfigError,
        match=(
            r"env-and-list.yml:5: cannot resolve \$\{env:DEPLOY_STAGE\} in provider.stage: "
            r"environment variable DEPLOY_STAGE is not set; fix: set DEPLOY_STAGE in the "
            r"environment"
        ),
    ):
        read_serverless_config(FIXTURES / "env-and-list.yml", env={})


def test_two_functions_deployed_under_one_name_are_refused():
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(FIXTURES / "duplicate-names.yml", env={})
    assert str(error.value).endswith(
        "duplicate-names.yml:8: functions 'invoice' (line 6) and 'legacy' are both deployed as "
        "'billing-prod-invoice'"
    )


def test_a_function_key_defined_twice_is_refused():
    with pytest.raises(
        ServerlessConfigError,
        match=r"duplicate-keys.yml:5: function 'invoice' is defined twice \(first on line 3\)",
    ):
        read_serverless_config(FIXTURES / "duplicate-keys.yml", env={})


def test_malformed_yaml_names_the_line():
    with pytest.raises(ServerlessConfigError, match=r"malformed.yml:5: invalid YAML: "):
        read_serverless_config(FIXTURES / "malformed.yml", env={})


def test_missing_file_and_missing_functions():
    with pytest.raises(ServerlessConfigError, match=r"nope.yml: file not found"):
        read_serverless_config(FIXTURES / "nope.yml")
    with pytest.raises(
        ServerlessConfigError, match=r"no-functions.yml: no functions under 'functions:'"
    ):
        read_serverless_config(FIXTURES / "no-functions.yml", env={})


def test_errors_are_value_errors():
    assert issubclass(ServerlessConfigError, ValueError)


def test_self_reference_loop_and_invalid_lambda_name(tmp_path: Path):
    looping = tmp_path / "serverless.yml"
    looping.write_text("service: ${self:service}\nfunctions:\n  a:\n    handler: h.a\n")
    with pytest.raises(
        ServerlessConfigError, match=r"serverless.yml:1: cannot resolve .*refers to itself"
    ):
        read_serverless_config(looping, env={})
    bad = tmp_path / "bad.yml"
    bad.write_text("service: shop\nfunctions:\n  a:\n    handler: h.a\n    name: shop a\n")
    with pytest.raises(
        ServerlessConfigError, match=r"bad.yml:3: function 'a' would be named 'shop a'"
    ):
        read_serverless_config(bad, env={})
