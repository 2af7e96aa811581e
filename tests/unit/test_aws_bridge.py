"""The bridge from ServiceAccounts to IAM roles: IRSA and EKS Pod Identity, each by the role's
trust policy; which EKS cluster the graph is; and bindings the trust refuses as misbindings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from builders import deployment, inventory, namespace

from drift.aws.documents import AwsInput, read_aws_documents
from drift.aws.eks import EksInput, PodIdentityAssociation, cluster_arn
from drift.aws.graph import add_aws
from drift.blast import blast_radius
from drift.build import build_graph
from drift.collect import ReadOptions
from drift.diff.radius import is_certain
from drift.export import dumps_json, graph_to_json
from drift.k8s.inventory import Inventory
from drift.model import AssumesEdge, EdgeType, IdentityNode, SystemGraph
from drift.pipeline import collect_manifests, model_of

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
SA = "k8s:c/shop/ServiceAccount/cart"
POD = "k8s:c/shop/Deployment/cart"
PODS = "pods.eks.amazonaws.com"
BUCKET = "arn:aws:s3:::carts"
GRAPH_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "graph-v1.schema.json").read_text()
)


def arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


CART, TARGET = arn("cart"), arn("target", "210987654321")


def role(name: str, *trust: dict[str, Any], account: str = ACCOUNT) -> dict[str, Any]:
    reads = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
    chain = {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}
    return {
        "RoleName": name,
        "Arn": arn(name, account),
        "RoleId": f"AROA{name.upper()}",
        "Path": "/",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(trust)},
        "RolePolicyList": [
            {
                "PolicyName": "p",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [reads, chain]},
            }
        ],
        "AttachedManagedPolicies": [],
        "InstanceProfileList": [],
        "Tags": [],
    }


def pods(actions: Any = ("sts:AssumeRole", "sts:TagSession"), **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"Service": PODS}, "Action": list(actions), **extra}


def association(
    cluster: str = "c", region: str = REGION, ident: str = "a-1", **extra: Any
) -> PodIdentityAssociation:
    fields: dict[str, Any] = {
        "id": ident,
        "cluster": cluster_arn("aws", region, ACCOUNT, cluster),
        "namespace": "shop",
        "service_account": "cart",
        "role": CART,
        "where": f"snapshot: accounts[0].regions.{region}.ec2Network.EksPodIdentityAssociations[0]",
    }
    return PodIdentityAssociation(**(fields | extra))


def data(
    *roles: dict[str, Any],
    associations: tuple[PodIdentityAssociation, ...] = (),
    clusters: tuple[str, ...] = (),
) -> AwsInput:
    details = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": list(roles),
        "Policies": [],
    }
    read = read_aws_documents([("details.json", json.loads(json.dumps(details)))])
    eks = EksInput(clusters=frozenset(clusters), associations=associations)
    return replace(read, eks=eks)


def cluster(annotation: str | None = None) -> tuple[Inventory, SystemGraph]:
    account: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "cart", "namespace": "shop"},
    }
    if annotation:
        account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": annotation}
    inv = inventory(
        namespace("shop"), account, deployment("cart", namespace="shop", service_account="cart")
    )
    return inv, build_graph(inv)


def joined(aws: AwsInput, annotation: str | None = None, **kw: Any) -> SystemGraph:
    inv, g = cluster(annotation)
    add_aws(g, aws, inv, **kw)
    return g


def step(g: SystemGraph, target: str = CART) -> AssumesEdge | None:
    edge = g.edge(SA, target, EdgeType.ASSUMES)
    assert edge is None or isinstance(edge, AssumesEdge)
    return edge


# -- Pod Identity ---------------------------------------------------------------------------


def test_an_association_of_this_cluster_whose_role_trusts_pods_eks_is_a_certain_step() -> None:
    g = joined(data(role("cart", pods()), associations=(association(),)))
    edge = step(g)
    assert edge is not None and edge.certain
    assert "EKS Pod Identity association a-1 of cluster c" in edge.via
    assert edge.evidence[0].text.startswith("Pod Identity association a-1 (")
    assert [e.text for e in edge.evidence[1:]] == [f"trust statement trust policy of {CART} #0"]
    assert g.misbindings == []
    radius = blast_radius(g, is_certain=is_certain)
    assert radius.controls(POD, CART) and radius.reaches(POD, BUCKET)


@pytest.mark.parametrize(
    ("trust", "why"),
    [
        (pods(["sts:AssumeRole"]), f"no statement allows {PODS} sts:TagSession"),
        (
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"},
            f"no statement allows {PODS} sts:AssumeRole; no statement allows {PODS} sts:TagSession",
        ),
        (
            pods(["sts:AssumeRoleWithWebIdentity"]),
            f"no statement allows {PODS} sts:AssumeRole; no statement allows {PODS} sts:TagSession",
        ),
    ],
)
def test_a_role_whose_trust_refuses_pods_eks_is_a_misbinding_and_no_step(
    trust: dict[str, Any], why: str
) -> None:
    g = joined(data(role("cart", trust), associations=(association(),)))
    assert step(g) is None
    (found,) = g.misbindings
    assert (found.source, found.target, found.via) == (SA, CART, "Pod Identity association a-1")
    assert found.reason == why
    assert found.evidence[0].text.startswith("Pod Identity association a-1 (")
    assert any("Pod Identity association a-1 gives ServiceAccount shop/cart" in n for n in g.notes)


def test_a_deny_for_pods_eks_refuses_what_an_allow_grants() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession"}
    g = joined(data(role("cart", pods(), deny), associations=(association(),)))
    assert step(g) is None
    assert g.misbindings[0].reason == f"a Deny forbids {PODS} sts:TagSession"


def test_without_session_tags_assume_role_alone_is_enough() -> None:
    refused = data(role("cart", pods(["sts:AssumeRole"])), associations=(association(),))
    assert step(joined(refused)) is None
    untagged = association(session_tags=False)
    edge = step(joined(replace(refused, eks=EksInput(associations=(untagged,)))))
    assert edge is not None and edge.certain


def test_conditions_in_the_trust_leave_the_step_possible_and_no_misbinding() -> None:
    pinned = pods(Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    g = joined(data(role("cart", pinned), associations=(association(),)))
    edge = step(g)
    assert edge is not None and not edge.certain and g.misbindings == []
    radius = blast_radius(g, is_certain=is_certain)
    assert not radius.reaches(POD, BUCKET) and radius.may_reach(POD, BUCKET)


def test_a_wildcard_principal_admits_pods_eks_too() -> None:
    anyone = {"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole", "sts:TagSession"]}
    edge = step(joined(data(role("cart", anyone), associations=(association(),))))
    assert edge is not None and edge.certain


# -- which cluster ----------------------------------------------------------------------------


def test_an_association_of_another_known_cluster_is_not_this_graphs() -> None:
    other = association(cluster="staging")
    refused = data(role("cart", pods(["sts:AssumeRole"])), associations=(other,), clusters=())
    mine = cluster_arn("aws", REGION, ACCOUNT, "c")
    g = joined(
        replace(
            refused, eks=EksInput(clusters=frozenset({mine, other.cluster}), associations=(other,))
        )
    )
    assert step(g) is None and g.misbindings == []


def test_the_same_cluster_name_in_two_regions_leaves_each_possible() -> None:
    here, there = association(), association(region="us-east-1", ident="a-2")
    g = joined(data(role("cart", pods()), associations=(here, there)))
    edge = step(g)
    assert edge is not None and not edge.certain
    assert "a-1" in edge.via and "a-2" in edge.via  # one edge, both ways named


def test_an_eks_cluster_named_in_the_settings_picks_one_cluster() -> None:
    here, there = association(), association(region="us-east-1", ident="a-2")
    aws = data(role("cart", pods()), associations=(here, there))
    by_arn = step(joined(aws, eks_cluster=here.cluster))
    assert by_arn is not None and by_arn.certain and "a-2" not in by_arn.via
    renamed = replace(aws, eks=EksInput(associations=(association(cluster="prod-eu"),)))
    assert step(joined(renamed)) is not None  # no cluster named c: not known, possible
    assert step(joined(renamed, eks_cluster="prod-us")) is None  # named: prod-eu is another
    named = step(joined(renamed, eks_cluster="prod-eu"))
    assert named is not None and named.certain


def test_when_the_cluster_is_not_known_a_refusing_role_is_no_misbinding() -> None:
    aws = data(role("cart", pods(["sts:AssumeRole"])), associations=(association("prod"),))
    g = joined(aws)
    assert step(g) is None and g.misbindings == [] and g.notes == []


# -- roles not in the input, and target roles -------------------------------------------------


def test_a_role_not_in_the_input_is_a_possible_step_to_an_undeclared_role() -> None:
    g = joined(data(associations=(association(),)))
    edge = step(g)
    assert edge is not None and not edge.certain
    node = g.node(CART)
    assert isinstance(node, IdentityNode) and not node.declared and node.kind == "IAMRole"


def trusts_cart(**extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"AWS": CART},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        **extra,
    }


def test_a_target_role_is_where_the_pods_land_when_its_trust_lets_the_first_role_in() -> None:
    chained = association(target_role=TARGET, external_id="x-1")
    target = role("target", trusts_cart(), account="210987654321")
    g = joined(data(role("cart", pods()), target, associations=(chained,)))
    assert step(g) is None  # the pods never hold the first role
    edge = step(g, TARGET)
    assert edge is not None and edge.certain and f"{CART} then {TARGET}" in edge.via
    needs_id = trusts_cart(Condition={"StringEquals": {"sts:ExternalId": "x-1"}})
    target = role("target", needs_id, account="210987654321")
    g = joined(data(role("cart", pods()), target, associations=(chained,)))
    edge = step(g, TARGET)
    assert edge is not None and edge.certain  # EKS sends the association's external id


def test_a_target_role_that_refuses_the_first_one_is_the_misbinding() -> None:
    chained = association(target_role=TARGET)
    other = {"Effect": "Allow", "Principal": {"AWS": arn("someone")}, "Action": "sts:AssumeRole"}
    target = role("target", other, account="210987654321")
    g = joined(data(role("cart", pods()), target, associations=(chained,)))
    assert step(g) is None and step(g, TARGET) is None
    (found,) = g.misbindings
    assert found.target == TARGET and found.reason.startswith("sts:AssumeRole by ")


# -- IRSA -------------------------------------------------------------------------------------


def irsa(sub: str, operator: str = "StringEquals") -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {operator: {f"{ISSUER}:sub": sub}},
    }


def test_irsa_and_pod_identity_to_one_role_are_one_edge() -> None:
    trust = (irsa("system:serviceaccount:shop:cart"), pods())
    g = joined(data(role("cart", *trust), associations=(association(),)), annotation=CART)
    edge = step(g)
    assert edge is not None and edge.certain
    assert edge.via.startswith("IRSA: ") and "; EKS Pod Identity association a-1" in edge.via


def test_a_negated_sub_condition_is_evaluated_not_guessed() -> None:
    others = irsa("system:serviceaccount:kube-system:*", "StringNotLike")
    edge = step(joined(data(role("cart", others)), annotation=CART))
    assert edge is not None and edge.certain
    mine = irsa("system:serviceaccount:shop:*", "StringNotLike")
    g = joined(data(role("cart", mine)), annotation=CART)
    assert step(g) is None and g.misbindings[0].target == CART


def test_an_irsa_annotation_the_trust_refuses_is_a_misbinding_naming_where_it_is_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "sa.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: cart\n  namespace: shop\n"
        "  annotations:\n    team: shop\n"
        f"    eks.amazonaws.com/role-arn: {CART}\n"
    )
    collection = collect_manifests([str(tmp_path)], ReadOptions())
    wrong = data(role("cart", irsa("system:serviceaccount:billing:exporter")))
    model = model_of(collection, cluster="c", aws=wrong)
    (found,) = model.graph.misbindings
    assert (found.source, found.target) == (SA, CART)
    assert found.via == "annotation eks.amazonaws.com/role-arn"
    assert found.reason == (
        "its trust policy admits web identities system:serviceaccount:billing:exporter, "
        "not system:serviceaccount:shop:cart"
    )
    annotation, trust = found.evidence
    assert annotation.source is not None and annotation.source.line == 8
    assert annotation.source.file.endswith("sa.yaml")
    assert trust.text == f"trust policy of {CART} #0"
    assert any("annotated with role" in n for n in model.graph.notes)  # the note stays


def test_misbindings_are_in_the_graph_json_and_valid_against_its_schema(tmp_path: Path) -> None:
    (tmp_path / "sa.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: cart\n  namespace: shop\n"
        f"  annotations: {{eks.amazonaws.com/role-arn: '{CART}'}}\n"
    )
    collection = collect_manifests([str(tmp_path)], ReadOptions())
    refused = data(role("cart", pods(["sts:AssumeRole"])), associations=(association(),))
    graph = model_of(collection, cluster="c", aws=refused).graph
    output = graph_to_json(graph)
    jsonschema.validate(output, GRAPH_SCHEMA)
    assert json.loads(dumps_json(graph)) == output
    assert [(m["source"], m["via"]) for m in output["misbindings"]] == [
        (SA, "Pod Identity association a-1"),
        (SA, "annotation eks.amazonaws.com/role-arn"),
    ]
    annotation = output["misbindings"][1]["evidence"][0]
    assert annotation["source"]["line"] == 6 and annotation["source"]["file"].endswith("sa.yaml")
    assert "misbindings" not in graph_to_json(joined(data(role("cart", pods()))))
