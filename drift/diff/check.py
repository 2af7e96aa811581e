"""The diff: the live model judged against one approved baseline (pure)."""

from __future__ import annotations

from dataclasses import replace

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, map_design
from drift.diff.exposure import exposure_findings
from drift.diff.flows import flow_findings
from drift.diff.identity import identity_findings
from drift.diff.inventory import inventory_findings
from drift.diff.mesh import mesh_findings
from drift.diff.misbound import misbound_findings
from drift.diff.privilege import privilege_findings
from drift.diff.radius import radius_findings
from drift.diff.trust import trust_findings, untrusted_steps
from drift.diff.zones import default_deny_findings
from drift.findings import CheckResult, Finding, Unknown
from drift.model import IdentityNode, SystemGraph


def check(loaded: LoadedBaseline, graph: SystemGraph, *, source: str) -> CheckResult:
    """Every finding and unknown answer of `graph` against the design in `loaded`."""
    design = map_design(loaded.baseline, graph)
    flows, flow_unknowns = flow_findings(design, loaded)
    zones, zone_unknowns = default_deny_findings(design, loaded)
    mesh, mesh_unknowns = mesh_findings(design, loaded)
    untrusted = untrusted_steps(design)
    trust, trust_unknowns = trust_findings(design, loaded, untrusted)
    escalating = frozenset(step.source for step in untrusted if step.certain)
    findings = [
        *flows,
        *zones,
        *mesh,
        *identity_findings(design, loaded),
        *misbound_findings(design, loaded),
        *trust,
        *privilege_findings(design, loaded, escalating),
        *radius_findings(design, loaded),
        *exposure_findings(design, loaded),
        *inventory_findings(design, loaded),
    ]
    return CheckResult(
        baseline_name=loaded.baseline.metadata.name,
        baseline_version=loaded.version,
        baseline_path=loaded.path,
        cluster=graph.cluster,
        source=source,
        findings=tuple(sorted((_zoned(design, f) for f in findings), key=_order)),
        unknowns=tuple(
            sorted(
                [
                    *flow_unknowns,
                    *zone_unknowns,
                    *mesh_unknowns,
                    *trust_unknowns,
                    *_undecided_zones(design),
                ],
                key=lambda u: u.subjects,
            )
        ),
        notes=(*graph.notes, *design.notes),
    )


def _zoned(design: DesignMap, finding: Finding) -> Finding:
    """The finding with the zone it sits in: that of its last subject placed in a zone (a
    flow's destination, an exposed or missing service, a zone itself)."""
    if finding.zone:
        return finding
    for subject in reversed(finding.subjects):
        zone = _zone_of_subject(design, subject)
        if zone:
            return replace(finding, zone=zone)
    return finding


def _zone_of_subject(design: DesignMap, subject: str) -> str | None:
    kind, _, name = subject.partition(":")
    if kind == "service" and name in design.baseline.services:
        return design.baseline.services[name].zone
    if kind == "zone":
        return name
    if design.graph.has_node(subject):
        node = design.graph.node(subject)
        if isinstance(node, IdentityNode) and node.namespace is not None:
            return design.zone_of_namespace.get(node.namespace)
        return design.zone_of(subject)
    return None


def _order(finding: Finding) -> tuple[int, str, tuple[str, ...], str]:
    return (-finding.severity.rank, str(finding.kind), finding.subjects, finding.protocol or "")


def _undecided_zones(design: DesignMap) -> list[Unknown]:
    return [
        Unknown(
            subjects=(f"zone:{zone}", f"namespace:{namespace}"),
            detail=f"whether namespace {namespace} is in zone {zone} (chosen by namespace "
            "labels) is not decided by the input; its workloads are judged as outside "
            "every zone",
            reasons=(f"labels of namespace {namespace} are not in the input",),
        )
        for namespace, zone in design.undecided_zones
    ]
