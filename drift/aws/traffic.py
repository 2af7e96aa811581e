"""What a packet filter lets through, and three-valued answers about it.

`Traffic` is a set of (protocol, port) pairs for the protocols with ports (TCP, UDP, SCTP, as
a `PortSet`) plus the other IP protocols by number (ICMP is 1, ICMPv6 58): AWS filters by IP
protocol number, and only TCP and UDP rules name ports (an SCTP rule admits every SCTP port).

`Verdict` answers "what passes": `yes` passes for certain, `maybe` may pass (the inputs do not
decide; `reasons` say why), everything else is decided not to pass. Evidence and reasons carry
the traffic they speak for, so a combined answer keeps only those that still matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from drift.model import Evidence
from drift.ports import PortSet, Protocol

TCP, UDP, ICMP, ICMPV6, SCTP = 6, 17, 1, 58, 132
PORT_PROTOCOLS = {TCP: Protocol.TCP, UDP: Protocol.UDP, SCTP: Protocol.SCTP}
OTHER_PROTOCOLS = frozenset(range(256)) - set(PORT_PROTOCOLS)
_NAMES = {ICMP: "icmp", ICMPV6: "icmpv6", 4: "ipip", 47: "gre", 50: "esp", 51: "ah"}


@dataclass(frozen=True)
class Traffic:
    """Ports of TCP/UDP/SCTP and whole IP protocols (numbers other than 6, 17, 132)."""

    ports: PortSet = field(default_factory=PortSet.empty)
    protocols: frozenset[int] = frozenset()

    def __or__(self, other: Traffic) -> Traffic:
        return Traffic(self.ports | other.ports, self.protocols | other.protocols)

    def __and__(self, other: Traffic) -> Traffic:
        return Traffic(self.ports & other.ports, self.protocols & other.protocols)

    def __sub__(self, other: Traffic) -> Traffic:
        return Traffic(self.ports - other.ports, self.protocols - other.protocols)

    def __bool__(self) -> bool:
        return bool(self.ports) or bool(self.protocols)

    def describe(self) -> str:
        parts = [self.ports.describe()] if self.ports else []
        if self.protocols == OTHER_PROTOCOLS:
            parts.append("every other IP protocol")
        elif self.protocols:
            names = (_NAMES.get(p, f"protocol {p}") for p in sorted(self.protocols))
            parts.append(", ".join(names))
        return "; ".join(parts) or "nothing"


NOTHING = Traffic()
EVERYTHING = Traffic(PortSet.every(), OTHER_PROTOCOLS)


def protocol_traffic(
    protocol: int | None, first: int | None = None, last: int | None = None
) -> Traffic:
    """Traffic of one IP protocol (None: all of them); `first`..`last` narrows TCP and UDP
    ports (None or -1: all; 0 counts as 1, the lowest port a `PortSet` holds)."""
    if protocol is None:
        return EVERYTHING
    if protocol in (TCP, UDP):
        if first is None or last is None or first < 0:
            first, last = 0, 65535
        return Traffic(PortSet.of(PORT_PROTOCOLS[protocol], max(first, 1), max(last, 1)))
    if protocol == SCTP:
        return Traffic(PortSet.every((Protocol.SCTP,)))
    return Traffic(protocols=frozenset({protocol}))


_T = TypeVar("_T", Evidence, str)

Noted = tuple[tuple[Evidence, Traffic], ...]
Reasons = tuple[tuple[str, Traffic], ...]


@dataclass(frozen=True)
class Verdict:
    """What passes for certain (`yes`), what may pass (`maybe`, disjoint from `yes`), with the
    objects that admit it and why anything is undecided, each tagged with its traffic."""

    yes: Traffic = NOTHING
    maybe: Traffic = NOTHING
    evidence: Noted = ()
    reasons: Reasons = ()

    @property
    def possible(self) -> Traffic:
        return self.yes | self.maybe

    def narrowed(self, to: Traffic) -> Verdict:
        return _kept(self.yes & to, self.maybe & to, self.evidence, self.reasons)


def allows(traffic: Traffic, evidence: Evidence | None = None) -> Verdict:
    return Verdict(yes=traffic, evidence=((evidence, traffic),) if evidence else ())


def undecided(traffic: Traffic, reason: str) -> Verdict:
    return Verdict(maybe=traffic, reasons=((reason, traffic),))


DENIED = Verdict()


def _kept(
    yes: Traffic,
    maybe: Traffic,
    evidence: Iterable[tuple[Evidence, Traffic]],
    reasons: Iterable[tuple[str, Traffic]],
) -> Verdict:
    """A verdict keeping only the evidence for traffic that may pass and the reasons for
    traffic that is undecided (each once, sorted)."""
    possible = yes | maybe
    kept_evidence = {(e, t & possible) for e, t in evidence if t & possible}
    kept_reasons = {(r, t & maybe) for r, t in reasons if t & maybe}
    return Verdict(
        yes=yes,
        maybe=maybe - yes,
        evidence=_merged(kept_evidence),
        reasons=_merged(kept_reasons),
    )


def _merged(items: Iterable[tuple[_T, Traffic]]) -> tuple[tuple[_T, Traffic], ...]:
    by_item: dict[_T, Traffic] = {}
    for item, traffic in items:
        by_item[item] = by_item.get(item, NOTHING) | traffic
    return tuple(sorted(by_item.items(), key=lambda kv: kv[0]))


def both(*verdicts: Verdict) -> Verdict:
    """Traffic must pass every check: certain where all are certain, possible where all allow
    it possibly."""
    yes, possible = EVERYTHING, EVERYTHING
    for v in verdicts:
        yes, possible = yes & v.yes, possible & v.possible
    return _kept(yes, possible - yes, _all_evidence(verdicts), _all_reasons(verdicts))


def any_of(verdicts: Iterable[Verdict]) -> Verdict:
    """A population (clients in an address range, a load balancer's nodes): what passes for
    one of them passes."""
    found = list(verdicts)
    yes, possible = NOTHING, NOTHING
    for v in found:
        yes, possible = yes | v.yes, possible | v.possible
    return _kept(yes, possible - yes, _all_evidence(found), _all_reasons(found))


def one_of(verdicts: Iterable[Verdict]) -> Verdict:
    """One thing that is in one of several places the inputs cannot tell apart (an address
    somewhere in a subnet, a database in one of its subnets): certain only where it is
    certain in every place."""
    found = list(verdicts)
    if not found:
        return DENIED
    yes, possible = EVERYTHING, NOTHING
    for v in found:
        yes, possible = yes & v.yes, possible | v.possible
    return _kept(yes, possible - yes, _all_evidence(found), _all_reasons(found))


def _all_evidence(verdicts: Iterable[Verdict]) -> list[tuple[Evidence, Traffic]]:
    return [item for v in verdicts for item in v.evidence]


def _all_reasons(verdicts: Iterable[Verdict]) -> list[tuple[str, Traffic]]:
    return [item for v in verdicts for item in v.reasons]
