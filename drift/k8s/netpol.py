"""NetworkPolicy objects read into a typed model, validated as the API server would.

Meaning (networking.k8s.io/v1): a policy selects pods in its own namespace; for each
direction it is listed in (`policyTypes`, or Ingress plus Egress when the policy has
egress rules), the selected pods become isolated and admit only what some rule of some
selecting policy admits. A rule with no peers admits every peer; a rule with no ports
admits every port of every protocol.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.labels import Selector, parse_selector
from drift.k8s.objects import FieldPath, KubeObject, SourceRef
from drift.k8s.workloads import port_name_problem, port_number, read_protocol
from drift.ports import Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_SPEC_FIELDS = frozenset({"podSelector", "policyTypes", "ingress", "egress"})
_PREFIX_LENGTH = re.compile(r"/[0-9]{1,3}$")


class Direction(enum.StrEnum):
    INGRESS = "Ingress"
    EGRESS = "Egress"

    @property
    def peers_field(self) -> str:
        return "from" if self is Direction.INGRESS else "to"


@dataclass(frozen=True, kw_only=True)
class PortSpec:
    """One `ports` entry: a number, a range (`endPort`), a name, or every port (None)."""

    protocol: Protocol
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, kw_only=True)
class IpBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def __str__(self) -> str:
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(map(str, self.excepts))}"


@dataclass(frozen=True, kw_only=True)
class Peer:
    """Exactly one of: pods (pod and/or namespace selector), or an ipBlock.

    `namespace_selector` None with a pod selector means the policy's own namespace.
    """

    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ip_block: IpBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaces {self.namespace_selector}")
        if self.pod_selector is not None:
            parts.append(f"pods {self.pod_selector}")
        return " and ".join(parts)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """`peers` None: every peer. `ports` None: every port of every protocol."""

    peers: tuple[Peer, ...] | None
    ports: tuple[PortSpec, ...] | None
    index: int


@dataclass(frozen=True, kw_only=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: Selector
    ingress: tuple[Rule, ...] | None  # None: the policy does not govern ingress
    egress: tuple[Rule, ...] | None  # None: the policy does not govern egress
    source: SourceRef

    def rules(self, direction: Direction) -> tuple[Rule, ...] | None:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def ref(self) -> str:
        return f"NetworkPolicy {self.namespace}/{self.name}"


def read_network_policies(
    objects: Iterable[KubeObject], problems: list[str]
) -> list[NetworkPolicy]:
    return [policy for obj in objects if (policy := read_network_policy(obj, problems)) is not None]


def read_network_policy(obj: KubeObject, problems: list[str]) -> NetworkPolicy | None:
    before = len(problems)
    spec = obj.get(("spec",))
    if spec is None:
        spec = {}  # optional: an absent spec is an empty one (deny all ingress)
    if not isinstance(spec, Mapping):
        problems.append(obj.problem(("spec",), "must be a mapping"))
        return None
    _unknown_fields(obj, ("spec",), spec, _SPEC_FIELDS, problems)
    # Optional too: absent or null, it is the empty selector (every pod of the namespace).
    pod_selector = parse_selector(obj, ("spec", "podSelector"), problems) or Selector()
    governs = _policy_types(obj, spec, problems)
    rules = {d: _read_rules(obj, d, problems) if d in governs else None for d in Direction}
    if len(problems) > before:
        return None
    assert obj.namespace is not None
    return NetworkPolicy(
        namespace=obj.namespace,
        name=obj.name,
        pod_selector=pod_selector,
        ingress=rules[Direction.INGRESS],
        egress=rules[Direction.EGRESS],
        source=obj.source,
    )


def _policy_types(
    obj: KubeObject, spec: Mapping[str, Any], problems: list[str]
) -> frozenset[Direction]:
    """Explicit policyTypes, or (absent or empty, as the API server defaults them) Ingress
    plus Egress only when egress rules are present."""
    raw = spec.get("policyTypes")
    if raw is not None and not isinstance(raw, list):
        problems.append(obj.problem(("spec", "policyTypes"), "must be a list"))
        return frozenset()
    if not raw:
        egress = spec.get("egress")
        return frozenset(
            {Direction.INGRESS}
            | ({Direction.EGRESS} if isinstance(egress, list) and egress else set())
        )
    if len(raw) > 2:
        problems.append(obj.problem(("spec", "policyTypes"), "may not list more than two"))
        return frozenset()
    directions = set()
    for index, value in enumerate(raw):
        try:
            directions.add(Direction(value))
        except ValueError:
            problems.append(
                obj.problem(("spec", "policyTypes", index), f"{value!r} is not Ingress or Egress")
            )
    return frozenset(directions)


def _read_rules(obj: KubeObject, direction: Direction, problems: list[str]) -> tuple[Rule, ...]:
    path: FieldPath = ("spec", direction.value.lower())
    raw = obj.get(path)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return ()
    rules = []
    for index, entry in enumerate(raw):
        rule_path = (*path, index)
        if entry is None:
            entry = {}
        if not isinstance(entry, Mapping):
            problems.append(obj.problem(rule_path, "a rule must be a mapping"))
            continue
        _unknown_fields(obj, rule_path, entry, {direction.peers_field, "ports"}, problems)
        peers = _read_peers(obj, (*rule_path, direction.peers_field), problems)
        ports = _read_ports(obj, (*rule_path, "ports"), problems)
        rules.append(Rule(peers=peers, ports=ports, index=index))
    return tuple(rules)


def _read_peers(obj: KubeObject, path: FieldPath, problems: list[str]) -> tuple[Peer, ...] | None:
    raw = obj.get(path)
    if raw is not None and not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return None
    if not raw:  # absent or empty: every peer
        return None
    peers = []
    for index, entry in enumerate(raw):
        peer = _read_peer(obj, (*path, index), entry, problems)
        if peer is not None:
            peers.append(peer)
    return tuple(peers)


def _read_peer(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> Peer | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "a peer must be a mapping"))
        return None
    _unknown_fields(obj, path, raw, {"podSelector", "namespaceSelector", "ipBlock"}, problems)
    present = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if raw.get(k) is not None]
    if not present:
        problems.append(obj.problem(path, "a peer needs podSelector, namespaceSelector or ipBlock"))
        return None
    if "ipBlock" in present and len(present) > 1:
        problems.append(obj.problem(path, "ipBlock cannot be combined with a selector"))
        return None
    if "ipBlock" in present:
        block = _read_ip_block(obj, (*path, "ipBlock"), raw["ipBlock"], problems)
        return None if block is None else Peer(ip_block=block)
    return Peer(
        pod_selector=parse_selector(obj, (*path, "podSelector"), problems),
        namespace_selector=parse_selector(obj, (*path, "namespaceSelector"), problems),
    )


def _read_ip_block(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]
) -> IpBlock | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping with cidr and except"))
        return None
    _unknown_fields(obj, path, raw, {"cidr", "except"}, problems)
    cidr = _read_cidr(obj, (*path, "cidr"), raw.get("cidr"), problems)
    excepts = []
    raw_excepts = raw.get("except")
    raw_excepts = [] if raw_excepts is None else raw_excepts
    if not isinstance(raw_excepts, list):
        problems.append(obj.problem((*path, "except"), "must be a list"))
        return None
    for index, text in enumerate(raw_excepts):
        network = _read_cidr(obj, (*path, "except", index), text, problems)
        if network is None or cidr is None:
            continue
        if (
            network.version != cidr.version
            or not network.subnet_of(cidr)  # type: ignore[arg-type]
            or network.prefixlen <= cidr.prefixlen
        ):
            problems.append(
                obj.problem((*path, "except", index), f"{network} is not strictly inside {cidr}")
            )
            continue
        excepts.append(network)
    if cidr is None or len(excepts) != len(raw_excepts):
        return None
    return IpBlock(cidr=cidr, excepts=tuple(sorted(set(excepts), key=_network_sort_key)))


def _network_sort_key(network: IPNetwork) -> tuple[int, int, int]:
    return (network.version, int(network.network_address), network.prefixlen)


def _read_cidr(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> IPNetwork | None:
    if not isinstance(raw, str):
        problems.append(obj.problem(path, "required: a CIDR such as 10.0.0.0/8"))
        return None
    if not _PREFIX_LENGTH.search(raw):
        problems.append(obj.problem(path, f"{raw!r} needs a prefix length, as in 10.0.0.0/8"))
        return None
    try:
        # strict=False: the API server accepts host bits set (10.0.0.1/8 means 10.0.0.0/8).
        return ipaddress.ip_network(raw, strict=False)
    except ValueError:
        problems.append(obj.problem(path, f"{raw!r} is not a valid CIDR"))
        return None


def _read_ports(
    obj: KubeObject, path: FieldPath, problems: list[str]
) -> tuple[PortSpec, ...] | None:
    raw = obj.get(path)
    if raw is not None and not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return None
    if not raw:  # absent or empty: every port of every protocol
        return None
    specs = []
    for index, entry in enumerate(raw):
        spec = _read_port(obj, (*path, index), entry, problems)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _read_port(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> PortSpec | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "a port entry must be a mapping"))
        return None
    before = len(problems)
    _unknown_fields(obj, path, raw, {"protocol", "port", "endPort"}, problems)
    protocol = read_protocol(obj, (*path, "protocol"), raw.get("protocol"), problems)
    port, end_port = raw.get("port"), raw.get("endPort")
    if isinstance(port, str):
        problem = port_name_problem(port)
        if problem:
            problems.append(obj.problem((*path, "port"), problem))
    elif port is not None:
        port = port_number(obj, (*path, "port"), port, problems)
    if end_port is not None:
        end_port = _read_end_port(obj, path, port, end_port, problems)
    if len(problems) > before or protocol is None:
        return None
    return PortSpec(protocol=protocol, port=port, end_port=end_port)


def _read_end_port(
    obj: KubeObject, path: FieldPath, port: Any, raw: Any, problems: list[str]
) -> int | None:
    end_port = port_number(obj, (*path, "endPort"), raw, problems)
    if end_port is None:
        return None
    if not isinstance(port, int):
        problems.append(obj.problem((*path, "endPort"), "needs a numeric port"))
        return None
    if end_port < port:
        problems.append(obj.problem((*path, "endPort"), f"{end_port} is below port {port}"))
        return None
    return end_port


def _unknown_fields(
    obj: KubeObject,
    path: FieldPath,
    raw: Mapping[str, Any],
    known: frozenset[str] | set[str],
    problems: list[str],
) -> None:
    """kubectl's strict validation refuses unknown fields; a typo such as `form:` would
    otherwise turn a restricted rule into one that admits everything."""
    problems.extend(
        obj.problem((*path, str(key)), "unknown field")
        for key in sorted(map(str, raw))
        if key not in known
    )
