"""`exposure.widened`: a workload published past the cluster beyond what the design allows
(not allowed at all, more widely than its allowed scope, or on other ports)."""

from __future__ import annotations

from collections import defaultdict

from drift.baseline.load import LoadedBaseline
from drift.baseline.model import Publication
from drift.diff.design import DesignMap
from drift.diff.flows import ranges_ports
from drift.diff.wording import crown_jewel, display
from drift.findings import Finding, FindingKind, Severity
from drift.model import EdgeType, Evidence, ExposesEdge, ExposureScope, wider_scope
from drift.ports import PortSet

_SEVERITY = {
    ExposureScope.PUBLIC: Severity.HIGH,
    ExposureScope.UNKNOWN: Severity.MEDIUM,
    ExposureScope.INTERNAL: Severity.MEDIUM,
    ExposureScope.NODE: Severity.LOW,
}


def exposure_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    by_subject: dict[str, list[ExposesEdge]] = defaultdict(list)
    for edge in design.graph.edges(EdgeType.EXPOSES):
        assert isinstance(edge, ExposesEdge)
        by_subject[design.subject(edge.target)].append(edge)
    findings = []
    for subject, edges in sorted(by_subject.items()):
        finding = _judge(design, loaded, subject, edges)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge(
    design: DesignMap, loaded: LoadedBaseline, subject: str, edges: list[ExposesEdge]
) -> Finding | None:
    service = subject.removeprefix("service:") if subject.startswith("service:") else None
    allowed = design.baseline.services[service].public if service else None
    scope, ports = _widest(edges)
    problem = _beyond(allowed, scope, ports)
    if problem is None:
        return None
    severity = _SEVERITY[scope].raised() if crown_jewel(design, subject) else _SEVERITY[scope]
    path = ("services", service, "public") if service else ("services",)
    evidence = tuple(
        Evidence(text=f"{via.text} ({edge.scope})", source=via.source)
        for edge in edges
        for via in edge.via
    )
    return Finding(
        kind=FindingKind.EXPOSURE_WIDENED,
        severity=severity,
        cluster=design.graph.cluster,
        subjects=(subject,),
        title=f"{display(subject)} is published {scope} on {ports.describe()}; {problem}",
        detail="; ".join(v.text for e in edges for v in e.via),
        ports=ports,
        evidence=evidence,
        clause=loaded.clause(path),
        baseline_version=loaded.version,
        location=next((e.source for e in evidence if e.source is not None), None),
    )


def _widest(edges: list[ExposesEdge]) -> tuple[ExposureScope, PortSet]:
    scope, ports = ExposureScope.NODE, PortSet.empty()
    for edge in edges:
        scope, ports = wider_scope(scope, edge.scope), ports | edge.ports
    return scope, ports


def _beyond(allowed: Publication | None, scope: ExposureScope, ports: PortSet) -> str | None:
    """Why this publication goes beyond the design, or None when it does not."""
    if allowed is None:
        return "the design does not allow publishing it"
    if wider_scope(scope, ExposureScope(allowed.scope)) != ExposureScope(allowed.scope):
        return f"the design allows {allowed.scope} at most"
    extra = ports - ranges_ports(allowed.ports)
    if extra:
        return f"the design does not allow {extra.describe()}"
    return None
