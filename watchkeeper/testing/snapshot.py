"""Make synthesized templates stable for snapshot tests.

Asset hashes change whenever an asset's bytes change (a handler edit, a dependency
bump), which would make every snapshot of a stack with a Lambda function churn. The
normaliser replaces them with a fixed marker and leaves everything else untouched, so a
snapshot still shows every real change to the monitoring.
"""

from __future__ import annotations

import re
from typing import Any

ASSET_HASH_MARKER = "<asset-hash>"

# CDK asset hashes are SHA-256 hex digests (64 characters), found in S3 keys
# ("<hash>.zip", "<hash>.json"), asset metadata and bootstrap asset parameters.
_ASSET_HASH_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# Keys whose values are build-machine paths or hashes, not infrastructure.
_VOLATILE_METADATA_KEYS = ("aws:asset:path", "aws:asset:original-path", "aws:cdk:path-hash")


def normalize_template(template: Any) -> Any:
    """Return a copy of ``template`` with asset hashes replaced by ``<asset-hash>``.

    Also drops the ``CDKMetadata`` resource and condition (analytics, version-dependent).
    """
    return _normalize(template, top=True)


def _normalize(value: Any, top: bool = False) -> Any:
    if isinstance(value, str):
        return _ASSET_HASH_RE.sub(ASSET_HASH_MARKER, value)
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if top and key in ("Resources", "Conditions") and isinstance(item, dict):
                item = {k: v for k, v in item.items() if not k.startswith("CDKMetadata")}
            if key in _VOLATILE_METADATA_KEYS:
                out[key] = ASSET_HASH_MARKER
                continue
            out[_ASSET_HASH_RE.sub(ASSET_HASH_MARKER, key)] = _normalize(item)
        return out
    return value
