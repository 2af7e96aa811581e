"""The design's identities found in the live model: which identity node a baseline reference
(`<service>`, `<namespace>/<serviceaccount>`, `user:`..., an AWS principal's ARN...) stands for,
and how to name one for a person.

A service whose design names its identity stands for that ServiceAccount in its namespace;
one that names none stands for whatever its live workloads run as (a ServiceAccount, or the
IAM role of an EC2 instance profile or a Lambda function).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from drift.aws.arns import account_of, root_account
from drift.aws.kinds import (
    ANYONE,
    ANYONE_ID,
    AWS_ACCOUNT,
    AWS_ADMINISTRATOR,
    AWS_PRINCIPAL,
    AWS_SERVICE,
    FEDERATED_PROVIDER,
    IAM_PRINCIPAL_KINDS,
    IAM_ROLE,
    IAM_USER,
)
from drift.aws.patterns import arn_matches
from drift.diff.design import DesignMap, service_namespace
from drift.ids import k8s_object_id
from drift.model import EdgeType, IdentityNode, WorkloadNode

_NAMED_KINDS = {"user": "User", "group": "Group", "node": "Node"}
_AWS_PREFIXED_KINDS = {"service": AWS_SERVICE, "federated": FEDERATED_PROVIDER}
ANYONE_REF = ANYONE_ID  # the design names the node by its id


# What AWS leaves in a trust policy for a principal that was deleted: its unique id.
_UNIQUE_ID = re.compile(r"^A[A-Z]{2}A[A-Z0-9]{12,}$")


def is_aws_ref(ref: str) -> bool:
    """An AWS principal's ARN (pattern) or unique id, `service:`, `federated:` or `aws:*`."""
    kind, colon, _ = ref.partition(":")
    if ref == ANYONE_REF or _UNIQUE_ID.match(ref):
        return True
    return bool(colon) and (kind == "arn" or kind in _AWS_PREFIXED_KINDS)


def _aws_identity_ids(design: DesignMap, ref: str) -> frozenset[str]:
    graph = design.graph
    if ref == ANYONE_REF:
        return frozenset({ref}) if graph.has_node(ref) else frozenset()
    kind, _, name = ref.partition(":")
    if kind in _AWS_PREFIXED_KINDS:
        node = graph.node(name) if graph.has_node(name) else None
        known = isinstance(node, IdentityNode) and node.kind == _AWS_PREFIXED_KINDS[kind]
        return frozenset({name}) if known else frozenset()
    account = root_account(ref)
    if account is not None:
        # An account, as a trust policy means it: every principal of that account.
        found = {i for i in design.aws_principals() if account_of(i) == account}
        return frozenset({ref, *found})
    if "*" not in ref and "?" not in ref:
        return frozenset({ref})
    return frozenset(i for i in design.aws_principals() if arn_matches(ref, i))


def is_named_ref(ref: str) -> bool:
    """`user:`, `group:` or `node:` refs name an identity outright, not a service."""
    kind, colon, _ = ref.partition(":")
    return bool(colon) and kind in _NAMED_KINDS


def identity_ids(design: DesignMap, ref: str) -> frozenset[str]:
    """The identity node ids `ref` stands for (none when a service has no live workload and
    no designed identity)."""
    cluster = design.graph.cluster
    if is_aws_ref(ref):
        return _aws_identity_ids(design, ref)
    kind, colon, name = ref.partition(":")
    if colon and kind in _NAMED_KINDS:
        return frozenset({k8s_object_id(cluster, _NAMED_KINDS[kind], name)})
    if "/" in ref:
        namespace, name = ref.split("/", 1)
        return frozenset({k8s_object_id(cluster, "ServiceAccount", name, namespace)})
    service = design.baseline.services.get(ref)
    if service is None:
        return frozenset()
    home = service_namespace(design.baseline, ref)
    if service.identity is not None and home is not None:
        return frozenset({k8s_object_id(cluster, "ServiceAccount", service.identity, home)})
    return frozenset(runs_as(design, w.id) for w in design.members.get(ref, ()))


