"""Custom resource handler: make sure CloudWatch log groups exist (watchkeeper).

Deployed as the inline code of a Lambda function (Python runtime: boto3 is there, the rest
is the standard library). CloudFormation sends the names of ``/aws/lambda/<name>`` groups
of functions deployed elsewhere; Lambda creates such a group only on a function's first
invocation, and metric or subscription filters on a missing group fail the deploy.

- A group that exists is left exactly as it is (retention, KMS key, policies untouched).
- A missing group is created, with ``RetentionInDays`` when given.
- Nothing is ever deleted: on Delete (stack deleted, function removed) the groups stay;
  they belong to Lambda like any ``/aws/lambda`` group.
"""

import json
import time
import urllib.request

#: Errors worth another try: CloudWatch Logs throttles control-plane calls per account,
#: and a group being created by Lambda at the same moment aborts the call.
RETRYABLE = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "OperationAbortedException",
     "LimitExceededException"}
)
ATTEMPTS = 8


def _code(error):
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _call(operation, sleep, **params):
    for attempt in range(ATTEMPTS):
        try:
            return operation(**params)
        except Exception as error:  # botocore's ClientError, without importing botocore
            if _code(error) not in RETRYABLE or attempt == ATTEMPTS - 1:
                raise
            sleep(min(0.25 * 2**attempt, 8))
    return None


def ensure_log_groups(client, names, retention_days=None, sleep=time.sleep):
    """Create each group of ``names`` that does not exist; return the names created."""
    created = []
    for name in names:
        try:
            _call(client.create_log_group, sleep, logGroupName=name)
        except Exception as error:
            if _code(error) == "ResourceAlreadyExistsException":
                continue  # the app's or Lambda's group: left exactly as it is
            raise
        created.append(name)
        if retention_days:
            _call(client.put_retention_policy, sleep, logGroupName=name,
                  retentionInDays=int(retention_days))
    return created


def _respond(event, status, reason, physical_id, data):
    body = json.dumps({
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - CloudFormation's URL
        pass


def handler(event, context, client=None):
    physical_id = event.get("PhysicalResourceId") or event["LogicalResourceId"]
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            properties = event["ResourceProperties"]
            if client is None:
                import boto3

                client = boto3.client("logs")
            created = ensure_log_groups(
                client, properties.get("LogGroupNames", []), properties.get("RetentionInDays")
            )
            data = {"Created": len(created)}
            print(json.dumps({"event": "log_groups_ensured", "created": created}))
    except Exception as error:
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:1000]
        print(json.dumps({"event": "log_groups_not_ensured", "reason": reason}))
    _respond(event, status, reason, physical_id, data)
