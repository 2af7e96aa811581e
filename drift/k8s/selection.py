"""Which pod classes a selector or a NetworkPolicy peer matches, as three-valued bitsets.

Pods that share namespace, labels, ports and host networking form one class. A set of
classes is a Python int used as a bitset (bit i = class i), so matching one selector against
every class costs a few big-int operations per requirement, not one test per pod.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from drift.k8s.inventory import NamespaceInfo
from drift.k8s.labels import (
    NAMESPACE_NAME_LABEL,
    Operator,
    Requirement,
    Selector,
    Truth,
)
from drift.k8s.netpol import Peer
from drift.k8s.workloads import ContainerPort, Workload


@dataclass(frozen=True, slots=True)
class Bits:
    """Classes matched for sure (`yes`) and classes the input does not decide (`maybe`)."""

    yes: int = 0
    maybe: int = 0

    def __or__(self, other: Bits) -> Bits:
        yes = self.yes | other.yes
        return Bits(yes, (self.maybe | other.maybe) & ~yes)

    def __and__(self, other: Bits) -> Bits:
        yes = self.yes & other.yes
        return Bits(yes, ((self.yes | self.maybe) & (other.yes | other.maybe)) & ~yes)

    def restrict(self, mask: int) -> Bits:
        return Bits(self.yes & mask, self.maybe & mask)

    @property
    def any(self) -> int:
        return self.yes | self.maybe

    def truth(self, index: int) -> Truth:
        bit = 1 << index
        if self.yes & bit:
            return Truth.YES
        return Truth.MAYBE if self.maybe & bit else Truth.NO


def bit_indexes(bits: int) -> Iterator[int]:
    """Indexes of the set bits, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


@dataclass(frozen=True, kw_only=True)
class PodClass:
    index: int
    namespace: str
    labels: Mapping[str, str]
    varying_labels: frozenset[str]
    varying_patterns: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    host_network: bool
    workloads: tuple[Workload, ...]


def pod_classes(workloads: Sequence[Workload]) -> list[PodClass]:
    """Group workloads whose pods NetworkPolicy cannot tell apart, in a stable order."""
    groups: dict[tuple[object, ...], list[Workload]] = {}
    for w in workloads:
        key = (
            w.namespace,
            tuple(sorted(w.labels.items())),
            tuple(sorted(w.varying_labels)),
            tuple(sorted(w.varying_patterns.items())),
            w.ports,
            w.host_network,
        )
        groups.setdefault(key, []).append(w)
    return [
        PodClass(
            index=i,
            namespace=members[0].namespace,
            labels=members[0].labels,
            varying_labels=members[0].varying_labels,
            varying_patterns=members[0].varying_patterns,
            ports=members[0].ports,
            host_network=members[0].host_network,
            workloads=tuple(members),
        )
        for i, members in enumerate(groups[k] for k in sorted(groups, key=repr))
    ]


