"""What publishes workloads past the cluster, on which of their pods' ports, and how widely.

Publishers, as Kubernetes, the Gateway API and Istio define them:

- a Service of type NodePort or LoadBalancer, or with `externalIPs` (`drift.k8s.services`);
- an Ingress, through the Services its rules and default backend name;
- a Gateway API route attached to a Gateway whose listeners admit it, through the Services
  its backendRefs name (a backend in another namespace only with a ReferenceGrant there);
- an Istio VirtualService bound to an Istio Gateway, through the Services its destinations
  name, as widely as the gateway pods themselves are published;
- a container `hostPort`, or a pod on the node's network (`hostNetwork`).

Where the input does not decide how widely (a controller or address not in the input), the
scope is `unknown` with a reason, never a guess. What is published but cannot be pinned to a
workload in the input (a Service without a selector, a backend that is not a Service, a
Service not in the input) is an `UnresolvedExposure`: reported, never dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.inventory import Inventory
from drift.k8s.labels import Selector, Truth, parse_labels, parse_selector, selector_from_labels
from drift.k8s.objects import FieldPath, KubeObject, SourceRef
from drift.k8s.services import (
    SERVICE,
    Backend,
    Reach,
    Service,
    ServicePort,
    ServiceType,
    annotations_of,
    internal_annotation,
    is_private,
    read_services,
    widest,
)
from drift.k8s.workloads import Workload, port_number
from drift.model import ExposureScope, wider_scope
from drift.ports import PortSet, Protocol

PUBLIC, INTERNAL, NODE, UNKNOWN = (
    ExposureScope.PUBLIC,
    ExposureScope.INTERNAL,
    ExposureScope.NODE,
    ExposureScope.UNKNOWN,
)


@dataclass(frozen=True, kw_only=True)
class Exposure:
    """`workload`'s pods are published by `via` (one line naming the publishing objects) on
    `ports` (pod ports, after targetPort resolution), as widely as `scope`. `reasons` say
    what the input leaves undecided: why the scope is unknown, or a caveat on it."""

    workload: Workload
    via: str
    scope: ExposureScope
    ports: PortSet
    source: SourceRef
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UnresolvedExposure:
    """Something is published (`via`, `scope`) but the input cannot say which pods serve it."""

    via: str
    scope: ExposureScope
    reason: str
    source: SourceRef


@dataclass(frozen=True, kw_only=True)
class Exposures:
    """Everything published. `resolved` holds one exposure per (workload, via), sorted by
    workload then via: several rules or ports reaching the same pods through the same
    objects are merged (ports united, widest scope). `unresolved` is sorted by via and reason.
    The graph folds `resolved` into one `exposes` edge per workload (`ExposesEdge`)."""

    resolved: tuple[Exposure, ...] = ()
    unresolved: tuple[UnresolvedExposure, ...] = ()


def read_exposures(inventory: Inventory, problems: list[str]) -> Exposures:
    """Every exposure the objects in `inventory` make; bad input is appended to `problems`
    (one line each) and the object at fault is left out."""
    found = _Found(inventory, read_services(inventory.of_kind(SERVICE), problems), problems)
    for service in found.services.values():
        _service_exposures(found, service)
    _host_exposures(found)
    direct = found.snapshot()  # what an Istio gateway's own pods are published by
    _ingress_exposures(found)
    _gateway_api_exposures(found)
    _istio_exposures(found, direct)
    return found.result()


class _Found:
    """Exposures as they are found, merged per (workload, via), with what finding needs."""

    def __init__(
        self, inventory: Inventory, services: dict[str, Service], problems: list[str]
    ) -> None:
        self.inventory = inventory
        self.services = services
        self.problems = problems
        self._resolved: dict[tuple[str, str, str, str], Exposure] = {}
        self._unresolved: set[UnresolvedExposure] = set()
        # Workloads by (namespace, label key, value), and by (namespace, key) for keys whose
        # value varies per pod: a Service's candidates are those carrying one of its pairs.
        self._by_label: dict[tuple[str, str, str | None], list[Workload]] = {}
        for w in inventory.workloads:
            for key, value in w.labels.items():
                self._by_label.setdefault((w.namespace, key, value), []).append(w)
            for key in w.varying_labels:
                self._by_label.setdefault((w.namespace, key, None), []).append(w)

    def candidates(self, service: Service) -> list[Workload]:
        """Workloads a Service's selector could pick: a superset, found without a scan."""
        found: list[Workload] | None = None
        for key, value in (service.selector or {}).items():
            pairs = self._by_label.get((service.namespace, key, value), [])
            pairs = pairs + self._by_label.get((service.namespace, key, None), [])
            if found is None or len(pairs) < len(found):
                found = pairs
        return found or []

    def add(self, new: Exposure) -> None:
        w = new.workload
        key = (w.namespace, w.kind, w.name, new.via)
        old = self._resolved.get(key)
        if old is not None:
            new = Exposure(
                workload=w,
                via=new.via,
                scope=wider_scope(old.scope, new.scope),
                ports=old.ports | new.ports,
                source=min(old.source, new.source, key=SourceRef.sort_key),
                reasons=tuple(sorted(set(old.reasons) | set(new.reasons))),
            )
        self._resolved[key] = new

    def unresolved(self, via: str, scope: ExposureScope, reason: str, source: SourceRef) -> None:
        self._unresolved.add(UnresolvedExposure(via=via, scope=scope, reason=reason, source=source))

    def snapshot(self) -> list[Exposure]:
        return list(self._resolved.values())

    def result(self) -> Exposures:
        return Exposures(
            resolved=tuple(v for _, v in sorted(self._resolved.items(), key=lambda kv: kv[0])),
            unresolved=tuple(
                sorted(
                    self._unresolved, key=lambda u: (u.via, u.reason, u.scope, u.source.sort_key())
                )
            ),
        )

    def through_service(
        self,
        via: str,
        reach: Reach,
        source: SourceRef,
        service_ref: tuple[str, str],
        pick: Callable[[Service], Iterable[ServicePort]],
    ) -> None:
        """Publish, as widely as `reach`, the pods a Service sends to on the ports `pick`s."""
        namespace, name = service_ref
        via = f"{via} -> Service {namespace}/{name}"
        service = self.services.get(f"{namespace}/{name}")
        reason = _unresolvable(service, f"Service {namespace}/{name}")
        if reason is not None:
            self.unresolved(via, reach.scope, reason, source)
            return
        assert service is not None
        for backend in service.backends(self.candidates(service), pick(service)):
            self.add(_exposure(backend, via, reach, source))


