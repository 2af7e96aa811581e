"""`implicit-trust.no-default-deny`: a zone that requires default-deny has pods that no
NetworkPolicy isolates, so they admit (or open) anything not otherwise restricted."""

from __future__ import annotations

from collections.abc import Iterable

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, zone_members, zone_subject
from drift.findings import Finding, FindingKind, Severity, Unknown
from drift.model import Evidence, WorkloadNode


def default_deny_findings(
    design: DesignMap, loaded: LoadedBaseline
) -> tuple[list[Finding], list[Unknown]]:
    findings: list[Finding] = []
    unknowns: list[Unknown] = []
    members = zone_members(design)
    for name, zone in design.baseline.zones.items():
        required = zone.require.default_deny_directions()
        if not required:
            continue
        open_pods, undecided = _unisolated(members[name], required)
        if open_pods:
            findings.append(_finding(design, loaded, name, open_pods))
        unknowns.extend(_unknown(name, w, d) for w, d in undecided)
    return findings, unknowns


def _unisolated(
    workloads: Iterable[WorkloadNode], required: frozenset[str]
) -> tuple[list[tuple[WorkloadNode, str]], list[tuple[WorkloadNode, str]]]:
    open_pods, undecided = [], []
    for workload in workloads:
        for direction in sorted(required):
            isolated = (
                workload.isolated_ingress if direction == "Ingress" else workload.isolated_egress
            )
            if isolated is False:
                open_pods.append((workload, direction))
            elif isolated is None:
                undecided.append((workload, direction))
    return open_pods, undecided


def _finding(
    design: DesignMap, loaded: LoadedBaseline, zone: str, open_pods: list[tuple[WorkloadNode, str]]
) -> Finding:
    directions = sorted({d for _, d in open_pods})
    severity = Severity.HIGH if "Ingress" in directions else Severity.MEDIUM
    workloads = sorted({w.id for w, _ in open_pods})
    evidence = tuple(
        Evidence(
            text=f"no NetworkPolicy selects {w.kind} {w.namespace}/{w.name} for {d}",
            source=w.source,
        )
        for w, d in open_pods
    )
    return Finding(
        kind=FindingKind.NO_DEFAULT_DENY,
        severity=severity,
        cluster=design.graph.cluster,
        subjects=(zone_subject(zone),),
        title=f"zone {zone} requires default-deny, but {len(workloads)} workload(s) are not "
        f"isolated for {' and '.join(directions)}",
        detail=", ".join(workloads),
        evidence=evidence,
        clause=loaded.clause(("zones", zone, "require", "defaultDeny")),
        baseline_version=loaded.version,
        location=open_pods[0][0].source,
    )


def _unknown(zone: str, workload: WorkloadNode, direction: str) -> Unknown:
    return Unknown(
        subjects=(zone_subject(zone), workload.id),
        detail=f"whether a NetworkPolicy isolates {workload.id} for {direction} is not "
        "decided by the input (zone requires default-deny)",
        location=workload.source,
    )
