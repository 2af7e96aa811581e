"""`implicit-trust.unauthenticated`: traffic the design requires to be authenticated (mutual
TLS) or authorized by identity (mesh authorization) that the live mesh does not hold to it.

- mTLS is required on every port into a zone with `require.mtls: strict`, and on the ports of
  flows with `mtls: true`. The destination's mode must be STRICT there: PERMISSIVE still
  accepts plaintext from anyone, an unmeshed workload accepts only plaintext. A live edge
  without a mesh model (no mesh in the input) is plaintext.
- A destination of a flow with `authz: true` must refuse, by identity, every caller no such
  flow names: a live edge from another source that the mesh admits (on some port) breaks it.

One finding per destination, naming every requirement it breaks; critical for crown jewels.
What the mesh leaves undecided (ambient mode, CUSTOM authorizers, HTTP-only rules) is unknown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, endpoint_key, endpoint_keys
from drift.diff.flows import FlowIndex, ranges_ports
from drift.diff.wording import MAX_LISTED, crown_jewel, display, first_source, listed
from drift.findings import Finding, FindingKind, Severity, Unknown
from drift.model import AuthzVerdict, ConnectsEdge, EdgeType, Evidence, MtlsMode, WorkloadNode
from drift.ports import PortSet


@dataclass(kw_only=True)
class _Breaks:
    """What one destination breaks, gathered over its inbound edges."""

    plaintext: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    admitted: set[str] = field(default_factory=set)  # callers the design does not name
    ports: PortSet = field(default_factory=PortSet.empty)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    clauses: list[tuple[str | int, ...]] = field(default_factory=list)


def mesh_findings(design: DesignMap, loaded: LoadedBaseline) -> tuple[list[Finding], list[Unknown]]:
    baseline = design.baseline
    strict_zones = {name for name, zone in baseline.zones.items() if zone.require.mtls}
    authz_targets = {
        key for flow in baseline.flows if flow.authz and (key := endpoint_key(flow.to)) is not None
    }
    if not strict_zones and not authz_targets and not any(f.mtls for f in baseline.flows):
        return [], []
    index = FlowIndex(design)
    breaks: dict[str, _Breaks] = defaultdict(_Breaks)
    unknowns: list[Unknown] = []
    for edge in design.graph.edges(EdgeType.CONNECTS):
        assert isinstance(edge, ConnectsEdge)
        judged = _judged_ports(edge)
        if not isinstance(design.graph.node(edge.target), WorkloadNode) or judged.is_empty():
            continue
        target = design.subject(edge.target)
        _, matched = index.allowed(edge.source, edge.target)
        required, clause = _mtls_required(design, strict_zones, matched, edge.target, judged)
        if not required.is_empty():
            _judge_mtls(design, edge, required, clause, breaks[target], unknowns)
        keys = set(endpoint_keys(design, edge.target))
        designed = any(baseline.flows[i].authz for i in matched)
        if keys & authz_targets and not designed:
            _judge_authz(design, edge, breaks[target], unknowns)
    findings = [
        _finding(design, loaded, target, found)
        for target, found in sorted(breaks.items())
        if found.plaintext or found.admitted
    ]
    distinct = {(u.subjects, u.detail): u for u in unknowns}
    return findings, list(distinct.values())


def _judged_ports(edge: ConnectsEdge) -> PortSet:
    """The ports the mesh answers are about: all the edge's without a mesh in the input."""
    return edge.ports | edge.unknown if edge.mesh_ports is None else edge.mesh_ports


def _mtls_required(
    design: DesignMap, strict_zones: set[str], matched: list[int], target: str, judged: PortSet
) -> tuple[PortSet, tuple[str | int, ...]]:
    """Where the design requires mTLS on this edge, and the clause requiring it."""
    zone = design.zone_of(target)
    if zone in strict_zones:
        return judged, ("zones", zone, "require", "mtls")
    flows = design.baseline.flows
    requiring = [i for i in matched if flows[i].mtls]
    required = PortSet.empty()
    for i in requiring:
        required = required | (ranges_ports(flows[i].ports) & judged)
    return required, (("flows", requiring[0], "mtls") if requiring else ())


