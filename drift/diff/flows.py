"""`implicit-trust.flow`: live connections the design does not allow.

Port-exact: a design allowing TCP 8080 where the live policies admit every port gives one
finding for the pair naming the extra ports, of every protocol. Findings are grouped per
design pair (service to service, or to and from address ranges, unlisted namespaces and
unknown workloads), so a fingerprint never depends on ports or protocols.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from drift.baseline.load import LoadedBaseline
from drift.baseline.model import AddressEndpoint, Flow, PortRange
from drift.diff.design import (
    DesignMap,
    covers_addresses,
    endpoint_key,
    endpoint_keys,
)
from drift.diff.wording import display, flow_severity
from drift.findings import Finding, FindingKind, Unknown
from drift.k8s.objects import SourceRef
from drift.model import ConnectsEdge, EdgeType, Evidence, NetworkNode, WorkloadNode
from drift.ports import PortSet, Protocol


def flow_ports(flow: Flow) -> PortSet:
    return ranges_ports(flow.ports)


def ranges_ports(ranges: list[PortRange] | None) -> PortSet:
    """A design's port list as a PortSet; absent means every port of every protocol."""
    return _ports_of(None if ranges is None else tuple(ranges))


@functools.lru_cache(maxsize=4096)
def _ports_of(ranges: tuple[PortRange, ...] | None) -> PortSet:
    """Cached: a proposed baseline repeats a few port lists over thousands of flows."""
    if ranges is None:
        return PortSet.every()
    result = PortSet.empty()
    for entry in ranges:
        protocol = Protocol(entry.protocol)
        if entry.port is None:
            result = result | PortSet.every([protocol])
        else:
            result = result | PortSet.of(protocol, entry.port, entry.end_port or entry.port)
    return result


class FlowIndex:
    """The design's flows indexed by the names of their ends, so judging one live edge costs
    a few dictionary look-ups, not a scan of every flow."""

    def __init__(self, design: DesignMap) -> None:
        self._design = design
        self._key_cache: dict[str, list[str]] = {}
        self._by_keys: dict[tuple[str, str], list[tuple[int, PortSet]]] = {}
        # Flows with an address range on one side, by (that side is the source, key of the
        # other side): a live edge to or from an address cell looks only at its own.
        self._by_address: dict[tuple[bool, str], list[tuple[int, Flow, PortSet]]] = {}
        for index, flow in enumerate(design.baseline.flows):
            ports = flow_ports(flow)
            source, target = endpoint_key(flow.from_), endpoint_key(flow.to)
            if source is None and target is not None:
                self._by_address.setdefault((True, target), []).append((index, flow, ports))
            elif target is None and source is not None:
                self._by_address.setdefault((False, source), []).append((index, flow, ports))
            elif source is not None and target is not None:
                self._by_keys.setdefault((source, target), []).append((index, ports))

    def allowed(self, source: str, target: str) -> tuple[PortSet, list[int]]:
        """Ports the design allows from `source` to `target` (node ids), and which flows."""
        source_keys = self._keys(source)
        target_keys = self._keys(target)
        ports, matched = PortSet.empty(), list[int]()
        for s in source_keys:
            for t in target_keys:
                for index, allowed in self._by_keys.get((s, t), ()):
                    ports, matched = ports | allowed, [*matched, index]
        if self._by_address:
            by_address, indexes = self._address_allowed(source, target, source_keys, target_keys)
            ports, matched = ports | by_address, matched + indexes
        return ports, matched

    def _keys(self, node_id: str) -> list[str]:
        keys = self._key_cache.get(node_id)
        if keys is None:
            keys = self._key_cache[node_id] = endpoint_keys(self._design, node_id)
        return keys

    def _address_allowed(
        self, source: str, target: str, source_keys: list[str], target_keys: list[str]
    ) -> tuple[PortSet, list[int]]:
        """Ports flows naming address ranges allow: an address cell is allowed a port only
        when every one of its ranges is covered by some flow allowing that port."""
        graph = self._design.graph
        source_node, target_node = graph.node(source), graph.node(target)
        if isinstance(source_node, NetworkNode):
            cell, cell_is_source, other_keys = source_node, True, target_keys
        elif isinstance(target_node, NetworkNode):
            cell, cell_is_source, other_keys = target_node, False, source_keys
        else:
            return PortSet.empty(), []
        per_range = {cidr: PortSet.empty() for cidr in cell.cidrs}
        matched = []
        candidates = [
            entry for key in other_keys for entry in self._by_address.get((cell_is_source, key), ())
        ]
        for index, flow, allowed in candidates:
            ranges = _ranges_covered(flow, cell, cell_is_source)
            for cidr in ranges:
                per_range[cidr] = per_range[cidr] | allowed
            if ranges:
                matched.append(index)
        result = PortSet.every()
        for ports in per_range.values():
            result = result & ports
        return result, matched


