"""Test helpers for watchkeeper users: prove filter patterns and templates offline.

This package stays import-light: nothing here imports aws-cdk-lib at module level.
"""

from watchkeeper.testing.filter_pattern import FilterPatternSyntaxError, matches, parse_pattern

__all__ = ["FilterPatternSyntaxError", "matches", "parse_pattern"]
