"""Building the AWS part of the graph from in-code IAM documents, and reading its escalation
edges back, for the escalation tests."""

from __future__ import annotations

from typing import Any

from aws_builders import ACCOUNT, arn, details, doc, read, role, stmt, user

from drift.aws.graph import add_aws
from drift.model import AssumesEdge, EdgeType, SystemGraph

ADMIN = f"aws-admin:{ACCOUNT}"
P = arn("user", "p")
T = arn("role", "t")
V = arn("user", "v")


def model(*documents: dict[str, Any]) -> SystemGraph:
    graph = SystemGraph(cluster="c")
    add_aws(graph, read(*documents))
    return graph


def of_user(
    *statements: dict[str, Any], roles: list[Any] | None = None, **more: Any
) -> SystemGraph:
    """User `p` with one inline policy of `statements`, role `t` (trusting EC2) and user `v`."""
    return model(
        details(
            users=[user("p", inline={"p": doc(*statements)}, **more), user("v")],
            roles=roles if roles is not None else [role("t")],
        )
    )


def assumes(graph: SystemGraph, source: str, target: str) -> AssumesEdge | None:
    edge = graph.edge(source, target, EdgeType.ASSUMES)
    assert edge is None or isinstance(edge, AssumesEdge)
    return edge


def from_(graph: SystemGraph, source: str) -> dict[str, AssumesEdge]:
    """Every assumes edge leaving `source`, by target."""
    found = {}
    for edge in graph.edges(EdgeType.ASSUMES):
        if isinstance(edge, AssumesEdge) and edge.source == source:
            found[edge.target] = edge
    return found


def evidence(edge: AssumesEdge | None) -> list[str]:
    assert edge is not None
    return [e.text for e in edge.evidence]


def trusting(*principals: str, name: str = "t", **more: Any) -> dict[str, Any]:
    """Role `name` whose trust policy admits the given AWS principals."""
    trust = doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": list(principals)}))
    return role(name, trust=trust, **more)


def service_role(name: str, *services: str, **more: Any) -> dict[str, Any]:
    trust = doc(stmt(action="sts:AssumeRole", resource=None, Principal={"Service": list(services)}))
    return role(name, trust=trust, **more)


def with_profile(found: dict[str, Any]) -> dict[str, Any]:
    name = found["RoleName"]
    found["InstanceProfileList"] = [{"Arn": arn("instance-profile", name)}]
    return found


def scps(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServiceControlPolicies": [
            {
                "AccountId": ACCOUNT,
                "Levels": [
                    {"Target": "r-root", "Policies": [{"Name": "S", "Content": doc(*statements)}]}
                ],
            }
        ]
    }
