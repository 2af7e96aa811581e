"""What the report says, as plain frozen records the templates only lay out.

`Snapshot` is what was read from the store (`gather`); `Report` is what the report shows
(`compose`), already in the design's words, ordered and with the chart's widths computed, so
the templates hold no logic beyond loops and the HTML stays testable through these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drift.baseline.model import Baseline
from drift.reporting import ReportRequest
from drift.store.records import AcceptedRisk, FindingState, RunRecord

# -- read from the store -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Design:
    """The approved baseline version a target was last judged against."""

    name: str
    version: str
    approved_by: str | None = None
    approved_at: datetime | None = None
    note: str = ""
    baseline: Baseline | None = None  # None: the stored text no longer parses


@dataclass(frozen=True, kw_only=True)
class TrendPoint:
    """One instant of the trend (a week's end): were we watching, and what was accepted."""

    at: datetime
    monitored: bool  # some run had started by then
    accepted: Mapping[str, AcceptedRisk] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    request: ReportRequest
    targets: tuple[str, ...]
    findings: tuple[FindingState, ...]
    accepted: Mapping[str, AcceptedRisk]  # in force at `request.now`, by fingerprint
    runs: tuple[RunRecord, ...]  # started in the period, most recent first
    latest: Mapping[str, RunRecord]  # each target's latest run, even from before the period
    designs: Mapping[str, Design]  # by target
    points: tuple[TrendPoint, ...]  # oldest first


# -- what the report shows ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Evidence:
    text: str
    where: str = ""  # `workloads.yaml:41`


@dataclass(frozen=True, kw_only=True)
class Node:
    """A box of an attack-path diagram."""

    name: str  # in the design's words: the service, or `ServiceAccount shop/web`
    role: str  # workload, identity, service, crown jewel, network, internet, resource
    note: str = ""  # its zone, or what the design says of it
    fill: str = "#ffffff"
    border: str = "#9ca3af"


@dataclass(frozen=True, kw_only=True)
class Step:
    """The arrow from one box to the next, and the objects that make it possible."""

    relation: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AttackPath:
    nodes: tuple[Node, ...]
    steps: tuple[Step, ...]  # steps[i] leads from nodes[i] to nodes[i + 1]


@dataclass(frozen=True, kw_only=True)
class Item:
    """One finding as the report shows it."""

    target: str
    fingerprint: str
    kind: str
    kind_label: str
    severity: str
    colour: str
    zone: str
    title: str
    detail: str
    clause: str
    subjects: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    status: str
    first_seen: str
    last_seen: str
    resolved_at: str = ""
    open_days: int = 0
    new_in_period: bool = False
    reopened: bool = False
    path: AttackPath | None = None
    why_unverifiable: str = ""


@dataclass(frozen=True, kw_only=True)
class ZoneGroup:
    zone: str  # `(no zone)` for findings outside every zone
    description: str
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class SeverityGroup:
    severity: str
    colour: str
    count: int
    zones: tuple[ZoneGroup, ...]


@dataclass(frozen=True, kw_only=True)
class Acceptance:
    item: Item
    owner: str
    reason: str
    until: str
    accepted_at: str
    days_left: int
    expiring: bool  # within the warning window (14 days)


@dataclass(frozen=True, kw_only=True)
class ScopeProblem:
    scope: str
    status: str
    detail: str
    runs: int  # in how many runs of the period


@dataclass(frozen=True, kw_only=True)
class Health:
    target: str
    runs: int
    ok: int
    incomplete: int
    failed: int
    last_run: str
    last_outcome: str
    design: str  # `online-shop version 3`
    problems: tuple[ScopeProblem, ...]
    healthy: bool

    @property
    def outcomes(self) -> str:
        """`all ok`, or `1 ok · 1 incomplete · 1 failed` (zeros left out)."""
        if self.runs and self.ok == self.runs:
            return "all ok"
        counts = [(self.ok, "ok"), (self.incomplete, "incomplete"), (self.failed, "failed")]
        return " · ".join(f"{n} {what}" for n, what in counts if n)


@dataclass(frozen=True, kw_only=True)
class DesignView:
    name: str
    version: str
    targets: tuple[str, ...]
    approved: str  # `by architecture-board@example.com on 2 Nov 2026`, or why not
    note: str
    description: str
    crown_jewels: tuple[str, ...]
    zones: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Segment:
    severity: str
    count: int
    width: int  # pixels
    colour: str


@dataclass(frozen=True, kw_only=True)
class Week:
    label: str  # the week's last day, `24 Nov`
    monitored: bool
    total: int
    accepted: int
    segments: tuple[Segment, ...]
    counts: Mapping[str, int]  # by severity, every severity present


@dataclass(frozen=True, kw_only=True)
class Trend:
    weeks: tuple[Week, ...]
    bar_width: int  # the pixels of the longest bar
    peak: int

    @property
    def monitored(self) -> tuple[Week, ...]:
        return tuple(w for w in self.weeks if w.monitored)

    @property
    def unmonitored(self) -> str:
        """`5 Oct to 16 Nov`: the weeks before the first run (always the first ones), or ''."""
        quiet = [w.label for w in self.weeks if not w.monitored]
        if not quiet:
            return ""
        return quiet[0] if len(quiet) == 1 else f"{quiet[0]} to {quiet[-1]}"


@dataclass(frozen=True, kw_only=True)
class Tile:
    label: str
    value: int
    colour: str  # of the number: red for new drift, green for resolved …


@dataclass(frozen=True, kw_only=True)
class Report:
    subject: str
    period: str  # `17 Nov to 24 Nov 2026`
    generated: str
    timezone: str
    targets: tuple[str, ...]
    tiles: tuple[Tile, ...]
    headline: str  # one sentence: what an architect must know first
    blast: tuple[Item, ...]
    blast_resolved: tuple[Item, ...]
    drifted: tuple[SeverityGroup, ...]
    drifted_count: int
    resolved: tuple[Item, ...]
    accepted: tuple[Acceptance, ...]
    expiring: tuple[Acceptance, ...]
    expiry_days: int
    still_open: tuple[Item, ...]
    unverifiable: tuple[Item, ...]
    health: tuple[Health, ...]
    designs: tuple[DesignView, ...]
    trend: Trend
    summary: str  # one line in numbers

    @property
    def crown_jewels(self) -> tuple[str, ...]:
        """Every crown jewel of the designs judged, by name."""
        return tuple(sorted({jewel for d in self.designs for jewel in d.crown_jewels}))
