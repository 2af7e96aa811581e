"""`blast-radius.widened`: compromising a service now lets an attacker become, or reach a crown
jewel, through more than the design allows.

The design's blast radius of a service: the identities its `trust` relations let it become,
transitively (`*` is anything), and what the flows of those services reach. The live one comes
from `drift.blast` over the live model. A service's finding names what it newly controls and
the crown jewels it newly reaches, with the shortest attack path to the worst of them, step by
step with the object behind each step.

Only what other findings cannot show is reported: something the service's own workload or
identity reaches or becomes in one step is already a flow or trust-relation finding, so the
items here are those reached *through* another identity or workload, and crown jewels the
service can now become, however directly (the question architects ask of a blast radius).
A graph without any `assumes` edge has none, and the analysis is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from drift.aws.arns import account_of
from drift.aws.kinds import (
    ANYONE,
    AWS_ACCOUNT,
    AWS_ADMINISTRATOR,
    AWS_PRINCIPAL,
    IAM_ROLE,
    IAM_USER,
)
from drift.aws.patterns import arn_matches, has_wildcard
from drift.baseline.load import LoadedBaseline
from drift.baseline.model import AwsPermissionRule
from drift.blast import BlastRadius, PathKind, Step, blast_radius, shortest_path
from drift.diff.design import DesignMap
from drift.diff.flows import FlowIndex
from drift.diff.identities import covers, display_identity, identity_ids, runs_as
from drift.diff.wording import MAX_LISTED, listed
from drift.findings import Finding, FindingKind, PathStep, Severity
from drift.model import (
    AssumesEdge,
    AuthzVerdict,
    CanEdge,
    ConnectsEdge,
    Edge,
    EdgeType,
    Evidence,
    IdentityNode,
    NodeType,
    ResourceNode,
    SystemGraph,
    WorkloadNode,
)


def is_certain(edge: Edge) -> bool:
    """An edge that surely holds: a connection admitted on some port and not refused by the
    mesh, a step whose grant is in the input."""
    if isinstance(edge, ConnectsEdge):
        return not edge.ports.is_empty() and edge.authz is not AuthzVerdict.DENY
    if isinstance(edge, AssumesEdge):
        return edge.certain
    return True


def radius_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    graph = design.graph
    if next(graph.edges(EdgeType.ASSUMES), None) is None:
        return []
    radius = blast_radius(graph, is_certain=is_certain)
    flows = FlowIndex(design)
    behind = jewels_behind_wildcards(design)
    jewels = _crown_jewel_nodes(design, behind)
    jewel_workloads = [j for j in jewels if isinstance(graph.node(j), WorkloadNode)]
    jewel_buckets = [j for j in jewels if isinstance(graph.node(j), ResourceNode)]
    findings = []
    for service, members in sorted(design.members.items()):
        trusted = _designed_control(design, service)
        designed = _designed_reach(design, flows, trusted, jewel_workloads)
        designed |= _designed_access(design, trusted, jewel_buckets, behind)
        widened = [
            _Widened.of(design, radius, workload, trusted, designed, jewels) for workload in members
        ]
        finding = _finding(design, loaded, service, [w for w in widened if w], jewels)
        if finding is not None:
            findings.append(finding)
    for entry in _aws_entry_points(design):
        trusted = _designed_control(design, entry)
        designed = _designed_access(design, trusted, jewel_buckets, behind)
        finding = _entry_finding(design, loaded, radius, entry, trusted, designed, jewels)
        if finding is not None:
            findings.append(finding)
    return findings


# -- AWS principals ----------------------------------------------------------------------------

# Where an attacker enters an account: a user's leaked keys, or a principal a trust policy
# lets in from outside (another account, anyone, a federated identity). Roles are entered
# from these, or from compute that runs as them (a designed service's own finding).
AWS_ENTRY_KINDS = frozenset({IAM_USER, AWS_ACCOUNT, AWS_PRINCIPAL, ANYONE})


def _aws_entry_points(design: DesignMap) -> list[str]:
    return sorted(
        n.id
        for n in design.graph.nodes(NodeType.IDENTITY)
        if isinstance(n, IdentityNode) and n.kind in AWS_ENTRY_KINDS
    )


def _entry_finding(
    design: DesignMap,
    loaded: LoadedBaseline,
    radius: BlastRadius,
    entry: str,
    trusted: set[str],
    designed_access: set[str],
    jewels: dict[str, str],
) -> Finding | None:
    """What holding an AWS principal newly gives beyond its designed trust: identities
    reached through another one (one step is the trust finding's), every permission of an
    account and crown jewels however directly, with the attack path to the worst."""
    graph = design.graph
    own = {entry}
    becomes = _direct(design, own, EdgeType.ASSUMES)
    touches = _direct(design, own, EdgeType.CAN)
    controlled = [
        node
        for node in sorted(radius.control_of(entry))
        if node != entry
        and (node not in becomes or node in jewels)
        and isinstance(graph.node(node), (WorkloadNode, IdentityNode))
        and not covers(design, trusted, node)
    ]
    reached = [
        jewel
        for jewel in sorted(jewels)
        if isinstance(graph.node(jewel), (WorkloadNode, ResourceNode))
        and jewel not in touches
        and jewel not in designed_access
        and radius.reaches(entry, jewel)
    ]
    # Every permission of an account in one step: the trust finding says it, critically; what
    # it leads to in that account goes unsaid here, the rest (another account) is still told.
    direct = {n for n in becomes if _is_admin(graph, n)}
    controlled = _beyond_admin_dropped(graph, controlled, jewels, also=direct)
    if not controlled and not reached:
        return None
    admins = [n for n in controlled if _is_admin(graph, n)]
    controlled_jewels = [n for n in controlled if n in jewels]
    if admins or controlled_jewels or not reached:
        worst, kind = (admins or controlled_jewels or controlled)[0], PathKind.CONTROL
    else:
        worst, kind = reached[0], PathKind.REACH
    steps = shortest_path(graph, entry, worst, kind=kind, is_certain=is_certain)
    path = tuple(_path_step(design, step) for step in steps or ())
    detail = _widened_detail(design, controlled, reached, jewels)
    critical = bool(admins or controlled_jewels or reached)
    gives = (
        display_identity(design, admins[0])  # every permission in account ...
        if admins
        else "a crown jewel"
        if critical
        else "more than the design allows"
    )
    return Finding(
        kind=FindingKind.BLAST_RADIUS_WIDENED,
        severity=Severity.CRITICAL if critical else Severity.HIGH,
        cluster=graph.cluster,
        subjects=(entry,),
        title=f"compromising {display_identity(design, entry)} now gives an attacker {gives}",
        detail=detail,
        evidence=tuple(e for step in path for e in step.evidence)[:MAX_LISTED],
        clause=loaded.clause(("trust",)),
        baseline_version=loaded.version,
        path=path,
    )


def _beyond_admin_dropped(
    graph: SystemGraph,
    controlled: list[str],
    jewels: dict[str, str],
    also: Iterable[str] = (),
) -> list[str]:
    """With every permission of an account controlled (or in `also`), its other principals go
    unsaid (every permission includes becoming them); crown jewels are still named."""
    also = set(also)
    admins = [n for n in controlled if _is_admin(graph, n)] + list(also)
    accounts = {n.removeprefix("aws-admin:") for n in admins}
    if not accounts:
        return controlled
    return [
        n for n in controlled if _is_admin(graph, n) or n in jewels or account_of(n) not in accounts
    ]


def _widened_detail(
    design: DesignMap, controlled: list[str], reached: list[str], jewels: dict[str, str]
) -> str:
    """`newly controls A, B; newly reaches crown jewels db (Deployment shop/db)`."""
    parts = []
    if controlled:
        parts.append("newly controls " + listed(display_identity(design, n) for n in controlled))
    if reached:
        parts.append(
            "newly reaches crown jewels "
            + listed(f"{jewels[n]} ({display_identity(design, n)})" for n in reached)
        )
    return "; ".join(parts)


def _is_admin(graph: SystemGraph, node_id: str) -> bool:
    node = graph.node(node_id)
    return isinstance(node, IdentityNode) and node.kind == AWS_ADMINISTRATOR


def _crown_jewel_nodes(
    design: DesignMap, behind: dict[str, tuple[str, list[str]]]
) -> dict[str, str]:
    """Crown jewels' workloads, identities and AWS buckets -> the service."""
    found: dict[str, str] = {}
    for name, service in design.baseline.services.items():
        if service.crown_jewel:
            for workload in design.members.get(name, ()):
                found[workload.id] = name
            for identity in identity_ids(design, name):
                found.setdefault(identity, name)
    for node_id, name in design.service_of.items():
        node = design.graph.node(node_id)
        if isinstance(node, ResourceNode) and design.baseline.services[name].crown_jewel:
            found.setdefault(node_id, name)
    for node_id, (name, _) in behind.items():
        found.setdefault(node_id, name)
    return found


def jewels_behind_wildcards(design: DesignMap) -> dict[str, tuple[str, list[str]]]:
    """Bucket-pattern nodes (`arn:aws:s3:::pay*`, every bucket) that stand for a crown
    jewel's buckets the input names nowhere -> the jewel service and those bucket patterns.
    A named bucket node speaks for itself (a Deny on it may keep it out of a wildcard grant)."""
    named = [
        n.id
        for n in design.graph.nodes(NodeType.RESOURCE)
        if isinstance(n, ResourceNode) and n.id.startswith("arn:aws:s3:::") and not _wild(n.id)
    ]
    wild = [
        n.id
        for n in design.graph.nodes(NodeType.RESOURCE)
        if isinstance(n, ResourceNode) and n.id.startswith("arn:aws:s3:::") and _wild(n.id)
    ]
    found: dict[str, tuple[str, list[str]]] = {}
    for name, service in design.baseline.services.items():
        if not service.crown_jewel:
            continue
        unnamed = [
            p
            for p in service.select.aws
            if p.startswith("arn:aws:s3:::") and not any(arn_matches(p, b) for b in named)
        ]
        for node_id in wild:
            covered = [p for p in unnamed if arn_matches(node_id, p)]
            if covered and node_id not in found:
                found[node_id] = (name, covered)
    return found


def _wild(bucket: str) -> bool:
    return has_wildcard(bucket.removeprefix("arn:aws:s3:::"))


def _designed_control(design: DesignMap, service: str) -> set[str]:
    """The refs a service may become by design: itself, then its trust relations,
    transitively (`*` when one of them allows anything)."""
    refs = {service}
    changed = True
    while changed and "*" not in refs:
        changed = False
        for relation in design.baseline.trust:
            if relation.to not in refs and _any_covers(design, refs, relation.from_):
                refs.add(relation.to)
                changed = True
    return refs


def _any_covers(design: DesignMap, refs: set[str], ref: str) -> bool:
    """Whether `ref` names something the refs stand for."""
    if ref in refs:
        return True
    return any(covers(design, refs, node) for node in identity_ids(design, ref))


@dataclass(frozen=True, kw_only=True)
class _Widened:
    """What one workload of a service newly controls and reaches (crown jewels)."""

    workload: WorkloadNode
    controlled: tuple[str, ...]
    reached: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.controlled or self.reached)

    @classmethod
    def of(
        cls,
        design: DesignMap,
        radius: BlastRadius,
        workload: WorkloadNode,
        trusted: set[str],
        designed_reach: set[str],
        jewels: dict[str, str],
    ) -> _Widened:
        graph = design.graph
        own = {workload.id, runs_as(design, workload.id)}
        becomes = _direct(design, own, EdgeType.ASSUMES)
        touches = _direct(design, own, EdgeType.CONNECTS, EdgeType.CAN)
        controlled = tuple(
            node
            for node in sorted(radius.control_of(workload.id))
            if node not in own
            and (node not in becomes or node in jewels)
            and isinstance(graph.node(node), (WorkloadNode, IdentityNode))
            and not covers(design, trusted, node)
        )
        reached = tuple(
            jewel
            for jewel in sorted(jewels)
            if isinstance(graph.node(jewel), (WorkloadNode, ResourceNode))
            and jewel not in touches
            and radius.reaches(workload.id, jewel)
            and jewel not in designed_reach
        )
        return cls(workload=workload, controlled=controlled, reached=reached)


