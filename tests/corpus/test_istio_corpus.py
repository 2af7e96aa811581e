"""Istio's own policy examples, Online Boutique's mesh variant and Bookinfo's HTTP policies.

The corpus files are used as written; where a file leaves out what the mesh needs to be
judged (the workloads a policy selects, a Namespace's injection label), the test writes it
beside the file, as the README or task the file comes from sets it up. Expected answers come
from Istio's documented semantics, not from what the engine says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared_corpus import ONLINE_BOUTIQUE_APPS, corpus_path

from collectors.kubernetes.manifests import load_manifests
from drift.collect import ReadOptions
from drift.k8s.inventory import build_inventory
from drift.k8s.istio_injection import Dataplane
from drift.k8s.istio_policies import AUTHORIZATION_POLICY, PEER_AUTHENTICATION
from drift.k8s.istio_security import AuthzAnswer, MeshModel, build_mesh_model
from drift.k8s.workloads import Workload
from drift.model import MtlsMode
from drift.ports import PortSet, Protocol

pytestmark = pytest.mark.corpus

BOUTIQUE = ONLINE_BOUTIQUE_APPS


def load(*paths: Path) -> tuple[MeshModel, dict[str, Workload]]:
    collection = load_manifests([str(p) for p in paths], ReadOptions(default_namespace="default"))
    inventory = build_inventory("c", collection.objects)
    return build_mesh_model(inventory), {w.name: w for w in inventory.workloads}


def written(tmp_path: Path, *docs: Mapping[str, Any]) -> Path:
    path = tmp_path / "setup.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def namespace(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def app(name: str, namespace: str, labels: Mapping[str, str], account: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"serviceAccountName": account, "containers": [{"name": "c"}]},
            },
        },
    }


def state(answer: AuthzAnswer, port: int) -> str:
    (found,) = [
        n for n in ("admitted", "denied", "unknown") if (Protocol.TCP, port) in getattr(answer, n)
    ]
    return found


# -- istio/istio's validation examples ------------------------------------------------------


EXAMPLES = ("k8s", "istio-security-examples")


def test_every_istio_example_reads_without_a_problem() -> None:
    files = sorted(corpus_path(*EXAMPLES).glob("*.yaml"))
    assert len(files) == 8
    read: Counter[str] = Counter()
    for path in files:
        model, _ = load(path)  # a problem in any file raises ManifestError
        assert not model.notes, path
        for kind in (PEER_AUTHENTICATION, AUTHORIZATION_POLICY):
            read[kind[1]] += len(model.inventory.of_kind(kind))
    assert read == {"PeerAuthentication": 2, "AuthorizationPolicy": 2}


@pytest.fixture
def httpbin(tmp_path: Path) -> tuple[MeshModel, dict[str, Workload]]:
    """The v1 examples beside the workloads they name: httpbin v1 and sleep in `default`, a
    caller in namespace `test`, all injected."""
    setup = written(
        tmp_path,
        namespace("default", {"istio-injection": "enabled"}),
        namespace("test", {"istio-injection": "enabled"}),
        app("httpbin", "default", {"app": "httpbin", "version": "v1"}, "httpbin"),
        app("sleep", "default", {"app": "sleep"}, "sleep"),
        app("other", "default", {"app": "other"}, "other"),
        app("tester", "test", {"app": "tester"}, "tester"),
    )
    return load(
        corpus_path(*EXAMPLES, "security-v1-PeerAuthentication.yaml"),
        corpus_path(*EXAMPLES, "security-v1-AuthorizationPolicy.yaml"),
        setup,
    )


def test_the_example_peer_authentication_is_strict_on_8080_only(httpbin: Any) -> None:
    model, w = httpbin
    mtls = model.mtls(w["httpbin"])
    assert mtls.mode(8080) is MtlsMode.STRICT
    assert mtls.mode(80) is MtlsMode.PERMISSIVE
    assert model.mtls(w["sleep"]).default is MtlsMode.PERMISSIVE  # not selected


def test_the_example_authorization_policy_needs_http_for_the_callers_it_names(httpbin: Any) -> None:
    model, w = httpbin
    # sleep's principal and namespace test match; methods, paths and the JWT claim are HTTP.
    assert state(model.authz(w["sleep"], w["httpbin"]), 8080) == "unknown"
    assert state(model.authz(w["tester"], w["httpbin"]), 80) == "unknown"
    # Anyone else matches no source: the ALLOW policy denies.
    assert state(model.authz(w["other"], w["httpbin"]), 8080) == "denied"
    outside = model.authz(None, w["httpbin"])
    assert state(outside, 8080) == "denied"
    assert any("STRICT mTLS refuses plaintext" in r and "8080" in r for r in outside.reasons)
    assert state(outside, 80) == "denied"  # plaintext carries no principal nor namespace


# -- Online Boutique on Anthos Service Mesh -------------------------------------------------


def boutique(peer_authentication: Path) -> tuple[MeshModel, dict[str, Workload]]:
    return load(
        corpus_path("k8s", "online-boutique", "asm-authz", "online-boutique-asm.yaml"),
        peer_authentication,
    )


@pytest.fixture
def strict() -> tuple[MeshModel, dict[str, Workload]]:
    return boutique(
        corpus_path("k8s", "online-boutique", "asm-authz", "peerauthentication-strict.yaml")
    )


@pytest.fixture
def permissive() -> tuple[MeshModel, dict[str, Workload]]:
    return boutique(
        corpus_path("k8s", "online-boutique", "drift-samples", "peerauthentication-permissive.yaml")
    )


def test_every_boutique_workload_is_injected_by_its_namespace_label(strict: Any) -> None:
    model, w = strict
    assert sorted(w) == sorted(BOUTIQUE)
    assert {model.membership(x).dataplane for x in w.values()} == {Dataplane.SIDECAR}


def test_the_mesh_wide_peer_authentication_is_strict_and_its_drift_permissive(
    strict: Any, permissive: Any
) -> None:
    for (model, w), mode in ((strict, MtlsMode.STRICT), (permissive, MtlsMode.PERMISSIVE)):
        for name in BOUTIQUE:
            mtls = model.mtls(w[name])
            assert mtls.default is mode, name
            assert mtls.mode(8080) is mode, name


def test_the_downgrade_to_permissive_opens_the_unpoliced_loadgenerator_to_plaintext(
    strict: Any, permissive: Any
) -> None:
    # loadgenerator is the one workload no AuthorizationPolicy selects.
    model, w = strict
    assert state(model.authz(None, w["loadgenerator"]), 8089) == "denied"
    assert state(model.authz(w["frontend"], w["loadgenerator"]), 8089) == "admitted"
    model, w = permissive
    assert state(model.authz(None, w["loadgenerator"]), 8089) == "admitted"


def test_redis_cart_admits_cartservice_on_6379_and_nobody_else(strict: Any) -> None:
    model, w = strict
    cart = model.authz(w["cartservice"], w["redis-cart"])
    assert state(cart, 6379) == "admitted"
    assert state(cart, 6380) == "denied"
    assert state(model.authz(w["frontend"], w["redis-cart"]), 6379) == "denied"


def test_grpc_policies_leave_the_named_caller_unknown_on_its_port_and_deny_the_rest(
    strict: Any,
) -> None:
    model, w = strict
    frontend = model.authz(w["frontend"], w["adservice"])
    assert frontend.unknown == PortSet.of(Protocol.TCP, 9555)  # POST /hipstershop.AdService/...
    assert state(frontend, 9556) == "denied"
    assert state(model.authz(w["loadgenerator"], w["adservice"]), 9555) == "denied"
    checkout = model.authz(w["checkoutservice"], w["paymentservice"])
    assert checkout.unknown == PortSet.of(Protocol.TCP, 50051)
    assert state(model.authz(w["frontend"], w["paymentservice"]), 50051) == "denied"


# -- Bookinfo with the "HTTP Traffic" task's policies ---------------------------------------


def bookinfo(*extra: Path) -> tuple[MeshModel, dict[str, Workload]]:
    return load(
        corpus_path("k8s", "bookinfo", "bookinfo.yaml"),
        corpus_path("k8s", "bookinfo", "authz-http-policies.yaml"),
        *extra,
    )


def test_bookinfo_as_written_leaves_injection_and_so_every_answer_unknown() -> None:
    model, w = bookinfo()  # no Namespace object: whether `default` injects is unknown
    assert model.membership(w["details-v1"]).dataplane is Dataplane.UNKNOWN
    answer = model.authz(None, w["details-v1"])
    assert state(answer, 9080) == "unknown"  # denied with a sidecar, open without one
    assert answer.denied.is_empty()


@pytest.fixture
def injected(tmp_path: Path) -> tuple[MeshModel, dict[str, Workload]]:
    """The task's setup: `default` labelled for injection."""
    return bookinfo(written(tmp_path, namespace("default", {"istio-injection": "enabled"})))


