"""``ServiceMonitoring.monitor``: the one method for kinds added to the registry (their
imported resources too); the kind tests under this folder call it with imports."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from watchkeeper.constructs.service_monitoring import ServiceMonitoring


@pytest.fixture(scope="module")
def monitoring():
    stack = cdk.Stack(cdk.App(), "Service")
    return ServiceMonitoring(stack, "Monitoring", service_name="orders"), stack


def test_a_resource_of_no_registered_kind_is_refused_naming_the_methods(monitoring):
    mon, _ = monitoring
    with pytest.raises(ValueError, match=r"^monitor\(resource='not a resource'\): not a "
                                         r"resource of a kind .* \(monitor_function, "
                                         r"monitor_http_api, .*monitor_state_machine\)$"):
        mon.monitor("not a resource")


def test_a_built_in_kind_points_to_its_own_method(monitoring):
    mon, stack = monitoring
    queue = sqs.Queue.from_queue_arn(stack, "Imported",
                                     "arn:aws:sqs:eu-west-1:123456789012:jobs")
    with pytest.raises(ValueError, match=r"monitor_queue"):
        mon.monitor(queue)
