"""The monitor's ClusterRole grants exactly what the live collector asks of the API server:
`list`, cluster-wide, on each modelled kind it finds through discovery. Nothing more (no
Secrets, no writes, no wildcards), nothing less (no scope would be forbidden)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fakeapi import FakeApiServer
from fakeapi.resources import BUILTIN_KINDS

from collectors.kubernetes.live import LiveCollector
from drift.collect import ReadOptions, ScopeStatus
from drift.k8s.kinds import MODELLED_KINDS, SECRET
from tests.deploy.kustomize import KUBERNETES, ROOT

CLUSTER_ROLE = KUBERNETES / "base" / "clusterrole.yaml"
BINDING = KUBERNETES / "base" / "clusterrolebinding.yaml"
DOGFOOD = ROOT / "baselines" / "design-drift.yaml"
# The version a custom resource is served at in the fake; any served version will do.
CRD_VERSIONS = {
    "cilium.io": "v2",
    "crd.projectcalico.org": "v1",
    "projectcalico.org": "v3",
    "policy.networking.k8s.io": "v1alpha1",
}
# What each project's CustomResourceDefinition registers (`kubectl api-resources`).
REGISTERED_PLURALS = {
    ("cilium.io", "CiliumNetworkPolicy"): "ciliumnetworkpolicies",
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicies",
    ("crd.projectcalico.org", "NetworkPolicy"): "networkpolicies",
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): "globalnetworkpolicies",
    ("projectcalico.org", "NetworkPolicy"): "networkpolicies",
    ("projectcalico.org", "GlobalNetworkPolicy"): "globalnetworkpolicies",
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): "adminnetworkpolicies",
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): "baselineadminnetworkpolicies",
    ("gateway.networking.k8s.io", "GatewayClass"): "gatewayclasses",
    ("gateway.networking.k8s.io", "Gateway"): "gateways",
    ("gateway.networking.k8s.io", "HTTPRoute"): "httproutes",
    ("gateway.networking.k8s.io", "GRPCRoute"): "grpcroutes",
    ("gateway.networking.k8s.io", "TLSRoute"): "tlsroutes",
    ("gateway.networking.k8s.io", "TCPRoute"): "tcproutes",
    ("gateway.networking.k8s.io", "UDPRoute"): "udproutes",
    ("gateway.networking.k8s.io", "ReferenceGrant"): "referencegrants",
    ("networking.istio.io", "Gateway"): "gateways",
    ("networking.istio.io", "VirtualService"): "virtualservices",
    ("security.istio.io", "PeerAuthentication"): "peerauthentications",
    ("security.istio.io", "AuthorizationPolicy"): "authorizationpolicies",
}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind"}

Grants = dict[tuple[str, str], set[str]]


def grants(rules: list[dict[str, Any]]) -> Grants:
    """(API group, resource) -> verbs, from RBAC rules (or the baseline's permission rules)."""
    out: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for rule in rules:
        for group in rule.get("apiGroups", [""]):
            for resource in rule["resources"]:
                out[group, resource] |= set(rule["verbs"])
    return dict(out)


def cluster_role() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CLUSTER_ROLE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def every_kind_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeApiServer]:
    """A cluster serving every modelled kind (the built-in ones, and each custom resource
    installed), so the collector lists every kind it knows."""
    with FakeApiServer(tmp_path_factory.mktemp("empty")) as server:
        served = {(r.group, r.kind) for r in server.cluster.resources()}
        for group, kind in sorted(MODELLED_KINDS - served):
            server.cluster.install(group, CRD_VERSIONS.get(group, "v1"), kind)
        yield server


def collector_requests(server: FakeApiServer) -> Grants:
    """What one collection asked for, as RBAC sees it: (group, resource) -> verbs."""
    server.reset()
    collection = LiveCollector(kubeconfig=str(server.kubeconfig)).collect(ReadOptions())
    assert {o.status for o in collection.outcomes} == {ScopeStatus.OK}
    assert {r.method for r in server.requests} == {"GET"}
    asked: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for request in server.requests:
        parts = request.path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 3:  # /api/v1/<plural>
            asked["", parts[2]].add("list")
        elif parts[0] == "apis" and len(parts) == 4:  # /apis/<group>/<version>/<plural>
            asked[parts[1], parts[3]].add("list")
        else:  # discovery: /api, /apis, /api/v1, /apis/<group>/<version> (system:discovery)
            assert len(parts) <= 3, f"unexpected request {request.path}"
    return dict(asked)


def test_the_cluster_role_grants_exactly_what_the_collector_lists(
    every_kind_installed: FakeApiServer,
) -> None:
    asked = collector_requests(every_kind_installed)

    assert len(asked) == len(MODELLED_KINDS)  # one list per kind, every kind read
    assert grants(cluster_role()["rules"]) == asked


def test_the_cluster_role_grants_no_secret_no_write_and_no_wildcard() -> None:
    rules = cluster_role()["rules"]
    granted = grants(rules)

    assert SECRET not in MODELLED_KINDS
    assert not [key for key in granted if key[1] == "secrets"]
    assert set().union(*granted.values()) == {"list"}
    assert not set().union(*granted.values()) & WRITE_VERBS
    assert all("*" not in v for rule in rules for k, v in rule.items() if isinstance(v, list))
    assert all(set(rule) == {"apiGroups", "resources", "verbs"} for rule in rules), (
        "no resourceNames or nonResourceURLs: the collector lists whole kinds, and discovery "
        "is every caller's through system:discovery"
    )


def test_the_binding_gives_the_role_to_the_monitors_service_account_only() -> None:
    binding = yaml.safe_load(BINDING.read_text(encoding="utf-8"))

    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": cluster_role()["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "design-drift", "namespace": "design-drift"}
    ]


def test_the_dogfood_baseline_permits_its_identity_exactly_the_cluster_role() -> None:
    """`drift check` flags what the live RBAC grants beyond the design; this pins the other
    direction, so the design never approves more than the monitor holds."""
    baseline = yaml.safe_load(DOGFOOD.read_text(encoding="utf-8"))
    rules = baseline["permissions"]["design-drift"]

    assert all(rule.get("clusterWide") is True for rule in rules)
    assert grants(rules) == grants(cluster_role()["rules"])
    assert "trust" not in baseline
    assert baseline["services"]["design-drift"]["identity"] == "design-drift"


def test_the_fake_serves_custom_resources_under_the_plurals_their_projects_register(
    every_kind_installed: FakeApiServer,
) -> None:
    """The fake names a custom resource by English rules; RBAC needs the plural its CRD
    registers. A kind added to MODELLED_KINDS needs its real plural here."""
    served = {(r.group, r.kind): r.plural for r in every_kind_installed.cluster.resources()}
    custom = {gk: served[gk] for gk in MODELLED_KINDS if not is_builtin(gk)}

    assert custom == REGISTERED_PLURALS


def is_builtin(group_kind: tuple[str, str]) -> bool:
    return group_kind in BUILTIN_KINDS
