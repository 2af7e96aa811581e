"""How findings name things and how severe they are: shared by every rule."""

from __future__ import annotations

from collections.abc import Iterable

from drift.diff.design import DesignMap
from drift.findings import Severity
from drift.k8s.objects import SourceRef
from drift.model import Evidence, WorkloadNode

# At most this many names or evidence lines in one finding; the rest are counted.
MAX_LISTED = 12


def listed(items: Iterable[str], *, sep: str = ", ", before_more: str = " ") -> str:
    """`a, b, c and 4 more`: the first MAX_LISTED items, then how many were left out."""
    names = list(items)
    shown = names[:MAX_LISTED]
    more = len(names) - len(shown)
    return sep.join(shown) + (f"{before_more}and {more} more" if more else "")


def distinct_evidence(items: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence once per text (the first of each), in order."""
    seen: dict[str, Evidence] = {}
    for item in items:
        seen.setdefault(item.text, item)
    return tuple(seen.values())


def first_source(evidence: Iterable[Evidence]) -> SourceRef | None:
    """Where a fix would go: the first evidence written in a file."""
    return next((e.source for e in evidence if e.source is not None), None)


def display(subject: str) -> str:
    """`service:web` → `web`; `k8s:c/unlisted` → `pods of unlisted namespaces`; `net:c/X` →
    `addresses X`; other node ids stay as they are."""
    if subject.startswith("service:"):
        return subject.removeprefix("service:")
    if subject.endswith("/unlisted") and subject.startswith("k8s:"):
        return "pods of unlisted namespaces"
    if subject.startswith("net:"):
        return "addresses " + subject.split("/", 1)[1]
    return subject


def crown_jewel(design: DesignMap, subject: str) -> bool:
    name = subject.removeprefix("service:")
    service = design.baseline.services.get(name) if subject.startswith("service:") else None
    return service is not None and service.crown_jewel


def flow_severity(
    design: DesignMap, source: str, target: str, node_ids: tuple[str, str]
) -> Severity:
    """Medium; low between pods of one service; raised once for crossing a zone boundary
    (or coming from outside any zone) and once for reaching a crown jewel."""
    if source == target and source.startswith("service:"):
        severity = Severity.LOW
    else:
        severity = Severity.MEDIUM
        if crosses_zones(design, *node_ids):
            severity = severity.raised()
    if crown_jewel(design, target):
        severity = severity.raised()
    return severity


def crosses_zones(design: DesignMap, source: str, target: str) -> bool:
    source_zone, target_zone = design.zone_of(source), design.zone_of(target)
    source_in_cluster = isinstance(design.graph.node(source), WorkloadNode)
    if not source_in_cluster or source_zone is None:
        return True
    return source_zone != target_zone
