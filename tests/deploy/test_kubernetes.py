"""deploy/kubernetes, rendered by the real kustomize: valid against the Kubernetes schemas,
locked down (non-root, read-only, no privilege, default-deny network), and configured the way
the monitor reads its settings."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from drift.settings import load_settings
from tests.deploy.kustomize import (
    COMPONENTS,
    KUBERNETES,
    OVERLAYS,
    ROOT,
    Manifest,
    of_kind,
    one,
    overlay,
    render,
    write_overlay,
)

# The releases upstream Kubernetes supports as this is written (the newest three): the
# manifests must be valid on each. kubernetes-validate ships their schemas; nothing is fetched.
KUBERNETES_VERSIONS = ("1.35", "1.37")
# Custom resources kubernetes-validate has no schema for: the Prometheus Operator's.
# tests/deploy/test_prometheus_operator.py checks them instead.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
NAMESPACE = "design-drift"
METRICS_PORT = 9477
SELECTOR = {"app.kubernetes.io/name": "design-drift"}


def container(manifests: list[Manifest]) -> dict[str, Any]:
    pod = one(manifests, "Deployment", "design-drift")["spec"]["template"]["spec"]
    [only] = pod["containers"]
    return dict(only)


def pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(manifests, "Deployment", "design-drift")["spec"]["template"]["spec"]
    return spec


def every_component(tmp_path: Path, base: str = "sqlite") -> list[Manifest]:
    """An operator's overlay: an overlay with every optional component."""
    folder = write_overlay(
        tmp_path / "everything",
        {
            "resources": [str(KUBERNETES / "overlays" / base)],
            "components": [str(KUBERNETES / "components" / c) for c in COMPONENTS],
        },
    )
    return render(folder)


# --- valid Kubernetes objects ------------------------------------------------------------------


def validate(manifests: list[Manifest], version: str) -> list[str]:
    """Problems kubernetes-validate finds in strict mode (unknown fields are errors)."""
    problems = []
    for manifest in manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{manifest['kind']}: no schema ({error}); a typo, or a CRD to declare")
    return problems


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", OVERLAYS)
def test_each_overlay_is_valid_against_the_kubernetes_schemas(name: str, version: str) -> None:
    assert validate(overlay(name), version) == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_component_is_valid_against_the_kubernetes_schemas(
    tmp_path: Path, version: str
) -> None:
    assert validate(every_component(tmp_path), version) == []


