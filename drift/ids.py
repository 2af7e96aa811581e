"""Stable, human-readable node ids. Never UIDs: a recreated object keeps its id."""

from __future__ import annotations

INTERNET_ID = "internet"


def k8s_object_id(cluster: str, kind: str, name: str, namespace: str | None = None) -> str:
    """`k8s:<cluster>/<namespace>/<Kind>/<name>`, or without the namespace when cluster-scoped."""
    if namespace is None:
        return f"k8s:{cluster}/{kind}/{name}"
    return f"k8s:{cluster}/{namespace}/{kind}/{name}"


def namespace_id(cluster: str, name: str) -> str:
    return k8s_object_id(cluster, "Namespace", name)


def unlisted_id(cluster: str) -> str:
    """The one node standing for pods of namespaces the input does not contain."""
    return f"k8s:{cluster}/unlisted"


def network_id(cluster: str, name: str) -> str:
    """An address range seen from `cluster`, named by the ipBlock that names it."""
    return f"net:{cluster}/{name}"


def cluster_name_problem(cluster: str) -> str | None:
    """Why `cluster` cannot name a cluster in ids, or None."""
    if not cluster or "/" in cluster or any(c.isspace() for c in cluster):
        return f"cluster name {cluster!r} must be non-empty, without '/' or spaces"
    return None
