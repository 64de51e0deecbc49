"""Alarms of every shape aws-cdk-lib writes, for tests that read synthesized templates."""

from __future__ import annotations

from typing import Any


def add_alarm_shapes(stack: Any, errors: Any) -> None:
    """A standard, a metric-math, an anomaly-detection, a high-resolution and a composite
    alarm in ``stack``, on the ``errors`` metric (and Lambda invocations)."""
    import aws_cdk as cdk
    from aws_cdk import aws_cloudwatch as cw

    invocations = cw.Metric(namespace="AWS/Lambda", metric_name="Invocations", statistic="Sum")
    plain = errors.create_alarm(stack, "ErrorAlarm", threshold=1, evaluation_periods=3)
    rate = cw.MathExpression(
        expression="100 * e / i",
        using_metrics={"e": errors, "i": invocations},
        period=cdk.Duration.minutes(5),
    ).create_alarm(stack, "ErrorRate", threshold=5, evaluation_periods=2)
    cw.AnomalyDetectionAlarm(stack, "Traffic", metric=invocations, evaluation_periods=3)
    errors.with_(period=cdk.Duration.seconds(10)).create_alarm(
        stack, "FastErrors", threshold=1, evaluation_periods=1
    )
    cw.CompositeAlarm(stack, "Health", alarm_rule=cw.AlarmRule.any_of(plain, rate))
