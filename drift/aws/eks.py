"""EKS as the bridge reads it: the clusters of a snapshot and their Pod Identity associations.

An association (`DescribePodIdentityAssociation`'s `association`) says: pods of `cluster` that
run as ServiceAccount `namespace/serviceAccount` get credentials of `roleArn` — or, when it has
a `targetRoleArn`, of that role, which EKS reaches by assuming `roleArn` first. Clusters are
named by ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`): a name alone is unique only
within one account and region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.aws.arns import parse_arn
from drift.aws.jsonread import JsonPath, JsonReader
from drift.k8s.objects import format_path


@dataclass(frozen=True, kw_only=True)
class PodIdentityAssociation:
    id: str
    cluster: str  # the cluster's ARN
    namespace: str
    service_account: str
    role: str
    target_role: str | None = None
    session_tags: bool = True  # False: `disableSessionTags`, EKS tags no session
    external_id: str | None = None  # what EKS sends when it assumes the target role
    where: str = ""  # the snapshot path it was read from, for evidence

    @property
    def cluster_name(self) -> str:
        return cluster_name(self.cluster)


@dataclass(frozen=True, kw_only=True)
class EksInput:
    """The clusters read (ARNs, from `EksClusters`) and every Pod Identity association."""

    clusters: frozenset[str] = frozenset()
    associations: tuple[PodIdentityAssociation, ...] = field(default=())

    @property
    def known_clusters(self) -> frozenset[str]:
        """Every cluster the input names: read, or named by an association."""
        return self.clusters | {a.cluster for a in self.associations}


def cluster_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:eks:{region}:{account}:cluster/{name}"


def cluster_name(arn: str) -> str:
    """`prod` of `arn:aws:eks:eu-west-1:123456789012:cluster/prod`."""
    return arn.rsplit("/", 1)[-1]


def read_clusters(
    reader: JsonReader, path: JsonPath, raw: Any, *, account: str, region: str
) -> set[str]:
    """The ARNs of an `EksClusters` section (DescribeCluster's `cluster`: `arn`, `name`)."""
    found = set()
    for index, item in enumerate(reader.items(path, raw)):
        entry = reader.mapping((*path, index), item)
        if entry is None:
            continue
        arn = entry.get("arn")
        if isinstance(arn, str) and parse_arn(arn) is not None:
            found.add(arn)
            continue
        name = reader.text((*path, index, "name"), entry.get("name"))
        if name is not None:
            found.add(cluster_arn("aws", region, account, name))
    return found


def read_associations(
    reader: JsonReader, path: JsonPath, raw: Any, *, account: str, region: str
) -> list[PodIdentityAssociation]:
    """An `EksPodIdentityAssociations` section; entries with problems are left out."""
    found = []
    for index, item in enumerate(reader.items(path, raw)):
        entry = reader.mapping((*path, index), item)
        if entry is not None:
            association = _association(reader, (*path, index), entry, account, region)
            if association is not None:
                found.append(association)
    return found


def _association(
    reader: JsonReader, path: JsonPath, entry: Mapping[str, Any], account: str, region: str
) -> PodIdentityAssociation | None:
    before = reader.count
    texts = {
        key: reader.text((*path, key), entry.get(key))
        for key in ("clusterName", "namespace", "serviceAccount", "roleArn", "associationId")
    }
    target = reader.text((*path, "targetRoleArn"), entry.get("targetRoleArn"), required=False)
    external = reader.text((*path, "externalId"), entry.get("externalId"), required=False)
    if reader.count > before:
        return None
    # The association's ARN names the cluster's partition, region and account exactly:
    # arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/<id>.
    arn = parse_arn(str(entry.get("associationArn") or ""))
    where = (arn.partition, arn.region, arn.account) if arn else ("aws", region, account)
    return PodIdentityAssociation(
        id=str(texts["associationId"]),
        cluster=cluster_arn(*where, str(texts["clusterName"])),
        namespace=str(texts["namespace"]),
        service_account=str(texts["serviceAccount"]),
        role=str(texts["roleArn"]),
        target_role=target,
        session_tags=entry.get("disableSessionTags") is not True,
        external_id=external,
        where=f"{reader.name}: {format_path(path)}",
    )
