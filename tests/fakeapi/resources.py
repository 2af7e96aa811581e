"""The API resources the fake serves, and the discovery documents that describe them.

Built-in groups are always served, as on any cluster. A group that no built-in resource has is
a CRD group: it is served when the loaded objects use it (or a test installs it), at every
version the objects name, so `security.istio.io` exists only where Istio's objects do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from drift.k8s.kinds import is_cluster_scoped

READ_VERBS = ("get", "list", "watch")  # what the fake does; writes are refused


@dataclass(frozen=True, kw_only=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    builtin: bool = True

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps`, as messages name a resource; `pods` in the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def base_path(self) -> str:
        return f"/apis/{self.group_version}" if self.group else "/api/v1"

    def path(self, namespace: str | None = None) -> str:
        """The list path: cluster-wide, or in one namespace."""
        middle = f"/namespaces/{namespace}" if namespace else ""
        return f"{self.base_path}{middle}/{self.plural}"

    def to_discovery(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(READ_VERBS),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        return entry


def _builtin(group: str, kind: str, plural: str, *short: str, ns: bool = True) -> Resource:
    return Resource(
        group=group, version="v1", kind=kind, plural=plural, namespaced=ns, short_names=short
    )


BUILTIN: tuple[Resource, ...] = (
    _builtin("", "Namespace", "namespaces", "ns", ns=False),
    _builtin("", "Node", "nodes", "no", ns=False),
    _builtin("", "Pod", "pods", "po"),
    _builtin("", "Service", "services", "svc"),
    _builtin("", "ServiceAccount", "serviceaccounts", "sa"),
    _builtin("", "Secret", "secrets"),
    _builtin("", "ConfigMap", "configmaps", "cm"),
    _builtin("", "Endpoints", "endpoints", "ep"),
    _builtin("", "ReplicationController", "replicationcontrollers", "rc"),
    _builtin("apps", "Deployment", "deployments", "deploy"),
    _builtin("apps", "StatefulSet", "statefulsets", "sts"),
    _builtin("apps", "DaemonSet", "daemonsets", "ds"),
    _builtin("apps", "ReplicaSet", "replicasets", "rs"),
    _builtin("apps", "ControllerRevision", "controllerrevisions"),
    _builtin("batch", "Job", "jobs"),
    _builtin("batch", "CronJob", "cronjobs", "cj"),
    _builtin("networking.k8s.io", "NetworkPolicy", "networkpolicies", "netpol"),
    _builtin("networking.k8s.io", "Ingress", "ingresses", "ing"),
    _builtin("networking.k8s.io", "IngressClass", "ingressclasses", ns=False),
    _builtin("rbac.authorization.k8s.io", "Role", "roles"),
    _builtin("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"),
    _builtin("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", ns=False),
    _builtin("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", ns=False),
)
BUILTIN_KINDS = {(r.group, r.kind): r for r in BUILTIN}


def custom_resource(group: str, version: str, kind: str) -> Resource:
    """A CRD as its objects suggest it: plural by English rules, scope as drift knows it."""
    return Resource(
        group=group,
        version=version,
        kind=kind,
        plural=plural_of(kind),
        namespaced=not is_cluster_scoped(group, kind),
        builtin=False,
    )


def plural_of(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if re.search(r"[^aeiou]y$", lower):
        return lower[:-1] + "ies"
    return lower + "s"


def version_order(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority, highest first when sorted: v2 > v1 > v1beta2 > v1alpha1."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if match is None:
        return (0, 0, 0)
    stage = {"alpha": 1, "beta": 2}.get(match[2] or "", 3)
    return (-stage, -int(match[1]), -int(match[3] or 0))


# --- discovery documents ---------------------------------------------------------------------


def api_versions(address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def group_list(resources: Iterable[Resource]) -> dict[str, Any]:
    by_group = _versions_by_group(resources)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, versions) for name, versions in by_group.items() if name],
    }


def api_group(resources: Iterable[Resource], name: str) -> dict[str, Any] | None:
    versions = _versions_by_group(resources).get(name)
    return (
        None if not versions else {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}
    )


def resource_list(resources: Iterable[Resource], group_version: str) -> dict[str, Any] | None:
    entries = [r.to_discovery() for r in resources if r.group_version == group_version]
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


def _versions_by_group(resources: Iterable[Resource]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for resource in resources:
        found.setdefault(resource.group, set()).add(resource.version)
    return {group: sorted(versions, key=version_order) for group, versions in sorted(found.items())}


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}
