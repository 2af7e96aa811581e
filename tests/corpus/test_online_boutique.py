"""Online Boutique (Google microservices-demo) as its authors wrote it."""

from __future__ import annotations

from builders import wid
from shared_corpus import ONLINE_BOUTIQUE_APPS, corpus_path, load_graph

from drift.ids import unlisted_id
from drift.model import ConnectsEdge, EdgeType, NodeType, WorkloadNode

APPS = ONLINE_BOUTIQUE_APPS

# The service graph the NetworkPolicies of kustomize/components/network-policies describe.
INTENDED = {
    ("frontend", "adservice"): 9555,
    ("frontend", "cartservice"): 7070,
    ("checkoutservice", "cartservice"): 7070,
    ("frontend", "checkoutservice"): 5050,
    ("frontend", "currencyservice"): 7000,
    ("checkoutservice", "currencyservice"): 7000,
    ("checkoutservice", "emailservice"): 8080,
    ("checkoutservice", "paymentservice"): 50051,
    ("frontend", "productcatalogservice"): 3550,
    ("checkoutservice", "productcatalogservice"): 3550,
    ("recommendationservice", "productcatalogservice"): 3550,
    ("frontend", "recommendationservice"): 8080,
    ("cartservice", "redis-cart"): 6379,
    ("frontend", "shippingservice"): 50051,
    ("checkoutservice", "shippingservice"): 50051,
}
ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}


def pod_edges(graph) -> dict[tuple[str, str], dict]:
    workloads = {
        n.id: n.name for n in graph.nodes(NodeType.WORKLOAD) if isinstance(n, WorkloadNode)
    }
    return {
        (workloads[e.source], workloads[e.target]): e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.source in workloads and e.target in workloads
    }


def test_with_network_policies_admits_the_intended_graph_and_nothing_else() -> None:
    graph = load_graph(corpus_path("k8s", "online-boutique", "with-network-policies"))
    expected = {pair: {"TCP": [[port, port]]} for pair, port in INTENDED.items()}
    # The frontend policy has `ingress: [{}]`: every pod may reach it on every port.
    expected.update({(app, "frontend"): ALL for app in APPS})
    assert pod_edges(graph) == expected


def test_with_network_policies_every_edge_is_decided() -> None:
    graph = load_graph(corpus_path("k8s", "online-boutique", "with-network-policies"))
    undecided = [
        e for e in graph.edges(EdgeType.CONNECTS) if isinstance(e, ConnectsEdge) and e.unknown
    ]
    assert undecided == []


def test_with_network_policies_open_egress_reaches_other_namespaces_and_addresses() -> None:
    graph = load_graph(corpus_path("k8s", "online-boutique", "with-network-policies"))
    for app in APPS:
        edge = graph.edge(wid(app), unlisted_id("c"), EdgeType.CONNECTS)
        assert isinstance(edge, ConnectsEdge) and edge.ports.to_json() == ALL, app
    inbound = {e.target for e in graph.edges(EdgeType.CONNECTS) if e.source == unlisted_id("c")}
    assert inbound == {wid("frontend")}


def test_release_without_policies_is_fully_connected() -> None:
    graph = load_graph(corpus_path("k8s", "online-boutique", "release"))
    edges = pod_edges(graph)
    assert len(edges) == len(APPS) ** 2
    assert all(ports == ALL for ports in edges.values())


def test_release_runs_redis_cart_on_the_default_service_account() -> None:
    graph = load_graph(corpus_path("k8s", "online-boutique", "release"))
    runs_as = {e.source: e.target for e in graph.edges(EdgeType.RUNS_AS)}
    assert runs_as[wid("redis-cart")] == "k8s:c/default/ServiceAccount/default"
    assert runs_as[wid("frontend")] == "k8s:c/default/ServiceAccount/frontend"
