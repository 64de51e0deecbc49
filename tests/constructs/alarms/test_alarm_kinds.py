"""Every alarm kind on the reference service: metric, statistic, threshold, routing."""

from __future__ import annotations

from aws_cdk.assertions import Match


def _props(reference, name):
    return reference.alarm(name)


def test_function_errors_is_a_composite_child_without_own_action(reference):
    reference.template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-create-errors",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": "orders-create"}],
        "Statistic": "Sum",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": Match.absent(),  # 3 of 3: CloudWatch's default
        "TreatMissingData": "notBreaching",
        "AlarmActions": Match.absent(),
    })


def test_error_rate_is_opt_in_and_replaces_errors_where_asked(reference):
    names = {a.name for a in reference.mon.alarm_details}
    # default: errors only (an error rate above 5% always has errors > 0 too)
    assert "orders-create-errors" in names and "orders-create-error-rate" not in names
    # the worker opted in, and switched the any-error alarm off
    assert "orders-worker-error-rate" in names and "orders-worker-errors" not in names


def test_error_rate_is_metric_math_guarded_against_zero_invocations(reference):
    props = _props(reference, "orders-worker-error-rate")
    expression = [m for m in props["Metrics"] if "Expression" in m][0]
    assert expression["Expression"] == "IF(m2 > 0, 100 * m1 / m2, 0)"
    names = [m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m]
    assert names == ["Errors", "Invocations"]
    assert props["Threshold"] == 5


def test_unnamed_function_alarm_uses_the_function_ref(reference):
    props = _props(reference, "orders-get-order-throttles")
    assert set(props["Dimensions"][0]["Value"]) == {"Ref"}
    assert props["EvaluationPeriods"] == 5


def test_duration_is_a_share_of_the_functions_own_timeout(reference):
    owned = _props(reference, "orders-create-duration")
    assert owned["ExtendedStatistic"] == "p90"
    assert owned["Threshold"] == 8000  # 80% of 10 s
    assert owned["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")
    default_timeout = _props(reference, "orders-get-order-duration")
    assert default_timeout["Threshold"] == 2400  # 80% of Lambda's default 3 s
    imported = _props(reference, "orders-legacy-report-duration")
    assert imported["Threshold"] == 48000  # from monitor_function(timeout=60 s)


def test_concurrency_only_with_reserved_concurrency_at_90_percent(reference):
    assert _props(reference, "orders-create-concurrency")["Threshold"] == 45
    names = {a.name for a in reference.mon.alarm_details}
    assert "orders-worker-concurrency" not in names
    account = _props(reference, "orders-service-account-concurrency")
    assert "Dimensions" not in account and account["Threshold"] == 900


def test_iterator_age_only_for_stream_sources(reference):
    names = {a.name for a in reference.mon.alarm_details}
    assert "orders-projector-iterator-age" in names  # DynamoDB stream
    assert "orders-click-counter-iterator-age" in names  # Kinesis stream
    assert "orders-worker-iterator-age" not in names  # SQS source


def test_async_and_dead_letter_alarms_for_the_sns_invoked_function(reference):
    names = {a.name for a in reference.mon.alarm_details}
    assert {"orders-notifier-async-events-dropped", "orders-notifier-async-event-age",
            "orders-notifier-dead-letter-errors"} <= names
    assert "orders-create-async-events-dropped" not in names


def test_traffic_anomaly_on_apis_not_on_functions_when_apis_exist(reference):
    props = _props(reference, "orders-public-traffic-anomaly")
    assert props["ThresholdMetricId"] == "ad1"
    assert props["ComparisonOperator"] == "GreaterThanUpperThreshold"
    band = [m for m in props["Metrics"] if m["Id"] == "ad1"][0]
    assert band["Expression"] == "ANOMALY_DETECTION_BAND(m1, 3)"
    assert "Threshold" not in props
    names = {a.name for a in reference.mon.alarm_details}
    assert "orders-create-traffic-anomaly" not in names


def test_http_api_alarms_use_api_id_and_stage(reference):
    reference.template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-public-server-error-rate",
        "MetricName": "5xx",
        "Statistic": "Average",
        "Threshold": 0.05,
        "Dimensions": [{"Name": "ApiId", "Value": Match.any_value()},
                       {"Name": "Stage", "Value": "$default"}],
    })
    latency = _props(reference, "orders-public-latency")
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "Latency", "p90", 2500)


def test_rest_api_alarms_use_api_name_and_stage(reference):
    reference.template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "orders-admin-server-errors",
        "MetricName": "5XXError",
        "Statistic": "Sum",
        "Dimensions": [{"Name": "ApiName", "Value": "orders-admin"},
                       {"Name": "Stage", "Value": "prod"}],
    })
    assert _props(reference, "orders-admin-client-error-rate")["MetricName"] == "4XXError"


def test_queue_age_and_dead_letter_queue_from_redrive_policy(reference):
    age = _props(reference, "orders-work-queue-age")
    assert age["MetricName"] == "ApproximateAgeOfOldestMessage"
    dlq = _props(reference, "orders-work-dlq-dlq-messages")
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (dlq["Threshold"], dlq["EvaluationPeriods"]) == (0, 1)
    assert "orders-work-queue (dead-letter queue of orders-work)" not in dlq["AlarmDescription"]
    assert "dead-letter queue of" in dlq["AlarmDescription"]
    names = {a.name for a in reference.mon.alarm_details}
    assert "orders-work-dlq-age" not in names
    # A function's dead-letter queue is recognised too.
    assert "orders-notifier-dlq-dlq-messages" in names


