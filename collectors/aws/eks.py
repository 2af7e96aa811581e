"""EKS in one region: each cluster as `DescribeCluster` answers it (`EksClusters`: the OIDC
issuer for IRSA, the endpoint's public access and CIDRs, the cluster role), and each EKS Pod
Identity association as `DescribePodIdentityAssociation` answers it
(`EksPodIdentityAssociations`: cluster, namespace, service account, role). The cluster's CA
certificate and a connector's activation code are not kept."""

from __future__ import annotations

from typing import Any

from .credentials import Clients
from .paging import listed
from .plain import Document, to_plain, without
from .scopes import Reader

LIST_CLUSTERS = "eks:ListClusters"
DESCRIBE_CLUSTER = "eks:DescribeCluster"
LIST_ASSOCIATIONS = "eks:ListPodIdentityAssociations"
DESCRIBE_ASSOCIATION = "eks:DescribePodIdentityAssociation"
ACTIONS = (LIST_CLUSTERS, DESCRIBE_CLUSTER, LIST_ASSOCIATIONS, DESCRIBE_ASSOCIATION)
SECTIONS = ("EksClusters", "EksPodIdentityAssociations")
NOT_KEPT = ("certificateAuthority", "connectorConfig")


def read_eks(reader: Reader, clients: Clients) -> Document:
    eks = clients.client("eks", reader.region)
    names: list[Any] | None = reader.read(
        LIST_CLUSTERS, lambda: listed(eks, "list_clusters", "clusters"), empty=[]
    )
    if names is None:
        for action in ACTIONS[1:]:
            reader.skip(action, LIST_CLUSTERS)
        return {}
    sections: Document = {}
    clusters = reader.read_each(DESCRIBE_CLUSTER, names, lambda n: _cluster(eks, n), str)
    if clusters is not None:
        sections["EksClusters"] = [cluster for _, cluster in clusters]
    associations = _associations(reader, eks, names)
    if associations is not None:
        sections["EksPodIdentityAssociations"] = associations
    return sections


def _associations(reader: Reader, eks: Any, clusters: list[str]) -> list[Document] | None:
    found = reader.read_each(
        LIST_ASSOCIATIONS,
        clusters,
        lambda n: listed(eks, "list_pod_identity_associations", "associations", clusterName=n),
        str,
    )
    if found is None:
        reader.skip(DESCRIBE_ASSOCIATION, LIST_ASSOCIATIONS)
        return None
    described = reader.read_each(
        DESCRIBE_ASSOCIATION,
        [summary for _, answer in found for summary in answer.value],
        lambda a: _association(eks, a),
        lambda a: f"{a.get('clusterName')}/{a.get('associationId')}",
    )
    return None if described is None else [association for _, association in described]


def _cluster(eks: Any, name: str) -> Document:
    cluster = eks.describe_cluster(name=name)["cluster"]
    return without(to_plain(cluster), *NOT_KEPT)


def _association(eks: Any, summary: Document) -> Document:
    answer = eks.describe_pod_identity_association(
        clusterName=summary["clusterName"], associationId=summary["associationId"]
    )
    return dict(to_plain(answer["association"]))
