"""Fidelity of the fake API server, checked with a second, independent client: kubectl.

If kubectl (Go's client-go: discovery, RESTMapper, chunked lists, Status errors) reads the
fake as a cluster, the fake is not merely shaped to fit our own collector.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from builders import deployment, namespace, pod
from fakeapi import FakeApiServer

from collectors.kubernetes.live import LiveCollector
from drift.collect import ReadOptions

KUBECTL = shutil.which("kubectl")
PODS = [("shop", "web-1"), ("shop", "web-2"), ("shop", "api-1"), ("pay", "db-0"), ("pay", "job-x")]
AUTHZ = {
    "apiVersion": "security.istio.io/v1",
    "kind": "AuthorizationPolicy",
    "metadata": {"name": "allow-web", "namespace": "shop"},
    "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["web"]}}]}]},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeApiServer]:
    folder = tmp_path_factory.mktemp("cluster")
    objects = [
        namespace("shop"),
        namespace("pay"),
        deployment("web", {"app": "web", "tier": "front"}, namespace="shop"),
        deployment("api", {"app": "api", "tier": "back"}, namespace="shop"),
        deployment("db", {"app": "db", "tier": "back"}, namespace="pay"),
        *(pod(name, namespace=ns) for ns, name in PODS),
    ]
    (folder / "cluster.yaml").write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    with FakeApiServer(folder) as running:
        running.cluster.put(AUTHZ)  # a CRD the model does not read: served all the same
        running.deny("", "secrets")
        yield running


def kubectl(server: FakeApiServer, *args: str, kubeconfig: Path | None = None) -> tuple[int, str]:
    if KUBECTL is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is missing under CI: the fake's fidelity goes unchecked")
        pytest.skip("kubectl is not installed")
    config = kubeconfig or server.kubeconfig
    cache = config.parent / "kubectl-cache"  # never the user's ~/.kube/cache
    command = [KUBECTL, "--kubeconfig", str(config), "--cache-dir", str(cache), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


def test_chunked_list_of_pods_in_every_namespace(server: FakeApiServer) -> None:
    before = len(server.requests)

    code, out = kubectl(server, "get", "pods", "-A", "--chunk-size=2", "-o", "name")

    assert code == 0, out
    assert sorted(out.split()) == sorted(f"pod/{name}" for _, name in PODS)
    lists = [r for r in server.requests[before:] if r.path == "/api/v1/pods"]
    assert [r.query.get("limit") for r in lists] == ["2"] * 3  # 2 + 2 + 1
    assert [("continue" in r.query) for r in lists] == [False, True, True]


def test_api_resources_lists_builtin_and_custom_resources(server: FakeApiServer) -> None:
    code, out = kubectl(server, "api-resources", "--no-headers")

    assert code == 0, out
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["namespaces"][-3:] == ["v1", "false", "Namespace"]
    assert rows["authorizationpolicies"][-3:] == [
        "security.istio.io/v1",
        "true",
        "AuthorizationPolicy",
    ]
    assert "networkpolicies" in rows and "clusterrolebindings" in rows


def test_custom_resource_list(server: FakeApiServer) -> None:
    code, out = kubectl(
        server, "get", "authorizationpolicies.security.istio.io", "-A", "-o", "json"
    )

    assert code == 0, out
    items = json.loads(out)["items"]
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [
        ("AuthorizationPolicy", "allow-web")
    ]


def test_denied_secrets_show_forbidden(server: FakeApiServer) -> None:
    code, out = kubectl(server, "get", "secrets", "-n", "shop")

    assert code == 1
    assert 'Error from server (Forbidden): secrets is forbidden: User "' in out
    assert 'cannot list resource "secrets" in API group "" in the namespace "shop"' in out


def test_label_and_field_selectors(server: FakeApiServer) -> None:
    selector = "app in (web-1,db-0,api-1),app!=db-0,!missing"
    code, out = kubectl(server, "get", "pods", "-A", "-l", selector, "-o", "name")
    assert (code, sorted(out.split())) == (0, ["pod/api-1", "pod/web-1"])

    code, out = kubectl(
        server, "get", "deploy", "-A", "--field-selector", "metadata.namespace=pay", "-o", "name"
    )
    assert (code, out.split()) == (0, ["deployment.apps/db"])


def test_a_group_not_installed_is_not_found(server: FakeApiServer) -> None:
    code, out = kubectl(server, "get", "--raw", "/apis/cilium.io/v2/ciliumnetworkpolicies")

    assert code == 1
    assert "Error from server (NotFound)" in out


def test_an_unknown_continue_token_has_expired(server: FakeApiServer) -> None:
    stale = base64.urlsafe_b64encode(b'{"snapshot": 999999, "offset": 2}').decode()

    code, out = kubectl(server, "get", "--raw", f"/api/v1/pods?limit=2&continue={stale}")

    assert code == 1
    assert "Error from server (Expired): The provided continue parameter is too old" in out


def test_get_one_object_as_the_server_stores_it(server: FakeApiServer) -> None:
    code, out = kubectl(server, "get", "deployment", "web", "-n", "shop", "-o", "json")

    assert code == 0, out
    served = json.loads(out)
    assert (served["apiVersion"], served["kind"]) == ("apps/v1", "Deployment")
    assert {"uid", "resourceVersion", "creationTimestamp"} <= served["metadata"].keys()


def test_missing_object_is_not_found(server: FakeApiServer) -> None:
    code, out = kubectl(server, "get", "deployment", "nope", "-n", "shop")

    assert code == 1
    assert 'Error from server (NotFound): deployments.apps "nope" not found' in out


def test_writes_are_refused(server: FakeApiServer) -> None:
    code, out = kubectl(server, "delete", "deployment", "web", "-n", "shop")

    assert code == 1
    assert "Forbidden" in out and 'cannot delete resource "deployments"' in out
    assert kubectl(server, "get", "deployment", "web", "-n", "shop", "-o", "name")[0] == 0


def test_wrong_token_is_unauthorized(server: FakeApiServer, tmp_path: Path) -> None:
    bad = server.write_kubeconfig(tmp_path / "kubeconfig", token="not-the-token")

    code, out = kubectl(server, "get", "pods", "-A", kubeconfig=bad)

    assert code == 1
    assert "You must be logged in to the server" in out  # kubectl's words for a 401


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_certificates_made_with_openssl_serve_as_well(tmp_path: Path) -> None:
    """Where `cryptography` is not installed the fake makes its CA with openssl."""
    with FakeApiServer(use_openssl=True) as fallback:
        collection = LiveCollector(kubeconfig=str(fallback.kubeconfig)).collect(ReadOptions())

    assert collection.complete
