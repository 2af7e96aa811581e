"""Findings pushed to Alertmanager's v2 API (`POST <url>/api/v2/alerts`), for teams that route
through Alertmanager without Prometheus scraping the monitor.

Every cycle re-sends every open finding (new, open, unverifiable; not accepted) with `endsAt`
= now + `resolveAfterIntervals` (default 3) times the target's interval: the alert stays active
while the monitor keeps running, and resolves by itself a few intervals after the monitor
stops. A finding resolved, or accepted, in the cycle is sent once with `endsAt` = now, which
resolves it at once; so is the earlier version of a finding whose severity or zone changed
(those are labels, and labels are an alert's identity in Alertmanager).

Labels: alertname, kind, severity, target, cluster, zone (when known), fingerprint, and the
settings' own `labels`. Annotations: title, detail, clause, evidence (a summary), subjects,
status, baseline_version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from alerts.http import dumps, endpoint, env_headers, post_json, resolve_url
from drift.notify.events import Batch, EventType
from drift.settings import AlertmanagerSettings
from drift.store.records import FindingState

API_PATH = "/api/v2/alerts"
_RESOLVING = frozenset({EventType.RESOLVED, EventType.ACCEPTED})
_EVIDENCE_SHOWN = 3
_ANNOTATION_MAX = 2000  # characters; a long detail is cut, not refused


@dataclass(frozen=True, kw_only=True)
class AlertOptions:
    alertname: str = "DesignDrift"
    resolve_after_intervals: int = 3
    generator_url: str | None = None  # may hold {target} and {fingerprint}
    labels: Mapping[str, str] = field(default_factory=dict)


def alerts(batch: Batch, options: AlertOptions) -> list[dict[str, Any]]:
    """The alerts of one batch: the open findings, then those that resolve now."""
    lasting = batch.at + timedelta(seconds=options.resolve_after_intervals * batch.interval_seconds)
    ending = [e.finding for e in batch.events if e.type in _RESOLVING]
    return [alert(f, batch, options, lasting) for f in batch.open] + [
        alert(f, batch, options, batch.at) for f in (*ending, *batch.superseded)
    ]


def alert(
    finding: FindingState, batch: Batch, options: AlertOptions, ends_at: datetime
) -> dict[str, Any]:
    labels = {
        **options.labels,
        "alertname": options.alertname,
        "kind": finding.kind,
        "severity": finding.severity,
        "target": finding.target,
        "cluster": batch.cluster,
        "zone": finding.zone,
        "fingerprint": finding.fingerprint,
    }
    annotations = {
        "title": finding.title,
        "detail": finding.detail,
        "clause": finding.clause,
        "evidence": evidence_summary(finding.evidence),
        "subjects": ", ".join(finding.subjects),
        "status": str(finding.status),
        "baseline_version": finding.baseline_version,
    }
    out: dict[str, Any] = {
        "labels": {k: v for k, v in labels.items() if v},
        "annotations": {k: _cut(v) for k, v in annotations.items() if v},
        "startsAt": rfc3339(min(finding.first_seen, ends_at)),
        "endsAt": rfc3339(ends_at),
    }
    if options.generator_url:
        out["generatorURL"] = options.generator_url.replace(
            "{target}", quote(finding.target, safe="")
        ).replace("{fingerprint}", quote(finding.fingerprint, safe=""))
    return out


def evidence_summary(evidence: Sequence[Mapping[str, Any]]) -> str:
    texts = [str(e.get("text", "")) for e in evidence]
    shown = "; ".join(texts[:_EVIDENCE_SHOWN])
    more = len(texts) - _EVIDENCE_SHOWN
    return f"{shown} (+{more} more)" if more > 0 else shown


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cut(text: str) -> str:
    return text if len(text) <= _ANNOTATION_MAX else text[: _ANNOTATION_MAX - 1] + "…"


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class AlertmanagerNotifier:
    """`send` posts a batch's alerts, `alerts_per_request` per request."""

    def __init__(
        self,
        *,
        url: str,
        options: AlertOptions | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        alerts_per_request: int = 500,
    ) -> None:
        self._url = url.rstrip("/") + API_PATH
        self._options = options or AlertOptions()
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._per_request = alerts_per_request

    def __repr__(self) -> str:  # never the path, userinfo or headers
        return f"AlertmanagerNotifier({endpoint(self._url)})"

    def send(self, batch: Batch) -> bool:
        """False when nothing is open and nothing resolves (no request is made)."""
        sent = False
        for chunk in _chunks(alerts(batch, self._options), self._per_request):
            post_json(self._url, dumps(chunk), self._headers, self._timeout)
            sent = True
        return sent


def from_settings(
    settings: AlertmanagerSettings, environ: Mapping[str, str]
) -> AlertmanagerNotifier:
    """The `drift.notifiers` entry point `alertmanager`."""
    return AlertmanagerNotifier(
        url=resolve_url(settings.url, settings.url_env, environ),
        options=AlertOptions(
            alertname=settings.alertname,
            resolve_after_intervals=settings.resolve_after_intervals,
            generator_url=settings.generator_url,
            labels=settings.labels,
        ),
        headers=env_headers(settings.headers_from_env, environ),
        timeout=settings.timeout,
        alerts_per_request=settings.alerts_per_request,
    )
