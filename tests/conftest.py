"""Shared test setup: quiet jsii/CDK output, and session-wide helpers.

A synth costs seconds (most of it jsii's Node process), so each test module builds its app
once (session- or module-scoped fixtures) and asserts many things on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
os.environ.setdefault("CDK_DISABLE_VERSION_CHECK", "true")
