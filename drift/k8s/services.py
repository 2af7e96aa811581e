"""Services: which pods a Service sends traffic to, on which of their ports, and how far the
Service itself publishes them.

A Service's `selector` (a plain map) picks pods of its own namespace; a Service without one
has endpoints managed by hand, which the input does not show. `targetPort` is resolved on each
pod: a number as is, a name through the ports the pod declares with that name and the Service
port's protocol (a pod that does not declare it gets nothing on that port).

How far a Service publishes (its `Reach`): ClusterIP, ExternalName and headless Services stay
inside the cluster; NodePort opens a port on every node's address; LoadBalancer asks a cloud
controller for a load balancer, public unless a provider annotation or its source ranges make
it internal, and also allocates NodePorts unless told not to; `externalIPs` route addresses
whose ownership the input cannot tell.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.labels import Truth, parse_labels, selector_from_labels
from drift.k8s.netpol import IPNetwork
from drift.k8s.objects import FieldPath, KubeObject, SourceRef
from drift.k8s.workloads import Workload, port_name_problem, port_number, read_protocol
from drift.model import ExposureScope, wider_scope
from drift.ports import PortSet, Protocol

SERVICE = ("", "Service")

# Ranges no address on the public internet is in: RFC 1918, RFC 6598 shared space, loopback
# and link-local; IPv6 unique-local, loopback and link-local.
_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(r)
    for r in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
    )
)
_PRIVATE_V6 = tuple(ipaddress.IPv6Network(r) for r in ("fc00::/7", "::1/128", "fe80::/10"))


def _lower_in(*values: str) -> Callable[[str], bool]:
    return lambda value: value.lower() in values


# Annotations cloud controllers read to make a load balancer internal, with the values that
# do so (each controller treats any other value as "not internal"). The in-tree AWS provider
# makes every value but "false" internal (its docs once showed "0.0.0.0/0").
INTERNAL_LB_ANNOTATIONS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("service.beta.kubernetes.io/aws-load-balancer-internal", lambda v: v not in ("", "false")),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", _lower_in("internal")),
    ("networking.gke.io/load-balancer-type", _lower_in("internal")),
    ("cloud.google.com/load-balancer-type", _lower_in("internal")),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", _lower_in("true")),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", _lower_in("true")),
    ("oci-network-load-balancer.oraclecloud.com/internal", _lower_in("true")),
    ("service.beta.kubernetes.io/openstack-internal-load-balancer", _lower_in("true", "1")),
    ("service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", _lower_in("private")),
    ("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", _lower_in("intranet")),
)
_AWS_LBC_CLASS = "service.k8s.aws/nlb"
_AWS_LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
_AWS_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
_AWS_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


class ServiceType(enum.StrEnum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"


@dataclass(frozen=True, kw_only=True)
class Reach:
    """How far one object publishes what stands behind it; `note` qualifies its `via` line
    ("internal: <annotation>", "restricted to <ranges>"), `reasons` say what is undecided."""

    scope: ExposureScope
    note: str = ""
    reasons: tuple[str, ...] = ()


def widest(reaches: Iterable[Reach]) -> Reach | None:
    """One reach standing for several routes to the same pods: the widest scope wins."""
    found = list(reaches)
    if not found:
        return None
    scope = found[0].scope
    for reach in found[1:]:
        scope = wider_scope(scope, reach.scope)
    notes = [r.note for r in found if r.note]
    reasons = tuple(dict.fromkeys(x for r in found for x in r.reasons))
    return Reach(scope=scope, note=", ".join(notes), reasons=reasons)


@dataclass(frozen=True, kw_only=True)
class ServicePort:
    port: int
    protocol: Protocol
    target: int | str  # a pod port number, or the name of one
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Backend:
    """Pods a Service sends to and their ports; `reasons` non-empty when the selector may
    or may not pick them (it names labels the controller sets per pod)."""

    workload: Workload
    ports: PortSet
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Service:
    namespace: str
    name: str
    type: ServiceType
    selector: Mapping[str, str] | None  # None: endpoints managed by hand
    ports: tuple[ServicePort, ...]
    external_name: str | None
    reach: Reach | None  # how far the Service itself publishes; None: not past the cluster
    source: SourceRef

    @property
    def ref(self) -> str:
        return f"Service {self.namespace}/{self.name}"

    @property
    def via(self) -> str:
        note = f", {self.reach.note}" if self.reach and self.reach.note else ""
        return f"{self.ref} ({self.type}{note})"

    def ports_by(
        self, number: int | None = None, name: str | None = None
    ) -> tuple[ServicePort, ...]:
        """The Service ports a reference names by number or name (all of them for neither)."""
        return tuple(
            p
            for p in self.ports
            if (number is None or p.port == number) and (name is None or p.name == name)
        )

    def backends(
        self, workloads: Iterable[Workload], ports: Iterable[ServicePort] | None = None
    ) -> list[Backend]:
        """The workloads of the Service's namespace it sends to on `ports` (default: all)."""
        if self.selector is None:
            return []
        selector = selector_from_labels(self.selector)
        chosen = self.ports if ports is None else tuple(ports)
        found = []
        for workload in workloads:
            if workload.namespace != self.namespace:
                continue
            match = selector.matches(workload.label_view)
            pod_ports = PortSet.empty() if match is Truth.NO else _pod_ports(chosen, workload)
            if not pod_ports:
                continue
            reasons = () if match is Truth.YES else (self._maybe(workload),)
            found.append(Backend(workload=workload, ports=pod_ports, reasons=reasons))
        return found

    def _maybe(self, workload: Workload) -> str:
        keys = sorted(set(self.selector or {}) & workload.varying_labels)
        return (
            f"{self.ref} selects pods of {workload.kind} {workload.namespace}/{workload.name}"
            f" only where labels the controller sets per pod match ({', '.join(keys)})"
        )


