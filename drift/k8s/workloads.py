"""Workloads: the objects that run pods, read as pod templates.

Each workload stands for the pods its controller makes: their labels (with the labels the
controller adds), namespace, ServiceAccount, host networking and declared ports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.k8s.kinds import WORKLOAD_KINDS
from drift.k8s.labels import (
    LabelView,
    Selector,
    Truth,
    parse_labels,
    parse_selector,
    selector_from_labels,
)
from drift.k8s.objects import FieldPath, KubeObject, SourceRef
from drift.ports import MAX_PORT, MIN_PORT, Protocol

# Where the pod template sits in each workload kind.
_TEMPLATE_PATH: dict[str, FieldPath] = {
    "Pod": (),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
_DEFAULT_TEMPLATE_PATH: FieldPath = ("spec", "template")

# Labels controllers add to the pods they create whose values are per pod or generated at
# run time; a selector on one of them cannot be decided from the input.
_VARYING_LABELS: dict[str, frozenset[str]] = {
    "Deployment": frozenset({"pod-template-hash"}),
    "StatefulSet": frozenset(
        {
            "controller-revision-hash",
            "statefulset.kubernetes.io/pod-name",
            "apps.kubernetes.io/pod-index",
        }
    ),
    "DaemonSet": frozenset({"controller-revision-hash", "pod-template-generation"}),
    "Job": frozenset({"controller-uid", "batch.kubernetes.io/controller-uid"}),
    "CronJob": frozenset(
        {
            "controller-uid",
            "batch.kubernetes.io/controller-uid",
            "job-name",
            "batch.kubernetes.io/job-name",
        }
    ),
}
_INDEXED_JOB_LABEL = "batch.kubernetes.io/job-completion-index"

_ORDINAL = "(0|[1-9][0-9]*)"
_UID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _value_patterns(kind: str, name: str) -> dict[str, str]:
    """What the controller's per-pod values look like, where the API fixes their shape: a
    StatefulSet names its pods `<name>-<ordinal>`, a CronJob its Jobs `<name>-<minutes>`.
    A selector whose values cannot take that shape is decided (NO), not unknown."""
    own = re.escape(name)
    patterns = {
        "apps.kubernetes.io/pod-index": _ORDINAL,
        "pod-template-generation": "[1-9][0-9]*",
        "controller-uid": _UID,
        "batch.kubernetes.io/controller-uid": _UID,
        _INDEXED_JOB_LABEL: _ORDINAL,
    }
    if kind == "StatefulSet":
        patterns["statefulset.kubernetes.io/pod-name"] = f"{own}-{_ORDINAL}"
    if kind == "CronJob":
        patterns["job-name"] = patterns["batch.kubernetes.io/job-name"] = f"{own}-[0-9]+"
    return patterns


# Kinds whose spec.selector is required and must match the template labels (apps/v1).
_SELECTOR_REQUIRED = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})

_PORT_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


@dataclass(frozen=True, kw_only=True, order=True)
class ContainerPort:
    """A port a container declares. `name` is what NetworkPolicy named ports refer to."""

    number: int
    protocol: Protocol
    name: str | None = None
    host_port: int | None = None


@dataclass(frozen=True, kw_only=True)
class Workload:
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str]
    varying_labels: frozenset[str]
    # The shape (a regular expression) of a varying label's values, where it is known.
    varying_patterns: Mapping[str, str] = field(default_factory=dict)
    service_account: str
    automount_token: bool | None
    host_network: bool
    ports: tuple[ContainerPort, ...]
    source: SourceRef
    # Node access the pods are given: a privileged container, or a hostPath volume.
    privileged: bool = False
    host_path: bool = False
    # The pod template's annotations (sidecar injection and interception read some).
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def label_view(self) -> LabelView:
        return LabelView(
            known=self.labels, varying=self.varying_labels, patterns=self.varying_patterns
        )

    @property
    def is_bare_pod(self) -> bool:
        return self.kind == "Pod"

    def named_ports(self, name: str, protocol: Protocol) -> frozenset[int]:
        """Numbers the pods declare under `name` for `protocol` (empty: matches nothing)."""
        return frozenset(p.number for p in self.ports if p.name == name and p.protocol is protocol)


def is_workload(obj: KubeObject) -> bool:
    return (obj.group, obj.kind) in WORKLOAD_KINDS


def read_workloads(objects: Iterable[KubeObject], problems: list[str]) -> list[Workload]:
    """Workloads among `objects`, leaving out those another workload in the input controls.

    A ReplicaSet a Deployment owns, a Job a CronJob owns or a Pod any of them owns is
    represented by its owner. Problems are appended, one line each.
    """
    candidates = [obj for obj in objects if is_workload(obj)]
    present = {(obj.namespace, obj.kind, obj.name) for obj in candidates}
    workloads = []
    for obj in candidates:
        if _controller_in_input(obj, present):
            continue
        workload = read_workload(obj, problems)
        if workload is not None:
            workloads.append(workload)
    return workloads


def _controller_in_input(obj: KubeObject, present: set[tuple[str | None, str, str]]) -> bool:
    owners = obj.get(("metadata", "ownerReferences")) or []
    if not isinstance(owners, list):
        return False
    return any(
        isinstance(o, Mapping)
        and o.get("controller") is True
        and (obj.namespace, o.get("kind"), o.get("name")) in present
        for o in owners
    )


def read_workload(obj: KubeObject, problems: list[str]) -> Workload | None:
    """One workload's pod template, validated; None (with problems) when it is unusable."""
    template = _TEMPLATE_PATH.get(obj.kind, _DEFAULT_TEMPLATE_PATH)
    before = len(problems)
    if obj.get(template) is None or (template and not isinstance(obj.get(template), Mapping)):
        problems.append(obj.problem(template, "missing pod template"))
        return None
    spec_path = (*template, "spec")
    spec = obj.get(spec_path)
    if not isinstance(spec, Mapping):
        problems.append(obj.problem(spec_path, "missing pod spec"))
        return None
    varying = _varying_labels(obj)
    labels = parse_labels(obj, (*template, "metadata", "labels"), problems)
    labels.update(_controller_labels(obj))
    # The controller overwrites these on every pod, whatever the template says.
    labels = {k: v for k, v in labels.items() if k not in varying}
    annotations = _read_annotations(obj, (*template, "metadata", "annotations"), problems)
    _check_selector(obj, labels, problems)
    ports = _read_ports(obj, spec_path, spec, problems)
    service_account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if not isinstance(service_account, str):
        problems.append(obj.problem((*spec_path, "serviceAccountName"), "must be a string"))
    automount = spec.get("automountServiceAccountToken")
    if automount is not None and not isinstance(automount, bool):
        problems.append(
            obj.problem((*spec_path, "automountServiceAccountToken"), "must be a boolean")
        )
    if len(problems) > before:
        return None
    assert obj.namespace is not None  # workload kinds are namespaced
    return Workload(
        kind=obj.kind,
        namespace=obj.namespace,
        name=obj.name,
        labels=labels,
        varying_labels=varying,
        varying_patterns={
            k: v for k, v in _value_patterns(obj.kind, obj.name).items() if k in varying
        },
        service_account=str(service_account),
        automount_token=automount,
        host_network=spec.get("hostNetwork") is True,
        ports=ports,
        source=obj.source,
        privileged=_any_privileged(spec),
        host_path=_any_host_path(spec),
        annotations=annotations,
    )


