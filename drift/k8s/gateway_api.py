"""Gateway API publishers: routes attached to a Gateway whose listeners admit them, through
the Services their backendRefs name (`drift.k8s.exposure` describes them all)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.exposure_base import (
    INTERNAL,
    NODE,
    PUBLIC,
    UNKNOWN,
    Found,
    mapping_of,
    mappings_of,
    strings_of,
    text_of,
)
from drift.k8s.labels import Selector, Truth, parse_selector
from drift.k8s.objects import FieldPath, KubeObject
from drift.k8s.services import Reach, annotations_of, internal_annotation, is_private
from drift.k8s.workloads import port_number

_GW = "gateway.networking.k8s.io"
_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
# Route kinds a listener admits when its allowedRoutes.kinds is empty, by listener protocol.
_DEFAULT_ROUTE_KINDS = {
    "HTTP": frozenset({"HTTPRoute", "GRPCRoute"}),
    "HTTPS": frozenset({"HTTPRoute", "GRPCRoute"}),
    "TLS": frozenset({"TLSRoute"}),
    "TCP": frozenset({"TCPRoute"}),
    "UDP": frozenset({"UDPRoute"}),
}
# GKE's internal Application Load Balancer classes.
_GKE_INTERNAL_CLASSES = frozenset(
    {"gke-l7-rilb", "gke-l7-rilb-mc", "gke-l7-cross-regional-internal-managed-mc"}
)
_ISTIO_SERVICE_TYPE = "networking.istio.io/service-type"


@dataclass(frozen=True, kw_only=True)
class _Listener:
    name: object
    port: object
    kinds: frozenset[str] | None  # None: the defaults of the listener's protocol, unknown
    hostname: str | None
    namespaces: object  # allowedRoutes.namespaces.from: Same (default), All or Selector
    selector: Selector | None


@dataclass(frozen=True, kw_only=True)
class _Gateway:
    namespace: str
    name: str
    listeners: tuple[_Listener, ...]
    reach: Reach | None  # None: the Gateway is not published past the cluster


def gateway_api_exposures(found: Found) -> None:
    classes = {o.name for o in found.inventory.of_kind((_GW, "GatewayClass"))}
    gateways = {}
    for obj in found.inventory.of_kind((_GW, "Gateway")):
        gateway = _read_gateway(obj, classes, found.problems)
        if gateway is not None:
            gateways[(gateway.namespace, gateway.name)] = gateway
    for kind in _ROUTE_KINDS:
        for route in found.inventory.of_kind((_GW, kind)):
            for ref in mappings_of(route.get(("spec", "parentRefs"))):
                _route_exposures(found, route, ref, gateways)


def _read_gateway(obj: KubeObject, classes: set[str], problems: list[str]) -> _Gateway | None:
    before = len(problems)
    listeners = [
        _read_listener(obj, i, raw, problems)
        for i, raw in enumerate(mappings_of(obj.get(("spec", "listeners"))))
    ]
    if len(problems) > before:
        return None
    assert obj.namespace is not None
    reach = _gateway_reach(obj, classes)
    return _Gateway(namespace=obj.namespace, name=obj.name, listeners=tuple(listeners), reach=reach)


def _read_listener(
    obj: KubeObject, index: int, raw: Mapping[str, Any], problems: list[str]
) -> _Listener:
    path: FieldPath = ("spec", "listeners", index)
    port_number(obj, (*path, "port"), raw.get("port"), problems)
    allowed = mapping_of(raw.get("allowedRoutes"))
    kinds = mappings_of(allowed.get("kinds"))
    selector = parse_selector(obj, (*path, "allowedRoutes", "namespaces", "selector"), problems)
    return _Listener(
        name=raw.get("name"),
        port=raw.get("port"),
        kinds=(
            frozenset(str(k.get("kind")) for k in kinds if k.get("group", _GW) == _GW)
            if kinds
            else _DEFAULT_ROUTE_KINDS.get(str(raw.get("protocol")))
        ),
        hostname=text_of(raw.get("hostname")),
        namespaces=mapping_of(allowed.get("namespaces")).get("from", "Same"),
        selector=selector,
    )


def _gateway_reach(obj: KubeObject, classes: set[str]) -> Reach | None:
    """Public, unless the class, the annotations the implementation copies to its load
    balancer Service (`metadata` and `spec.infrastructure`), or addresses that are all
    private make it internal; Istio's service-type annotation may keep it in the cluster."""
    cls = str(obj.get(("spec", "gatewayClassName")))
    reasons = () if cls in classes else (f"GatewayClass {cls} is not in the input",)
    notes = annotations_of(obj) | annotations_of(obj, ("spec", "infrastructure", "annotations"))
    service_type = notes.get(_ISTIO_SERVICE_TYPE)
    internal = internal_annotation(notes)
    addresses = mappings_of(obj.get(("spec", "addresses")))
    if service_type == "ClusterIP":
        return None
    if cls in _GKE_INTERNAL_CLASSES:
        return Reach(scope=INTERNAL, note=f"internal: class {cls}", reasons=reasons)
    if internal:
        return Reach(scope=INTERNAL, note=f"internal: {internal}", reasons=reasons)
    if addresses and all(_private_address(a) for a in addresses):
        return Reach(scope=INTERNAL, note="internal: private addresses", reasons=reasons)
    if service_type == "NodePort":
        return Reach(scope=NODE, note=f"{_ISTIO_SERVICE_TYPE}=NodePort", reasons=reasons)
    return Reach(scope=PUBLIC, reasons=reasons)


