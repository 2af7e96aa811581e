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

from collections.abc import Iterator, Mapping
from typing import Any

from drift.k8s.exposure_base import (
    INTERNAL,
    NODE,
    PUBLIC,
    UNKNOWN,
    Found,
    backend_exposure,
    mapping_of,
    mappings_of,
    text_of,
    unresolvable,
)
from drift.k8s.exposure_base import Exposure as Exposure  # re-exported: public API
from drift.k8s.exposure_base import Exposures as Exposures  # re-exported: public API
from drift.k8s.exposure_base import UnresolvedExposure as UnresolvedExposure  # re-exported
from drift.k8s.gateway_api import gateway_api_exposures
from drift.k8s.inventory import Inventory
from drift.k8s.istio_gateway import istio_exposures
from drift.k8s.objects import FieldPath, KubeObject
from drift.k8s.services import SERVICE, Reach, Service, annotations_of, read_services
from drift.ports import PortSet


def read_exposures(inventory: Inventory, problems: list[str]) -> Exposures:
    """Every exposure the objects in `inventory` make; bad input is appended to `problems`
    (one line each) and the object at fault is left out."""
    found = Found(inventory, read_services(inventory.of_kind(SERVICE), problems), problems)
    for service in found.services.values():
        _service_exposures(found, service)
    _host_exposures(found)
    direct = found.snapshot()  # what an Istio gateway's own pods are published by
    _ingress_exposures(found)
    gateway_api_exposures(found)
    istio_exposures(found, direct)
    return found.result()


# --- Services, host ports ------------------------------------------------------------------


def _service_exposures(found: Found, service: Service) -> None:
    if service.reach is None:
        return
    reason = unresolvable(service, service.ref)
    if reason is not None:
        found.unresolved(service.via, service.reach.scope, reason, service.source)
        return
    for backend in service.backends(found.candidates(service)):
        found.add(backend_exposure(backend, service.via, service.reach, service.source))


def _host_exposures(found: Found) -> None:
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


# --- Ingress -------------------------------------------------------------------------------

_INGRESS = ("networking.k8s.io", "Ingress")
_INGRESS_CLASS = ("networking.k8s.io", "IngressClass")
_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
_ALB_CONTROLLERS = frozenset({"ingress.k8s.aws/alb", "eks.amazonaws.com/alb"})
_ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
_APPGW_PRIVATE = "appgw.ingress.kubernetes.io/use-private-ip"


def _ingress_exposures(found: Found) -> None:
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


def _noted(label: str, reach: Reach) -> str:
    return f"{label}, {reach.note}" if reach.note else label


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
    name = text_of(named) or annotated
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
    for i, rule in enumerate(mappings_of(obj.get(("spec", "rules")))):
        paths = mapping_of(rule.get("http")).get("paths")
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
    found: Found,
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
        name, port = service.get("name"), mapping_of(service.get("port"))
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
