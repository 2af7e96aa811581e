"""AWS in the graph (pure): IAM principals as identities, who may become which role (trust
policies, as `assumes` edges), what each principal may do with the S3 buckets the input
names (`can` edges), and the bridge from Kubernetes ServiceAccounts to roles (IRSA).

Ids are ARNs. A trust relation is `certain` when `drift.aws.iam` answers `allow`; a
`conditional` one (conditions the input does not decide) is kept, not certain. Outside
principals (another account, `*`, a service) become identities of their own so a blast
radius can start from them.

The bridge follows the trust policy, never the annotation alone: a ServiceAccount reaches a
role when the role trusts an OIDC provider (`...:oidc-provider/...`) for
`sts:AssumeRoleWithWebIdentity` and the `:sub` condition names
`system:serviceaccount:<namespace>:<name>` (StringEquals, or StringLike with `*`/`?`; no
`:sub` condition admits every ServiceAccount). The IAM documents cannot tell whose cluster the
provider is: the edge is certain only when the ServiceAccount's `eks.amazonaws.com/role-arn`
annotation names the role too (the cluster hands its pods that role's tokens), else possible.
A ServiceAccount annotated with
`eks.amazonaws.com/role-arn` for a role that does not admit it is a note (the pods get a
token the role refuses). Buckets are those with a bucket policy in the input and those
identity policies name outright (`arn:aws:s3:::name` or `.../*`), plus `arn:aws:s3:::*`, every
bucket, for what statements grant on any bucket.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from drift.aws.documents import AwsInput
from drift.aws.escalation import add_escalations
from drift.aws.iam import Decision, Evaluator
from drift.aws.policy import PolicyDocument
from drift.aws.trust import TrustKind, TrustRelation, trust_relations
from drift.ids import k8s_object_id
from drift.k8s.inventory import Inventory
from drift.k8s.kinds import SERVICE_ACCOUNT
from drift.model import AssumesEdge, CanEdge, Evidence, IdentityNode, ResourceNode, SystemGraph

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
BUCKET_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
ANYONE = "aws:*"
_OUTSIDE_KINDS = {
    TrustKind.ACCOUNT: "AWSAccount",
    TrustKind.EXTERNAL: "AWSPrincipal",
    TrustKind.ANYONE: "Anyone",
    TrustKind.SERVICE: "AWSService",
    TrustKind.FEDERATED: "FederatedProvider",
}


def add_aws(graph: SystemGraph, data: AwsInput, inventory: Inventory | None = None) -> None:
    evaluator = Evaluator(data)
    for arn, user in sorted(data.users.items()):
        graph.add_node(IdentityNode(id=arn, kind="IAMUser", name=user.name))
    for arn, role in sorted(data.roles.items()):
        graph.add_node(IdentityNode(id=arn, kind="IAMRole", name=role.name))
    relations = trust_relations(evaluator)
    _add_trust(graph, relations)
    _add_buckets(graph, evaluator)
    add_escalations(graph, evaluator, relations)
    if inventory is not None:
        _add_bridge(graph, data, inventory, relations)
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
    node_id = ANYONE if relation.kind is TrustKind.ANYONE else relation.principal
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


# Stands for every bucket: `#` is in no bucket name, so only patterns whose bucket part is a
# wildcard (`*`, `arn:aws:s3:::*`) match it, exactly the statements that grant every bucket.
EVERY_BUCKET = "arn:aws:s3:::*"
_ANY_BUCKET_REQUEST = "arn:aws:s3:::#every-bucket#"


def _add_buckets(graph: SystemGraph, evaluator: Evaluator) -> None:
    principals = sorted([*evaluator.data.users, *evaluator.data.roles])
    for bucket in [EVERY_BUCKET, *sorted(_buckets(evaluator.data))]:
        request = _ANY_BUCKET_REQUEST if bucket == EVERY_BUCKET else bucket
        edges: list[tuple[str, list[str], tuple[Evidence, ...]]] = []
        for principal in principals:
            allowed: list[str] = []
            statements: dict[str, None] = {}
            for action in BUCKET_ACTIONS:
                answer = evaluator.can(principal, action, f"{request}/#any-object#")
                if answer.decision is Decision.ALLOW:
                    allowed.append(action)
                    statements.update({str(s): None for s in answer.statements})
            if allowed:
                edges.append((principal, allowed, tuple(Evidence(text=e) for e in statements)))
        if not edges:
            continue
        name = bucket.removeprefix("arn:aws:s3:::")
        text = "every S3 bucket" if bucket == EVERY_BUCKET else f"S3 bucket {name}"
        graph.add_node(ResourceNode(id=bucket, name=text, api_group="s3", resource=name))
        for principal, allowed, evidence in edges:
            graph.add_edge(
                CanEdge(
                    source=principal,
                    target=bucket,
                    actions=frozenset(allowed),
                    evidence=evidence,
                )
            )


def _buckets(data: AwsInput) -> set[str]:
    found = {
        policy.resource
        for policy in data.resource_policies.values()
        if policy.resource.startswith("arn:aws:s3:::")
    }
    for document in _identity_documents(data):
        for statement in document.statements:
            for resource in statement.resources or ():
                bucket = _bucket_of(resource)
                if bucket is not None:
                    found.add(bucket)
    return found


def _identity_documents(data: AwsInput) -> Iterator[PolicyDocument]:
    for user in data.users.values():
        yield from (inline.document for inline in user.inline)
    for role in data.roles.values():
        yield from (inline.document for inline in role.inline)
    for group in data.groups.values():
        yield from (inline.document for inline in group.inline)
    for policy in data.policies.values():
        yield policy.document


def _bucket_of(resource: str) -> str | None:
    """`arn:aws:s3:::name` or `arn:aws:s3:::name/...` with a plain name -> the bucket ARN."""
    if not resource.startswith("arn:aws:s3:::"):
        return None
    name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    if not name or any(c in name for c in "*?$"):
        return None
    return f"arn:aws:s3:::{name}"


# -- the bridge from Kubernetes ---------------------------------------------------------------


def _add_bridge(
    graph: SystemGraph, data: AwsInput, inventory: Inventory, relations: Iterable[TrustRelation]
) -> None:
    web = [
        r
        for r in relations
        if r.kind is TrustKind.FEDERATED
        and ":oidc-provider/" in r.principal
        and "sts:AssumeRoleWithWebIdentity" in r.actions
    ]
    accounts = {(o.namespace or "", o.name): o for o in inventory.of_kind(SERVICE_ACCOUNT)}
    used = {(w.namespace, w.service_account) for w in inventory.workloads}
    for namespace, name in sorted(set(accounts) | used):
        node_id = k8s_object_id(graph.cluster, "ServiceAccount", name, namespace)
        if not graph.has_node(node_id):
            continue
        subject = f"system:serviceaccount:{namespace}:{name}"
        admitted: dict[str, list[TrustRelation]] = {}
        for relation in web:
            if _admits(relation, subject):
                admitted.setdefault(relation.role, []).append(relation)
        account = accounts.get((namespace, name))
        claimed = account.get(("metadata", "annotations", IRSA_ANNOTATION)) if account else None
        for role, found in sorted(admitted.items()):
            graph.add_edge(
                AssumesEdge(
                    source=node_id,
                    target=role,
                    via=f"IRSA: web identity of ServiceAccount {namespace}/{name} per the trust "
                    f"policy of {role} (provider {found[0].principal})",
                    evidence=tuple(dict.fromkeys(Evidence(text=str(r.statement)) for r in found)),
                    # Whose OIDC provider the trust names, the IAM documents cannot say; the
                    # annotation is the cluster saying its pods get that role's tokens.
                    certain=claimed == role,
                )
            )
        if isinstance(claimed, str) and claimed in data.roles and claimed not in admitted:
            graph.notes.append(
                f"{account.source if account else ''}: ServiceAccount {namespace}/{name} is "
                f"annotated with role {claimed}, whose trust policy does not admit it"
            )


def _admits(relation: TrustRelation, subject: str) -> bool:
    """Whether the relation's `:sub` conditions let `subject` in (none: every ServiceAccount
    of the provider's cluster may assume the role)."""
    tests = [c for c in relation.conditions if c.key.lower().endswith(":sub")]
    for test in tests:
        operator = test.operator.lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
        if operator.startswith("stringequals") and subject not in test.values:
            return False
        if operator.startswith("stringlike") and not any(
            _like(v).fullmatch(subject) for v in test.values
        ):
            return False
        if not operator.startswith(("stringequals", "stringlike")):
            return False  # negations and others: not decided here
    return True


@functools.lru_cache(maxsize=1024)
def _like(pattern: str) -> re.Pattern[str]:
    """IAM's StringLike: `*` any run of characters, `?` one; nothing else is special."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )
