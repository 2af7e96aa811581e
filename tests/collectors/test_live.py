"""The live Kubernetes collector, through the official client, against the loopback fake API
server (tests/fakeapi): discovery, paging, outcomes per scope, retries, redaction."""

from __future__ import annotations

import logging
import math
import os
import socket
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import kubernetes.config.incluster_config as incluster
import pytest
import yaml
from builders import deployment, namespace, netpol
from fakeapi import FakeApiServer
from shared_corpus import corpus_path

from collectors.kubernetes.live import LiveCollector, scope_name
from collectors.kubernetes.live_objects import redact
from collectors.kubernetes.manifests import load_manifests
from drift.build import build_graph
from drift.collect import Collection, KubernetesCollector, ReadOptions, ScopeStatus
from drift.errors import CollectorError
from drift.export import graph_to_json
from drift.k8s.inventory import build_inventory
from drift.k8s.kinds import MODELLED_KINDS
from drift.k8s.objects import KubeObject
from drift.plugins import COLLECTORS_GROUP, load_plugin

SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp")
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db-password", "namespace": "shop"},
    "data": {"password": "aHVudGVyMg=="},
}
DEPLOYMENTS = "/apis/apps/v1/deployments"
NETPOLS = "/apis/networking.k8s.io/v1/networkpolicies"


def secret_bearing(kind: str = "Deployment", name: str = "web", **kw: Any) -> dict[str, Any]:
    """A workload whose containers carry what must never be stored."""
    body = deployment(name, kind=kind, namespace="shop", service_account=name, **kw)
    spec = body["spec"] if kind == "Pod" else body["spec"]["template"]["spec"]
    container = spec["containers"][0]
    container.update(
        env=[{"name": "DB_PASSWORD", "value": "hunter2"}],
        envFrom=[{"secretRef": {"name": "db-password"}}],
        command=["/bin/server", "--token=hunter2"],
        args=["--password", "hunter2"],
        livenessProbe={"exec": {"command": ["check", "hunter2"]}, "periodSeconds": 5},
    )
    spec["initContainers"] = [{"name": "init", "image": "i", "args": ["hunter2"]}]
    annotation = {"kubectl.kubernetes.io/last-applied-configuration": "{... hunter2 ...}"}
    body["metadata"]["annotations"] = annotation
    return body


