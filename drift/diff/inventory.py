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
            detail=_nothing_matches(design, name),
            clause=loaded.clause(("services", name, "select")),
            baseline_version=loaded.version,
        )
        for name, members in sorted(design.members.items())
        if not members and not _unjudged(design, name)
    )
    return findings


def _unjudged(design: DesignMap, name: str) -> bool:
    """Whether a service's absence says nothing: it selects only buckets (the model holds
    only the buckets some policy names), or only AWS resources while the input holds none
    (no EC2, RDS, ELBv2 or Lambda answers were read)."""
    select = design.baseline.services[name].select
    if select.labels or select.workloads:
        return False
    if _only_buckets(select):
        return True
    if not any(is_aws_resource(w) for w in design.workloads()):
        design.notes.append(
            f"service {name} selects AWS resources, but the input holds none: "
            "whether it is live is not judged"
        )
        return True
    return False


def _nothing_matches(design: DesignMap, name: str) -> str:
    select = design.baseline.services[name].select
    parts = []
    if select.labels or select.workloads:
        namespace = service_namespace(design.baseline, name)
        parts.append(f"nothing in namespace {namespace} matches its select clause")
    if select.aws:
        parts.append(f"no AWS resource read matches {', '.join(select.aws)}")
    return "; ".join(parts)


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
