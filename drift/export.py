"""The graph as the outside world reads it: JSON (`design-drift/graph/v1`) and DOT.

The JSON contract is documented in docs/graph.md with a JSON Schema; within v1 fields are
only ever added, never renamed or removed.
"""

from __future__ import annotations

import json
from typing import Any

from drift.model import (
    AssumesEdge,
    CanEdge,
    ConnectsEdge,
    Edge,
    ExposesEdge,
    IdentityNode,
    Misbinding,
    NetworkNode,
    Node,
    ResourceNode,
    SystemGraph,
    WorkloadNode,
    ZoneNode,
)

GRAPH_SCHEMA_ID = "design-drift/graph/v1"


def graph_to_json(graph: SystemGraph) -> dict[str, Any]:
    nodes = sorted(graph.nodes(), key=lambda n: n.id)
    edges = sorted(graph.edges(), key=lambda e: (str(e.type), e.source, e.target))
    out: dict[str, Any] = {
        "schema": GRAPH_SCHEMA_ID,
        "cluster": graph.cluster,
        "nodes": [node_to_json(n) for n in nodes],
        "edges": [edge_to_json(e) for e in edges],
    }
    if graph.misbindings:  # only when there are any: older consumers see the same document
        found = sorted(graph.misbindings, key=lambda m: (m.source, m.target, m.via))
        out["misbindings"] = [misbinding_to_json(m) for m in found]
    return out


def misbinding_to_json(misbinding: Misbinding) -> dict[str, Any]:
    evidence = []
    for item in misbinding.evidence:
        entry: dict[str, Any] = {"text": item.text}
        if item.source is not None:
            entry["source"] = item.source.to_json()
        evidence.append(entry)
    return {
        "source": misbinding.source,
        "target": misbinding.target,
        "via": misbinding.via,
        "reason": misbinding.reason,
        "evidence": evidence,
    }


def dumps_json(graph: SystemGraph) -> str:
    """The JSON text, one node or edge per line: readable, diffable, and fast to write
    (json's C encoder only runs without indentation)."""
    data = graph_to_json(graph)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = [
        "{",
        f'  "schema": {encode(data["schema"])},',
        f'  "cluster": {encode(data["cluster"])},',
    ]
    sections = [name for name in ("nodes", "edges", "misbindings") if name in data]
    for name in sections:
        items, last = data[name], name == sections[-1]
        lines.append(f'  "{name}": [' if items else f'  "{name}": []' + ("" if last else ","))
        lines.extend(f"    {encode(item)}," for item in items[:-1])
        if items:
            lines.append(f"    {encode(items[-1])}")
            lines.append("  ]" + ("" if last else ","))
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_to_json(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.id, "type": str(node.type)}
    if isinstance(node, WorkloadNode):
        out.update(
            namespace=node.namespace,
            name=node.name,
            kind=node.kind,
            serviceAccount=node.service_account,
            labels=dict(sorted(node.labels.items())),
            isolated={"ingress": node.isolated_ingress, "egress": node.isolated_egress},
            automountToken=node.token_automounted,
        )
        if node.source is not None:
            out["source"] = node.source.to_json()
    elif isinstance(node, IdentityNode):
        out.update(kind=node.kind, name=node.name, declared=node.declared)
        if node.namespace is not None:
            out["namespace"] = node.namespace
    elif isinstance(node, NetworkNode):
        out["cidrs"] = list(node.cidrs)
    elif isinstance(node, ResourceNode):
        out["name"] = node.name
        if node.non_resource:
            out["url"] = node.resource
        else:
            out.update(apiGroup=node.api_group, resource=node.resource)
            if node.resource_name is not None:
                out["resourceName"] = node.resource_name
        if node.namespace is not None:
            out["namespace"] = node.namespace
    elif isinstance(node, ZoneNode):
        out.update(kind=node.kind, name=node.name)
        if node.kind == "Namespace":
            out.update(labels=dict(sorted(node.labels.items())), declared=node.declared)
    return out


def edge_to_json(edge: Edge) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(edge.type), "source": edge.source, "target": edge.target}
    if isinstance(edge, ExposesEdge):
        out.update(
            scope=str(edge.scope), ports=edge.ports.to_json(), via=[v.text for v in edge.via]
        )
    if isinstance(edge, ConnectsEdge):
        out["ports"] = edge.ports.to_json()
        if edge.unknown:
            out["unknown"] = edge.unknown.to_json()
            out["reasons"] = list(edge.reasons)
        if edge.evidence:
            out["evidence"] = [e.text for e in edge.evidence]
        if edge.mtls is not None:
            out["mtls"] = str(edge.mtls)
        if edge.authz is not None:
            out["authz"] = str(edge.authz)
        if edge.mesh_ports is not None:
            out["meshPorts"] = edge.mesh_ports.to_json()
        mesh = [e.text for e in (*edge.mtls_evidence, *edge.authz_evidence)]
        if mesh:
            out["meshEvidence"] = list(dict.fromkeys(mesh))
    if isinstance(edge, CanEdge):
        out["verbs"] = sorted(edge.actions)
        out["evidence"] = [e.text for e in edge.evidence]
    if isinstance(edge, AssumesEdge):
        out.update(via=edge.via, certain=edge.certain, unbounded=edge.unbounded)
        out["evidence"] = [e.text for e in edge.evidence]
    return out


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ports_label(edge: ConnectsEdge) -> str:
    def text(ports: Any) -> str:
        return " ".join(f"{p}/{lo}" if lo == hi else f"{p}/{lo}-{hi}" for p, (lo, hi) in ports)

    label = "all" if edge.ports == edge.ports.every() else text(edge.ports)
    if edge.unknown:
        label += f" ?{text(edge.unknown)}"
    return label


def dumps_dot(graph: SystemGraph) -> str:
    """A Graphviz digraph of workloads, address ranges and who may connect to whom."""
    lines = [f"digraph {_dot_quote(graph.cluster)} {{", "  rankdir=LR;"]
    for node in sorted(graph.nodes(), key=lambda n: n.id):
        shape = {
            "workload": "box",
            "identity": "ellipse",
            "network": "cloud",
            "resource": "note",
            "unlisted": "doubleoctagon",
        }.get(str(node.type), "plain")
        lines.append(f"  {_dot_quote(node.id)} [shape={shape}];")
    for edge in sorted(graph.edges(), key=lambda e: (str(e.type), e.source, e.target)):
        attrs = f"label={_dot_quote(str(edge.type))}, style=dashed"
        if isinstance(edge, ConnectsEdge):
            attrs = f"label={_dot_quote(_ports_label(edge))}"
        lines.append(f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
