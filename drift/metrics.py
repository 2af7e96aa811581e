"""Prometheus metrics, computed from the store at scrape time (never per-finding labels).

Low cardinality by design: findings are counted by kind and severity, runs by target. Issue 8
adds the rest (new-findings counter, accepted risks, per-scope outcomes, baseline info).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from drift.store.records import OPEN_STATUSES, RunOutcome, RunRecord, Store


class StoreCollector(Collector):
    """Reads the store on every scrape, so the numbers are what is stored, never stale."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        accepted = self._store.accepted(self._clock())
        # An accepted risk does not alert; when its acceptance expires it counts again.
        findings = [
            f for f in self._store.findings(statuses=OPEN_STATUSES) if f.fingerprint not in accepted
        ]
        runs = self._store.runs(limit=1000)
        open_findings = GaugeMetricFamily(
            "drift_findings_open",
            "Open findings (new, open, unverifiable; not accepted) by kind and severity.",
            labels=["kind", "severity"],
        )
        for (kind, severity), count in sorted(
            Counter((f.kind, f.severity) for f in findings).items()
        ):
            open_findings.add_metric([kind, severity], count)
        yield open_findings
        yield from _run_metrics(runs)


def _run_metrics(runs: list[RunRecord]) -> Iterator[Metric]:
    last_success = GaugeMetricFamily(
        "drift_last_successful_run_timestamp_seconds",
        "When the last run that collected everything finished, per target.",
        labels=["target"],
    )
    duration = GaugeMetricFamily(
        "drift_last_run_duration_seconds",
        "How long the latest run took, per target.",
        labels=["target"],
    )
    seen_success: set[str] = set()
    seen_latest: set[str] = set()
    for run in runs:  # most recent first
        if run.target not in seen_latest:
            seen_latest.add(run.target)
            seconds = (run.finished_at - run.started_at).total_seconds()
            duration.add_metric([run.target], seconds)
        if run.outcome is RunOutcome.OK and run.target not in seen_success:
            seen_success.add(run.target)
            last_success.add_metric([run.target], run.finished_at.timestamp())
    yield last_success
    yield duration
