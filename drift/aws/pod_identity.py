"""EKS Pod Identity: the role an association gives a ServiceAccount's pods, and whether the
role's trust policy honours it (pure; `drift.aws.bridge` adds what it finds).

EKS assumes an association's role as the service principal `pods.eks.amazonaws.com`, with
`sts:AssumeRole` and, since it tags each session (cluster, namespace, ServiceAccount, pod),
`sts:TagSession`; with `disableSessionTags` it tags nothing, and AWS asks only for
`sts:AssumeRole`. For each action it needs, the role's trust policy:

- admits it when a statement without conditions allows it to that principal (or to `*`) and no
  Deny may apply;
- leaves it open when only a statement with conditions (or a NotPrincipal) allows it, or a
  Deny with conditions may apply: the conditions of a Pod Identity session are not evaluated
  here, so the edge is possible, never certain;
- refuses it otherwise (nothing allows it, or a Deny certainly applies): the association is a
  `Misbinding` (and a note), and no edge.

With a `targetRoleArn`, EKS then assumes the target role as a session of the first one (sending
the association's `externalId`) and the pods get the target role: the edge goes to the target,
whose trust must let the first role `sts:AssumeRole` (and `sts:TagSession`, unless tags are
off), as `drift.aws.iam.Evaluator` answers. A role that is not in the input leaves the step
possible.

Which cluster: the graph's cluster is the EKS cluster `eks_cluster` names (a cluster ARN, or a
name), else the one named as the graph's cluster (the target's `cluster`). A name is unique only
within one account and region: when it names one cluster of the input, that cluster's
associations are certain (as far as the trust goes); when several, each is possible; the
associations of other clusters are no business of this graph's. When `eks_cluster` is not
given and no cluster of the input bears the graph's name, which EKS cluster this is cannot be
told: every association is possible, and none is called a misbinding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drift.aws.conditions import Truth, all_of
from drift.aws.documents import Role
from drift.aws.eks import PodIdentityAssociation, cluster_name
from drift.aws.iam import Decision, Evaluator
from drift.aws.policy import Effect, Statement
from drift.aws.statements import Tally
from drift.ids import k8s_object_id
from drift.model import AssumesEdge, Evidence, Misbinding, SystemGraph

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
ASSUME_ROLE, TAG_SESSION = "sts:AssumeRole", "sts:TagSession"


@dataclass(frozen=True, kw_only=True)
class Hop:
    """One role assumption on the way: whether the trust admits it, why not (or why it is
    open), and the statements that decide it."""

    admits: Truth
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()


def our_clusters(
    eks_cluster: str | None, graph_cluster: str, known: frozenset[str]
) -> frozenset[str] | None:
    """The ARNs of the EKS clusters the graph's cluster may be; None: not known."""
    wanted = eks_cluster or graph_cluster
    if wanted.startswith("arn:"):
        return frozenset({wanted})
    named = frozenset(arn for arn in known if cluster_name(arn) == wanted)
    return named if named or eks_cluster is not None else None


def pod_identity_edges(
    graph: SystemGraph, evaluator: Evaluator, *, eks_cluster: str | None = None
) -> list[AssumesEdge]:
    """The edges of every association naming a ServiceAccount of the graph; misbindings
    (associations of this cluster whose roles refuse them) go on the graph."""
    data = evaluator.data
    ours = our_clusters(eks_cluster, graph.cluster, data.eks.known_clusters)
    edges = []
    for association in data.eks.associations:
        if ours is not None and association.cluster not in ours:
            continue
        mine = ours is not None and len(ours) == 1
        node_id = k8s_object_id(
            graph.cluster, "ServiceAccount", association.service_account, association.namespace
        )
        if graph.has_node(node_id):
            edge = _edge(graph, evaluator, association, node_id, mine=mine)
            if edge is not None:
                edges.append(edge)
    return edges


def needed_actions(association: PodIdentityAssociation) -> tuple[str, ...]:
    return (ASSUME_ROLE, TAG_SESSION) if association.session_tags else (ASSUME_ROLE,)


def _edge(
    graph: SystemGraph,
    evaluator: Evaluator,
    association: PodIdentityAssociation,
    node_id: str,
    *,
    mine: bool,
) -> AssumesEdge | None:
    role = association.role
    first = service_trust(evaluator.data.roles.get(role), role, needed_actions(association))
    hops = [(role, first)]
    if first.admits is not False and association.target_role is not None:
        hops.append((association.target_role, chained(evaluator, association)))
    refused = next(((arn, hop) for arn, hop in hops if hop.admits is False), None)
    if refused is not None:
        if mine:
            _misbound(graph, node_id, association, *refused)
        return None
    final = hops[-1][0]
    roles = " then ".join(arn for arn, _ in hops)
    return AssumesEdge(
        source=node_id,
        target=final,
        via=f"EKS Pod Identity association {association.id} of cluster "
        f"{association.cluster_name}: ServiceAccount {association.namespace}/"
        f"{association.service_account} gets role {roles}, as the role's trust allows",
        evidence=(_association_evidence(association), *(e for _, h in hops for e in h.evidence)),
        certain=mine and all(h.admits is True for _, h in hops),
    )