def test_table_throttles_and_system_errors_summed_over_operations(reference):
    for check, metric in (("read", "ReadThrottleEvents"), ("write", "WriteThrottleEvents")):
        props = _props(reference, f"orders-table-{check}-throttles")
        assert props["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == metric
        assert props["Metrics"][-1]["Expression"] == "FILL(m1, 0)"
    table_alarms = [a for a in reference.mon.alarm_details if a.check.startswith("table.")]
    assert {a.check for a in table_alarms} == {
        "table.read_throttles", "table.write_throttles", "table.system_errors"}
    system = reference.alarm([a.name for a in table_alarms
                              if a.check == "table.system_errors"][0])
    operations = [m["MetricStat"]["Metric"]["Dimensions"][1]["Value"]
                  for m in system["Metrics"] if "MetricStat" in m]
    assert len(operations) == 10 and "GetItem" in operations
    assert system["Metrics"][-1]["Expression"].startswith("FILL(SUM([m1, m2")


def test_state_machine_alarms(reference):
    for check, metric in (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut"),
                          ("throttled", "ExecutionThrottled"), ("aborted", "ExecutionsAborted")):
        props = _props(reference, f"orders-fulfilment-{check}")
        assert props["Namespace"] == "AWS/States" and props["MetricName"] == metric
        assert props["Dimensions"][0]["Name"] == "StateMachineArn"


def test_security_alarms_on_log_metrics_notify_directly(reference):
    expected = {
        "orders-security-authn-failures": ("AuthenticationFailures", 20),
        "orders-security-authz-failures": ("AuthorizationFailures", 1),
        "orders-security-input-validation": ("InputValidationFailures", 50),
        "orders-security-malicious-requests": ("MaliciousRequests", 1),
    }
    for name, (metric, threshold) in expected.items():
        props = _props(reference, name)
        assert props["Namespace"] == "Watchkeeper/orders"
        assert (props["MetricName"], props["Threshold"]) == (metric, threshold)
        assert "Dimensions" not in props
        assert props["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")
    anomaly = _props(reference, "orders-security-authn-failures-anomaly")
    assert anomaly["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "AuthenticationFailures"
    kinds = {a.name: a.kind for a in reference.mon.alarm_details}
    assert kinds["orders-security-authz-failures"] == "security"
    assert kinds["orders-create-errors"] == "operational"


def test_timeouts_and_out_of_memory_from_log_metrics(reference):
    for name, metric in (("orders-service-timeouts", "Timeouts"),
                         ("orders-service-out-of-memory", "OutOfMemory")):
        props = _props(reference, name)
        assert (props["Namespace"], props["MetricName"]) == ("Watchkeeper/orders", metric)


def test_composite_covers_every_critical_alarm_and_notifies(reference):
    details = reference.mon.alarm_details
    composite = [a for a in details if a.kind == "composite"]
    assert [a.name for a in composite] == ["orders-service-health"]
    critical = {a.name for a in details if a.routing == "composite"}
    assert set(composite[0].children) == critical
    props = _props(reference, "orders-service-health")
    for name in critical:
        assert f'ALARM("{name}")' in props["AlarmRule"]
    assert props["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")
    assert props["OKActions"] == props["AlarmActions"]


def test_every_alarm_notifies_directly_or_through_the_composite(reference):
    details = reference.mon.alarm_details
    children = {n for a in details if a.kind == "composite" for n in a.children}
    for alarm in details:
        props = reference.alarm(alarm.name)
        if alarm.routing == "direct":
            assert props.get("AlarmActions"), alarm.name
        else:
            assert alarm.name in children and not props.get("AlarmActions"), alarm.name
    assert reference.mon.alarms == [a.cfn for a in details]


def test_alarm_names_are_stable_and_within_limits(reference):
    names = [a.name for a in reference.mon.alarm_details]
    assert len(names) == len(set(names))
    assert all(n.startswith("orders-") and len(n) <= 255 for n in names)


def test_descriptions_say_what_fired_why_the_threshold_and_first_query(reference):
    assert _props(reference, "orders-create-duration")["AlarmDescription"] == (
        "orders-create: p90 duration near timeout, threshold 8000 ms (80% of the 10s "
        "timeout). First run saved query orders/slowest-invocations.")
    assert _props(reference, "orders-create-errors")["AlarmDescription"] == (
        "orders-create: errors. First run saved query orders/recent-errors.")
    descriptions = [reference.alarm(a.name).get("AlarmDescription", "")
                    for a in reference.mon.alarm_details]
    assert all(len(d) <= 1024 for d in descriptions)
    # The rule (statistic, threshold, window) is the alarm's own configuration, which the
    # console and every notification show: the description does not restate it.
    assert not [d for d in descriptions if "Fires when" in d]


def test_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(reference):
    t = reference.template
    t.has_resource_properties("AWS::SNS::Topic", {
        "TopicName": "orders-alarms",
        "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("MonitoringAlarmTopicKey"),
                                          "Arn"]},
    })
    t.has_resource_properties("AWS::KMS::Key", {
        "EnableKeyRotation": True,
        "KeyPolicy": {"Statement": Match.array_with([Match.object_like({
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
        })])},
    })
    t.has_resource_properties("AWS::SNS::TopicPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])},
    })
    t.has_resource_properties("AWS::SNS::Subscription", {
        "Protocol": "email", "Endpoint": "oncall@example.com",
        "RedrivePolicy": {"deadLetterTargetArn": Match.any_value()},
    })
    assert reference.mon.topic is not None