def _pod_ports(ports: Iterable[ServicePort], workload: Workload) -> PortSet:
    result = PortSet.empty()
    for p in ports:
        numbers = (
            {p.target} if isinstance(p.target, int) else workload.named_ports(p.target, p.protocol)
        )
        for number in numbers:
            result |= PortSet.of(p.protocol, number)
    return result


def read_services(objects: Iterable[KubeObject], problems: list[str]) -> dict[str, Service]:
    """Services by `namespace/name`; invalid ones are left out, with problems appended."""
    services = {}
    for obj in objects:
        service = read_service(obj, problems)
        if service is not None:
            services[f"{service.namespace}/{service.name}"] = service
    return services


def read_service(obj: KubeObject, problems: list[str]) -> Service | None:
    before = len(problems)
    raw_type = obj.get(("spec", "type")) or "ClusterIP"
    if not isinstance(raw_type, str) or raw_type not in set(ServiceType):
        expected = ", ".join(ServiceType)
        problems.append(obj.problem(("spec", "type"), f"{raw_type!r} is not one of {expected}"))
        return None
    kind = ServiceType(raw_type)
    headless = obj.get(("spec", "clusterIP")) == "None"
    if headless and kind in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
        problems.append(obj.problem(("spec", "clusterIP"), f"may not be None for {kind}"))
    ports = _read_ports(obj, kind, problems)
    labels = parse_labels(obj, ("spec", "selector"), problems)
    external_ips = _external_ips(obj, problems)
    reach = None if headless else _service_reach(obj, kind, external_ips, problems)
    if len(problems) > before:
        return None
    assert obj.namespace is not None  # Services are namespaced
    name = obj.get(("spec", "externalName"))
    return Service(
        namespace=obj.namespace,
        name=obj.name,
        type=kind,
        # The API server stores an empty selector as none: no endpoints are made for it.
        selector=labels or None,
        ports=ports,
        external_name=name if isinstance(name, str) else None,
        reach=reach,
        source=obj.source,
    )


def _read_ports(obj: KubeObject, kind: ServiceType, problems: list[str]) -> tuple[ServicePort, ...]:
    raw = obj.get(("spec", "ports")) or []
    if not isinstance(raw, list):
        problems.append(obj.problem(("spec", "ports"), "must be a list"))
        return ()
    ports = []
    for index, entry in enumerate(raw):
        path: FieldPath = ("spec", "ports", index)
        if not isinstance(entry, Mapping):
            problems.append(obj.problem(path, "must be a mapping"))
            continue
        port = _read_port(obj, path, entry, kind, problems)
        if port is not None:
            ports.append(port)
    return tuple(ports)


def _read_port(
    obj: KubeObject,
    path: FieldPath,
    entry: Mapping[str, Any],
    kind: ServiceType,
    problems: list[str],
) -> ServicePort | None:
    before = len(problems)
    number = port_number(obj, (*path, "port"), entry.get("port"), problems)
    protocol = read_protocol(obj, (*path, "protocol"), entry.get("protocol"), problems)
    target = entry.get("targetPort")
    if isinstance(target, str) and target:
        problem = port_name_problem(target)
        if problem:
            problems.append(obj.problem((*path, "targetPort"), problem))
    elif target not in (None, 0, ""):
        target = port_number(obj, (*path, "targetPort"), target, problems)
    if entry.get("nodePort") is not None:
        port_number(obj, (*path, "nodePort"), entry.get("nodePort"), problems)
        if kind not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            problems.append(obj.problem((*path, "nodePort"), f"may not be used with type {kind}"))
    if len(problems) > before or number is None or protocol is None:
        return None
    # The API server defaults an absent (or zero, or empty) targetPort to the port itself.
    resolved = target if isinstance(target, int | str) and target not in (0, "") else number
    name = entry.get("name")
    return ServicePort(port=number, protocol=protocol, target=resolved, name=name if name else None)