def _finding(
    design: DesignMap,
    loaded: LoadedBaseline,
    service: str,
    widened: list[_Widened],
    jewels: dict[str, str],
) -> Finding | None:
    """One finding per service: what any of its workloads newly gives, with the attack path
    to the worst of it (a crown jewel taken over, else one reached, else anything)."""
    if not widened:
        return None
    graph = design.graph
    controlled = _beyond_admin_dropped(
        graph, sorted({n for w in widened for n in w.controlled}), jewels
    )
    controlled_jewels = [n for n in controlled if n in jewels]
    taken = {jewels[n] for n in controlled_jewels}  # a crown jewel taken over is not "reached"
    reached = sorted({n for w in widened for n in w.reached if jewels[n] not in taken})
    admins = [n for n in controlled if _is_admin(graph, n)]
    if controlled_jewels or admins or not reached:
        worst, kind = (controlled_jewels or admins or controlled)[0], PathKind.CONTROL
    else:
        worst, kind = reached[0], PathKind.REACH
    start = next(
        w for w in widened if worst in (w.controlled if kind is PathKind.CONTROL else w.reached)
    )
    steps = shortest_path(graph, start.workload.id, worst, kind=kind, is_certain=is_certain)
    detail = _widened_detail(design, controlled, reached, jewels)
    critical = bool(reached or controlled_jewels or admins)
    path = tuple(_path_step(design, step) for step in steps or ())
    gives = (
        "a crown jewel"
        if reached or controlled_jewels
        else display_identity(design, admins[0])
        if admins
        else "more than the design allows"
    )
    return Finding(
        kind=FindingKind.BLAST_RADIUS_WIDENED,
        severity=Severity.CRITICAL if critical else Severity.HIGH,
        cluster=graph.cluster,
        subjects=(f"service:{service}",),
        title=f"compromising {service} now gives an attacker {gives}",
        detail=detail,
        evidence=tuple(e for step in path for e in step.evidence)[:MAX_LISTED],
        clause=loaded.clause(("trust",) if design.baseline.trust else ("services", service)),
        baseline_version=loaded.version,
        path=path,
        location=start.workload.source,
    )


