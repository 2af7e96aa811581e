"""kube-prometheus v0.18.0: its 8 per-component NetworkPolicies, read per the spec.

Every policy is Ingress+Egress with `egress: [{}]` (egress open). Ingress comes from
`app.kubernetes.io/name: prometheus` pods on each component's ports, except
prometheus-adapter (`ingress: [{}]`, open) and the extra peers of prometheus-k8s (grafana,
prometheus-adapter on 9090) and alertmanager-main (its own peers on 9094 TCP+UDP).

Prometheus and Alertmanager are custom resources: the operator makes their StatefulSets, so
their pods are not in the file. `OPERATOR_MADE` writes the StatefulSets the operator would
create from the CRs (pod labels = the CR's podMetadata plus the operator's own, ports as the
operator declares them) to see the policies of those two at work.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import connects, wid
from shared_corpus import corpus_path, load_graph

from drift.ids import network_id, unlisted_id
from drift.model import ConnectsEdge, EdgeType, NodeType, SystemGraph
from drift.ports import PortSet

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}
UNLISTED = unlisted_id("c")
OUTSIDE = network_id("c", "other-addresses")
HOST_NETWORK = "hostNetwork"


def mon(name: str, kind: str = "Deployment") -> str:
    return wid(name, "monitoring", kind)


GRAFANA = mon("grafana")
KSM = mon("kube-state-metrics")
BLACKBOX = mon("blackbox-exporter")
ADAPTER = mon("prometheus-adapter")
OPERATOR = mon("prometheus-operator")
NODE_EXPORTER = mon("node-exporter", "DaemonSet")
PROMETHEUS = mon("prometheus-k8s", "StatefulSet")
ALERTMANAGER = mon("alertmanager-main", "StatefulSet")
SHIPPED = [GRAFANA, KSM, BLACKBOX, ADAPTER, OPERATOR, NODE_EXPORTER]


def stateful_set(name: str, labels: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "monitoring"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "i", "ports": ports}]},
            },
        },
    }


OPERATOR_MADE = [
    stateful_set(
        "prometheus-k8s",
        {
            "app.kubernetes.io/component": "prometheus",
            "app.kubernetes.io/instance": "k8s",
            "app.kubernetes.io/name": "prometheus",
            "app.kubernetes.io/part-of": "kube-prometheus",
            "app.kubernetes.io/version": "3.12.0",
            "app.kubernetes.io/managed-by": "prometheus-operator",
            "operator.prometheus.io/name": "k8s",
            "operator.prometheus.io/shard": "0",
            "prometheus": "k8s",
        },
        [
            {"name": "web", "containerPort": 9090},
            {"name": "reloader-web", "containerPort": 8080},
        ],
    ),
    stateful_set(
        "alertmanager-main",
        {
            "app.kubernetes.io/component": "alert-router",
            "app.kubernetes.io/instance": "main",
            "app.kubernetes.io/name": "alertmanager",
            "app.kubernetes.io/part-of": "kube-prometheus",
            "app.kubernetes.io/version": "0.33.0",
            "app.kubernetes.io/managed-by": "prometheus-operator",
            "alertmanager": "main",
        },
        [
            {"name": "web", "containerPort": 9093},
            {"name": "mesh-tcp", "containerPort": 9094},
            {"name": "mesh-udp", "containerPort": 9094, "protocol": "UDP"},
            {"name": "reloader-web", "containerPort": 8080},
        ],
    ),
]

# (source, target) -> ports, for every pair of pod-network workloads with the operator's pods.
INTENDED = {
    (PROMETHEUS, GRAFANA): {"TCP": [[3000, 3000]]},
    (PROMETHEUS, PROMETHEUS): {"TCP": [[8080, 8080], [9090, 9090]]},
    (ADAPTER, PROMETHEUS): {"TCP": [[9090, 9090]]},
    (GRAFANA, PROMETHEUS): {"TCP": [[9090, 9090]]},
    (PROMETHEUS, ALERTMANAGER): {"TCP": [[8080, 8080], [9093, 9093]]},
    (ALERTMANAGER, ALERTMANAGER): {"TCP": [[9094, 9094]], "UDP": [[9094, 9094]]},
    (PROMETHEUS, KSM): {"TCP": [[8443, 8443], [9443, 9443]]},
    (PROMETHEUS, BLACKBOX): {"TCP": [[9115, 9115], [19115, 19115]]},
    (PROMETHEUS, OPERATOR): {"TCP": [[8443, 8443]]},
}


@pytest.fixture(scope="module")
def shipped() -> SystemGraph:
    return load_graph(corpus_path("k8s", "kube-prometheus"))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> SystemGraph:
    made: Path = tmp_path_factory.mktemp("operator") / "operator-made.yaml"
    made.write_text(yaml.safe_dump_all(OPERATOR_MADE, sort_keys=False))
    return load_graph(corpus_path("k8s", "kube-prometheus"), made)


def connections(graph: SystemGraph) -> Iterator[ConnectsEdge]:
    for edge in graph.edges(EdgeType.CONNECTS):
        assert isinstance(edge, ConnectsEdge)
        yield edge


def pod_network_edges(graph: SystemGraph) -> dict[tuple[str, str], dict[str, Any]]:
    """Edges between workloads, leaving out the hostNetwork node-exporter on either end."""
    workloads = {n.id for n in graph.nodes(NodeType.WORKLOAD)} - {NODE_EXPORTER}
    return {
        (e.source, e.target): e.ports.to_json()
        for e in connections(graph)
        if e.source in workloads and e.target in workloads
    }


def test_the_file_has_six_workloads_and_no_prometheus_or_alertmanager_pods(
    shipped: SystemGraph,
) -> None:
    assert {n.id for n in shipped.nodes(NodeType.WORKLOAD)} == set(SHIPPED)


def test_as_shipped_only_prometheus_adapter_admits_other_workloads(shipped: SystemGraph) -> None:
    # No pod of the file is app.kubernetes.io/name=prometheus: the allow-lists admit nobody.
    pod_network = [w for w in SHIPPED if w != NODE_EXPORTER]
    expected = {(s, ADAPTER): ALL for s in pod_network}
    assert pod_network_edges(shipped) == expected


def test_with_the_operator_pods_the_allow_lists_admit_exactly_their_ports(
    deployed: SystemGraph,
) -> None:
    pod_network = [w for w in [*SHIPPED, PROMETHEUS, ALERTMANAGER] if w != NODE_EXPORTER]
    expected = dict(INTENDED)
    expected.update({(s, ADAPTER): ALL for s in pod_network})  # `ingress: [{}]`
    assert pod_network_edges(deployed) == expected
    undecided = [
        (e.source, e.target)
        for e in connections(deployed)
        if not e.unknown.is_empty() and NODE_EXPORTER not in (e.source, e.target)
    ]
    assert undecided == []


def test_grafana_admits_prometheus_on_3000_and_nobody_else(deployed: SystemGraph) -> None:
    sources = {
        e.source: e.ports.to_json()
        for e in connections(deployed)
        if e.target == GRAFANA and e.source != NODE_EXPORTER
    }
    assert sources == {PROMETHEUS: {"TCP": [[3000, 3000]]}}


def test_outside_and_other_namespaces_reach_only_prometheus_adapter(deployed: SystemGraph) -> None:
    for source in (UNLISTED, OUTSIDE):
        targets = {
            e.target: e.ports.to_json()
            for e in connections(deployed)
            if e.source == source and e.target != NODE_EXPORTER
        }
        assert targets == {ADAPTER: ALL}, source


def test_egress_is_open_everywhere(deployed: SystemGraph) -> None:
    for source in [*SHIPPED, PROMETHEUS, ALERTMANAGER]:
        for target in (UNLISTED, OUTSIDE):
            edge = connects(deployed, source, target)
            assert edge is not None and edge.ports.to_json() == ALL, (source, target)
            assert edge.unknown.is_empty(), (source, target)


def test_into_host_network_node_exporter_only_prometheus_on_9100_is_sure(
    deployed: SystemGraph,
) -> None:
    from_prometheus = connects(deployed, PROMETHEUS, NODE_EXPORTER)
    assert from_prometheus is not None
    assert from_prometheus.ports.to_json() == {"TCP": [[9100, 9100]]}
    assert from_prometheus.unknown == PortSet.every() - from_prometheus.ports
    assert any(HOST_NETWORK in r for r in from_prometheus.reasons)
    for source in (GRAFANA, ADAPTER, ALERTMANAGER, UNLISTED, OUTSIDE):
        edge = connects(deployed, source, NODE_EXPORTER)
        assert edge is not None, source
        assert edge.ports.is_empty() and edge.unknown.to_json() == ALL, source
        assert any(HOST_NETWORK in r for r in edge.reasons), source


def test_from_host_network_node_exporter_into_isolated_pods_every_port_is_unknown(
    deployed: SystemGraph,
) -> None:
    """Spec: behaviour for hostNetwork pods is undefined; a plugin that tells them apart
    denies node-exporter (not app.kubernetes.io/name=prometheus) everywhere, while the most
    common one sees node traffic, and "traffic to and from the node where a Pod is running
    is always allowed" — on every port, not only the ports of the rules."""
    isolated = (GRAFANA, PROMETHEUS, ALERTMANAGER, KSM, BLACKBOX, OPERATOR)
    got = {}
    for target in isolated:
        edge = connects(deployed, NODE_EXPORTER, target)
        assert edge is not None, target
        assert any(HOST_NETWORK in r for r in edge.reasons), target
        got[target] = (edge.ports.to_json(), edge.unknown.to_json())
    assert got == {target: ({}, ALL) for target in isolated}


def test_from_host_network_node_exporter_into_the_open_adapter_is_admitted(
    deployed: SystemGraph,
) -> None:
    edge = connects(deployed, NODE_EXPORTER, ADAPTER)
    assert edge is not None and edge.ports.to_json() == ALL and edge.unknown.is_empty()
