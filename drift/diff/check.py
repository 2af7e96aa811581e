"""The diff: the live model judged against one approved baseline (pure)."""

from __future__ import annotations

from drift.baseline.load import LoadedBaseline
from drift.diff.design import map_design
from drift.diff.exposure import exposure_findings
from drift.diff.flows import flow_findings
from drift.diff.identity import identity_findings
from drift.diff.inventory import inventory_findings
from drift.diff.zones import default_deny_findings
from drift.findings import CheckResult, Finding
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
        unknowns=tuple(sorted([*flow_unknowns, *zone_unknowns], key=lambda u: u.subjects)),
        notes=(*graph.notes, *design.notes),
    )


def _order(finding: Finding) -> tuple[int, str, tuple[str, ...], str]:
    return (-finding.severity.rank, str(finding.kind), finding.subjects, finding.protocol or "")