def fixture_objects() -> list[dict[str, Any]]:
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report", "namespace": "payments"},
        "spec": {
            "schedule": "@daily",
            "jobTemplate": {"spec": {"template": secret_bearing("Pod", "report")}},
        },
    }
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    template["metadata"].pop("annotations")
    template.pop("apiVersion")
    return [
        namespace("shop", {"team": "shop"}),
        namespace("payments", {"team": "pay"}),
        secret_bearing(ports=[{"name": "http", "containerPort": 8080}]),
        deployment("api", namespace="shop", service_account="api"),
        deployment("cart", namespace="shop"),
        deployment("db", namespace="payments", kind="StatefulSet"),
        secret_bearing("Pod", "debug", host_network=True),
        cronjob,
        *(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": n, "namespace": ns}}
            for n, ns in (("web", "shop"), ("api", "shop"), ("db", "payments"))
        ),
        netpol("default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]}, namespace="shop"),
        netpol("allow-web", {"podSelector": {"matchLabels": {"app": "web"}}}, namespace="shop"),
        netpol("default-deny", {"podSelector": {}}, namespace="payments"),
    ]


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cluster")
    text = yaml.safe_dump_all(fixture_objects(), sort_keys=False)
    (folder / "cluster.yaml").write_text(text, encoding="utf-8")
    return folder


def serve(server: FakeApiServer, folder: Path) -> None:
    server.cluster.load(folder)
    server.cluster.put(SECRET)


@pytest.fixture(scope="module")
def running(fixture_dir: Path) -> Iterator[FakeApiServer]:
    with FakeApiServer(fixture_dir) as server:
        yield server


@pytest.fixture
def server(running: FakeApiServer, fixture_dir: Path) -> Iterator[FakeApiServer]:
    """The module's server, serving the fixture and a Secret, with no faults; restored after."""
    serve(running, fixture_dir)
    running.reset()
    yield running
    running.reset()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def collect(server: FakeApiServer, *, options: ReadOptions | None = None, **kw: Any) -> Collection:
    kw.setdefault("kubeconfig", str(server.kubeconfig))
    kw.setdefault("sleep", Sleeps())
    return LiveCollector(**kw).collect(options or ReadOptions())


def outcomes(collection: Collection) -> dict[str, ScopeStatus]:
    return {o.scope: o.status for o in collection.outcomes}


def by_name(collection: Collection, kind: str, name: str) -> KubeObject:
    return next(o for o in collection.objects if (o.kind, o.name) == (kind, name))


def is_discovery(path: str) -> bool:
    """`/api`, `/apis`, `/api/v1` and `/apis/<group>/<version>`."""
    parts = path.strip("/").split("/")
    return len(parts) <= (2 if parts[0] == "api" else 3)


# --- a full collection -----------------------------------------------------------------------


def test_collects_every_modelled_object_with_its_list_as_source(
    server: FakeApiServer, fixture_dir: Path
) -> None:
    collection = collect(server)

    written = load_manifests([str(fixture_dir)], ReadOptions())
    assert [o.key for o in collection.objects] == [o.key for o in written.objects]
    assert collection.source == "kubernetes:fake"
    assert collection.complete
    assert collection.skipped_kinds == {}
    web = by_name(collection, "Deployment", "web")
    assert web.source.file == f"{server.url}{DEPLOYMENTS}"
    assert web.body["apiVersion"] == "apps/v1" and web.body["kind"] == "Deployment"
    assert web.namespace == "shop"
    assert by_name(collection, "Namespace", "shop").namespace is None
    documents = [o.source.document for o in collection.objects if o.kind == "Deployment"]
    assert documents == [0, 1, 2]  # api, cart, web: their places in the list


def test_one_outcome_per_modelled_kind_named_group_slash_kind(server: FakeApiServer) -> None:
    collection = collect(server)

    assert [o.kind for o in collection.outcomes] == sorted(MODELLED_KINDS)
    names = outcomes(collection)
    assert names["networking.k8s.io/NetworkPolicy"] is ScopeStatus.OK
    assert names["Pod"] is ScopeStatus.OK
    assert names["networking.istio.io/VirtualService"] is ScopeStatus.NOT_INSTALLED
    assert scope_name(("", "Namespace")) == "Namespace"


def test_is_the_kubernetes_entry_point_and_a_collector() -> None:
    factory = load_plugin(COLLECTORS_GROUP, "kubernetes")
    collector: KubernetesCollector = LiveCollector(kubeconfig="unused")
    assert factory is LiveCollector and callable(collector.collect)


@pytest.mark.corpus
def test_online_boutique_live_equals_its_manifests_objects_and_graph() -> None:
    folder = corpus_path("k8s", "online-boutique", "with-network-policies")
    written = load_manifests([str(folder)], ReadOptions())
    with FakeApiServer(folder) as server:
        live = collect(server)

    assert live.complete
    assert {o.key: served_as_written(o) for o in live.objects} == {
        o.key: as_applied(o) for o in written.objects
    }
    assert graph_json(live.objects) == graph_json(written.objects)


def served_as_written(obj: KubeObject) -> dict[str, Any]:
    metadata = {k: v for k, v in obj.body["metadata"].items() if k not in SERVER_METADATA}
    return {**obj.body, "metadata": metadata}


def as_applied(obj: KubeObject) -> dict[str, Any]:
    """The manifest as the server stores it (its namespace set), redacted as collected."""
    body = redact(obj.group, obj.kind, obj.body)
    if obj.namespace is not None:
        body["metadata"] = {**body["metadata"], "namespace": obj.namespace}
    return body


def graph_json(objects: tuple[KubeObject, ...]) -> dict[str, Any]:
    """The graph's JSON without where each workload was read (a file or an API list)."""
    data = graph_to_json(build_graph(build_inventory("c", objects)))
    data["nodes"] = [{k: v for k, v in n.items() if k != "source"} for n in data["nodes"]]
    return data


# --- paging --------------------------------------------------------------------------------


def test_list_requests_equal_pages_not_objects(server: FakeApiServer) -> None:
    collection = collect(server, page_size=2)

    served = Counter(o.body["kind"] for o in collection.objects)
    requests = server.counts()
    listed = set()
    for outcome in collection.outcomes:
        if outcome.status is ScopeStatus.OK:
            path = outcome.detail.rsplit(" from ", 1)[1]
            assert outcome.kind is not None
            assert requests[path] == max(1, math.ceil(served[outcome.kind[1]] / 2)), path
            listed.add(path)
    assert requests[DEPLOYMENTS] == 2  # api, cart | web
    assert {p for p in requests if not is_discovery(p)} == listed  # never one object's GET


def test_expired_continue_token_restarts_the_list_once(server: FakeApiServer) -> None:
    server.expire_continue(DEPLOYMENTS)

    collection = collect(server, page_size=1)

    names = [o.name for o in collection.objects if o.kind == "Deployment"]
    assert names == ["api", "cart", "web"]
    assert outcomes(collection)["apps/Deployment"] is ScopeStatus.OK
    assert server.counts()[DEPLOYMENTS] == 2 + 3  # page 1, 410, then 3 pages again
    assert any("restarted" in w and DEPLOYMENTS in w for w in collection.warnings)


def test_a_second_expiry_fails_the_scope(server: FakeApiServer) -> None:
    server.expire_continue(DEPLOYMENTS, times=2)

    collection = collect(server, page_size=1)

    deployments = next(o for o in collection.outcomes if o.scope == "apps/Deployment")
    assert deployments.status is ScopeStatus.FAILED and "410" in deployments.detail
    assert not any(o.kind == "Deployment" for o in collection.objects)
    assert not collection.complete


# --- outcomes ------------------------------------------------------------------------------


def test_forbidden_networkpolicies_are_unverifiable_not_empty(server: FakeApiServer) -> None:
    server.deny("networking.k8s.io", "networkpolicies")

    collection = collect(server)

    statuses = outcomes(collection)
    assert statuses.pop("networking.k8s.io/NetworkPolicy") is ScopeStatus.FORBIDDEN
    assert set(statuses.values()) <= {ScopeStatus.OK, ScopeStatus.NOT_INSTALLED}
    assert not collection.complete
    assert not any(o.kind == "NetworkPolicy" for o in collection.objects)
    detail = next(o.detail for o in collection.outcomes if o.status is ScopeStatus.FORBIDDEN)
    assert "cannot list resource" in detail


def test_crd_groups_not_served_are_not_installed_and_complete(server: FakeApiServer) -> None:
    server.cluster.install("gateway.networking.k8s.io", "v1", "Gateway")
    server.cluster.put(virtual_service("reviews"))

    collection = collect(server)

    statuses = outcomes(collection)
    assert statuses["cilium.io/CiliumNetworkPolicy"] is ScopeStatus.NOT_INSTALLED
    assert statuses["gateway.networking.k8s.io/Gateway"] is ScopeStatus.OK
    assert statuses["gateway.networking.k8s.io/HTTPRoute"] is ScopeStatus.NOT_INSTALLED
    assert statuses["networking.istio.io/VirtualService"] is ScopeStatus.OK
    assert collection.complete
    served = by_name(collection, "VirtualService", "reviews")
    assert served.api_version == "networking.istio.io/v1beta1"
    assert served.source.file.endswith("/apis/networking.istio.io/v1beta1/virtualservices")


def virtual_service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"hosts": [name], "http": [{"route": [{"destination": {"host": name}}]}]},
    }


