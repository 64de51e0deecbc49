"""Snapshot of every alarm of the reference service: drift shows up in review."""

from __future__ import annotations


def _summary(props: dict) -> dict:
    keys = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Statistic",
            "ExtendedStatistic", "Threshold", "ComparisonOperator", "Period",
            "EvaluationPeriods", "DatapointsToAlarm", "TreatMissingData", "ThresholdMetricId",
            "AlarmRule")
    out = {k: props[k] for k in keys if k in props}
    out["notifies"] = bool(props.get("AlarmActions"))
    if "Metrics" in props:
        out["Metrics"] = [m.get("Expression") or m["MetricStat"]["Metric"]["MetricName"]
                          for m in props["Metrics"]]
    return out


def test_reference_alarms_snapshot(reference, snapshot):
    alarms = sorted(
        (_summary(r["Properties"]) for r in reference.raw["Resources"].values()
         if r["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")),
        key=lambda a: a["AlarmName"],
    )
    assert alarms == snapshot
