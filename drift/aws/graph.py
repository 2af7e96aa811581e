"""AWS in the graph (pure): IAM principals as identities, who may become which role (trust
policies, as `assumes` edges), what each principal may do with the S3 buckets the input
names (`can` edges), and the bridge from Kubernetes ServiceAccounts to roles (IRSA and EKS
Pod Identity: `drift.aws.bridge`).

Ids are ARNs. A trust relation is `certain` when `drift.aws.iam` answers `allow`; a
`conditional` one (conditions the input does not decide) is kept, not certain. Outside
principals (another account, `*`, a service) become identities of their own so a blast
radius can start from them.

Buckets are those with a bucket policy in the input and those identity policies name outright
(`arn:aws:s3:::name` or `.../*`), plus `arn:aws:s3:::*`, every bucket, for what statements
grant on any bucket.
"""

from __future__ import annotations

from collections.abc import Iterable

from drift.aws.bridge import add_bridge
from drift.aws.bucket_nodes import BUCKET_ACTIONS, EVERY_BUCKET, bucket_node
from drift.aws.data_access import add_data_access
from drift.aws.documents import AwsInput
from drift.aws.escalation import add_escalations
from drift.aws.grants import Grants, add_grants, identity_documents
from drift.aws.graph_network import add_network
from drift.aws.iam import Decision, Evaluator
from drift.aws.kinds import (
    ANYONE,
    ANYONE_ID,
    AWS_ACCOUNT,
    AWS_PRINCIPAL,
    AWS_SERVICE,
    FEDERATED_PROVIDER,
    IAM_ROLE,
    IAM_USER,
)
from drift.aws.patterns import has_wildcard
from drift.aws.trust import TrustKind, TrustRelation, trust_relations
from drift.k8s.inventory import Inventory
from drift.model import AssumesEdge, Evidence, IdentityNode, SystemGraph

_OUTSIDE_KINDS = {
    TrustKind.ACCOUNT: AWS_ACCOUNT,
    TrustKind.EXTERNAL: AWS_PRINCIPAL,
    TrustKind.ANYONE: ANYONE,
    TrustKind.SERVICE: AWS_SERVICE,
    TrustKind.FEDERATED: FEDERATED_PROVIDER,
}


def add_aws(
    graph: SystemGraph,
    data: AwsInput,
    inventory: Inventory | None = None,
    *,
    eks_cluster: str | None = None,
) -> None:
    """Join `data` to `graph`; with the cluster's `inventory`, the bridge from its
    ServiceAccounts too. `eks_cluster`: the EKS cluster the graph's cluster is (a name or
    an ARN; default: the graph's cluster name; see `drift.aws.pod_identity`)."""
    evaluator = Evaluator(data)
    for arn, user in sorted(data.users.items()):
        graph.add_node(IdentityNode(id=arn, kind=IAM_USER, name=user.name))
    for arn, role in sorted(data.roles.items()):
        graph.add_node(IdentityNode(id=arn, kind=IAM_ROLE, name=role.name))
    relations = trust_relations(evaluator)
    _add_trust(graph, relations)
    _add_buckets(graph, evaluator)
    add_data_access(graph, evaluator)  # secrets, parameters, keys, tables
    add_escalations(graph, evaluator, relations)  # privilege escalation: drift.aws.escalation
    add_network(graph, data)  # compute, exposure and instance roles: drift.aws.graph_network
    if inventory is not None:
        add_bridge(graph, evaluator, inventory, relations, eks_cluster=eks_cluster)
    graph.notes.extend(data.notes)


# -- trust ------------------------------------------------------------------------------------


def _add_trust(graph: SystemGraph, relations: Iterable[TrustRelation]) -> None:
    by_pair: dict[tuple[str, str], list[TrustRelation]] = {}
    for relation in relations:
        if relation.kind is TrustKind.FEDERATED and ":oidc-provider/" in relation.principal:
            continue  # web identities: the bridge maps them to ServiceAccounts
        source = _source(graph, relation)
        by_pair.setdefault((source, relation.role), []).append(relation)
    for (source, role), found in sorted(by_pair.items()):
        if source == role:
            continue
        graph.add_edge(
            AssumesEdge(
                source=source,
                target=role,
                via="; ".join(dict.fromkeys(_via(r) for r in found)),
                evidence=tuple(dict.fromkeys(Evidence(text=str(r.statement)) for r in found)),
                certain=any(r.decision is Decision.ALLOW for r in found),
                unbounded=False,
            )
        )


