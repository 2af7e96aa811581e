"""Helpers for tests judging AWS documents against a design: build, check, propose."""

from __future__ import annotations

from typing import Any

from aws_builders import ACCOUNT, details, read

from drift.aws.graph import add_aws
from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.diff.check import check
from drift.findings import CheckResult
from drift.model import SystemGraph


def aws_graph(*documents: dict[str, Any]) -> SystemGraph:
    graph = SystemGraph(cluster="c")
    add_aws(graph, read(*documents))
    return graph


def checked(design: str, graph: SystemGraph) -> CheckResult:
    return check(parse_baseline(design.encode(), "design.yaml"), graph, source="test")


def proposed_and_checked(graph: SystemGraph) -> CheckResult:
    """propose -> parse -> check: must load and find nothing."""
    return checked(propose(graph, source="test"), graph)


def header(body: str) -> str:
    return (
        "apiVersion: design-drift/v1\nkind: Baseline\n"
        'metadata: {name: x, version: "1"}\ncluster: c\n' + body
    )


__all__ = ["ACCOUNT", "aws_graph", "checked", "details", "header", "proposed_and_checked"]
