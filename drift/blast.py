"""Blast radius: what an attacker holding a workload or an identity can become and reach.

Two sets per workload and identity `x`:

- **control**: `x` and every node an attacker holding `x` can become, following `runs_as`
  and `assumes` edges transitively.
- **reach**: the targets of the `connects` and `can` edges that leave the control set. It is
  one hop: reaching a service does not mean controlling it, so its own edges are not followed.
  A node may be both controlled and reached.

`exposes` edges say how the internet gets in, not where an attacker goes next; they are not
part of a blast radius. Each set comes in two strengths. An edge may be certain or only
possible (by default a `connects` edge whose admitted `ports` are empty, so it stands only
for ports whose answer is unknown). *Certain* sets follow certain edges only; *possible* sets
hold what some path with a possible edge adds to them.

Cost: one pass of Tarjan's algorithm over the control edges, then one bitset (a Python int,
one bit per node) per strongly connected component, in the reverse topological order Tarjan
emits them: O(V + E) set unions of V bits each, shared by all members of a component. Only
components some other one leads to are closed ahead; the rest (workloads, mostly) are
united with their successors' sets when read. Sets of ids are decoded only when asked for.
A second pass, over certain and possible edges, runs only when the graph has possible edges.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress

import networkx as nx

from drift.gcpause import paused_gc
from drift.model import ConnectsEdge, Edge, EdgeType, NodeType, SystemGraph

CONTROL_EDGES = frozenset({EdgeType.RUNS_AS, EdgeType.ASSUMES})
REACH_EDGES = frozenset({EdgeType.CONNECTS, EdgeType.CAN})
SUBJECTS = frozenset({NodeType.WORKLOAD, NodeType.IDENTITY})

_RANK = {NodeType.IDENTITY: 0, NodeType.RESOURCE: 1, NodeType.WORKLOAD: 2}

EdgePredicate = Callable[[Edge], bool]


def default_is_certain(edge: Edge) -> bool:
    """A `connects` edge is certain when it admits some port for sure; others always are."""
    if isinstance(edge, ConnectsEdge):
        return not edge.ports.is_empty()
    return True


# --- the graph as integer adjacency ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Indexed:
    """Node ids (bit i stands for ids[i]) and the edges that matter, by index."""

    ids: tuple[str, ...]
    index: dict[str, int]
    subjects: tuple[int, ...]
    control: list[list[int]]  # certain control edges, by source
    possible_control: list[list[int]]  # the others
    reach: list[list[int]]
    possible_reach: list[list[int]]


def _index(graph: SystemGraph, is_certain: EdgePredicate) -> _Indexed:
    # Identities first, then resources, then workloads: a Python int takes as many bytes
    # as its highest bit needs, and control sets hold mostly identities.
    ids = tuple(sorted(graph.networkx, key=lambda n: (_RANK.get(graph.node(n).type, 3), n)))
    index = {node_id: i for i, node_id in enumerate(ids)}
    lists: dict[tuple[bool, bool], list[list[int]]] = {
        (is_control, certain): [[] for _ in ids]
        for is_control in (True, False)
        for certain in (True, False)
    }
    # adjacency() hands out networkx's own dicts: no view making a tuple per edge.
    for source, targets in graph.networkx.adjacency():
        i = index[source]
        for target, by_type in targets.items():
            for key, data in by_type.items():
                is_control = key in CONTROL_EDGES
                if is_control or key in REACH_EDGES:
                    lists[is_control, is_certain(data["edge"])][i].append(index[target])
    subjects = tuple(index[n.id] for n in graph.nodes() if n.type in SUBJECTS)
    return _Indexed(
        ids=ids,
        index=index,
        subjects=tuple(sorted(subjects)),
        control=lists[True, True],
        possible_control=lists[True, False],
        reach=lists[False, True],
        possible_reach=lists[False, False],
    )


def _bits(indices: Iterable[int]) -> int:
    bits = 0
    for i in indices:
        bits |= 1 << i
    return bits


def _merged(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    return [x + y if y else x for x, y in zip(a, b, strict=True)]


# --- strongly connected components -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Condensation:
    """Components in reverse topological order: each comes after every one it leads to."""

    component_of: list[int]  # by node; -1 when not reachable from a root
    members: list[list[int]]
    successors: list[tuple[int, ...]]  # other components one edge away
    led_to: frozenset[int]  # components some other component leads to


class _Tarjan:
    """Iterative Tarjan: no recursion limit on long `assumes` chains."""

    def __init__(self, adjacency: Sequence[Sequence[int]]) -> None:
        self.adjacency = adjacency
        self.order = [-1] * len(adjacency)  # discovery number
        self.low = [0] * len(adjacency)
        self.component_of = [-1] * len(adjacency)
        self.stack: list[int] = []
        self.members: list[list[int]] = []
        self.discovered = 0

    def visit(self, root: int) -> None:
        order, low, component_of = self.order, self.low, self.component_of
        self._discover(root)
        calls: list[tuple[int, Iterator[int]]] = [(root, iter(self.adjacency[root]))]
        while calls:
            node, successors = calls[-1]
            for successor in successors:
                if order[successor] < 0:
                    self._discover(successor)
                    calls.append((successor, iter(self.adjacency[successor])))
                    break
                # Visited and in no component yet means on the stack.
                if component_of[successor] < 0 and order[successor] < low[node]:
                    low[node] = order[successor]
            else:
                calls.pop()
                if calls and low[node] < low[calls[-1][0]]:
                    low[calls[-1][0]] = low[node]
                if low[node] == order[node]:
                    self._emit(node)

    def _discover(self, node: int) -> None:
        self.order[node] = self.low[node] = self.discovered
        self.discovered += 1
        self.stack.append(node)

    def _emit(self, root: int) -> None:
        start = len(self.stack) - 1
        while self.stack[start] != root:
            start -= 1
        component = self.stack[start:]
        del self.stack[start:]
        for member in component:
            self.component_of[member] = len(self.members)
        self.members.append(component)


def _condense(adjacency: Sequence[Sequence[int]], roots: Iterable[int]) -> _Condensation:
    tarjan = _Tarjan(adjacency)
    for root in roots:
        if tarjan.order[root] < 0:
            tarjan.visit(root)
    component_of = tarjan.component_of
    successors = []
    for number, members in enumerate(tarjan.members):
        found = {component_of[t] for m in members for t in adjacency[m]}
        found.discard(number)
        successors.append(tuple(found))
    return _Condensation(
        component_of=component_of,
        members=tarjan.members,
        successors=successors,
        led_to=frozenset(c for found in successors for c in found),
    )


_Own = Callable[[int], int]  # a component's own bits


def _close(condensation: _Condensation, own: _Own) -> list[int]:
    """Per component some other leads to: the union of its `own` bits and those of every
    component after it. Others get 0 here: `_Closure` unites theirs on reading."""
    closed: list[int] = []
    for component, successors in enumerate(condensation.successors):
        bits = 0
        if component in condensation.led_to:
            bits = own(component)
            for successor in successors:
                more = closed[successor]
                bits = bits | more if bits else more  # share, not copy, when there is one
        closed.append(bits)
    return closed


class _Closure:
    """Control and reach bitsets of one strength, by component.

    Only components that another leads to are closed ahead: the others (every workload,
    most identities of a graph without `assumes` edges) would each hold a copy of a set
    they share, which is most of the memory at 20,000 nodes. Their sets are united from
    their own edges and their successors' closed sets when read.
    """

    def __init__(
        self, condensation: _Condensation, reach: tuple[Sequence[Sequence[int]], ...]
    ) -> None:
        self._condensation = condensation
        self._reach_edges = reach  # by node: reach targets, certain (and possible)
        self._control = _close(condensation, self._own_control)
        self._reach = _close(condensation, self._own_reach)

    def control(self, node: int) -> int:
        return self._read(node, self._control, self._own_control)

    def reach(self, node: int) -> int:
        return self._read(node, self._reach, self._own_reach)

    def _read(self, node: int, closed: list[int], own: _Own) -> int:
        component = self._condensation.component_of[node]
        if component in self._condensation.led_to:
            return closed[component]
        bits = own(component)
        for successor in self._condensation.successors[component]:
            more = closed[successor]
            bits = bits | more if bits else more
        return bits

    def _own_control(self, component: int) -> int:
        return _bits(self._condensation.members[component])

    def _own_reach(self, component: int) -> int:
        members = self._condensation.members[component]
        return _bits(t for edges in self._reach_edges for m in members for t in edges[m])


# --- the result ------------------------------------------------------------------------------


class BlastRadius:
    """Control and reach of every workload and identity of one graph, as shared bitsets.

    `*_of` decode one set of ids when asked: O(V) per call, plus the ids found. `*_count`
    and the predicates read bitsets only: O(V / 64) word operations for a node that others
    lead to, times its out-degree for the others (workloads, mostly). "Possible" sets hold
    what only paths through a possible edge add; `may_*` ask for certain or possible.
    Every method raises KeyError for a node id that is not a workload or identity of the
    graph (for a target: not a node of it).
    """

    def __init__(
        self,
        *,
        ids: tuple[str, ...],
        index: dict[str, int],
        subjects: tuple[int, ...],
        certain: _Closure,
        may: _Closure,
    ) -> None:
        self._ids = ids
        self._index = index
        self._subjects = frozenset(subjects)
        self._certain = certain
        self._may = may

    @property
    def subjects(self) -> tuple[str, ...]:
        """The workload and identity ids, sorted."""
        return tuple(sorted(self._ids[i] for i in self._subjects))

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and self._index.get(node_id, -1) in self._subjects

    # Sets of ids.

    def control_of(self, node_id: str) -> frozenset[str]:
        return self._decode(self._certain.control(self._subject(node_id)))

    def possible_control_of(self, node_id: str) -> frozenset[str]:
        return self._decode(self._possible_control(node_id))

    def reach_of(self, node_id: str) -> frozenset[str]:
        return self._decode(self._certain.reach(self._subject(node_id)))

    def possible_reach_of(self, node_id: str) -> frozenset[str]:
        return self._decode(self._possible_reach(node_id))

    # Sizes.

    def control_count(self, node_id: str) -> int:
        return self._certain.control(self._subject(node_id)).bit_count()

    def possible_control_count(self, node_id: str) -> int:
        return self._possible_control(node_id).bit_count()

    def reach_count(self, node_id: str) -> int:
        return self._certain.reach(self._subject(node_id)).bit_count()

    def possible_reach_count(self, node_id: str) -> int:
        return self._possible_reach(node_id).bit_count()

    # Membership.

    def controls(self, node_id: str, target_id: str) -> bool:
        return self._has(self._certain.control(self._subject(node_id)), target_id)

    def may_control(self, node_id: str, target_id: str) -> bool:
        return self._has(self._may.control(self._subject(node_id)), target_id)

    def reaches(self, node_id: str, target_id: str) -> bool:
        return self._has(self._certain.reach(self._subject(node_id)), target_id)

    def may_reach(self, node_id: str, target_id: str) -> bool:
        return self._has(self._may.reach(self._subject(node_id)), target_id)

    # Bitsets.

    def _subject(self, node_id: str) -> int:
        i = self._index.get(node_id, -1)
        if i not in self._subjects:
            raise KeyError(f"{node_id!r} is not a workload or identity of this graph")
        return i

    def _possible_control(self, node_id: str) -> int:
        i = self._subject(node_id)
        if self._may is self._certain:
            return 0
        return self._may.control(i) & ~self._certain.control(i)

    def _possible_reach(self, node_id: str) -> int:
        i = self._subject(node_id)
        if self._may is self._certain:
            return 0
        return self._may.reach(i) & ~self._certain.reach(i)

    def _has(self, bits: int, target_id: str) -> bool:
        i = self._index.get(target_id)
        if i is None:
            raise KeyError(f"{target_id!r} is not a node of this graph")
        return bool(bits >> i & 1)

    def _decode(self, bits: int) -> frozenset[str]:
        text = format(bits, "b")  # bit i at text[-1 - i]
        if bits.bit_count() * 10 > len(text):  # dense: select in C, one byte per node
            return frozenset(compress(self._ids, text.encode().translate(_ZERO_ONE)[::-1]))
        text = text[::-1]
        found = []
        i = text.find("1")
        while i >= 0:
            found.append(self._ids[i])
            i = text.find("1", i + 1)
        return frozenset(found)


_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")


def blast_radius(
    graph: SystemGraph, *, is_certain: EdgePredicate = default_is_certain
) -> BlastRadius:
    """Control and reach of every workload and identity of `graph`.

    `is_certain(edge)` says whether a `runs_as`, `assumes`, `connects` or `can` edge surely
    holds (`default_is_certain` unless given).
    """
    with paused_gc():  # tens of thousands of lists, no cycles; see drift.gcpause
        return _blast_radius(graph, is_certain)


def _blast_radius(graph: SystemGraph, is_certain: EdgePredicate) -> BlastRadius:
    indexed = _index(graph, is_certain)
    condensation = _condense(indexed.control, indexed.subjects)
    certain = may = _Closure(condensation, (indexed.reach,))
    if any(indexed.possible_control):
        control = _merged(indexed.control, indexed.possible_control)
        condensation = _condense(control, indexed.subjects)
    if any(indexed.possible_control) or any(indexed.possible_reach):
        may = _Closure(condensation, (indexed.reach, indexed.possible_reach))
    return BlastRadius(
        ids=indexed.ids,
        index=indexed.index,
        subjects=indexed.subjects,
        certain=certain,
        may=may,
    )


# --- explaining one answer -------------------------------------------------------------------


class PathKind(enum.StrEnum):
    REACH = "reach"  # control edges, then one `connects` or `can` edge into the target
    CONTROL = "control"  # control edges only


@dataclass(frozen=True, kw_only=True)
class Step:
    """One edge of an attack path; `edge` names the objects behind it (`ConnectsEdge.evidence`,
    `AssumesEdge.via`, `CanEdge.actions`)."""

    source: str
    type: EdgeType
    target: str
    edge: Edge
    certain: bool


def shortest_path(
    graph: SystemGraph,
    source: str,
    target: str,
    *,
    kind: PathKind = PathKind.REACH,
    is_certain: EdgePredicate = default_is_certain,
) -> list[Step] | None:
    """A shortest path by which holding `source` reaches (or controls) `target`, or None.

    A path of certain edges when there is one, else a shortest path with possible edges.
    Breadth-first, with edges taken in order of (target id, edge type): the same graph
    always gives the same path. `[]` when `kind` is CONTROL and `target` is `source`.
    """
    for end in (source, target):
        if not graph.has_node(end):
            raise KeyError(f"{end!r} is not a node of this graph")
    for allowed in (is_certain, _always):
        edges = _breadth_first(graph.networkx, source, target, kind, allowed)
        if edges is not None:
            return [
                Step(source=e.source, type=e.type, target=e.target, edge=e, certain=is_certain(e))
                for e in edges
            ]
    return None


def _always(edge: Edge) -> bool:
    return True


def _breadth_first(
    graph: nx.MultiDiGraph, source: str, target: str, kind: PathKind, allowed: EdgePredicate
) -> list[Edge] | None:
    parent: dict[str, Edge | None] = {source: None}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if kind is PathKind.CONTROL and node == target:
            return _walk_back(parent, node)
        if kind is PathKind.REACH:
            last = _first_edge(graph, node, target, REACH_EDGES, allowed)
            if last is not None:
                return [*_walk_back(parent, node), last]
        for successor in sorted(graph.successors(node)):
            edge = _first_edge(graph, node, successor, CONTROL_EDGES, allowed)
            if edge is not None and successor not in parent:
                parent[successor] = edge
                queue.append(successor)
    return None


def _first_edge(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    types: frozenset[EdgeType],
    allowed: EdgePredicate,
) -> Edge | None:
    """The edge of `types` from `source` to `target` that `allowed` admits, first by type."""
    edges: dict[EdgeType, dict[str, Edge]] = graph.get_edge_data(source, target) or {}
    for key in sorted(types & edges.keys()):
        edge = edges[key]["edge"]
        if allowed(edge):
            return edge
    return None


def _walk_back(parent: dict[str, Edge | None], node: str) -> list[Edge]:
    path = []
    edge = parent[node]
    while edge is not None:
        path.append(edge)
        edge = parent[edge.source]
    return path[::-1]
