"""AWS privilege escalation in the graph (pure): what each IAM user and role can *become* by
using its permissions, as `assumes` edges beside the trust policies' (`drift.aws.graph`).

The techniques are in `drift.aws.escalation_paths`, the services that run code as a passed
role in `drift.aws.escalation_table`, and how their requests are asked (regions, names of new
resources) in `drift.aws.escalation_probe`. Here they become edges:

- A technique that lets P grant itself any permission leads to its account's administrator
  node, `aws-admin:<account>` (kind `AWSAdministrator`, not declared), `unbounded`. That node
  `assumes` every user and role of the account (but service-linked roles, whose trust IAM
  does not let anyone change) and `can` act on every S3 bucket: with every permission one
  rewrites any role's trust policy or makes a user's access key. Where the input holds SCPs
  for the account, those edges are not certain (the SCPs may still forbid what they need).
- A technique that lets P act as another principal T is an edge P -> T (never P -> P).
- `certain` when the evaluator allows every action the technique needs, nothing else being
  left open; a conditional answer keeps the edge, not certain, its conditions in `via`
  ("not certain: when ..."); a denied one leaves none. `evidence` names the statements
  behind every step.
- Once P certainly reaches its administrator node, its other techniques are left out: the
  administrator node's edges carry them, so an account full of administrators costs one edge
  per principal, not one per pair.
- Several techniques from P to T are one edge: the vias joined with "; ", evidence pooled,
  certain if one is, unbounded if one is. Where the trust policies already gave the pair an
  edge, the two merge the same way, the trust's via first.
"""

from __future__ import annotations

from collections.abc import Iterable

from drift.aws.bucket_nodes import BUCKET_ACTIONS, EVERY_BUCKET, bucket_node
from drift.aws.data_access import STORES, store_node
from drift.aws.documents import AwsInput
from drift.aws.escalation_base import Found, admin_id, known
from drift.aws.escalation_outcome import Outcome
from drift.aws.escalation_paths import Techniques
from drift.aws.iam import Evaluator
from drift.aws.kinds import AWS_ADMINISTRATOR
from drift.aws.trust import TrustRelation
from drift.model import (
    AssumesEdge,
    CanEdge,
    EdgeType,
    Evidence,
    IdentityNode,
    ResourceNode,
    SystemGraph,
)

__all__ = ["add_escalations", "admin_id", "escalations"]


def escalations(
    evaluator: Evaluator, relations: Iterable[TrustRelation]
) -> tuple[AssumesEdge, ...]:
    """Every escalation of every user and role, one edge per (source, target), sorted."""
    data = evaluator.data
    techniques = Techniques(evaluator, known(data, relations))
    found: list[Found] = []
    for principal in sorted([*data.users, *data.roles]):
        found.extend(f for f in techniques.of(principal) if f.target != principal)
    by_pair: dict[tuple[str, str], list[AssumesEdge]] = {}
    evidence: dict[int, tuple[tuple[Evidence, ...], Outcome]] = {}
    for item in found:
        by_pair.setdefault((item.source, item.target), []).append(_edge(item, evidence))
    return tuple(
        edges[0] if len(edges) == 1 else merged(edges) for _, edges in sorted(by_pair.items())
    )


def add_escalations(
    graph: SystemGraph, evaluator: Evaluator, relations: Iterable[TrustRelation]
) -> None:
    """The escalations as `assumes` edges, with the administrator nodes they lead to."""
    edges = escalations(evaluator, relations)
    accounts = sorted({e.target.removeprefix("aws-admin:") for e in edges if _is_admin(e.target)})
    for account in accounts:
        _add_administrator(graph, evaluator.data, account)
    for edge in edges:
        existing = graph.edge(edge.source, edge.target, EdgeType.ASSUMES)
        if existing is None:
            graph.add_edge(edge)
        else:
            assert isinstance(existing, AssumesEdge)
            graph.replace_edge(merged([existing, edge]))


def merged(edges: list[AssumesEdge]) -> AssumesEdge:
    first = edges[0]
    return AssumesEdge(
        source=first.source,
        target=first.target,
        via="; ".join(dict.fromkeys(e.via for e in edges)),
        evidence=tuple(dict.fromkeys(ev for e in edges for ev in e.evidence)),
        certain=any(e.certain for e in edges),
        unbounded=any(e.unbounded for e in edges),
    )


def _edge(found: Found, evidence: dict[int, tuple[tuple[Evidence, ...], Outcome]]) -> AssumesEdge:
    # Outcomes are shared by the many targets one answer covers: name their statements once.
    outcome = found.outcome
    assert outcome.possible, f"a denied escalation {found.source} -> {found.target}"
    named = evidence.get(id(outcome))
    if named is None:
        texts = tuple(Evidence(text=str(s)) for s in outcome.statements)
        named = evidence[id(outcome)] = (texts, outcome)  # keeps the id alive
    return AssumesEdge(
        source=found.source,
        target=found.target,
        via=found.via,
        evidence=named[0],
        certain=found.outcome.certain,
        unbounded=found.unbounded,
    )


def _is_admin(node_id: str) -> bool:
    return node_id.startswith("aws-admin:")


def _add_administrator(graph: SystemGraph, data: AwsInput, account: str) -> None:
    node = admin_id(account)
    graph.add_node(
        IdentityNode(
            id=node,
            kind=AWS_ADMINISTRATOR,
            name=f"every permission in account {account}",
            declared=False,
        )
    )
    certain = account not in data.scps
    every = (Evidence(text=f"every permission in account {account}"),)
    for arn in sorted(data.users):
        if arn.split(":")[4] == account:
            graph.add_edge(
                AssumesEdge(
                    source=node,
                    target=arn,
                    via="iam:CreateAccessKey + iam:DeleteAccessKey: a new access key of the "
                    "user (every permission)",
                    evidence=every,
                    certain=certain,
                )
            )
    for arn, role in sorted(data.roles.items()):
        if arn.split(":")[4] == account and not role.protected:
            graph.add_edge(
                AssumesEdge(
                    source=node,
                    target=arn,
                    via="iam:UpdateAssumeRolePolicy + sts:AssumeRole: the role's trust policy "
                    "rewritten to admit it (every permission)",
                    evidence=every,
                    certain=certain,
                )
            )
    # Every permission reads every data store (drift.aws.graph, drift.aws.data_access).
    stores: list[tuple[ResourceNode, tuple[str, ...]]] = [
        (bucket_node(EVERY_BUCKET), BUCKET_ACTIONS)
    ]
    stores += [(store_node(s, s.every), s.actions) for s in STORES]
    for resource, actions in stores:
        if not graph.has_node(resource.id):
            graph.add_node(resource)
        graph.add_edge(
            CanEdge(source=node, target=resource.id, actions=frozenset(actions), evidence=every)
        )
