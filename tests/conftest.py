"""Shared test setup: quiet jsii/CDK output, and session-wide helpers.

A synth costs seconds (most of it jsii's Node process), so each test module builds its app
once (session- or module-scoped fixtures) and asserts many things on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
os.environ.setdefault("CDK_DISABLE_VERSION_CHECK", "true")
# CDK's built-in CloudFormation validation (on by default since aws-cdk-lib 2.27x) compiles
# a WebAssembly engine in Node (about 4 s per process) and validates every template at each
# synth. The suites lint their templates with cfn-lint; tests/test_builtin_validation.py
# runs the built-in validator itself, in its own process, on the reference app.
os.environ.setdefault("CDK_VALIDATION", "false")
