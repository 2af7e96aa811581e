"""AWS answers as plain JSON values: no boto3 objects, datetimes as ISO 8601 strings in UTC,
and without the `ResponseMetadata` every answer carries (request ids, HTTP headers)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

Document = dict[str, Any]
NOT_KEPT = frozenset({"ResponseMetadata"})


def to_plain(value: Any) -> Any:
    """`value` with every mapping a dict, every sequence a list and every datetime a string
    such as `2026-01-01T00:00:00Z` (the corpus's form)."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items() if k not in NOT_KEPT}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def without(document: Mapping[str, Any], *keys: str) -> Document:
    """A copy of `document` without `keys` (what is secret or of no use to the model)."""
    return {k: v for k, v in document.items() if k not in keys}
