"""EKS as the bridge reads it: the clusters of a snapshot and their Pod Identity associations.

An association (`DescribePodIdentityAssociation`'s `association`) says: pods of `cluster` that
run as ServiceAccount `namespace/serviceAccount` get credentials of `roleArn` — or, when it has
a `targetRoleArn`, of that role, which EKS reaches by assuming `roleArn` first. Clusters are
named by ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`): a name alone is unique only
within one account and region.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


# -- in a collector snapshot ----------------------------------------------------------------


def read_snapshot_eks(reader: JsonReader, snapshot: Mapping[str, Any]) -> EksInput:
    """Each region's EKS clusters and Pod Identity associations."""
    clusters: set[str] = set()
    associations: list[PodIdentityAssociation] = []
    for path, account_id, account in _accounts(reader, snapshot):
        for where, region, sections in _regions(reader, path, account):
            network = sections.get("ec2Network")
            if not isinstance(network, Mapping):
                continue
            at = {"account": account_id, "region": region}
            base = (*where, "ec2Network")
            if "EksClusters" in network:
                clusters |= read_clusters(
                    reader, (*base, "EksClusters"), network["EksClusters"], **at
                )
            if "EksPodIdentityAssociations" in network:
                raw = network["EksPodIdentityAssociations"]
                associations += read_associations(
                    reader, (*base, "EksPodIdentityAssociations"), raw, **at
                )
    return EksInput(clusters=frozenset(clusters), associations=tuple(associations))


def _accounts(
    reader: JsonReader, snapshot: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, str, Mapping[str, Any]]]:
    for index, raw in enumerate(reader.items(("accounts",), snapshot.get("accounts"))):
        path: JsonPath = ("accounts", index)
        account = reader.mapping(path, raw)
        if account is None:
            continue
        account_id = account.get("accountId")
        if account_id is None and set(account) <= {"accountId", "roleArn"}:
            continue  # an account that could not be reached: nothing of it was read
        found = reader.text((*path, "accountId"), account_id)
        if found is not None:
            yield path, found, account


def _regions(
    reader: JsonReader, path: JsonPath, account: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, str, Mapping[str, Any]]]:
    regions = account.get("regions")
    if regions is None:
        return
    found = reader.mapping((*path, "regions"), regions)
    for region, raw in (found or {}).items():
        where = (*path, "regions", region)
        sections = reader.mapping(where, raw)
        if sections is not None:
            yield where, str(region), sections
