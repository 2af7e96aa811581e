"""RBAC in the graph: `can` edges from identities to what they may act on, and `assumes` edges
from identities to the identities and workloads they can become (pure).

Every subject a binding names becomes an identity node (Users and Groups only when bound; the
nodes' credentials when something reaches them). A ServiceAccount's `can` edges hold what it
is granted directly and through the groups Kubernetes puts it in (`system:serviceaccounts`,
`system:authenticated`...), since it acts with all of them, but for the grants Kubernetes
gives every caller by default (discovery, self-reviews): the platform's, not a design's.
Bindings to roles the input does not contain leave grants unknown: each is a note, and
escalations through them are not `certain`.
"""

from __future__ import annotations

from drift.errors import ManifestError
from drift.ids import k8s_object_id
from drift.k8s.escalation import Escalation, WorkloadRef, by_pair, escalations
from drift.k8s.inventory import Inventory
from drift.k8s.rbac import (
    EffectiveRule,
    Permission,
    PermissionTarget,
    is_platform_default,
    read_rbac,
)
from drift.k8s.subjects import Subject, SubjectKind
from drift.model import (
    AssumesEdge,
    CanEdge,
    IdentityNode,
    ResourceNode,
    SystemGraph,
    WorkloadNode,
)


def add_rbac(graph: SystemGraph, inventory: Inventory) -> None:
    problems: list[str] = []
    rbac = read_rbac(inventory, problems)
    if problems:
        raise ManifestError(problems)
    cluster = graph.cluster
    for subject in rbac.subjects():
        _ensure_identity(graph, subject)
        inherited = subject.kind is not SubjectKind.GROUP
        for permission in rbac.permissions(subject, inherited=inherited, keep=_designable):
            _add_can(graph, subject_id(cluster, subject), permission)
    for escalation in by_pair(escalations(inventory, rbac)):
        _add_assumes(graph, escalation)
    graph.notes.extend(unknown.reason for unknown in rbac.unknowns)


def _designable(rule: EffectiveRule) -> bool:
    return not is_platform_default(rule)


def subject_id(cluster: str, subject: Subject) -> str:
    """ServiceAccounts as objects; `k8s:<cluster>/User/<name>`, `.../Group/<name>`, and
    `.../Node/<name>` (`*`: the credentials of any node)."""
    return k8s_object_id(cluster, str(subject.kind), subject.name, subject.namespace)


def _ensure_identity(graph: SystemGraph, subject: Subject) -> str:
    node_id = subject_id(graph.cluster, subject)
    if not graph.has_node(node_id):
        graph.add_node(
            IdentityNode(
                id=node_id,
                kind=str(subject.kind),
                name=subject.name,
                namespace=subject.namespace,
                # A ServiceAccount a binding names but the input does not contain.
                declared=subject.kind is not SubjectKind.SERVICE_ACCOUNT,
            )
        )
    return node_id


def resource_id(cluster: str, target: PermissionTarget) -> str:
    if target.url is not None:
        return f"k8s:{cluster}/url:{target.url}"
    group = target.api_group or "core"
    name = f"/{target.resource_name}" if target.resource_name is not None else ""
    return f"k8s:{cluster}/rbac/{target.namespace or '*'}/{group}/{target.resource}{name}"


def resource_name(target: PermissionTarget) -> str:
    """For a person: `secrets in shop`, `deployments.apps named web in shop`, `* (every
    group) in the cluster`, `URL /metrics`."""
    if target.url is not None:
        return f"URL {target.url}"
    if target.api_group == "*":
        what = f"{target.resource} (every API group)"
    else:
        what = f"{target.resource}.{target.api_group}" if target.api_group else target.resource
    named = f" named {target.resource_name}" if target.resource_name is not None else ""
    where = f"in {target.namespace}" if target.namespace is not None else "in the cluster"
    return f"{what}{named} {where}"


def _add_can(graph: SystemGraph, source: str, permission: Permission) -> None:
    target = permission.target
    node_id = resource_id(graph.cluster, target)
    if not graph.has_node(node_id):
        graph.add_node(
            ResourceNode(
                id=node_id,
                name=resource_name(target),
                namespace=target.namespace,
                api_group=target.api_group,
                resource=target.url if target.url is not None else target.resource,
                resource_name=target.resource_name,
                non_resource=target.url is not None,
            )
        )
    graph.add_edge(
        CanEdge(
            source=source, target=node_id, actions=permission.verbs, evidence=permission.evidence
        )
    )


def _add_assumes(graph: SystemGraph, escalation: Escalation) -> None:
    source = _ensure_identity(graph, escalation.source)
    target = escalation.target
    if isinstance(target, WorkloadRef):
        target_id = k8s_object_id(graph.cluster, target.kind, target.name, target.namespace)
        if not graph.has_node(target_id):
            return  # a workload the graph does not hold (it is controlled by another)
        workload = graph.node(target_id)
        assert isinstance(workload, WorkloadNode)
        runs_as = k8s_object_id(
            graph.cluster, "ServiceAccount", workload.service_account, workload.namespace
        )
        if runs_as == source:
            return  # entering pods that run as yourself gains nothing
    else:
        target_id = _ensure_identity(graph, target)
    graph.add_edge(
        AssumesEdge(
            source=source,
            target=target_id,
            via=escalation.via,
            evidence=escalation.evidence,
            certain=escalation.certain,
            # The nodes' credentials reach every pod on them, whichever pods those are.
            unbounded=escalation.unbounded
            or (isinstance(target, Subject) and target.kind is SubjectKind.NODE),
        )
    )
