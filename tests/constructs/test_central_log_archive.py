"""CentralLogArchive: bucket, stream, roles, validation."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from _shipping_app import monitored_app
from aws_cdk.assertions import Match, Template

from watchkeeper.constructs.central_log_archive import CentralLogArchive


def _one(template, kind: str, props: dict | None = None) -> tuple[str, dict]:
    found = template.find_resources(kind, {"Properties": props} if props else {})
    assert len(found) == 1, list(found)
    return next(iter(found.items()))


def test_archive_bucket_is_encrypted_versioned_private_logged_and_archived():
    t = monitored_app().archive_template
    key_id, key = _one(t, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    bucket_id, bucket = _one(
        t,
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": Match.any_value(),
            "LoggingConfiguration": Match.any_value(),
        },
    )
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                "SSEAlgorithm": "aws:kms",
            },
        }
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "archive-bucket/"
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]
    assert "ExpirationInDays" not in rule
    assert bucket["DeletionPolicy"] == "Retain"
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_server_access_logs_are_delivered_by_bucket_policy_not_acl():
    t = monitored_app().archive_template
    buckets = t.find_resources("AWS::S3::Bucket")
    assert all("AccessControl" not in b["Properties"] for b in buckets.values())
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Action": "s3:PutObject",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_stream_decompresses_cloudwatch_data_and_writes_encrypted_gzip_by_date():
    t = monitored_app().archive_template
    _, stream = _one(t, "AWS::KinesisFirehose::DeliveryStream")
    props = stream["Properties"]
    assert props["DeliveryStreamType"] == "DirectPut"
    assert props["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "CUSTOMER_MANAGED_CMK"
    s3_config = props["ExtendedS3DestinationConfiguration"]
    assert s3_config["Prefix"] == "logs/!{timestamp:yyyy/MM/dd}/"
    assert (
        s3_config["ErrorOutputPrefix"]
        == "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    )
    assert s3_config["CompressionFormat"] == "GZIP"
    assert s3_config["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 64}
    assert [p["Type"] for p in s3_config["ProcessingConfiguration"]["Processors"]] == [
        "Decompression",
        "AppendDelimiterToRecord",
    ]
    assert s3_config["CloudWatchLoggingOptions"]["Enabled"] is True


def test_logs_role_is_limited_to_this_account_and_to_putting_records():
    t = monitored_app().archive_template
    t.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "logs.amazonaws.com"},
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": "111111111111"},
                                "ArnLike": {"aws:SourceArn": Match.any_value()},
                            },
                        }
                    )
                ]
            }
        },
    )
    t.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                            "Effect": "Allow",
                        }
                    )
                ]
            }
        },
    )


def test_firehose_role_writes_only_the_archive_prefixes():
    t = monitored_app().archive_template
    policies = t.find_resources("AWS::IAM::Policy")
    statements = [
        s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (put,) = [s for s in statements if "s3:PutObject" in s["Action"]]
    suffixes = [r["Fn::Join"][1][-1] for r in put["Resource"]]
    assert suffixes == ["/logs/*", "/errors/*"]
    assert not any(
        a.endswith("*")
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )


def test_extract_messages_and_raw_storage_options():
    stack = cdk.Stack(cdk.App(), "Opts")
    extracted = CentralLogArchive(stack, "Extracted", extract_messages=True)
    raw = CentralLogArchive(
        stack, "Raw", decompress=False, archive_after=None, expire_after=cdk.Duration.days(400)
    )
    resolve = stack.resolve
    raw_bucket_id = stack.get_logical_id(raw.bucket.node.default_child)
    template = Template.from_stack(stack).to_json()["Resources"]

    def destination_of(archive: CentralLogArchive) -> dict:
        (stream_id, _) = resolve(archive.delivery_stream_arn)["Fn::GetAtt"]
        return template[stream_id]["Properties"]["ExtendedS3DestinationConfiguration"]

    config = destination_of(extracted)
    assert [p["Type"] for p in config["ProcessingConfiguration"]["Processors"]] == [
        "Decompression",
        "CloudWatchLogProcessing",
        "AppendDelimiterToRecord",
    ]
    raw_config = destination_of(raw)
    assert raw_config["CompressionFormat"] == "UNCOMPRESSED"
    assert "ProcessingConfiguration" not in raw_config
    (rule,) = template[resolve(raw_bucket_id)]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 400
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 400}
    assert "Transitions" not in rule


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"archive_after": cdk.Duration.days(90), "expire_after": cdk.Duration.days(30)},
            "expire_after=30 days must be later than archive_after=90 days",
        ),
        (
            {"archive_storage_class": "COLD"},
            "archive_storage_class='COLD' is not allowed: use one of GLACIER_INSTANT_RETRIEVAL",
        ),
        (
            {"buffer_interval": cdk.Duration.seconds(30)},
            "buffer_interval=.* must be a cdk.Duration of 60 to 900 seconds",
        ),
        ({"buffer_size_mib": 500}, "buffer_size_mib=500 must be a whole number 1-128"),
        ({"prefix": "logs"}, "prefix='logs' must be 1-100 characters"),
        ({"prefix": "/logs/"}, "not start with '/'"),
        (
            {"decompress": False, "extract_messages": True},
            "extract_messages=True needs decompress=True",
        ),
        ({"archive_after": 90}, "archive_after=90 must be a cdk.Duration"),
    ],
)
def test_bad_archive_options_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CentralLogArchive(cdk.Stack(cdk.App(), "Bad"), "Archive", **kwargs)
