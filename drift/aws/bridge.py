"""The bridge from Kubernetes to AWS (pure): the IAM roles a ServiceAccount's pods can act as,
as `assumes` edges from the ServiceAccount to each role.

Two ways, each following the role's trust policy, never the binding alone:

- IRSA (`drift.aws.irsa`): the role trusts the web identity of the ServiceAccount;
- EKS Pod Identity (`drift.aws.pod_identity`): an association of the cluster names the
  ServiceAccount and the role, and the role trusts `pods.eks.amazonaws.com`.

A pair found both ways is one edge, certain when either way is. A role an association names
that is not in the input becomes an identity of its own (`declared` false) so the step shows.
A binding the role's trust refuses is no edge: it is a `Misbinding` on the graph, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable

from drift.aws.iam import Evaluator
from drift.aws.irsa import irsa_edges
from drift.aws.kinds import IAM_ROLE
from drift.aws.pod_identity import pod_identity_edges
from drift.aws.trust import TrustRelation
from drift.k8s.inventory import Inventory
from drift.model import AssumesEdge, IdentityNode, SystemGraph


def add_bridge(
    graph: SystemGraph,
    evaluator: Evaluator,
    inventory: Inventory,
    relations: Iterable[TrustRelation],
    *,
    eks_cluster: str | None = None,
) -> None:
    found = [
        *irsa_edges(graph, evaluator.data, inventory, relations),
        *pod_identity_edges(graph, evaluator, eks_cluster=eks_cluster),
    ]
    for edge in merged(found):
        if not graph.has_node(edge.target):
            name = edge.target.rsplit("/", 1)[-1]
            graph.add_node(IdentityNode(id=edge.target, kind=IAM_ROLE, name=name, declared=False))
        graph.add_edge(edge)


def merged(edges: Iterable[AssumesEdge]) -> list[AssumesEdge]:
    """One edge per (source, target): every way in `via` and `evidence`, certain if any is."""
    by_pair: dict[tuple[str, str], list[AssumesEdge]] = {}
    for edge in edges:
        by_pair.setdefault((edge.source, edge.target), []).append(edge)
    return [
        AssumesEdge(
            source=source,
            target=target,
            via="; ".join(dict.fromkeys(e.via for e in found)),
            evidence=tuple(dict.fromkeys(x for e in found for x in e.evidence)),
            certain=any(e.certain for e in found),
            unbounded=False,
        )
        for (source, target), found in sorted(by_pair.items())
    ]
