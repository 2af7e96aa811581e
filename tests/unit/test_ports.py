"""PortSet algebra is exact: checked against plain Python sets of (protocol, port)."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from drift.ports import PortSet, Protocol

SMALL_MAX = 40  # small ports keep the reference sets cheap while covering edges and overlaps

intervals = st.tuples(st.integers(1, SMALL_MAX), st.integers(0, 6)).map(
    lambda t: (t[0], min(SMALL_MAX, t[0] + t[1]))
)
port_sets = st.dictionaries(
    st.sampled_from(list(Protocol)), st.lists(intervals, max_size=5), max_size=3
).map(PortSet)


def members(ports: PortSet) -> set[tuple[Protocol, int]]:
    return {(p, n) for p, (lo, hi) in ports for n in range(lo, hi + 1)}


@given(port_sets, port_sets)
def test_union_intersection_difference_match_set_semantics(a: PortSet, b: PortSet) -> None:
    assert members(a | b) == members(a) | members(b)
    assert members(a & b) == members(a) & members(b)
    assert members(a - b) == members(a) - members(b)


@given(port_sets)
def test_intervals_are_sorted_disjoint_and_not_adjacent(a: PortSet) -> None:
    for protocol in a.protocols:
        ivs = a.intervals(protocol)
        assert ivs, "a protocol with nothing admitted is omitted"
        for (_, hi), (lo, _) in itertools.pairwise(ivs):
            assert lo > hi + 1


@given(port_sets, port_sets)
def test_equal_sets_are_equal_values_and_hash_alike(a: PortSet, b: PortSet) -> None:
    if members(a) == members(b):
        assert a == b and hash(a) == hash(b)
    else:
        assert a != b


@given(port_sets)
def test_json_round_trip(a: PortSet) -> None:
    assert PortSet.from_json(a.to_json()) == a


def test_every_is_all_ports_of_all_protocols() -> None:
    assert PortSet.every().to_json() == {p: [[1, 65535]] for p in ("SCTP", "TCP", "UDP")}


def test_difference_splits_a_range() -> None:
    ports = PortSet.of(Protocol.TCP, 8000, 8100) - PortSet.of(Protocol.TCP, 8080)
    assert ports.to_json() == {"TCP": [[8000, 8079], [8081, 8100]]}
    assert (Protocol.TCP, 8080) not in ports and (Protocol.TCP, 8081) in ports


def test_out_of_range_interval_is_refused() -> None:
    for bad in ([(0, 10)], [(10, 70000)], [(20, 10)]):
        try:
            PortSet({Protocol.TCP: bad})
        except ValueError:
            continue
        raise AssertionError(f"{bad} was accepted")