def _source(graph: SystemGraph, relation: TrustRelation) -> str:
    if relation.kind is TrustKind.PRINCIPAL:
        return relation.principal
    node_id = ANYONE_ID if relation.kind is TrustKind.ANYONE else relation.principal
    if not graph.has_node(node_id):
        graph.add_node(
            IdentityNode(
                id=node_id,
                kind=_OUTSIDE_KINDS[relation.kind],
                name=relation.principal,
                declared=False,
            )
        )
    return node_id


def _via(relation: TrustRelation) -> str:
    text = f"{', '.join(relation.actions)} per the trust policy of {relation.role}"
    if relation.conditions:
        text += " when " + "; ".join(str(c) for c in relation.conditions)
    return text


# -- buckets ----------------------------------------------------------------------------------


# Asked for every bucket: `#` is in no bucket name, so only patterns whose bucket part is a
# wildcard (`*`, `arn:aws:s3:::*`) match it, exactly the statements that grant every bucket.
_ANY_BUCKET_REQUEST = "arn:aws:s3:::#every-bucket#"


def _add_buckets(graph: SystemGraph, evaluator: Evaluator) -> None:
    """A node per bucket the input names (kept without edges: a Deny on a named bucket must
    not leave a wildcard node standing for it), per bucket-name pattern an identity policy
    grants (`arn:aws:s3:::pay*`) and for every bucket; the last two only when someone holds
    them."""
    principals = sorted([*evaluator.data.users, *evaluator.data.roles])
    named, patterns = _buckets(evaluator.data)
    finder = Grants(evaluator)
    implied: dict[str, frozenset[str]] = {}
    for bucket in [EVERY_BUCKET, *sorted(patterns), *sorted(named)]:
        request = f"{_request_bucket(bucket)}/#any-object#"
        pattern = bucket in patterns  # what every bucket's edge says is left out of it
        edges = list(
            finder.of(principals, BUCKET_ACTIONS, request, implied=implied if pattern else None)
        )
        if bucket == EVERY_BUCKET:
            implied = {principal: frozenset(allowed) for principal, allowed, _ in edges}
        if not edges and bucket not in named:
            continue
        graph.add_node(bucket_node(bucket))
        add_grants(graph, bucket, edges)


def _request_bucket(bucket: str) -> str:
    """A bucket name only the statements covering all of `bucket` match: its wildcards stand
    for `#` (in no real name), which `*` and `?` in a statement match and letters do not."""
    if bucket == EVERY_BUCKET:
        return _ANY_BUCKET_REQUEST
    return bucket.replace("*", "#any#").replace("?", "#")


def _buckets(data: AwsInput) -> tuple[set[str], set[str]]:
    """The bucket ARNs the input names (bucket policies, identity policies), and the
    bucket-name patterns identity policies grant (`arn:aws:s3:::pay*`; not every bucket)."""
    named = {
        policy.resource
        for policy in data.resource_policies.values()
        if policy.resource.startswith("arn:aws:s3:::")
    }
    patterns = set()
    for document in identity_documents(data):
        for statement in document.statements:
            for resource in statement.resources or ():
                bucket = _bucket_of(resource)
                if bucket is None:
                    continue
                if has_wildcard(bucket.removeprefix("arn:aws:s3:::")):
                    patterns.add(bucket)
                else:
                    named.add(bucket)
    return named, patterns - {EVERY_BUCKET}


def _bucket_of(resource: str) -> str | None:
    """`arn:aws:s3:::name` or `arn:aws:s3:::name/...` -> the bucket ARN (`name` may be a
    pattern); None for policy variables and for ARNs of no bucket."""
    if not resource.startswith("arn:aws:s3:::"):
        return None
    name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    if not name or "$" in name:
        return None
    return f"arn:aws:s3:::{name}"