def _direct(design: DesignMap, own: set[str], *types: EdgeType) -> set[str]:
    """What the service's own workload and identity surely reach or become in one step of
    `types` (an uncertain step is an unknown elsewhere; it must not hide a certain path)."""
    graph = design.graph.networkx
    found = set()
    for node in own:
        if node not in graph:
            continue
        for _, target, key, data in graph.out_edges(node, keys=True, data=True):
            if key in types and is_certain(data["edge"]):
                found.add(target)
    return found


def _designed_reach(
    design: DesignMap, flows: FlowIndex, trusted: set[str], targets: Iterable[str]
) -> set[str]:
    """Those of `targets` some workload the design lets this service become (by service
    name, by its identity, or `*`) has a flow to."""
    if "*" in trusted:
        return set(targets)
    becomes = [
        member.id
        for members in design.members.values()
        for member in members
        if covers(design, trusted, member.id)
    ]
    return {
        target
        for target in targets
        if any(not flows.allowed(member, target)[0].is_empty() for member in becomes)
    }


def _designed_access(
    design: DesignMap,
    trusted: set[str],
    buckets: list[str],
    behind: dict[str, tuple[str, list[str]]],
) -> set[str]:
    """Those of `buckets` (crown jewels in S3, or patterns `behind` them) whose objects an
    identity the service may become is designed to act on: one of its AWS permission rules
    names the bucket."""
    if not buckets or "*" in trusted:
        return set(buckets)
    rules = [
        rule
        for ref, listed_rules in design.baseline.permissions.items()
        if ref in trusted or _any_covers(design, trusted, ref)
        for rule in listed_rules
        if isinstance(rule, AwsPermissionRule)
    ]
    resources = [r for rule in rules for r in rule.resources]
    found = set()
    for bucket in buckets:
        # A bucket pattern standing for crown jewels: designed when the rules cover the
        # jewels' buckets (patterns as written: only a wildcard in a rule covers one there).
        objects = [f"{p}/*" for p in behind[bucket][1]] if bucket in behind else [f"{bucket}/*"]
        if objects and all(any(arn_matches(r, o) for r in resources) for o in objects):
            found.add(bucket)
    return found