def _containers(spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for field_name in ("containers", "initContainers", "ephemeralContainers"):
        containers = spec.get(field_name)
        if isinstance(containers, list):
            yield from (c for c in containers if isinstance(c, Mapping))


def _any_privileged(spec: Mapping[str, Any]) -> bool:
    """Whether some container runs privileged (`securityContext.privileged: true`)."""
    return any(
        isinstance(c.get("securityContext"), Mapping)
        and c["securityContext"].get("privileged") is True
        for c in _containers(spec)
    )


def _any_host_path(spec: Mapping[str, Any]) -> bool:
    volumes = spec.get("volumes")
    return isinstance(volumes, list) and any(
        isinstance(v, Mapping) and v.get("hostPath") is not None for v in volumes
    )


def _read_annotations(obj: KubeObject, path: FieldPath, problems: list[str]) -> dict[str, str]:
    """Annotations at `path` (absent = none); the API server takes string values only."""
    raw = obj.get(path)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping of annotation keys to values"))
        return {}
    annotations: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            problems.append(
                obj.problem((*path, str(key)), f"annotation value {value!r} is not a string")
            )
        else:
            annotations[key] = value
    return annotations


def _controller_labels(obj: KubeObject) -> dict[str, str]:
    """Labels with known values that the controller adds to every pod it makes."""
    if obj.kind == "Job" and obj.get(("spec", "manualSelector")) is not True:
        return {"job-name": obj.name, "batch.kubernetes.io/job-name": obj.name}
    return {}


def _varying_labels(obj: KubeObject) -> frozenset[str]:
    varying = _VARYING_LABELS.get(obj.kind, frozenset())
    job_spec: Any = (
        obj.get(("spec", "jobTemplate", "spec")) if obj.kind == "CronJob" else (obj.get(("spec",)))
    )
    if (
        obj.kind in ("Job", "CronJob")
        and isinstance(job_spec, Mapping)
        and (job_spec.get("completionMode") == "Indexed")
    ):
        varying |= {_INDEXED_JOB_LABEL}
    return varying


def _check_selector(obj: KubeObject, labels: Mapping[str, str], problems: list[str]) -> None:
    """The API server refuses a controller whose selector does not select its own pods."""
    path: FieldPath = ("spec", "selector")
    selector: Selector | None = None
    if obj.kind == "ReplicationController":
        if obj.get(path) is not None:
            selector = selector_from_labels(parse_labels(obj, path, problems))
    elif obj.kind in _SELECTOR_REQUIRED or (obj.kind == "Job" and obj.get(path) is not None):
        if obj.get(path) is None:
            problems.append(obj.problem(path, "required for this kind"))
            return
        selector = parse_selector(obj, path, problems)
    else:
        return
    if selector is not None and selector.matches(LabelView(known=labels)) is not Truth.YES:
        problems.append(obj.problem(path, "does not match the pod template's labels"))


def _read_ports(
    obj: KubeObject, spec_path: FieldPath, spec: Mapping[str, Any], problems: list[str]
) -> tuple[ContainerPort, ...]:
    ports: set[ContainerPort] = set()
    for field_name in ("containers", "initContainers"):
        containers = spec.get(field_name) or []
        if not isinstance(containers, list):
            problems.append(obj.problem((*spec_path, field_name), "must be a list"))
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping):
                problems.append(obj.problem((*spec_path, field_name, index), "must be a mapping"))
                continue
            # An init container only serves while the pod runs when it is a sidecar.
            if field_name == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            path = (*spec_path, field_name, index, "ports")
            ports.update(_read_container_ports(obj, path, container.get("ports"), problems))
    return tuple(sorted(ports))


