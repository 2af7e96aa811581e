"""What the third-party corpus publishes past the cluster, read as `kubectl apply` would.

- Online Boutique release: only `frontend-external` (LoadBalancer, port 80 -> pod 8080); its
  istio-manifests add a Gateway API Gateway (class istio, listener 80 HTTP) and an HTTPRoute
  to Service frontend; the VirtualService there is for the mesh only.
- ingress-nginx: the controller's LoadBalancer Service, targetPorts `http` and `https` named.
- Bookinfo: the Istio Gateway selects `istio: ingressgateway` pods, which are not in the input.
- ASM Online Boutique: a VirtualService bound to a Gateway of another namespace, not in the input.
- kubernetes-goat, Sock Shop: NodePort Services and hostNetwork DaemonSets.
- kube-prometheus: only node-exporter, on the node's network (hostPort 9100).
- Argo CD, cert-manager: nothing (ClusterIP Services only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_corpus import corpus_path

from drift.collect import ReadOptions
from drift.k8s.exposure import Exposures, read_exposures
from drift.k8s.inventory import build_inventory
from drift.model import ExposureScope
from drift.ports import PortSet, Protocol

pytestmark = pytest.mark.corpus

PUBLIC, NODE, UNKNOWN = ExposureScope.PUBLIC, ExposureScope.NODE, ExposureScope.UNKNOWN


def exposures(*parts: str, namespace: str = "default") -> Exposures:
    from collectors.kubernetes.manifests import load_manifests

    path: Path = corpus_path("k8s", *parts)
    collection = load_manifests([str(path)], ReadOptions(default_namespace=namespace))
    problems: list[str] = []
    found = read_exposures(build_inventory("c", collection.objects), problems)
    assert problems == []
    return found


def summary(found: Exposures) -> list[tuple[str, str, ExposureScope, dict, tuple[str, ...]]]:
    return [
        (
            f"{e.workload.kind} {e.workload.namespace}/{e.workload.name}",
            e.via,
            e.scope,
            e.ports.to_json(),
            e.reasons,
        )
        for e in found.resolved
    ]


def tcp(*numbers: int) -> dict[str, list[list[int]]]:
    result = PortSet.empty()
    for n in numbers:
        result |= PortSet.of(Protocol.TCP, n)
    return result.to_json()


def test_online_boutique_publishes_exactly_its_frontend_through_frontend_external() -> None:
    found = exposures("online-boutique", "release", "kubernetes-manifests.yaml")
    assert summary(found) == [
        (
            "Deployment default/frontend",
            "Service default/frontend-external (LoadBalancer)",
            PUBLIC,
            tcp(8080),
            (),
        ),
    ]
    assert found.unresolved == ()
    (exposure,) = found.resolved
    assert exposure.source.file.endswith("kubernetes-manifests.yaml")
    assert exposure.source.line == 113


def test_online_boutique_istio_manifests_add_the_gateway_api_route_to_frontend() -> None:
    found = exposures("online-boutique", "release")
    assert summary(found) == [
        (
            "Deployment default/frontend",
            "HTTPRoute default/frontend-route via Gateway default/istio-gateway -> "
            "Service default/frontend",
            PUBLIC,
            tcp(8080),
            ("GatewayClass istio is not in the input",),
        ),
        (
            "Deployment default/frontend",
            "Service default/frontend-external (LoadBalancer)",
            PUBLIC,
            tcp(8080),
            (),
        ),
    ]


def test_online_boutique_with_network_policies_still_publishes_frontend_external() -> None:
    found = exposures("online-boutique", "with-network-policies")
    assert [(e.workload.name, e.via) for e in found.resolved] == [
        ("frontend", "Service default/frontend-external (LoadBalancer)")
    ]


def test_ingress_nginx_publishes_its_controller_on_the_named_http_and_https_ports() -> None:
    found = exposures("ingress-nginx")
    assert summary(found) == [
        (
            "Deployment ingress-nginx/ingress-nginx-controller",
            "Service ingress-nginx/ingress-nginx-controller (LoadBalancer)",
            PUBLIC,
            tcp(80, 443),
            (),
        ),
    ]


def test_bookinfo_productpage_is_published_by_an_istio_gateway_whose_pods_are_not_here() -> None:
    found = exposures("bookinfo")
    assert summary(found) == [
        (
            "Deployment default/productpage-v1",
            "VirtualService default/bookinfo via Istio Gateway default/bookinfo-gateway -> "
            "Service default/productpage",
            UNKNOWN,
            tcp(9080),
            (
                "the pods of Istio Gateway default/bookinfo-gateway (istio=ingressgateway) are not "
                "in the input",
            ),
        ),
    ]


def test_asm_online_boutique_frontend_is_bound_to_a_gateway_not_in_the_input() -> None:
    found = exposures("online-boutique", "asm-authz")
    assert summary(found) == [
        (
            "Deployment onlineboutique/frontend",
            "VirtualService onlineboutique/frontend via Istio Gateway "
            "asm-ingress/asm-ingressgateway -> Service onlineboutique/frontend",
            UNKNOWN,
            tcp(8080),
            ("Istio Gateway asm-ingress/asm-ingressgateway is not in the input",),
        ),
    ]


def test_kubernetes_goat_publishes_a_node_port_and_a_host_network_daemonset() -> None:
    found = exposures("kubernetes-goat")
    assert summary(found) == [
        (
            "DaemonSet default/docker-bench-security",
            "hostNetwork of DaemonSet default/docker-bench-security",
            NODE,
            {},
            (
                "DaemonSet default/docker-bench-security declares no ports: what it listens on is "
                "unknown",
            ),
        ),
        (
            "Deployment default/internal-proxy-deployment",
            "Service default/internal-proxy-info-app-service (NodePort)",
            NODE,
            tcp(5000),
            (),
        ),
    ]


def test_sock_shop_publishes_its_front_end_and_monitoring_on_node_ports() -> None:
    found = exposures("sock-shop")
    assert [(w, via, scope, ports) for w, via, scope, ports, _ in summary(found)] == [
        ("Deployment kube-system/kibana", "Service kube-system/kibana (NodePort)", NODE, tcp(5601)),
        (
            "DaemonSet monitoring/node-exporter",
            "hostNetwork of DaemonSet monitoring/node-exporter",
            NODE,
            tcp(9100),
        ),
        (
            "Deployment monitoring/grafana-core",
            "Service monitoring/grafana (NodePort)",
            NODE,
            tcp(3000),
        ),
        (
            "Deployment monitoring/prometheus-deployment",
            "Service monitoring/prometheus (NodePort)",
            NODE,
            tcp(9090),
        ),
        (
            "Deployment sock-shop/front-end",
            "Service sock-shop/front-end (NodePort)",
            NODE,
            tcp(8079),
        ),
    ]


def test_kube_prometheus_publishes_only_node_exporter_on_the_nodes_network() -> None:
    found = exposures("kube-prometheus")
    assert summary(found) == [
        (
            "DaemonSet monitoring/node-exporter",
            "hostNetwork of DaemonSet monitoring/node-exporter",
            NODE,
            tcp(9100),
            (),
        ),
    ]


def test_bad_pods_on_the_host_network_are_on_the_nodes_address() -> None:
    found = exposures("bad-pods")
    assert [(w, scope) for w, _, scope, _, _ in summary(found)] == [
        ("Pod default/everything-allowed-exec-pod", NODE),
        ("Pod default/hostnetwork-exec-pod", NODE),
    ]


@pytest.mark.parametrize(
    ("parts", "namespace"),
    [
        (("argo-cd",), "argocd"),
        (("cert-manager",), "default"),
    ],
)
def test_installs_with_only_cluster_ip_services_publish_nothing(
    parts: tuple[str, ...], namespace: str
) -> None:
    assert exposures(*parts, namespace=namespace) == Exposures()
