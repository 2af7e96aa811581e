"""IRSA (IAM roles for service accounts): which roles a ServiceAccount's web identity may
assume, per the roles' trust policies (pure; `drift.aws.bridge` adds what it finds).

A ServiceAccount reaches a role when the role trusts an OIDC provider (`...:oidc-provider/...`)
for `sts:AssumeRoleWithWebIdentity` and the `:sub` condition names
`system:serviceaccount:<namespace>:<name>` (as IAM evaluates the condition: StringEquals,
StringLike with `*`/`?`, their negations...; no `:sub` condition admits every ServiceAccount;
a test it cannot decide leaves the edge possible). The IAM documents cannot tell whose cluster the
provider is: the edge is certain only when the ServiceAccount's `eks.amazonaws.com/role-arn`
annotation names the role too (the cluster hands its pods that role's tokens), else possible.

An annotation naming a role of the input whose trust admits the ServiceAccount through no
provider is a `Misbinding` (and a note): the pods get tokens the role refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from drift.aws.conditions import Truth, all_of, evaluate
from drift.aws.documents import AwsInput
from drift.aws.trust import TrustKind, TrustRelation
from drift.aws.variables import KeyValue, Missing
from drift.ids import k8s_object_id
from drift.k8s.inventory import Inventory
from drift.k8s.kinds import SERVICE_ACCOUNT
from drift.k8s.objects import KubeObject
from drift.model import AssumesEdge, Evidence, Misbinding, SystemGraph

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


def web_identity_relations(relations: Iterable[TrustRelation]) -> list[TrustRelation]:
    """The relations that let an OIDC provider's web identities assume a role."""
    return [
        r
        for r in relations
        if r.kind is TrustKind.FEDERATED
        and ":oidc-provider/" in r.principal
        and WEB_IDENTITY in r.actions
    ]


def irsa_edges(
    graph: SystemGraph, data: AwsInput, inventory: Inventory, relations: Iterable[TrustRelation]
) -> list[AssumesEdge]:
    """The IRSA edges of every ServiceAccount in the graph; misbindings go on the graph."""
    web = web_identity_relations(relations)
    accounts = {(o.namespace or "", o.name): o for o in inventory.of_kind(SERVICE_ACCOUNT)}
    used = {(w.namespace, w.service_account) for w in inventory.workloads}
    edges: list[AssumesEdge] = []
    for namespace, name in sorted(set(accounts) | used):
        node_id = k8s_object_id(graph.cluster, "ServiceAccount", name, namespace)
        if not graph.has_node(node_id):
            continue
        subject = f"system:serviceaccount:{namespace}:{name}"
        admitted: dict[str, list[tuple[TrustRelation, Truth]]] = {}
        for relation in web:
            answer = admission(relation, subject)
            if answer is not False:
                admitted.setdefault(relation.role, []).append((relation, answer))
        account = accounts.get((namespace, name))
        claimed = account.get(("metadata", "annotations", IRSA_ANNOTATION)) if account else None
        for role, found in sorted(admitted.items()):
            edges.append(
                AssumesEdge(
                    source=node_id,
                    target=role,
                    via=f"IRSA: web identity of ServiceAccount {namespace}/{name} per the trust "
                    f"policy of {role} (provider {found[0][0].principal})",
                    evidence=tuple(
                        dict.fromkeys(Evidence(text=str(r.statement)) for r, _ in found)
                    ),
                    # Whose OIDC provider the trust names, the IAM documents cannot say; the
                    # annotation is the cluster saying its pods get that role's tokens. A
                    # `:sub` test left undecided leaves the step open too.
                    certain=claimed == role and any(a is True for _, a in found),
                )
            )
        refused = isinstance(claimed, str) and claimed in data.roles and claimed not in admitted
        if account is not None and refused:
            _misbound(graph, node_id, account, str(claimed), subject, web)
    return edges


def _misbound(
    graph: SystemGraph,
    node_id: str,
    account: KubeObject,
    role: str,
    subject: str,
    web: Iterable[TrustRelation],
) -> None:
    namespace, name = account.namespace or "", account.name
    line = account.line_of(("metadata", "annotations", IRSA_ANNOTATION))
    annotation = Evidence(
        text=f"annotation {IRSA_ANNOTATION}: {role} on ServiceAccount {namespace}/{name}",
        source=replace(account.source, line=line),
    )
    written = [r for r in web if r.role == role]
    subjects = sorted({v for r in written for v in r.condition_values(":sub")})
    if not written:
        reason = f"its trust policy lets no OIDC web identity assume it ({WEB_IDENTITY})"
    elif subjects:
        reason = f"its trust policy admits web identities {', '.join(subjects)}, not {subject}"
    else:
        reason = f"its trust policy does not admit {subject}"
    trust = tuple(dict.fromkeys(Evidence(text=str(r.statement)) for r in written))
    graph.misbindings.append(
        Misbinding(
            source=node_id,
            target=role,
            via=f"annotation {IRSA_ANNOTATION}",
            reason=reason,
            evidence=(annotation, *trust),
        )
    )
    graph.notes.append(
        f"{account.source}: ServiceAccount {namespace}/{name} is "
        f"annotated with role {role}, whose trust policy does not admit it"
    )


def admission(relation: TrustRelation, subject: str) -> Truth:
    """Whether the relation's `:sub` conditions let `subject` in: true, false, or undecided
    (an operator not modelled, a policy variable). No `:sub` condition: every ServiceAccount
    of the provider's cluster may assume the role."""
    provider = relation.principal.split(":oidc-provider/", 1)[-1].lower()

    def lookup(key: str) -> KeyValue:
        if key.lower() == f"{provider}:sub":
            return (subject,)
        # another provider's claims are not in this provider's tokens
        return Missing.ABSENT if key.lower().endswith(":sub") else Missing.UNKNOWN

    tests = [c for c in relation.conditions if c.key.lower().endswith(":sub")]
    return all_of(evaluate(test, lookup, variables=True) for test in tests)