def ref_namespace(design: DesignMap, ref: str) -> str | None:
    """The namespace a permission of `ref` applies in when it names none."""
    if is_named_ref(ref) or is_aws_ref(ref):
        return None
    if "/" in ref:
        return ref.split("/", 1)[0]
    return service_namespace(design.baseline, ref)


def runs_as(design: DesignMap, workload_id: str) -> str:
    """The identity a workload's code holds: its `runs_as` edge (a ServiceAccount, an AWS
    role), else the ServiceAccount its pods name."""
    graph = design.graph.networkx
    for _, target, key in graph.out_edges(workload_id, keys=True):
        if key == EdgeType.RUNS_AS:
            return str(target)
    node = design.graph.node(workload_id)
    assert isinstance(node, WorkloadNode)
    return k8s_object_id(
        design.graph.cluster, "ServiceAccount", node.service_account, node.namespace
    )


def _any_of_kind(design: DesignMap, ref: str, node_id: str) -> bool:
    """`user:*`, `group:*`, `node:*`: every identity of that kind, whatever its name."""
    kind, colon, name = ref.partition(":")
    if not (colon and name == "*" and kind in _NAMED_KINDS):
        return False
    node = design.graph.node(node_id) if design.graph.has_node(node_id) else None
    return isinstance(node, IdentityNode) and node.kind == _NAMED_KINDS[kind]


def covers(design: DesignMap, refs: Iterable[str], node_id: str) -> bool:
    """Whether one of `refs` (or `*`) stands for `node_id`: the identity itself, a workload of
    the service, or a workload running as the identity."""
    ids: set[str] = set()
    for ref in refs:
        if ref == "*" or _any_of_kind(design, ref, node_id):
            return True
        ids |= identity_ids(design, ref)
        if any(w.id == node_id for w in design.members.get(ref, ())):  # a service's workload
            return True
    if node_id in ids:
        return True
    return (
        design.graph.has_node(node_id)
        and isinstance(design.graph.node(node_id), WorkloadNode)
        and runs_as(design, node_id) in ids
    )


def services_of_identity(design: DesignMap, identity_id: str) -> list[str]:
    """The designed services whose workloads run as `identity_id`."""
    found = set()
    graph = design.graph.networkx
    if identity_id in graph:
        for source, _target, key in graph.in_edges(identity_id, keys=True):
            if key == EdgeType.RUNS_AS and source in design.service_of:
                found.add(design.service_of[source])
    return sorted(found)


def display_identity(design: DesignMap, node_id: str) -> str:
    """`ServiceAccount shop/cart (service cart)`, `workload Deployment shop/cart`, ..."""
    if not design.graph.has_node(node_id):
        return node_id
    node = design.graph.node(node_id)
    if isinstance(node, WorkloadNode):
        service = design.service_of.get(node_id)
        text = f"{node.kind} {node.namespace}/{node.name}"
        return f"{text} (service {service})" if service else text
    if isinstance(node, IdentityNode):
        where = f"{node.namespace}/" if node.namespace else ""
        text = _AWS_DISPLAY.get(node.kind, node.kind) + f" {where}{node.name}"
        if node.kind == AWS_ADMINISTRATOR:
            text = node.name  # every permission in account ...
        if node.kind in IAM_PRINCIPAL_KINDS:
            text += f" ({node.id})"
        services = services_of_identity(design, node_id)
        return f"{text} (service {', '.join(services)})" if services else text
    return node_id


_AWS_DISPLAY = {
    IAM_USER: "IAM user",
    IAM_ROLE: "IAM role",
    AWS_ACCOUNT: "AWS account",
    AWS_PRINCIPAL: "AWS principal",
    AWS_SERVICE: "AWS service",
    FEDERATED_PROVIDER: "federated provider",
    ANYONE: "anyone, Principal",
}