def _private_address(address: Mapping[str, Any]) -> bool:
    if address.get("type", "IPAddress") != "IPAddress":
        return False  # a hostname or named address: where it points is not in the input
    try:
        return is_private(ipaddress.ip_network(str(address.get("value"))))
    except ValueError:
        return False


def _route_exposures(
    found: Found,
    route: KubeObject,
    ref: Mapping[str, Any],
    gateways: Mapping[tuple[str, str], _Gateway],
) -> None:
    if ref.get("group", _GW) != _GW or ref.get("kind", "Gateway") != "Gateway":
        return  # a mesh (GAMMA) parent: traffic inside the cluster
    where = (text_of(ref.get("namespace")) or str(route.namespace), str(ref.get("name")))
    gateway = gateways.get(where)
    reach: Reach | None
    if gateway is None:
        reach = Reach(scope=UNKNOWN, reasons=(f"Gateway {'/'.join(where)} is not in the input",))
    else:
        reach = _attached(found, route, ref, gateway)
    if reach is None:
        return
    via = f"{route.kind} {route.namespace}/{route.name} via Gateway {'/'.join(where)}"
    via += f" ({reach.note})" if reach.note else ""
    for rule in mappings_of(route.get(("spec", "rules"))):
        for backend in _rule_backends(rule):
            _route_backend(found, route, via, reach, backend)


def _attached(
    found: Found, route: KubeObject, ref: Mapping[str, Any], gateway: _Gateway
) -> Reach | None:
    """How far the Gateway publishes the route: None when no listener admits it."""
    if gateway.reach is None:
        return None
    answer = Truth.NO
    for listener in gateway.listeners:
        if ref.get("sectionName", listener.name) == listener.name and (
            ref.get("port", listener.port) == listener.port
        ):
            answer |= _admits(found, listener, gateway, route)
    if answer is Truth.NO:
        return None
    if answer is Truth.MAYBE:
        why = f"whether Gateway {gateway.namespace}/{gateway.name} admits the route is unknown"
        return Reach(scope=UNKNOWN, reasons=(*gateway.reach.reasons, why))
    return gateway.reach


def _admits(found: Found, listener: _Listener, gateway: _Gateway, route: KubeObject) -> Truth:
    """A listener admits a route of a kind it allows, from a namespace it allows, when
    their hostnames meet; a protocol the Gateway API does not define leaves it unknown."""
    kind_ok = Truth.MAYBE if listener.kinds is None else _truth(route.kind in listener.kinds)
    hostnames = strings_of(route.get(("spec", "hostnames")))
    if listener.hostname and hostnames:
        kind_ok &= _truth(any(_hosts_meet(listener.hostname, h) for h in hostnames))
    if listener.namespaces == "All":
        return kind_ok
    if listener.namespaces == "Same":
        return kind_ok & _truth(route.namespace == gateway.namespace)
    if listener.namespaces == "Selector" and listener.selector is not None:
        namespace = found.inventory.namespaces[str(route.namespace)]
        return kind_ok & listener.selector.matches(namespace.label_view)
    return Truth.NO


def _hosts_meet(a: str, b: str) -> bool:
    """Whether two hostnames, either of which may be a `*.` wildcard, share a name."""
    return a == b or any(x.startswith("*.") and y.endswith(x[1:]) for x, y in ((a, b), (b, a)))


def _rule_backends(rule: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """A rule's backendRefs that get traffic (weight above 0), and the backends its
    RequestMirror filters copy requests to: both receive what clients send."""
    filters = mappings_of(rule.get("filters"))
    for ref in mappings_of(rule.get("backendRefs")):
        if ref.get("weight", 1) != 0:
            yield ref
        filters += mappings_of(ref.get("filters"))
    for f in filters:
        mirror = mapping_of(f.get("requestMirror")).get("backendRef")
        if isinstance(mirror, Mapping):
            yield mirror


def _route_backend(
    found: Found, route: KubeObject, via: str, reach: Reach, ref: Mapping[str, Any]
) -> None:
    namespace, name = text_of(ref.get("namespace")) or str(route.namespace), str(ref.get("name"))
    if (ref.get("group", ""), ref.get("kind", "Service")) != ("", "Service"):
        target = f"{via} -> {ref.get('kind')} {namespace}/{name}"
        found.unresolved(target, reach.scope, "the backend is not a Service", route.source)
        return
    if namespace != route.namespace and not _granted(found, route, namespace, name):
        return  # a reference to another namespace without a ReferenceGrant there is refused
    number = ref.get("port")
    if not isinstance(number, int):
        why = f"backendRef to Service {name}: port is required"
        found.problems.append(route.problem(("spec", "rules"), why))
        return
    found.through_service(via, reach, route.source, (namespace, name), lambda s: s.ports_by(number))


def _granted(found: Found, route: KubeObject, namespace: str, name: str) -> bool:
    """Whether a ReferenceGrant in `namespace` lets routes of this kind and namespace refer
    to the Service `name`."""
    source = (_GW, route.kind, route.namespace)
    for grant in found.inventory.of_kind((_GW, "ReferenceGrant")):
        if grant.namespace == namespace and any(
            (f.get("group"), f.get("kind"), f.get("namespace")) == source
            for f in mappings_of(grant.get(("spec", "from")))
        ):
            targets = mappings_of(grant.get(("spec", "to")))
            if any(
                (t.get("group"), t.get("kind"), t.get("name", name)) == ("", "Service", name)
                for t in targets
            ):
                return True
    return False


def _truth(answer: bool) -> Truth:
    return Truth.YES if answer else Truth.NO
