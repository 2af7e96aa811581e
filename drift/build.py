"""Build the live `SystemGraph` of one cluster from its validated inventory (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from drift.errors import ManifestError
from drift.gcpause import paused_gc
from drift.identity_graph import add_rbac
from drift.ids import INTERNET_ID, k8s_object_id, namespace_id, network_id, unlisted_id
from drift.k8s.connectivity import Connectivity, PairResult, compute
from drift.k8s.exposure import Exposure, read_exposures
from drift.k8s.inventory import Inventory, token_automounted
from drift.k8s.istio_security import MeshModel, build_mesh_model
from drift.k8s.policy_index import Endpoint
from drift.k8s.workloads import Workload
from drift.model import (
    AuthzVerdict,
    ConnectsEdge,
    Evidence,
    ExposesEdge,
    ExposureScope,
    IdentityNode,
    NetworkNode,
    RunsAsEdge,
    SystemGraph,
    UnlistedNode,
    WorkloadNode,
    ZoneNode,
    wider_scope,
)
from drift.ports import PortSet, Protocol


def build_graph(inventory: Inventory) -> SystemGraph:
    with paused_gc():
        return _build_graph(inventory)


def _build_graph(inventory: Inventory) -> SystemGraph:
    graph = SystemGraph(cluster=inventory.cluster)
    connectivity = compute(inventory)
    _add_workloads(graph, inventory, connectivity)
    _add_identities(graph, inventory)
    add_rbac(graph, inventory)
    _add_zones(graph, inventory)
    _add_exposures(graph, inventory)
    _add_address_nodes(graph, inventory.cluster, connectivity)
    ids = _EndpointIds(inventory.cluster, connectivity)
    mesh = build_mesh_model(inventory)
    judge = _MeshJudge(mesh) if mesh.present else None
    graph.notes.extend(mesh.notes)
    for pair in connectivity.pairs:
        for edge in _edges(ids, pair):
            graph.add_edge(edge if judge is None else judge(edge, ids.ends(edge)))
    return graph


def workload_id(cluster: str, workload: Workload) -> str:
    return k8s_object_id(cluster, workload.kind, workload.name, workload.namespace)


def _add_workloads(graph: SystemGraph, inventory: Inventory, connectivity: Connectivity) -> None:
    isolation = {
        id(w): connectivity.isolation[c.index] for c in connectivity.classes for w in c.workloads
    }
    for w in inventory.workloads:
        ingress, egress = isolation[id(w)]
        graph.add_node(
            WorkloadNode(
                id=workload_id(inventory.cluster, w),
                kind=w.kind,
                namespace=w.namespace,
                name=w.name,
                service_account=w.service_account,
                labels=dict(w.labels),
                source=w.source,
                isolated_ingress=ingress,
                isolated_egress=egress,
                token_automounted=token_automounted(inventory, w),
            )
        )


def _add_zones(graph: SystemGraph, inventory: Inventory) -> None:
    for info in inventory.namespaces.values():
        graph.add_node(
            ZoneNode(
                id=namespace_id(inventory.cluster, info.name),
                name=info.name,
                labels=dict(info.labels),
                declared=info.declared,
            )
        )
    graph.add_node(ZoneNode(id=INTERNET_ID, name=INTERNET_ID, kind="Internet"))


def _add_exposures(graph: SystemGraph, inventory: Inventory) -> None:
    """One `exposes` edge from the internet per published workload: every publishing object
    as evidence, the widest scope, the union of ports."""
    problems: list[str] = []
    exposures = read_exposures(inventory, problems)
    if problems:
        raise ManifestError(problems)
    by_workload: dict[str, list[Exposure]] = defaultdict(list)
    for exposure in exposures.resolved:
        by_workload[workload_id(inventory.cluster, exposure.workload)].append(exposure)
    for target, found in sorted(by_workload.items()):
        scope, ports = ExposureScope.NODE, PortSet.empty()
        for exposure in found:
            scope, ports = wider_scope(scope, exposure.scope), ports | exposure.ports
        via = tuple(Evidence(text=_via_text(e), source=e.source) for e in found)
        graph.add_edge(
            ExposesEdge(source=INTERNET_ID, target=target, via=via, scope=scope, ports=ports)
        )
    graph.notes.extend(
        f"{u.source}: {u.via} is published ({u.scope}) but {u.reason}" for u in exposures.unresolved
    )


def _via_text(exposure: Exposure) -> str:
    if not exposure.reasons:
        return exposure.via
    return f"{exposure.via} ({'; '.join(exposure.reasons)})"


def _add_identities(graph: SystemGraph, inventory: Inventory) -> None:
    used = {(w.namespace, w.service_account) for w in inventory.workloads}
    for namespace, name in sorted(used | set(inventory.service_accounts)):
        graph.add_node(
            IdentityNode(
                id=k8s_object_id(inventory.cluster, "ServiceAccount", name, namespace),
                kind="ServiceAccount",
                name=name,
                namespace=namespace,
                declared=(namespace, name) in inventory.service_accounts,
            )
        )
    for w in inventory.workloads:
        graph.add_edge(
            RunsAsEdge(
                source=workload_id(inventory.cluster, w),
                target=k8s_object_id(
                    inventory.cluster, "ServiceAccount", w.service_account, w.namespace
                ),
            )
        )


def _add_address_nodes(graph: SystemGraph, cluster: str, connectivity: Connectivity) -> None:
    for cell in connectivity.cells:
        graph.add_node(NetworkNode(id=network_id(cluster, cell.name), cidrs=cell.cidrs))
    graph.add_node(UnlistedNode(id=unlisted_id(cluster)))


class _EndpointIds:
    """Node ids of each engine endpoint, computed once (an endpoint is in many pairs)."""

    def __init__(self, cluster: str, connectivity: Connectivity) -> None:
        self._cluster = cluster
        self._connectivity = connectivity
        self._cache: dict[Endpoint, list[tuple[str, Workload | None]]] = {}
        self._by_id: dict[str, Workload] = {}

    def __call__(self, endpoint: Endpoint) -> list[tuple[str, Workload | None]]:
        ids = self._cache.get(endpoint)
        if ids is None:
            ids = self._cache[endpoint] = self._ids(endpoint)
        return ids

    def ends(self, edge: ConnectsEdge) -> tuple[Workload | None, Workload | None]:
        """The workloads at the ends of an edge `_edges` made (None: addresses, unlisted)."""
        return self._by_id.get(edge.source), self._by_id.get(edge.target)

    def _ids(self, endpoint: Endpoint) -> list[tuple[str, Workload | None]]:
        if endpoint.kind == "cell":
            cell = self._connectivity.cells[endpoint.number]
            return [(network_id(self._cluster, cell.name), None)]
        if endpoint.kind == "unlisted":
            return [(unlisted_id(self._cluster), None)]
        members = self._connectivity.classes[endpoint.number].workloads
        self._by_id.update((workload_id(self._cluster, w), w) for w in members)
        return [(workload_id(self._cluster, w), w) for w in members]


def _edges(ids: _EndpointIds, pair: PairResult) -> Iterable[ConnectsEdge]:
    """One edge per workload pair of a class pair. A workload's edge to itself stands for
    traffic between two of its pods, so a bare Pod has none."""
    for source_id, source in ids(pair.source):
        for target_id, target in ids(pair.target):
            if source is not None and source is target and source.is_bare_pod:
                continue
            yield ConnectsEdge(
                source=source_id,
                target=target_id,
                ports=pair.ports,
                unknown=pair.unknown,
                reasons=pair.reasons,
                evidence=pair.evidence,
            )


# Ports a sidecar keeps for itself (Istio's "ports used by Istio"): never application traffic.
_ISTIO_PORTS = PortSet.of(Protocol.TCP, 15000, 15099)


class _MeshJudge:
    """Fills a `connects` edge's `mtls` (per port, and the weakest) and `authz` from the mesh
    model, over the ports the destination serves (see `_served`): an edge admitting every
    port would otherwise be judged on the sidecar's own ports and on UDP, which carry no
    meshed application traffic."""

    def __init__(self, mesh: MeshModel) -> None:
        self._mesh = mesh
        self._declared: dict[int, PortSet] = {}  # by id() of the workload: many edges each

    def __call__(
        self, edge: ConnectsEdge, ends: tuple[Workload | None, Workload | None]
    ) -> ConnectsEdge:
        source, target = ends
        if target is None:
            return edge
        declared = self._declared.get(id(target))
        if declared is None:
            declared = self._declared[id(target)] = _declared(target)
        ports = _served(declared, edge.ports | edge.unknown)
        if ports.is_empty():  # only Istio's own ports: nothing the mesh is asked about
            return replace(edge, mesh_ports=ports)
        mtls = self._mesh.mtls(target)
        answer = self._mesh.authz(source, target).within(ports)
        if answer.admitted == ports:
            verdict = AuthzVerdict.ALLOW
        elif answer.denied == ports:
            verdict = AuthzVerdict.DENY
        elif answer.admitted.is_empty() and answer.denied.is_empty():
            verdict = AuthzVerdict.UNKNOWN
        else:
            verdict = AuthzVerdict.PARTIAL
        modes = tuple(
            (mode, shared)
            for mode, held in sorted(mtls.ports.items())
            if not (shared := held & ports).is_empty()
        )
        return replace(
            edge,
            mtls=mtls.over(ports),
            authz=verdict,
            mesh_ports=ports,
            mtls_modes=modes,
            mtls_evidence=mtls.evidence,
            authz_evidence=answer.evidence,
        )


def _declared(target: Workload) -> PortSet:
    declared = PortSet.empty()
    for port in target.ports:
        declared = declared | PortSet.of(port.protocol, port.number)
    return declared


def _served(declared: PortSet, ports: PortSet) -> PortSet:
    """The ports of `ports` the destination declares, when it declares any of them; else its
    TCP ports but Istio's own (a mesh only ever carries TCP: judging undeclared UDP ports
    would flag every meshed workload)."""
    served = ports & declared
    return served if not served.is_empty() else ports.only(Protocol.TCP) - _ISTIO_PORTS
