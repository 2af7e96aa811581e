"""The `can` edges of data stores against the evaluator asked about every principal, action
and resource (no short cuts): the index and the edges left to "every resource" lose nothing."""

from __future__ import annotations

import pytest
from shared_corpus import corpus_path

from drift.aws.bucket_nodes import BUCKET_ACTIONS, EVERY_BUCKET
from drift.aws.data_access import STORES
from drift.aws.documents import AwsInput, read_aws_files
from drift.aws.graph import add_aws
from drift.aws.iam import Decision, Evaluator
from drift.model import CanEdge, EdgeType, NodeType, ResourceNode, SystemGraph

pytestmark = pytest.mark.corpus


def request(node: ResourceNode) -> tuple[str, tuple[str, ...], str | None]:
    """What a node asks, its actions, and the node standing for every resource of its kind."""
    wild = node.id.replace("*", "#any#").replace("?", "#")
    if node.api_group == "s3":
        bucket = "arn:aws:s3:::#every-bucket#" if node.id == EVERY_BUCKET else wild
        return f"{bucket}/#any-object#", BUCKET_ACTIONS, EVERY_BUCKET
    (store,) = [s for s in STORES if s.service == node.api_group]
    return wild, store.actions, store.every


def brute_force_agrees(data: AwsInput) -> None:
    graph = SystemGraph(cluster="c")
    add_aws(graph, data)
    evaluator = Evaluator(data)
    principals = [*data.users, *data.roles]
    for node in graph.nodes(NodeType.RESOURCE):
        assert isinstance(node, ResourceNode)
        asked, actions, every = request(node)
        for principal in principals:
            edge = graph.edge(principal, node.id, EdgeType.CAN)
            drawn = edge.actions if isinstance(edge, CanEdge) else frozenset()
            wide = graph.edge(principal, every, EdgeType.CAN) if every else None
            said_by_every = wide.actions if isinstance(wide, CanEdge) else frozenset()
            wild = node.id != every and any(c in node.id.split(":", 5)[-1] for c in "*?")
            for action in actions:
                allowed = evaluator.can(principal, action, asked).decision is Decision.ALLOW
                if action in drawn:
                    assert allowed, (principal, action, node.id)
                elif allowed:
                    assert wild and action in said_by_every, (principal, action, node.id)


def test_the_vulnerable_account() -> None:
    path = corpus_path("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
    brute_force_agrees(read_aws_files([path]))


def test_every_cloudgoat_scenario() -> None:
    root = corpus_path("aws", "cloudgoat")
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [folder / "iam-authorization-details.json"]
        files += [f for f in [folder / "resource-policies.json"] if f.exists()]
        brute_force_agrees(read_aws_files(files))
