"""Weaveworks Sock Shop with its 13 NetworkPolicies, read per the NetworkPolicy spec.

What the policies say, read literally (the comments of each test give the rule):

- `cortex-access` has `podSelector: {matchLabels: null}`, i.e. the empty selector: it selects
  *every* pod of sock-shop and admits only `name=cortex` pods (none exist). So every sock-shop
  pod is isolated for ingress by it, and admits only what some per-service policy adds.
- `cart-access` selects `name: cart`, but the carts pods are `name: carts`; `carts-db-access`
  admits `name: cart`. Neither matches a pod: carts and carts-db admit nobody.
- The legacy Namespace annotation `net.beta.kubernetes.io/network-policy` (DefaultDeny) is
  ignored by Kubernetes since networking.k8s.io/v1: it isolates nothing by itself.
- No policy uses a namespaceSelector; egress is governed nowhere.
- monitoring/node-exporter uses hostNetwork: answers from it into isolated pods are unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import connects, deployment, wid
from shared_corpus import corpus_path, load_graph

from drift.ids import network_id, unlisted_id
from drift.model import ConnectsEdge, EdgeType, NodeType, SystemGraph
from drift.ports import PortSet

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}
UNLISTED = unlisted_id("c")
OUTSIDE = network_id("c", "other-addresses")

SHOP = [
    "carts",
    "carts-db",
    "catalogue",
    "catalogue-db",
    "front-end",
    "orders",
    "orders-db",
    "payment",
    "queue-master",
    "rabbitmq",
    "session-db",
    "shipping",
    "user",
    "user-db",
]
NODE_EXPORTER = wid("node-exporter", "monitoring", "DaemonSet")
ADD_ONS = [
    wid("prometheus-deployment", "monitoring"),
    wid("kube-state-metrics", "monitoring"),
    wid("grafana-core", "monitoring"),
    wid("grafana-import-dashboards", "monitoring", "Job"),
    wid("node-directory-size-metrics", "monitoring", "DaemonSet"),
    NODE_EXPORTER,
    wid("elasticsearch", "kube-system"),
    wid("kibana", "kube-system"),
    wid("fluentd", "kube-system", "DaemonSet"),
]
WORKLOADS = [wid(app, "sock-shop") for app in SHOP] + ADD_ONS

# What the per-service policies admit inside sock-shop (source, target): TCP port.
INTENDED = {
    ("front-end", "catalogue"): 80,
    ("catalogue", "catalogue-db"): 3306,
    ("front-end", "orders"): 80,
    ("orders", "orders-db"): 27017,
    ("orders", "payment"): 80,
    ("orders", "shipping"): 80,
    ("front-end", "user"): 80,
    ("orders", "user"): 80,
    ("user", "user-db"): 27017,
    ("shipping", "rabbitmq"): 5672,
    ("queue-master", "rabbitmq"): 5672,
}


def tcp(port: int) -> dict[str, Any]:
    return {"TCP": [[port, port]]}


@pytest.fixture(scope="module")
def graph() -> SystemGraph:
    return load_graph(corpus_path("k8s", "sock-shop"))


def shop(app: str) -> str:
    return wid(app, "sock-shop")


def connections(graph: SystemGraph) -> Iterator[ConnectsEdge]:
    for edge in graph.edges(EdgeType.CONNECTS):
        assert isinstance(edge, ConnectsEdge)
        yield edge


def test_the_folder_loads_whole_with_its_23_workloads(graph: SystemGraph) -> None:
    # The Namespace sock-shop is in two files, once with the legacy annotation: the folder
    # still loads as `kubectl apply -f` would apply it.
    assert {n.id for n in graph.nodes(NodeType.WORKLOAD)} == set(WORKLOADS)
    assert len(WORKLOADS) == 23


def test_inside_sock_shop_only_the_per_service_allow_lists_admit(graph: SystemGraph) -> None:
    got = {
        (e.source, e.target): e.ports.to_json()
        for e in connections(graph)
        if e.target.startswith("k8s:c/sock-shop/") and e.source != NODE_EXPORTER
    }
    expected = {(shop(s), shop(t)): tcp(port) for (s, t), port in INTENDED.items()}
    # front-end-access has a rule without `from`: every peer, on 8079 only.
    expected.update({(w, shop("front-end")): tcp(8079) for w in WORKLOADS if w != NODE_EXPORTER})
    expected.update(
        {(UNLISTED, shop("front-end")): tcp(8079), (OUTSIDE, shop("front-end")): tcp(8079)}
    )
    assert got == expected
    undecided = [
        (e.source, e.target)
        for e in connections(graph)
        if not e.unknown.is_empty() and e.source != NODE_EXPORTER
    ]
    assert undecided == []


def test_the_database_ports_admit_only_their_service(graph: SystemGraph) -> None:
    for db, client, port in (
        ("catalogue-db", "catalogue", 3306),
        ("orders-db", "orders", 27017),
        ("user-db", "user", 27017),
    ):
        sources = {
            e.source: e.ports.to_json()
            for e in connections(graph)
            if e.target == shop(db) and e.source != NODE_EXPORTER
        }
        assert sources == {shop(client): tcp(port)}, db


def test_cart_access_selects_name_cart_which_no_pod_carries(graph: SystemGraph) -> None:
    # carts pods are `name: carts`: cart-access selects nothing, and carts-db-access admits
    # `name: cart`, i.e. nobody. Only cortex-access governs carts: nobody gets in.
    assert connects(graph, shop("front-end"), shop("carts")) is None
    assert connects(graph, shop("orders"), shop("carts")) is None
    assert connects(graph, shop("carts"), shop("carts-db")) is None


def test_cortex_access_with_null_match_labels_isolates_every_sock_shop_pod(
    graph: SystemGraph,
) -> None:
    # queue-master and session-db have no policy of their own: cortex-access alone selects
    # them, and no pod is `name: cortex`.
    for app in ("queue-master", "session-db", "carts", "carts-db"):
        sources = {e.source for e in connections(graph) if e.target == shop(app)}
        assert sources == {NODE_EXPORTER}, app  # and that one is unknown, see below


def test_cortex_access_admits_a_cortex_pod_everywhere_in_sock_shop(tmp_path: Path) -> None:
    agent = tmp_path / "cortex.yaml"
    agent.write_text(
        yaml.safe_dump(deployment("cortex", {"name": "cortex"}, namespace="sock-shop"))
    )
    graph = load_graph(corpus_path("k8s", "sock-shop"), agent)
    for app in SHOP:
        edge = connects(graph, shop("cortex"), shop(app))
        assert edge is not None and edge.ports.to_json() == ALL and edge.unknown.is_empty(), app


def test_workloads_no_policy_selects_admit_everyone_on_every_port(graph: SystemGraph) -> None:
    for target in ADD_ONS:
        for source in [*WORKLOADS, UNLISTED, OUTSIDE]:
            edge = connects(graph, source, target)
            assert edge is not None, (source, target)
            assert edge.ports.to_json() == ALL and edge.unknown.is_empty(), (source, target)


def test_egress_is_governed_nowhere(graph: SystemGraph) -> None:
    for source in WORKLOADS:
        for target in (UNLISTED, OUTSIDE):
            edge = connects(graph, source, target)
            assert edge is not None and edge.ports.to_json() == ALL, (source, target)


def test_the_legacy_default_deny_annotation_isolates_nothing(tmp_path: Path) -> None:
    policies = corpus_path("k8s", "sock-shop", "network-policies.yaml")
    annotated = next(
        d for d in yaml.safe_load_all(policies.read_text()) if d and d["kind"] == "Namespace"
    )
    assert (
        "DefaultDeny"
        in annotated["metadata"]["annotations"]["net.beta.kubernetes.io/network-policy"]
    )
    manifest = tmp_path / "annotated.yaml"
    manifest.write_text(
        yaml.safe_dump_all(
            [
                annotated,
                deployment("app", namespace="sock-shop"),
                deployment("client", namespace="elsewhere"),
            ]
        )
    )
    graph = load_graph(manifest)
    for source in (wid("client", "elsewhere"), wid("app", "sock-shop"), UNLISTED, OUTSIDE):
        edge = connects(graph, source, wid("app", "sock-shop"))
        assert edge is not None and edge.ports.to_json() == ALL, source


def test_host_network_node_exporter_into_isolated_pods_is_unknown(graph: SystemGraph) -> None:
    for app in SHOP:
        edge = connects(graph, NODE_EXPORTER, shop(app))
        assert edge is not None, app
        admitted = tcp(8079) if app == "front-end" else {}
        assert edge.ports.to_json() == admitted, app
        assert edge.unknown == PortSet.every() - edge.ports, app
        assert any("hostNetwork" in r for r in edge.reasons), app


def test_only_the_host_network_pod_leaves_anything_unknown(graph: SystemGraph) -> None:
    # No policy here has a namespaceSelector, so no answer hangs on namespace labels
    # (kube-system has no Namespace object in the folder).
    undecided = {(e.source, e.target) for e in connections(graph) if not e.unknown.is_empty()}
    assert undecided == {(NODE_EXPORTER, shop(app)) for app in SHOP}
    assert not [r for e in connections(graph) for r in e.reasons if "namespace" in r]
