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


# -- what the framework cannot tell watchkeeper: refused by name, with the fix ----------


def _write(directory: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return directory / "serverless.yml"


_HEAD = "service: shop\nprovider:\n  name: aws\n  stage: prod\nfunctions:\n  a:\n    handler: h.a\n"


def test_javascript_file_is_refused_by_name_with_the_fix(tmp_path: Path):
    path = _write(
        tmp_path,
        {
            "serverless.yml": _HEAD + "    name: ${file(./names.js):a, 'shop-a'}\n",
            "names.js": "module.exports = { a: 'x' };\n",
        },
    )
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(path, env={})
    assert str(error.value) == (
        f"{path}:8: cannot resolve ${{file(./names.js):a, 'shop-a'}} in functions.a.name: "
        "file(./names.js) is JavaScript, which only the Serverless Framework runs; give the "
        "deployed names instead: MonitoringStack(function_names=[...]) (watchkeeper cdk-app: "
        "--function-name NAME)"
    )


def test_a_missing_javascript_file_takes_the_fallback_as_the_framework_does(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": _HEAD + "    name: ${file(./gone.js):a, 'x-a'}\n"})
    assert read_serverless_config(path, env={}).function_names == ["x-a"]


def test_a_deploy_time_source_is_never_replaced_by_its_fallback(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": _HEAD + "    name: ${ssm:/shop/a, 'shop-a'}\n"})
    with pytest.raises(
        ServerlessConfigError,
        match=r"serverless.yml:8: cannot resolve \$\{ssm:/shop/a, 'shop-a'\} in functions.a.name: "
        r"SSM parameters are only known when the Serverless Framework deploys; give the deployed "
        r"names instead",
    ):
        read_serverless_config(path, env={})


def test_a_missing_include_names_the_variable_and_where_the_framework_looks(tmp_path: Path):
    path = _write(
        tmp_path,
        {
            "serverless.yml": "service: shop\nfunctions: ${file(./fns/index.yml)}\n",
            # relative to the including file: the framework reads it from the service dir
            "fns/index.yml": "a: ${file(./a.yml)}\n",
            "fns/a.yml": "handler: h.a\n",
        },
    )
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(path, env={})
    message = str(error.value)
    assert message.startswith(f"{tmp_path.resolve() / 'fns' / 'index.yml'}:1: ")
    assert "cannot resolve ${file(./a.yml)} in functions.a: file(./a.yml) does not exist in " in (
        message
    )
    assert "the framework reads file() paths from the service directory" in message
    assert message.endswith("fix: write the path relative to the directory of serverless.yml")


def test_region_comes_only_from_the_stack(tmp_path: Path):
    path = _write(
        tmp_path, {"serverless.yml": _HEAD + "    name: shop-${opt:region, 'eu-west-1'}-a\n"}
    )
    with pytest.raises(
        ServerlessConfigError,
        match=r"serverless.yml:8: cannot resolve \$\{opt:region, 'eu-west-1'\} in "
        r"functions.a.name: opt:region needs the region, and the monitoring stack has none; "
        r"deploy the monitoring stack with env=cdk.Environment\(region=...\)",
    ):
        read_serverless_config(path, env={})
    assert read_serverless_config(path, region="sa-east-1", env={}).function_names == [
        "shop-sa-east-1-a"
    ]


def test_a_missing_param_names_every_place_it_could_come_from(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": _HEAD + "    name: ${param:prefix}-a\n"})
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(path, env={})
    assert str(error.value).endswith(
        "cannot resolve ${param:prefix} in functions.a.name: param prefix is not set for stage "
        "prod; fix: give params={'prefix': ...} (watchkeeper cdk-app: --param prefix=VALUE) or "
        "set it under stages.prod.params or stages.default.params"
    )


def test_files_that_are_not_utf8_get_one_line_naming_them(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": b"service: caf\xe9\nfunctions:\n  a: {}\n"})
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(path, env={})
    assert str(error.value) == (
        f"{path}:1: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )
    included = _write(
        tmp_path / "inc",
        {
            "serverless.yml": "service: shop\nfunctions: ${file(./fns.yml)}\n",
            "fns.yml": b"a:\n  handler: h.a\n  description: \xff\n",
        },
    )
    with pytest.raises(ServerlessConfigError) as error:
        read_serverless_config(included, env={})
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"{(tmp_path / 'inc' / 'fns.yml').resolve()}:3: not UTF-8")


def test_parse_errors_in_included_files_name_that_file_and_line(tmp_path: Path):
    path = _write(
        tmp_path,
        {
            "serverless.yml": (
                "service: shop\nfunctions:\n  - ${file(./a.yml)}\n  - ${file(./b.json)}\n"
            ),
            "a.yml": "a:\n  handler: h.a\n",
            "b.json": '{\n  "b": {"handler": "h.b",}\n}\n',
        },
    )
    with pytest.raises(
        ServerlessConfigError, match=r"b.json:2: invalid JSON: Expecting property name"
    ):
        read_serverless_config(path, env={})
    (tmp_path / "b.json").write_text('{"b": {"handler": "h.b"}}')
    (tmp_path / "a.yml").write_text("a:\n  handler: h.a\n   timeout: 3\n")
    with pytest.raises(ServerlessConfigError, match=r"a.yml:3: invalid YAML: "):
        read_serverless_config(path, env={})


def test_tab_indentation_stays_refused_as_the_framework_refuses_it(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": "service: shop\nfunctions:\n\ta:\n\t\thandler: h\n"})
    with pytest.raises(ServerlessConfigError, match=r"serverless.yml:3: invalid YAML: "):
        read_serverless_config(path, env={})


def test_a_cloudformation_function_as_a_name_is_refused(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": _HEAD + "    name: !Sub '${AWS::StackName}-a'\n"})
    with pytest.raises(
        ServerlessConfigError,
        match=r"serverless.yml:8: functions.a.name is !Sub .*a CloudFormation function",
    ):
        read_serverless_config(path, env={})


def test_a_mapping_inside_a_longer_string_is_refused(tmp_path: Path):
    path = _write(
        tmp_path,
        {"serverless.yml": _HEAD + "    name: shop-${self:custom}\ncustom:\n  x: 1\n"},
    )
    with pytest.raises(
        ServerlessConfigError,
        match=r"serverless.yml:8: cannot resolve \$\{self:custom\} in functions.a.name: it is a "
        r"mapping",
    ):
        read_serverless_config(path, env={})


def test_only_empty_bodies_is_an_error(tmp_path: Path):
    path = _write(tmp_path, {"serverless.yml": "service: shop\nfunctions:\n  a:\n  b:\n"})
    with pytest.raises(ServerlessConfigError, match=r"no deployed functions .*every body is empty"):
        read_serverless_config(path, env={})


def test_a_provider_region_other_than_the_stacks_is_noted(tmp_path: Path):
    path = _write(
        tmp_path,
        {"serverless.yml": "service: shop\nprovider:\n  region: eu-west-1\nfunctions:\n  a: {}\n"},
    )
    config = read_serverless_config(path, region="us-east-1", env={})
    assert config.notes == (
        "provider.region is eu-west-1, the monitoring's region us-east-1: the framework "
        "deploys the functions to eu-west-1 unless `--region us-east-1` is given, and alarms "
        "only see their own region",
    )
    assert read_serverless_config(path, region="eu-west-1", env={}).notes == ()


# -- service_name from the Serverless service --------------------------------------------


def test_service_names_map_into_the_allowed_form():
    from watchkeeper import schema
    from watchkeeper.serverless_config import monitoring_service_name

    assert monitoring_service_name("SERVICE-NAME") == "service-name"
    assert monitoring_service_name("Orders_API.v2") == "orders-api-v2"
    assert monitoring_service_name("orders") == "orders"
    long_a = "Customer-Notification-Preferences-Service-V2"  # 44 characters
    long_b = "Customer-Notification-Preferences-Service-V3"
    mapped_a = monitoring_service_name(long_a)
    assert mapped_a == "customer-notification-preferences-" [:33].rstrip("-") + "-" + (
        __import__("hashlib").sha256(long_a.encode()).hexdigest()[:6]
    )
    assert len(mapped_a) <= 40
    assert schema.SERVICE_NAME_RE.fullmatch(mapped_a)
    assert monitoring_service_name(long_a) == mapped_a  # deterministic
    assert monitoring_service_name(long_b) != mapped_a  # same first 33 characters
    with pytest.raises(ValueError, match=r"service_name: the Serverless service '___' has no"):
        monitoring_service_name("___")
