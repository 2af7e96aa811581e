"""The `design-drift/graph/v1` JSON contract: schema, order, one edge per pair, partition."""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path

import jsonschema
import pytest
import yaml
from builders import deployment, graph, kube, netpol

from drift.build import build_graph
from drift.export import dumps_dot, dumps_json, graph_to_json
from drift.k8s.inventory import build_inventory
from drift.k8s.kinds import is_modelled
from drift.model import ConnectsEdge, GraphError, NetworkNode, NodeType
from drift.ports import PortSet

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "graph-v1.schema.json").read_text())
EXAMPLE = ROOT / "examples" / "online-shop" / "manifests"


def example_docs() -> list[dict]:
    docs = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return [d for d in docs if is_modelled(d["apiVersion"].rpartition("/")[0], d["kind"])]


def example_json(docs: list[dict]) -> dict:
    objects = [kube(d, index=i) for i, d in enumerate(docs)]
    for obj in objects:  # the source is where a document was; keep it fixed under shuffling
        object.__setattr__(obj, "source", obj.source.__class__(file=obj.name, document=0))
    return graph_to_json(build_graph(build_inventory("default", objects)))


def test_example_graph_validates_against_the_published_schema() -> None:
    output = example_json(example_docs())
    jsonschema.validate(output, SCHEMA)
    assert output["schema"] == "design-drift/graph/v1"
    types = {n["type"] for n in output["nodes"]}
    assert types == {"workload", "identity", "network", "unlisted", "zone"}


def test_nodes_are_sorted_by_id_and_edges_by_type_source_target() -> None:
    output = example_json(example_docs())
    ids = [n["id"] for n in output["nodes"]]
    keys = [(e["type"], e["source"], e["target"]) for e in output["edges"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_output_does_not_depend_on_document_order() -> None:
    docs = example_docs()
    expected = example_json(docs)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = docs[:]
        rng.shuffle(shuffled)
        assert example_json(shuffled) == expected


def test_a_second_connects_edge_for_one_pair_is_refused() -> None:
    g = graph(deployment("a"))
    with pytest.raises(GraphError):
        g.add_edge(
            ConnectsEdge(
                source="k8s:c/default/Deployment/a",
                target="k8s:c/default/Deployment/a",
                ports=PortSet.every(),
            )
        )


def test_network_nodes_partition_the_address_space() -> None:
    g = graph(
        deployment("a"),
        netpol(
            "out",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]},
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.1.0/24"]}}]},
                    {"to": [{"ipBlock": {"cidr": "fd00::/8"}}]},
                ],
            },
        ),
    )
    nets = [
        ipaddress.ip_network(c)
        for n in g.nodes(NodeType.NETWORK)
        if isinstance(n, NetworkNode)
        for c in n.cidrs
    ]
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), (a, b)  # type: ignore[arg-type]
    v4 = sum(n.num_addresses for n in nets if n.version == 4)
    v6 = sum(n.num_addresses for n in nets if n.version == 6)
    assert (v4, v6) == (2**32, 2**128)


def test_json_text_and_dot_render_the_same_graph() -> None:
    g = graph(deployment("a"), deployment("b"))
    assert json.loads(dumps_json(g)) == graph_to_json(g)
    dot = dumps_dot(g)
    assert dot.startswith('digraph "c" {')
    assert '"k8s:c/default/Deployment/a" -> "k8s:c/default/Deployment/b" [label="all"];' in dot
