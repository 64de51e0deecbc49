"""Shared pieces of the integration test apps (``integ_*.py``, run by integ-runner).

Each app is synthesized offline by ``make integ`` and compared with its committed
``*.snapshot`` directory; ``make integ-deploy`` deploys it, runs its assertions against AWS
and destroys it. Stacks are environment-agnostic on purpose: integ-runner's update workflow
deploys the committed snapshot first, which only works for region-agnostic snapshots.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# The demo service (``demo/``) lives next to app.py, outside the package: the apps that
# deploy it import it from the repository root, wherever they are run from.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)

#: How long an assertion keeps polling. Metric filters publish within about a minute and
#: the alarms evaluate each 1-minute period (docs/alarms.md), so an alarm reaches ALARM 2-4
#: minutes after the log line; 15 minutes leaves room for a slow first datapoint.
ALARM_TIMEOUT = cdk.Duration.minutes(15)
#: Log lines reach CloudWatch Logs within seconds; Logs Insights indexes them within minutes.
LOGS_TIMEOUT = cdk.Duration.minutes(10)
#: Between two polls: each poll is one API call (cents per thousand).
POLL_INTERVAL = cdk.Duration.seconds(30)

#: An account id that no service trusts: requests claiming it fail authorisation.
UNTRUSTED_ACCOUNT_ID = "000000000000"


def new_app() -> cdk.App:
    """The test's app, writing where ``CDK_OUTDIR`` says when it is read (not when the jsii
    runtime started): snapshots.py synthesizes every app in one process."""
    return cdk.App(outdir=os.environ.get("CDK_OUTDIR"))


def leave_nothing_behind(scope: Construct) -> None:
    """Every resource of ``scope`` is deleted with its stack (watchkeeper retains log groups
    and keys by default: right for a service, wrong for a test run)."""
    cdk.RemovalPolicies.of(scope).destroy()


def alarm_inbox(scope: Construct, topic: sns.ITopic, alarm_name: str) -> sqs.Queue:
    """A queue subscribed to ``topic`` that receives only ``alarm_name``'s ALARM notifications.

    Filtering on the message body keeps the OK notifications of every other alarm (sent as
    they leave INSUFFICIENT_DATA after the deploy) out of the queue. SQS-managed encryption
    needs no KMS grant for SNS; the topic's own key is used by CloudWatch (publish) and SNS
    (delivery), which is what this queue receiving anything proves.
    """
    queue = sqs.Queue(
        scope,
        "AlarmInbox",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=cdk.Duration.hours(1),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    topic.add_subscription(
        subscriptions.SqsSubscription(
            queue,
            filter_policy_with_message_body={
                "AlarmName": sns.FilterOrPolicy.filter(
                    sns.SubscriptionFilter.string_filter(allowlist=[alarm_name])
                ),
                "NewStateValue": sns.FilterOrPolicy.filter(
                    sns.SubscriptionFilter.string_filter(allowlist=["ALARM"])
                ),
            },
        )
    )
    return queue


def phase(name: str, choices: tuple[str, ...], default: str) -> str:
    """An environment switch of a test app (``WATCHKEEPER_INTEG_<NAME>``), validated."""
    variable = f"WATCHKEEPER_INTEG_{name.upper()}"
    value = os.environ.get(variable, default)
    if value not in choices:
        raise ValueError(f"{variable} must be one of {', '.join(choices)}; got {value!r}")
    return value
