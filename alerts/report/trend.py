"""Open drift per week, by severity, reconstructed from the findings' own history (pure).

Decision (docs/report.md): a run's counts say how many findings it saw per status, but not
per severity, and one number per run cannot be split by zone or accepted risk later. Each
finding's `first_seen` and `resolved_at` can: a finding was open at instant t when
`first_seen <= t < resolved_at` (or it is still unresolved). Acceptances in force at t (the
store answers `accepted(t)` for any t) are left out, as the `drift_findings_open` metric does.
The one thing the store does not keep is a resolution followed by a re-opening: such a finding
counts as open through the gap. Weeks before any run are "not monitored", never zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.report.content import Segment, Trend, TrendPoint, Week
from alerts.report.words import SEVERITIES, SEVERITY_COLOURS, severity_rank
from drift.store.records import FindingState

BAR_WIDTH = 420  # pixels of the longest bar
MIN_SEGMENT = 3  # a segment of one finding stays visible


def open_at(finding: FindingState, at: datetime) -> bool:
    return finding.first_seen <= at and (finding.resolved_at is None or at < finding.resolved_at)


def accepted_at(finding: FindingState, point: TrendPoint) -> bool:
    risk = point.accepted.get(finding.fingerprint)
    return risk is not None and risk.target in (None, finding.target)


def counts_at(findings: Iterable[FindingState], point: TrendPoint) -> tuple[Counter[str], int]:
    """Open findings at the point by severity (not accepted), and how many were accepted."""
    counts: Counter[str] = Counter()
    accepted = 0
    for finding in findings:
        if not open_at(finding, point.at):
            continue
        if accepted_at(finding, point):
            accepted += 1
        else:
            counts[finding.severity] += 1
    return counts, accepted


def trend(findings: Iterable[FindingState], points: Iterable[TrendPoint], zone: ZoneInfo) -> Trend:
    kept = list(findings)
    measured = [(point, *counts_at(kept, point)) for point in points]
    peak = max((sum(c.values()) for p, c, _ in measured if p.monitored), default=0)
    weeks = tuple(
        _week(point, counts, accepted, peak, zone) for point, counts, accepted in measured
    )
    return Trend(weeks=weeks, bar_width=BAR_WIDTH, peak=peak)


def _week(
    point: TrendPoint, counts: Counter[str], accepted: int, peak: int, zone: ZoneInfo
) -> Week:
    ordered = sorted(counts, key=severity_rank)
    segments = tuple(
        Segment(
            severity=severity,
            count=counts[severity],
            width=max(MIN_SEGMENT, round(BAR_WIDTH * counts[severity] / peak)),
            colour=SEVERITY_COLOURS.get(severity, "#6b7280"),
        )
        for severity in ordered
        if counts[severity] and point.monitored
    )
    return Week(
        label=point.at.astimezone(zone).strftime("%-d %b"),
        monitored=point.monitored,
        total=sum(counts.values()) if point.monitored else 0,
        accepted=accepted if point.monitored else 0,
        segments=segments,
        counts={s: counts.get(s, 0) for s in (*SEVERITIES, *sorted(set(counts) - set(SEVERITIES)))},
    )
