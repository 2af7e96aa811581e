"""Everything the Kubernetes semantics read from one cluster's objects, validated at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drift.errors import ManifestError
from drift.k8s.kinds import (
    NAMESPACE,
    NETWORK_POLICY,
    SERVICE_ACCOUNT,
    UNMODELLED_POLICY_KINDS,
    GroupKind,
)
from drift.k8s.labels import NAMESPACE_NAME_LABEL, LabelView, parse_labels
from drift.k8s.netpol import NetworkPolicy, read_network_policies
from drift.k8s.objects import KubeObject
from drift.k8s.workloads import Workload, read_workloads


@dataclass(frozen=True, kw_only=True)
class NamespaceInfo:
    """A namespace the input mentions. Without a Namespace object only its name label is
    known (the API server sets `kubernetes.io/metadata.name` on every namespace)."""

    name: str
    labels: Mapping[str, str]
    declared: bool

    @property
    def label_view(self) -> LabelView:
        return LabelView(known=self.labels, complete=self.declared)


@dataclass(frozen=True, kw_only=True)
class Inventory:
    cluster: str
    namespaces: Mapping[str, NamespaceInfo]
    workloads: tuple[Workload, ...]
    # (namespace, name) of each ServiceAccount in the input -> its automountServiceAccountToken
    service_accounts: Mapping[tuple[str, str], bool | None]
    network_policies: tuple[NetworkPolicy, ...]
    unmodelled_policies: Mapping[str, int]  # "group/Kind" -> count, for kinds not modelled
    unmodelled_scope: frozenset[str] | None  # namespaces they touch; None: the whole cluster
    objects: Mapping[GroupKind, tuple[KubeObject, ...]]  # every object read, by kind

    def of_kind(self, group_kind: GroupKind) -> tuple[KubeObject, ...]:
        """The objects of one (group, kind), sorted by namespace and name."""
        return self.objects.get(group_kind, ())


def build_inventory(cluster: str, objects: Iterable[KubeObject]) -> Inventory:
    """Read and validate every modelled object; all problems are raised together."""
    objs = list(objects)
    problems: list[str] = []
    by_kind = _group_by_kind(objs)
    workloads = read_workloads(objs, problems)
    policies = read_network_policies(by_kind.get(NETWORK_POLICY, []), problems)
    namespaces = _namespaces(by_kind.get(NAMESPACE, []), objs, problems)
    if problems:
        raise ManifestError(problems)
    unmodelled = [o for o in objs if (o.group, o.kind) in UNMODELLED_POLICY_KINDS]
    return Inventory(
        cluster=cluster,
        namespaces=namespaces,
        workloads=tuple(sorted(workloads, key=lambda w: (w.namespace, w.kind, w.name))),
        service_accounts={
            (o.namespace or "", o.name): _automount(o) for o in by_kind.get(SERVICE_ACCOUNT, [])
        },
        network_policies=tuple(sorted(policies, key=lambda p: (p.namespace, p.name))),
        unmodelled_policies=dict(sorted(Counter(_kind_name(o) for o in unmodelled).items())),
        unmodelled_scope=_unmodelled_scope(unmodelled),
        objects={kind: tuple(sorted(objs, key=lambda o: o.key)) for kind, objs in by_kind.items()},
    )


def _automount(service_account: KubeObject) -> bool | None:
    value = service_account.get(("automountServiceAccountToken",))
    return value if isinstance(value, bool) else None


def token_automounted(inventory: Inventory, workload: Workload) -> bool:
    """The pod's own setting wins, then its ServiceAccount's; Kubernetes mounts by default."""
    if workload.automount_token is not None:
        return workload.automount_token
    account = inventory.service_accounts.get((workload.namespace, workload.service_account))
    return True if account is None else account


def _group_by_kind(objects: list[KubeObject]) -> dict[tuple[str, str], list[KubeObject]]:
    grouped: dict[tuple[str, str], list[KubeObject]] = {}
    for obj in objects:
        grouped.setdefault((obj.group, obj.kind), []).append(obj)
    return grouped


def _kind_name(obj: KubeObject) -> str:
    return f"{obj.group}/{obj.kind}" if obj.group else obj.kind


def _unmodelled_scope(objects: list[KubeObject]) -> frozenset[str] | None:
    if any(o.namespace is None for o in objects):
        return None
    return frozenset(o.namespace for o in objects if o.namespace is not None)


def _namespaces(
    declared: list[KubeObject], objects: list[KubeObject], problems: list[str]
) -> dict[str, NamespaceInfo]:
    namespaces = {}
    for obj in declared:
        labels = parse_labels(obj, ("metadata", "labels"), problems)
        labels[NAMESPACE_NAME_LABEL] = obj.name
        namespaces[obj.name] = NamespaceInfo(name=obj.name, labels=labels, declared=True)
    for obj in objects:
        if obj.namespace is not None and obj.namespace not in namespaces:
            namespaces[obj.namespace] = NamespaceInfo(
                name=obj.namespace, labels={NAMESPACE_NAME_LABEL: obj.namespace}, declared=False
            )
    return dict(sorted(namespaces.items()))
