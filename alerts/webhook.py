"""The events of each cycle posted as one JSON document to a URL (`design-drift/notification/v1`,
docs/notifications.md, docs/notification-v1.schema.json).

One POST per cycle that has events (none when nothing changed), so a first run over a large
cluster is one request, not hundreds. The body is the same bytes on every retry, and
`X-Drift-Delivery` (the run id) lets a receiver drop a delivery it already processed. Header
values come from environment variables; with `signature`, the header (default
`X-Drift-Signature-256`) carries `sha256=<hex HMAC-SHA256 of the body>` keyed by a secret
from the environment, as GitHub signs its webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from alerts.http import dumps, endpoint, env_headers, env_value, post_json, resolve_url
from drift.notify.events import Batch, Event
from drift.settings import WebhookSettings
from drift.store.records import AcceptedRisk, FindingState

SCHEMA_ID = "design-drift/notification/v1"
DELIVERY_HEADER = "X-Drift-Delivery"
SIGNATURE_HEADER = "X-Drift-Signature-256"
SEVERITIES_HIGH_FIRST = ("critical", "high", "medium", "low", "info")


def document(batch: Batch) -> dict[str, Any]:
    by_severity = Counter(f.severity for f in batch.open)
    return {
        "schema": SCHEMA_ID,
        "target": batch.target,
        "cluster": batch.cluster,
        "run": {"id": batch.run_id, "outcome": str(batch.outcome), "at": _time(batch.at)},
        "events": [event_json(e) for e in batch.events],
        "open": {
            "count": len(batch.open),
            "bySeverity": {s: by_severity.get(s, 0) for s in SEVERITIES_HIGH_FIRST},
        },
    }


def event_json(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"event": str(event.type), "finding": finding_json(event.finding)}
    if event.acceptance is not None:
        out["acceptance"] = acceptance_json(event.acceptance)
    return out


def finding_json(state: FindingState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fingerprint": state.fingerprint,
        "kind": state.kind,
        "severity": state.severity,
        "title": state.title,
        "detail": state.detail,
        "subjects": list(state.subjects),
        "clause": state.clause,
        "baselineVersion": state.baseline_version,
        "status": str(state.status),
        "firstSeen": _time(state.first_seen),
        "lastSeen": _time(state.last_seen),
        "evidence": [dict(e) for e in state.evidence],
    }
    if state.resolved_at is not None:
        out["resolvedAt"] = _time(state.resolved_at)
    if state.zone:
        out["zone"] = state.zone
    if state.location is not None:
        out["location"] = dict(state.location)
    if state.path:
        out["path"] = [dict(step) for step in state.path]
    return out


def acceptance_json(risk: AcceptedRisk) -> dict[str, Any]:
    return {
        "reason": risk.reason,
        "owner": risk.owner,
        "acceptedAt": _time(risk.accepted_at),
        "until": _time(risk.until),
    }


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class WebhookNotifier:
    def __init__(
        self,
        *,
        url: str,
        headers: Mapping[str, str] | None = None,
        secret: bytes | None = None,
        signature_header: str = SIGNATURE_HEADER,
        timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._headers = dict(headers or {})
        self._secret = secret
        self._signature_header = signature_header
        self._timeout = timeout

    def __repr__(self) -> str:  # never the path, userinfo, headers or secret
        return f"WebhookNotifier({endpoint(self._url)})"

    def send(self, batch: Batch) -> bool:
        if not batch.events:
            return False  # nothing changed: nothing to say
        body = dumps(document(batch))
        headers = {**self._headers, DELIVERY_HEADER: batch.run_id}
        if self._secret is not None:
            headers[self._signature_header] = signature(self._secret, body)
        post_json(self._url, body, headers, self._timeout)
        return True


def from_settings(settings: WebhookSettings, environ: Mapping[str, str]) -> WebhookNotifier:
    """The `drift.notifiers` entry point `webhook`."""
    signed = settings.signature
    return WebhookNotifier(
        url=resolve_url(settings.url, settings.url_env, environ),
        headers=env_headers(settings.headers_from_env, environ),
        secret=env_value(signed.secret_env, environ, "signature").encode() if signed else None,
        signature_header=signed.header if signed else SIGNATURE_HEADER,
        timeout=settings.timeout,
    )