def _ranges_covered(flow: Flow, cell: NetworkNode, cell_is_source: bool) -> list[str]:
    """The cell's ranges a flow (indexed by its other side) covers on the cell's side."""
    cell_side = flow.from_ if cell_is_source else flow.to
    assert isinstance(cell_side, AddressEndpoint)
    return [c for c in cell.cidrs if covers_addresses(cell_side, c)]


@dataclass(kw_only=True)
class _Pair:
    """What the live model admits between two design subjects beyond the design."""

    source: str
    target: str
    extra: PortSet = field(default_factory=PortSet.empty)
    unknown: PortSet = field(default_factory=PortSet.empty)
    reasons: set[str] = field(default_factory=set)
    evidence: set[Evidence] = field(default_factory=set)
    matched: set[int] = field(default_factory=set)
    node_ids: tuple[str, str] = ("", "")


def flow_findings(design: DesignMap, loaded: LoadedBaseline) -> tuple[list[Finding], list[Unknown]]:
    index = FlowIndex(design)
    pairs: dict[tuple[str, str], _Pair] = {}
    for edge in design.graph.edges(EdgeType.CONNECTS):
        assert isinstance(edge, ConnectsEdge)
        _judge_edge(design, index, edge, pairs)
    findings: list[Finding] = []
    unknowns: list[Unknown] = []
    for pair in pairs.values():
        if pair.extra:
            findings.extend(_findings(design, loaded, pair))
        if pair.unknown:
            unknowns.append(_unknown(design, pair))
    return findings, unknowns


def _judge_edge(
    design: DesignMap, index: FlowIndex, edge: ConnectsEdge, pairs: dict[tuple[str, str], _Pair]
) -> None:
    allowed, matched = index.allowed(edge.source, edge.target)
    extra, unknown = edge.ports - allowed, edge.unknown - allowed
    if not extra and not unknown:
        return
    key = (design.subject(edge.source), design.subject(edge.target))
    pair = pairs.get(key)
    if pair is None:
        pair = pairs[key] = _Pair(source=key[0], target=key[1], node_ids=(edge.source, edge.target))
    pair.extra, pair.unknown = pair.extra | extra, pair.unknown | unknown
    pair.matched.update(matched)
    if extra:
        pair.evidence.update(edge.evidence)
    if unknown:
        pair.reasons.update(edge.reasons)


def _findings(design: DesignMap, loaded: LoadedBaseline, pair: _Pair) -> Iterator[Finding]:
    severity = flow_severity(design, pair.source, pair.target, pair.node_ids)
    clause = (
        loaded.clause(("flows", min(pair.matched)))
        if pair.matched
        else (loaded.clause(("flows",)) + " (no flow allows this pair)")
    )
    evidence = tuple(sorted(pair.evidence))
    source_name, target_name = display(pair.source), display(pair.target)
    yield Finding(
        kind=FindingKind.FLOW,
        severity=severity,
        cluster=design.graph.cluster,
        subjects=(pair.source, pair.target),
        ports=pair.extra,
        title=f"{source_name} can connect to {target_name} beyond the design",
        detail=f"admits {pair.extra.describe()}; {_allowed_text(design, pair)}",
        evidence=evidence,
        clause=clause,
        baseline_version=loaded.version,
        location=_location(design, evidence, pair.node_ids[1]),
    )


def _allowed_text(design: DesignMap, pair: _Pair) -> str:
    if not pair.matched:
        return "the design allows no flow between them"
    allowed = PortSet.empty()
    for index in pair.matched:
        allowed = allowed | flow_ports(design.baseline.flows[index])
    return f"the design allows {allowed.describe()}"


def _location(design: DesignMap, evidence: tuple[Evidence, ...], target: str) -> SourceRef | None:
    for item in evidence:
        if item.source is not None:
            return item.source
    node = design.graph.node(target)
    return node.source if isinstance(node, WorkloadNode) else None


def _unknown(design: DesignMap, pair: _Pair) -> Unknown:
    return Unknown(
        subjects=(pair.source, pair.target),
        detail=f"{display(pair.source)} -> {display(pair.target)}: whether "
        f"{pair.unknown.describe()} is admitted is not decided by the input",
        reasons=tuple(sorted(pair.reasons)),
        location=_location(design, (), pair.node_ids[1]),
    )
