"""Mesh requirement on an edge whose NetworkPolicy answer is unknown."""

from __future__ import annotations

from builders import graph, wid

from drift.findings import FindingKind
from drift.model import MtlsMode
from drift.ports import PortSet, Protocol
from tests.unit.test_diff import BASE, system
from tests.unit.test_identity_diff import judge, of_kind, with_mesh


def test_a_permissive_destination_on_an_open_question_edge_is_at_least_an_unknown():
    # web -> api on 8080 is designed with mtls: true; whether a NetworkPolicy admits it is
    # unknown (only `unknown` ports), and api is PERMISSIVE there. docs/baseline.md:
    # "the destination's Istio mode must be STRICT on those ports" -- it is not; at the least
    # the answer is unknown. Today the edge is skipped: neither a finding nor an unknown.
    base = BASE.replace(
        "- {from: web, to: api, ports: [{port: 8080}]}",
        "- {from: web, to: api, ports: [{port: 8080}], mtls: true}",
    )
    g = graph(*system())
    p8080 = PortSet.of(Protocol.TCP, 8080)
    with_mesh(
        g,
        wid("web", "front"),
        wid("api", "back"),
        ports=PortSet.empty(),
        unknown=p8080,
        mtls=MtlsMode.PERMISSIVE,
        mesh_ports=p8080,
    )
    result = judge(g, base=base)
    mesh = of_kind(result, FindingKind.UNAUTHENTICATED)
    unknown = [u for u in result.unknowns if u.subjects == ("service:web", "service:api")]
    assert mesh or unknown
