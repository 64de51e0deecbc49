"""Service limits of CloudFormation, CloudWatch and CloudWatch Logs that templates must respect.

The one source of these numbers (a test fails when a module defines one again). Standard
library only: the constructs validate against these when they build resources, the query
catalogue and the dashboard layout respect them, and ``watchkeeper check`` checks
synthesized templates against them. The Lambda layer ships this module (``log_metrics``
imports it). Sources: the AWS service
quota pages and API references (see ``aws-facts.md`` of the project's design notes).
"""

from __future__ import annotations

import re
from typing import Final

# -- CloudFormation (per template) --------------------------------------------------------
MAX_RESOURCES_PER_TEMPLATE: Final = 500
#: bytes; the limit of a template CloudFormation reads from S3, which is how ``cdk deploy``
#: uploads it (an inline template body may only have 51,200 bytes)
MAX_TEMPLATE_BYTES: Final = 1_000_000
MAX_OUTPUTS: Final = 200
MAX_PARAMETERS: Final = 200
MAX_MAPPINGS: Final = 200

# -- CloudWatch alarms ---------------------------------------------------------------------
MAX_ALARM_NAME_LENGTH: Final = 255
#: seconds; period x evaluation periods must not pass one day
MAX_ALARM_EVALUATION_RANGE_S: Final = 86_400
MAX_METRICS_PER_MATH_ALARM: Final = 10
MAX_ACTIONS_PER_STATE: Final = 5
#: characters of a composite alarm's rule
MAX_ALARM_RULE_LENGTH: Final = 10_240
#: alarms one composite alarm's rule may reference
MAX_ALARMS_PER_ALARM_RULE: Final = 100
#: periods under a minute that a metric (high resolution) or alarm may use; longer periods
#: are whole minutes
HIGH_RESOLUTION_PERIODS_S: Final = (10, 20, 30)

# -- CloudWatch Logs -----------------------------------------------------------------------
#: retention periods CloudWatch Logs accepts, in days (PutRetentionPolicy)
ALLOWED_RETENTION_DAYS: Final[tuple[int, ...]] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
LOG_GROUP_NAME_RE: Final = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
#: log group names starting with this are reserved for AWS
RESERVED_LOG_GROUP_PREFIX: Final = "aws/"
MAX_METRIC_FILTERS_PER_LOG_GROUP: Final = 100
MAX_METRIC_FILTER_DIMENSIONS: Final = 3
#: AWS docs say 2; cfn-lint's schema has moved to 5: design for 2
MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP: Final = 2
#: namespaces starting with this are reserved for AWS services' metrics
RESERVED_NAMESPACE_PREFIX: Final = "AWS/"
MAX_QUERY_DEFINITION_NAME_LENGTH: Final = 255
#: characters of a metric or subscription filter pattern
MAX_FILTER_PATTERN_LENGTH: Final = 1024
#: log groups one Logs Insights query (or query definition) may name
MAX_LOG_GROUPS_PER_QUERY: Final = 50
#: characters of a Logs Insights query
MAX_QUERY_LENGTH: Final = 10_000
#: rows one GetQueryResults call returns (its ``maxItems``), and the rows a query returns
#: when neither StartQuery's ``limit`` nor the query's ``limit`` command asks for others
QUERY_RESULTS_PAGE_ROWS: Final = 10_000
#: the most rows one Logs Insights QL query returns: StartQuery's ``limit`` parameter and
#: the ``limit`` command both go up to it (the rows past one page come through
#: GetQueryResults' ``nextToken``)
MAX_QUERY_RESULT_ROWS: Final = 100_000

# -- CloudWatch dashboards -----------------------------------------------------------------
MAX_WIDGETS_PER_DASHBOARD: Final = 500
MAX_METRICS_PER_DASHBOARD: Final = 2_500
MAX_METRICS_PER_WIDGET: Final = 500
MAX_ALARMS_PER_ALARM_WIDGET: Final = 100