def _external_ips(obj: KubeObject, problems: list[str]) -> tuple[str, ...]:
    raw = obj.get(("spec", "externalIPs")) or []
    if not isinstance(raw, list):
        problems.append(obj.problem(("spec", "externalIPs"), "must be a list"))
        return ()
    for index, value in enumerate(raw):
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ipaddress.ip_address(value)
        except ValueError:
            problems.append(obj.problem(("spec", "externalIPs", index), f"{value!r} is not an IP"))
    return tuple(str(v) for v in raw)


def _service_reach(
    obj: KubeObject, kind: ServiceType, external_ips: tuple[str, ...], problems: list[str]
) -> Reach | None:
    """The widest way the Service publishes its pods past the cluster; None: it does not.
    An ExternalName Service is a DNS alias: kube-proxy publishes nothing for it."""
    if kind is ServiceType.EXTERNAL_NAME:
        return None
    reaches = []
    if kind is ServiceType.LOAD_BALANCER:
        reaches.append(_load_balancer_reach(obj, problems))
    allocates = obj.get(("spec", "allocateLoadBalancerNodePorts")) is not False
    if kind is ServiceType.NODE_PORT or (kind is ServiceType.LOAD_BALANCER and allocates):
        reaches.append(Reach(scope=ExposureScope.NODE))
    if external_ips:
        reason = f"externalIPs {', '.join(external_ips)}: who owns and routes them is unknown"
        reaches.append(
            Reach(
                scope=ExposureScope.UNKNOWN,
                note=f"externalIPs {', '.join(external_ips)}",
                reasons=(reason,),
            )
        )
    return widest(reaches)


def annotations_of(
    obj: KubeObject, path: FieldPath = ("metadata", "annotations")
) -> dict[str, str]:
    raw = obj.get(path)
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items() if v is not None}


def internal_annotation(values: Mapping[str, str]) -> str | None:
    """The first provider annotation that makes a load balancer internal, as `key=value`."""
    for key, is_internal in INTERNAL_LB_ANNOTATIONS:
        value = values.get(key)
        if value is not None and is_internal(value):
            return f"{key}={value}"
    return None


def _load_balancer_reach(obj: KubeObject, problems: list[str]) -> Reach:
    notes = annotations_of(obj)
    lb_class = obj.get(("spec", "loadBalancerClass"))
    aws_lbc = lb_class == _AWS_LBC_CLASS or notes.get(_AWS_LB_TYPE) in ("external", "nlb-ip")
    if lb_class is not None and not aws_lbc:
        reason = f"loadBalancerClass {lb_class}: how far its controller publishes is not modelled"
        return Reach(scope=ExposureScope.UNKNOWN, note=f"class {lb_class}", reasons=(reason,))
    internal = internal_annotation(notes)
    if internal:
        return Reach(scope=ExposureScope.INTERNAL, note=f"internal: {internal}")
    if aws_lbc and _AWS_SCHEME not in notes and notes.get(_AWS_INTERNAL) != "false":
        # The AWS Load Balancer Controller makes internal load balancers unless told otherwise.
        return Reach(scope=ExposureScope.INTERNAL, note="internal: AWS Load Balancer Controller")
    ranges = _source_ranges(obj, notes, problems)
    if not ranges:
        return Reach(scope=ExposureScope.PUBLIC)
    private = all(is_private(r) for r in ranges)
    note = f"restricted to {', '.join(map(str, ranges))}"
    return Reach(scope=ExposureScope.INTERNAL if private else ExposureScope.PUBLIC, note=note)


def is_private(network: IPNetwork) -> bool:
    """Whether every address of `network` is in a range the internet does not route."""
    if isinstance(network, ipaddress.IPv4Network):
        return any(network.subnet_of(p) for p in _PRIVATE_V4)
    return any(network.subnet_of(p) for p in _PRIVATE_V6)


def _source_ranges(
    obj: KubeObject, notes: Mapping[str, str], problems: list[str]
) -> list[IPNetwork]:
    """`spec.loadBalancerSourceRanges`, or the older annotation when the field is empty."""
    path: FieldPath = ("spec", "loadBalancerSourceRanges")
    raw: Any = obj.get(path) or []
    if not raw and _SOURCE_RANGES_ANNOTATION in notes:
        path = ("metadata", "annotations", _SOURCE_RANGES_ANNOTATION)
        raw = [r for r in notes[_SOURCE_RANGES_ANNOTATION].split(",") if r.strip()]
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list of CIDRs"))
        return []
    ranges = []
    for index, value in enumerate(raw):
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ranges.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            where = path if path[0] == "metadata" else (*path, index)
            problems.append(obj.problem(where, f"{value!r} is not a CIDR"))
    return sorted(set(ranges), key=lambda n: (n.version, n))