def _judge_mtls(
    design: DesignMap,
    edge: ConnectsEdge,
    required: PortSet,
    clause: tuple[str | int, ...],
    found: _Breaks,
    unknowns: list[Unknown],
) -> None:
    """Plaintext accepted on a required port that surely connects is a break; on a port whose
    connection (or mode) the inputs leave open, an unknown."""
    if edge.mesh_ports is None:  # no mesh in the input: every port is plaintext
        modes: tuple[tuple[MtlsMode, PortSet], ...] = ((MtlsMode.DISABLED, required),)
    else:
        modes = edge.mtls_modes
    for mode, ports in modes:
        weak = ports & required
        if mode is MtlsMode.STRICT or weak.is_empty():
            continue
        certain = weak & edge.ports
        if mode is MtlsMode.UNKNOWN or certain.is_empty():
            unknowns.append(_unknown(design, edge, "whether the destination requires mTLS"))
            continue
        found.plaintext[str(mode)].add(display(design.subject(edge.source)))
        found.ports = found.ports | certain
        found.clauses.append(clause)
        _keep_evidence(found, edge.mtls_evidence or edge.evidence)


def _judge_authz(
    design: DesignMap, edge: ConnectsEdge, found: _Breaks, unknowns: list[Unknown]
) -> None:
    """A caller no `authz` flow names must be refused by the destination's mesh."""
    verdict = edge.authz
    if verdict is AuthzVerdict.DENY:
        return
    if verdict is AuthzVerdict.UNKNOWN or edge.ports.is_empty():
        unknowns.append(_unknown(design, edge, "whether the mesh admits this caller"))
        return
    # allow, partial, or None (no mesh in the input: nothing authorizes by identity)
    found.admitted.add(display(design.subject(edge.source)))
    found.clauses.append(("flows",))
    _keep_evidence(found, edge.authz_evidence or edge.evidence)


def _keep_evidence(found: _Breaks, evidence: tuple[Evidence, ...]) -> None:
    for item in evidence:
        found.evidence.setdefault(item.text, item)


def _finding(design: DesignMap, loaded: LoadedBaseline, target: str, found: _Breaks) -> Finding:
    parts = []
    for mode, sources in sorted(found.plaintext.items()):
        names = sorted(sources)
        parts.append(
            f"accepts {'plaintext too' if mode == 'permissive' else 'plaintext only'} "
            f"({mode}) on {found.ports.describe()} from {listed(names)}"
        )
    if found.admitted:
        parts.append(f"its mesh authorization admits {listed(sorted(found.admitted))}")
    severity = Severity.CRITICAL if crown_jewel(design, target) else Severity.HIGH
    return Finding(
        kind=FindingKind.UNAUTHENTICATED,
        severity=severity,
        cluster=design.graph.cluster,
        subjects=(target,),
        title=_title(display(target), found),
        detail="; ".join(parts),
        ports=found.ports if found.plaintext else None,
        evidence=tuple(found.evidence.values())[:MAX_LISTED],
        clause=loaded.clause(found.clauses[0]),
        baseline_version=loaded.version,
        location=first_source(found.evidence.values()),
    )


def _title(target: str, found: _Breaks) -> str:
    if found.plaintext and found.admitted:
        return f"{target} does not hold its callers to the mTLS and authorization designed"
    if found.plaintext:
        return f"{target} accepts connections without the mTLS the design requires"
    return f"{target}'s mesh authorization admits callers the design does not name"


def _unknown(design: DesignMap, edge: ConnectsEdge, what: str) -> Unknown:
    source, target = design.subject(edge.source), design.subject(edge.target)
    return Unknown(
        subjects=(source, target),
        detail=f"{what}: {display(source)} -> {display(target)}",
        reasons=tuple(e.text for e in edge.evidence),
    )