def service_trust(role: Role | None, arn: str, actions: Sequence[str]) -> Hop:
    """Whether the trust policy of `role` lets `pods.eks.amazonaws.com` do `actions`."""
    if role is None:
        return Hop(admits=None, reason=f"role {arn} is not in the input")
    if role.trust is None:
        return Hop(admits=None, reason=f"the trust policy of {arn} is not in the input")
    answers = [_service_action(role.trust.statements, action) for action in actions]
    admits = all_of(a for a, _, _ in answers)
    reasons = [r for a, r, _ in answers if a is admits and r]
    evidence = tuple(dict.fromkeys(e for _, _, found in answers for e in found))
    return Hop(admits=admits, reason="; ".join(reasons), evidence=evidence)


def _service_action(
    statements: Sequence[Statement], action: str
) -> tuple[Truth, str, tuple[Evidence, ...]]:
    allow, deny = Tally(), Tally()
    for statement in statements:
        if not statement.covers_action(action.lower()):
            continue
        named = _names_service(statement)
        if named is False:
            continue
        truth = None if named is None or statement.conditions else True
        (allow if statement.effect is Effect.ALLOW else deny).add(
            statement, truth, statement.conditions
        )
    refs = [*allow.allow, *(o.ref for o in allow.allow_open), *deny.deny]
    refs += [o.ref for o in deny.deny_open]
    evidence = tuple(Evidence(text=f"trust statement {r}") for r in dict.fromkeys(refs))
    who = f"{POD_IDENTITY_SERVICE} {action}"
    if deny.denies is True:
        return False, f"a Deny forbids {who}", evidence
    if allow.allows is False:
        return False, f"no statement allows {who}", evidence
    if allow.allows is True and deny.denies is False:
        return True, "", evidence
    opened = [*allow.allow_open, *deny.deny_open]
    tests = [str(t) for o in opened for t in o.tests] or ["a NotPrincipal"]
    return None, f"{who} only when " + "; ".join(dict.fromkeys(tests)), evidence


def _names_service(statement: Statement) -> Truth:
    """Whether the statement's Principal (or NotPrincipal) covers the Pod Identity service."""
    listed = statement.principals
    if listed is None:
        return False
    if statement.not_principal:
        if POD_IDENTITY_SERVICE in listed.service:
            return False
        # everyone else: certainly for a Deny; an Allow that way is left open, as in trust.py
        return True if statement.effect is Effect.DENY else None
    return listed.anyone or POD_IDENTITY_SERVICE in listed.service


def chained(evaluator: Evaluator, association: PodIdentityAssociation) -> Hop:
    """Whether the association's role may assume its target role (`drift.aws.iam`)."""
    data, role, target = evaluator.data, association.role, association.target_role
    assert target is not None
    if role not in data.roles or target not in data.roles:
        missing = role if role not in data.roles else target
        return Hop(admits=None, reason=f"role {missing} is not in the input")
    context = {"sts:ExternalId": (association.external_id,)} if association.external_id else {}
    answers = [evaluator.can(role, a, target, context) for a in needed_actions(association)]
    decisions = {a.decision for a in answers}
    admits: Truth = None  # some answer is conditional
    if Decision.DENY in decisions:
        admits = False
    elif decisions == {Decision.ALLOW}:
        admits = True
    reasons = [
        f"{a.action} by {role}: {a.decision}" + (f" ({'; '.join(a.reasons)})" if a.reasons else "")
        for a in answers
        if a.decision is not Decision.ALLOW
    ]
    refs = dict.fromkeys(r for a in answers for r in a.statements)
    return Hop(
        admits=admits,
        reason="; ".join(reasons),
        evidence=tuple(Evidence(text=f"statement {r}") for r in refs),
    )


def _association_evidence(association: PodIdentityAssociation) -> Evidence:
    return Evidence(
        text=f"Pod Identity association {association.id} ({association.cluster}, "
        f"{association.namespace}/{association.service_account} -> {association.role}"
        + (f" -> {association.target_role}" if association.target_role else "")
        + f"; {association.where})"
    )


def _misbound(
    graph: SystemGraph, node_id: str, association: PodIdentityAssociation, role: str, hop: Hop
) -> None:
    graph.misbindings.append(
        Misbinding(
            source=node_id,
            target=role,
            via=f"Pod Identity association {association.id}",
            reason=hop.reason,
            evidence=(_association_evidence(association), *hop.evidence),
        )
    )
    graph.notes.append(
        f"{association.where}: Pod Identity association {association.id} gives ServiceAccount "
        f"{association.namespace}/{association.service_account} role {role}, whose trust "
        f"policy does not admit it: {hop.reason}"
    )
