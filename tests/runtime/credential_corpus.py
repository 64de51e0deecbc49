"""Fake credentials in the real formats services leak, and benign look-alikes.

Every credential is fake (made of ``Fake``/``EXAMPLE`` filler) but has its format's
documented shape: prefix, length, alphabet, Luhn check for cards. Each ``Credential``
carries the ``secret`` that must never reach the output, a ``text`` that embeds it the way
it shows up in logs, the runtime ``kind`` expected in its place, ``kept`` substrings that
must survive (the host and user of a URL, the label of an assignment), and ``cloudwatch``:
the custom data identifier expected to match it (None: a managed identifier or the
runtime alone covers it).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass


def _fill(prefix: str, length: int, alphabet: str = "FakeEXAMPLE0123456789abcdefghijklmn") -> str:
    body = (alphabet * (length // len(alphabet) + 1))[:length]
    return prefix + body


@dataclass(frozen=True)
class Credential:
    name: str
    secret: str
    text: str
    kind: str
    cloudwatch: str | None = None
    kept: tuple[str, ...] = ()


AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
OTHER_AWS_SECRET = "Zq3/FakeSecretAccessKeyEXAMPLE+0123abcde"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
BASIC = base64.b64encode(b"admin:s3cr3t-Pa55").decode()
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
AZURE_KEY = _fill("", 86, "FakeAzureStorageKeyEXAMPLE0123456789+/") + "=="

CREDENTIALS: tuple[Credential, ...] = (
    Credential(
        "aws access key id",
        AWS_KEY_ID,
        f"using key {AWS_KEY_ID} for s3",
        "aws-access-key-id",
        "WatchkeeperAwsKeyIdOrJwt",
    ),
    Credential(
        "aws secret key, labelled",
        AWS_SECRET,
        f"aws_secret_access_key={AWS_SECRET}",
        "aws-secret-key",
        None,
        ("aws_secret_access_key=",),
    ),
    Credential(
        "aws secret key beside its key id",
        OTHER_AWS_SECRET,
        f"creds {AWS_KEY_ID} {OTHER_AWS_SECRET}",
        "aws-secret-key",
    ),
    Credential(
        "aws secret key in a csv row",
        OTHER_AWS_SECRET,
        f"{AWS_KEY_ID},{OTHER_AWS_SECRET},us-east-1",
        "aws-secret-key",
        None,
        ("us-east-1",),
    ),
    Credential(
        "jwt", JWT.split(".")[2], f"id token {JWT} rejected", "jwt", "WatchkeeperAwsKeyIdOrJwt"
    ),
    Credential(
        "bearer",
        "abcDEF123456789tokenXYZ",
        "Authorization: Bearer abcDEF123456789tokenXYZ",
        "bearer",
        "WatchkeeperAwsKeyIdOrJwt",
        ("Authorization: Bearer",),
    ),
    Credential("basic", BASIC, f"Authorization: Basic {BASIC}", "basic-auth"),
    Credential(
        "pem private key",
        PEM_BODY[20:50],
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----",
        "private-key",
    ),
    Credential("card number", "4111 1111 1111 1111", "card 4111 1111 1111 1111 charged", "card"),
    Credential(
        "postgres url password",
        "pg-Pa55word",
        "postgres://app:pg-Pa55word@db.internal:5432/orders",
        "url-password",
        "WatchkeeperUrlPassword",
        ("postgres://app:", "@db.internal:5432/orders"),
    ),
    Credential(
        "mysql url password",
        "my$ql.Pw",
        "mysql://root:my$ql.Pw@10.0.0.5/shop",
        "url-password",
        "WatchkeeperUrlPassword",
        ("mysql://root:", "@10.0.0.5/shop"),
    ),
    Credential(
        "mongodb+srv url password",
        "m0ngo-pw",
        "mongodb+srv://svc:m0ngo-pw@cluster0.ab1cd.mongodb.net/db?retryWrites=true",
        "url-password",
        "WatchkeeperUrlPassword",
        ("mongodb+srv://svc:", "@cluster0.ab1cd.mongodb.net/db"),
    ),
    Credential(
        "redis url password without user",
        "r3dis-pw",
        "redis://:r3dis-pw@cache.internal:6379/0",
        "url-password",
        "WatchkeeperUrlPassword",
        ("redis://:", "@cache.internal:6379/0"),
    ),
    Credential(
        "rediss url password",
        "r3dis-tls-pw",
        "rediss://default:r3dis-tls-pw@cache:6380",
        "url-password",
        "WatchkeeperUrlPassword",
        ("rediss://default:", "@cache:6380"),
    ),
    Credential(
        "https url password",
        "hunter2pw",
        "GET https://joe:hunter2pw@api.example.com/v1/items?page=2",
        "url-password",
        "WatchkeeperUrlPassword",
        ("https://joe:", "@api.example.com/v1/items?page=2"),
    ),
    Credential(
        "url password holding @",
        "p@ssw0rd",
        "amqp://guest:p@ssw0rd@mq.internal/vhost",
        "url-password",
        "WatchkeeperUrlPassword",
        ("amqp://guest:", "@mq.internal/vhost"),
    ),
    Credential(
        "github classic pat",
        _fill("ghp_", 36),
        f"git clone with {_fill('ghp_', 36)}",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "github oauth token",
        _fill("gho_", 36),
        f"token={_fill('gho_', 36)}",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "github user-to-server token",
        _fill("ghu_", 36),
        f"x {_fill('ghu_', 36)} y",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "github server-to-server token",
        _fill("ghs_", 36),
        f"installation {_fill('ghs_', 36)}",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "github refresh token",
        _fill("ghr_", 76),
        f"refresh {_fill('ghr_', 76)}",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "github fine-grained pat",
        _fill("github_pat_", 22) + "_" + _fill("", 59),
        f"GH_TOKEN {_fill('github_pat_', 22)}_{_fill('', 59)}",
        "github-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "gitlab pat",
        "glpat-Fake0EXAMPLE0token9x",
        "PRIVATE-TOKEN glpat-Fake0EXAMPLE0token9x",
        "gitlab-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "npm token",
        _fill("npm_", 36),
        f"//registry.npmjs.org/:_authToken={_fill('npm_', 36)}",
        "npm-token",
        "WatchkeeperCodeHostToken",
    ),
    Credential(
        "slack bot token",
        "xoxb-1234567890123-1234567890123-FakeEXAMPLEslackBot01",
        "slack xoxb-1234567890123-1234567890123-FakeEXAMPLEslackBot01 ok",
        "slack-token",
        "WatchkeeperSlackToken",
    ),
    Credential(
        "slack user token",
        "xoxp-1234567890123-1234567890123-1234567890123-fakeexample0123456789abcdef",
        "auth xoxp-1234567890123-1234567890123-1234567890123-fakeexample0123456789abcdef",
        "slack-token",
        "WatchkeeperSlackToken",
    ),
    Credential(
        "slack app token",
        "xoxa-2-1234567890123-FakeEXAMPLE",
        "xoxa-2-1234567890123-FakeEXAMPLE",
        "slack-token",
        "WatchkeeperSlackToken",
    ),
    Credential(
        "slack refresh token",
        "xoxr-1234567890-FakeEXAMPLErefresh",
        "rt=xoxr-1234567890-FakeEXAMPLErefresh",
        "slack-token",
        "WatchkeeperSlackToken",
    ),
    Credential(
        "slack webhook url",
        "T00000000/B00000000/FakeEXAMPLEwebhook0000",
        "posting to https://hooks.slack.com/services/T00000000/B00000000/FakeEXAMPLEwebhook0000",
        "slack-webhook",
        "WatchkeeperSlackToken",
        ("https://hooks.slack.com/services/",),
    ),
    Credential(
        "stripe live secret key",
        _fill("sk_live_", 24),
        f"stripe.api_key = {_fill('sk_live_', 24)}",
        "stripe-key",
        "WatchkeeperStripeKey",
    ),
    Credential(
        "stripe live restricted key",
        _fill("rk_live_", 99),
        f"key {_fill('rk_live_', 99)}",
        "stripe-key",
        "WatchkeeperStripeKey",
    ),
    Credential(
        "stripe test secret key",
        _fill("sk_test_", 24),
        f"({_fill('sk_test_', 24)})",
        "stripe-key",
        "WatchkeeperStripeKey",
    ),
    Credential(
        "google api key",
        _fill("AIza", 35, "FakeEXAMPLE_googleKey-0123456789"),
        f"maps?key={_fill('AIza', 35, 'FakeEXAMPLE_googleKey-0123456789')}&q=x",
        "google-api-key",
        "WatchkeeperApiKey",
        ("maps?key=", "&q=x"),
    ),
    Credential(
        "sendgrid api key",
        "SG." + _fill("", 22) + "." + _fill("", 43, "FakeEXAMPLE_sendgrid-0123456789"),
        "SENDGRID_API_KEY SG."
        + _fill("", 22)
        + "."
        + _fill("", 43, "FakeEXAMPLE_sendgrid-0123456789"),
        "sendgrid-key",
        "WatchkeeperApiKey",
    ),
    Credential(
        "twilio account sid",
        "AC" + "0123456789abcdef" * 2,
        "account AC" + "0123456789abcdef" * 2,
        "twilio-key",
        "WatchkeeperApiKey",
    ),
    Credential(
        "twilio api key sid",
        "SK" + "fedcba9876543210" * 2,
        "sid SK" + "fedcba9876543210" * 2 + ".",
        "twilio-key",
        "WatchkeeperApiKey",
    ),
    Credential(
        "azure storage connection string",
        AZURE_KEY,
        f"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
        "azure-key",
        "WatchkeeperAzureKey",
        ("AccountName=fakeacct;", ";EndpointSuffix=core.windows.net"),
    ),
    Credential(
        "azure service bus key",
        "FakeEXAMPLEserviceBusKey0123456789abcdef=",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=FakeEXAMPLEserviceBusKey0123456789abcdef=",
        "azure-key",
        "WatchkeeperAzureKey",
        ("SharedAccessKeyName=root",),
    ),
    Credential("password assignment", "hunter2", "login with password=hunter2 failed", "secret"),
    Credential(
        "german password in json",
        "geheim-123",
        '{"Passwort": "geheim-123"}',
        "secret",
        None,
        ('"Passwort": ',),
    ),
    Credential("accented password key", "s3kr1t", "passwörd=s3kr1t", "secret"),
    Credential("spanish password key", "clave-9", "contraseña: clave-9", "secret"),
)

#: Values that look a little like credentials and must survive redaction unchanged.
BENIGN: tuple[str, ...] = (
    "79b4f56e-95b1-4643-9700-2807f4e68189",  # request id (UUID)
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # SHA-1
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # SHA-256
    "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",  # SHA-1, upper case
    "arn:aws:lambda:eu-west-1:123456789012:function:orders-prod-create",
    "arn:aws:iam::123456789012:role/service-role/orders",
    "o-1001",
    "ORD-2024-000123",
    "https://example.com/orders/123?page=2",
    "https://api.example.com/users/@joebob1",
    "s3://bucket/uploads/2024/report.csv",
    "joe@example.com",
    "1714557600123",  # epoch milliseconds
    "42",
    "1-6650a1b2-3c4d5e6f7a8b9c0d1e2f3a4b",  # X-Ray trace id
    "aGVsbG8gd29ybGQ=",  # base64 of "hello world"
    "Basic plan",
    "npm_config_cache",
    "skip_test_cases",
    "SKU12345",
    "AC/DC",
    "xoxo",
    "ghp_short",
    "AIzaShort",
    "msg.format",
    "passport",
    "ThisIsALongCamelCaseIdentifierName012345",  # 40 base64-ish characters, no key id near
    "https://hooks.slack.com/services",
    "Endpoint=sb://ns.servicebus.windows.net/",
    "redis://cache.internal:6379/0",
    "postgres://db.internal:5432/orders",
)
