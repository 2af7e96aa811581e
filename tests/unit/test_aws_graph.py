"""AWS joined to the model: IAM principals, role trust as `assumes`, what principals may do
with buckets, and the IRSA bridge from a ServiceAccount to a role — so a pod's blast radius
runs from the cluster into the account."""

from __future__ import annotations

import json
from typing import Any

from builders import deployment, inventory, namespace

from drift.aws.bucket_nodes import EVERY_BUCKET
from drift.aws.documents import read_aws_documents
from drift.aws.graph import add_aws
from drift.blast import blast_radius
from drift.build import build_graph
from drift.diff.radius import is_certain
from drift.model import AssumesEdge, CanEdge, EdgeType, SystemGraph

ACCOUNT = "123456789012"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
REPORTS = f"arn:aws:iam::{ACCOUNT}:role/reports"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"


def role(name: str, trust: list[dict[str, Any]], policy: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "RoleId": f"AROA{name.upper()}",
        "Path": "/",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
        "RolePolicyList": [
            {"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": policy}}
        ],
        "AttachedManagedPolicies": [],
        "InstanceProfileList": [],
        "Tags": [],
    }


def irsa_trust(sub: str, operator: str = "StringEquals") -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {operator: {f"{ISSUER}:sub": sub, f"{ISSUER}:aud": "sts.amazonaws.com"}},
        }
    ]


def account(*roles: dict[str, Any]) -> Any:
    details = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": list(roles),
        "Policies": [],
    }
    return read_aws_documents([("details.json", json.loads(json.dumps(details)))])


def cluster(annotation: str | None = None) -> tuple[Any, SystemGraph]:
    sa: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "reporter", "namespace": "shop"},
    }
    if annotation:
        sa["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": annotation}
    inv = inventory(
        namespace("shop"), sa, deployment("reporter", namespace="shop", service_account="reporter")
    )
    return inv, build_graph(inv)


READ_REPORTS = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]
SA = "k8s:c/shop/ServiceAccount/reporter"
POD = "k8s:c/shop/Deployment/reporter"


def test_an_annotated_service_account_the_trust_admits_reaches_the_bucket_its_role_reads() -> None:
    inv, g = cluster(annotation=REPORTS)
    add_aws(
        g,
        account(role("reports", irsa_trust("system:serviceaccount:shop:reporter"), READ_REPORTS)),
        inv,
    )
    edge = g.edge(SA, REPORTS, EdgeType.ASSUMES)
    assert isinstance(edge, AssumesEdge) and edge.certain
    assert "IRSA" in edge.via and PROVIDER in edge.via
    can = g.edge(REPORTS, "arn:aws:s3:::reports", EdgeType.CAN)
    assert isinstance(can, CanEdge) and can.actions == {"s3:GetObject"}
    assert [e.text for e in can.evidence] == [f"{REPORTS} inline p #0"]
    assert [e.text for e in edge.evidence] == [f"trust policy of {REPORTS} #0"]
    radius = blast_radius(g, is_certain=is_certain)
    assert radius.controls(POD, REPORTS)
    assert radius.reaches(POD, "arn:aws:s3:::reports")


def test_without_the_annotation_the_trust_alone_is_a_possible_path() -> None:
    inv, g = cluster()
    add_aws(
        g,
        account(
            role("reports", irsa_trust("system:serviceaccount:shop:*", "StringLike"), READ_REPORTS)
        ),
        inv,
    )
    edge = g.edge(SA, REPORTS, EdgeType.ASSUMES)
    assert isinstance(edge, AssumesEdge) and not edge.certain
    radius = blast_radius(g, is_certain=is_certain)
    assert not radius.reaches(POD, "arn:aws:s3:::reports")
    assert radius.may_reach(POD, "arn:aws:s3:::reports")


def test_an_annotation_the_trust_does_not_honour_is_no_edge_and_a_note() -> None:
    inv, g = cluster(annotation=REPORTS)
    other = irsa_trust("system:serviceaccount:billing:exporter")
    add_aws(g, account(role("reports", other, READ_REPORTS)), inv)
    assert g.edge(SA, REPORTS, EdgeType.ASSUMES) is None
    assert any("annotated with role" in n and "does not admit it" in n for n in g.notes)


def test_role_trust_becomes_assumes_and_a_wildcard_grant_reaches_every_bucket() -> None:
    trusted = [{"Effect": "Allow", "Principal": {"AWS": REPORTS}, "Action": "sts:AssumeRole"}]
    full = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    may_assume = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ADMIN}]
    data = account(
        role("reports", irsa_trust("system:serviceaccount:shop:reporter"), may_assume),
        role("admin", trusted, full),
    )
    inv, g = cluster(annotation=REPORTS)
    add_aws(g, data, inv)
    step = g.edge(REPORTS, ADMIN, EdgeType.ASSUMES)
    assert isinstance(step, AssumesEdge) and step.certain
    every = g.edge(ADMIN, EVERY_BUCKET, EdgeType.CAN)
    assert isinstance(every, CanEdge) and every.actions == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    assert g.edge(REPORTS, EVERY_BUCKET, EdgeType.CAN) is None  # it only names one role
    radius = blast_radius(g, is_certain=is_certain)
    assert radius.reaches(POD, EVERY_BUCKET)  # pod -> account -> reports -> admin -> S3
