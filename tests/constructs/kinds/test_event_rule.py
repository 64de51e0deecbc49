"""EventBridge rules as a kind of monitored resource (issue 16): discovery of L2 and L1
rules and of imports, the alarms and their dimensions (RuleName, plus EventBusName on a
custom bus), target dead-letter queues marked as such, overrides, the dashboard row, the
metadata, and watchkeeper's own control-plane rule left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from watchkeeper import AlarmOptions, ServiceMonitoring
from watchkeeper.cli.preview import read_dashboards, render_html
from watchkeeper.cli.report import load_assembly, report_json
from watchkeeper.constructs.alarms.settings import AlarmSettings
from watchkeeper.constructs.kinds import event_rule
from watchkeeper.testing.cfn import lint_template
from watchkeeper.testing.nag import nag_findings

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
ALARM = "AWS::CloudWatch::Alarm"
IMPORTED_ARN = "arn:aws:events:eu-west-1:123456789012:rule/partner-bus/partner-sync"


def _function(stack: cdk.Stack, construct_id: str, name: str) -> lambda_.Function:
    return lambda_.Function(
        stack, construct_id, function_name=name, runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"))


def _service(stack: cdk.Stack) -> dict[str, Any]:
    """A service as real apps write one: a nightly rule with a dead-letter queue, an
    event-pattern rule on a custom bus, a rule without a name on each bus, a CfnRule
    written as an L1 with a DeadLetterConfig, and an imported rule."""
    sweep = _function(stack, "Sweep", "orders-sweep")
    nightly_dlq = sqs.Queue(stack, "NightlyDlq", queue_name="orders-nightly-dlq",
                            enforce_ssl=True)
    nightly = events.Rule(stack, "Nightly", rule_name="orders-nightly",
                          schedule=events.Schedule.cron(minute="0", hour="2"))
    nightly.add_target(targets.LambdaFunction(sweep, dead_letter_queue=nightly_dlq,
                                              retry_attempts=2))
    bus = events.EventBus(stack, "Bus", event_bus_name="orders-bus")
    placed = events.Rule(stack, "Placed", rule_name="order-placed", event_bus=bus,
                         event_pattern=events.EventPattern(source=["orders"],
                                                           detail_type=["OrderPlaced"]))
    placed.add_target(targets.LambdaFunction(sweep))
    unnamed_custom = events.Rule(stack, "UnnamedOnBus", event_bus=bus,
                                 event_pattern=events.EventPattern(source=["billing"]))
    unnamed_custom.add_target(targets.LambdaFunction(sweep))
    unnamed_default = events.Rule(stack, "Hourly",
                                  schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    unnamed_default.add_target(targets.LambdaFunction(sweep))
    legacy_dlq = sqs.Queue(stack, "LegacyDlq", queue_name="orders-legacy-dlq",
                           enforce_ssl=True)
    events.CfnRule(stack, "LegacyRule", name="orders-legacy", event_bus_name="orders-bus",
                   schedule_expression="rate(1 day)", state="ENABLED",
                   targets=[events.CfnRule.TargetProperty(
                       id="Sweep", arn=sweep.function_arn,
                       dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                           arn=legacy_dlq.queue_arn))])
    imported = events.Rule.from_event_rule_arn(stack, "PartnerSync", IMPORTED_ARN)
    return {"nightly": nightly, "placed": placed, "imported": imported, "bus": bus}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("event-rules")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Orders", env=ENV)
    made = _service(stack)
    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders", alarms=AlarmOptions(
        overrides={"event_rule.throttled": AlarmSettings(evaluation_periods=10,
                                                         datapoints_to_alarm=10)}))
    imported = mon.monitor(made["imported"], alarms={"dead_letter_invocations": AlarmSettings(
        enabled=False)})
    placed = mon.monitor(made["placed"], alarms={"invocations_anomaly": AlarmSettings(
        enabled=True)})
    # A second service in the same stack must not take the first one's rule as the app's.
    other = ServiceMonitoring(stack, "Billing", service_name="billing")
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app),
                                        cdk_nag.ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError:  # the app's own findings fail the synth; the report lists them
        pass
    template = json.loads((Path(outdir) / "Orders.template.json").read_text())
    return {"mon": mon, "other": other, "template": template, "outdir": outdir,
            "imported": imported, "placed": placed, "findings": nag_findings(outdir)}


def _alarms(template: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    """The AWS/Events alarms on ``rule``, by alarm name."""
    found = {}
    for resource in template["Resources"].values():
        props = resource["Properties"]
        if resource["Type"] != ALARM:
            continue
        metric = props.get("Metrics", [{}])[0].get("MetricStat", {}).get("Metric", props)
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        if (metric.get("Namespace") == "AWS/Events" and dims.get("RuleName") == rule
                and props["AlarmName"].startswith("orders-")):  # not the second service's
            found[props["AlarmName"]] = props
    return found


# -- discovery ----------------------------------------------------------------------------


def test_named_rules_l1_rules_and_imports_are_monitored_once(synthesized):
    targets_ = synthesized["mon"].targets_of("event_rule")
    assert sorted(t.key for t in targets_) == [
        "hourly", "order-placed", "orders-legacy", "orders-nightly", "partner-sync"]
    services = synthesized["template"]["Metadata"]["Watchkeeper"]["services"]
    orders = next(s for s in services if s["service"] == "orders")
    listed = orders["monitored"]["event_rules"]
    assert sorted(r for r in listed if isinstance(r, str)) == [
        "order-placed", "orders-legacy", "orders-nightly", "partner-sync"]
    assert [r for r in listed if not isinstance(r, str)] == [
        {"Ref": next(k for k in synthesized["template"]["Resources"] if k.startswith("Hourly"))}]


def test_an_unnamed_rule_on_a_custom_bus_is_noted_not_monitored(synthesized):
    mon = synthesized["mon"]
    assert not [t for t in mon.targets_of("event_rule") if "UnnamedOnBus" in t.label]
    (note,) = [n for n in mon.resource_logging_notes if "Orders/UnnamedOnBus" in n]
    assert "name is generated by CloudFormation" in note and "rule_name" in note


def test_watchkeepers_own_control_plane_rules_are_never_the_apps(synthesized):
    for mon in (synthesized["mon"], synthesized["other"]):
        for target in mon.targets_of("event_rule"):
            assert "ControlPlane" not in target.label
    assert [t.key for t in synthesized["other"].targets_of("event_rule")] == [
        "orders-nightly", "order-placed", "hourly", "orders-legacy"]
    rules = [r for r in synthesized["template"]["Resources"].values()
             if r["Type"] == "AWS::Events::Rule"
             and r["Properties"].get("Description", "").startswith("watchkeeper ")]
    assert len(rules) >= 2  # tampering rules of both services, unmonitored
    alarmed = [d["Value"] for r in synthesized["template"]["Resources"].values()
               if r["Type"] == ALARM for d in r["Properties"].get("Dimensions", [])
               if d["Name"] == "RuleName"]
    assert not [v for v in alarmed if "ControlPlane" in json.dumps(v)
                or "control-plane" in json.dumps(v)]


# -- alarms -------------------------------------------------------------------------------


def test_a_default_bus_rule_with_a_dead_letter_queue_gets_four_alarms(synthesized):
    alarms = _alarms(synthesized["template"], "orders-nightly")
    assert sorted(alarms) == [
        "orders-nightly-dead-letter-invocations",
        "orders-nightly-dlq-delivery-failures",
        "orders-nightly-failed-invocations",
        "orders-nightly-throttled",
    ]
    failed = alarms["orders-nightly-failed-invocations"]
    assert failed["Dimensions"] == [{"Name": "RuleName", "Value": "orders-nightly"}]
    assert (failed["MetricName"], failed["Statistic"], failed["Threshold"],
            failed["ComparisonOperator"], failed["TreatMissingData"]) == (
        "FailedInvocations", "Sum", 0, "GreaterThanThreshold", "notBreaching")
    assert "AlarmActions" not in failed  # critical: notifies through the composite
    assert "target's permissions" in failed["AlarmDescription"]
    lost = alarms["orders-nightly-dlq-delivery-failures"]
    assert lost["MetricName"] == "InvocationsFailedToBeSentToDlq"


def test_a_custom_bus_rule_is_alarmed_per_bus_and_rule(synthesized):
    alarms = _alarms(synthesized["template"], "order-placed")
    assert "orders-order-placed-dlq-delivery-failures" not in alarms  # no dead-letter queue
    failed = alarms["orders-order-placed-failed-invocations"]
    bus = next(k for k, r in synthesized["template"]["Resources"].items()
               if r["Type"] == "AWS::Events::EventBus")
    assert failed["Dimensions"] == [{"Name": "RuleName", "Value": "order-placed"},
                                    {"Name": "EventBusName", "Value": {"Ref": bus}}]
    legacy = _alarms(synthesized["template"], "orders-legacy")
    assert legacy["orders-legacy-throttled"]["Dimensions"] == [
        {"Name": "RuleName", "Value": "orders-legacy"},
        {"Name": "EventBusName", "Value": "orders-bus"}]
    assert "orders-legacy-dlq-delivery-failures" in legacy


def test_an_unnamed_default_bus_rule_is_alarmed_by_its_ref(synthesized):
    logical_id = next(k for k, r in synthesized["template"]["Resources"].items()
                      if r["Type"] == "AWS::Events::Rule" and k.startswith("Hourly"))
    alarms = [a for a in synthesized["template"]["Resources"].values()
              if a["Type"] == ALARM and a["Properties"]["AlarmName"].startswith("orders-")
              and a["Properties"].get("Dimensions") == [
                  {"Name": "RuleName", "Value": {"Ref": logical_id}}]]
    assert sorted(a["Properties"]["AlarmName"] for a in alarms) == [
        "orders-hourly-dead-letter-invocations", "orders-hourly-failed-invocations",
        "orders-hourly-throttled"]


def test_an_imported_rule_is_alarmed_by_the_names_in_its_arn(synthesized):
    alarms = _alarms(synthesized["template"], "partner-sync")
    assert sorted(alarms) == ["orders-partner-sync-failed-invocations",
                              "orders-partner-sync-throttled"]  # one switched off
    assert alarms["orders-partner-sync-throttled"]["Dimensions"] == [
        {"Name": "RuleName", "Value": "partner-sync"},
        {"Name": "EventBusName", "Value": "partner-bus"}]
    assert synthesized["imported"].rule_name == "partner-sync"


def test_kind_wide_and_per_rule_overrides_reach_the_checks(synthesized):
    throttled = _alarms(synthesized["template"], "orders-nightly")["orders-nightly-throttled"]
    assert throttled["EvaluationPeriods"] == 10  # AlarmOptions.overrides
    anomaly = _alarms(synthesized["template"], "order-placed")[
        "orders-order-placed-invocations-anomaly"]  # monitor(alarms=...)
    assert anomaly["ThresholdMetricId"] == "ad1"
    assert anomaly["Metrics"][1]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 3)"
    assert anomaly["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert anomaly["AlarmActions"]  # a warning: notifies directly
    assert "orders-nightly-invocations-anomaly" not in _alarms(
        synthesized["template"], "orders-nightly")  # opt-in


def test_bad_input_names_the_option_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"unknown check 'event_rule\.nope': use one of .*"
                                         r"event_rule\.failed_invocations"):
        AlarmOptions(overrides={"event_rule.nope": AlarmSettings(threshold=1)})
    stack = cdk.Stack(cdk.App(), "Bad")
    mon = ServiceMonitoring(stack, "Monitoring", service_name="orders")
    rule = events.Rule(stack, "R", schedule=events.Schedule.rate(cdk.Duration.days(1)))
    with pytest.raises(ValueError, match=r"alarms.*'nope'"):
        mon.monitor(rule, alarms={"nope": AlarmSettings(threshold=1)})


# -- dead-letter queues -------------------------------------------------------------------


def test_target_dead_letter_queues_are_marked_and_alarm_on_any_message(synthesized):
    queues = {q.label: q for q in synthesized["mon"].targets_of("queue")}
    marked = [q for q in queues.values() if q.is_dead_letter_queue]
    assert sorted(q.source_label for q in marked) == ["orders-legacy (bus orders-bus)",
                                                      "orders-nightly"]
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties(ALARM, {
        "MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
        "AlarmDescription": Match.string_like_regexp("dead-letter queue of orders-nightly"),
    })


class _RecordingRegistrar:
    """The registrar calls a kind's stack facts make (nothing else is needed)."""

    def __init__(self) -> None:
        self.marked: list[tuple[str, str]] = []

    def mark_dead_letter_queue(self, logical_id: str, source_label: str) -> bool:
        self.marked.append((logical_id, source_label))
        return True


