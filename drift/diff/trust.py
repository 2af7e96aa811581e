"""`implicit-trust.trust-relation`: an identity can become another one the design does not
trust it with (an `assumes` edge no `trust` relation allows).

Judged from ServiceAccounts and workloads (what runs in the cluster; people's Users and Groups
are outside the design), and from every AWS principal: IAM users and roles, and those outside
the account a trust policy lets in (another account, `*`, a service, a federated provider).
In AWS, what a principal can newly become comes from trust policies and from privilege
escalation (`drift.aws.escalation`): both are trust the design has to state.
One finding per source, naming every identity or workload it can
newly become; critical when one of them is a crown jewel or the step is unbounded (`bind`,
`escalate`, `impersonate *`: any permission in its scope). Steps the inputs leave open (a
binding to a role that is not in the input) are unknowns, not findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from drift.aws.kinds import AWS_IDENTITY_KINDS, aws_managed_role
from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap
from drift.diff.identities import (
    covers,
    display_identity,
    runs_as,
    services_of_identity,
)
from drift.diff.wording import MAX_LISTED, distinct_evidence, first_source, listed
from drift.findings import Finding, FindingKind, Severity, Unknown
from drift.model import AssumesEdge, EdgeType, IdentityNode, WorkloadNode


def untrusted_steps(design: DesignMap) -> list[AssumesEdge]:
    """Every live `assumes` edge from a judged source that no trust relation allows."""
    relations = design.baseline.trust
    steps = []
    for edge in design.graph.edges(EdgeType.ASSUMES):
        assert isinstance(edge, AssumesEdge)
        if edge.source == edge.target or not _judged_source(design, edge.source):
            continue
        if aws_managed_role(edge.target):
            continue  # AWS defines who assumes these roles, not the design
        allowed = any(
            covers(design, [r.from_], edge.source) and covers(design, [r.to], edge.target)
            for r in relations
        )
        if not allowed:
            steps.append(edge)
    return sorted(steps, key=lambda e: (e.source, e.target))


def _judged_source(design: DesignMap, node_id: str) -> bool:
    node = design.graph.node(node_id)
    if isinstance(node, WorkloadNode):
        return True
    return isinstance(node, IdentityNode) and (
        node.kind == "ServiceAccount" or node.kind in AWS_IDENTITY_KINDS
    )


def trust_findings(
    design: DesignMap, loaded: LoadedBaseline, steps: list[AssumesEdge]
) -> tuple[list[Finding], list[Unknown]]:
    by_source: dict[str, list[AssumesEdge]] = defaultdict(list)
    for step in steps:
        by_source[step.source].append(step)
    findings: list[Finding] = []
    unknowns: list[Unknown] = []
    for source, edges in sorted(by_source.items()):
        certain = [e for e in edges if e.certain]
        if certain:
            findings.append(_finding(design, loaded, source, certain))
        unknowns.extend(_unknowns(design, [e for e in edges if not e.certain]))
    return findings, unknowns


def _finding(
    design: DesignMap, loaded: LoadedBaseline, source: str, edges: list[AssumesEdge]
) -> Finding:
    who = display_identity(design, source)
    targets = [f"{display_identity(design, e.target)} ({e.via})" for e in edges]
    evidence = distinct_evidence(e for edge in edges for e in edge.evidence)
    critical = any(e.unbounded or _crown_jewel(design, e.target) for e in edges)
    return Finding(
        kind=FindingKind.TRUST_RELATION,
        severity=Severity.CRITICAL if critical else Severity.HIGH,
        cluster=design.graph.cluster,
        subjects=(source,),
        title=f"{who} can {_what(design, edges)} the design does not trust it with",
        detail=listed(targets, sep="; ", before_more="; "),
        evidence=evidence[:MAX_LISTED],
        clause=loaded.clause(("trust",)),
        baseline_version=loaded.version,
        location=first_source(evidence),
    )


def _what(design: DesignMap, edges: list[AssumesEdge]) -> str:
    """`become 3 identities and enter 2 workloads' pods`."""
    workloads = sum(isinstance(design.graph.node(e.target), WorkloadNode) for e in edges)
    identities = len(edges) - workloads
    parts = []
    if identities:
        parts.append(f"become {identities} identit{'y' if identities == 1 else 'ies'}")
    if workloads:
        parts.append(f"enter {workloads} workload{'' if workloads == 1 else 's'}' pods")
    return " and ".join(parts)


def _unknowns(design: DesignMap, edges: list[AssumesEdge]) -> Iterator[Unknown]:
    for edge in edges:
        yield Unknown(
            subjects=(edge.source, edge.target),
            detail=f"whether {display_identity(design, edge.source)} can become "
            f"{display_identity(design, edge.target)} ({edge.via})",
            reasons=tuple(e.text for e in edge.evidence),
        )


def _crown_jewel(design: DesignMap, node_id: str) -> bool:
    services = design.baseline.services
    node = design.graph.node(node_id)
    if isinstance(node, WorkloadNode):
        names = [design.service_of.get(node_id, "")]
        names += services_of_identity(design, runs_as(design, node_id))
    else:
        names = services_of_identity(design, node_id)
    return any(name in services and services[name].crown_jewel for name in names)
