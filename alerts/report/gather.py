"""Read everything one report needs from the store, once (the only I/O of the report)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from alerts.report.content import Design, Snapshot, TrendPoint
from drift.baseline.load import parse_baseline
from drift.errors import InputError
from drift.reporting import ReportRequest
from drift.store.records import RunRecord, Store

log = logging.getLogger(__name__)

TREND_WEEKS = 8


def gather(store: Store, request: ReportRequest) -> Snapshot:
    wanted = set(request.targets)
    findings = tuple(f for f in store.findings() if not wanted or f.target in wanted)
    runs = tuple(
        r
        for r in store.runs(since=request.since, until=request.now, limit=None)
        if not wanted or r.target in wanted
    )
    targets = tuple(sorted(wanted or {f.target for f in findings} | {r.target for r in runs}))
    latest = {t: found[0] for t in targets if (found := store.runs(target=t, limit=1))}
    return Snapshot(
        request=request,
        targets=targets,
        findings=findings,
        accepted=store.accepted(request.now),
        runs=runs,
        latest=latest,
        designs=_designs(store, _judged(targets, runs, latest)),
        points=_points(store, request.now, targets),
    )


def trend_instants(now: datetime, weeks: int = TREND_WEEKS) -> list[datetime]:
    """The end of each of the last `weeks` weeks, oldest first; the last one is `now`."""
    return [now - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def _points(store: Store, now: datetime, targets: Iterable[str]) -> tuple[TrendPoint, ...]:
    names = list(targets)
    points = []
    for at in trend_instants(now):
        # `until` is exclusive: a run started at the very instant counts as watching by then.
        until = at + timedelta(microseconds=1)
        watched = any(store.runs(target=t, until=until, limit=1) for t in names)
        points.append(TrendPoint(at=at, monitored=watched, accepted=store.accepted(at)))
    return tuple(points)


def _judged(
    targets: Iterable[str], runs: Iterable[RunRecord], latest: dict[str, RunRecord]
) -> list[RunRecord]:
    """Per target, its latest run that judged against a baseline (failed runs judge none)."""
    judged: dict[str, RunRecord] = {}
    for run in [*runs, *latest.values()]:  # most recent first, then the latest of all
        if run.baseline_name and run.target not in judged:
            judged[run.target] = run
    return [judged[t] for t in targets if t in judged]


def _designs(store: Store, runs: Iterable[RunRecord]) -> dict[str, Design]:
    designs = {}
    for run in runs:
        if not run.baseline_name:
            continue  # a failed run judged nothing
        records = {b.sha256: b for b in store.baselines(run.baseline_name)}
        record = records.get(run.baseline_sha256)
        if record is None:
            designs[run.target] = Design(name=run.baseline_name, version=run.baseline_version)
            continue
        try:
            baseline = parse_baseline(record.content.encode(), f"{record.name}@{record.version}")
        except InputError as exc:
            log.warning("baseline %s version %s: %s", record.name, record.version, exc)
            baseline = None
        designs[run.target] = Design(
            name=record.name,
            version=record.version,
            approved_by=record.approved_by,
            approved_at=record.approved_at,
            note=record.note,
            baseline=baseline.baseline if baseline is not None else None,
        )
    return designs