def _path_step(design: DesignMap, step: Step) -> PathStep:
    return PathStep(
        source=design.subject(step.source),
        relation=str(step.type),
        target=design.subject(step.target),
        evidence=_step_evidence(design, step),
    )


def _step_evidence(design: DesignMap, step: Step) -> tuple[Evidence, ...]:
    edge = step.edge
    if isinstance(edge, AssumesEdge):
        return (Evidence(text=edge.via), *edge.evidence)
    if isinstance(edge, ConnectsEdge):
        return edge.evidence or (Evidence(text="no NetworkPolicy isolates either side"),)
    if isinstance(edge, CanEdge):
        return (Evidence(text=f"may {', '.join(sorted(edge.actions))}"), *edge.evidence)
    node = design.graph.node(step.source)
    source = node.source if isinstance(node, WorkloadNode) else None
    account = design.graph.node(step.target)
    if isinstance(account, IdentityNode) and account.kind == IAM_ROLE:
        how = "its instance profile" if "EC2" in getattr(node, "kind", "") else "its role"
        return (Evidence(text=f"runs as IAM role {account.name} ({how})", source=source),)
    where = (
        f"{account.namespace}/" if isinstance(account, IdentityNode) and account.namespace else ""
    )
    name = account.name if isinstance(account, IdentityNode) else step.target
    return (Evidence(text=f"runs as ServiceAccount {where}{name}", source=source),)
