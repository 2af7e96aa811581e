"""In-code builders: Kubernetes objects for pure tests, without files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drift.build import build_graph
from drift.k8s.inventory import Inventory, build_inventory
from drift.k8s.kinds import is_cluster_scoped
from drift.k8s.objects import KubeObject, SourceRef
from drift.model import ConnectsEdge, EdgeType, SystemGraph


def kube(
    doc: Mapping[str, Any], *, index: int = 0, default_namespace: str = "default"
) -> KubeObject:
    api_version, kind = doc["apiVersion"], doc["kind"]
    group = api_version.rpartition("/")[0]
    namespace = (
        None
        if is_cluster_scoped(group, kind)
        else (doc.get("metadata", {}).get("namespace") or default_namespace)
    )
    return KubeObject(
        api_version=api_version,
        kind=kind,
        name=doc["metadata"]["name"],
        namespace=namespace,
        body=doc,
        source=SourceRef(file="test.yaml", document=index, line=1),
    )


def inventory(*docs: Mapping[str, Any], cluster: str = "c") -> Inventory:
    return build_inventory(cluster, [kube(d, index=i) for i, d in enumerate(docs)])


def graph(*docs: Mapping[str, Any], cluster: str = "c") -> SystemGraph:
    return build_graph(inventory(*docs, cluster=cluster))


def deployment(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    namespace: str = "default",
    ports: Iterable[Mapping[str, Any]] = (),
    kind: str = "Deployment",
    service_account: str | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    labels = dict(labels or {"app": name})
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i", "ports": list(ports)}]}
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    if host_network:
        pod_spec["hostNetwork"] = True
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": pod_spec,
        }
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }


def pod(name: str, labels: Mapping[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    return deployment(name, labels, kind="Pod", **kw)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {})},
    }


def netpol(name: str, spec: Mapping[str, Any], *, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }


def wid(name: str, namespace: str = "default", kind: str = "Deployment", cluster: str = "c") -> str:
    return f"k8s:{cluster}/{namespace}/{kind}/{name}"


def connects(g: SystemGraph, source: str, target: str) -> ConnectsEdge | None:
    edge = g.edge(source, target, EdgeType.CONNECTS)
    assert edge is None or isinstance(edge, ConnectsEdge)
    return edge


RBAC_V1 = "rbac.authorization.k8s.io/v1"


def rule(
    verbs: Iterable[str],
    resources: Iterable[str] = (),
    *,
    groups: Iterable[str] = ("",),
    names: Iterable[str] = (),
    urls: Iterable[str] = (),
) -> dict[str, Any]:
    """A PolicyRule: resources in `groups` (core by default), or `urls` alone."""
    if urls:
        return {"verbs": list(verbs), "nonResourceURLs": list(urls)}
    out: dict[str, Any] = {
        "verbs": list(verbs),
        "apiGroups": list(groups),
        "resources": list(resources),
    }
    if names:
        out["resourceNames"] = list(names)
    return out


def role(name: str, *rules: Mapping[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": RBAC_V1,
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": [dict(r) for r in rules],
    }


def cluster_role(
    name: str,
    *rules: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    aggregate: Iterable[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ClusterRole; `aggregate` gives its clusterRoleSelectors (label selectors)."""
    doc: dict[str, Any] = {
        "apiVersion": RBAC_V1,
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "rules": [dict(r) for r in rules],
    }
    if aggregate is not None:
        doc["aggregationRule"] = {"clusterRoleSelectors": [dict(s) for s in aggregate]}
    return doc


def sa(name: str, namespace: str | None = "default") -> dict[str, Any]:
    """A ServiceAccount subject (namespace None: left out, as some manifests do)."""
    out = {"kind": "ServiceAccount", "name": name}
    if namespace is not None:
        out["namespace"] = namespace
    return out


def user(name: str) -> dict[str, Any]:
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def group(name: str) -> dict[str, Any]:
    return {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def role_binding(
    name: str,
    role_name: str,
    *subjects: Mapping[str, Any],
    namespace: str = "default",
    role_kind: str = "Role",
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_V1,
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": [dict(s) for s in subjects],
    }


def cluster_role_binding(name: str, role_name: str, *subjects: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_V1,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": role_name,
        },
        "subjects": [dict(s) for s in subjects],
    }


def service_account(
    name: str, namespace: str = "default", *, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
    }
    if secrets:
        doc["secrets"] = [{"name": s} for s in secrets]
    return doc


def rbac(*docs: Mapping[str, Any]) -> Any:
    """The effective RBAC of `docs`; fails the test on any problem."""
    from drift.k8s.rbac import read_rbac

    problems: list[str] = []
    result = read_rbac(inventory(*docs), problems)
    assert problems == []
    return result
