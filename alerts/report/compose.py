"""From what the store holds to what the report says (pure): sections, groups, numbers.

Which section a finding lands in (docs/report.md):
- accepted (an acceptance in force now) — whatever else is true of it;
- **drifted**: new or open, first seen in the period, or re-opened (status `new` with an
  earlier first_seen: seen again after it was resolved); those with an attack path are drawn
  in the blast-radius section instead of being listed twice;
- **still open**: new or open, first seen before the period;
- **unverifiable**: open, but its data could not be collected in the latest run;
- **resolved**: resolved within the period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.report.content import (
    Acceptance,
    DesignView,
    Health,
    Item,
    Report,
    ScopeProblem,
    SeverityGroup,
    Snapshot,
    Tile,
    ZoneGroup,
)
from alerts.report.diagram import attack_path, evidence_of
from alerts.report.trend import trend
from alerts.report.words import (
    SEVERITY_COLOURS,
    clause_words,
    kind_label,
    severity_rank,
    subject_name,
)
from drift.baseline.model import Baseline
from drift.store.records import AcceptedRisk, FindingState, FindingStatus, RunOutcome, RunRecord

EXPIRY_WARNING = timedelta(days=14)
BLAST_RADIUS = "blast-radius.widened"
NO_ZONE = "(no zone)"
_LIVE = frozenset({FindingStatus.NEW, FindingStatus.OPEN})
_COLLECTED = frozenset({"ok", "not installed"})  # drift.collect.ScopeStatus, as stored


class Composer:
    """Turns one snapshot into a report; holds what every section needs (time zone, designs)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snap = snapshot
        self.request = snapshot.request
        self.zone = ZoneInfo(self.request.timezone)

    # -- dates ------------------------------------------------------------------------------

    def day(self, when: datetime) -> str:
        return when.astimezone(self.zone).strftime("%-d %b %Y")

    def moment(self, when: datetime) -> str:
        return when.astimezone(self.zone).strftime("%a %-d %b %Y, %H:%M %Z")

    def period(self) -> str:
        """`17 Mar to 24 Mar 2025` (the year once when both ends share it)."""
        start, end = self.day(self.request.since), self.day(self.request.now)
        if start[-4:] == end[-4:]:
            start = start[:-5]
        return f"{start} to {end}"

    # -- findings ---------------------------------------------------------------------------

    def baseline(self, target: str) -> Baseline | None:
        design = self.snap.designs.get(target)
        return design.baseline if design is not None else None

    def risk(self, finding: FindingState) -> AcceptedRisk | None:
        risk = self.snap.accepted.get(finding.fingerprint)
        return risk if risk is not None and risk.target in (None, finding.target) else None

    def item(self, finding: FindingState) -> Item:
        since, now = self.request.since, self.request.now
        new = finding.first_seen >= since
        return Item(
            target=finding.target,
            fingerprint=finding.fingerprint,
            kind=finding.kind,
            kind_label=kind_label(finding.kind),
            severity=finding.severity,
            colour=SEVERITY_COLOURS.get(finding.severity, "#6b7280"),
            zone=finding.zone or NO_ZONE,
            title=finding.title,
            detail=finding.detail,
            clause=clause_words(finding.clause),
            subjects=tuple(subject_name(s) for s in finding.subjects),
            evidence=evidence_of(finding.evidence),
            status=str(finding.status),
            first_seen=self.day(finding.first_seen),
            last_seen=self.day(finding.last_seen),
            resolved_at=self.day(finding.resolved_at) if finding.resolved_at else "",
            open_days=max(0, ((finding.resolved_at or now) - finding.first_seen).days),
            new_in_period=new,
            reopened=not new and finding.status is FindingStatus.NEW,
            path=attack_path(
                finding.path,
                self.baseline(finding.target),
                ends_at_jewel=finding.kind == BLAST_RADIUS,
            ),
            why_unverifiable=self.why_unverifiable(finding),
        )

    def zone_description(self, zone: str) -> str:
        """What the design says of a zone: its namespaces and description."""
        for design in self.snap.designs.values():
            found = design.baseline.zones.get(zone) if design.baseline else None
            if found is not None:
                namespaces = ", ".join(found.namespaces) or "by namespace labels"
                return " · ".join(x for x in (f"namespaces {namespaces}", found.description) if x)
        return ""

    def why_unverifiable(self, finding: FindingState) -> str:
        if finding.status is not FindingStatus.UNVERIFIABLE:
            return ""
        run = self.snap.latest.get(finding.target)
        missing = [
            f"{s.get('scope', '?')} ({s.get('status', '?')})"
            for s in (run.scopes if run else ())
            if s.get("status") not in _COLLECTED
        ]
        return "not collected in the latest run: " + ", ".join(missing) if missing else ""

    # -- sections ---------------------------------------------------------------------------

    def compose(self) -> Report:
        live, accepted = self.partition()
        drifted = [i for i in live if i.new_in_period or i.reopened]
        blast = [i for i in drifted if i.path is not None]
        listed = [i for i in drifted if i.path is None]
        resolved = self.resolved()
        expiring = tuple(a for a in accepted if a.expiring)
        unverifiable = tuple(self.item(f) for f in self.unverifiable())
        still_open = [i for i in live if not (i.new_in_period or i.reopened)]
        health = self.health()
        report = Report(
            subject=self.subject(drifted, resolved),
            period=self.period(),
            generated=self.moment(self.request.now),
            timezone=self.request.timezone,
            targets=self.snap.targets,
            tiles=self.tiles(drifted, resolved, still_open, accepted, unverifiable, health),
            headline=self.headline(drifted, blast, expiring, health),
            blast=tuple(_by_severity(blast)),
            blast_resolved=tuple(i for i in resolved if i.path is not None),
            drifted=group(listed, self.zone_description),
            drifted_count=len(drifted),
            resolved=resolved,
            accepted=accepted,
            expiring=expiring,
            expiry_days=EXPIRY_WARNING.days,
            still_open=tuple(_by_severity(still_open)),
            unverifiable=unverifiable,
            health=health,
            designs=self.designs(),
            trend=trend(self.snap.findings, self.snap.points, self.zone),
            summary="",
        )
        return _with_summary(report)

    def partition(self) -> tuple[list[Item], tuple[Acceptance, ...]]:
        """Open findings not accepted (new/open), and the acceptances of the store's findings."""
        live, accepted = [], []
        for finding in self.snap.findings:
            risk = self.risk(finding)
            if risk is not None:
                accepted.append(self.acceptance(finding, risk))
            elif finding.status in _LIVE:
                live.append(self.item(finding))
        accepted.sort(key=lambda a: (a.days_left, severity_rank(a.item.severity)))
        return live, tuple(accepted)

    def acceptance(self, finding: FindingState, risk: AcceptedRisk) -> Acceptance:
        left = risk.until - self.request.now
        return Acceptance(
            item=self.item(finding),
            owner=risk.owner,
            reason=risk.reason,
            until=self.day(risk.until),
            accepted_at=self.day(risk.accepted_at),
            days_left=max(0, left.days),
            expiring=left <= EXPIRY_WARNING,
        )

    def unverifiable(self) -> list[FindingState]:
        found = [f for f in self.snap.findings if f.status is FindingStatus.UNVERIFIABLE]
        return [f for f in found if self.risk(f) is None]

    def resolved(self) -> tuple[Item, ...]:
        since = self.request.since
        done = [
            f
            for f in self.snap.findings
            if f.status is FindingStatus.RESOLVED and f.resolved_at and f.resolved_at >= since
        ]
        return tuple(_by_severity(self.item(f) for f in done))

    def health(self) -> tuple[Health, ...]:
        return tuple(self.target_health(t) for t in self.snap.targets)

    def target_health(self, target: str) -> Health:
        runs = [r for r in self.snap.runs if r.target == target]
        outcomes = Counter(r.outcome for r in runs)
        latest = self.snap.latest.get(target)
        design = self.snap.designs.get(target)
        healthy = bool(runs) and outcomes[RunOutcome.OK] == len(runs)
        return Health(
            target=target,
            runs=len(runs),
            ok=outcomes[RunOutcome.OK],
            incomplete=outcomes[RunOutcome.INCOMPLETE],
            failed=outcomes[RunOutcome.FAILED],
            last_run=self.moment(latest.started_at) if latest else "never",
            last_outcome=str(latest.outcome) if latest else "",
            design=f"{design.name} version {design.version}" if design else "",
            problems=_scope_problems(runs),
            healthy=healthy,
        )

    def designs(self) -> tuple[DesignView, ...]:
        by_version: dict[tuple[str, str], list[str]] = {}
        for target, design in sorted(self.snap.designs.items()):
            by_version.setdefault((design.name, design.version), []).append(target)
        views = []
        for (name, version), targets in sorted(by_version.items()):
            design = self.snap.designs[targets[0]]
            baseline = design.baseline
            approved = (
                f"approved by {design.approved_by} on {self.day(design.approved_at)}"
                if design.approved_by and design.approved_at
                else "not approved: judged as the file is"
            )
            views.append(
                DesignView(
                    name=name,
                    version=version,
                    targets=tuple(targets),
                    approved=approved,
                    note=design.note,
                    description=baseline.metadata.description if baseline else "",
                    crown_jewels=_crown_jewels(baseline),
                    zones=tuple(sorted(baseline.zones)) if baseline else (),
                )
            )
        return tuple(views)

    # -- the words at the top -------------------------------------------------------------

    def subject(self, drifted: Sequence[Item], resolved: Sequence[Item]) -> str:
        names = ", ".join(sorted({d.name for d in self.snap.designs.values()})) or "design drift"
        return (
            f"Design drift, {names}, {self.period()}: "
            f"{_count(len(drifted), 'new finding')}{_severities(drifted)}, "
            f"{len(resolved)} resolved"
        )

    def tiles(
        self,
        drifted: Sequence[Item],
        resolved: Sequence[Item],
        still_open: Sequence[Item],
        accepted: Sequence[Acceptance],
        unverifiable: Sequence[Item],
        health: Sequence[Health],
    ) -> tuple[Tile, ...]:
        troubled = sum(h.failed + h.incomplete for h in health)
        return (
            Tile(label="new drift", value=len(drifted), colour="#b91c1c" if drifted else "#111827"),
            Tile(label="resolved", value=len(resolved), colour="#15803d"),
            Tile(label="still open", value=len(still_open), colour="#111827"),
            Tile(label="accepted", value=len(accepted), colour="#111827"),
            Tile(
                label="unverifiable",
                value=len(unverifiable),
                colour="#b45309" if unverifiable else "#111827",
            ),
            Tile(
                label="runs failed or incomplete",
                value=troubled,
                colour="#b45309" if troubled else "#111827",
            ),
        )

    def headline(
        self,
        drifted: Sequence[Item],
        blast: Sequence[Item],
        expiring: Sequence[Acceptance],
        health: Sequence[Health],
    ) -> str:
        parts = []
        if blast:
            jewels = sorted({i.path.nodes[-1].name for i in blast if i.path})
            parts.append(f"An attacker can newly reach {', '.join(jewels)}.")
        if drifted:
            parts.append(
                f"{_count(len(drifted), 'finding')} drifted from the approved design in this "
                f"period{_severities(drifted)}."
            )
        else:
            parts.append("Nothing drifted from the approved design in this period.")
        if expiring:
            verb = "expires" if len(expiring) == 1 else "expire"
            parts.append(f"{_count(len(expiring), 'accepted risk')} {verb} within 14 days.")
        if any(not h.healthy for h in health):
            parts.append("The monitor did not see everything: see its health below.")
        return " ".join(parts)