class ClassIndex:
    """Label and namespace indexes over the pod classes of one cluster."""

    def __init__(self, classes: Sequence[PodClass], namespaces: Mapping[str, NamespaceInfo]):
        self.classes = classes
        self.namespaces = namespaces
        self.universe = (1 << len(classes)) - 1
        self._by_pair: dict[tuple[str, str], int] = {}
        self._by_key: dict[str, int] = {}
        self._varying: dict[str, int] = {}
        # varying key -> value shape (None: any value) -> classes
        self._shapes: dict[str, dict[str | None, int]] = {}
        self.in_namespace: dict[str, int] = {}
        self.host_network = 0
        self._namespace_matches: dict[Selector, dict[str, Truth]] = {}
        for c in classes:
            bit = 1 << c.index
            for pair in c.labels.items():
                self._by_pair[pair] = self._by_pair.get(pair, 0) | bit
                self._by_key[pair[0]] = self._by_key.get(pair[0], 0) | bit
            for key in c.varying_labels:
                self._varying[key] = self._varying.get(key, 0) | bit
                shapes = self._shapes.setdefault(key, {})
                shape = c.varying_patterns.get(key)
                shapes[shape] = shapes.get(shape, 0) | bit
            self.in_namespace[c.namespace] = self.in_namespace.get(c.namespace, 0) | bit
            if c.host_network:
                self.host_network |= bit

    def pods(self, selector: Selector) -> Bits:
        """Classes whose pods `selector` matches, in any namespace."""
        result = Bits(self.universe)
        for requirement in selector.requirements:
            result = result & self._requirement(requirement)
            if not result.any:
                break
        return result

    def _requirement(self, r: Requirement) -> Bits:
        varying = self._varying.get(r.key, 0)
        has_key = self._by_key.get(r.key, 0) | varying
        if r.operator is Operator.EXISTS:
            return Bits(has_key)
        if r.operator is Operator.DOES_NOT_EXIST:
            return Bits(self.universe & ~has_key)
        with_value = 0
        for value in r.values:
            with_value |= self._by_pair.get((r.key, value), 0)
        # Varying values are undecided only where their shape allows one of the values.
        undecided = self._could_take(r.key, r.values)
        if r.operator is Operator.IN:
            return Bits(with_value, undecided)
        decided_out = varying & ~undecided
        return Bits(
            self.universe & ~has_key | (has_key & ~varying & ~with_value) | decided_out,
            undecided,
        )

    def _could_take(self, key: str, values: frozenset[str]) -> int:
        bits = 0
        for shape, classes in self._shapes.get(key, {}).items():
            if shape is None or any(re.fullmatch(shape, v) for v in values):
                bits |= classes
        return bits

    def namespaces_matching(self, selector: Selector) -> dict[str, Truth]:
        """Namespaces of the input that `selector` may match, with how sure that is."""
        cached = self._namespace_matches.get(selector)
        if cached is None:
            cached = self._namespace_matches[selector] = self._match_namespaces(selector)
        return cached

    def _match_namespaces(self, selector: Selector) -> dict[str, Truth]:
        out: dict[str, Truth] = {}
        for name, info in self.namespaces.items():
            truth = selector.matches(info.label_view)
            if truth is not Truth.NO:
                out[name] = truth
        return out

    def peer(self, peer: Peer, policy_namespace: str) -> tuple[Bits, dict[str, set[str]]]:
        """Classes a pod peer admits, and for the undecided ones, why, by namespace."""
        selector = peer.pod_selector
        pods = Bits(self.universe) if selector is None else self.pods(selector)
        per_pod = self._varying_reason(selector) if selector is not None and pods.maybe else ""
        if peer.namespace_selector is None:
            namespaces = {policy_namespace: Truth.YES}
        else:
            namespaces = self.namespaces_matching(peer.namespace_selector)
        result, reasons = Bits(), {}
        for name, truth in namespaces.items():
            members = self.in_namespace.get(name, 0)
            part = pods.restrict(members) if truth is Truth.YES else Bits(0, pods.any & members)
            why = set()
            if per_pod and pods.maybe & members:
                why.add(per_pod)
            if truth is Truth.MAYBE and part.maybe:
                why.add(f"labels of namespace {name} are not in the input")
            if why:
                reasons[name] = why
            result = result | part
        return result, reasons

    def _varying_reason(self, selector: Selector) -> str:
        keys = sorted(k for k in selector.keys if k in self._varying)
        return f"selector on {', '.join(keys)}, which the controller sets per pod"


def could_select_unlisted(peer: Peer, listed: frozenset[str]) -> bool:
    """Whether pods of some namespace the input does not list could match `peer`."""
    if peer.ip_block is not None or peer.namespace_selector is None:
        return False
    namespace_ok = satisfiable(peer.namespace_selector, {NAMESPACE_NAME_LABEL: listed})
    pods_ok = peer.pod_selector is None or satisfiable(peer.pod_selector, {})
    return namespace_ok and pods_ok


def satisfiable(selector: Selector, excluded: Mapping[str, frozenset[str]]) -> bool:
    """Whether some label set matches `selector`, where each key in `excluded` is always
    present but never takes one of its excluded values (a namespace's name label)."""
    by_key: dict[str, list[Requirement]] = {}
    for r in selector.requirements:
        by_key.setdefault(r.key, []).append(r)
    return all(
        _key_satisfiable(rs, r_key in excluded, excluded.get(r_key, frozenset()))
        for r_key, rs in by_key.items()
    )


def _key_satisfiable(
    requirements: list[Requirement], always_present: bool, excluded: frozenset[str]
) -> bool:
    ops = {r.operator for r in requirements}
    must_exist = bool(ops & {Operator.IN, Operator.EXISTS}) or always_present
    if must_exist and Operator.DOES_NOT_EXIST in ops:
        return False
    if not must_exist:
        return True  # absent satisfies NotIn and DoesNotExist
    forbidden = excluded.union(*(r.values for r in requirements if r.operator is Operator.NOT_IN))
    allowed: frozenset[str] | None = None
    for r in requirements:
        if r.operator is Operator.IN:
            allowed = r.values if allowed is None else allowed & r.values
    return allowed is None or bool(allowed - forbidden)
