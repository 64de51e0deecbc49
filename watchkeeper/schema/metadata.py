"""Template metadata: what the constructs record in a stack's template for ``watchkeeper
report`` and ``watchkeeper check`` to read, and the REST API CloudWatch role settings that
both sides share.

Standard library only: this module runs inside Lambda functions with the rest of
:mod:`watchkeeper.schema`.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple


class ServiceEntries(NamedTuple):
    """The services a template's metadata records (:meth:`TemplateMetadata.services_of`)."""

    #: the entries that are objects, in their order
    services: list[dict[str, Any]]
    #: what is malformed, one line each, for the reader to print after where it looked
    notes: list[str]


class TemplateMetadata:
    """Template-level ``Metadata`` that records what watchkeeper monitors in a stack.

    Shape: ``{KEY: {SERVICES: [{SERVICE: "orders", MONITORED: {<kind>: [item, ...]}}]}}``
    where each kind is one of :data:`MONITORED_KINDS` and each item is a resource name or a
    CloudFormation intrinsic (``{"Ref": "LogicalId"}``).
    """

    KEY: Final = "Watchkeeper"
    SERVICES: Final = "services"
    SERVICE: Final = "service"
    #: the service's stage, present only when it has one (names then use
    #: ``qualified_name(service, stage)``)
    STAGE: Final = "stage"
    MONITORED: Final = "monitored"
    #: what was changed on the app's own resources: ``[{kind, resource, detail}]``; the
    #: resources that had the same change share one entry ``{kind, resources, detail}``
    #: (read them with :meth:`changes_of`)
    CHANGES: Final = "changes"
    #: logical ids of the resources watchkeeper created in this template; a nested stack
    #: listed here was created whole, with everything in its template. A report counts and
    #: prices only these when any service of the template records the list.
    CREATED: Final = "created"
    #: security findings about the service's resources, present only when there are any:
    #: ``[{check, resource, path, logical_id, acknowledged}]`` (``path``: the resource's
    #: ``aws:cdk:path``; ``acknowledged``: the app acknowledged watchkeeper's synth warning)
    FINDINGS: Final = "findings"
    @classmethod
    def services_of(cls, template: object) -> ServiceEntries:
        """The service entries of a template (its whole body) that are objects.

        A template without watchkeeper's metadata has none, silently. Watchkeeper's
        metadata without a services list, and an entry that is not an object, are each
        skipped with a note (``watchkeeper report`` prints them after the template's
        location).
        """
        metadata = template.get("Metadata") if isinstance(template, dict) else None
        if not isinstance(metadata, dict) or cls.KEY not in metadata:
            return ServiceEntries([], [])
        block = metadata[cls.KEY]
        services = block.get(cls.SERVICES) if isinstance(block, dict) else None
        if not isinstance(services, list):
            return ServiceEntries([], [f"Metadata.{cls.KEY} has no services list; ignored"])
        entries = [s for s in services if isinstance(s, dict)]
        notes = [f"a Metadata.{cls.KEY} service is not an object"] * (
            len(services) - len(entries))
        return ServiceEntries(entries, notes)

    @staticmethod
    def changes_of(entries: object) -> list[dict[str, object]]:
        """The ``changes`` entries one per changed resource: ``{kind, resource, detail}``.

        An entry that lists ``resources`` (the same change to many resources, e.g. the
        logging configuration of every function) becomes one entry per resource; an entry
        that is not an object is skipped.
        """
        out: list[dict[str, object]] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            resources = entry.get("resources")
            if not isinstance(resources, list):
                out.append(entry)
                continue
            common = {k: v for k, v in entry.items() if k != "resources"}
            out += [{"kind": common.get("kind"), "resource": resource,
                     "detail": common.get("detail")} for resource in resources]
        return out

    #: kinds of monitored resources, in the order reports list them
    MONITORED_KINDS: Final = (
        "functions",
        "http_apis",
        "rest_apis",
        "queues",
        "tables",
        "state_machines",
        "event_rules",
        "topics",
        "streams",
        "delivery_streams",
        "function_urls",
        "graphql_apis",
    )


#: The finding of a Lambda function URL with ``AuthType: NONE`` (template metadata and
#: ``watchkeeper check``), and the id of its synth warning, which an app acknowledges with
#: ``cdk.Annotations.of(url).acknowledge_warning(PUBLIC_FUNCTION_URL_WARNING, "<why>")``.
PUBLIC_FUNCTION_URL_FINDING: Final = "public-function-url"
PUBLIC_FUNCTION_URL_WARNING: Final = "watchkeeper:public-function-url"


#: ``rest_api_cloudwatch_role`` values: how ServiceMonitoring learns that the account has
#: API Gateway's CloudWatch Logs role, which REST API access and execution logging need.
#: ``detect``: the app sets it (an ``AWS::ApiGateway::Account``, e.g. a RestApi with
#: ``cloud_watch_role=True``), else REST logging stays off; ``account-has-role``: the
#: account already has it; ``create``: watchkeeper sets it (an account-wide setting).
REST_API_CLOUDWATCH_ROLE_OPTIONS: Final = ("detect", "account-has-role", "create")

#: The one line that switches REST API logging on when the app sets no CloudWatch role
#: (synth warning and ``watchkeeper check`` print it).
REST_API_CLOUDWATCH_ROLE_FIX: Final = (
    'ServiceMonitoring(..., resource_logging=ResourceLoggingOptions(rest_api_cloudwatch_role='
    '"create")) to have watchkeeper set the account\'s API Gateway CloudWatch Logs role, or '
    '"account-has-role" if it is already set'
)