def compose(snapshot: Snapshot) -> Report:
    return Composer(snapshot).compose()


def _by_severity(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (severity_rank(i.severity), i.zone, i.title))


def group(items: Iterable[Item], describe: Callable[[str], str]) -> tuple[SeverityGroup, ...]:
    """Items by severity (most severe first), then by zone (by name)."""
    by_severity: dict[str, dict[str, list[Item]]] = {}
    for item in _by_severity(items):
        by_severity.setdefault(item.severity, {}).setdefault(item.zone, []).append(item)
    return tuple(
        SeverityGroup(
            severity=severity,
            colour=SEVERITY_COLOURS.get(severity, "#6b7280"),
            count=sum(len(z) for z in zones.values()),
            zones=tuple(
                ZoneGroup(zone=zone, description=describe(zone), items=tuple(listed))
                for zone, listed in zones.items()
            ),
        )
        for severity, zones in by_severity.items()
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _severities(items: Sequence[Item]) -> str:
    """` (1 critical, 2 high)`, most severe first; '' for no items."""
    counts = Counter(i.severity for i in items)
    ordered = sorted(counts, key=severity_rank)
    return f" ({', '.join(f'{counts[s]} {s}' for s in ordered)})" if counts else ""


def _scope_problems(runs: Sequence[RunRecord]) -> tuple[ScopeProblem, ...]:
    """Scopes not collected in some run of the period, with the latest detail."""
    seen: dict[tuple[str, str], ScopeProblem] = {}
    for run in runs:  # most recent first: the first detail kept is the latest
        for scope in run.scopes:
            status = str(scope.get("status", ""))
            if status in _COLLECTED:
                continue
            name = str(scope.get("scope", ""))
            key = ("the whole collection" if name == "*" else name, status)
            earlier = seen.get(key)
            seen[key] = ScopeProblem(
                scope=key[0],
                status=status,
                detail=earlier.detail if earlier else str(scope.get("detail", "")),
                runs=(earlier.runs if earlier else 0) + 1,
            )
    return tuple(seen.values())


def _crown_jewels(baseline: Baseline | None) -> tuple[str, ...]:
    if baseline is None:
        return ()
    return tuple(sorted(n for n, s in baseline.services.items() if s.crown_jewel))


def _with_summary(report: Report) -> Report:
    numbers = ", ".join(f"{t.value} {t.label}" for t in report.tiles)
    return replace(report, summary=f"{report.period}: {numbers}")
