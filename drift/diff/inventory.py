"""`inventory.unknown` (a live workload the design does not describe) and
`inventory.missing` (a designed service with no live workload).

AWS resources count as workloads here (instances, databases, load balancers, functions). S3
buckets never make a service missing: the model holds only the buckets some policy names or
that are published, so an absent bucket says nothing about the account."""

from __future__ import annotations

from drift.baseline.load import LoadedBaseline
from drift.baseline.model import Selection
from drift.diff.design import (
    DesignMap,
    aws_arn,
    is_aws_resource,
    service_namespace,
    service_subject,
)
from drift.findings import Finding, FindingKind, Severity
from drift.model import Evidence, WorkloadNode


def inventory_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    findings = [
        Finding(
            kind=FindingKind.INVENTORY_UNKNOWN,
            severity=Severity.LOW,
            cluster=design.graph.cluster,
            subjects=(workload.id,),
            title=f"{_named(workload)} is not in the design",
            detail="no service of the baseline selects it",
            evidence=(Evidence(text=_named(workload), source=workload.source),),
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
        if not members and not _only_buckets(design.baseline.services[name].select)
    )
    return findings


def _named(workload: WorkloadNode) -> str:
    if is_aws_resource(workload):
        return f"{workload.kind} {workload.name} ({aws_arn(workload.id)})"
    return f"{workload.kind} {workload.namespace}/{workload.name}"


def _only_buckets(select: Selection) -> bool:
    return (
        bool(select.aws)
        and not select.labels
        and not select.workloads
        and all(p.startswith("arn:aws:s3:::") for p in select.aws)
    )
