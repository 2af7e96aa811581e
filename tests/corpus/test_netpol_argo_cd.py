"""Argo CD v3.5.1 install.yaml, applied as its docs say (`kubectl apply -n argocd`).

Its 7 NetworkPolicies are Ingress-only (egress stays open), one per component:
- argocd-server: `ingress: [{}]`: every peer, every port.
- application-controller 8082, applicationset-controller 7000+8080, notifications 9001,
  repo-server 8084 and dex 5558 (metrics): `from: [namespaceSelector: {}]`, i.e. every pod of
  every namespace, but no address outside the cluster.
- repo-server 8081: only server, application-controller, notifications, applicationset.
- redis 6379: only server, repo-server, application-controller.
- dex 5556+5557: only server.
Every port in the policies is a number (none is named); a numbered port is admitted whether
or not a container declares it.
"""

from __future__ import annotations

from typing import Any

import pytest
from builders import connects, wid
from shared_corpus import corpus_path, load_graph

from drift.ids import network_id, unlisted_id
from drift.model import ConnectsEdge, EdgeType, NodeType, SystemGraph

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}
UNLISTED = unlisted_id("c")
OUTSIDE = network_id("c", "other-addresses")

SERVER = wid("argocd-server", "argocd")
REPO = wid("argocd-repo-server", "argocd")
CONTROLLER = wid("argocd-application-controller", "argocd", "StatefulSet")
APPSET = wid("argocd-applicationset-controller", "argocd")
NOTIFICATIONS = wid("argocd-notifications-controller", "argocd")
DEX = wid("argocd-dex-server", "argocd")
REDIS = wid("argocd-redis", "argocd")
WORKLOADS = [SERVER, REPO, CONTROLLER, APPSET, NOTIFICATIONS, DEX, REDIS]

# Per target: ports every pod of every namespace may use.
ANY_POD = {
    CONTROLLER: [8082],
    APPSET: [7000, 8080],
    NOTIFICATIONS: [9001],
    REPO: [8084],
    DEX: [5558],
    REDIS: [],
}
# Per target: extra ports for the named sources only.
ONLY_FROM = {
    REPO: ({SERVER, CONTROLLER, NOTIFICATIONS, APPSET}, [8081]),
    REDIS: ({SERVER, REPO, CONTROLLER}, [6379]),
    DEX: ({SERVER}, [5556, 5557]),
}


def tcp(*ports: int) -> dict[str, Any]:
    """TCP ports as PortSet.to_json() writes them: sorted, adjacent ones joined."""
    ranges: list[list[int]] = []
    for port in sorted(ports):
        if ranges and ranges[-1][1] == port - 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    return {"TCP": ranges} if ranges else {}


def expected_ports(source: str, target: str) -> dict[str, Any] | None:
    if target == SERVER:
        return ALL
    ports = list(ANY_POD[target])
    allowed, extra = ONLY_FROM.get(target, (set(), []))
    if source in allowed:
        ports += extra
    return tcp(*ports) or None


@pytest.fixture(scope="module")
def graph() -> SystemGraph:
    return load_graph(corpus_path("k8s", "argo-cd"), namespace="argocd")


def test_objects_without_a_namespace_land_in_argocd(graph: SystemGraph) -> None:
    assert {n.id for n in graph.nodes(NodeType.WORKLOAD)} == set(WORKLOADS)


def test_every_pair_of_components_admits_exactly_what_the_policies_say(
    graph: SystemGraph,
) -> None:
    got = {
        (e.source, e.target): e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.source in WORKLOADS and e.target in WORKLOADS
    }
    expected = {
        (s, t): ports
        for s in WORKLOADS
        for t in WORKLOADS
        if (ports := expected_ports(s, t)) is not None
    }
    assert got == expected
    assert [
        e
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and not e.unknown.is_empty()
    ] == []


@pytest.mark.parametrize(
    ("source", "target", "ports"),
    [
        (APPSET, REPO, tcp(8081, 8084)),
        (NOTIFICATIONS, REPO, tcp(8081, 8084)),
        (DEX, REPO, tcp(8084)),  # dex is not on the 8081 list
        (REDIS, REPO, tcp(8084)),
        (CONTROLLER, REDIS, tcp(6379)),
        (REPO, REDIS, tcp(6379)),
        (APPSET, REDIS, None),
        (DEX, REDIS, None),
        (REDIS, REDIS, None),
        (SERVER, DEX, tcp(5556, 5557, 5558)),
        (REPO, DEX, tcp(5558)),
        (SERVER, NOTIFICATIONS, tcp(9001)),  # numbered port no container declares
        (REDIS, SERVER, ALL),
    ],
)
def test_named_pairs(graph: SystemGraph, source: str, target: str, ports: Any) -> None:
    edge = connects(graph, source, target)
    assert (None if edge is None else edge.ports.to_json()) == ports


def test_other_namespaces_reach_the_namespace_selector_ports_but_not_redis(
    graph: SystemGraph,
) -> None:
    targets = {
        e.target: e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.source == UNLISTED
    }
    assert targets == {
        t: (ALL if t == SERVER else tcp(*ANY_POD[t]))
        for t in WORKLOADS
        if t == SERVER or ANY_POD[t]
    }


def test_addresses_outside_the_cluster_reach_only_argocd_server(graph: SystemGraph) -> None:
    targets = {
        e.target: e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.source == OUTSIDE
    }
    assert targets == {SERVER: ALL}


def test_egress_is_not_governed(graph: SystemGraph) -> None:
    for source in WORKLOADS:
        for target in (UNLISTED, OUTSIDE):
            edge = connects(graph, source, target)
            assert edge is not None and edge.ports.to_json() == ALL, (source, target)
