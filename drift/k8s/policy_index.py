"""NetworkPolicies compiled against the pod classes of one cluster: for every class and
direction, which policies select it and, for every rule, which classes, address cells and
unlisted pods its peers match and which ports it admits at a destination.

`drift.k8s.connectivity` walks this index to judge pairs; see its docstring for the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from drift.k8s.addresses import cells_inside, partition
from drift.k8s.inventory import Inventory
from drift.k8s.labels import Truth
from drift.k8s.netpol import Direction, NetworkPolicy, PortSpec, Rule
from drift.k8s.selection import (
    Bits,
    ClassIndex,
    bit_indexes,
    could_select_unlisted,
    pod_classes,
)
from drift.model import Evidence
from drift.ports import PortSet

ALL_PORTS = PortSet.every()
NO_PORTS = PortSet.empty()

HOST_NETWORK_REASON = "{side} uses hostNetwork: NetworkPolicy behaviour is undefined for it"


class Endpoint(NamedTuple):
    """A pod class, an address cell, or the unlisted pods (a tuple: hashed in hot loops)."""

    kind: str  # "class" | "cell" | "unlisted"
    number: int = 0  # the class or cell's position


UNLISTED = Endpoint("unlisted")


@dataclass(frozen=True, kw_only=True)
class CompiledRule:
    """One rule with its peers matched against every class, cell and the unlisted pods."""

    policy: NetworkPolicy
    rule: Rule
    all_peers: bool
    pods: Bits
    cells: frozenset[int]
    has_ip_block: bool
    unlisted: bool
    reasons: Mapping[str, frozenset[str]]  # namespace -> why its pods' match is undecided


@dataclass(frozen=True, kw_only=True)
class Selection:
    """A policy that selects a class for a direction, and how sure that is."""

    policy: NetworkPolicy
    truth: Truth
    rules: tuple[CompiledRule, ...]
    evidence: Evidence  # e.g. "ingress: NetworkPolicy shop/web", at the policy's source
    reasons: frozenset[str] = frozenset()


class PolicyIndex:
    """The compiled policies of one cluster (what every rule matches and admits)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.classes = pod_classes(inventory.workloads)
        self.index = ClassIndex(self.classes, inventory.namespaces)
        blocks = [
            peer.ip_block
            for policy in inventory.network_policies
            for direction in Direction
            for rule in policy.rules(direction) or ()
            for peer in rule.peers or ()
            if peer.ip_block is not None
        ]
        self.cells = partition(blocks)
        self._cells_inside = cells_inside(self.cells)
        self.listed = frozenset(inventory.namespaces)
        self.selections: dict[Direction, list[list[Selection]]] = {
            d: [[] for _ in self.classes] for d in Direction
        }
        for policy in inventory.network_policies:
            self._add_policy(policy)
        self._port_cache: dict[tuple[int, Endpoint], tuple[PortSet, PortSet, frozenset[str]]] = {}

    def isolated(self, index: int, direction: Direction) -> bool | None:
        """Whether some policy surely selects the class for `direction`; None when only
        undecided selections (or policies we do not model) could."""
        selections = self.selections[direction][index]
        if any(s.truth is Truth.YES for s in selections):
            return True
        if selections or self._unmodelled_class(index):
            return None
        return False

    # -- compiling policies ------------------------------------------------------------

    def _add_policy(self, policy: NetworkPolicy) -> None:
        selected = self.index.pods(policy.pod_selector).restrict(
            self.index.in_namespace.get(policy.namespace, 0)
        )
        reasons = frozenset(
            {f"{policy.ref} selects on a label the controller sets per pod"}
            if selected.maybe
            else set()
        )
        for direction in Direction:
            rules = policy.rules(direction)
            if rules is None:
                continue
            compiled = tuple(self._compile(policy, rule) for rule in rules)
            for i in bit_indexes(selected.any):
                self.selections[direction][i].append(
                    Selection(
                        policy=policy,
                        truth=selected.truth(i),
                        rules=compiled,
                        evidence=Evidence(
                            text=f"{direction.value.lower()}: {policy.ref}", source=policy.source
                        ),
                        reasons=reasons,
                    )
                )

    def _compile(self, policy: NetworkPolicy, rule: Rule) -> CompiledRule:
        if rule.peers is None:
            return CompiledRule(
                policy=policy,
                rule=rule,
                all_peers=True,
                pods=Bits(self.index.universe),
                cells=frozenset(range(len(self.cells))),
                has_ip_block=True,
                unlisted=True,
                reasons={},
            )
        pods, unlisted = Bits(), False
        cells: set[int] = set()
        reasons: dict[str, set[str]] = {}
        for peer in rule.peers:
            if peer.ip_block is not None:
                block = peer.ip_block
                excluded = [self._cells_inside.get(e, frozenset()) for e in block.excepts]
                cells.update(self._cells_inside.get(block.cidr, frozenset()).difference(*excluded))
                continue
            matched, why = self.index.peer(peer, policy.namespace)
            pods = pods | matched
            for name, texts in why.items():
                reasons.setdefault(name, set()).update(texts)
            unlisted = unlisted or could_select_unlisted(peer, self.listed)
        return CompiledRule(
            policy=policy,
            rule=rule,
            all_peers=False,
            pods=pods,
            cells=frozenset(cells),
            has_ip_block=any(peer.ip_block is not None for peer in rule.peers),
            unlisted=unlisted,
            reasons={k: frozenset(v) for k, v in reasons.items()},
        )

    def _peer_match(self, rule: CompiledRule, peer: Endpoint) -> tuple[Truth, frozenset[str]]:
        if rule.all_peers:
            return Truth.YES, frozenset()
        if peer.kind == "cell":
            return (Truth.YES if peer.number in rule.cells else Truth.NO), frozenset()
        if peer.kind == "unlisted":
            return (Truth.YES if rule.unlisted else Truth.NO), frozenset()
        if self.classes[peer.number].host_network:
            return self._host_network_peer_match(rule, peer)
        truth = rule.pods.truth(peer.number)
        if truth is not Truth.MAYBE:
            return truth, frozenset()
        return truth, rule.reasons.get(self.classes[peer.number].namespace, frozenset())

    def _host_network_peer_match(
        self, rule: CompiledRule, peer: Endpoint
    ) -> tuple[Truth, frozenset[str]]:
        """The docs allow two behaviours for hostNetwork pods: matched by selectors like any
        pod, or seen as their node's address (matched only by ipBlocks, and the node's
        address is not in the input). A rule decides only where both agree."""
        as_pod = rule.pods.truth(peer.number)
        as_node = Truth.MAYBE if rule.has_ip_block else Truth.NO
        if as_pod is Truth.NO and as_node is Truth.NO:
            return Truth.NO, frozenset()
        return Truth.MAYBE, frozenset({HOST_NETWORK_REASON.format(side="the peer")})

    def _ports(
        self, rule: CompiledRule, destination: Endpoint
    ) -> tuple[PortSet, PortSet, frozenset[str]]:
        """Ports a rule admits at `destination`: named ports resolve on its pods."""
        if rule.rule.ports is None:
            return ALL_PORTS, NO_PORTS, frozenset()
        key = (id(rule), destination)
        cached = self._port_cache.get(key)
        if cached is None:
            cached = self._resolve_ports(rule.rule.ports, destination)
            self._port_cache[key] = cached
        return cached

    def _resolve_ports(
        self, specs: Sequence[PortSpec], destination: Endpoint
    ) -> tuple[PortSet, PortSet, frozenset[str]]:
        yes, maybe, reasons = NO_PORTS, NO_PORTS, set()
        for spec in specs:
            if spec.port is None:
                yes = yes | PortSet.every([spec.protocol])
            elif isinstance(spec.port, int):
                yes = yes | PortSet.of(spec.protocol, spec.port, spec.end_port or spec.port)
            elif destination.kind == "class":
                numbers = self.classes[destination.number].ports
                yes = yes | PortSet(
                    {
                        spec.protocol: [
                            (p.number, p.number)
                            for p in numbers
                            if p.name == spec.port and p.protocol is spec.protocol
                        ]
                    }
                )
            else:
                maybe = maybe | PortSet.every([spec.protocol])
                where = (
                    "addresses outside the cluster"
                    if destination.kind == "cell"
                    else ("pods of namespaces not in the input")
                )
                reasons.add(f"named port {spec.port!r} cannot be resolved for {where}")
        return yes, maybe - yes, frozenset(reasons)

    # -- policy engines we do not model ------------------------------------------------

    def _unmodelled_class(self, index: int) -> bool:
        """Whether policies we do not model may change what this class's pods admit."""
        if not self.inventory.unmodelled_policies:
            return False
        scope = self.inventory.unmodelled_scope
        return scope is None or self.classes[index].namespace in scope

    def _unmodelled_reasons(self) -> frozenset[str]:
        kinds = ", ".join(self.inventory.unmodelled_policies)
        return frozenset({f"policies not modelled are present ({kinds})"})
