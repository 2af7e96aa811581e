"""Who is in the Istio mesh: sidecar injection, as the injector's webhooks decide it.

Istio ("Installing the sidecar", "Controlling the injection policy") documents the labels:
namespace `istio-injection=enabled|disabled` or `istio.io/rev=<revision>`, pod
`sidecar.istio.io/inject="true"|"false"` or `istio.io/rev=<revision>`; a disabled label wins
over an enabled one, `istio-injection` wins over `istio.io/rev` on a namespace, and with no
label a pod is injected only when the mesh injects namespaces by default (off by default).
Underneath, four webhooks select the pods the injector sees (by exact label values), and the
injector then reads the pod label, else the legacy pod annotation of the same name: `y`,
`yes`, `true` or `on` (any case) inject, empty means the default policy (inject), anything
else does not. Host-network pods and the Kubernetes system namespaces are never injected.

Assumptions, where the input cannot say: every revision a label names is installed; the
injector's policy is `enabled` and it has no never/always-inject selectors. Ambient mode
(`istio.io/dataplane-mode=ambient`) is reported, not modelled: membership is unknown.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from drift.k8s.inventory import NamespaceInfo
from drift.k8s.labels import Truth
from drift.k8s.workloads import Workload

INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
INJECT_LABEL = "sidecar.istio.io/inject"  # also the legacy pod annotation
STATUS_ANNOTATION = "sidecar.istio.io/status"  # written by the injector (or kube-inject)
DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"

# Namespaces the injector never injects into, whatever their labels say.
IGNORED_NAMESPACES = frozenset(
    {"kube-system", "kube-public", "kube-node-lease", "local-path-storage"}
)
_YES = frozenset({"y", "yes", "true", "on"})


class Dataplane(enum.StrEnum):
    SIDECAR = "sidecar"
    NONE = "none"  # outside the mesh: plaintext, no policy enforced
    AMBIENT = "ambient"  # reported, not modelled
    UNKNOWN = "unknown"  # the input does not decide (a namespace whose labels are unknown)


@dataclass(frozen=True, kw_only=True)
class Membership:
    """Whether a workload's pods run a sidecar, and why we think so."""

    dataplane: Dataplane
    reason: str

    @property
    def meshed(self) -> Truth:
        if self.dataplane is Dataplane.SIDECAR:
            return Truth.YES
        return Truth.NO if self.dataplane is Dataplane.NONE else Truth.MAYBE


def membership(
    workload: Workload, namespace: NamespaceInfo | None, *, inject_by_default: bool = False
) -> Membership:
    """The dataplane of `workload`'s pods; `namespace` None or undeclared: labels unknown."""
    labels, notes = workload.labels, workload.annotations
    if STATUS_ANNOTATION in notes:
        return _sidecar(f"the pod template is already injected ({STATUS_ANNOTATION})")
    if workload.host_network:
        return _none("host-network pods are never injected")
    ambient = _ambient(labels, namespace)
    if ambient is not None:
        return ambient
    if workload.namespace in IGNORED_NAMESPACES:
        return _none(f"Istio never injects into namespace {workload.namespace}")
    refusal = _injector_refuses(labels, notes)
    if refusal is not None:
        return _none(refusal)
    if namespace is None or not namespace.declared:
        return Membership(
            dataplane=Dataplane.UNKNOWN,
            reason=f"the labels of namespace {workload.namespace} are not in the input",
        )
    return _webhooks(labels, notes, namespace, inject_by_default)


def _sidecar(reason: str) -> Membership:
    return Membership(dataplane=Dataplane.SIDECAR, reason=reason)


def _none(reason: str) -> Membership:
    return Membership(dataplane=Dataplane.NONE, reason=reason)


def _ambient(labels: Mapping[str, str], namespace: NamespaceInfo | None) -> Membership | None:
    mode = labels.get(DATAPLANE_MODE_LABEL)
    if mode == "ambient":
        why = f"pod label {DATAPLANE_MODE_LABEL}=ambient"
    elif namespace is not None and namespace.labels.get(DATAPLANE_MODE_LABEL) == "ambient":
        if mode == "none":
            return None
        why = f"namespace {namespace.name} label {DATAPLANE_MODE_LABEL}=ambient"
    else:
        return None
    return Membership(dataplane=Dataplane.AMBIENT, reason=f"{why}: ambient mode is not modelled")


def _injector_refuses(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str | None:
    """Why the injector declines the pod whatever its namespace says (a pod label or, without
    one, the annotation, set to anything but a yes), or None."""
    if INJECT_LABEL in labels:
        value, where = labels[INJECT_LABEL], "label"
    else:
        value, where = annotations.get(INJECT_LABEL, ""), "annotation"
    if value == "" or value.lower() in _YES:
        return None
    return f'pod {where} {INJECT_LABEL}="{value}"'


def _webhooks(
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    namespace: NamespaceInfo,
    inject_by_default: bool,
) -> Membership:
    """Which injection webhook (if any) sees the pod; the injector then injects it, since
    `_injector_refuses` found no refusal."""
    ns_injection = namespace.labels.get(INJECTION_LABEL)
    ns_revision = namespace.labels.get(REVISION_LABEL)
    pod_value = labels.get(INJECT_LABEL)
    pod_revision = labels.get(REVISION_LABEL)
    ns = f"namespace {namespace.name}"
    if ns_injection is not None:
        if ns_injection == "enabled":
            return _sidecar(f"{ns} label {INJECTION_LABEL}=enabled")
        return _none(f"{ns} label {INJECTION_LABEL}={ns_injection}")
    if ns_revision is not None:
        return _sidecar(f"{ns} label {REVISION_LABEL}={ns_revision}")
    if pod_revision is not None:
        return _sidecar(f"pod label {REVISION_LABEL}={pod_revision}")
    if pod_value == "true":
        return _sidecar(f'pod label {INJECT_LABEL}="true"')
    if inject_by_default:
        return _sidecar(f"{ns} has no injection label and the mesh injects by default")
    why = f"{ns} has no injection label"
    if pod_value is not None:
        why += f' and pod label {INJECT_LABEL}="{pod_value}" is not "true"'
    elif INJECT_LABEL in annotations:
        why += f" (the legacy pod annotation {INJECT_LABEL} cannot opt a pod in)"
    return _none(why)