def _unresolvable(service: Service | None, ref: str) -> str | None:
    if service is None:
        return f"{ref} is not in the input"
    if service.type is ServiceType.EXTERNAL_NAME:
        return f"{ref} is an ExternalName for {service.external_name}, outside the input"
    if service.selector is None:
        return f"{ref} has no selector: its endpoints are managed by hand, not in the input"
    return None


def _exposure(backend: Backend, via: str, reach: Reach, source: SourceRef) -> Exposure:
    return Exposure(
        workload=backend.workload,
        via=via,
        scope=UNKNOWN if backend.reasons else reach.scope,
        ports=backend.ports,
        source=source,
        reasons=tuple(sorted({*reach.reasons, *backend.reasons})),
    )


# --- Services, host ports ------------------------------------------------------------------


def _service_exposures(found: _Found, service: Service) -> None:
    if service.reach is None:
        return
    reason = _unresolvable(service, service.ref)
    if reason is not None:
        found.unresolved(service.via, service.reach.scope, reason, service.source)
        return
    for backend in service.backends(found.candidates(service)):
        found.add(_exposure(backend, service.via, service.reach, service.source))


def _host_exposures(found: _Found) -> None:
    """hostPort opens the container port on the node's addresses; a hostNetwork pod listens
    on them directly (its hostPorts, which must equal the container ports, add nothing)."""
    for w in found.inventory.workloads:
        ref = f"{w.kind} {w.namespace}/{w.name}"
        if w.host_network:
            ports = PortSet.empty()
            for p in w.ports:
                ports |= PortSet.of(p.protocol, p.number)
            reasons = () if ports else (f"{ref} declares no ports: what it listens on is unknown",)
            via = f"hostNetwork of {ref}"
            found.add(
                Exposure(
                    workload=w, via=via, scope=NODE, ports=ports, source=w.source, reasons=reasons
                )
            )
            continue
        for p in w.ports:
            if p.host_port is not None:
                via = f"hostPort {p.host_port} of {ref}"
                ports = PortSet.of(p.protocol, p.number)
                found.add(Exposure(workload=w, via=via, scope=NODE, ports=ports, source=w.source))


