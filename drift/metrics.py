"""Prometheus metrics, computed from the store at scrape time (never per-finding labels).

Low cardinality by design: findings are counted by kind, severity and zone; runs, scopes and
baselines by target. A scrape reads each table once (four queries, however many targets), so
the numbers are what is stored, never stale. docs/monitor.md lists every metric.

An accepted risk leaves the finding metrics while its acceptance is in force and is counted
in `drift_accepted_risks` instead; when the acceptance expires it counts (and alerts) again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from drift.findings import FindingKind, Severity
from drift.settings import Target
from drift.store.records import (
    OPEN_STATUSES,
    AcceptedRisk,
    FindingState,
    FindingStatus,
    RunOutcome,
    RunRecord,
    Store,
)

EXPIRING_WITHIN = timedelta(days=7)
NO_ZONE = "none"  # the zone label of a finding outside every designed zone


@dataclass(frozen=True, kw_only=True)
class _Open:
    """The open findings of one scrape, split by whether an acceptance covers them."""

    counted: list[FindingState]
    accepted: list[tuple[FindingState, AcceptedRisk]]


class StoreCollector(Collector):
    """Reads the store on every scrape. `targets` are the configured ones: their intervals
    are exported so that an alert can tell a stale monitor from a slow schedule."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], targets: Sequence[Target] = ()
    ) -> None:
        self._store = store
        self._clock = clock
        self._targets = tuple(targets)

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        found = _split(self._store.findings(statuses=OPEN_STATUSES), self._store.accepted(now))
        yield _open_findings(found.counted)
        yield _unverifiable(found.counted)
        yield _new_findings(self._store.new_finding_totals())
        yield from _accepted_risks(found.accepted, now)
        yield from _run_metrics(self._store.latest_runs())
        yield _intervals(self._targets)


def _split(findings: Iterable[FindingState], accepted: Mapping[str, AcceptedRisk]) -> _Open:
    """An acceptance covers a finding with its fingerprint, on its own target if it names one."""
    counted, covered = [], []
    for finding in findings:
        risk = accepted.get(finding.fingerprint)
        if risk is not None and risk.target in (None, finding.target):
            covered.append((finding, risk))
        else:
            counted.append(finding)
    return _Open(counted=counted, accepted=covered)


def _open_findings(findings: Iterable[FindingState]) -> Metric:
    family = GaugeMetricFamily(
        "drift_findings_open",
        "Open findings (new, open, unverifiable; not accepted) by kind, severity and zone "
        f"('{NO_ZONE}': outside every designed zone).",
        labels=["kind", "severity", "zone"],
    )
    counts = Counter((f.kind, f.severity, f.zone or NO_ZONE) for f in findings)
    for labels, count in sorted(counts.items()):
        family.add_metric(list(labels), count)
    return family


def _unverifiable(findings: Iterable[FindingState]) -> Metric:
    family = GaugeMetricFamily(
        "drift_findings_unverifiable",
        "Open findings (not accepted) whose data could not be collected in the latest run, "
        "by kind: neither confirmed nor resolved.",
        labels=["kind"],
    )
    counts = Counter(f.kind for f in findings if f.status is FindingStatus.UNVERIFIABLE)
    for kind, count in sorted(counts.items()):
        family.add_metric([kind], count)
    return family


def _new_findings(totals: Mapping[tuple[str, str], int]) -> Metric:
    """Every known kind and severity from zero, so that the first new finding of a kind is
    an increase Prometheus can see (a series born at 1 shows no increase)."""
    family = CounterMetricFamily(
        "drift_findings_new",
        "Findings that runs found new (first seen, or seen again after being resolved), "
        "by kind and severity, summed over every stored run.",
        labels=["kind", "severity"],
    )
    known = {(str(kind), str(severity)): 0 for kind in FindingKind for severity in Severity}
    for (kind, severity), total in sorted((known | dict(totals)).items()):
        family.add_metric([kind, severity], total)
    return family


def _accepted_risks(
    covered: Sequence[tuple[FindingState, AcceptedRisk]], now: datetime
) -> Iterator[Metric]:
    in_force = GaugeMetricFamily(
        "drift_accepted_risks",
        "Open findings whose risk is accepted (acceptance in force), by kind.",
        labels=["kind"],
    )
    expiring = GaugeMetricFamily(
        "drift_accepted_risks_expiring",
        f"Accepted risks of open findings whose acceptance expires within "
        f"{EXPIRING_WITHIN.days} days, by kind.",
        labels=["kind"],
    )
    soon = now + EXPIRING_WITHIN
    for family, counts in (
        (in_force, Counter(f.kind for f, _ in covered)),
        (expiring, Counter(f.kind for f, risk in covered if risk.until <= soon)),
    ):
        for kind, count in sorted(counts.items()):
            family.add_metric([kind], count)
        yield family


def _run_metrics(latest: Sequence[RunRecord]) -> Iterator[Metric]:
    """`latest`: per target, the newest run of each outcome, most recent first."""
    newest: dict[str, RunRecord] = {}
    succeeded: dict[str, RunRecord] = {}
    judged: dict[str, RunRecord] = {}
    for run in latest:
        newest.setdefault(run.target, run)
        if run.outcome is RunOutcome.OK:
            succeeded.setdefault(run.target, run)
        if run.outcome is not RunOutcome.FAILED:
            judged.setdefault(run.target, run)
    yield _last_success(succeeded)
    yield _durations(newest)
    yield _scope_status(newest)
    yield _baselines(judged)


def _last_success(runs: Mapping[str, RunRecord]) -> Metric:
    family = GaugeMetricFamily(
        "drift_last_successful_run_timestamp_seconds",
        "When the last run that collected everything finished, per target (Unix time).",
        labels=["target"],
    )
    for target, run in sorted(runs.items()):
        family.add_metric([target], run.finished_at.timestamp())
    return family


def _durations(runs: Mapping[str, RunRecord]) -> Metric:
    family = GaugeMetricFamily(
        "drift_last_run_duration_seconds",
        "How long the latest run took, per target.",
        labels=["target"],
    )
    for target, run in sorted(runs.items()):
        family.add_metric([target], (run.finished_at - run.started_at).total_seconds())
    return family


def _scope_status(runs: Mapping[str, RunRecord]) -> Metric:
    family = GaugeMetricFamily(
        "drift_collection_scope_status",
        "1 for the outcome of each scope in the latest run of each target (ok, forbidden, "
        "failed, not-installed); scope '*' is a run that failed as a whole.",
        labels=["target", "scope", "status"],
    )
    seen = {
        (target, scope["scope"], scope["status"].replace(" ", "-"))
        for target, run in runs.items()
        for scope in run.scopes
    }
    for labels in sorted(seen):
        family.add_metric(list(labels), 1)
    return family


def _baselines(runs: Mapping[str, RunRecord]) -> Metric:
    family = InfoMetricFamily(
        "drift_baseline",
        "The baseline (name and version) the latest judging run of each target used.",
        labels=["target"],
    )
    for target, run in sorted(runs.items()):
        family.add_metric([target], {"name": run.baseline_name, "version": run.baseline_version})
    return family


def _intervals(targets: Iterable[Target]) -> Metric:
    family = GaugeMetricFamily(
        "drift_target_interval_seconds",
        "How often each configured target is run.",
        labels=["target"],
    )
    for target in sorted(targets, key=lambda t: t.name):
        family.add_metric([target.name], target.interval_seconds)
    return family