def test_viewer_policies_admit_only_their_principal_and_then_only_for_get(injected: Any) -> None:
    model, w = injected
    assert state(model.authz(w["productpage-v1"], w["details-v1"]), 9080) == "unknown"
    assert state(model.authz(w["reviews-v2"], w["details-v1"]), 9080) == "denied"
    for version in ("reviews-v1", "reviews-v2", "reviews-v3"):  # one shared ServiceAccount
        assert state(model.authz(w[version], w["ratings-v1"]), 9080) == "unknown"
    assert state(model.authz(w["productpage-v1"], w["ratings-v1"]), 9080) == "denied"


def test_get_from_anyone_is_unknown_not_allow_all_and_strict_refuses_plaintext(
    injected: Any, tmp_path: Path
) -> None:
    model, w = injected
    assert state(model.authz(None, w["productpage-v1"]), 9080) == "unknown"
    strict = corpus_path("k8s", "online-boutique", "asm-authz", "peerauthentication-strict.yaml")
    setup = written(tmp_path, namespace("default", {"istio-injection": "enabled"}))
    model, w = bookinfo(setup, strict)
    assert model.mtls(w["productpage-v1"]).default is MtlsMode.STRICT
    assert state(model.authz(None, w["productpage-v1"]), 9080) == "denied"
    assert state(model.authz(w["ratings-v1"], w["productpage-v1"]), 9080) == "unknown"