def test_the_kind_marks_rule_dead_letter_queues_through_its_stack_facts_hook():
    """Monitored or not, a rule's target dead-letter queue is marked through the registrar
    (``ResourceKind.stack_facts``), labelled by the rule's target when it is monitored."""
    assert event_rule.EVENT_RULE.stack_facts is event_rule.mark_target_dead_letter_queues
    stack = cdk.Stack(cdk.App(), "Facts")
    dlq = sqs.CfnQueue(stack, "Dlq")
    rules = [events.CfnRule(stack, name, name=name.lower(), schedule_expression="rate(1 day)",
                            targets=[events.CfnRule.TargetProperty(
                                id="T", arn="arn:aws:sqs:eu-west-1:123456789012:work",
                                dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                                    arn=dlq.attr_arn))])
             for name in ("Watched", "Unwatched")]
    events.CfnRule(stack, "NoDlq", schedule_expression="rate(1 day)")
    watched = event_rule.EventRuleTarget(key="watched-key", label="watched (label)",
                                         rule_name="watched", rule=rules[0])
    registrar = _RecordingRegistrar()
    found = {"event_rules": [*rules, stack.node.find_child("NoDlq")]}
    event_rule.mark_target_dead_letter_queues(registrar, [watched], found)  # type: ignore[arg-type]
    assert registrar.marked == [("Dlq", "watched (label)"), ("Dlq", "unwatched")]


