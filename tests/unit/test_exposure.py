"""What publishes workloads past the cluster, one rule of Kubernetes, the Gateway API or
Istio per test: each rule where it fires and where it must not.

Small clusters built in code; every expectation is the exact list `read_exposures` returns.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest
from builders import deployment, inventory, namespace, pod
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift.k8s.exposure import Exposure, Exposures, UnresolvedExposure, read_exposures
from drift.k8s.inventory import Inventory
from drift.k8s.objects import SourceRef
from drift.k8s.services import INTERNAL_LB_ANNOTATIONS
from drift.model import ExposureScope
from drift.ports import PortSet, Protocol

PUBLIC, INTERNAL, NODE, UNKNOWN = (
    ExposureScope.PUBLIC,
    ExposureScope.INTERNAL,
    ExposureScope.NODE,
    ExposureScope.UNKNOWN,
)
HTTP = [{"name": "http", "containerPort": 8080}]
GW_API = "gateway.networking.k8s.io/v1"


# --- builders for the publishing objects -----------------------------------------------------


def meta(name: str, namespace: str | None, notes: Mapping[str, str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    if notes:
        out["annotations"] = dict(notes)
    return out


def service(
    name: str,
    selector: Mapping[str, str] | None = None,
    *,
    type: str | None = None,
    ports: list[dict[str, Any]] | None = None,
    namespace: str = "default",
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ports": ports if ports is not None else [{"port": 80, "targetPort": 8080}]
    }
    if selector is not None:
        body["selector"] = dict(selector)
    if type is not None:
        body["type"] = type
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, namespace, annotations),
        "spec": body,
    }


def lb(
    name: str = "web-lb", selector: Mapping[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    return service(name, selector or {"app": "web"}, type="LoadBalancer", **kw)


def ingress(
    name: str,
    spec: Mapping[str, Any],
    *,
    namespace: str = "default",
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, namespace, annotations),
        "spec": dict(spec),
    }


def rule_to(service_name: str, port: Mapping[str, Any]) -> dict[str, Any]:
    backend = {"service": {"name": service_name, "port": dict(port)}}
    return {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}


def ingress_class(
    name: str, controller: str = "k8s.io/ingress-nginx", *, default: bool = False, **spec: Any
) -> dict[str, Any]:
    notes = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else None
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta(name, None, notes),
        "spec": {"controller": controller, **spec},
    }


def gateway(
    name: str = "gw",
    listeners: list[dict[str, Any]] | None = None,
    *,
    namespace: str = "default",
    class_name: str = "example",
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body = {
        "gatewayClassName": class_name,
        "listeners": listeners or [{"name": "http", "port": 80, "protocol": "HTTP"}],
        **spec,
    }
    return {
        "apiVersion": GW_API,
        "kind": "Gateway",
        "metadata": meta(name, namespace, annotations),
        "spec": body,
    }


def gateway_class(name: str = "example") -> dict[str, Any]:
    return {
        "apiVersion": GW_API,
        "kind": "GatewayClass",
        "metadata": {"name": name},
        "spec": {"controllerName": "example.com/gateway"},
    }


def route(
    name: str = "r",
    backends: list[dict[str, Any]] | None = None,
    *,
    parent: Mapping[str, Any] | None = None,
    namespace: str = "default",
    kind: str = "HTTPRoute",
    **spec: Any,
) -> dict[str, Any]:
    refs = backends if backends is not None else [{"name": "web", "port": 80}]
    body = {
        "parentRefs": [dict(parent or {"name": "gw"})],
        "rules": [{"backendRefs": refs}],
        **spec,
    }
    return {
        "apiVersion": GW_API,
        "kind": kind,
        "metadata": meta(name, namespace, None),
        "spec": body,
    }


def istio_gateway(
    name: str = "ingress",
    selector: Mapping[str, str] | None = None,
    port: int = 8080,
    namespace: str = "default",
) -> dict[str, Any]:
    server = {"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": meta(name, namespace, None),
        "spec": {"selector": dict(selector or {"istio": "ingressgateway"}), "servers": [server]},
    }


def virtual_service(
    name: str = "vs",
    gateways: list[str] | None = None,
    host: str = "web",
    port: int | None = 80,
    **spec: Any,
) -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host}
    if port is not None:
        destination["port"] = {"number": port}
    body: dict[str, Any] = {"hosts": ["*"], "http": [{"route": [{"destination": destination}]}]}
    if gateways is not None:
        body["gateways"] = gateways
    body.update(spec)
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": meta(name, "default", None),
        "spec": body,
    }


def web(**kw: Any) -> dict[str, Any]:
    return deployment("web", ports=HTTP, **kw)


# --- reading and expecting -------------------------------------------------------------------


def read(*docs: Mapping[str, Any]) -> tuple[Inventory, Exposures]:
    inv = inventory(*docs)
    problems: list[str] = []
    found = read_exposures(inv, problems)
    assert problems == []
    return inv, found


def problems_of(*docs: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    read_exposures(inventory(*docs), problems)
    return problems


def src(document: int) -> SourceRef:
    return SourceRef(file="test.yaml", document=document, line=1)


def tcp(*numbers: int) -> PortSet:
    result = PortSet.empty()
    for n in numbers:
        result |= PortSet.of(Protocol.TCP, n)
    return result


def exposed(
    inv: Inventory,
    name: str,
    via: str,
    scope: ExposureScope,
    ports: PortSet,
    document: int,
    *reasons: str,
    kind: str = "Deployment",
    namespace: str = "default",
) -> Exposure:
    (workload,) = [
        w for w in inv.workloads if (w.name, w.kind, w.namespace) == (name, kind, namespace)
    ]
    return Exposure(
        workload=workload,
        via=via,
        scope=scope,
        ports=ports,
        source=src(document),
        reasons=tuple(sorted(reasons)),
    )


def unresolved(via: str, scope: ExposureScope, reason: str, document: int) -> UnresolvedExposure:
    return UnresolvedExposure(via=via, scope=scope, reason=reason, source=src(document))


LB_VIA = "Service default/web-lb (LoadBalancer)"


# --- Services: which pods, which ports -------------------------------------------------------


def test_a_load_balancer_publishes_the_pods_its_selector_picks_on_their_target_port() -> None:
    inv, found = read(web(), deployment("other"), lb())
    assert found == Exposures(resolved=(exposed(inv, "web", LB_VIA, PUBLIC, tcp(8080), 2),))


def test_a_selector_picks_pods_of_the_services_namespace_only() -> None:
    _, found = read(web(namespace="shop"), lb(namespace="default"))
    assert found == Exposures()


def test_an_absent_target_port_is_the_port_itself() -> None:
    inv, found = read(web(), lb(ports=[{"port": 8443}]))
    assert found.resolved == (exposed(inv, "web", LB_VIA, PUBLIC, tcp(8443), 1),)


def test_a_named_target_port_resolves_on_each_pod_by_name_and_protocol() -> None:
    docs = (
        deployment("a", {"app": "web"}, ports=[{"name": "http", "containerPort": 8080}]),
        deployment("b", {"app": "web", "v": "2"}, ports=[{"name": "http", "containerPort": 9090}]),
        # Declares the name for UDP only, and another name for TCP: gets nothing.
        deployment(
            "c",
            {"app": "web", "v": "3"},
            ports=[
                {"name": "http", "containerPort": 53, "protocol": "UDP"},
                {"name": "admin", "containerPort": 8080},
            ],
        ),
        lb(ports=[{"port": 80, "targetPort": "http"}]),
    )
    inv, found = read(*docs)
    assert found.resolved == (
        exposed(inv, "a", LB_VIA, PUBLIC, tcp(8080), 3),
        exposed(inv, "b", LB_VIA, PUBLIC, tcp(9090), 3),
    )


def test_the_service_ports_protocol_carries_to_the_pod_port() -> None:
    inv, found = read(web(), lb(ports=[{"port": 53, "protocol": "UDP"}]))
    assert found.resolved == (exposed(inv, "web", LB_VIA, PUBLIC, PortSet.of(Protocol.UDP, 53), 1),)


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"type": "ClusterIP"},
        {"type": "ExternalName", "externalName": "db.example.com"},
        {"type": "ClusterIP", "clusterIP": "None"},
    ],
    ids=["default", "ClusterIP", "ExternalName", "headless"],
)
def test_cluster_ip_external_name_and_headless_services_publish_nothing(spec: dict) -> None:
    _, found = read(web(), service("web", {"app": "web"}, **spec))
    assert found == Exposures()


def test_a_node_port_publishes_on_every_nodes_address() -> None:
    inv, found = read(web(), service("web-np", {"app": "web"}, type="NodePort"))
    via = "Service default/web-np (NodePort)"
    assert found.resolved == (exposed(inv, "web", via, NODE, tcp(8080), 1),)


def test_a_selector_on_labels_set_per_pod_makes_the_backend_unknown() -> None:
    sts = deployment("db", {"app": "db"}, kind="StatefulSet", ports=HTTP)
    svc = lb(selector={"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"})
    inv, found = read(sts, svc)
    why = (
        "Service default/web-lb selects pods of StatefulSet default/db only where labels the "
        "controller sets per pod match (statefulset.kubernetes.io/pod-name)"
    )
    assert found.resolved == (
        exposed(inv, "db", LB_VIA, UNKNOWN, tcp(8080), 1, why, kind="StatefulSet"),
    )


@pytest.mark.parametrize("selector", [None, {}], ids=["absent", "empty"])
def test_a_published_service_without_a_selector_is_unresolved(selector: dict | None) -> None:
    doc = service("ext", selector, type="NodePort")
    if selector is not None:
        doc["spec"]["selector"] = selector
    _, found = read(web(), doc)
    why = "Service default/ext has no selector: its endpoints are managed by hand, not in the input"
    assert found == Exposures(
        unresolved=(unresolved("Service default/ext (NodePort)", NODE, why, 1),)
    )


def test_a_service_without_a_selector_that_publishes_nothing_is_not_reported() -> None:
    assert read(service("ext"))[1] == Exposures()


# --- Services: how widely --------------------------------------------------------------------

INTERNAL_VALUES = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "networking.gke.io/load-balancer-type": ("Internal",),
    "cloud.google.com/load-balancer-type": ("Internal", "internal"),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/oci-load-balancer-internal": ("true",),
    "oci-network-load-balancer.oraclecloud.com/internal": ("true",),
    "service.beta.kubernetes.io/openstack-internal-load-balancer": ("true",),
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": ("private",),
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": ("intranet",),
}
NOT_INTERNAL = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "false",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "networking.gke.io/load-balancer-type": "External",
    "cloud.google.com/load-balancer-type": "External",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "false",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "false",
    "oci-network-load-balancer.oraclecloud.com/internal": "false",
    "service.beta.kubernetes.io/openstack-internal-load-balancer": "false",
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": "public",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "internet",
}


def test_every_provider_annotation_is_tested() -> None:
    assert {k for k, _ in INTERNAL_LB_ANNOTATIONS} == set(INTERNAL_VALUES) == set(NOT_INTERNAL)


@pytest.mark.parametrize(
    ("key", "value"), [(k, v) for k, values in INTERNAL_VALUES.items() for v in values]
)
def test_a_provider_annotation_makes_a_load_balancer_internal(key: str, value: str) -> None:
    inv, found = read(web(), lb(annotations={key: value}))
    via = f"Service default/web-lb (LoadBalancer, internal: {key}={value})"
    assert found.resolved == (exposed(inv, "web", via, INTERNAL, tcp(8080), 1),)


@pytest.mark.parametrize(("key", "value"), sorted(NOT_INTERNAL.items()))
def test_the_same_annotation_with_another_value_leaves_it_public(key: str, value: str) -> None:
    inv, found = read(web(), lb(annotations={key: value}))
    assert found.resolved == (exposed(inv, "web", LB_VIA, PUBLIC, tcp(8080), 1),)


def test_source_ranges_all_private_make_it_internal() -> None:
    ranges = ["10.0.0.0/8", "192.168.1.0/24", "fd00::/8"]
    inv, found = read(web(), lb(loadBalancerSourceRanges=ranges))
    via = (
        "Service default/web-lb (LoadBalancer, restricted to 10.0.0.0/8, 192.168.1.0/24, fd00::/8)"
    )
    assert found.resolved == (exposed(inv, "web", via, INTERNAL, tcp(8080), 1),)


def test_source_ranges_with_public_space_stay_public_and_say_so() -> None:
    inv, found = read(web(), lb(loadBalancerSourceRanges=["203.0.113.0/24", "10.0.0.0/8"]))
    via = "Service default/web-lb (LoadBalancer, restricted to 10.0.0.0/8, 203.0.113.0/24)"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 1),)


def test_the_older_source_ranges_annotation_counts_when_the_field_is_empty() -> None:
    notes = {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.1.0.0/16, 10.2.0.0/16"}
    inv, found = read(web(), lb(annotations=notes))
    via = "Service default/web-lb (LoadBalancer, restricted to 10.1.0.0/16, 10.2.0.0/16)"
    assert found.resolved == (exposed(inv, "web", via, INTERNAL, tcp(8080), 1),)


def test_an_unknown_load_balancer_class_leaves_the_scope_unknown() -> None:
    inv, found = read(web(), lb(loadBalancerClass="example.com/lb"))
    via = "Service default/web-lb (LoadBalancer, class example.com/lb)"
    why = "loadBalancerClass example.com/lb: how far its controller publishes is not modelled"
    assert found.resolved == (exposed(inv, "web", via, UNKNOWN, tcp(8080), 1, why),)


@pytest.mark.parametrize(
    ("spec", "notes", "scope"),
    [
        ({"loadBalancerClass": "service.k8s.aws/nlb"}, {}, INTERNAL),
        ({}, {"service.beta.kubernetes.io/aws-load-balancer-type": "external"}, INTERNAL),
        (
            {"loadBalancerClass": "service.k8s.aws/nlb"},
            {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
            PUBLIC,
        ),
    ],
    ids=["class", "type-external", "internet-facing"],
)
def test_the_aws_load_balancer_controller_defaults_to_internal(
    spec: dict, notes: dict, scope: ExposureScope
) -> None:
    _, found = read(web(), lb(annotations=notes, **spec))
    assert [e.scope for e in found.resolved] == [scope]


def test_node_ports_of_an_internal_load_balancer_do_not_narrow_it_to_node() -> None:
    notes = {"networking.gke.io/load-balancer-type": "Internal"}
    for allocate in (True, False):
        _, found = read(web(), lb(annotations=notes, allocateLoadBalancerNodePorts=allocate))
        assert [e.scope for e in found.resolved] == [INTERNAL]


def test_external_ips_leave_the_scope_unknown_on_any_type() -> None:
    inv, found = read(web(), service("web", {"app": "web"}, externalIPs=["198.51.100.7"]))
    via = "Service default/web (ClusterIP, externalIPs 198.51.100.7)"
    why = "externalIPs 198.51.100.7: who owns and routes them is unknown"
    assert found.resolved == (exposed(inv, "web", via, UNKNOWN, tcp(8080), 1, why),)


def test_the_widest_way_a_service_publishes_wins() -> None:
    inv, found = read(web(), lb(externalIPs=["198.51.100.7"]))
    via = "Service default/web-lb (LoadBalancer, externalIPs 198.51.100.7)"
    why = "externalIPs 198.51.100.7: who owns and routes them is unknown"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 1, why),)


# --- Services: input the API server refuses --------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"type": "Public"},
            "spec.type: 'Public' is not one of ClusterIP, NodePort, LoadBalancer, ExternalName",
        ),
        ({"ports": [{"port": 70000}]}, "spec.ports[0].port: 70000 is out of range 1-65535"),
        (
            {"ports": [{"port": 80, "targetPort": "8080"}]},
            "spec.ports[0].targetPort: port name '8080' is not a valid IANA service name",
        ),
        (
            {"ports": [{"port": 80, "protocol": "ICMP"}]},
            "spec.ports[0].protocol: unknown protocol 'ICMP' (expected TCP, UDP or SCTP)",
        ),
        (
            {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/33"]},
            "spec.loadBalancerSourceRanges[0]: '10.0.0.0/33' is not a CIDR",
        ),
        ({"externalIPs": ["example.com"]}, "spec.externalIPs[0]: 'example.com' is not an IP"),
        (
            {"ports": [{"port": 80, "nodePort": 30080}]},
            "spec.ports[0].nodePort: may not be used with type ClusterIP",
        ),
        ({"type": "NodePort", "clusterIP": "None"}, "spec.clusterIP: may not be None for NodePort"),
    ],
)
def test_a_service_the_api_server_refuses_is_one_line_naming_file_line_and_field(
    spec: dict, message: str
) -> None:
    doc = service("web", {"app": "web"})
    doc["spec"].update(spec)
    assert problems_of(web(), doc) == [f"test.yaml:1: Service default/web: {message}"]


# --- host ports and host networking ----------------------------------------------------------


def test_a_host_port_opens_the_container_port_on_the_nodes_address() -> None:
    ports = [{"name": "https", "containerPort": 8443, "hostPort": 443}, {"containerPort": 9000}]
    inv, found = read(deployment("edge", kind="DaemonSet", ports=ports))
    via = "hostPort 443 of DaemonSet default/edge"
    assert found.resolved == (exposed(inv, "edge", via, NODE, tcp(8443), 0, kind="DaemonSet"),)


def test_a_host_network_pod_listens_on_the_nodes_address_on_every_declared_port() -> None:
    ports = [{"containerPort": 9100, "hostPort": 9100}, {"containerPort": 53, "protocol": "UDP"}]
    inv, found = read(pod("agent", host_network=True, ports=ports), pod("plain", ports=ports[1:]))
    via = "hostNetwork of Pod default/agent"
    expected = tcp(9100) | PortSet.of(Protocol.UDP, 53)
    assert found.resolved == (exposed(inv, "agent", via, NODE, expected, 0, kind="Pod"),)


def test_a_host_network_pod_that_declares_no_ports_says_its_ports_are_unknown() -> None:
    inv, found = read(pod("agent", host_network=True))
    why = "Pod default/agent declares no ports: what it listens on is unknown"
    via = "hostNetwork of Pod default/agent"
    assert found.resolved == (
        exposed(inv, "agent", via, NODE, PortSet.empty(), 0, why, kind="Pod"),
    )


# --- Ingress ---------------------------------------------------------------------------------


def test_an_ingress_publishes_the_pods_behind_the_services_it_names() -> None:
    docs = (
        web(),
        deployment("api", ports=[{"name": "grpc", "containerPort": 9000}]),
        service("web", {"app": "web"}, ports=[{"name": "http", "port": 80, "targetPort": "http"}]),
        service("api", {"app": "api"}, ports=[{"port": 9000}]),
        ingress_class("nginx"),
        ingress(
            "site",
            {
                "ingressClassName": "nginx",
                "defaultBackend": {"service": {"name": "api", "port": {"number": 9000}}},
                "rules": [rule_to("web", {"name": "http"})],
            },
        ),
    )
    inv, found = read(*docs)
    via = "Ingress default/site (class nginx) -> Service default/"
    assert found == Exposures(
        resolved=(
            exposed(inv, "api", via + "api", PUBLIC, tcp(9000), 5),
            exposed(inv, "web", via + "web", PUBLIC, tcp(8080), 5),
        )
    )


def test_an_ingress_port_the_service_does_not_have_publishes_nothing() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress_class("nginx"),
        ingress("site", {"ingressClassName": "nginx", "rules": [rule_to("web", {"number": 81})]}),
    )
    assert read(*docs)[1] == Exposures()


def test_an_ingress_class_not_in_the_input_is_still_published_with_a_reason() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress("site", {"ingressClassName": "nginx", "rules": [rule_to("web", {"number": 80})]}),
    )
    inv, found = read(*docs)
    via = "Ingress default/site (class nginx) -> Service default/web"
    why = "IngressClass nginx is not in the input"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 2, why),)


def test_an_ingress_without_a_class_takes_the_default_ingress_class() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress_class("nginx", default=True),
        ingress_class("other"),
        ingress("site", {"rules": [rule_to("web", {"number": 80})]}),
    )
    inv, found = read(*docs)
    via = "Ingress default/site (default class nginx) -> Service default/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 4),)


def test_an_ingress_without_a_class_or_default_says_who_could_serve_it() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress("site", {"rules": [rule_to("web", {"number": 80})]}),
    )
    inv, found = read(*docs)
    why = (
        "no class and no default IngressClass in the input: served only by a controller "
        "that takes Ingresses without a class"
    )
    via = "Ingress default/site (no class) -> Service default/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 2, why),)


def test_the_deprecated_class_annotation_names_the_class() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress_class("nginx"),
        ingress(
            "site",
            {"rules": [rule_to("web", {"number": 80})]},
            annotations={"kubernetes.io/ingress.class": "nginx"},
        ),
    )
    inv, found = read(*docs)
    via = "Ingress default/site (class nginx) -> Service default/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 3),)


def test_the_class_field_and_annotation_together_are_refused() -> None:
    doc = ingress(
        "site",
        {"ingressClassName": "nginx", "rules": [rule_to("web", {"number": 80})]},
        annotations={"kubernetes.io/ingress.class": "nginx"},
    )
    assert problems_of(doc) == [
        "test.yaml:1: Ingress default/site: metadata.annotations.kubernetes.io/ingress.class: "
        "may not be set together with spec.ingressClassName"
    ]


@pytest.mark.parametrize(
    ("cls", "notes", "label", "scope"),
    [
        (
            None,
            {"alb.ingress.kubernetes.io/scheme": "internal"},
            "class alb, internal: AWS load balancer scheme",
            INTERNAL,
        ),
        (
            ingress_class("alb", "ingress.k8s.aws/alb"),
            {},
            "class alb, internal: AWS load balancer scheme",
            INTERNAL,
        ),
        (
            ingress_class("alb", "ingress.k8s.aws/alb"),
            {"alb.ingress.kubernetes.io/scheme": "internet-facing"},
            "class alb",
            PUBLIC,
        ),
        (
            None,
            {"appgw.ingress.kubernetes.io/use-private-ip": "true"},
            "class alb, internal: appgw.ingress.kubernetes.io/use-private-ip",
            INTERNAL,
        ),
    ],
    ids=["scheme-annotation", "alb-default", "internet-facing", "appgw-private-ip"],
)
def test_an_ingress_is_internal_when_its_controller_makes_internal_load_balancers(
    cls: dict | None, notes: dict, label: str, scope: ExposureScope
) -> None:
    docs = [
        web(),
        service("web", {"app": "web"}),
        ingress(
            "site",
            {"ingressClassName": "alb", "rules": [rule_to("web", {"number": 80})]},
            annotations=notes,
        ),
    ]
    docs += [cls] if cls else []
    _, found = read(*docs)
    assert [(e.via, e.scope) for e in found.resolved] == [
        (f"Ingress default/site ({label}) -> Service default/web", scope)
    ]


def test_the_gce_internal_class_is_internal() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress(
            "site",
            {"rules": [rule_to("web", {"number": 80})]},
            annotations={"kubernetes.io/ingress.class": "gce-internal"},
        ),
    )
    _, found = read(*docs)
    assert [e.scope for e in found.resolved] == [INTERNAL]


def test_a_class_named_internal_is_not_taken_for_an_internal_load_balancer() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress_class("internal"),
        ingress(
            "site", {"ingressClassName": "internal", "rules": [rule_to("web", {"number": 80})]}
        ),
    )
    _, found = read(*docs)
    assert [e.scope for e in found.resolved] == [PUBLIC]


def test_alb_class_parameters_leave_the_scheme_unknown() -> None:
    params = {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "p"}
    docs = (
        web(),
        service("web", {"app": "web"}),
        ingress_class("alb", "ingress.k8s.aws/alb", parameters=params),
        ingress("site", {"ingressClassName": "alb", "rules": [rule_to("web", {"number": 80})]}),
    )
    _, found = read(*docs)
    assert [(e.scope, e.reasons) for e in found.resolved] == [
        (UNKNOWN, ("IngressClass alb has parameters, which may set the load balancer scheme",))
    ]


def test_ingress_backends_that_name_no_workload_are_unresolved() -> None:
    resource = {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "static"}}
    paths = [
        {"path": p, "pathType": "Prefix", "backend": b}
        for p, b in [
            ("/static", resource),
            ("/gone", {"service": {"name": "gone", "port": {"number": 80}}}),
            ("/ext", {"service": {"name": "ext", "port": {"number": 80}}}),
        ]
    ]
    docs = (
        ingress_class("nginx"),
        service("ext", type="ExternalName", externalName="cdn.example.com"),
        ingress("site", {"ingressClassName": "nginx", "rules": [{"http": {"paths": paths}}]}),
    )
    _, found = read(*docs)
    via = "Ingress default/site (class nginx) -> "
    assert found == Exposures(
        unresolved=(
            unresolved(via + "Bucket default/static", PUBLIC, "the backend is not a Service", 2),
            unresolved(
                via + "Service default/ext",
                PUBLIC,
                "Service default/ext is an ExternalName for cdn.example.com, outside the input",
                2,
            ),
            unresolved(
                via + "Service default/gone", PUBLIC, "Service default/gone is not in the input", 2
            ),
        )
    )


def test_an_old_v1beta1_ingress_backend_is_read() -> None:
    doc = ingress(
        "site",
        {"backend": {"serviceName": "web", "servicePort": 80}},
        annotations={"kubernetes.io/ingress.class": "nginx"},
    )
    doc["apiVersion"] = "networking.k8s.io/v1beta1"
    _, found = read(web(), service("web", {"app": "web"}), ingress_class("nginx"), doc)
    assert [(e.workload.name, e.ports) for e in found.resolved] == [("web", tcp(8080))]


# --- Gateway API -----------------------------------------------------------------------------

ROUTE_VIA = "HTTPRoute default/r via Gateway default/gw -> Service default/web"


def gw_docs(*extra: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return (web(), service("web", {"app": "web"}), gateway_class(), *extra)


def test_a_route_attached_to_a_gateway_publishes_its_backends_service_port_to_pod_port() -> None:
    inv, found = read(*gw_docs(gateway(), route()))
    assert found == Exposures(resolved=(exposed(inv, "web", ROUTE_VIA, PUBLIC, tcp(8080), 4),))


def test_a_gateway_class_not_in_the_input_is_said() -> None:
    inv, found = read(web(), service("web", {"app": "web"}), gateway(), route())
    why = "GatewayClass example is not in the input"
    assert found.resolved == (exposed(inv, "web", ROUTE_VIA, PUBLIC, tcp(8080), 3, why),)


def test_a_route_to_a_gateway_not_in_the_input_is_unknown() -> None:
    inv, found = read(*gw_docs(route()))
    why = "Gateway default/gw is not in the input"
    assert found.resolved == (exposed(inv, "web", ROUTE_VIA, UNKNOWN, tcp(8080), 3, why),)


def test_by_default_a_listener_admits_routes_of_its_own_namespace_only() -> None:
    other = route(parent={"name": "gw", "namespace": "infra"})
    assert read(*gw_docs(gateway(namespace="infra"), other))[1] == Exposures()


def test_a_listener_allowing_all_namespaces_admits_a_route_of_another() -> None:
    listener = {
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }
    docs = gw_docs(
        gateway(listeners=[listener], namespace="infra"),
        route(parent={"name": "gw", "namespace": "infra"}),
    )
    inv, found = read(*docs)
    via = "HTTPRoute default/r via Gateway infra/gw -> Service default/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 4),)


def test_a_listener_namespace_selector_decides_on_namespace_labels() -> None:
    listener = {
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "allowedRoutes": {
            "namespaces": {"from": "Selector", "selector": {"matchLabels": {"expose": "yes"}}}
        },
    }
    parent = {"name": "gw", "namespace": "infra"}
    base = gw_docs(gateway(listeners=[listener], namespace="infra"), route(parent=parent))
    admitted = read(*base, namespace("default", {"expose": "yes"}))[1]
    refused = read(*base, namespace("default", {"expose": "no"}))[1]
    undecided = read(*base)[1]  # no Namespace object: its labels are not known
    assert [e.scope for e in admitted.resolved] == [PUBLIC]
    assert refused == Exposures()
    assert [(e.scope, e.reasons) for e in undecided.resolved] == [
        (UNKNOWN, ("whether Gateway infra/gw admits the route is unknown",))
    ]


def test_a_listener_admits_only_the_route_kinds_of_its_protocol_or_list() -> None:
    tcp_route = route(kind="TCPRoute")
    listed = {
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "allowedRoutes": {"kinds": [{"kind": "GRPCRoute"}]},
    }
    assert read(*gw_docs(gateway(), tcp_route))[1] == Exposures()
    assert read(*gw_docs(gateway(listeners=[listed]), route()))[1] == Exposures()
    inv, found = read(
        *gw_docs(gateway(listeners=[{"name": "t", "port": 9000, "protocol": "TCP"}]), tcp_route)
    )
    via = "TCPRoute default/r via Gateway default/gw -> Service default/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 4),)


def test_a_parent_ref_section_name_and_port_pick_the_listener() -> None:
    listeners = [
        {"name": "http", "port": 80, "protocol": "HTTP"},
        {"name": "tls", "port": 443, "protocol": "TLS"},
    ]
    for parent, published in [
        ({"name": "gw", "sectionName": "http"}, True),
        ({"name": "gw", "sectionName": "tls"}, False),
        ({"name": "gw", "port": 443}, False),
        ({"name": "gw", "sectionName": "nope"}, False),
    ]:
        _, found = read(*gw_docs(gateway(listeners=listeners), route(parent=parent)))
        assert bool(found.resolved) is published, parent


def test_hostnames_of_listener_and_route_must_meet() -> None:
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"}
    for hostnames, published in [
        (["shop.example.com"], True),
        (["*.example.com"], True),
        (["example.com"], False),
        (["shop.example.org"], False),
        ([], True),
    ]:
        docs = gw_docs(gateway(listeners=[listener]), route(hostnames=hostnames))
        assert bool(read(*docs)[1].resolved) is published, hostnames


def test_a_backend_in_another_namespace_needs_a_reference_grant_there() -> None:
    backend = [{"name": "web", "namespace": "shop", "port": 80}]
    docs = (
        web(namespace="shop"),
        service("web", {"app": "web"}, namespace="shop"),
        gateway_class(),
        gateway(),
        route(backends=backend),
    )
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": "shop"},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "default"}
            ],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    wrong_kind = {
        **grant,
        "spec": {
            **grant["spec"],
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "TCPRoute", "namespace": "default"}
            ],
        },
    }
    assert read(*docs)[1] == Exposures()
    assert read(*docs, wrong_kind)[1] == Exposures()
    inv, found = read(*docs, grant)
    via = "HTTPRoute default/r via Gateway default/gw -> Service shop/web"
    assert found.resolved == (exposed(inv, "web", via, PUBLIC, tcp(8080), 4, namespace="shop"),)


@pytest.mark.parametrize(
    ("spec", "note"),
    [
        (
            {"annotations": {"networking.gke.io/load-balancer-type": "Internal"}},
            "internal: networking.gke.io/load-balancer-type=Internal",
        ),
        (
            {
                "infrastructure": {
                    "annotations": {
                        "service.beta.kubernetes.io/azure-load-balancer-internal": "true"
                    }
                }
            },
            "internal: service.beta.kubernetes.io/azure-load-balancer-internal=true",
        ),
        (
            {"addresses": [{"type": "IPAddress", "value": "10.0.0.10"}]},
            "internal: private addresses",
        ),
        ({"class_name": "gke-l7-rilb"}, "internal: class gke-l7-rilb"),
    ],
    ids=["annotation", "infrastructure-annotation", "private-addresses", "gke-internal-class"],
)
def test_a_gateway_is_internal_when_its_class_annotations_or_addresses_say_so(
    spec: dict, note: str
) -> None:
    _, found = read(*gw_docs(gateway(**spec), gateway_class("gke-l7-rilb"), route()))
    assert [(e.via, e.scope) for e in found.resolved] == [
        (f"HTTPRoute default/r via Gateway default/gw ({note}) -> Service default/web", INTERNAL)
    ]


def test_a_gateway_with_a_public_address_is_public() -> None:
    addresses = [{"value": "10.0.0.10"}, {"value": "203.0.113.10"}]
    _, found = read(*gw_docs(gateway(addresses=addresses), route()))
    assert [e.scope for e in found.resolved] == [PUBLIC]


def test_an_istio_gateway_kept_on_cluster_ip_publishes_nothing() -> None:
    for service_type, scope in [("ClusterIP", None), ("NodePort", NODE)]:
        notes = {"networking.istio.io/service-type": service_type}
        _, found = read(*gw_docs(gateway(annotations=notes), route()))
        assert [e.scope for e in found.resolved] == ([scope] if scope else [])


def test_route_backends_with_weight_zero_get_nothing_and_mirrors_get_copies() -> None:
    mirror = {
        "type": "RequestMirror",
        "requestMirror": {"backendRef": {"name": "shadow", "port": 80}},
    }
    doc = route(backends=[{"name": "web", "port": 80, "weight": 0}])
    doc["spec"]["rules"][0]["filters"] = [mirror]
    docs = gw_docs(
        deployment("shadow", ports=HTTP), service("shadow", {"app": "shadow"}), gateway(), doc
    )
    inv, found = read(*docs)
    via = "HTTPRoute default/r via Gateway default/gw -> Service default/shadow"
    assert found.resolved == (exposed(inv, "shadow", via, PUBLIC, tcp(8080), 6),)


def test_a_backend_that_is_not_a_service_is_unresolved() -> None:
    backend = [
        {"group": "multicluster.x-k8s.io", "kind": "ServiceImport", "name": "web", "port": 80}
    ]
    _, found = read(*gw_docs(gateway(), route(backends=backend)))
    via = "HTTPRoute default/r via Gateway default/gw -> ServiceImport default/web"
    assert found == Exposures(
        unresolved=(unresolved(via, PUBLIC, "the backend is not a Service", 4),)
    )


def test_a_mesh_parent_publishes_nothing() -> None:
    parent = {"group": "", "kind": "Service", "name": "web"}
    assert read(*gw_docs(gateway(), route(parent=parent)))[1] == Exposures()


def test_a_service_backend_ref_without_a_port_is_refused() -> None:
    doc = route(backends=[{"name": "web"}])
    assert problems_of(*gw_docs(gateway(), doc)) == [
        "test.yaml:1: HTTPRoute default/r: spec.rules: backendRef to Service web: port is required"
    ]


# --- Istio ingress gateway -------------------------------------------------------------------

VS_VIA = "VirtualService default/vs via Istio Gateway default/ingress -> Service default/web"
GATEWAY_PODS = {"istio": "ingressgateway"}


def istio_docs(*extra: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return (web(), service("web", {"app": "web"}), istio_gateway(), *extra)


def gateway_pods(namespace: str = "istio-system") -> dict[str, Any]:
    return deployment(
        "istio-ingressgateway", GATEWAY_PODS, namespace=namespace, ports=[{"containerPort": 8080}]
    )


def test_a_virtual_service_is_published_as_widely_as_the_gateway_pods_are() -> None:
    gw_lb = lb("istio-ingressgateway", GATEWAY_PODS, namespace="istio-system")
    inv, found = read(*istio_docs(gateway_pods(), gw_lb, virtual_service(gateways=["ingress"])))
    why = (
        "the gateway pods are published by Service istio-system/istio-ingressgateway (LoadBalancer)"
    )
    assert found.resolved == (
        exposed(inv, "web", VS_VIA, PUBLIC, tcp(8080), 5, why),
        exposed(
            inv,
            "istio-ingressgateway",
            "Service istio-system/istio-ingressgateway (LoadBalancer)",
            PUBLIC,
            tcp(8080),
            4,
            namespace="istio-system",
        ),
    )


def test_gateway_pods_not_in_the_input_leave_the_scope_unknown() -> None:
    inv, found = read(*istio_docs(virtual_service(gateways=["ingress"])))
    why = "the pods of Istio Gateway default/ingress (istio=ingressgateway) are not in the input"
    assert found.resolved == (exposed(inv, "web", VS_VIA, UNKNOWN, tcp(8080), 3, why),)


def test_gateway_pods_published_only_inside_the_cluster_publish_nothing() -> None:
    cluster_ip = service("istio-ingressgateway", GATEWAY_PODS, namespace="istio-system")
    docs = istio_docs(gateway_pods(), cluster_ip, virtual_service(gateways=["ingress"]))
    assert read(*docs)[1] == Exposures()


def test_gateway_pods_published_on_another_port_than_the_servers_publish_nothing() -> None:
    gw_lb = lb("gw", GATEWAY_PODS, namespace="istio-system", ports=[{"port": 15021}])
    docs = istio_docs(gateway_pods(), gw_lb, virtual_service(gateways=["ingress"]))
    assert [e.workload.name for e in read(*docs)[1].resolved] == ["istio-ingressgateway"]


def test_a_virtual_service_for_the_mesh_only_publishes_nothing() -> None:
    for gateways in (None, ["mesh"]):
        assert read(*istio_docs(virtual_service(gateways=gateways)))[1] == Exposures()


def test_a_match_naming_gateways_replaces_the_virtual_services_gateways() -> None:
    destination = {"destination": {"host": "web", "port": {"number": 80}}}
    http = [{"match": [{"gateways": ["mesh"]}], "route": [destination]}]
    assert read(*istio_docs(virtual_service(gateways=["ingress"], http=http)))[1] == Exposures()
    http = [{"match": [{"gateways": ["ingress"]}], "route": [destination]}]
    _, found = read(*istio_docs(virtual_service(gateways=["mesh"], http=http)))
    assert [e.via for e in found.resolved] == [VS_VIA]


def test_a_gateway_in_another_namespace_is_named_namespace_slash_name() -> None:
    docs = (
        web(),
        service("web", {"app": "web"}),
        istio_gateway(namespace="istio-system"),
        virtual_service(gateways=["istio-system/ingress"]),
    )
    _, found = read(*docs)
    assert [e.via for e in found.resolved] == [
        "VirtualService default/vs via Istio Gateway istio-system/ingress -> Service default/web"
    ]


def test_a_gateway_not_in_the_input_leaves_the_scope_unknown() -> None:
    _, found = read(web(), service("web", {"app": "web"}), virtual_service(gateways=["edge"]))
    assert [(e.scope, e.reasons) for e in found.resolved] == [
        (UNKNOWN, ("Istio Gateway default/edge is not in the input",))
    ]


@pytest.mark.parametrize(
    ("host", "service_ref"),
    [("web", "default/web"), ("web.shop.svc.cluster.local", "shop/web")],
)
def test_a_destination_host_names_a_service_by_short_name_or_full_name(
    host: str, service_ref: str
) -> None:
    docs = (
        web(),
        web(namespace="shop"),
        service("web", {"app": "web"}),
        service("web", {"app": "web"}, namespace="shop"),
        istio_gateway(),
        virtual_service(gateways=["ingress"], host=host),
    )
    _, found = read(*docs)
    assert [e.via.rpartition(" ")[2] for e in found.resolved] == [service_ref]


@pytest.mark.parametrize("host", ["web.shop", "web.shop.svc", "api.example.com", "*"])
def test_any_other_destination_host_is_unresolved_since_istio_takes_it_as_written(
    host: str,
) -> None:
    _, found = read(*istio_docs(virtual_service(gateways=["ingress"], host=host)))
    assert found.resolved == ()
    assert [(u.via, u.reason) for u in found.unresolved] == [
        (
            f"VirtualService default/vs via Istio Gateway default/ingress -> {host}",
            f"host {host} does not name a Service of the cluster (it may be a ServiceEntry)",
        )
    ]


def test_a_destination_without_a_port_takes_the_port_the_gateway_listens_on() -> None:
    two_ports = service(
        "web",
        {"app": "web"},
        ports=[
            {"name": "http", "port": 8080, "targetPort": 8080},
            {"name": "admin", "port": 9090, "targetPort": 9090},
        ],
    )
    docs = (
        deployment("web", ports=[{"containerPort": 8080}, {"containerPort": 9090}]),
        two_ports,
        istio_gateway(),
        virtual_service(gateways=["ingress"], port=None),
    )
    _, found = read(*docs)
    assert [e.ports for e in found.resolved] == [tcp(8080)]


# --- the whole ------------------------------------------------------------------------------


def test_the_result_does_not_depend_on_the_order_of_the_input() -> None:
    docs = [
        *istio_docs(
            gateway_pods(),
            lb("gw", GATEWAY_PODS, namespace="istio-system"),
            virtual_service(gateways=["ingress"]),
        ),
        lb(),
        service("np", {"app": "web"}, type="NodePort"),
        gateway(),
        route(),
        ingress(
            "site", {"rules": [rule_to("web", {"number": 80}), rule_to("gone", {"number": 1})]}
        ),
        pod("agent", host_network=True),
    ]
    results = set()
    for seed in range(6):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        _, found = read(*shuffled)
        results.add(
            tuple((e.workload.name, e.via, e.scope, e.ports, e.reasons) for e in found.resolved)
            + tuple((u.via, u.reason) for u in found.unresolved)
        )
    assert len(results) == 1
    assert len(next(iter(results))) == 8


_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = [
    ("Service", ("spec",)),
    ("Service", ("spec", "ports")),
    ("Service", ("spec", "selector")),
    ("Ingress", ("spec",)),
    ("Ingress", ("spec", "rules")),
    ("Gateway", ("spec", "listeners")),
    ("HTTPRoute", ("spec", "parentRefs")),
    ("HTTPRoute", ("spec", "rules")),
    ("VirtualService", ("spec",)),
    ("VirtualService", ("spec", "http")),
    ("Gateway.istio", ("spec", "servers")),
    ("Service", ("metadata", "annotations")),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_FIELDS), junk=_JUNK)
def test_malformed_input_is_a_problem_or_nothing_never_an_exception(
    field: tuple[str, tuple[str, ...]], junk: object
) -> None:
    docs = {
        "Service": lb(),
        "Ingress": ingress("i", {"rules": [rule_to("web-lb", {"number": 80})]}),
        "Gateway": gateway(),
        "HTTPRoute": route(),
        "VirtualService": virtual_service(gateways=["ingress"]),
        "Gateway.istio": istio_gateway(),
    }
    kind, path = field
    target: Any = docs[kind]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = junk
    problems: list[str] = []
    read_exposures(inventory(web(), *docs.values()), problems)
    assert all("\n" not in p and p.startswith("test.yaml:") for p in problems)
