"""Who may open a connection to whom under NetworkPolicy: the engine.

A connection from S to D is admitted when S's egress admits it and D's ingress admits it.
A pod is isolated for a direction only once some policy selecting it governs that direction;
an isolated pod admits what the union of the rules of its selecting policies admits.

Each direction gives a `Verdict`: ports admitted for sure (`yes`) and ports the inputs do not
decide (`maybe`). The work is done per pod class (see `selection`) and per rule, and only for
the pairs some rule (or non-isolation) can admit, so cost follows classes, rules and edges.

Address cells (outside the cluster) and pods of unlisted namespaces have no policies here:
only the cluster side of such a connection is judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from drift.k8s.addresses import AddressCell, cells_inside, partition
from drift.k8s.inventory import Inventory
from drift.k8s.labels import Truth
from drift.k8s.netpol import Direction, NetworkPolicy, PortSpec, Rule
from drift.k8s.selection import (
    Bits,
    ClassIndex,
    PodClass,
    bit_indexes,
    could_select_unlisted,
    pod_classes,
)
from drift.model import Evidence
from drift.ports import PortSet

ALL_PORTS = PortSet.every()
NO_PORTS = PortSet.empty()

HOST_NETWORK_REASON = "{side} uses hostNetwork: NetworkPolicy behaviour is undefined for it"
# "Pods cannot block access from their resident node" (Kubernetes NetworkPolicy docs): a
# hostNetwork source on the destination's node gets through whatever the rules say.
RESIDENT_NODE_REASON = "the source uses hostNetwork: a pod cannot block traffic from its own node"


class Endpoint(NamedTuple):
    """A pod class, an address cell, or the unlisted pods (a tuple: hashed in hot loops)."""

    kind: str  # "class" | "cell" | "unlisted"
    number: int = 0  # the class or cell's position


UNLISTED = Endpoint("unlisted")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    yes: PortSet
    maybe: PortSet = NO_PORTS
    reasons: frozenset[str] = frozenset()
    evidence: tuple[Evidence, ...] = ()


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


@dataclass(frozen=True, kw_only=True)
class PairResult:
    source: Endpoint
    target: Endpoint
    ports: PortSet
    unknown: PortSet
    reasons: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(kw_only=True)
class Connectivity:
    classes: list[PodClass]
    cells: tuple[AddressCell, ...]
    pairs: list[PairResult] = field(default_factory=list)
    # Per class: is it isolated for ingress, for egress (None: the input does not decide).
    isolation: list[tuple[bool | None, bool | None]] = field(default_factory=list)


def compute(inventory: Inventory) -> Connectivity:
    """Every (source, target) pair that may admit something, with its ports."""
    engine = _Engine(inventory)
    return Connectivity(
        classes=engine.classes,
        cells=engine.cells,
        pairs=list(engine.pairs()),
        isolation=[
            (engine.isolated(i, Direction.INGRESS), engine.isolated(i, Direction.EGRESS))
            for i in range(len(engine.classes))
        ],
    )


class _Engine:
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

    # -- enumerating pairs -------------------------------------------------------------

    def pairs(self) -> Iterator[PairResult]:
        egress_to = self._egress_reach()
        for target in range(len(self.classes)):
            sources = self._ingress_reach(target) & egress_to[target]
            for source in bit_indexes(sources):
                yield from self._pair(Endpoint("class", source), Endpoint("class", target))
            for other in self._outside():
                yield from self._pair(other, Endpoint("class", target))
        for source in range(len(self.classes)):
            for other in self._outside():
                yield from self._pair(Endpoint("class", source), other)

    def _outside(self) -> Iterator[Endpoint]:
        for i in range(len(self.cells)):
            yield Endpoint("cell", i)
        yield UNLISTED

    def _ingress_reach(self, target: int) -> int:
        """Classes whose connections `target`'s ingress may admit (a superset)."""
        selections = self.selections[Direction.INGRESS][target]
        if self.isolated(target, Direction.INGRESS) is not True or (
            self.classes[target].host_network or self._unmodelled_class(target)
        ):
            return self.index.universe
        reach = self.index.host_network
        for selection in selections:
            for rule in selection.rules:
                reach |= rule.pods.any
        return reach

    def _egress_reach(self) -> list[int]:
        """For each class, the classes whose egress may admit connections to it (a superset).

        Walks each policy's rules once, not each source: a rule shared by many selected
        sources costs one OR per target it names.
        """
        open_to_all = self._egress_unisolated()
        reach = [0] * len(self.classes)
        for policy, sources in self._egress_policies():
            for rule in policy:
                if rule.all_peers:
                    open_to_all |= sources
                    continue
                for target in bit_indexes(rule.pods.any):
                    reach[target] |= sources
            # A hostNetwork destination may match any rule (its address is the node's).
            if policy:
                for target in bit_indexes(self.index.host_network):
                    reach[target] |= sources
        return [r | open_to_all for r in reach]

    def _egress_unisolated(self) -> int:
        """Classes whose egress no policy surely bounds (not isolated, only possibly
        isolated, hostNetwork, or touched by policies we do not model): they may reach
        everything."""
        bits = 0
        for source in range(len(self.classes)):
            if self.isolated(source, Direction.EGRESS) is not True or (
                self.classes[source].host_network or self._unmodelled_class(source)
            ):
                bits |= 1 << source
        return bits

    def _egress_policies(self) -> Iterator[tuple[tuple[CompiledRule, ...], int]]:
        """Each egress-governing policy's compiled rules with the classes it selects."""
        by_policy: dict[int, tuple[tuple[CompiledRule, ...], int]] = {}
        for source, selections in enumerate(self.selections[Direction.EGRESS]):
            for selection in selections:
                rules, sources = by_policy.get(id(selection.rules), (selection.rules, 0))
                by_policy[id(selection.rules)] = (rules, sources | 1 << source)
        return iter(by_policy.values())

    def _pair(self, source: Endpoint, target: Endpoint) -> Iterator[PairResult]:
        egress = self._judge(Direction.EGRESS, source, target)
        if egress.yes.is_empty() and egress.maybe.is_empty():
            return
        ingress = self._judge(Direction.INGRESS, target, source)
        yes = egress.yes & ingress.yes
        possible = (egress.yes | egress.maybe) & (ingress.yes | ingress.maybe)
        reasons = egress.reasons | ingress.reasons
        unknown = possible - yes
        if yes.is_empty() and unknown.is_empty():
            return
        yield PairResult(
            source=source,
            target=target,
            ports=yes,
            unknown=unknown,
            reasons=tuple(sorted(reasons)) if unknown else (),
            evidence=egress.evidence + ingress.evidence,
        )

    # -- judging one direction ---------------------------------------------------------

    def _judge(self, direction: Direction, subject: Endpoint, peer: Endpoint) -> Verdict:
        """What `subject`'s own policies admit for `direction` with `peer` on the far end."""
        if subject.kind != "class":
            return _OUTSIDE
        if self._unmodelled_class(subject.number):
            return Verdict(yes=NO_PORTS, maybe=ALL_PORTS, reasons=self._unmodelled_reasons())
        selections = self.selections[direction][subject.number]
        if not selections:
            return _NOT_ISOLATED[direction]
        destination = subject if direction is Direction.INGRESS else peer
        verdict = self._apply(direction, selections, peer, destination)
        reason = self._undecided_side(direction, subject, peer)
        if reason:
            return Verdict(
                yes=verdict.yes,
                maybe=ALL_PORTS - verdict.yes,
                reasons=verdict.reasons | {reason},
                evidence=verdict.evidence,
            )
        return verdict

    def _undecided_side(self, direction: Direction, subject: Endpoint, peer: Endpoint) -> str:
        """Why the rules alone cannot bound what `subject` admits, or ''."""
        if self.classes[subject.number].host_network:
            side = "destination" if direction is Direction.INGRESS else "source"
            return HOST_NETWORK_REASON.format(side=f"the {side}")
        peer_on_host = peer.kind == "class" and self.classes[peer.number].host_network
        if direction is Direction.INGRESS and peer_on_host:
            return RESIDENT_NODE_REASON
        return ""

    def _apply(
        self,
        direction: Direction,
        selections: Sequence[Selection],
        peer: Endpoint,
        destination: Endpoint,
    ) -> Verdict:
        sure = any(s.truth is Truth.YES for s in selections)
        if sure:
            # Policies without rules for this direction only isolate; they admit nothing.
            selections = [s for s in selections if s.rules]
            if not selections:
                return _DENIED
        reasons: set[str] = set()
        evidence: list[Evidence] = []
        admitted = []
        for selection in selections:
            yes, possible, why = self._policy_admits(selection, peer, destination)
            admitted.append((selection, yes, possible))
            reasons |= why | selection.reasons
            if yes and selection.truth is Truth.YES:
                evidence.append(selection.evidence)
        if len(admitted) == 1 and admitted[0][0].truth is Truth.YES:  # the common case
            yes, possible = admitted[0][1], admitted[0][2]
        elif sure:
            yes = _union([y for s, y, _ in admitted if s.truth is Truth.YES])
            possible = _union([p for _, _, p in admitted])
        else:
            # Selected by none for sure: what every possibly-selecting policy admits is
            # admitted whichever of them really select the pod, or none does.
            yes = _intersection(y for _, y, _ in admitted)
            possible = ALL_PORTS
        return Verdict(
            yes=yes,
            maybe=possible - yes,
            reasons=frozenset(reasons),
            evidence=tuple(sorted(evidence)) if len(evidence) > 1 else tuple(evidence),
        )

    def _policy_admits(
        self, selection: Selection, peer: Endpoint, destination: Endpoint
    ) -> tuple[PortSet, PortSet, set[str]]:
        yes, possible = NO_PORTS, NO_PORTS
        reasons: set[str] = set()
        for rule in selection.rules:
            match, why = self._peer_match(rule, peer)
            if match is Truth.NO:
                continue
            ports_yes, ports_maybe, port_why = self._ports(rule, destination)
            reasons |= why | port_why
            possible = possible | ports_yes | ports_maybe
            if match is Truth.YES:
                yes = yes | ports_yes
        return yes, possible, reasons

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


def _union(sets: Iterator[PortSet] | Sequence[PortSet]) -> PortSet:
    result = NO_PORTS
    for s in sets:
        result = result | s
    return result


def _intersection(sets: Iterator[PortSet] | Sequence[PortSet]) -> PortSet:
    result = ALL_PORTS
    for s in sets:
        result = result & s
    return result


_OUTSIDE = Verdict(yes=ALL_PORTS)  # addresses and unlisted pods: no policy of theirs is known
_NOT_ISOLATED = {
    d: Verdict(
        yes=ALL_PORTS,
        evidence=(
            Evidence(
                text=f"{d.value.lower()}: "
                f"{'destination' if d is Direction.INGRESS else 'source'} not isolated"
            ),
        ),
    )
    for d in Direction
}
_DENIED = Verdict(yes=NO_PORTS)  # isolated, and no rule of a selecting policy applies
