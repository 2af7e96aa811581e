"""Listed items → KubeObjects, minus what the store must never see (pure).

Pod specs lose every container's `env`, `envFrom`, `args` and `command` (and exec probes'
and lifecycle hooks' commands): that is where credentials sit in practice, and no semantics
reads them. `kubectl.kubernetes.io/last-applied-configuration` goes too, as it is a second,
unredacted copy of the object; `managedFields` is server bookkeeping the model never reads.
Ports, labels, serviceAccountName, hostNetwork and the rest of the spec stay as served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from drift.k8s.kinds import WORKLOAD_KINDS
from drift.k8s.objects import KubeObject, SourceRef

from .live_discovery import ApiResource

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
REDACTED_FIELDS = frozenset({"env", "envFrom", "args", "command"})
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_POD_SPEC: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_TEMPLATE_SPEC = ("spec", "template", "spec")


def to_objects(
    resource: ApiResource, items: Sequence[Mapping[str, Any]], url: str
) -> list[KubeObject]:
    """One KubeObject per named item; its source is the list's URL and its index there."""
    return [
        _to_object(resource, item, SourceRef(file=url, document=index))
        for index, item in enumerate(items)
        if isinstance(item, Mapping) and (item.get("metadata") or {}).get("name")
    ]


def _to_object(resource: ApiResource, item: Mapping[str, Any], source: SourceRef) -> KubeObject:
    # Items of built-in lists leave out kind and apiVersion: the list states them once.
    body = redact(resource.group, resource.kind, item)
    body = {"apiVersion": resource.group_version, "kind": resource.kind, **body}
    metadata = body["metadata"]
    return KubeObject(
        api_version=resource.group_version,
        kind=resource.kind,
        name=metadata["name"],
        namespace=(metadata.get("namespace") or None) if resource.namespaced else None,
        body=body,
        source=source,
    )


def redact(group: str, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` without what must not be stored; the input is left as it was."""
    out = _update(body, ("metadata",), _redact_metadata)
    if (group, kind) in WORKLOAD_KINDS:
        out = _update(out, _POD_SPEC.get(kind, _TEMPLATE_SPEC), _redact_pod_spec)
    return out


def _update(
    value: Mapping[str, Any],
    path: Sequence[str],
    change: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """A copy of `value` with the mapping at `path` changed (copies only along the path)."""
    if not path:
        return change(value)
    child = value.get(path[0])
    if not isinstance(child, Mapping):
        return dict(value)
    return {**value, path[0]: _update(child, path[1:], change)}


def _redact_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in metadata.items() if k != "managedFields"}
    annotations = metadata.get("annotations")
    if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        out["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return out


def _redact_pod_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    for field in CONTAINER_LISTS:
        containers = spec.get(field)
        if isinstance(containers, list):
            out[field] = [_redact_container(c) for c in containers]
    return out


def _redact_container(container: Any) -> Any:
    if not isinstance(container, Mapping):
        return container
    out = {k: v for k, v in container.items() if k not in REDACTED_FIELDS}
    for probe in PROBES:
        if isinstance(out.get(probe), Mapping):
            out[probe] = _without_exec_command(out[probe])
    lifecycle = out.get("lifecycle")
    if isinstance(lifecycle, Mapping):
        out["lifecycle"] = {k: _without_exec_command(v) for k, v in lifecycle.items()}
    return out


def _without_exec_command(handler: Any) -> Any:
    if not isinstance(handler, Mapping) or not isinstance(handler.get("exec"), Mapping):
        return handler
    return {**handler, "exec": {k: v for k, v in handler["exec"].items() if k != "command"}}
