"""`inventory.unknown` (a live workload the design does not describe) and
`inventory.missing` (a designed service with no live workload)."""

from __future__ import annotations

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, service_namespace, service_subject
from drift.findings import Finding, FindingKind, Severity
from drift.model import Evidence


def inventory_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    findings = [
        Finding(
            kind=FindingKind.INVENTORY_UNKNOWN,
            severity=Severity.LOW,
            cluster=design.graph.cluster,
            subjects=(workload.id,),
            title=f"{workload.kind} {workload.namespace}/{workload.name} is not in the design",
            detail="no service of the baseline selects it",
            evidence=(
                Evidence(
                    text=f"{workload.kind} {workload.namespace}/{workload.name}",
                    source=workload.source,
                ),
            ),
            clause=loaded.clause(("services",)),
            baseline_version=loaded.version,
            location=workload.source,
        )
        for workload in design.workloads()
        if workload.id not in design.service_of
    ]
    findings.extend(
        Finding(
            kind=FindingKind.INVENTORY_MISSING,
            severity=Severity.LOW,
            cluster=design.graph.cluster,
            subjects=(service_subject(name),),
            title=f"service {name} of the design has no live workload",
            detail=f"nothing in namespace {service_namespace(design.baseline, name)} matches "
            "its select clause",
            clause=loaded.clause(("services", name, "select")),
            baseline_version=loaded.version,
        )
        for name, members in sorted(design.members.items())
        if not members
    )
    return findings
