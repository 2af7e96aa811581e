"""How findings name things and how severe they are: shared by every rule."""

from __future__ import annotations

from drift.diff.design import DesignMap
from drift.findings import Severity
from drift.model import WorkloadNode


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
