"""Short cuts in drawing `can` edges (drift.aws.grants) never lose an allow: against the
evaluator asked about everything, on an account built to exercise them."""

from __future__ import annotations

from aws_builders import details, doc, read, role, stmt, user
from corpus.test_aws_grants_corpus import brute_force_agrees

from drift.aws.graph import add_aws
from drift.model import CanEdge, EdgeType, SystemGraph

PAY = "arn:aws:s3:::pay*"


def account() -> list[dict]:
    everything = {"p": doc(stmt(action="s3:*", resource="*"))}
    but_pay = {
        "p": doc(
            stmt(action="s3:*", resource="*"),
            stmt(effect="Deny", action="s3:GetObject", resource=f"{PAY}/*"),
        )
    }
    only_pay = {"p": doc(stmt(action="s3:GetObject", resource=f"{PAY}/*"))}
    secrets = {
        "p": doc(
            stmt(action="secretsmanager:GetSecretValue", resource="*"),
            stmt(action="ssm:GetParameter", resource="arn:aws:ssm:*:*:parameter/app/*"),
        )
    }
    return [
        details(
            users=[user("admin", inline=everything), user("careful", inline=but_pay)],
            roles=[role("payer", inline=only_pay), role("reader", inline=secrets)],
        )
    ]


def test_every_allow_is_an_edge_or_said_by_every_resource() -> None:
    brute_force_agrees(read(*account()))


def test_a_deny_on_the_pattern_keeps_its_own_answer() -> None:
    graph = SystemGraph(cluster="c")
    add_aws(graph, read(*account()))
    admin, careful = (f"arn:aws:iam::111122223333:user/{n}" for n in ("admin", "careful"))
    assert graph.edge(admin, PAY, EdgeType.CAN) is None  # all said by every bucket
    # Its Get there is denied, asked and refused; Put and Delete are said by every bucket.
    assert graph.edge(careful, PAY, EdgeType.CAN) is None
    every = graph.edge(careful, "arn:aws:s3:::*", EdgeType.CAN)
    assert isinstance(every, CanEdge) and "s3:PutObject" in every.actions
    payer = graph.edge("arn:aws:iam::111122223333:role/payer", PAY, EdgeType.CAN)
    assert isinstance(payer, CanEdge) and payer.actions == {"s3:GetObject"}
