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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from drift.k8s.addresses import AddressCell
from drift.k8s.inventory import Inventory
from drift.k8s.labels import Truth
from drift.k8s.netpol import Direction
from drift.k8s.policy_index import (
    ALL_PORTS,
    HOST_NETWORK_REASON,
    NO_PORTS,
    UNLISTED,
    CompiledRule,
    Endpoint,
    PolicyIndex,
    Selection,
)
from drift.k8s.selection import PodClass, bit_indexes
from drift.model import Evidence
from drift.ports import PortSet

# "Pods cannot block access from their resident node" (Kubernetes NetworkPolicy docs): a
# hostNetwork source on the destination's node gets through whatever the rules say.
RESIDENT_NODE_REASON = "the source uses hostNetwork: a pod cannot block traffic from its own node"


@dataclass(frozen=True, kw_only=True)
class Verdict:
    yes: PortSet
    maybe: PortSet = NO_PORTS
    reasons: frozenset[str] = frozenset()
    evidence: tuple[Evidence, ...] = ()


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


class _Engine(PolicyIndex):
    """Enumerates the pairs the compiled policies may admit, and judges each."""

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
