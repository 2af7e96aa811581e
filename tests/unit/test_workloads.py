"""Workloads read from pod templates, as the controllers would run them."""

from __future__ import annotations

from typing import Any

import pytest
from builders import deployment, inventory, namespace, pod

from drift.errors import ManifestError
from drift.k8s.labels import NAMESPACE_NAME_LABEL
from drift.ports import Protocol


def test_every_workload_kind_is_read_from_its_pod_template() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "@daily",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "nightly"}},
                        "spec": {"containers": [{"name": "c"}]},
                    }
                }
            },
        },
    }
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "old"},
        "spec": {
            "selector": {"app": "old"},
            "template": {
                "metadata": {"labels": {"app": "old"}},
                "spec": {"containers": [{"name": "c"}]},
            },
        },
    }
    inv = inventory(
        deployment("d"),
        deployment("s", kind="StatefulSet"),
        deployment("ds", kind="DaemonSet"),
        deployment("rs", kind="ReplicaSet"),
        pod("p"),
        cron,
        rc,
    )
    kinds = {(w.kind, w.name): dict(w.labels) for w in inv.workloads}
    assert kinds == {
        ("Deployment", "d"): {"app": "d"},
        ("StatefulSet", "s"): {"app": "s"},
        ("DaemonSet", "ds"): {"app": "ds"},
        ("ReplicaSet", "rs"): {"app": "rs"},
        ("Pod", "p"): {"app": "p"},
        ("CronJob", "nightly"): {"app": "nightly"},
        ("ReplicationController", "old"): {"app": "old"},
    }


def test_objects_controlled_by_a_workload_in_the_input_are_represented_by_it() -> None:
    owned_rs = deployment("web-5d8f", kind="ReplicaSet")
    owned_rs["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "controller": True,
            "uid": "1",
        }
    ]
    orphan_rs = deployment("lonely", kind="ReplicaSet")
    orphan_rs["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "gone",
            "controller": True,
            "uid": "2",
        }
    ]
    owned_pod = pod("web-5d8f-x")
    owned_pod["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-5d8f",
            "controller": True,
            "uid": "3",
        }
    ]
    inv = inventory(deployment("web"), owned_rs, orphan_rs, owned_pod)
    assert sorted((w.kind, w.name) for w in inv.workloads) == [
        ("Deployment", "web"),
        ("ReplicaSet", "lonely"),
    ]


def test_controllers_add_labels_policies_can_select_on() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}},
    }
    inv = inventory(job, deployment("db", kind="StatefulSet"), deployment("web"))
    by_name = {w.name: w for w in inv.workloads}
    assert by_name["migrate"].labels == {
        "job-name": "migrate",
        "batch.kubernetes.io/job-name": "migrate",
    }
    assert "statefulset.kubernetes.io/pod-name" in by_name["db"].varying_labels
    assert "pod-template-hash" in by_name["web"].varying_labels


def test_service_account_host_network_automount_and_ports_are_read() -> None:
    doc = deployment(
        "web",
        service_account="web-sa",
        host_network=True,
        ports=[
            {"name": "http", "containerPort": 8080},
            {"containerPort": 53, "protocol": "UDP", "hostPort": 53},
        ],
    )
    doc["spec"]["template"]["spec"]["automountServiceAccountToken"] = False
    doc["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "sidecar", "restartPolicy": "Always", "ports": [{"containerPort": 15090}]},
        {"name": "init", "ports": [{"containerPort": 1}]},
    ]
    (w,) = inventory(doc).workloads
    assert (w.service_account, w.host_network, w.automount_token) == ("web-sa", True, False)
    assert [(p.number, p.protocol, p.name, p.host_port) for p in w.ports] == [
        (53, Protocol.UDP, None, 53),
        (8080, Protocol.TCP, "http", None),
        (15090, Protocol.TCP, None, None),
    ]
    (default_sa,) = inventory(deployment("x")).workloads
    assert (default_sa.service_account, default_sa.automount_token) == ("default", None)


def test_the_pod_templates_annotations_are_read_not_the_controllers() -> None:
    doc = deployment("web")
    doc["metadata"]["annotations"] = {"owner": "team-a"}
    doc["spec"]["template"]["metadata"]["annotations"] = {"sidecar.istio.io/inject": "false"}
    (w,) = inventory(doc).workloads
    assert dict(w.annotations) == {"sidecar.istio.io/inject": "false"}
    (bare,) = inventory(deployment("x")).workloads
    assert dict(bare.annotations) == {}


def test_namespaces_without_objects_know_only_their_name_label() -> None:
    inv = inventory(namespace("shop", {"zone": "a"}), deployment("a", namespace="other"))
    assert inv.namespaces["shop"].declared
    assert dict(inv.namespaces["shop"].labels) == {"zone": "a", NAMESPACE_NAME_LABEL: "shop"}
    assert not inv.namespaces["other"].declared
    assert dict(inv.namespaces["other"].labels) == {NAMESPACE_NAME_LABEL: "other"}


def _bad(mutate: Any) -> str:
    doc = deployment("web", ports=[{"name": "http", "containerPort": 8080}])
    mutate(doc)
    with pytest.raises(ManifestError) as caught:
        inventory(doc)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return container


def test_bad_workloads_are_one_line_naming_file_object_and_field() -> None:
    problem = _bad(lambda d: _container(d)["ports"][0].update(containerPort=70000))
    assert problem == (
        "test.yaml:1: Deployment default/web: spec.template.spec.containers[0]"
        ".ports[0].containerPort: 70000 is out of range 1-65535"
    )
    assert "is not a valid IANA service name" in _bad(
        lambda d: _container(d)["ports"][0].update(name="HTTP_port")
    )
    assert "unknown protocol 'ICMP'" in _bad(
        lambda d: _container(d)["ports"][0].update(protocol="ICMP")
    )
    assert "spec.selector: does not match the pod template's labels" in _bad(
        lambda d: d["spec"].update(selector={"matchLabels": {"app": "other"}})
    )
    assert "spec.selector.matchExpressions[0].operator: unknown operator 'Is'" in _bad(
        lambda d: d["spec"].update(
            selector={"matchExpressions": [{"key": "app", "operator": "Is", "values": ["web"]}]}
        )
    )
    assert "spec.template: missing pod template" in _bad(lambda d: d["spec"].pop("template"))
    assert "metadata.annotations.sidecar.istio.io/inject: annotation value False is not" in _bad(
        lambda d: d["spec"]["template"]["metadata"].update(
            annotations={"sidecar.istio.io/inject": False}
        )
    )
    assert "label value 'not valid!' is not valid" in _bad(
        lambda d: d["spec"]["template"]["metadata"]["labels"].update(extra="not valid!")
    )