def test_kind_missing_from_every_version_of_a_served_group_is_not_installed(
    server: FakeApiServer,
) -> None:
    server.cluster.install("gateway.networking.k8s.io", "v1", "HTTPRoute")
    server.cluster.install("gateway.networking.k8s.io", "v1alpha2", "TLSRoute")

    collection = collect(server)

    details = {o.scope: o for o in collection.outcomes}
    assert details["gateway.networking.k8s.io/TLSRoute"].status is ScopeStatus.OK
    udp = details["gateway.networking.k8s.io/UDPRoute"]
    assert udp.status is ScopeStatus.NOT_INSTALLED
    assert "v1, v1alpha2" in udp.detail


def test_wrong_token_fails_every_scope_without_leaking_it(
    server: FakeApiServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", token="wrong-s3cr3t-token")

    collection = collect(server, kubeconfig=str(kubeconfig))

    assert {o.status for o in collection.outcomes} == {ScopeStatus.FAILED}
    assert all("401" in o.detail for o in collection.outcomes)
    assert collection.objects == () and not collection.complete
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "401" in logged
    assert "wrong-s3cr3t-token" not in logged and server.token not in logged


def test_unreachable_server_fails_every_scope_after_bounded_retries(
    server: FakeApiServer, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    text = kubeconfig.read_text().replace(server.url, f"https://127.0.0.1:{port}")
    kubeconfig.write_text(text)
    sleeps = Sleeps()

    collection = collect(server, kubeconfig=str(kubeconfig), sleep=sleeps, backoff=0.25)

    assert {o.status for o in collection.outcomes} == {ScopeStatus.FAILED}
    assert "no answer" in collection.outcomes[0].detail
    assert sleeps == [0.25, 0.5, 1.0]  # retries=3, doubling


def test_secrets_are_never_requested_nor_returned(server: FakeApiServer) -> None:
    collection = collect(server)

    assert not [path for path in server.counts() if "secret" in path]
    assert not [o for o in collection.objects if o.kind == "Secret"]
    assert "hunter2" not in repr([o.body for o in collection.objects])


def test_pod_env_args_and_commands_are_stripped_the_rest_kept(server: FakeApiServer) -> None:
    collection = collect(server)

    web = by_name(collection, "Deployment", "web").body
    debug = by_name(collection, "Pod", "debug").body
    report = by_name(collection, "CronJob", "report").body
    specs = [
        web["spec"]["template"]["spec"],
        debug["spec"],
        report["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    ]
    for spec in specs:
        for container in spec["containers"] + spec["initContainers"]:
            assert not {"env", "envFrom", "args", "command"} & container.keys()
        assert spec["containers"][0]["livenessProbe"] == {"exec": {}, "periodSeconds": 5}
    assert specs[0]["containers"][0]["ports"] == [{"name": "http", "containerPort": 8080}]
    assert specs[0]["serviceAccountName"] == "web"
    assert specs[1]["hostNetwork"] is True
    assert web["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    assert web["metadata"]["annotations"] == {}
    assert "hunter2" not in repr([o.body for o in collection.objects])


def test_redaction_leaves_its_input_alone() -> None:
    body = secret_bearing()
    before = repr(body)

    redacted = redact("apps", "Deployment", body)

    assert repr(body) == before
    assert "hunter2" not in repr(redacted)


# --- retries -------------------------------------------------------------------------------


def test_5xx_and_429_are_retried_with_backoff_then_succeed(server: FakeApiServer) -> None:
    server.fail(DEPLOYMENTS, 500, 503, 429)
    sleeps = Sleeps()

    collection = collect(server, sleep=sleeps, backoff=0.1)

    assert outcomes(collection)["apps/Deployment"] is ScopeStatus.OK
    assert [o.name for o in collection.objects if o.kind == "Deployment"] == ["api", "cart", "web"]
    assert sleeps == [0.1, 0.2, 0.4]
    assert server.counts()[DEPLOYMENTS] == 4


def test_retries_exhausted_fail_that_scope_only(server: FakeApiServer) -> None:
    server.fail(DEPLOYMENTS, 500, 500, 500, 500)

    collection = collect(server, retries=3)

    deployments = next(o for o in collection.outcomes if o.scope == "apps/Deployment")
    assert deployments.status is ScopeStatus.FAILED
    assert "HTTP 500" in deployments.detail and "after 4 attempts" in deployments.detail
    assert server.counts()[DEPLOYMENTS] == 4
    assert outcomes(collection)["apps/StatefulSet"] is ScopeStatus.OK
    assert not collection.complete


def test_a_failing_group_discovery_fails_only_that_groups_kinds(server: FakeApiServer) -> None:
    server.fail("/apis/batch/v1", 503, 503)

    collection = collect(server, retries=1)

    statuses = outcomes(collection)
    assert statuses["batch/CronJob"] is ScopeStatus.FAILED
    assert statuses["batch/Job"] is ScopeStatus.FAILED
    assert statuses["apps/Deployment"] is ScopeStatus.OK


def test_client_errors_are_not_retried(server: FakeApiServer) -> None:
    server.fail(DEPLOYMENTS, 400)

    collection = collect(server)

    assert outcomes(collection)["apps/Deployment"] is ScopeStatus.FAILED
    assert server.counts()[DEPLOYMENTS] == 1


# --- between collections, limits, configuration -------------------------------------------


def test_a_widened_networkpolicy_is_seen_by_the_next_collection(server: FakeApiServer) -> None:
    before = by_name(collect(server), "NetworkPolicy", "allow-web")
    wide = netpol(
        "allow-web",
        {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]},
        namespace="shop",
    )
    server.cluster.put(wide)
    server.cluster.delete("networking.k8s.io", "NetworkPolicy", "payments", "default-deny")

    collection = collect(server)

    after = by_name(collection, "NetworkPolicy", "allow-web")
    assert ("payments", "default-deny") not in {
        (o.namespace, o.name) for o in collection.objects if o.kind == "NetworkPolicy"
    }

    assert "ingress" not in before.body["spec"]
    assert after.body["spec"]["ingress"] == [{}]
    assert int(after.body["metadata"]["resourceVersion"]) > int(
        before.body["metadata"]["resourceVersion"]
    )


def test_input_beyond_the_limit_fails_scopes_instead_of_raising(server: FakeApiServer) -> None:
    collection = collect(server, options=ReadOptions(max_input_bytes=6000))

    statuses = set(outcomes(collection).values())
    assert ScopeStatus.FAILED in statuses and ScopeStatus.OK in statuses
    assert not collection.complete
    failed = [o.detail for o in collection.outcomes if o.status is ScopeStatus.FAILED]
    assert all("input limit" in detail for detail in failed)


def test_in_cluster_configuration_uses_the_service_account(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text(server.token)
    ca.write_bytes((server.kubeconfig.parent / "ca.crt").read_bytes())
    monkeypatch.setattr(incluster, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", server.url.rsplit(":", 1)[1])

    collection = collect(server, kubeconfig=None, in_cluster=True)

    assert collection.source == "kubernetes:in-cluster"
    assert collection.complete and collection.objects


def test_context_names_the_source_and_an_unknown_one_is_a_collector_error(
    server: FakeApiServer, tmp_path: Path
) -> None:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", context="prod-eu")

    assert collect(server, kubeconfig=str(kubeconfig), context="prod-eu").source == (
        "kubernetes:prod-eu"
    )
    with pytest.raises(CollectorError, match=r"kubeconfig .*kubeconfig"):
        collect(server, kubeconfig=str(kubeconfig), context="staging")


def test_a_missing_kubeconfig_is_a_collector_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config"
    with pytest.raises(CollectorError, match=str(missing)):
        LiveCollector(kubeconfig=str(missing)).collect(ReadOptions())


def test_kubeconfig_is_resolved_when_collecting_not_at_import(
    server: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(server.kubeconfig))

    assert collect(server, kubeconfig=None).complete
    assert os.environ["KUBECONFIG"] == str(server.kubeconfig)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(CollectorError, match="page_size"):
        LiveCollector(page_size=0)


def test_objects_are_plain_mappings(server: FakeApiServer) -> None:
    collection = collect(server)

    web = by_name(collection, "Deployment", "web")
    assert isinstance(web.body, Mapping) and isinstance(web.body["spec"], dict)
    assert web.body["spec"]["template"]["spec"]["serviceAccountName"] == "web"  # camelCase