def _read_container_ports(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]
) -> Iterable[ContainerPort]:
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return
    for index, entry in enumerate(raw):
        where = (*path, index)
        if not isinstance(entry, Mapping):
            problems.append(obj.problem(where, "must be a mapping"))
            continue
        port = _read_container_port(obj, where, entry, problems)
        if port is not None:
            yield port


def _read_container_port(
    obj: KubeObject, path: FieldPath, entry: Mapping[str, Any], problems: list[str]
) -> ContainerPort | None:
    before = len(problems)
    number = port_number(obj, (*path, "containerPort"), entry.get("containerPort"), problems)
    host_port = entry.get("hostPort")
    if host_port is not None:
        host_port = port_number(obj, (*path, "hostPort"), host_port, problems)
    protocol = read_protocol(obj, (*path, "protocol"), entry.get("protocol"), problems)
    name = entry.get("name")
    if name is not None:
        problem = port_name_problem(name)
        if problem:
            problems.append(obj.problem((*path, "name"), problem))
    if len(problems) > before or number is None or protocol is None:
        return None
    return ContainerPort(number=number, protocol=protocol, name=name, host_port=host_port)


def port_number(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> int | None:
    """A port number 1-65535; anything else is a problem naming the field."""
    if raw is None:
        problems.append(obj.problem(path, "required"))
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems.append(obj.problem(path, f"{raw!r} is not a port number"))
        return None
    if not MIN_PORT <= raw <= MAX_PORT:
        problems.append(obj.problem(path, f"{raw} is out of range {MIN_PORT}-{MAX_PORT}"))
        return None
    return int(raw)


def read_protocol(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]
) -> Protocol | None:
    """A protocol; absent means TCP, as in the API."""
    if raw is None:
        return Protocol.TCP
    try:
        return Protocol(raw)
    except ValueError:
        problems.append(obj.problem(path, f"unknown protocol {raw!r} (expected TCP, UDP or SCTP)"))
        return None


def port_name_problem(name: object) -> str | None:
    """Why `name` is not a valid port name (IANA_SVC_NAME), or None."""
    if not isinstance(name, str):
        return f"port name {name!r} is not a string"
    if (
        len(name) > 15
        or not _PORT_NAME_RE.match(name)
        or "--" in name
        or not any(c.isalpha() for c in name)
    ):
        return f"port name {name!r} is not a valid IANA service name"
    return None
