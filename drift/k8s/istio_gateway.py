"""Istio publishers: VirtualServices bound to an Istio Gateway, through the Services their
destinations name, as widely as the gateway pods themselves are published
(`drift.k8s.exposure` describes them all)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from drift.k8s.exposure_base import UNKNOWN, Exposure, Found, mapping_of, mappings_of, strings_of
from drift.k8s.labels import Truth, parse_labels, selector_from_labels
from drift.k8s.objects import KubeObject
from drift.k8s.services import Reach, Service, ServicePort, widest
from drift.ports import Protocol

_ISTIO = "networking.istio.io"
_SERVICE_DOMAIN = ".svc.cluster.local"


def istio_exposures(found: Found, direct: list[Exposure]) -> None:
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
    top = strings_of(vs.get(("spec", "gateways"))) or ["mesh"]
    for section in ("http", "tls", "tcp"):
        for route in mappings_of(vs.get(("spec", section))):
            matches = mappings_of(route.get("match"))
            bound = {g for m in matches for g in strings_of(m.get("gateways")) or top}
            destinations = [
                mapping_of(d.get("destination"))
                for d in mappings_of(route.get("route"))
                if d.get("weight", 1) != 0
            ]
            destinations += [mapping_of(route.get("mirror"))]
            destinations += [
                mapping_of(m.get("destination")) for m in mappings_of(route.get("mirrors"))
            ]
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
    found: Found, gateway: KubeObject | None, ref: str, direct: list[Exposure]
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
        for s in mappings_of(gateway.get(("spec", "servers")))
        if isinstance(n := mapping_of(s.get("port")).get("number"), int)
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
    found: Found,
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
    number = mapping_of(destination.get("port")).get("number")

    def pick(s: Service) -> tuple[ServicePort, ...]:
        # Without a port: the Service's only port, or the ones the gateway listens on.
        if number is not None or len(s.ports) == 1:
            return s.ports_by(number)
        return tuple(p for p in s.ports if p.port in server_ports)

    found.through_service(via, reach, vs.source, service, pick)
