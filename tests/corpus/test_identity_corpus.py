"""Identity, privilege and blast radius on third-party manifests: the findings a security
reviewer expects, each with its evidence.

- kubernetes-goat, judged against a design proposed from it with its permissions and trust
  struck out (the design never granted them): the cluster-admin binding and the wildcard role
  bound to `default/default` are critical privilege and trust findings.
- Argo CD: the application controller's wildcard ClusterRole is a privilege the design must
  state; with it stated, nothing.
- Online Boutique's mesh variant: STRICT meets `mtls: strict`; the PERMISSIVE drift sample
  breaks it on every service.
- Bookinfo: the three reviews versions share one ServiceAccount.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from shared_corpus import corpus_path, load_graph

from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.diff.check import check
from drift.export import graph_to_json
from drift.findings import CheckResult, Finding, FindingKind, Severity
from drift.model import SystemGraph

pytestmark = pytest.mark.corpus


def judged(design: str, graph: SystemGraph) -> CheckResult:
    return check(parse_baseline(design.encode(), "design.yaml"), graph, source="corpus")


def without_identity_sections(draft: str) -> str:
    """The draft up to its permissions and trust: a design that granted none."""
    index = draft.find("\npermissions:")
    return draft if index < 0 else draft[: index + 1]


def of_kind(result: CheckResult, kind: FindingKind) -> dict[tuple[str, ...], Finding]:
    return {f.subjects: f for f in result.findings if f.kind is kind}


def evidence_texts(finding: Finding) -> set[str]:
    return {e.text for e in finding.evidence}


# -- kubernetes-goat --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def goat() -> tuple[SystemGraph, str]:
    path = corpus_path("k8s", "kubernetes-goat")
    graph = load_graph(path)
    return graph, propose(graph, source=str(path))


SUPERADMIN = "k8s:c/kube-system/ServiceAccount/superadmin"
DEFAULT = "k8s:c/default/ServiceAccount/default"


def test_goat_proposed_design_finds_nothing(goat: tuple[SystemGraph, str]) -> None:
    graph, draft = goat
    assert judged(draft, graph).findings == ()


def test_goat_cluster_admin_and_the_wildcard_role_are_critical_privilege(
    goat: tuple[SystemGraph, str],
) -> None:
    graph, draft = goat
    result = judged(without_identity_sections(draft), graph)
    privilege = of_kind(result, FindingKind.PRIVILEGE_WIDENED)
    superadmin = privilege[(SUPERADMIN,)]
    assert superadmin.severity is Severity.CRITICAL
    assert {
        "ClusterRoleBinding superadmin",
        "ClusterRole cluster-admin (built-in, Kubernetes 1.31)",  # bound, not in the input
    } <= evidence_texts(superadmin)
    wildcard = privilege[(DEFAULT,)]
    assert wildcard.severity is Severity.CRITICAL
    assert "* * (every API group) in the cluster" in wildcard.detail
    assert {"ClusterRoleBinding belong-to-us", "ClusterRole all-your-base"} <= evidence_texts(
        wildcard
    )
    assert wildcard.location is not None and wildcard.location.file.endswith("pwnchart-rbac.yaml")


def test_goat_both_accounts_can_become_every_identity(goat: tuple[SystemGraph, str]) -> None:
    graph, draft = goat
    trust = of_kind(judged(without_identity_sections(draft), graph), FindingKind.TRUST_RELATION)
    for account in (SUPERADMIN, DEFAULT):
        finding = trust[(account,)]
        assert finding.severity is Severity.CRITICAL  # unbounded: bind, escalate, impersonate
        assert "Node *" in finding.detail  # nodes/proxy: every pod on every node


def test_goat_the_workloads_on_default_reach_everything(goat: tuple[SystemGraph, str]) -> None:
    graph, draft = goat
    jewel = "  hunger-check-deployment:\n"
    design = without_identity_sections(draft).replace(jewel, jewel + "    crownJewel: true\n")
    radius = of_kind(judged(design, graph), FindingKind.BLAST_RADIUS_WIDENED)
    # Every service on default/default can become the crown jewel's account (create pods in
    # its namespace, cluster-wide): compromising any of them gives the crown jewel.
    finding = radius[("service:batch-check-job",)]
    assert finding.severity is Severity.CRITICAL
    assert "ServiceAccount big-monolith/big-monolith-sa" in finding.detail
    assert [step.relation for step in finding.path] == ["runs_as", "assumes"]
    assert finding.path[0].target == DEFAULT
    assert all(step.evidence for step in finding.path)


# -- Argo CD ----------------------------------------------------------------------------------

CONTROLLER = "k8s:c/argocd/ServiceAccount/argocd-application-controller"


def test_argo_cd_controller_wildcard_role_is_a_privilege_the_design_must_state() -> None:
    path = corpus_path("k8s", "argo-cd")
    graph = load_graph(path, namespace="argocd")
    draft = propose(graph, source=str(path))
    assert judged(draft, graph).findings == ()
    result = judged(without_identity_sections(draft), graph)
    finding = of_kind(result, FindingKind.PRIVILEGE_WIDENED)[(CONTROLLER,)]
    assert finding.severity is Severity.CRITICAL
    assert "* * (every API group) in the cluster" in finding.detail
    assert "ClusterRole argocd-application-controller" in evidence_texts(finding)


# -- Online Boutique's mesh -------------------------------------------------------------------


def strict_design(graph: SystemGraph, source: Path) -> str:
    draft = propose(graph, source=str(source))
    marker = "    namespaces: [onlineboutique]\n"
    assert marker in draft
    tightened = draft.replace(
        "    # TIGHTEN: not every pod here is isolated by a NetworkPolicy in both directions; "
        "require defaultDeny once it is\n",
        "",
    )
    return tightened.replace(marker, marker + "    require: {mtls: strict}\n")


def test_online_boutique_strict_meets_the_design_and_permissive_breaks_it() -> None:
    asm = corpus_path("k8s", "online-boutique", "asm-authz")
    strict = load_graph(asm)
    design = strict_design(strict, asm)
    assert of_kind(judged(design, strict), FindingKind.UNAUTHENTICATED) == {}
    permissive = load_graph(
        asm / "online-boutique-asm.yaml",
        corpus_path("k8s", "online-boutique", "drift-samples"),
    )
    found = of_kind(judged(design, permissive), FindingKind.UNAUTHENTICATED)
    assert len(found) == 12
    cart = found[("service:cartservice",)]
    assert cart.detail.startswith("accepts plaintext too (permissive) on TCP 7070 from ")
    assert [e.text for e in cart.evidence] == [
        "PeerAuthentication istio-system/default (PERMISSIVE)"
    ]
    assert cart.clause == "design.yaml:13: zones.onlineboutique.require.mtls"


# -- Bookinfo ---------------------------------------------------------------------------------


def test_bookinfo_reviews_versions_share_one_identity() -> None:
    path = corpus_path("k8s", "bookinfo", "bookinfo.yaml")
    graph = load_graph(path)
    draft = propose(graph, source=str(path))
    assert judged(draft, graph).findings == ()
    # A design giving each reviews version its own identity
    # A design giving the reviews versions an identity of their own each
    design = draft
    for version in ("v1", "v2", "v3"):
        design = design.replace(
            f'workloads: ["Deployment/reviews-{version}"]\n    identity: bookinfo-reviews\n',
            f'workloads: ["Deployment/reviews-{version}"]\n    identity: reviews-{version}\n',
        )
    shared = of_kind(judged(design, graph), FindingKind.SHARED_IDENTITY)
    finding = shared[("k8s:c/default/ServiceAccount/bookinfo-reviews",)]
    assert finding.title == "services reviews-v1, reviews-v2, reviews-v3 share one identity"


# -- the graph contract -----------------------------------------------------------------------


def test_identity_and_mesh_graphs_validate_against_the_published_schema() -> None:
    schema = json.loads((Path(__file__).parents[2] / "docs" / "graph-v1.schema.json").read_text())
    goat = graph_to_json(load_graph(corpus_path("k8s", "kubernetes-goat")))
    jsonschema.validate(goat, schema)
    edge_types = {e["type"] for e in goat["edges"]}
    assert {"can", "assumes", "runs_as"} <= edge_types
    assert any(n["type"] == "resource" and n.get("resource") == "*" for n in goat["nodes"])
    mesh = graph_to_json(load_graph(corpus_path("k8s", "online-boutique", "asm-authz")))
    jsonschema.validate(mesh, schema)
    cart = [
        e
        for e in mesh["edges"]
        if e["type"] == "connects" and e["target"].endswith("/Deployment/cartservice")
    ]
    assert cart and {e["mtls"] for e in cart} == {"strict"}
    assert {e["authz"] for e in cart} >= {"deny"}  # only checkoutservice and frontend may call
