"""Which of the modelled kinds the cluster serves, and where: API discovery.

`/api` and `/apis` say which groups exist; each needed group's versions are then read,
preferred version first, until every modelled kind of the group is found. A group or kind
that is not served is *not installed* (the cluster has no such objects, a complete answer);
a group version whose discovery fails leaves its kinds forbidden or failed (unverifiable).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.collect import ScopeStatus
from drift.k8s.kinds import GroupKind

from .live_http import ApiError, JsonApi


@dataclass(frozen=True, kw_only=True)
class ApiResource:
    """A kind as the server serves it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_path(self) -> str:
        """The cluster-wide list: every namespace in one paged list."""
        base = f"/apis/{self.group_version}" if self.group else "/api/v1"
        return f"{base}/{self.plural}"


@dataclass(frozen=True, kw_only=True)
class Unavailable:
    status: ScopeStatus
    detail: str


Found = dict[GroupKind, ApiResource | Unavailable]


def discover(api: JsonApi, kinds: Iterable[GroupKind]) -> Found:
    """Where each kind is served. Raises ApiError when `/api` or `/apis` cannot be read:
    then nothing about the cluster is known."""
    wanted: defaultdict[str, set[str]] = defaultdict(set)
    for group, kind in kinds:
        wanted[group].add(kind)
    versions = _served_versions(api)
    found: Found = {}
    for group, group_kinds in sorted(wanted.items()):
        found.update(_discover_group(api, group, group_kinds, versions.get(group, [])))
    return found


def _served_versions(api: JsonApi) -> dict[str, list[str]]:
    """Versions of each served group, preferred first ('' is the core group)."""
    core = api.get("/api").get("versions") or []
    served: dict[str, list[str]] = {"": ["v1"]} if "v1" in core else {}
    for group in api.get("/apis").get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("version")
        listed = [v.get("version") for v in group.get("versions") or []]
        ordered = [preferred, *listed] if preferred else listed
        served[group.get("name", "")] = [v for v in dict.fromkeys(ordered) if v]
    return served


def _discover_group(api: JsonApi, group: str, kinds: set[str], versions: list[str]) -> Found:
    if not versions:
        detail = f"API group {group} is not served" if group else "the core API is not served"
        return {
            (group, k): Unavailable(status=ScopeStatus.NOT_INSTALLED, detail=detail) for k in kinds
        }
    found: Found = {}
    error: ApiError | None = None
    for version in versions:
        missing = kinds - {kind for _, kind in found}
        if not missing:
            break
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = api.get(path)
        except ApiError as exc:
            if exc.status != 404:  # 404: the version went away since /apis; not an error
                error = error or exc
            continue
        for resource in _resources(group, version, listing, missing):
            found[(group, resource.kind)] = resource
    for kind in kinds - {kind for _, kind in found}:
        found[(group, kind)] = _not_found(group, kind, versions, error)
    return found


def _resources(
    group: str, version: str, listing: Mapping[str, Any], kinds: set[str]
) -> list[ApiResource]:
    """The listable resources (not subresources such as `pods/log`) of the wanted kinds."""
    return [
        ApiResource(
            group=group,
            version=version,
            kind=entry["kind"],
            plural=entry["name"],
            namespaced=bool(entry.get("namespaced")),
        )
        for entry in listing.get("resources") or []
        if entry.get("kind") in kinds
        and "/" not in entry.get("name", "/")
        and "list" in (entry.get("verbs") or ["list"])
    ]


def _not_found(group: str, kind: str, versions: list[str], error: ApiError | None) -> Unavailable:
    label = group or "core"
    if error is None:
        detail = f"{kind} is not served by API group {label} ({', '.join(versions)})"
        return Unavailable(status=ScopeStatus.NOT_INSTALLED, detail=detail)
    status = ScopeStatus.FORBIDDEN if error.status == 403 else ScopeStatus.FAILED
    return Unavailable(status=status, detail=f"discovery of API group {label}: {error}")