def test_strict_validation_rejects_a_misspelt_field() -> None:
    """The check is not vacuous: an unknown field in the pod's securityContext fails."""
    broken = overlay("sqlite")
    deployment = one(broken, "Deployment", "design-drift")
    copy = yaml.safe_load(yaml.safe_dump(deployment))
    copy["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True
    assert validate([copy], KUBERNETES_VERSIONS[-1]) != []


def test_only_the_prometheus_operator_kinds_are_custom() -> None:
    kinds = {(m["apiVersion"], m["kind"]) for name in OVERLAYS for m in overlay(name)}
    assert {k for k in kinds if "." in k[0].split("/")[0]} - {
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
    } == CUSTOM_KINDS


# --- where everything is ---------------------------------------------------------------------


@pytest.mark.parametrize("name", OVERLAYS)
def test_everything_namespaced_is_in_the_monitors_namespace(name: str) -> None:
    manifests = overlay(name)
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for manifest in manifests:
        if manifest["kind"] not in cluster_scoped:
            assert manifest["metadata"].get("namespace") == NAMESPACE, manifest["kind"]
    assert one(manifests, "Namespace")["metadata"]["name"] == NAMESPACE


# --- the pod ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_pod_runs_as_uid_10001_read_only_without_privilege(name: str) -> None:
    manifests = overlay(name)
    pod, main = pod_spec(manifests), container(manifests)
    expected_pod = {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert expected_pod.items() <= pod["securityContext"].items()
    assert main["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod)
    assert one(manifests, "Deployment")["spec"]["replicas"] == 1


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_pod_runs_as_its_own_service_account_which_mounts_a_token(name: str) -> None:
    manifests = overlay(name)
    account = one(manifests, "ServiceAccount", "design-drift")
    assert pod_spec(manifests)["serviceAccountName"] == "design-drift"
    assert account["automountServiceAccountToken"] is True  # it reads the API server


@pytest.mark.parametrize("name", OVERLAYS)
def test_probes_resources_and_the_metrics_port(name: str) -> None:
    main = container(overlay(name))
    assert main["ports"] == [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}]
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    resources = main["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_only_writable_paths_are_tmp_and_the_sqlite_volume(name: str) -> None:
    manifests = overlay(name)
    mounts = {m["mountPath"]: m for m in container(manifests)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(manifests)["volumes"]}
    writable = {path for path, m in mounts.items() if not m.get("readOnly")}
    expected = {"/tmp", "/var/lib/design-drift"} if name == "sqlite" else {"/tmp"}
    assert writable == expected
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    if name == "sqlite":
        claim = volumes[mounts["/var/lib/design-drift"]["name"]]["persistentVolumeClaim"]
        assert one(manifests, "PersistentVolumeClaim")["metadata"]["name"] == claim["claimName"]
    else:
        assert of_kind(manifests, "PersistentVolumeClaim") == []


def test_the_postgres_overlay_reads_the_database_url_from_the_operators_secret() -> None:
    env = {e["name"]: e for e in container(overlay("postgres"))["env"]}
    assert env["DRIFT_DATABASE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "design-drift-database", "key": "url"}
    }
    assert of_kind(overlay("postgres"), "Secret") == []  # the operator creates it


# --- settings and baseline from ConfigMaps ---------------------------------------------------


def config_files(manifests: list[Manifest], tmp_path: Path) -> Path:
    """The projected config volume as the pod sees it, written into `tmp_path`."""
    sources = next(v for v in pod_spec(manifests)["volumes"] if v["name"] == "config")
    mount = next(m for m in container(manifests)["volumeMounts"] if m["name"] == "config")
    assert mount["mountPath"] == "/etc/design-drift"
    for source in sources["projected"]["sources"]:
        config_map = one(manifests, "ConfigMap", source["configMap"]["name"])
        for key, text in config_map["data"].items():
            (tmp_path / key).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_settings_from_the_config_map_are_valid_and_read_the_cluster_in_cluster(
    name: str, tmp_path: Path
) -> None:
    manifests = overlay(name)
    folder = config_files(manifests, tmp_path)
    assert container(manifests)["args"] == ["serve", "--config", "/etc/design-drift/settings.yaml"]

    settings = load_settings(str(folder / "settings.yaml"), environ={}, notifying=True)

    assert (settings.http.bind, settings.http.port) == ("0.0.0.0", METRICS_PORT)
    assert settings.database == "sqlite:////var/lib/design-drift/drift.db"
    [target] = settings.targets
    assert target.kubernetes is not None and target.kubernetes.kubeconfig is None  # in-cluster
    baseline = Path(target.baseline)
    assert baseline.parent == Path("/etc/design-drift")
    assert (folder / baseline.name).read_text() == (
        ROOT / "baselines" / "design-drift.yaml"
    ).read_text()


def test_the_default_baseline_is_the_monitors_own_approved_design() -> None:
    copy = KUBERNETES / "base" / "baseline-cluster.yaml"
    assert copy.read_text() == (ROOT / "baselines" / "design-drift.yaml").read_text(), (
        "deploy/kubernetes/base/baseline-cluster.yaml must be a copy of baselines/design-drift.yaml"
    )
    assert yaml.safe_load(copy.read_text())["metadata"]["approval"]  # approved by the merge


# --- the network --------------------------------------------------------------------------------


def policies(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p["spec"] for p in of_kind(manifests, "NetworkPolicy")}


@pytest.mark.parametrize("name", OVERLAYS)
def test_default_deny_both_ways_then_prometheus_in_and_dns_and_api_server_out(name: str) -> None:
    found = policies(overlay(name))

    assert found.pop("default-deny") == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert found.pop("design-drift-ingress-prometheus")["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    },
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": METRICS_PORT}],
        }
    ]
    [dns] = found.pop("design-drift-egress-dns")["egress"]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    [api] = found.pop("design-drift-egress-apiserver")["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}]
    if name == "postgres":
        [database] = found.pop("design-drift-egress-database")["egress"]
        assert database["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert found == {}
    assert all(
        p["podSelector"] in ({}, {"matchLabels": SELECTOR})
        for p in policies(overlay(name)).values()
    )


def test_the_components_open_only_their_ports_and_never_the_metadata_service(
    tmp_path: Path,
) -> None:
    found = policies(every_component(tmp_path))
    added = {k: v for k, v in found.items() if k not in policies(overlay("sqlite"))}
    ports = {
        name: {p["port"] for rule in spec["egress"] for p in rule["ports"]}
        for name, spec in added.items()
    }
    assert ports == {
        "design-drift-egress-aws": {443},
        "design-drift-egress-smtp": {587},
        "design-drift-egress-notifications": {9093, 443},
    }
    metadata = ipaddress.ip_network("169.254.169.254/32")
    for spec in added.values():
        assert "ingress" not in spec and spec["policyTypes"] == ["Egress"]
        for rule in spec["egress"]:
            for peer in rule["to"]:
                block = peer.get("ipBlock")
                if block and ipaddress.ip_network(block["cidr"]).version == 4:
                    assert any(ipaddress.ip_network(e) == metadata for e in block["except"])


def test_an_operator_sets_the_api_server_address_with_a_patch(tmp_path: Path) -> None:
    """The patch deploy/README.md shows: a JSON patch on the API server's NetworkPolicy."""
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    patch = "- op: replace\n  path: /spec/egress/0/to/0/ipBlock/cidr\n  value: 172.16.0.10/32\n"
    assert "path: /spec/egress/0/to/0/ipBlock/cidr" in readme
    folder = write_overlay(
        tmp_path / "mine",
        {
            "resources": [str(KUBERNETES / "overlays" / "sqlite")],
            "patches": [
                {
                    "path": "apiserver.yaml",
                    "target": {"kind": "NetworkPolicy", "name": "design-drift-egress-apiserver"},
                }
            ],
        },
        {"apiserver.yaml": patch},
    )
    [api] = policies(render(folder))["design-drift-egress-apiserver"]["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "172.16.0.10/32"}}]


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_service_selects_the_pod_on_the_metrics_port(name: str) -> None:
    manifests = overlay(name)
    service = one(manifests, "Service", "design-drift")["spec"]
    labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [
        {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}
    ]
