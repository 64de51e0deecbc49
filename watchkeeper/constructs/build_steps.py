"""The model of the service, and the builders that read it: alarms, queries and dashboards
(and the key statements they add). A step of ServiceMonitoring (mixed into it), run at
synth once discovery, placement and log wiring are done."""

from __future__ import annotations

from aws_cdk import aws_kms as kms

from watchkeeper.constructs.alarms.build import build_alarms
from watchkeeper.constructs.model import AlarmPolicy, Placement, ServiceModel
from watchkeeper.constructs.monitoring_state import MonitoringState
from watchkeeper.constructs.queries_and_dashboards import build as build_queries_and_dashboards
from watchkeeper.constructs.security_detections import build_security_detections


class BuildSteps(MonitoringState):
    """The model of the service, and the builders that read it."""

    def _published_log_metrics(self) -> frozenset[str]:
        return frozenset(name for filters in self.metric_filters for name in filters.metric_names)

    def _model(self) -> ServiceModel:
        """The service as the builders see it (targets, settings, names, placement)."""
        return ServiceModel(
            service_name=self.service_name,
            stage=self.stage,
            qualified_name=self.qualified_name,
            namespace=self.namespace,
            targets={name: tuple(found) for name, found in self._targets.items()},
            alarms=AlarmPolicy(
                overrides=dict(self.alarm_overrides),
                concurrency_limit=self.concurrency_limit,
                duration_threshold_share=self.duration_threshold_share,
                notify_ok=self.notify_ok,
                topic_arn=self._topic_arn,
            ),
            log_settings=self.log_settings,
            service_log_group=self._service_log_group,
            placement=Placement(
                scope_for_target=self._placement,
                scope_for_dashboard=self._dashboard_placement,
                automatic=self.nested_automatically,
            ),
            service_log_group_name=getattr(self, "_service_log_group_display_name", None),
        )

    def _build_alarms(self, model: ServiceModel) -> None:
        self.alarm_details = build_alarms(self, model, self._published_log_metrics())
        self.alarms = [a.cfn for a in self.alarm_details]

    def _build_security_detections(self, model: ServiceModel) -> None:
        """Top offenders and control-plane tampering (after the alarms they join)."""
        self.security_detections = build_security_detections(
            self, model, self.detection_settings,
            topic=self.topic, topic_key=self.topic_key,
            dashboards=self.insights_settings.dashboards,
            dashboard_name_prefix=self.insights_settings.dashboard_name_prefix,
            has_api_access_logs=self.api_access_log_group is not None,
            has_security_alarms=any(a.kind == "security" for a in self.alarm_details),
        )
        self.alarm_details.extend(self.security_detections.alarms)
        self.alarms.extend(a.cfn for a in self.security_detections.alarms)

    def _record_key_changes(self) -> None:
        """A KMS key of the app (``encryption_key``) gets statements for CloudWatch Logs."""
        key = self.log_settings.encryption_key
        if not isinstance(key, kms.Key) or not self.log_settings.key_granted:
            return  # an imported key's policy is never changed
        path = key.node.path
        self.app_changes.record(
            "key-statement", path,
            "CloudWatch Logs of this region may use it for this account's log groups")
        if self.anomaly_detector_key_statements:
            self.app_changes.record(
                "key-statement", path,
                "CloudWatch Logs may use it for this account's log anomaly detectors")

    def _build_queries_and_dashboards(self, model: ServiceModel) -> None:
        """Saved queries, dashboards, field indexes, anomaly detectors (after alarms)."""
        created = build_queries_and_dashboards(
            self, model, self.insights_settings, log_groups=self.log_groups,
            alarm_details=self.alarm_details, log_metrics=self._published_log_metrics(),
            detection_widgets=self.security_detections.widgets)
        self.saved_queries.extend(created["queries"])
        self.dashboards.extend(created["dashboards"])
        self.anomaly_detectors.extend(created["anomaly_detectors"])
        self.anomaly_detector_key_statements.extend(created["key_policy_statements"])
