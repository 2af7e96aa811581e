"""The diff: the live model judged against one approved baseline (pure)."""

from __future__ import annotations

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, map_design
from drift.diff.exposure import exposure_findings
from drift.diff.flows import flow_findings
from drift.diff.identity import identity_findings
from drift.diff.inventory import inventory_findings
from drift.diff.zones import default_deny_findings
from drift.findings import CheckResult, Finding, Unknown
from drift.model import SystemGraph


def check(loaded: LoadedBaseline, graph: SystemGraph, *, source: str) -> CheckResult:
    """Every finding and unknown answer of `graph` against the design in `loaded`."""
    design = map_design(loaded.baseline, graph)
    flows, flow_unknowns = flow_findings(design, loaded)
    zones, zone_unknowns = default_deny_findings(design, loaded)
    findings = [
        *flows,
        *zones,
        *identity_findings(design, loaded),
        *exposure_findings(design, loaded),
        *inventory_findings(design, loaded),
    ]
    return CheckResult(
        baseline_name=loaded.baseline.metadata.name,
        baseline_version=loaded.version,
        baseline_path=loaded.path,
        cluster=graph.cluster,
        source=source,
        findings=tuple(sorted(findings, key=_order)),
        unknowns=tuple(
            sorted(
                [*flow_unknowns, *zone_unknowns, *_undecided_zones(design)],
                key=lambda u: u.subjects,
            )
        ),
        notes=(*graph.notes, *design.notes),
    )


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
