"""Effective RBAC and escalation on third-party manifests (../shared/corpus/k8s).

- kubernetes-goat: ClusterRoleBinding `superadmin` gives kube-system/superadmin the built-in
  cluster-admin; `belong-to-us` binds the `*`/`*`/`*` ClusterRole `all-your-base` to
  default/default; the Role `secret-reader` (resources `*`) is bound to a ServiceAccount
  subject without a namespace, which falls back to the binding's.
- argo-cd (applied with `-n argocd`): the application controller's ClusterRole is `*`/`*`/`*`
  plus nonResourceURLs `*`; argocd-server's is `*`/`*` with delete, get and patch.
- Every app of SOURCES.md: its RBAC reads without problems, and every binding resolves
  (Kubernetes' built-in roles included).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from shared_corpus import CORPUS, corpus_path

from drift.collect import ReadOptions
from drift.k8s.escalation import (
    ANY_GROUP,
    ANY_USER,
    NODE_CREDENTIALS,
    Escalation,
    WorkloadRef,
    by_pair,
    escalations,
)
from drift.k8s.inventory import Inventory, build_inventory
from drift.k8s.rbac import Decision, Rbac, read_rbac
from drift.k8s.subjects import Subject

pytestmark = pytest.mark.corpus

ALLOW, DENY = Decision.ALLOW, Decision.DENY


def load(*paths: Path, namespace: str = "default") -> tuple[Inventory, Rbac]:
    from collectors.kubernetes.manifests import load_manifests

    collection = load_manifests([str(p) for p in paths], ReadOptions(default_namespace=namespace))
    inventory = build_inventory("c", collection.objects)
    problems: list[str] = []
    rbac = read_rbac(inventory, problems)
    assert problems == []
    return inventory, rbac


def reach(found: tuple[Escalation, ...], source: Subject) -> dict[object, Escalation]:
    return {e.target: e for e in by_pair(found) if e.source == source}


SUPERADMIN = Subject.service_account("kube-system", "superadmin")
GOAT_DEFAULT = Subject.service_account("default", "default")
MONOLITH = Subject.service_account("big-monolith", "big-monolith-sa")


@pytest.fixture(scope="module")
def goat() -> tuple[Inventory, Rbac]:
    return load(corpus_path("k8s", "kubernetes-goat"))


def test_goat_superadmin_holds_the_built_in_cluster_admin(goat: tuple[Inventory, Rbac]) -> None:
    _, rbac = goat
    verdict = rbac.allows(
        SUPERADMIN, verb="delete", group="", resource="nodes", namespace=None, name="n"
    )
    assert verdict.decision is ALLOW
    assert [e.text for e in verdict.evidence] == [
        "ClusterRoleBinding superadmin",
        "ClusterRole cluster-admin (built-in, Kubernetes 1.31)",
    ]
    assert rbac.allows_url(SUPERADMIN, verb="get", path="/metrics").decision is ALLOW
    assert rbac.unknowns == ()


def test_goat_default_account_holds_every_resource_but_no_url(goat: tuple[Inventory, Rbac]) -> None:
    _, rbac = goat
    secrets = {"verb": "get", "group": "", "resource": "secrets", "name": "vaultapikey"}
    assert rbac.allows(GOAT_DEFAULT, namespace="big-monolith", **secrets).decision is ALLOW
    verdict = rbac.allows(
        GOAT_DEFAULT, verb="create", group="", resource="pods", namespace="kube-system"
    )
    assert [e.text for e in verdict.evidence] == [
        "ClusterRoleBinding belong-to-us",
        "ClusterRole all-your-base",
    ]
    # all-your-base lists resources only: no non-resource URL.
    assert rbac.allows_url(GOAT_DEFAULT, verb="get", path="/metrics").decision is DENY
    # Another namespace's default account has nothing of it.
    other = Subject.service_account("big-monolith", "default")
    assert rbac.allows(other, namespace="big-monolith", **secrets).decision is DENY


def test_goat_secret_reader_is_bound_in_its_namespace_only(goat: tuple[Inventory, Rbac]) -> None:
    _, rbac = goat
    secrets = {"verb": "list", "group": "", "resource": "secrets"}
    assert rbac.allows(MONOLITH, namespace="big-monolith", **secrets).decision is ALLOW
    assert rbac.allows(MONOLITH, namespace="default", **secrets).decision is DENY
    assert (
        rbac.allows(
            MONOLITH, verb="create", group="", resource="pods", namespace="big-monolith"
        ).decision
        is DENY
    )


def test_goat_default_account_escalates_to_superadmin_and_everything(
    goat: tuple[Inventory, Rbac],
) -> None:
    inventory, rbac = goat
    found = escalations(inventory, rbac)
    reached = reach(found, GOAT_DEFAULT)
    assert reached[SUPERADMIN].certain and reached[SUPERADMIN].unbounded
    assert "create pods in every namespace" in reached[SUPERADMIN].via.split("; ")
    assert reached[ANY_USER].certain and reached[ANY_GROUP].unbounded
    assert reached[NODE_CREDENTIALS].certain
    home = WorkloadRef(
        kind="Deployment", namespace="default", name="kubernetes-goat-home-deployment"
    )
    assert reached[home].certain  # exec
    # superadmin reaches every account the input knows, default/default among them.
    assert reach(found, SUPERADMIN)[GOAT_DEFAULT].certain


def test_goat_monolith_reader_reaches_only_uncertain_exec(goat: tuple[Inventory, Rbac]) -> None:
    inventory, rbac = goat
    reached = reach(escalations(inventory, rbac), MONOLITH)
    # get on `*` includes pods/exec: a WebSocket exec on API servers before 1.35.
    assert set(reached) == {
        WorkloadRef(kind="Deployment", namespace="big-monolith", name="hunger-check-deployment")
    }
    assert not any(e.certain for e in reached.values())


def test_goat_privileged_workloads_give_default_node_credentials(
    goat: tuple[Inventory, Rbac],
) -> None:
    inventory, rbac = goat
    assert any(w.privileged for w in inventory.workloads)
    assert any(w.host_path for w in inventory.workloads)
    node = reach(escalations(inventory, rbac), GOAT_DEFAULT)[NODE_CREDENTIALS]
    assert "which has a privileged container" in node.via


CONTROLLER = Subject.service_account("argocd", "argocd-application-controller")
SERVER = Subject.service_account("argocd", "argocd-server")


@pytest.fixture(scope="module")
def argo() -> tuple[Inventory, Rbac]:
    return load(corpus_path("k8s", "argo-cd"), namespace="argocd")


def test_argo_application_controller_is_cluster_admin_equivalent(
    argo: tuple[Inventory, Rbac],
) -> None:
    inventory, rbac = argo
    verdict = rbac.allows(
        CONTROLLER,
        verb="escalate",
        group="rbac.authorization.k8s.io",
        resource="clusterroles",
        namespace=None,
        name="x",
    )
    assert verdict.decision is ALLOW
    assert verdict.evidence[0].text == "ClusterRoleBinding argocd-application-controller"
    assert rbac.allows_url(CONTROLLER, verb="delete", path="/anything").decision is ALLOW
    reached = reach(escalations(inventory, rbac), CONTROLLER)
    assert reached[ANY_USER].unbounded and reached[ANY_USER].certain
    assert reached[SERVER].certain


def test_argo_server_patches_workloads_everywhere_and_reaches_kubelets(
    argo: tuple[Inventory, Rbac],
) -> None:
    inventory, rbac = argo
    patch = {"verb": "patch", "group": "apps", "resource": "deployments", "name": "x"}
    assert rbac.allows(SERVER, namespace="kube-system", **patch).decision is ALLOW
    assert (
        rbac.allows(
            SERVER, verb="create", group="apps", resource="deployments", namespace="kube-system"
        ).decision
        is DENY
    )
    reached = reach(escalations(inventory, rbac), SERVER)
    assert reached[CONTROLLER].certain  # patching its StatefulSet's pod template
    assert "create or update statefulsets in every namespace" in reached[CONTROLLER].via.split("; ")
    # get on `*` covers nodes/proxy: the kubelet API, which runs commands in any pod.
    assert reached[NODE_CREDENTIALS].certain


def sources_apps() -> list[str]:
    """The `k8s/<app>` sections of SOURCES.md ("missing" without the corpus)."""
    sources = CORPUS / "SOURCES.md"
    if not sources.exists():
        return ["missing"]
    return re.findall(r"^## k8s/([\w.-]+)", sources.read_text(), flags=re.MULTILINE)


def input_sets(app: str) -> list[Path]:
    """What loads as one set: leaf folders; the recipes are one scenario per file (file 11
    holds two versions of one policy on purpose, a conflict the collector refuses)."""
    root = corpus_path("k8s", app)
    if app == "network-policy-recipes":
        return sorted(p for p in root.glob("*.yaml") if not p.name.startswith("11-"))
    folders = [p for p in [root, *root.rglob("*")] if p.is_dir()]
    return [p for p in folders if not any(c.is_dir() for c in p.iterdir())]


@pytest.mark.parametrize("app", sources_apps())
def test_every_corpus_apps_rbac_reads_and_resolves(app: str) -> None:
    for path in input_sets(app):
        inventory, rbac = load(path)
        assert rbac.unknowns == (), path
        escalations(inventory, rbac)  # computes without error