def test_a_dead_letter_queue_of_a_rule_no_service_monitors_is_still_marked():
    """With no rule monitored (discovery off, the queue monitored by hand), the queue is
    still the dead-letter queue of the rule's target: the hook runs without targets."""
    stack = cdk.Stack(cdk.App(), "Handpicked", env=ENV)
    dlq = sqs.Queue(stack, "Dlq", queue_name="handpicked-dlq", enforce_ssl=True)
    rule = events.Rule(stack, "Rule", rule_name="handpicked",
                       schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    rule.add_target(targets.SqsQueue(sqs.Queue(stack, "Work", enforce_ssl=True),
                                     dead_letter_queue=dlq))
    mon = ServiceMonitoring(stack, "Monitoring", service_name="handpicked", discover=False)
    mon.monitor_queue(dlq)
    Template.from_stack(stack).has_resource_properties(ALARM, {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "AlarmDescription": Match.string_like_regexp("dead-letter queue of handpicked")})
    assert mon.targets_of("event_rule") == []


# -- dashboard, report, lint, nag ---------------------------------------------------------


def test_the_operations_dashboard_has_a_row_per_rule(synthesized):
    body = next(r["Properties"]["DashboardBody"]["Fn::Sub"][0]
                for r in synthesized["template"]["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Dashboard"
                and r["Properties"]["DashboardName"] == "orders-operations")
    widgets = {w["properties"].get("title"): w["properties"]
               for w in json.loads(body)["widgets"]}
    failures = widgets["orders-nightly: failures"]["metrics"]
    assert failures[0][:4] == ["AWS/Events", "FailedInvocations", "RuleName", "orders-nightly"]
    on_bus = widgets["order-placed: invocations"]["metrics"]
    assert on_bus[0][:5] == ["AWS/Events", "Invocations", "RuleName", "order-placed",
                             "EventBusName"]
    assert on_bus[0][5].startswith("${Bus")
    assert on_bus[1][:6] == [".", "TriggeredRules", ".", ".", ".", "."]


def test_the_report_lists_the_rules_and_prices_their_alarms(synthesized):
    (stack,) = report_json(load_assembly(synthesized["outdir"]))["stacks"]
    orders = next(s for s in stack["monitored"] if s["service"] == "orders")
    assert "orders-nightly" in orders["monitored"]["event_rules"]
    kinds = {a["name"]: a["kind"] for a in stack["alarms_detail"]}
    assert [kinds[f"orders-nightly-{check}"] for check in (
        "failed-invocations", "throttled", "dead-letter-invocations",
        "dlq-delivery-failures")] == ["standard"] * 4
    assert kinds["orders-order-placed-invocations-anomaly"] == "anomaly-detection"


def test_the_template_passes_cfn_lint(synthesized):
    assert lint_template(synthesized["template"]) == []


def test_no_cdk_nag_finding_on_what_watchkeeper_adds(synthesized):
    findings = synthesized["findings"]
    assert any(f.path.startswith("Orders/Placed") for f in findings)  # the report was read
    assert [f for f in findings if f.path.startswith(("Orders/Monitoring", "Orders/Billing"))
            ] == []


def test_has_dead_letter_queue_reads_the_targets():
    stack = cdk.Stack(cdk.App(), "Dlq")
    bare = events.CfnRule(stack, "Bare", schedule_expression="rate(1 day)")
    assert event_rule.has_dead_letter_queue(bare) is False
    imported = events.Rule.from_event_rule_arn(stack, "I", IMPORTED_ARN)
    assert event_rule.has_dead_letter_queue(imported) is False


def test_the_preview_draws_the_rule_rows_with_their_bus(synthesized):
    page = render_html(read_dashboards(synthesized["outdir"]), "cdk.out")
    assert "orders-nightly: failures" in page
    assert ('<span class="wk-ns">AWS/Events</span> <b>TriggeredRules</b> '
            '<span class="wk-dims">RuleName=order-placed, EventBusName=') in page
