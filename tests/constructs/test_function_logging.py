"""Where functions log under permissions boundaries (README: "Log groups"): a function
whose role has a boundary keeps its logs where Lambda can write them, because watchkeeper
cannot read a boundary at synth, and a boundary that denies the new group makes Lambda drop
the function's logs.

One app, synthesized once: a stage with the boundary CDK puts on every role
(``Stage(permissions_boundary=...)``), a role with its own boundary, the same stage boundary
with the opt-in, and a boundary applied by ``PermissionsBoundary.of(...).apply()`` (an aspect
synth does not show, which ``watchkeeper check`` finds in the template).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from watchkeeper import FunctionLoggingOptions, ServiceMonitoring
from watchkeeper.cli import main as cli_main
from watchkeeper.log_metrics import COMPACT_METRIC_NAMES

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/app-boundary"


def _fn(scope, cid, **kw):
    return lambda_.Function(
        scope, cid, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=CODE, **kw
    )


def _role(scope, cid, **kw):
    return iam.Role(scope, cid, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), **kw)


def _service(stack, name, **kw):
    mon = ServiceMonitoring(stack, "Monitoring", service_name=name, **kw)
    fns = {
        "default-role": _fn(stack, "DefaultRole", function_name=f"{name}-default-role"),
        "custom-role": _fn(stack, "CustomRole", function_name=f"{name}-custom-role",
                           role=_role(stack, "Role")),
    }
    return mon, fns


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("boundary")
    app = cdk.App(outdir=str(outdir))
    prod = cdk.Stage(app, "Prod", permissions_boundary=cdk.PermissionsBoundary.from_name(
        "stage-boundary"))
    staged = cdk.Stack(prod, "Staged", env=ENV)
    opted = cdk.Stack(prod, "OptedIn", env=ENV)
    own = cdk.Stack(app, "OwnBoundary", env=ENV)
    aspect = cdk.Stack(app, "AspectBoundary", env=ENV)
    built = {
        "staged": (staged, *_service(staged, "staged")),
        "opted": (opted, *_service(opted, "opted", function_logging=FunctionLoggingOptions(
            move_functions_with_permissions_boundary=True))),
        "aspect": (aspect, *_service(aspect, "aspect")),
    }
    # Twenty functions put a stack near the template limit, where the size estimate that
    # decides nested stacks counts each function's log group.
    for name, opt_in in (("many", False), ("many-opted", True)):
        many = cdk.Stack(prod, name.title().replace("-", ""), env=ENV)
        mon = ServiceMonitoring(many, "Monitoring", service_name=name,
                                function_logging=FunctionLoggingOptions(
                                    move_functions_with_permissions_boundary=opt_in))
        fns = {i: _fn(many, f"Fn{i}", function_name=f"{name}-{i}") for i in range(20)}
        built[name] = (many, mon, fns)
    own_mon = ServiceMonitoring(own, "Monitoring", service_name="own")
    bounded = _fn(own, "Bounded", function_name="own-bounded", role=_role(
        own, "BoundedRole", permissions_boundary=iam.ManagedPolicy.from_managed_policy_arn(
            own, "Boundary", BOUNDARY_ARN)))
    plain = _fn(own, "Plain", function_name="own-plain")
    built["own"] = (own, own_mon, {"bounded": bounded, "plain": plain})
    iam.PermissionsBoundary.of(aspect).apply(
        iam.ManagedPolicy.from_managed_policy_arn(aspect, "AppliedBoundary", BOUNDARY_ARN))
    app.synth()
    return {name: {"stack": stack, "mon": mon, "fns": fns,
                   "json": Template.from_stack(stack).to_json()}
            for name, (stack, mon, fns) in built.items()} | {"outdir": outdir}


def _config(built, name):
    fn = built["fns"][name]
    logical_id = built["stack"].resolve(fn.node.default_child.logical_id)
    return built["json"]["Resources"][logical_id]["Properties"]["LoggingConfig"]


def _warnings(built):
    return [m.entry.data for m in Annotations.from_stack(built["stack"]).find_warning(
        "*", Match.string_like_regexp("permissions boundary"))]


def _log_groups(built):
    return [r for r in built["json"]["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]


def test_stage_boundary_keeps_every_function_in_its_own_group(apps):
    staged = apps["staged"]
    for name in ("default-role", "custom-role"):
        config = _config(staged, name)
        assert "LogGroup" not in config  # Lambda's /aws/lambda/<name>
        assert config["LogFormat"] == "JSON"
    # Nothing moved, so no service log group is created; the compact filters are on the
    # functions' own groups.
    assert staged["mon"].service_log_group is None
    assert not any(r["Properties"].get("LogGroupName") == "/watchkeeper/staged/functions"
                   for r in _log_groups(staged))
    filtered = {r["Properties"]["LogGroupName"] for r in staged["json"]["Resources"].values()
                if r["Type"] == "AWS::Logs::MetricFilter"}
    assert filtered == {"/aws/lambda/staged-default-role", "/aws/lambda/staged-custom-role"}


def test_stage_boundary_is_named_once_with_every_function_and_the_opt_in(apps):
    (warning,) = _warnings(apps["staged"])
    assert "stage-boundary" in warning and "@aws-cdk/core:permissionsBoundary" in warning
    assert "staged-default-role" in warning and "staged-custom-role" in warning
    assert "move_functions_with_permissions_boundary=True" in warning


def test_role_boundary_keeps_that_function_only(apps):
    own = apps["own"]
    assert "LogGroup" not in _config(own, "bounded")
    service_id = own["stack"].resolve(own["mon"].service_log_group.node.default_child.logical_id)
    assert _config(own, "plain")["LogGroup"] == {"Ref": service_id}
    (warning,) = _warnings(own)
    assert "own-bounded" in warning and "own-plain" not in warning
    assert "OwnBoundary/Boundary" in warning  # the boundary's construct path


def test_opt_in_moves_functions_under_the_stage_boundary(apps):
    opted = apps["opted"]
    service_id = opted["stack"].resolve(
        opted["mon"].service_log_group.node.default_child.logical_id)
    for name in ("default-role", "custom-role"):
        assert _config(opted, name)["LogGroup"] == {"Ref": service_id}
    assert _warnings(opted) == []
    # CDK still puts the stage's boundary on the roles: the opt-in changes nothing else.
    roles = [r for r in opted["json"]["Resources"].values() if r["Type"] == "AWS::IAM::Role"
             and "lambda.amazonaws.com" in json.dumps(r)]
    assert roles and all("PermissionsBoundary" in r["Properties"] for r in roles)


def test_boundary_from_an_aspect_is_found_by_check(apps, capsys):
    aspect = apps["aspect"]
    # Synth cannot see it: the functions moved.
    assert "LogGroup" in _config(aspect, "default-role")
    assert cli_main(["check", str(apps["outdir"])]) == 0  # a warning, not a problem
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "permissions boundary" in line]
    where = {line.split(" (")[0].removeprefix("warning: ") for line in lines}
    moved_ids = {aspect["stack"].resolve(fn.node.default_child.logical_id)
                 for fn in aspect["fns"].values()}
    assert {w for w in where if w.startswith("AspectBoundary/")} == {
        f"AspectBoundary/{logical_id}" for logical_id in moved_ids}
    assert all(BOUNDARY_ARN in line and "logs:PutLogEvents" in line
               for line in lines if "AspectBoundary/" in line)
    # Functions moved under the opt-in are named too (the boundary is in the template), as
    # is watchkeeper's own log-group ensurer under the stage's boundary (it logs to a group
    # of its own); functions that kept their groups are not, nor roles without a boundary.
    assert {w.split("/")[2] for w in where if w.startswith("Prod/OptedIn/")} == {
        opted_id for opted_id in (
            apps["opted"]["stack"].resolve(fn.node.default_child.logical_id)
            for fn in apps["opted"]["fns"].values())}
    staged = [w for w in where if w.startswith("Prod/Staged/")]
    assert len(staged) == 1 and "LogGroupEnsurer" in staged[0]
    assert not any(w.startswith("OwnBoundary/") for w in where)


def test_size_estimate_counts_the_groups_functions_keep_under_the_stage_boundary(apps):
    # The same twenty functions, kept (Many) or moved (ManyOpted): each kept function costs
    # its compact filters and its group in the estimate that decides nested stacks.
    kept, moved = apps["many"], apps["many-opted"]
    assert "LogGroup" not in _config(kept, 0) and "LogGroup" in _config(moved, 0)
    difference = kept["mon"].size_estimate.added - moved["mon"].size_estimate.added
    assert difference == 20 * (len(COMPACT_METRIC_NAMES) + 1)
    # ... and it stays an upper bound of what was built.
    assert kept["mon"].size_estimate.resources >= len(kept["json"]["Resources"])