# --- reading raw fields without trusting their shape ----------------------------------------


def _map(raw: object) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _list(raw: object) -> list[Mapping[str, Any]]:
    """The mappings of a list field (anything else is not there)."""
    return [x for x in raw if isinstance(x, Mapping)] if isinstance(raw, list) else []


def _names(raw: object) -> list[str]:
    return [x for x in raw if isinstance(x, str)] if isinstance(raw, list) else []


def _text(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def _noted(label: str, reach: Reach) -> str:
    return f"{label}, {reach.note}" if reach.note else label


def _truth(answer: bool) -> Truth:
    return Truth.YES if answer else Truth.NO


# --- Ingress -------------------------------------------------------------------------------

_INGRESS = ("networking.k8s.io", "Ingress")
_INGRESS_CLASS = ("networking.k8s.io", "IngressClass")
_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
_ALB_CONTROLLERS = frozenset({"ingress.k8s.aws/alb", "eks.amazonaws.com/alb"})
_ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
_APPGW_PRIVATE = "appgw.ingress.kubernetes.io/use-private-ip"


def _ingress_exposures(found: _Found) -> None:
    classes = {o.name: o for o in found.inventory.of_kind(_INGRESS_CLASS)}
    defaults = [n for n, o in classes.items() if annotations_of(o).get(_DEFAULT_CLASS) == "true"]
    for obj in found.inventory.of_kind(_INGRESS):
        before = len(found.problems)
        label, name, reasons = _ingress_class(obj, classes, sorted(defaults), found.problems)
        backends = list(_ingress_backends(obj, found.problems))
        if len(found.problems) > before:
            continue
        reach = _ingress_reach(obj, classes.get(name or ""), name, reasons)
        via = f"Ingress {obj.namespace}/{obj.name} ({_noted(label, reach)})"
        for path, backend in backends:
            _ingress_backend(found, obj, via, reach, path, backend)


def _ingress_class(
    obj: KubeObject, classes: Mapping[str, KubeObject], defaults: list[str], problems: list[str]
) -> tuple[str, str | None, tuple[str, ...]]:
    """The class serving the Ingress, as (label for `via`, name, reasons): the field, the
    older annotation, or the IngressClass marked default (admission fills it in)."""
    named, annotated = (
        obj.get(("spec", "ingressClassName")),
        annotations_of(obj).get(_CLASS_ANNOTATION),
    )
    if named is not None and not isinstance(named, str):
        problems.append(obj.problem(("spec", "ingressClassName"), "must be a string"))
    elif named and annotated:
        path = ("metadata", "annotations", _CLASS_ANNOTATION)
        problems.append(obj.problem(path, "may not be set together with spec.ingressClassName"))
    name = _text(named) or annotated
    if name:
        missing = () if name in classes else (f"IngressClass {name} is not in the input",)
        return f"class {name}", name, missing
    if len(defaults) == 1:
        return f"default class {defaults[0]}", defaults[0], ()
    if defaults:
        return "no class", None, (f"several default IngressClasses: {', '.join(defaults)}",)
    reason = "no class and no default IngressClass in the input: served only by a controller"
    return "no class", None, (f"{reason} that takes Ingresses without a class",)


def _ingress_reach(
    obj: KubeObject, cls: KubeObject | None, name: str | None, reasons: tuple[str, ...]
) -> Reach:
    """Public, unless the controller that serves the class makes internal load balancers:
    GKE's `gce-internal` class, Azure's AGIC with a private IP, the AWS Load Balancer
    Controller asked for (or, by its default, left on) the internal scheme."""
    notes = annotations_of(obj)
    scheme = notes.get(_ALB_SCHEME)
    alb = cls is not None and cls.get(("spec", "controller")) in _ALB_CONTROLLERS
    if alb and cls is not None and cls.get(("spec", "parameters")) is not None:
        why = f"IngressClass {name} has parameters, which may set the load balancer scheme"
        return Reach(scope=UNKNOWN, reasons=(*reasons, why))
    if name == "gce-internal":
        return Reach(scope=INTERNAL, note="internal", reasons=reasons)
    if notes.get(_APPGW_PRIVATE, "").lower() == "true":
        return Reach(scope=INTERNAL, note=f"internal: {_APPGW_PRIVATE}", reasons=reasons)
    if scheme == "internal" or (alb and scheme is None):
        return Reach(scope=INTERNAL, note="internal: AWS load balancer scheme", reasons=reasons)
    return Reach(scope=PUBLIC, reasons=reasons)


def _ingress_backends(
    obj: KubeObject, problems: list[str]
) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    """(path, backend) of the default backend and of every rule's paths."""
    for key in ("defaultBackend", "backend"):  # v1, v1beta1
        if obj.get(("spec", key)) is not None:
            yield from _backend_at(obj, ("spec", key), problems)
    for i, rule in enumerate(_list(obj.get(("spec", "rules")))):
        paths = _map(rule.get("http")).get("paths")
        for j in range(len(paths) if isinstance(paths, list) else 0):
            yield from _backend_at(
                obj, ("spec", "rules", i, "http", "paths", j, "backend"), problems
            )


def _backend_at(
    obj: KubeObject, path: FieldPath, problems: list[str]
) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    backend = obj.get(path)
    if isinstance(backend, Mapping):
        yield path, backend
    else:
        problems.append(obj.problem(path, "must be a mapping naming a service or a resource"))


def _ingress_backend(
    found: _Found,
    obj: KubeObject,
    via: str,
    reach: Reach,
    path: FieldPath,
    backend: Mapping[str, Any],
) -> None:
    assert obj.namespace is not None
    resource = backend.get("resource")
    if isinstance(resource, Mapping):
        target = f"{via} -> {resource.get('kind')} {obj.namespace}/{resource.get('name')}"
        found.unresolved(target, reach.scope, "the backend is not a Service", obj.source)
        return
    service = backend.get("service")
    if isinstance(service, Mapping):  # networking.k8s.io/v1
        name, port = service.get("name"), _map(service.get("port"))
        number, port_name = port.get("number"), port.get("name")
    else:  # v1beta1: serviceName and servicePort (a number or a name)
        name, raw = backend.get("serviceName"), backend.get("servicePort")
        number, port_name = (raw, None) if isinstance(raw, int) else (None, raw)
    if not isinstance(name, str) or (number is None) == (port_name is None):
        found.problems.append(obj.problem(path, "needs a service name and a port number or name"))
        return
    found.through_service(
        via, reach, obj.source, (obj.namespace, name), lambda s: s.ports_by(number, port_name)
    )


# --- Gateway API ---------------------------------------------------------------------------

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


def _gateway_api_exposures(found: _Found) -> None:
    classes = {o.name for o in found.inventory.of_kind((_GW, "GatewayClass"))}
    gateways = {}
    for obj in found.inventory.of_kind((_GW, "Gateway")):
        gateway = _read_gateway(obj, classes, found.problems)
        if gateway is not None:
            gateways[(gateway.namespace, gateway.name)] = gateway
    for kind in _ROUTE_KINDS:
        for route in found.inventory.of_kind((_GW, kind)):
            for ref in _list(route.get(("spec", "parentRefs"))):
                _route_exposures(found, route, ref, gateways)


def _read_gateway(obj: KubeObject, classes: set[str], problems: list[str]) -> _Gateway | None:
    before = len(problems)
    listeners = [
        _read_listener(obj, i, raw, problems)
        for i, raw in enumerate(_list(obj.get(("spec", "listeners"))))
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
    allowed = _map(raw.get("allowedRoutes"))
    kinds = _list(allowed.get("kinds"))
    selector = parse_selector(obj, (*path, "allowedRoutes", "namespaces", "selector"), problems)
    return _Listener(
        name=raw.get("name"),
        port=raw.get("port"),
        kinds=(
            frozenset(str(k.get("kind")) for k in kinds if k.get("group", _GW) == _GW)
            if kinds
            else _DEFAULT_ROUTE_KINDS.get(str(raw.get("protocol")))
        ),
        hostname=_text(raw.get("hostname")),
        namespaces=_map(allowed.get("namespaces")).get("from", "Same"),
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
    addresses = _list(obj.get(("spec", "addresses")))
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
    found: _Found,
    route: KubeObject,
    ref: Mapping[str, Any],
    gateways: Mapping[tuple[str, str], _Gateway],
) -> None:
    if ref.get("group", _GW) != _GW or ref.get("kind", "Gateway") != "Gateway":
        return  # a mesh (GAMMA) parent: traffic inside the cluster
    where = (_text(ref.get("namespace")) or str(route.namespace), str(ref.get("name")))
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
    for rule in _list(route.get(("spec", "rules"))):
        for backend in _rule_backends(rule):
            _route_backend(found, route, via, reach, backend)


def _attached(
    found: _Found, route: KubeObject, ref: Mapping[str, Any], gateway: _Gateway
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


def _admits(found: _Found, listener: _Listener, gateway: _Gateway, route: KubeObject) -> Truth:
    """A listener admits a route of a kind it allows, from a namespace it allows, when
    their hostnames meet; a protocol the Gateway API does not define leaves it unknown."""
    kind_ok = Truth.MAYBE if listener.kinds is None else _truth(route.kind in listener.kinds)
    hostnames = _names(route.get(("spec", "hostnames")))
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
    filters = _list(rule.get("filters"))
    for ref in _list(rule.get("backendRefs")):
        if ref.get("weight", 1) != 0:
            yield ref
        filters += _list(ref.get("filters"))
    for f in filters:
        mirror = _map(f.get("requestMirror")).get("backendRef")
        if isinstance(mirror, Mapping):
            yield mirror


def _route_backend(
    found: _Found, route: KubeObject, via: str, reach: Reach, ref: Mapping[str, Any]
) -> None:
    namespace, name = _text(ref.get("namespace")) or str(route.namespace), str(ref.get("name"))
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


def _granted(found: _Found, route: KubeObject, namespace: str, name: str) -> bool:
    """Whether a ReferenceGrant in `namespace` lets routes of this kind and namespace refer
    to the Service `name`."""
    source = (_GW, route.kind, route.namespace)
    for grant in found.inventory.of_kind((_GW, "ReferenceGrant")):
        if grant.namespace == namespace and any(
            (f.get("group"), f.get("kind"), f.get("namespace")) == source
            for f in _list(grant.get(("spec", "from")))
        ):
            targets = _list(grant.get(("spec", "to")))
            if any(
                (t.get("group"), t.get("kind"), t.get("name", name)) == ("", "Service", name)
                for t in targets
            ):
                return True
    return False


# --- Istio ingress gateway -----------------------------------------------------------------

_ISTIO = "networking.istio.io"
_SERVICE_DOMAIN = ".svc.cluster.local"


def _istio_exposures(found: _Found, direct: list[Exposure]) -> None:
    gateways = {(o.namespace, o.name): o for o in found.inventory.of_kind((_ISTIO, "Gateway"))}
    for vs in found.inventory.of_kind((_ISTIO, "VirtualService")):
        for ref, destination in _bound_destinations(vs):
            reach, ports = _istio_gateway_reach(found, gateways.get(ref), "/".join(ref), direct)
            if reach is not None:
                via = f"VirtualService {vs.namespace}/{vs.name} via Istio Gateway {'/'.join(ref)}"
                _istio_destination(found, vs, via, reach, destination, ports)


def _bound_destinations(vs: KubeObject) -> Iterator[tuple[tuple[str, str], Mapping[str, Any]]]:
    """(gateway, destination) for every route bound to a gateway other than the mesh; a
    match's `gateways` replace the VirtualService's for that match."""
    top = _names(vs.get(("spec", "gateways"))) or ["mesh"]
    for section in ("http", "tls", "tcp"):
        for route in _list(vs.get(("spec", section))):
            matches = _list(route.get("match"))
            bound = {g for m in matches for g in _names(m.get("gateways")) or top}
            destinations = [
                _map(d.get("destination"))
                for d in _list(route.get("route"))
                if d.get("weight", 1) != 0
            ]
            destinations += [_map(route.get("mirror"))]
            destinations += [_map(m.get("destination")) for m in _list(route.get("mirrors"))]
            for name in sorted((bound if matches else set(top)) - {"mesh"}):
                for destination in destinations:
                    if destination:
                        yield _gateway_ref(name, str(vs.namespace)), destination


def _gateway_ref(name: str, namespace: str) -> tuple[str, str]:
    """`ns/name`, a bare name (the VirtualService's namespace) or the older `name.ns…`."""
    if "/" in name:
        ns, _, short = name.partition("/")
        return ns, short
    parts = name.split(".")
    return (parts[1], parts[0]) if len(parts) > 1 else (namespace, name)


def _istio_gateway_reach(
    found: _Found, gateway: KubeObject | None, ref: str, direct: list[Exposure]
) -> tuple[Reach | None, frozenset[int]]:
    """As wide as the gateway pods are published on the ports the Gateway's servers listen
    on (None: not past the cluster). The selector picks gateway pods in every namespace, as
    Istio does by default."""
    if gateway is None:
        return Reach(
            scope=UNKNOWN, reasons=(f"Istio Gateway {ref} is not in the input",)
        ), frozenset()
    ports = frozenset(
        n
        for s in _list(gateway.get(("spec", "servers")))
        if isinstance(n := _map(s.get("port")).get("number"), int)
    )
    labels = parse_labels(gateway, ("spec", "selector"), found.problems)
    selector = selector_from_labels(labels)
    pods = {
        (w.namespace, w.kind, w.name): match
        for w in found.inventory.workloads
        if labels and (match := selector.matches(w.label_view)) is not Truth.NO
    }
    if not pods:
        why = f"the pods of Istio Gateway {ref} ({selector}) are not in the input"
        return Reach(scope=UNKNOWN, reasons=(why,)), ports
    reaches = []
    for e in direct:
        selected = pods.get((e.workload.namespace, e.workload.kind, e.workload.name))
        if selected is not None and any((Protocol.TCP, p) in e.ports for p in ports):
            scope = e.scope if selected is Truth.YES else UNKNOWN
            why = f"the gateway pods are published by {e.via}"
            reaches.append(Reach(scope=scope, reasons=(*e.reasons, why)))
    return widest(reaches), ports


def _istio_destination(
    found: _Found,
    vs: KubeObject,
    via: str,
    reach: Reach,
    destination: Mapping[str, Any],
    server_ports: frozenset[int],
) -> None:
    """Istio expands a bare host name in the VirtualService's namespace and takes any other
    as written, so only `name.namespace.svc.cluster.local` also names a Service."""
    host = str(destination.get("host"))
    parts = host.split(".")
    if "." not in host and host != "*":
        service = (str(vs.namespace), host)
    elif len(parts) == 5 and host.endswith(_SERVICE_DOMAIN):
        service = (parts[1], parts[0])
    else:
        why = f"host {host} does not name a Service of the cluster (it may be a ServiceEntry)"
        found.unresolved(f"{via} -> {host}", reach.scope, why, vs.source)
        return
    number = _map(destination.get("port")).get("number")

    def pick(s: Service) -> tuple[ServicePort, ...]:
        # Without a port: the Service's only port, or the ones the gateway listens on.
        if number is not None or len(s.ports) == 1:
            return s.ports_by(number)
        return tuple(p for p in s.ports if p.port in server_ports)

    found.through_service(via, reach, vs.source, service, pick)
