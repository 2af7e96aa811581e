"""Blast radius: what holding a workload or identity lets an attacker become (control) and
touch (reach), certain and possible, and the path that explains one answer.

Graphs are built in code; a node's id names its type: `w:` workload, `i:` identity,
`r:` resource, `n:` network. A property test checks the bitsets against a plain
breadth-first search per node on random small graphs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.blast import PathKind, Step, blast_radius, default_is_certain, shortest_path
from drift.model import (
    AssumesEdge,
    CanEdge,
    ConnectsEdge,
    Edge,
    EdgeType,
    ExposesEdge,
    ExposureScope,
    IdentityNode,
    NetworkNode,
    Node,
    ResourceNode,
    RunsAsEdge,
    SystemGraph,
    WorkloadNode,
    ZoneNode,
)
from drift.ports import PortSet, Protocol

HTTP = PortSet.of(Protocol.TCP, 8080)
MAYBE = "maybe"  # `via` of an assumes edge, `actions` of a can edge, that `maybe_not` doubts


# --- builders --------------------------------------------------------------------------------


def node(node_id: str) -> Node:
    prefix, _, name = node_id.partition(":")
    if prefix == "w":
        return WorkloadNode(
            id=node_id, kind="Deployment", namespace="ns", name=name, service_account=name,
            labels={"app": name},
        )  # fmt: skip
    if prefix == "i":
        return IdentityNode(id=node_id, kind="ServiceAccount", name=name, namespace="ns")
    if prefix == "r":
        return ResourceNode(id=node_id, name=name)
    if prefix == "n":
        return NetworkNode(id=node_id, cidrs=("10.0.0.0/8",))
    assert node_id == "internet", node_id
    return ZoneNode(id=node_id, name="internet", kind="Internet")


def build(*edges: Edge, nodes: Iterable[str] = ()) -> SystemGraph:
    graph = SystemGraph(cluster="c")
    for node_id in {*nodes, *(e.source for e in edges), *(e.target for e in edges)}:
        graph.add_node(node(node_id))
    for edge in edges:
        graph.add_edge(edge)
    return graph


def runs_as(source: str, target: str) -> RunsAsEdge:
    return RunsAsEdge(source=source, target=target)


def assumes(source: str, target: str, via: str = "RoleBinding impersonate") -> AssumesEdge:
    return AssumesEdge(source=source, target=target, via=via)


def connects(source: str, target: str, *, certain: bool = True) -> ConnectsEdge:
    if certain:
        return ConnectsEdge(source=source, target=target, ports=HTTP, evidence=())
    return ConnectsEdge(source=source, target=target, ports=PortSet.empty(), unknown=HTTP)


def can(source: str, target: str, *actions: str) -> CanEdge:
    return CanEdge(source=source, target=target, actions=frozenset(actions or {"get"}))


def maybe_not(edge: Edge) -> bool:
    """The default, and doubts the `assumes` and `can` edges marked MAYBE (as the lead's
    `AssumesEdge.certain` will)."""
    if isinstance(edge, AssumesEdge):
        return edge.via != MAYBE
    if isinstance(edge, CanEdge):
        return MAYBE not in edge.actions
    return default_is_certain(edge)


# --- control ---------------------------------------------------------------------------------


def test_control_follows_runs_as_then_assumes_chains_forward_only() -> None:
    graph = build(runs_as("w:api", "i:api"), assumes("i:api", "i:ops"), assumes("i:ops", "i:admin"))
    blast = blast_radius(graph)
    assert blast.control_of("w:api") == {"w:api", "i:api", "i:ops", "i:admin"}
    assert blast.control_of("i:ops") == {"i:ops", "i:admin"}  # not back to i:api
    assert blast.control_of("i:admin") == {"i:admin"}
    assert blast.control_count("w:api") == 4
    assert blast.controls("w:api", "i:admin")
    assert not blast.controls("i:ops", "i:api")


def test_identity_a_workload_runs_as_is_controlled_even_without_assumes() -> None:
    # Two workloads share one identity: each controls it, neither the other workload.
    blast = blast_radius(build(runs_as("w:a", "i:shared"), runs_as("w:b", "i:shared")))
    assert blast.control_of("w:a") == {"w:a", "i:shared"}
    assert blast.control_of("w:b") == {"w:b", "i:shared"}
    assert blast.control_of("i:shared") == {"i:shared"}  # an identity cannot become a pod


def test_members_of_a_cycle_share_control_and_reach() -> None:
    graph = build(
        assumes("i:a", "i:b"), assumes("i:b", "i:c"), assumes("i:c", "i:a"),
        assumes("i:c", "i:d"), can("i:a", "r:one"), can("i:d", "r:two"),
    )  # fmt: skip
    blast = blast_radius(graph)
    for member in ("i:a", "i:b", "i:c"):
        assert blast.control_of(member) == {"i:a", "i:b", "i:c", "i:d"}
        assert blast.reach_of(member) == {"r:one", "r:two"}
    assert blast.control_of("i:d") == {"i:d"}
    assert blast.reach_of("i:d") == {"r:two"}


def test_a_long_assumes_chain_is_not_limited_by_recursion() -> None:
    chain = [f"i:{n:05d}" for n in range(5000)]
    graph = build(*(assumes(a, b) for a, b in pairwise(chain)))
    blast = blast_radius(graph)
    assert blast.control_count(chain[0]) == 5000
    assert blast.control_count(chain[2500]) == 2500
    assert blast.controls(chain[0], chain[-1])


# --- reach -----------------------------------------------------------------------------------


def test_reach_is_one_hop_from_the_control_set() -> None:
    graph = build(
        connects("w:web", "w:api"),
        connects("w:api", "w:db"),  # reaching w:api gives none of its edges
        runs_as("w:api", "i:api"),
        can("i:api", "r:secrets"),
    )
    blast = blast_radius(graph)
    assert blast.reach_of("w:web") == {"w:api"}
    assert blast.control_of("w:web") == {"w:web"}
    assert not blast.reaches("w:web", "w:db")
    assert not blast.reaches("w:web", "r:secrets")
    assert blast.reach_of("w:api") == {"w:db", "r:secrets"}


def test_edges_of_every_controlled_node_count_as_reach() -> None:
    graph = build(
        runs_as("w:web", "i:web"),
        assumes("i:web", "i:deployer"),
        connects("w:web", "w:api"),
        can("i:web", "r:config", "get"),
        can("i:deployer", "r:pods", "create"),
        connects("w:web", "n:office"),
    )
    blast = blast_radius(graph)
    assert blast.reach_of("w:web") == {"w:api", "r:config", "r:pods", "n:office"}
    assert blast.reach_count("w:web") == 4
    assert blast.reach_of("i:web") == {"r:config", "r:pods"}
    assert not blast.controls("i:web", "r:pods")  # acting on it is not becoming it


def test_a_node_can_be_both_controlled_and_reached() -> None:
    blast = blast_radius(build(runs_as("w:a", "i:a"), assumes("i:a", "i:b"), can("i:b", "i:a")))
    assert blast.controls("w:a", "i:a")
    assert blast.reaches("w:a", "i:a")


def test_a_node_without_edges_controls_itself_and_reaches_nothing() -> None:
    blast = blast_radius(build(nodes=["w:lonely", "i:unused"]))
    assert blast.control_of("w:lonely") == {"w:lonely"}
    assert blast.reach_of("w:lonely") == frozenset()
    assert (blast.control_count("i:unused"), blast.reach_count("i:unused")) == (1, 0)
    assert blast.possible_reach_of("w:lonely") == frozenset()


def test_self_loops_add_nothing_to_control_and_reach_the_node_itself() -> None:
    blast = blast_radius(build(assumes("i:a", "i:a"), connects("w:a", "w:a")))
    assert blast.control_of("i:a") == {"i:a"}
    assert blast.reach_of("w:a") == {"w:a"}  # its pods talk to each other
    assert blast.reach_of("i:a") == frozenset()


def test_exposure_is_not_part_of_the_blast_radius() -> None:
    exposes = ExposesEdge(
        source="internet", target="w:web", via=(), scope=ExposureScope.PUBLIC, ports=HTTP
    )
    blast = blast_radius(build(exposes, connects("w:web", "w:api")))
    assert blast.reach_of("w:web") == {"w:api"}
    assert "internet" not in blast
    assert "w:web" in blast
    with pytest.raises(KeyError, match="not a workload or identity"):
        blast.reach_of("internet")


def test_unknown_ids_are_refused() -> None:
    blast = blast_radius(build(can("i:a", "r:x")))
    assert blast.subjects == ("i:a",)
    with pytest.raises(KeyError):
        blast.control_of("r:x")
    with pytest.raises(KeyError):
        blast.control_of("i:nope")
    with pytest.raises(KeyError, match="not a node"):
        blast.reaches("i:a", "r:nope")


# --- certain and possible --------------------------------------------------------------------


def test_connects_with_only_unknown_ports_is_a_possible_reach() -> None:
    graph = build(connects("w:a", "w:b"), connects("w:a", "w:c", certain=False))
    blast = blast_radius(graph)
    assert blast.reach_of("w:a") == {"w:b"}
    assert blast.possible_reach_of("w:a") == {"w:c"}
    assert (blast.reach_count("w:a"), blast.possible_reach_count("w:a")) == (1, 1)
    assert not blast.reaches("w:a", "w:c")
    assert blast.may_reach("w:a", "w:c")
    assert blast.may_reach("w:a", "w:b")


def test_certain_reach_by_any_path_is_not_also_possible() -> None:
    graph = build(
        can("i:a", "r:x", MAYBE), assumes("i:a", "i:b"), can("i:b", "r:x"), can("i:a", "r:y", MAYBE)
    )
    blast = blast_radius(graph, is_certain=maybe_not)
    assert blast.reach_of("i:a") == {"r:x"}
    assert blast.possible_reach_of("i:a") == {"r:y"}


def test_a_possible_assumes_makes_possible_control_and_possible_reach() -> None:
    graph = build(runs_as("w:a", "i:a"), assumes("i:a", "i:b", via=MAYBE), can("i:b", "r:x"))
    doubted = blast_radius(graph, is_certain=maybe_not)
    assert doubted.control_of("w:a") == {"w:a", "i:a"}
    assert doubted.possible_control_of("w:a") == {"i:b"}
    assert doubted.possible_control_count("w:a") == 1
    assert not doubted.controls("w:a", "i:b")
    assert doubted.may_control("w:a", "i:b")
    assert doubted.reach_of("w:a") == frozenset()
    assert doubted.possible_reach_of("w:a") == {"r:x"}
    trusted = blast_radius(graph)  # by default every assumes edge is certain
    assert trusted.control_of("w:a") == {"w:a", "i:a", "i:b"}
    assert trusted.possible_reach_of("w:a") == frozenset()


def test_a_cycle_closed_only_by_a_possible_edge_is_possible_control() -> None:
    graph = build(assumes("i:a", "i:b", via=MAYBE), assumes("i:b", "i:a"))
    blast = blast_radius(graph, is_certain=maybe_not)
    assert blast.control_of("i:b") == {"i:a", "i:b"}
    assert blast.control_of("i:a") == {"i:a"}
    assert blast.possible_control_of("i:a") == {"i:b"}
    assert blast.possible_control_of("i:b") == frozenset()


# --- explaining one answer -------------------------------------------------------------------


def steps(path: list[Step] | None) -> list[tuple[str, str, str]] | None:
    return None if path is None else [(s.source, s.type, s.target) for s in path]


def test_shortest_path_names_each_edge_behind_the_reach() -> None:
    graph = build(
        runs_as("w:web", "i:web"),
        assumes("i:web", "i:admin", via="ClusterRoleBinding admin-impersonate"),
        can("i:admin", "r:secrets", "get", "list"),
        assumes("i:web", "i:x"),
        assumes("i:x", "i:admin"),  # a longer way round
    )
    path = shortest_path(graph, "w:web", "r:secrets")
    assert steps(path) == [
        ("w:web", "runs_as", "i:web"),
        ("i:web", "assumes", "i:admin"),
        ("i:admin", "can", "r:secrets"),
    ]
    assert path is not None
    assert path[1].edge == graph.edge("i:web", "i:admin", EdgeType.ASSUMES)
    assert isinstance(path[1].edge, AssumesEdge)
    assert path[1].edge.via == "ClusterRoleBinding admin-impersonate"
    assert isinstance(path[2].edge, CanEdge)
    assert path[2].edge.actions == {"get", "list"}
    assert all(s.certain for s in path)


def test_shortest_path_breaks_ties_by_node_id_whatever_the_insertion_order() -> None:
    edges = [
        assumes("i:start", "i:zed"), assumes("i:start", "i:mid"), assumes("i:start", "i:alpha"),
        can("i:zed", "r:x"), can("i:mid", "r:x"), can("i:alpha", "r:y"),
    ]  # fmt: skip
    for order in (edges, edges[::-1]):
        path = shortest_path(build(*order), "i:start", "r:x")
        assert steps(path) == [("i:start", "assumes", "i:mid"), ("i:mid", "can", "r:x")]


def test_shortest_path_prefers_certain_edges_then_shows_a_possible_path() -> None:
    possible_only = [assumes("i:a", "i:b", via=MAYBE), can("i:b", "r:x")]
    certain_way = [assumes("i:a", "i:c"), assumes("i:c", "i:d"), can("i:d", "r:x")]
    path = shortest_path(build(*possible_only, *certain_way), "i:a", "r:x", is_certain=maybe_not)
    assert steps(path) == [
        ("i:a", "assumes", "i:c"), ("i:c", "assumes", "i:d"), ("i:d", "can", "r:x")
    ]  # fmt: skip
    path = shortest_path(build(*possible_only), "i:a", "r:x", is_certain=maybe_not)
    assert path is not None
    assert [(s.target, s.certain) for s in path] == [("i:b", False), ("r:x", True)]


def test_shortest_path_to_a_possible_connects_is_marked_possible() -> None:
    graph = build(connects("w:a", "w:b", certain=False))
    path = shortest_path(graph, "w:a", "w:b")
    assert path is not None
    assert [(s.type, s.certain) for s in path] == [(EdgeType.CONNECTS, False)]


def test_shortest_path_follows_reach_for_one_hop_only() -> None:
    graph = build(connects("w:a", "w:b"), connects("w:b", "w:c"), runs_as("w:b", "i:b"))
    assert shortest_path(graph, "w:a", "w:c") is None
    assert shortest_path(graph, "w:a", "i:b", kind=PathKind.CONTROL) is None


def test_shortest_path_of_control_ends_on_a_control_edge() -> None:
    graph = build(runs_as("w:a", "i:a"), assumes("i:a", "i:b"), can("i:a", "i:b"))
    control = shortest_path(graph, "w:a", "i:b", kind=PathKind.CONTROL)
    assert steps(control) == [("w:a", "runs_as", "i:a"), ("i:a", "assumes", "i:b")]
    reach = shortest_path(graph, "w:a", "i:b")
    assert steps(reach) == [("w:a", "runs_as", "i:a"), ("i:a", "can", "i:b")]
    assert shortest_path(graph, "w:a", "w:a", kind=PathKind.CONTROL) == []
    assert shortest_path(graph, "w:a", "w:a") is None  # controlled, not reached
    with pytest.raises(KeyError):
        shortest_path(graph, "w:a", "r:nope")


# --- against a plain search ------------------------------------------------------------------

CONTROL_TYPES = (EdgeType.RUNS_AS, EdgeType.ASSUMES)
REACH_TYPES = (EdgeType.CONNECTS, EdgeType.CAN)
Certain = Callable[[Edge], bool]


def plain_search(
    graph: SystemGraph, source: str, certain: Certain
) -> tuple[dict[str, int], set[str]]:
    """Control (with the control-edge distance to each node) and reach of `source`."""
    distance = {source: 0}
    queue = deque([source])
    reach: set[str] = set()
    while queue:
        at = queue.popleft()
        for _, target, key, edge in graph.networkx.out_edges(at, keys=True, data="edge"):
            if not certain(edge):
                continue
            if key in CONTROL_TYPES and target not in distance:
                distance[target] = distance[at] + 1
                queue.append(target)
            elif key in REACH_TYPES:
                reach.add(target)
    return distance, reach


def hops_to_reach(graph: SystemGraph, source: str, target: str, allowed: Certain) -> int:
    """The fewest edges by which `source` reaches `target` over `allowed` edges."""
    distance = plain_search(graph, source, allowed)[0]
    return 1 + min(
        d
        for at, d in distance.items()
        for kind in REACH_TYPES
        if (edge := graph.edge(at, target, kind)) is not None and allowed(edge)
    )


def make_edge(source: str, target: str, edge_type: EdgeType, certain: bool) -> Edge:
    if edge_type is EdgeType.CONNECTS:
        return connects(source, target, certain=certain)
    if edge_type is EdgeType.ASSUMES:
        return assumes(source, target, via="v" if certain else MAYBE)
    if edge_type is EdgeType.CAN:
        return can(source, target, "get" if certain else MAYBE)
    return runs_as(source, target)  # always certain under `maybe_not`


@st.composite
def random_graphs(draw: st.DrawFn) -> SystemGraph:
    kinds = draw(st.lists(st.sampled_from("wwwiiirn"), min_size=1, max_size=10))
    ids = [f"{kind}:{n}" for n, kind in enumerate(kinds)]
    end = st.sampled_from(ids)
    types = st.sampled_from([*CONTROL_TYPES, *REACH_TYPES])
    edges = draw(st.dictionaries(st.tuples(end, end, types), st.booleans(), max_size=40))
    return build(*(make_edge(s, t, k, c) for (s, t, k), c in edges.items()), nodes=ids)


@settings(max_examples=300, deadline=None)
@given(random_graphs())
def test_bitsets_agree_with_a_search_from_every_node(graph: SystemGraph) -> None:
    blast = blast_radius(graph, is_certain=maybe_not)
    assert blast.subjects == tuple(sorted(n for n in graph.networkx if n[0] in "wi"))
    for subject in blast.subjects:
        control, reach = plain_search(graph, subject, maybe_not)
        may_control, may_reach = plain_search(graph, subject, lambda e: True)
        assert blast.control_of(subject) == control.keys()
        assert blast.reach_of(subject) == reach
        assert blast.possible_control_of(subject) == may_control.keys() - control.keys()
        assert blast.possible_reach_of(subject) == may_reach - reach
        assert blast.control_count(subject) == len(control)
        assert blast.possible_reach_count(subject) == len(may_reach - reach)
        for target in graph.networkx:
            assert blast.reaches(subject, target) == (target in reach)
            assert blast.may_control(subject, target) == (target in may_control)


@settings(max_examples=200, deadline=None)
@given(random_graphs())
def test_paths_are_shortest_chained_and_certain_when_the_reach_is(graph: SystemGraph) -> None:
    blast = blast_radius(graph, is_certain=maybe_not)
    for subject in blast.subjects:
        for target in graph.networkx:
            path = shortest_path(graph, subject, target, is_certain=maybe_not)
            if not blast.may_reach(subject, target):
                assert path is None
                continue
            assert path is not None
            assert path[0].source == subject
            assert path[-1].target == target
            assert all(a.target == b.source for a, b in pairwise(path))
            assert [s.type in REACH_TYPES for s in path] == [False] * (len(path) - 1) + [True]
            assert all(s.certain == maybe_not(s.edge) for s in path)
            certain = blast.reaches(subject, target)
            assert all(s.certain for s in path) == certain
            allowed: Certain = maybe_not if certain else lambda e: True
            assert len(path) == hops_to_reach(graph, subject, target, allowed)
